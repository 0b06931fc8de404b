"""Chromium: the invitations page's list of links at a desk and on a tablet. Copying a
link meant selecting the text of a narrow read-only box by hand (fiddly on a tablet); a
link whose uses are all taken looked like any other; and at 1280 px the slot's name and
the 作废 button broke into one character above another."""
import pytest

from tests.browser.staff_sign_in import sign_in
from tests.browser.test_p2_registrations_tablet import LINES


@pytest.fixture
def links(db, make_event, make_staff):
    from app.services.invitations import create_invitation, reserve_seats
    from app.services.registration import register_through_invitation

    make_staff("admin", "admin")
    event = make_event(slug="invite-day", title="后勤管家开放日")
    slot = event.slots[0]
    reserve_seats(slot, 6)
    group = create_invitation(event, slot, max_uses=4,
                              label="松江区人大代表、政协委员、市民代表及社区志愿者服务队（方松街道、中山街道）")
    one = create_invitation(event, slot, label="John Smith", max_uses=1)
    register_through_invitation(event, slot, one, name="John Smith", phone="13912340000",
                                party_size=1, consent_version="test")
    tokens = {"group": group.token, "one": one.token}
    db.session.commit()
    return tokens


@pytest.mark.parametrize("width, height", [(1280, 800), (820, 1180)])
def test_links_copy_with_one_tap_and_a_used_up_link_says_so(browser, live_server, links,
                                                            width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/invite-day/invitations")
        rows = page.locator("#invitations tbody tr")
        used_up = rows.filter(has_text="John Smith")
        group = rows.filter(has_text="人大代表")
        assert "已用完" in used_up.inner_text() and "已用完" not in group.inner_text()
        group.get_by_role("button", name="复制").click()
        assert group.get_by_role("button").first.inner_text() in ("已复制", "复制")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == f"{live_server}/invite/{links['group']}"
        # The slot's name and the void button each on one line.
        assert group.locator("td").nth(1).evaluate(LINES) == 1
        assert group.locator("summary").evaluate(LINES) == 1
        scroll_width, viewport = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert scroll_width <= viewport
    finally:
        context.close()
