"""A web address (or any long unbroken word) in an event's texts stays inside its card on a
small phone: the page never scrolls sideways, so no line is cut off at the screen's edge."""
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from tests.browser.test_accessibility import _set_mode
from tests.conftest import iso, now_utc

GUIDE = "https://www.songjiang.gov.cn/jgswglj/2026/06/openday-energy-saving-week-registration-guide.html"
PARKING = "https://www.songjiang.gov.cn/jgswglj/2026/parking-and-transport-guide.html"


@pytest.fixture
def pages(db, make_event, make_registration, live_server):
    from app.services.invitations import create_invitation

    start = now_utc() + timedelta(days=2)
    event = make_event(
        slug="with-links", title="Songjiang District Administrative Centre Open Day",
        description=f"详情见 {GUIDE} 。", what_to_bring=f"停车指引：{PARKING}",
        location="SongjiangDistrictAdministrativeCentreBuildingOneLobby",
        slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite",
                "description": f"集合地点地图：{GUIDE}"}])
    ticket = make_registration(event).token
    invitation = create_invitation(event, event.slots[0], label="社区代表").token
    db.session.commit()
    return [f"{live_server}{path}" for path in
            ("/", "/events/with-links", f"/tickets/{ticket}", f"/invite/{invitation}",
             "/events/with-links/register")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_addresses_wrap_inside_a_320_px_screen(browser, live_server, pages, lang):
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, lang, False)
    page = context.new_page()
    try:
        wide = {}
        for url in pages:
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                wide[urlparse(url).path] = width
        assert not wide, wide
        page.goto(pages[1])
        # The address is all there, broken across lines rather than cut.
        assert GUIDE in page.locator("main").inner_text().replace("\n", "")
    finally:
        context.close()
