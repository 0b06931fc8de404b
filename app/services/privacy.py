"""Personal data: masking for staff screens and logs. (Retention and purge live here too.)"""
import re
import unicodedata


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


_DIGIT = "[0-9\uff10-\uff19]"
# A mainland mobile number as people type it: +86 / 86 first or not, spaces or dashes
# between digits, full-width digits.
PHONE_IN_TEXT = re.compile(
    rf"(?<![0-9\uff10-\uff19])(?:\+?86[\s-]?)?[1\uff11][3-9\uff13-\uff19]{_DIGIT}(?:[\s-]?{_DIGIT}){{8}}"
    rf"(?![0-9\uff10-\uff19])")
EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:\"'，。；：]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _masked_phone_match(match):
    digits = unicodedata.normalize("NFKC", re.sub(r"[\s+-]", "", match.group(0)))
    return mask_phone(digits[-11:])


# A WeChat ID after the word that names it (微信 / 微信号： / WeChat: / VX). The ID itself
# starts with a letter, as WeChat requires; a phone number given as the WeChat ID is left
# to the phone rule (which keeps the last 4 digits staff ask for).
WECHAT_IN_TEXT = re.compile(
    r"(?P<marker>(?:微信|(?<![A-Za-z])(?:WeChat|Weixin|VX)(?![A-Za-z]))[ \t\u3000]*"
    r"(?:号|ID(?=[ \t\u3000:：]))?[ \t\u3000]*(?:是|为)?[ \t\u3000]*[:：]?[ \t\u3000]*)"
    r"(?P<id>[A-Za-z][A-Za-z0-9_-]*)", re.IGNORECASE)


def mask_wechat(text):
    """微信 zh**** — the marker stays, so staff know the contact is a WeChat ID."""
    if not text:
        return text
    return WECHAT_IN_TEXT.sub(_masked_wechat_match, text)


def _masked_wechat_match(match):
    wechat_id = match.group("id")
    # Masked already (a purged comment, shown masked again): "zh****" stays, not "zh********".
    if len(wechat_id) <= 2 and match.string.startswith("****", match.end()):
        return match.group(0)
    return match.group("marker") + wechat_id[:2] + "****"


def mask_contacts(text):
    """The same text with every WeChat ID, phone number and e-mail address in it masked
    (微信 zh****, 138****1234, z***@example.com): for free text people typed, and for log
    lines."""
    if not text:
        return text
    text = mask_wechat(text)
    text = PHONE_IN_TEXT.sub(_masked_phone_match, text)
    return EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)


# Digits a contact may still hold once mobiles and e-mails are masked: a landline, with or
# without its area code (021-5771 2345), 7 digits or more.
_OTHER_NUMBER = re.compile(rf"{_DIGIT}(?:[\s-]?{_DIGIT}){{6,}}")


def mask_contact(contact):
    """The contact a citizen left for a reply, as staff screens show it: WeChat IDs, mobiles
    and e-mails (as mask_contacts does), and any other long number (a landline) down to its
    last 4 digits. Words around them (张先生, 下午, 微信) stay, so staff know whom to ask for
    and how."""
    if not contact:
        return contact
    masked = mask_contacts(contact)
    return _OTHER_NUMBER.sub(
        lambda m: "****" + unicodedata.normalize("NFKC", re.sub(r"[\s-]", "", m.group(0)))[-4:],
        masked)


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
    _mask_free_text(event)
    # The audit log is append-only for people; only this purge rewrites its details.
    db.session.execute(
        update(AuditLog).where(AuditLog.event_id == event.id)
        .values(detail={"purged": True}).execution_options(synchronize_session=False)
    )
    return erased


def _mask_free_text(event):
    """People type phone numbers and e-mail addresses into comments ("call me on ...") and
    staff copy them into follow-up notes: mask those, keep the rest of the words."""
    from sqlalchemy import or_, select

    from app.extensions import db
    from app.models import Feedback, FollowUp

    feedbacks = db.session.execute(
        select(Feedback).where(Feedback.event_id == event.id,
                               or_(Feedback.comment != "", Feedback.suggestions != ""))
    ).scalars()
    for feedback in feedbacks:
        _mask_fields(feedback, "comment", "suggestions")
    follow_ups = db.session.execute(
        select(FollowUp).where(FollowUp.event_id == event.id, FollowUp.action_note.is_not(None))
    ).scalars()
    for follow_up in follow_ups:
        _mask_fields(follow_up, "action_note")


def _mask_fields(row, *names):
    for name in names:
        value = getattr(row, name)
        masked = mask_contacts(value)
        if masked != value:
            setattr(row, name, masked)


def purge_due(now, retention_days):
    """Purge every event past its retention period. Returns {slug: rows anonymised}."""
    return {event.slug: purge_event(event, now)
            for event in events_due_for_purge(now, retention_days)}


def erase_refusal(registration):
    """Why the holder may not delete their personal data from the ticket page yet (a
    message), or None. Not while the registration is active; and not while the same
    volunteer still has another shift of the drive pending or approved: that application
    needs the name and phone, and the one e-mail sent for all the shifts hangs on the first."""
    from flask_babel import gettext as _

    if registration.status not in ("cancelled", "rejected"):
        return _("请先取消报名，再删除个人信息。")
    if registration.event.kind == "volunteer":
        from app.services.volunteers import other_active_applications

        if other_active_applications(registration):
            return _("您在本次招募中还有待审核或已通过的班次，这些申请还要用到您的姓名和手机号码。"
                     "请先退出那些班次，再删除个人信息。")
    return None


def erase_registration(registration, now):
    """A citizen's own deletion, from the ticket page, once the registration is cancelled
    (see erase_refusal)."""
    from app.services.errors import Conflict

    refusal = erase_refusal(registration)
    if refusal is not None:
        raise Conflict(refusal)
    registration.name = ERASED_NAME
    registration.phone = ""
    registration.email = None
    registration.organisation = registration.experience = registration.availability = None
    registration.cancel_reason = registration.review_reason = None
    registration.active_key = None
    registration.anonymised_at = now
    if registration.feedback is not None:
        registration.feedback.contact = None
        _mask_fields(registration.feedback, "comment", "suggestions")
        if registration.feedback.follow_up is not None:
            _mask_fields(registration.feedback.follow_up, "action_note")
    _erase_mail(registration)
    _erase_audit_details(registration)


def _erase_audit_details(registration):
    """Earlier audit rows about this registration keep who did what and when; their
    details (masked phone, a cancellation reason someone typed) go, as the purge does."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import AuditLog

    db.session.execute(
        update(AuditLog).where(AuditLog.target_type == "registration",
                               AuditLog.target_id == str(registration.id))
        .values(detail={"erased": True}).execution_options(synchronize_session=False))


def _erase_mail(registration):
    """The e-mails written to this person: address and text go; one still waiting is not
    sent any more (there is nobody left to send it to)."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import OutboxMessage

    erased = {"recipient": "", "body_text": "", "body_html": None, "qr_content": None}
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration.id, OutboxMessage.status == "queued")
        .values(status="failed", last_error="erased", **erased)
        .execution_options(synchronize_session=False))
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
        .values(**erased).execution_options(synchronize_session=False))
