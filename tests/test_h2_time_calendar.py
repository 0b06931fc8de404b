"""The calendar file (calendar.ics) of a ticket whose slot moves after it was added to a
phone's calendar: downloaded again, it must read as a newer version of the same entry."""
from datetime import timedelta

from icalendar import Calendar

from app.models import Registration
from tests.conftest import event_data, iso, now_utc


def _entry(client, registration):
    response = client.get(f"/tickets/{registration.token}/calendar.ics")
    assert response.status_code == 200
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    return entry


def _sequence(entry):
    return int(entry.get("sequence", 0))


def test_a_moved_slot_gives_a_newer_version_of_the_same_calendar_entry(db, client, make_event,
                                                                      make_registration):
    from app.services.events import save_event

    start = now_utc() + timedelta(days=2)
    slot = {"key": "am", "label": "上午场", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite"}
    event = make_event(slots=[slot])
    registration = make_registration(event)
    # Registered a week ago: the file is made now, whenever it is downloaded.
    db.session.get(Registration, registration.id).created_at = now_utc() - timedelta(days=7)
    db.session.commit()
    first = _entry(client, registration)

    moved = {**slot, "starts_at": iso(start + timedelta(hours=3)),
             "ends_at": iso(start + timedelta(hours=5))}
    save_event(event_data(slots=[moved]))
    db.session.commit()
    asked_at = now_utc().replace(microsecond=0)
    second = _entry(client, registration)

    assert str(second["uid"]) == str(first["uid"])
    assert second.decoded("dtstart") == (start + timedelta(hours=3)).replace(microsecond=0)
    # Calendars keep the version with the higher SEQUENCE (RFC 5545 3.8.7.4): an equal one
    # leaves the old time in a calendar that holds the entry already.
    assert _sequence(second) > _sequence(first)
    # DTSTAMP is when the file was made (RFC 5545 3.8.7.2), not when the person registered.
    assert second.decoded("dtstamp") >= asked_at


def test_a_changed_join_link_is_a_newer_version_too(db, client, make_event, make_registration):
    from app.services.events import save_event

    start = now_utc() + timedelta(days=2)
    slot = {"key": "web", "label": "线上场", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=1)), "capacity": 10, "mode": "online",
            "join_url": "https://meeting.example.cn/j/1"}
    event = make_event(slots=[slot])
    registration = make_registration(event)
    first = _entry(client, registration)
    assert str(first["location"]) == "https://meeting.example.cn/j/1"

    save_event(event_data(slots=[{**slot, "join_url": "https://meeting.example.cn/j/2"}]))
    db.session.commit()
    second = _entry(client, registration)
    assert str(second["location"]) == "https://meeting.example.cn/j/2"
    assert _sequence(second) > _sequence(first)
    # Saving again without a change is no new version.
    save_event(event_data(slots=[{**slot, "join_url": "https://meeting.example.cn/j/2"}]))
    db.session.commit()
    assert _sequence(_entry(client, registration)) == _sequence(second)
