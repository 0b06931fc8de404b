"""The registration rules, called directly."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.models import OutboxMessage, Slot
from app.services.errors import AlreadyRegistered, Conflict, SlotFull
from app.services.registration import cancel_by_holder, display_status, normalise_phone, register


@pytest.mark.parametrize("typed,stored", [
    ("+86 139 0000 1111", "13900001111"),
    ("１３９００００２２２２", "13900002222"),
    ("139-0000-1111", "13900001111"),
    ("8613900001111", "13900001111"),
    ("+86 (139) 0000.1111", "13900001111"),
    ("  13900001111  ", "13900001111"),
])
def test_phones_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["", "1390000111", "139000011112", "12900001111", "+1 415 555 0100",
                                   "139OOOO1111", "电话13900001111", None])
def test_bad_phones_are_refused(typed):
    assert normalise_phone(typed) is None


def test_party_takes_its_seats_and_the_last_seat_is_not_oversold(app, db, make_event):
    event = make_event()
    slot = event.slots[0]
    register(event, slot, name="甲", phone="13900000001", party_size=4)
    register(event, slot, name="乙", phone="13900000002", party_size=4)
    db.session.commit()
    with pytest.raises(SlotFull):
        register(event, slot, name="丙", phone="13900000003", party_size=3)
    db.session.rollback()
    register(event, slot, name="丁", phone="13900000004", party_size=2)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).booked == 10


def test_same_phone_in_another_form_is_refused(app, db, make_event):
    event = make_event()
    register(event, event.slots[0], name="甲", phone="13900000001", submission_key="a" * 20)
    with pytest.raises(AlreadyRegistered):
        register(event, event.slots[0], name="甲", phone="+86 13900000001",
                 submission_key="b" * 20)


def test_same_submission_returns_the_first_registration(app, db, make_event):
    event = make_event()
    first = register(event, event.slots[0], name="甲", phone="13900000001",
                     submission_key="a" * 20)
    db.session.commit()
    again = register(event, event.slots[0], name="甲", phone="13900000001",
                     submission_key="a" * 20)
    assert again.id == first.id


def test_holder_cannot_cancel_after_the_slot_ended(app, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    with pytest.raises(Conflict):
        cancel_by_holder(registration, now=event.slots[0].ends_at + timedelta(minutes=1))
    assert registration.status == "confirmed"


def test_cancelling_a_waitlisted_ticket_frees_no_seats(app, db, make_event, make_registration):
    event = make_event(waitlist=True)
    for _ in range(10):
        make_registration(event)
    waiting = make_registration(event)
    assert display_status(waiting) == "waitlisted"
    cancel_by_holder(waiting)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Slot, event.slots[0].id).booked == 10


def test_a_booking_that_loses_the_last_seats_at_the_update_mails_the_waiting_list(
        app, db, make_event):
    """The page read a free seat, but another booking took it before this one's UPDATE:
    the registration waits, and its one message says so (not the confirmation written
    before the seats were taken)."""
    event = make_event(waitlist=True)
    slot = event.slots[0]
    assert slot.seats_left > 0  # what this request read
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=Slot.capacity)
                       .execution_options(synchronize_session=False))
    registration = register(event, slot, name="甲", phone="13900000001",
                            email="jia@example.com", mail=True)
    db.session.commit()
    assert registration.status == "waitlisted"
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [(m.kind, m.dedupe_key) for m in messages] == [
        ("waitlisted", f"waitlisted:{registration.id}")]
    assert "候补" in messages[0].subject


def test_a_party_larger_than_the_public_seats_never_joins_the_waiting_list(app, db, make_event):
    """Promotion takes public seats only (capacity less the invitees' reserve), so such a
    party would wait forever. A party that fits the slot still waits, also when it loses
    the seats it read as free at the UPDATE."""
    from app.services.invitations import reserve_seats
    from tests.conftest import event_data

    event = make_event(waitlist=True, slots=[dict(event_data()["slots"][0], capacity=5)])
    slot = event.slots[0]
    reserve_seats(slot, 2)
    with pytest.raises(SlotFull) as refused:
        register(event, slot, name="甲", phone="13900000001", party_size=4)
    assert refused.value.field == "party_size" and "最多 3 人" in str(refused.value.message)
    assert slot.seats_left == 3  # what this request read: three seats free
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=3)
                       .execution_options(synchronize_session=False))
    assert register(event, slot, name="乙", phone="13900000002", party_size=3).status == \
        "waitlisted"
