"""A slot's change reaches those still waiting and those awaiting review too (services.
slot_changes): their mail must not speak as if they held a place ("cancel, and leave your
place to someone else"), which reads as if they had one and may come."""
from datetime import timedelta

from sqlalchemy import select

from app.models import OutboxMessage
from app.services.events import save_event_telling_holders
from tests.conftest import event_data, iso, now_utc

GIVE_UP_THE_PLACE = "把名额留给其他人"


def slot(start, **fields):
    return {"key": "am", "label": "上午场", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=2)), "capacity": 1, "mode": "onsite",
            **fields}


def change_mails(db):
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "slot_changed").order_by(OutboxMessage.id)).all()
    return {row.recipient: row for row in rows}


def test_someone_waiting_is_told_they_still_wait_not_to_give_up_a_place(
        app, db, make_event, make_registration):
    start = now_utc().replace(second=0, microsecond=0) + timedelta(days=3)
    event = make_event(slug="moved", waitlist=True, slots=[slot(start)])
    make_registration(event, email="in@example.com")
    waiting = make_registration(event, email="wait@example.com")
    assert waiting.status == "waitlisted"
    save_event_telling_holders(event_data(slug="moved", waitlist=True,
                                          slots=[slot(start + timedelta(hours=3))]))
    db.session.commit()
    mails = change_mails(db)
    holder, waiter = mails["in@example.com"], mails["wait@example.com"]
    for part in (holder.body_text, holder.body_html):
        assert GIVE_UP_THE_PLACE in part
    for part in (waiter.body_text, waiter.body_html):
        assert GIVE_UP_THE_PLACE not in part
        assert "您目前仍在候补名单上，还没有获得名额" in part


def test_a_volunteer_awaiting_review_is_told_the_application_is_still_being_reviewed(
        app, db, make_event, make_registration):
    start = now_utc().replace(second=0, microsecond=0) + timedelta(days=3)
    event = make_event(slug="drive", kind="volunteer", max_party_size=1, slots=[slot(start)])
    pending = make_registration(event, email="p@example.com")
    assert pending.status == "pending"
    save_event_telling_holders(event_data(slug="drive", kind="volunteer", max_party_size=1,
                                          slots=[slot(start + timedelta(hours=1))]))
    db.session.commit()
    mail = change_mails(db)["p@example.com"]
    for part in (mail.body_text, mail.body_html):
        assert GIVE_UP_THE_PLACE not in part
        assert "您的志愿者申请仍在审核中" in part


def test_an_english_waiting_holder_reads_it_in_english(app, db, make_event, make_registration):
    start = now_utc().replace(second=0, microsecond=0) + timedelta(days=3)
    event = make_event(slug="moved", waitlist=True, slots=[slot(start)])
    make_registration(event)
    waiting = make_registration(event, email="wait@example.com")
    waiting.locale = "en"
    db.session.commit()
    save_event_telling_holders(event_data(slug="moved", waitlist=True,
                                          slots=[slot(start + timedelta(hours=3))]))
    db.session.commit()
    mail = change_mails(db)["wait@example.com"]
    assert "still on the waiting list" in mail.body_text
