"""The results page on a tablet (820 px), where staff read it: the four figures (evaluations,
response rate, satisfaction rate, poster evaluations apart) side by side, the
rate's definition under them, and the per-slot table within the screen."""
from datetime import timedelta

from app.services import feedback as feedback_service
from tests.browser.staff_sign_in import sign_in
from tests.feedback_factories import answers, check_in, started_slots


def test_results_figures_side_by_side_on_a_tablet(live_server, browser, db, make_event,
                                                   make_registration, make_staff):
    event = make_event(slug="tablet-results", slots=started_slots())
    for i in range(3):
        registration = make_registration(event)
        check_in(registration)
        if i:
            feedback_service.submit(event, answers(4), registration=registration)
    for level in (4, 3, 1):
        feedback_service.submit(event, answers(level),
                                now=event.slots[0].starts_at + timedelta(minutes=20))
    make_staff("admin", "admin")
    slug = event.slug
    db.session.remove()  # the server thread writes (login): hold no SQLite lock here
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/{slug}/results")
        tops = [box["y"] for box in (page.locator(".kpi").nth(i).bounding_box()
                                     for i in range(4))]
        assert len(set(tops)) == 1, tops  # one row, not three and one left under them
        assert page.locator("#kpi-response-rate").inner_text() == "166.7%"  # 5 over 3 people
        assert page.locator("#kpi-poster").inner_text() == "3"
        assert page.locator("#response-definition").is_visible()
        assert "超过了 100%" in page.locator("#response-definition").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 820
    finally:
        context.close()
