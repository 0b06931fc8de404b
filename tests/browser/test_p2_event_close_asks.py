"""Chromium: 关闭报名 on an event's page turns every citizen and invitation link away at
once, and sat beside the page's title where a tablet's tap meant for a tab could reach it:
one tap closed the event. Now the first tap asks, saying what closing does."""
import pytest
from sqlalchemy import select

from app.models import Event
from tests.browser.staff_sign_in import sign_in


def status(db):
    db.session.rollback()  # a fresh read of what the server wrote
    return db.session.execute(select(Event.status).where(Event.slug == "open-now")).scalar_one()


@pytest.mark.parametrize("width, height, lang", [(1280, 800, "zh"), (820, 1180, "en")])
def test_closing_registration_asks_first(browser, live_server, make_event, make_staff, db,
                                         width, height, lang):
    make_staff("admin", "admin")
    make_event(slug="open-now", title="公共机构节能宣传周开放日")
    db.session.rollback()
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN" if lang == "zh" else "en-US",
                                  has_touch=width < 1000)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/open-now" + ("?lang=en" if lang == "en" else ""))
        page.locator(".close-confirm > summary").click()
        assert status(db) == "published"
        question = page.locator(".close-confirm .card")
        assert question.is_visible()
        box = question.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width  # all of it on the screen
        if lang == "zh":
            assert "不能再报名" in question.inner_text()
        question.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
        assert status(db) == "closed"
        assert page.locator(".close-confirm").count() == 0  # 发布 reopens it
    finally:
        context.close()
