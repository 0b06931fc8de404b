"""Time at the edges, as citizens and staff meet it: a waiting place once its slot is over,
the calendar file of a slot that moved, the staff form's dates typed without a date picker."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.conftest import iso, now_utc

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _slot(start, hours=2, capacity=1, key="am"):
    return {"key": key, "label": "上午场", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=hours)), "capacity": capacity,
            "mode": "onsite"}


def test_a_waiting_place_on_a_slot_that_is_over_promises_no_seat(client, make_event,
                                                                 make_registration):
    """After the slot has ended nobody is promoted any more (waitlist.promote): the page
    must not still say that a seat will come and the page will turn into a ticket."""
    event = make_event(waitlist=True, slots=[_slot(now_utc() - timedelta(hours=3))])
    make_registration(event)
    waiting = make_registration(event, email="wait@example.com")
    assert waiting.status == "waitlisted"
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "该场次已经结束，候补没有补上。感谢您的关注。" in page
    assert "我们会按顺序为您补上" not in page
    assert "补上后本页会变成电子票" not in page
    assert "您是第一位候补。" not in page


def test_a_waiting_place_on_a_slot_under_way_still_waits(client, make_event, make_registration):
    """Until the slot ends a cancellation by staff still promotes: the usual words."""
    event = make_event(waitlist=True, slots=[_slot(now_utc() - timedelta(minutes=30))])
    make_registration(event)
    waiting = make_registration(event)
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "您是第一位候补。" in page and "我们会按顺序为您补上" in page
    assert "该场次已经结束" not in page


def test_an_import_may_end_a_slot_at_24_00_as_the_pages_write_midnight(app, db, client):
    """ISO 8601 writes the end of a day as 24:00, as the pages do ("22:00–24:00"); a file
    that does so is taken, not told that it is no ISO 8601 time."""
    from app.services.events import save_event
    from tests.conftest import event_data

    day = (now_utc() + timedelta(days=3)).astimezone(SHANGHAI).date()
    slot = {"key": "night", "label": "夜间巡查", "starts_at": f"{day}T22:00:00+08:00",
            "ends_at": f"{day}T24:00:00+08:00", "capacity": 5, "mode": "onsite"}
    event, _created = save_event(event_data(slug="night-watch", slots=[slot]))
    db.session.commit()
    midnight = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)
    assert event.slots[0].ends_at == midnight.astimezone(timezone.utc)
    page = client.get("/events/night-watch").get_data(as_text=True)
    assert " 22:00–24:00" in page


def test_an_import_names_its_slip_when_24_00_is_not_the_end_of_a_day(app, db):
    from app.services.errors import InvalidData
    from app.services.events import parse_datetime

    with app.test_request_context("/"):
        for value in ("2026-12-31T24:30:00+08:00", "2026-12-31T24:00:01+08:00",
                      "2026-12-31T25:00:00+08:00"):
            try:
                parse_datetime(value, "ends_at")
            except InvalidData as error:
                assert "ends_at" in str(error.message)
            else:
                raise AssertionError(value)
        # Z, an offset and 24:00 name the instants they say.
        assert parse_datetime("2026-12-31T24:00:00Z", "x") == datetime(2027, 1, 1, tzinfo=timezone.utc)
        assert parse_datetime("2026-12-31T24:00+08:00", "x") == datetime(2026, 12, 31, 16,
                                                                         tzinfo=timezone.utc)
