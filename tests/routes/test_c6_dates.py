"""A citizen reads every moment one way: date, weekday, time, as the slots' times read
("2026-12-02 周三 09:30–11:30"). The registration window, the "opens at" and "closed at"
notices, a check-in and the evaluation's dates had no weekday ("2026-12-01 07:42")."""
import re
from datetime import timedelta

from tests.conftest import iso, now_utc

DAY_TIME = r"\d{4}-\d{2}-\d{2} 周[一二三四五六日] \d{2}:\d{2}"


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_event_page_writes_the_registration_window_like_its_slots(client, make_event):
    make_event()
    page = _text(client.get("/events/test-open-day"))
    assert re.search(f"报名时间： ?{DAY_TIME} – {DAY_TIME}", page), page
    assert re.search(f"{DAY_TIME}–\\d{{2}}:\\d{{2}}", page)  # the slot, as before


def test_not_yet_open_and_closed_notices_carry_the_weekday(client, make_event):
    make_event(registration_opens_at=iso(now_utc() + timedelta(hours=2)))
    assert re.search(f"报名尚未开始，将于 {DAY_TIME} 开放。",
                     _text(client.get("/events/test-open-day/register")))
    make_event(slug="closed-day", registration_opens_at=iso(now_utc() - timedelta(days=2)),
               registration_closes_at=iso(now_utc() - timedelta(hours=1)))
    assert re.search(f"报名已经截止（截止时间 {DAY_TIME}）。",
                     _text(client.get("/events/closed-day/register")))


def test_the_ticket_says_when_it_checked_in_with_the_weekday(client, db, make_event,
                                                           make_registration):
    from app.services import checkin

    start = now_utc() - timedelta(minutes=30)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 5,
                               "mode": "onsite"}],
                       registration_opens_at=iso(now_utc() - timedelta(days=2)))
    from app.models import Registration
    from app.services.registration import new_ticket_number, new_token

    registration = Registration(
        event_id=event.id, slot_id=event.slots[0].id, token=new_token(),
        ticket_number=new_ticket_number(), name="赵六", phone="13900000004", party_size=1,
        status="confirmed", active_key=f"{event.id}:13900000004",
        created_at=now_utc() - timedelta(days=1))
    db.session.add(registration)
    db.session.commit()
    checkin.check_in(registration, gate="1")
    db.session.commit()
    assert re.search(f"已于 {DAY_TIME} 签到入场。",
                     _text(client.get(f"/tickets/{registration.token}")))


def test_an_evaluation_not_yet_open_gives_the_start_with_the_weekday(client, make_event,
                                                                   make_registration):
    event = make_event()
    registration = make_registration(event)
    page = _text(client.get(f"/tickets/{registration.token}/feedback"))
    assert re.search(f"您的场次开始时间： ?{DAY_TIME}", page), page
