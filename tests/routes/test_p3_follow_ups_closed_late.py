"""A follow-up closed after its due date is marked 逾期办结 in the closed list, as the report
counts it (not on time) and the export says (是否逾期 是): a leader who reads 按期办结 0 / 1
in the report finds which one was late."""
from datetime import date, timedelta

from app.services import feedback as feedback_service
from tests.feedback_factories import answers, started_slots


def test_a_follow_up_closed_late_says_so(client, auth, db, make_event, make_staff):
    event = make_event(slots=started_slots())
    late = feedback_service.submit(event, answers(1, comment="指示牌不清楚"),
                                   browser_key="poster-a").follow_up
    on_time = feedback_service.submit(event, answers(1, comment="厕所太少"),
                                      browser_key="poster-b").follow_up
    late.due_on = date.today() - timedelta(days=30)
    db.session.commit()
    staff = make_staff("wang", "staff")
    for item in (late, on_time):
        feedback_service.close_follow_up(item, note="已电话回访", staff=staff)
    db.session.commit()

    auth.login("staff")
    page = client.get("/staff/follow-ups?show=closed").get_data(as_text=True)
    late_card = page.split(f'id="follow-up-{late.id}"')[1].split("</li>")[0]
    on_time_card = page.split(f'id="follow-up-{on_time.id}"')[1].split("</li>")[0]
    assert "逾期办结" in late_card
    assert "逾期办结" not in on_time_card and "已逾期" not in on_time_card
