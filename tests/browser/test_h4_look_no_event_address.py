"""An event without an address of its own (each session has its own place, or all are
online): its pages show no bare "地点：" and no dangling "·" where the address would be."""
from datetime import timedelta

from tests.browser.test_accessibility import _set_mode
from tests.conftest import iso, now_utc


def test_no_empty_address_line_when_the_event_has_no_address(browser, live_server, db,
                                                            make_event):
    start = now_utc() + timedelta(days=2)
    make_event(slug="two-venues", title="节能设施开放日", location="", slots=[
        {"key": "a", "label": "光伏屋顶", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=1)), "capacity": 20, "mode": "onsite",
         "location": "区行政中心1号楼"},
        {"key": "b", "label": "食堂后厨", "starts_at": iso(start + timedelta(hours=2)),
         "ends_at": iso(start + timedelta(hours=3)), "capacity": 20, "mode": "onsite",
         "location": "区行政中心2号楼"}])
    db.session.rollback()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/two-venues")
        lines = page.locator("main article").inner_text().splitlines()
        assert not [line for line in lines if line.strip() == "地点："], lines
        page.goto(f"{live_server}/")
        meta = page.locator("li.event-card", has_text="节能设施开放日").locator("p.meta").inner_text()
        assert not meta.rstrip().endswith("·"), meta
    finally:
        context.close()
