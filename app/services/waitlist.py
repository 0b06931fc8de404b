"""The waiting list: when seats free up, promote waiting registrations in order, each
whose party fits."""
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Registration
from app.services.registration import take_seats, utcnow


def promote(slot, now=None):
    now = now or utcnow()
    waiting = db.session.execute(
        select(Registration)
        .where(Registration.slot_id == slot.id, Registration.status == "waitlisted")
        .order_by(Registration.waitlisted_at, Registration.id)
    ).scalars().all()
    promoted = []
    for registration in waiting:
        # Claim the registration first, conditionally, so that two transactions promoting
        # at once cannot both confirm it and take its seats twice. (cancel() updates the
        # slot row first, which already serialises cancellations of one slot; this keeps
        # promote() safe when called on its own, e.g. after staff add seats.)
        if not _set_status(registration, "waitlisted", "confirmed", now):
            continue
        if take_seats(slot.id, registration.party_size):
            set_committed_value(registration, "status", "confirmed")
            promoted.append(registration)
        else:
            _set_status(registration, "confirmed", "waitlisted", now)  # party does not fit
    db.session.flush()
    if promoted:
        from app.services.mail import queue_registration_mail

        for registration in promoted:
            queue_registration_mail(registration, "promoted")
    db.session.refresh(slot)
    return promoted


def _set_status(registration, old, new, now):
    result = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status == old)
        .values(status=new, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
