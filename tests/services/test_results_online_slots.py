"""Results of an "online + offline" open day: an online slot's people are never checked in,
so their evaluations are counted (and in the satisfaction rate) but not over the people
checked in at the door; the response rate read 200% before."""
from datetime import timedelta

from app.services import feedback as feedback_service
from tests.conftest import iso, now_utc
from tests.feedback_factories import answers, check_in


def logistics_day(make_event):
    start = now_utc() - timedelta(hours=1)
    slot = {"starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)), "capacity": 50}
    return make_event(slug="logistics-day", slots=[
        {"key": "hall", "label": "现场参观", "mode": "onsite", **slot},
        {"key": "live", "label": "线上直播", "mode": "online",
         "join_url": "https://live.example.com/openday", **slot}])


def test_online_evaluations_are_not_counted_over_people_checked_in(
        app, db, client, auth, make_event, make_registration):
    event = logistics_day(make_event)
    onsite, online = event.slots
    hall = [make_registration(event, slot=onsite) for _ in range(2)]
    check_in(hall[0])
    check_in(hall[1])
    feedback_service.submit(event, answers(4), registration=hall[0])
    for _ in range(3):
        feedback_service.submit(event, answers(1), registration=make_registration(
            event, slot=online))
    db.session.commit()

    results = feedback_service.event_results(event)
    assert results["responses"] == 4 and results["left_out"]["online"] == 3
    assert results["response_rate"] == 0.5  # 1 evaluation at the hall of 2 people, not 4 ÷ 2
    assert results["satisfaction_rate"] == 0.25  # every evaluation counts here
    rows = {row["label"]: row for row in results["slots"]}
    assert rows["线上直播"]["checked_in"] is None and rows["线上直播"]["response_rate"] is None
    assert rows["线上直播"]["responses"] == 3
    assert rows["现场参观"]["response_rate"] == 0.5

    auth.login("admin")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert "200.0%" not in page and "50.0%" in page
    assert "线上场次的 3 份评价计入评价数和满意率，不计入参评率" in page


def test_an_onsite_day_keeps_its_label(app, db, client, auth, make_event, make_registration):
    event = logistics_day(make_event)
    registration = make_registration(event, slot=event.slots[0])
    check_in(registration)
    feedback_service.submit(event, answers(4), registration=registration)
    db.session.commit()
    auth.login("admin")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert "参评率（评价 1 ÷ 签到 1 人）" in page and 'id="outside-rate"' not in page
