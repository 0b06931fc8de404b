"""Seats that staff add to a slot (capacity raised, reserved seats released) go to its
waiting list first, in order, with the mail a cancellation's promotion sends."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.models import OutboxMessage, Registration, Slot
from app.services import waitlist
from app.services.events import save_event_telling_holders
from app.services.invitations import release_seats, reserve_seats
from tests.conftest import event_data


def one_slot_event(make_event, capacity, **fields):
    return make_event(slug="waiting", waitlist=True,
                      slots=[dict(event_data()["slots"][0], capacity=capacity, **fields)])


def statuses(db, *registrations):
    db.session.expire_all()
    return [db.session.get(Registration, r.id).status for r in registrations]


def promoted_mail_to(db):
    return sorted(db.session.execute(select(OutboxMessage.recipient)
                                     .where(OutboxMessage.kind == "promoted")).scalars())


def with_capacity(event, capacity, **fields):
    """The event's import JSON as stored, with its one slot's capacity changed."""
    slot = event.slots[0]
    return event_data(slug="waiting", waitlist=True, slots=[dict(
        event_data()["slots"][0], starts_at=slot.starts_at.isoformat(),
        ends_at=slot.ends_at.isoformat(), capacity=capacity)], **fields)


def test_raising_the_capacity_promotes_the_waiting_list_in_order(app, db, make_event,
                                                                  make_registration):
    event = one_slot_event(make_event, capacity=3)
    holder = make_registration(event, party_size=3)
    big = make_registration(event, party_size=3, email="big@example.com")
    first = make_registration(event, email="first@example.com")
    second = make_registration(event)  # no e-mail: staff must phone
    third = make_registration(event, email="third@example.com")
    assert statuses(db, big, first, second, third) == ["waitlisted"] * 4

    saved = save_event_telling_holders(with_capacity(event, 5))
    db.session.commit()
    # Two seats added: the party of three does not fit, the next two parties of one do.
    assert [r.id for r in saved.promoted] == [first.id, second.id]
    assert statuses(db, holder, big, first, second, third) == [
        "confirmed", "waitlisted", "confirmed", "confirmed", "waitlisted"]
    assert db.session.get(Slot, event.slots[0].id).booked == 5
    assert promoted_mail_to(db) == ["first@example.com"]
    assert waitlist.summary(saved.promoted) == \
        "候补名单中有 2 条报名递补成功：已向 1 位发送邮件，1 位未留邮箱，需电话通知。"
    # Nobody cancelled: the mail does not say someone did.
    body = db.session.execute(select(OutboxMessage.body_text)
                              .where(OutboxMessage.kind == "promoted")).scalar_one()
    assert "有名额空出" in body and "有人取消" not in body


def test_a_save_that_adds_no_seats_promotes_nobody(app, db, make_event, make_registration):
    event = one_slot_event(make_event, capacity=1)
    make_registration(event)
    waiting = make_registration(event, email="wait@example.com")
    saved = save_event_telling_holders(with_capacity(event, 1, title="新标题"))
    db.session.commit()
    assert saved.promoted == [] and statuses(db, waiting) == ["waitlisted"]
    assert promoted_mail_to(db) == []


def test_a_slot_that_is_over_promotes_nobody(app, db, make_event, make_registration):
    """Raising a past slot's capacity corrects the record: nobody is moved into a day gone
    by, or mailed about it."""
    event = one_slot_event(make_event, capacity=1)
    make_registration(event)
    waiting = make_registration(event, email="wait@example.com")
    with time_machine.travel(event.slots[0].ends_at + timedelta(minutes=1)):
        saved = save_event_telling_holders(with_capacity(event, 3))
        db.session.commit()
    assert saved.promoted == [] and statuses(db, waiting) == ["waitlisted"]
    assert promoted_mail_to(db) == []


def test_releasing_reserved_seats_promotes_the_waiting_list_first(app, db, make_event,
                                                                   make_registration):
    event = one_slot_event(make_event, capacity=3)
    slot = event.slots[0]
    reserve_seats(slot, 2)
    db.session.commit()
    holder = make_registration(event)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event, email="second@example.com")
    assert statuses(db, holder, first, second) == ["confirmed", "waitlisted", "waitlisted"]

    slot = db.session.get(Slot, slot.id)
    released = release_seats(slot, 1)
    db.session.commit()
    assert released.seats == 1 and [r.id for r in released.promoted] == [first.id]
    assert statuses(db, first, second) == ["confirmed", "waitlisted"]
    assert (slot.booked, slot.reserved) == (2, 1)
    assert promoted_mail_to(db) == ["first@example.com"]
    assert waitlist.summary(released.promoted) == "候补名单中有 1 条报名递补成功，已通知本人。"


def test_a_cancellation_after_the_slot_ended_promotes_nobody(app, db, make_event,
                                                            make_registration):
    """Staff tidying up after the day (someone who never came) free the seat for the
    record; nobody on the waiting list gets a ticket for a session that has passed."""
    from app.services.registration import cancel_by_staff

    event = one_slot_event(make_event, capacity=1)
    holder = make_registration(event)
    waiting = make_registration(event, email="wait@example.com")
    with time_machine.travel(event.slots[0].ends_at + timedelta(minutes=1)):
        assert cancel_by_staff(holder, reason="未到场") == []
        db.session.commit()
    assert statuses(db, holder, waiting) == ["cancelled", "waitlisted"]
    assert promoted_mail_to(db) == []
