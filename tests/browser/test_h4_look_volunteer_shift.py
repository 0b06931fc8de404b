"""A volunteer taps "申请这个班次" under one shift on the drive's page: the application form
opens with that shift already ticked (as an open day's form has the chosen slot), not with
none, to be refused later with "请至少选择一个班次"."""
from datetime import timedelta

from tests.browser.test_accessibility import _set_mode
from tests.conftest import iso, now_utc


def test_the_shift_tapped_on_the_drive_page_is_ticked_on_the_form(
        browser, live_server, db, make_event):
    start = now_utc() + timedelta(days=2)
    make_event(slug="sorting-drive", kind="volunteer", slots=[
        {"key": "sat", "label": "周六上午班", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 5, "mode": "onsite"},
        {"key": "sun", "label": "周日上午班", "starts_at": iso(start + timedelta(days=1)),
         "ends_at": iso(start + timedelta(days=1, hours=2)), "capacity": 5, "mode": "onsite"}])
    db.session.rollback()
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/sorting-drive")
        page.locator("li.slot", has_text="周日上午班").get_by_role("link", name="申请这个班次").click()
        assert page.get_by_role("checkbox", name="周日上午班").is_checked()
        assert not page.get_by_role("checkbox", name="周六上午班").is_checked()
    finally:
        context.close()
