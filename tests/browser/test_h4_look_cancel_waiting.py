"""Someone on the waiting list holds no seat: the ticket's button says 取消候补 (not
取消报名), and the confirmation asks that and says they leave the waiting list, not that
"their places go to others"."""
from datetime import timedelta

from tests.browser.test_accessibility import _set_mode
from tests.conftest import iso, now_utc


def test_cancelling_a_waiting_place_says_what_is_given_up(browser, live_server, db, make_event,
                                                         make_registration):
    start = now_utc() + timedelta(days=2)
    event = make_event(slug="full-day", waitlist=True, slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 1, "mode": "onsite"}])
    seated = make_registration(event).token
    waiting = make_registration(event, name="周老伯")
    assert waiting.status == "waitlisted"
    waiting = waiting.token
    db.session.rollback()
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/tickets/{waiting}")
        assert page.get_by_role("link", name="取消报名").count() == 0
        page.get_by_role("link", name="取消候补").click()
        assert page.get_by_role("heading", name="确定取消候补吗？").is_visible()
        text = page.locator("main").inner_text()
        assert "候补" in text and "名额会让给其他人" not in text, text
        page.get_by_role("button", name="确定取消").click()
        assert page.get_by_text("已取消候补。").is_visible()
        # A ticket with a seat is still told its places go to others.
        page.goto(f"{live_server}/tickets/{seated}/cancel")
        assert page.get_by_text("取消后名额会让给其他人").is_visible()
    finally:
        context.close()


def test_withdrawing_a_volunteer_application_says_so(browser, live_server, db, make_event):
    """A volunteer taps 退出这个班次: the confirmation asks that, and an application still
    under review (no place held) is not told its places go to others."""
    from app.services.volunteers import apply

    start = now_utc() + timedelta(days=2)
    drive = make_event(slug="sorting-drive", kind="volunteer", slots=[
        {"key": "sat", "label": "周六上午班", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 5, "mode": "onsite"}])
    application = apply(drive, [drive.slots[0]], name="王阿姨", phone="13912345678",
                        code_agreed=True, consent_version="test")[0]
    db.session.commit()
    token = application.token
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/tickets/{token}")
        page.get_by_role("link", name="退出这个班次").click()
        assert page.get_by_role("heading", name="确定退出这个班次吗？").is_visible()
        assert "名额会让给其他人" not in page.locator("main").inner_text()
        page.get_by_role("button", name="确定取消").click()
        assert page.get_by_text("已撤回申请。").is_visible()
    finally:
        context.close()
