"""The day-before reminder reaches only a ticket that still admits someone, once."""
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import OutboxMessage, Registration
from app.services.mail import queue_reminders, send_queued
from tests.conftest import iso, now_utc


def event_tomorrow(make_event, start, **overrides):
    return make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                              "ends_at": iso(start + timedelta(hours=2)), "capacity": 1,
                              "mode": "onsite"}], **overrides)


def registered_days_ago(db, registration):
    registration.created_at = now_utc() - timedelta(days=5)
    db.session.commit()
    return registration


@pytest.fixture(autouse=True)
def own_mail_folder(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path / "mail"))


def delivered(app):
    """The kinds of the messages the worker wrote out (no MAIL_SERVER: .eml files)."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return sorted(path.name.split("-", 1)[1][:-4] for path in folder.glob("*.eml"))


def test_a_reminder_that_waited_is_not_sent_once_the_holder_has_cancelled(
        app, client, db, make_event, make_registration):
    # The mail server was down when the reminder was queued; the holder cancelled meanwhile.
    start = now_utc() + timedelta(hours=20)
    event = event_tomorrow(make_event, start)
    holder = registered_days_ago(db, make_registration(event, email="r@example.com"))
    assert queue_reminders() == 1
    db.session.commit()
    assert client.post(f"/tickets/{holder.token}/cancel").status_code in (302, 303)
    send_queued()
    # "已取消" and then "请按时到场" with a QR code would leave them unsure which holds.
    assert delivered(app) == ["cancelled"]
    db.session.expire_all()
    assert not db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "reminder", OutboxMessage.status == "queued")).all()


def test_a_reminder_that_waited_is_not_sent_once_staff_cancelled_the_ticket(
        app, db, make_event, make_registration, make_staff):
    from app.services.registration import cancel_by_staff

    start = now_utc() + timedelta(hours=20)
    event = event_tomorrow(make_event, start)
    holder = registered_days_ago(db, make_registration(event, email="r@example.com"))
    assert queue_reminders() == 1
    db.session.commit()
    cancel_by_staff(db.session.get(Registration, holder.id), reason="本人来电取消")
    db.session.commit()
    assert send_queued() == (1, 0)
    assert delivered(app) == ["cancelled"]  # told of the cancellation, not reminded


def test_a_failed_reminder_retried_by_staff_after_a_cancellation_is_not_sent(
        app, client, db, make_event, make_registration):
    from app.services import mail

    start = now_utc() + timedelta(hours=20)
    event = event_tomorrow(make_event, start)
    holder = registered_days_ago(db, make_registration(event, email="r@example.com"))
    queue_reminders()
    reminder = db.session.scalars(select(OutboxMessage)).one()
    reminder.status, reminder.last_error = "failed", "SMTPDataError: 554 refused"
    db.session.commit()
    client.post(f"/tickets/{holder.token}/cancel")
    mail.retry(db.session.get(OutboxMessage, reminder.id))
    db.session.commit()
    send_queued()
    assert delivered(app) == ["cancelled"]


def test_a_reminder_still_goes_to_a_ticket_that_admits(app, db, make_event, make_registration):
    start = now_utc() + timedelta(hours=20)
    event = event_tomorrow(make_event, start)
    registered_days_ago(db, make_registration(event, email="r@example.com"))
    queue_reminders()
    db.session.commit()
    assert send_queued() == (1, 0)
    assert delivered(app) == ["reminder"]


def test_someone_promoted_on_the_last_day_has_the_promotion_mail_and_no_reminder_on_top(
        app, client, db, make_event, make_registration):
    start = now_utc() + timedelta(hours=10)
    event = event_tomorrow(make_event, start, waitlist=True)
    holder = registered_days_ago(db, make_registration(event, email="h@example.com"))
    waiting = registered_days_ago(db, make_registration(event, email="w@example.com"))
    assert waiting.status == "waitlisted"
    # The holder was reminded the day before, then gave the seat back 10 hours before.
    holder.reminder_sent_at = now_utc() - timedelta(hours=12)
    db.session.commit()
    assert client.post(f"/tickets/{holder.token}/cancel").status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    # The promotion mail (its QR code, the time and place) has just gone: a reminder
    # seconds later would be a second message saying the same.
    assert queue_reminders() == 0
    kinds = [m.kind for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == waiting.id))]
    assert kinds == ["promoted"]


def test_a_volunteer_approved_on_the_last_day_has_the_approval_and_no_reminder_on_top(
        app, db, make_event, make_registration, make_staff):
    from app.services.volunteers import approve

    start = now_utc() + timedelta(hours=10)
    event = event_tomorrow(make_event, start, slug="drive", kind="volunteer", max_party_size=1)
    applicant = registered_days_ago(db, make_registration(event, email="v@example.com"))
    assert applicant.status == "pending"
    approve(applicant, make_staff())
    db.session.commit()
    assert queue_reminders() == 0


def test_someone_promoted_days_before_is_still_reminded(app, client, db, make_event,
                                                       make_registration):
    start = now_utc() + timedelta(days=3)
    event = event_tomorrow(make_event, start, waitlist=True)
    holder = registered_days_ago(db, make_registration(event, email="h@example.com"))
    waiting = registered_days_ago(db, make_registration(event, email="w@example.com"))
    client.post(f"/tickets/{holder.token}/cancel")
    assert queue_reminders(now=start - timedelta(hours=20)) == 1
    db.session.commit()
    [reminder] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "reminder")).all()
    assert reminder.registration_id == waiting.id
