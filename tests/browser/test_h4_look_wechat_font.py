"""WeChat's own font-size setting (up to about 140 %) on top of our large text, on a small
phone (320 px): the ticket still fits the screen, its number in one piece."""
from datetime import timedelta

import pytest

from tests.browser.test_accessibility import _set_mode
from tests.browser.test_text_layout import LINES
from tests.conftest import iso, now_utc

# WeChat scales the text, not the layout: the root font size times 1.4.
WECHAT_LARGEST = "document.documentElement.style.fontSize = 'calc(var(--base) * 1.4)'"


@pytest.fixture
def waiting_ticket(db, make_event, make_registration, live_server):
    start = now_utc() + timedelta(days=2)
    event = make_event(slug="wechat-font", waitlist=True, slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 1, "mode": "onsite"}])
    make_registration(event)
    waiting = make_registration(event, name="周老伯")
    assert waiting.status == "waitlisted"  # no QR code: the number is among the facts
    db.session.rollback()
    return f"{live_server}/tickets/{waiting.token}"


@pytest.mark.parametrize("elder", [False, True])
def test_the_ticket_fits_a_small_phone_at_wechats_largest_font(browser, live_server,
                                                               waiting_ticket, elder):
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", elder)
    page = context.new_page()
    try:
        page.goto(waiting_ticket)
        page.evaluate(WECHAT_LARGEST)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        number = page.locator("dd.ticket-number")
        assert number.evaluate(LINES) == 1
        card = page.locator("article.ticket").bounding_box()
        box = number.bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"]
    finally:
        context.close()
