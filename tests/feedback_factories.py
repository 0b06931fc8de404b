"""Factories shared by the evaluation, export and report tests."""
from datetime import timedelta

from app.extensions import db
from app.models import CheckIn
from tests.conftest import iso, now_utc


def started_slots(hours_ago=1, length=2, key="am", label="上午场", capacity=50):
    start = now_utc() - timedelta(hours=hours_ago)
    return [{"key": key, "label": label, "starts_at": iso(start),
             "ends_at": iso(start + timedelta(hours=length)), "capacity": capacity,
             "mode": "onsite"}]


def check_in(registration, gate="1", **fields):
    row = CheckIn(registration_id=registration.id, event_id=registration.event_id, gate=gate,
                  **fields)
    db.session.add(row)
    db.session.commit()
    return row


def answers(overall=4, topics=None, **more):
    return {"overall": overall, "topic_ratings": topics or {}, **more}
