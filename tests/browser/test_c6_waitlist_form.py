"""On a phone, the registration form's heading, notice and button follow the slot picked:
a full slot says "加入候补名单" / "加入候补", a slot with seats "填写报名信息" / "提交报名"."""
from datetime import timedelta

from tests.conftest import iso, now_utc


def test_picking_a_full_or_a_free_slot_changes_what_the_form_promises(
        live_server, phone_page, make_event, make_registration):
    start = now_utc() + timedelta(days=1)
    event = make_event(waitlist=True, slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 1, "mode": "onsite"},
        {"key": "pm", "label": "下午场", "starts_at": iso(start + timedelta(hours=4)),
         "ends_at": iso(start + timedelta(hours=6)), "capacity": 10, "mode": "onsite"},
    ])
    make_registration(event, event.slots[0])
    page = phone_page
    page.goto(f"{live_server}/events/test-open-day")
    page.get_by_role("link", name="加入候补").click()
    # The stylesheet hides the words not offered: read the page once it has loaded.
    page.wait_for_url("**/register*")
    page.wait_for_load_state("load")

    heading = page.get_by_role("heading", level=1)
    notice = page.locator("#waitlist-notice")
    assert heading.inner_text() == "加入候补名单"
    assert notice.is_visible()
    assert page.get_by_role("button", name="加入候补").is_visible()
    assert page.get_by_role("button", name="提交报名").count() == 0  # hidden: not offered

    page.get_by_text("下午场").click()
    assert heading.inner_text() == "填写报名信息"
    assert not notice.is_visible()
    assert page.get_by_role("button", name="提交报名").is_visible()
    assert page.get_by_role("button", name="加入候补").count() == 0

    page.get_by_text("上午场").click()
    page.fill("#name", "王芳")
    page.fill("#phone", "13800000001")
    page.check("#consent")
    page.get_by_role("button", name="加入候补").click()
    page.wait_for_url("**/tickets/*")
    assert page.locator(".ticket-status").inner_text() == "候补中"
