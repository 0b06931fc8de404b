"""Deleting one's personal data after cancelling, on a phone, without JavaScript needed."""
from tests.conftest import SCREENSHOTS


def test_cancel_then_erase_on_a_phone(app, db, make_event, make_registration, live_server, phone_page):
    registration = make_registration(make_event(), name="韩梅梅", phone="13812345678")
    token = registration.token
    db.session.rollback()
    page = phone_page
    page.goto(f"{live_server}/tickets/{token}")
    assert page.get_by_role("link", name="删除我的个人信息").count() == 0
    page.get_by_role("link", name="取消报名").click()
    page.get_by_role("button", name="确定取消").click()
    page.get_by_role("link", name="删除我的个人信息").click()
    assert page.get_by_role("heading", name="确定删除您的个人信息吗？").is_visible()
    button = page.get_by_role("button", name="确定删除")
    assert button.bounding_box()["height"] >= 44
    page.screenshot(path=str(SCREENSHOTS / "ticket-erase-confirm-phone.png"), full_page=True)
    button.click()
    assert page.get_by_text("这张票的个人信息已删除。").is_visible()
    assert page.get_by_text("韩梅梅").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "ticket-erased-phone.png"), full_page=True)
