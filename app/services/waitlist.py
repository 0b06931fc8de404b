"""The waiting list: when seats free up, promote waiting registrations in order, each
whose party fits."""
from sqlalchemy import select

from app.extensions import db
from app.models import Registration
from app.services.registration import take_seats, utcnow


def promote(slot, now=None):
    waiting = db.session.execute(
        select(Registration)
        .where(Registration.slot_id == slot.id, Registration.status == "waitlisted")
        .order_by(Registration.waitlisted_at, Registration.id)
    ).scalars().all()
    promoted = []
    for registration in waiting:
        if take_seats(slot.id, registration.party_size):
            registration.status = "confirmed"
            registration.updated_at = now or utcnow()
            promoted.append(registration)
    db.session.flush()
    if promoted:
        from app.services.mail import queue_registration_mail

        for registration in promoted:
            queue_registration_mail(registration, "promoted")
    db.session.refresh(slot)
    return promoted
