"""The waiting list: when seats free up, promote waiting registrations in order, each
whose party fits. Seats free up when someone cancels (services.registration.cancel) and
when staff add them: a slot's capacity raised (services.events.save_event_telling_holders,
the admin form and `flask events import`) or reserved seats released to the public
(services.invitations.release_seats)."""
from flask_babel import gettext as _
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Registration
from app.services.registration import take_seats, utcnow


def promote(slot, now=None):
    now = now or utcnow()
    if slot.ends_at <= now:
        # Over: nobody is promoted (and mailed a ticket) into a session that has passed.
        return []
    waiting = db.session.execute(
        select(Registration)
        .where(Registration.slot_id == slot.id, Registration.status == "waitlisted")
        .order_by(Registration.waitlisted_at, Registration.id)
    ).scalars().all()
    promoted = []
    for registration in waiting:
        # Claim the registration first, conditionally, so that two transactions promoting
        # at once cannot both confirm it and take its seats twice. (cancel() claims the
        # registration it cancels the same way, so its seats are freed once; this keeps
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


def places_ahead(registration):
    """How many registrations wait before ``registration`` on its slot's list (the order
    promotion follows), or None when it is not waiting."""
    if registration.status != "waitlisted":
        return None
    return db.session.execute(
        select(func.count()).select_from(Registration).where(
            Registration.slot_id == registration.slot_id,
            Registration.status == "waitlisted",
            tuple_(Registration.waitlisted_at, Registration.id)
            < tuple_(registration.waitlisted_at, registration.id))
    ).scalar_one()


def offer_added_seats(slots, now=None):
    """Seats that staff added to ``slots`` go to each one's waiting list first, as a
    cancellation's do; otherwise the next public registrant would take them ahead of the
    people waiting. Returns the registrations promoted."""
    now = now or utcnow()
    promoted = []
    for slot in slots:
        # A slot that is over: a capacity raised afterwards corrects the record, and nobody
        # is to be promoted (and mailed) into a day that has passed.
        if slot.ends_at <= now or slot.seats_left <= 0:
            continue
        promoted.extend(promote(slot, now))
    return promoted


def summary(promoted):
    """What staff are told after a change promoted ``promoted``: how many, and how many
    must be phoned (only those with an e-mail address get the message)."""
    without_email = sum(1 for registration in promoted if not registration.email)
    if not without_email:
        return _("候补名单中有 %(n)d 条报名递补成功，已通知本人。", n=len(promoted))
    return _("候补名单中有 %(n)d 条报名递补成功：已向 %(mailed)d 位发送邮件，"
             "%(phone)d 位未留邮箱，需电话通知。", n=len(promoted),
             mailed=len(promoted) - without_email, phone=without_email)


def _set_status(registration, old, new, now):
    result = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status == old)
        .values(status=new, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
