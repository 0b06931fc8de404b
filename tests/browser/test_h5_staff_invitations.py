"""Chromium: voiding an invitation link cannot be undone, so one tap beside the link (on a
phone, the card's last line) must not do it: the page says what voiding means and asks."""
import pytest
from sqlalchemy import select

from app.models import Invitation
from tests.browser.staff_sign_in import sign_in


@pytest.fixture
def invited(db, make_event, make_staff):
    from app.services.invitations import create_invitation, reserve_seats

    make_staff("admin", "admin")
    event = make_event(slug="invite-day", title="后勤管家开放日")
    reserve_seats(event.slots[0], 4)
    create_invitation(event, event.slots[0], label="人大代表、政协委员和市民代表组", max_uses=4)
    db.session.commit()


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_voiding_a_link_asks_first(browser, live_server, invited, db, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  is_mobile=width < 500, has_touch=width < 500)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/invite-day/invitations")
        row = page.locator("#invitations tbody tr").first
        row.get_by_text("作废", exact=True).click()
        page.wait_for_load_state("load")
        # Nothing is voided yet: the link is still there, and the page says what voiding does.
        db.session.rollback()  # a fresh read of what the server wrote
        assert not db.session.execute(select(Invitation)).scalar_one().revoked
        assert row.locator("input.copy-link").count() == 1
        assert "不能恢复" in row.inner_text()
        confirm = row.get_by_role("button", name="确认作废")
        box = confirm.bounding_box()
        assert box["height"] >= 36 and box["x"] + box["width"] <= width
        confirm.click()
        page.wait_for_url(f"{live_server}/staff/events/invite-day/invitations")
        assert "邀请链接已作废" in page.inner_text("main")
        assert "已作废" in page.locator("#invitations tbody tr").first.inner_text()
        db.session.rollback()  # a fresh read of what the server wrote
        assert db.session.execute(select(Invitation)).scalar_one().revoked
        scroll_width, viewport = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert scroll_width <= viewport
    finally:
        context.close()


def test_the_reserve_button_is_a_verb_in_english(browser, live_server, invited):
    """The button shared its msgid with the tables' 预留 column: in English it read
    "Reserved", a state, under the heading "Reserved places"."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/invite-day/invitations?lang=en")
        form = page.locator("form[action$='/invitations/reserve']")
        assert form.locator("button[type=submit]").inner_text().strip() != "Reserved"
        assert form.locator("h2").inner_text().strip() != "Reserved places"
        # The tables keep their column: places reserved and not yet used.
        assert "Reserved, unused" in page.inner_text("#reserve-table thead")
    finally:
        context.close()
