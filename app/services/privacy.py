"""Personal data: masking for staff screens and logs. (Retention and purge live here too.)"""


def mask_phone(phone):
    """138****1234 — never show a full phone number on a staff screen or in a log."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name):
    """张** / 欧阳** — enough for a steward to recognise someone in front of them."""
    if not name:
        return ""
    return name[0] + "*" * min(max(len(name) - 1, 1), 2)


def mask_email(email):
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


# --- Retention (PIPL): personal data goes a set number of days after the event ---------

ERASED_NAME = "（已删除）"


def events_due_for_purge(now, retention_days):
    """Events whose last slot ended more than ``retention_days`` ago."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Event, Slot

    cutoff = now - timedelta(days=retention_days)
    last_end = (select(Slot.event_id, func.max(Slot.ends_at).label("last_end"))
                .group_by(Slot.event_id).subquery())
    return db.session.execute(
        select(Event).join(last_end, last_end.c.event_id == Event.id)
        .where(last_end.c.last_end < cutoff)
    ).scalars().all()


def purge_event(event, now):
    """Anonymise an event's personal data, keeping every count that reports need
    (registrations, party sizes, statuses, check-ins, ratings). Returns rows anonymised."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.models import AuditLog, Feedback, OutboxMessage, Registration

    registration_ids = select(Registration.id).where(Registration.event_id == event.id)
    erased = db.session.execute(
        update(Registration)
        .where(Registration.event_id == event.id, Registration.anonymised_at.is_(None))
        .values(name=ERASED_NAME, phone="", email=None, organisation=None, experience=None,
                availability=None, cancel_reason=None, review_reason=None, active_key=None,
                anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Feedback).where(Feedback.event_id == event.id, Feedback.contact.is_not(None))
        .values(contact=None).execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.registration_id.in_(registration_ids))
        .values(recipient="", body_text="", body_html=None, qr_content=None)
        .execution_options(synchronize_session=False)
    )
    # The audit log is append-only for people; only this purge rewrites its details.
    db.session.execute(
        update(AuditLog).where(AuditLog.event_id == event.id)
        .values(detail={"purged": True}).execution_options(synchronize_session=False)
    )
    return erased


def purge_due(now, retention_days):
    """Purge every event past its retention period. Returns {slug: rows anonymised}."""
    return {event.slug: purge_event(event, now)
            for event in events_due_for_purge(now, retention_days)}


def erase_registration(registration, now):
    """A citizen's own deletion, from the ticket page, once the registration is cancelled."""
    from flask_babel import gettext as _

    from app.services.errors import Conflict

    if registration.status not in ("cancelled", "rejected"):
        raise Conflict(_("请先取消报名，再删除个人信息。"))
    registration.name = ERASED_NAME
    registration.phone = ""
    registration.email = None
    registration.organisation = registration.experience = registration.availability = None
    registration.active_key = None
    registration.anonymised_at = now
    if registration.feedback is not None:
        registration.feedback.contact = None
