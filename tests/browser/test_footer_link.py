"""The footer's link to the privacy notice is on every public page, in running text: for an
elderly hand it must still be a full tap target, in both modes."""
import pytest

from tests.browser.test_accessibility import MODES, _set_mode


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_the_privacy_link_in_the_footer_is_a_full_tap_target(browser, live_server, make_event, mode):
    make_event()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    _set_mode(context, live_server, "zh", mode == "elder")
    page = context.new_page()
    for path in ("/", "/events/test-open-day"):
        page.goto(live_server + path)
        link = page.locator(".site-footer a[href='/privacy']")
        # One box: a link broken over two lines is two thin targets (and its bounding box
        # would span both lines and pass for a tall one).
        rects = link.evaluate("el => [...el.getClientRects()].map(r => [r.width, r.height])")
        minimum = MODES[mode]["target"]
        assert len(rects) == 1, (path, rects)
        assert rects[0][0] >= minimum and rects[0][1] >= minimum, (path, rects)
    context.close()
