"""The door's figures count the people who can come through the door: an online session's
viewers never will, and "20 / 260" with 100 of them watching from home reads as 140 missing."""
from datetime import timedelta

from app.services import checkin
from tests.conftest import iso, now_utc


def test_the_door_counts_leave_out_online_slots(app, db, make_event, make_registration):
    start = now_utc() + timedelta(minutes=30)
    event = make_event(slug="mixed-day", slots=[
        {"key": "hall", "label": "现场参观", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite"},
        {"key": "live", "label": "线上直播", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=1)), "capacity": 100, "mode": "online",
         "join_url": "https://live.example.gov.cn/x"}])
    make_registration(event, party_size=2)
    make_registration(event, slot=event.slots[1])
    make_registration(event, slot=event.slots[1])
    figures = checkin.counts(event)
    assert figures["event"] == {"checked_in": 0, "expected": 1, "people_in": 0,
                                "people_expected": 2}
    assert [slot["key"] for slot in figures["slots"]] == ["hall"]


def test_the_dashboard_expects_nobody_at_the_door_for_an_online_slot(app, db, make_event,
                                                                      make_registration):
    from app.services.dashboard import event_figures

    start = now_utc() + timedelta(days=1)
    event = make_event(slug="mixed-board", slots=[
        {"key": "hall", "label": "现场参观", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite"},
        {"key": "live", "label": "线上直播", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=1)), "capacity": 100, "mode": "online",
         "join_url": "https://live.example.gov.cn/x"}])
    make_registration(event)
    make_registration(event, slot=event.slots[1], party_size=3)
    figures = event_figures(event)
    by_key = {slot["key"]: slot for slot in figures["slots"]}
    assert (by_key["hall"]["not_arrived"], by_key["live"]["not_arrived"]) == (1, 0)
    assert by_key["live"]["registered"] == 3 and figures["totals"]["not_arrived"] == 1
