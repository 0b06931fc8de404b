"""Chromium: the live dashboard when a refresh fails, and when the event's slots change
under it. The figures used to fade a little with nothing saying why, while the line above
them kept its old "已自动更新" time; a slot added meanwhile never appeared (its people
counted in the total, below rows that no longer added up to it)."""
from playwright.sync_api import expect

from tests.browser.staff_sign_in import sign_in
from tests.conftest import event_data


def poll_now(page):
    # The page refreshes on becoming visible: no need to wait 15 seconds.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def test_a_failed_refresh_says_the_figures_are_old(browser, live_server, make_staff,
                                                    make_event, make_registration, db):
    make_staff("admin", "admin")
    event = make_event(slug="live-board")
    make_registration(event)
    db.session.rollback()
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/live-board/dashboard")
        page.locator('#dashboard[data-live="1"]').wait_for()
        stamp = page.locator("#dashboard-updated")
        expect(stamp).to_contain_text("已自动更新")
        page.route("**/dashboard.json", lambda route: route.abort("internetdisconnected"))
        poll_now(page)
        expect(stamp).to_contain_text("连接中断")
        assert page.locator("#dashboard.stale").count() == 1
        # The time of the figures shown, as HH:MM:SS.
        assert any(part.count(":") == 2 for part in stamp.inner_text().split())
        page.unroute("**/dashboard.json")
        poll_now(page)
        expect(stamp).to_contain_text("已自动更新")
        assert page.locator("#dashboard.stale").count() == 0
    finally:
        context.close()


def test_a_slot_added_meanwhile_appears(browser, live_server, make_staff, make_event, db):
    make_staff("admin", "admin")
    make_event(slug="live-board")
    db.session.rollback()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/live-board/dashboard")
        page.locator('#dashboard[data-live="1"]').wait_for()
        assert page.locator("#dashboard tbody tr").count() == 1
        # A colleague adds an afternoon slot in the event form meanwhile.
        from app.services.events import save_event

        first = event_data()["slots"][0]
        save_event(event_data(slug="live-board", slots=[
            first, dict(first, key="pm", label="下午加场", capacity=30)]))
        db.session.commit()
        poll_now(page)
        expect(page.locator('#dashboard tr[data-slot="pm"]')).to_contain_text("下午加场")
        expect(page.locator('#dashboard tr[data-slot="__total__"] [data-field="capacity"]')
               ).to_have_text(str(first["capacity"] + 30))
    finally:
        context.close()
