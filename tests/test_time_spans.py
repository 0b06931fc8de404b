"""A slot's time as people read it, wherever it is shown: an evening shift that runs past
midnight must not read as if it ended before it began."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _evening(days=3, hour=22, minute=30):
    """A local evening ``days`` from now, as an aware UTC datetime."""
    day = (datetime.now(SHANGHAI) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


def test_a_span_carries_the_end_date_only_when_it_needs_it(app):
    from app.i18n import local_span

    start = _evening()
    with app.test_request_context("/"):
        same_day = local_span(start, start + timedelta(hours=1))
        past_midnight = local_span(start, start + timedelta(hours=3))
        to_midnight = local_span(start, start + timedelta(minutes=90))
        times_only = local_span(start, start + timedelta(hours=3), with_date=False)
    day, next_day = start.astimezone(SHANGHAI), (start + timedelta(days=1)).astimezone(SHANGHAI)
    assert same_day.startswith(f"{day:%Y-%m-%d} ") and same_day.endswith(" 22:30–23:30")
    assert past_midnight.endswith(f" 22:30–{next_day:%m-%d} 01:30")
    assert to_midnight.endswith(" 22:30–24:00")
    assert times_only == f"22:30–{next_day:%m-%d} 01:30"
    with app.test_request_context("/?lang=en"):
        assert local_span(None, start) == ""


def test_the_confirmation_mail_of_a_slot_past_midnight_names_the_day_it_ends(
        app, db, make_event, make_registration):
    from app.models import OutboxMessage
    from app.services.registration import queue_new_registration_mail

    start = _evening(hour=23, minute=0)
    event = make_event(slots=[{"key": "night", "label": "夜间巡查", "starts_at": start.isoformat(),
                               "ends_at": (start + timedelta(hours=2)).isoformat(),
                               "capacity": 5, "mode": "onsite"}])
    with app.test_request_context("/"):
        queue_new_registration_mail(make_registration(event, email="citizen@example.com"))
        db.session.commit()
    mail = db.session.scalars(select(OutboxMessage)).one()
    next_day = (start + timedelta(days=1)).astimezone(SHANGHAI)
    assert f"23:00–{next_day:%m-%d} 01:00" in mail.body_text
    assert f"23:00–{next_day:%m-%d} 01:00" in mail.body_html
    assert "23:00–01:00" not in mail.body_text


def test_the_event_page_and_the_ticket_of_a_slot_past_midnight_name_the_day_it_ends(
        client, make_event, make_registration):
    start = _evening(hour=23, minute=0)
    event = make_event(slots=[{"key": "night", "label": "夜间巡查", "starts_at": start.isoformat(),
                               "ends_at": (start + timedelta(hours=2)).isoformat(),
                               "capacity": 5, "mode": "onsite"}])
    ticket = make_registration(event)
    next_day = (start + timedelta(days=1)).astimezone(SHANGHAI)
    for path in (f"/events/{event.slug}", f"/events/{event.slug}/register", f"/tickets/{ticket.token}"):
        page = client.get(path).get_data(as_text=True)
        assert f"23:00–{next_day:%m-%d} 01:00" in page, path


def test_the_staff_event_page_names_the_day_a_slot_ends(client, auth, make_event):
    start = _evening(hour=23, minute=0)
    event = make_event(slots=[{"key": "night", "label": "夜间巡查", "starts_at": start.isoformat(),
                               "ends_at": (start + timedelta(hours=2)).isoformat(),
                               "capacity": 5, "mode": "onsite"}])
    auth.login()
    page = client.get(f"/staff/events/{event.slug}").get_data(as_text=True)
    next_day = (start + timedelta(days=1)).astimezone(SHANGHAI)
    assert f"23:00–{next_day:%m-%d} 01:00" in page
