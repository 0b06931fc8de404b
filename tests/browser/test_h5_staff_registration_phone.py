"""Chromium: a registration's page on a door steward's phone (390 px), in English and in
Chinese, large text too, for someone with a long e-mail address: the page does not scroll
sideways (the masked address breaks inside its line)."""
import pytest

from tests.browser.staff_sign_in import sign_in
from tests.browser.test_accessibility import _set_mode

EMAIL = "zhangsan.songjiang@districtoffice.example.com"


@pytest.mark.parametrize("lang, elder", [("en", False), ("zh", True), ("zh", False)])
def test_a_long_address_stays_inside_a_phone(browser, live_server, make_event, make_registration,
                                             make_staff, lang, elder):
    make_staff("admin", "admin")
    event = make_event(slug="long-mail", title="后勤管家开放日")
    person = make_registration(event, name="欧阳娜娜", phone="13900001111", email=EMAIL)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    _set_mode(context, live_server, lang, elder)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/registrations/{person.id}")
        assert "z***@districtoffice.example.com" in page.inner_text("main .facts")
        # Before, in English: the page was 429 px wide, the address past the right edge.
        width, viewport = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert (width, viewport) == (390, 390)
        for dd in page.locator("main .facts dd").all():
            box = dd.bounding_box()
            assert box["x"] + box["width"] <= 390, dd.inner_text()
    finally:
        context.close()
