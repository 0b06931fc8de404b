"""Personal data: masking for staff screens and logs. (Retention and purge live here too.)"""
import json
import re
import unicodedata


def mask_phone(phone):
    """138****1234 — never show a full phone number on a staff screen or in a log."""
    if not phone or is_stand_in(phone):  # a purged volunteer's (see STAND_IN): nothing
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
# Its local part stops at what ends a URL's path or query field ("/x?q=zhang@example.com"
# keeps "/x?q="): no mailbox people use has "/", "?", "=" or "&" in its name.
EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:\"'，。；：/?=&]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


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
# What a message's error says once the purge, or the holder, took its address and text: the
# staff outbox screen shows it as the reason the message was not (or no longer) sent.
PURGED_MAIL, ERASED_MAIL = "purged", "erased"
# The audit details the purge, or the holder's own deletion, left: such a row is done. As
# stored: SQLAlchemy writes JSON with json.dumps, on SQLite and PostgreSQL alike.
CLEARED_DETAILS = (json.dumps({"purged": True}), json.dumps({"erased": True}))

# A purged volunteer's phone becomes a stand-in: "~" and the id of a registration of the same
# person. The reports count volunteers as people, told apart by phone: a person on two
# shifts, or on two drives of the quarter (or year), counts once. A blank phone made every
# purged volunteer one person; a stand-in per person keeps the count and holds nothing of
# the number.
#
# Across drives: the stand-in points at a registration of the same person that is still
# held, in a drive of the same calendar year (a report covers a quarter or a year), and
# reports follow it to that phone (``people_behind``); with none, at one of the person's own
# purged shifts, and so names them alone. When that registration goes in turn, it passes
# the pointer on the same way, so purged rows are never rewritten. This keeps the one link
# the figures need ("the same person as that live registration"), only while that
# registration is held, and only within the year. A shift registered after an earlier drive
# was purged cannot be linked to it (nothing of the phone is left to match): that person
# then counts twice, the price of keeping no hash of the number.
STAND_IN = "~"


def is_stand_in(phone):
    return bool(phone) and phone.startswith(STAND_IN)


def _stand_ins(rows):
    """{registration id: stand-in} for volunteer registrations about to lose their phone,
    ``rows`` being (id, phone, slot start); one stand-in per person (phone) among them."""
    from collections import defaultdict
    from zoneinfo import ZoneInfo

    from flask import current_app
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Event, Registration, Slot
    from app.models.registration import ACTIVE_STATUSES

    tz = ZoneInfo(current_app.config["TIMEZONE"])
    going = {row_id for row_id, _phone, _start in rows}
    people = defaultdict(lambda: ([], set()))  # phone: (ids, years)
    for row_id, phone, starts_at in rows:
        if phone and not is_stand_in(phone):
            people[phone][0].append(row_id)
            people[phone][1].add(starts_at.astimezone(tz).year)
    held = defaultdict(list)  # phone: [(not active, id)] of the person's registrations kept
    phones = list(people)
    for i in range(0, len(phones), 500):
        for row_id, phone, status, starts_at in db.session.execute(
                select(Registration.id, Registration.phone, Registration.status, Slot.starts_at)
                .join(Slot, Slot.id == Registration.slot_id)
                .join(Event, Event.id == Registration.event_id)
                .where(Event.kind == "volunteer", Registration.anonymised_at.is_(None),
                       Registration.phone.in_(phones[i:i + 500]))):
            if row_id not in going and starts_at.astimezone(tz).year in people[phone][1]:
                # An active one first: only a cancelled one can be erased by its holder.
                held[phone].append((status not in ACTIVE_STATUSES, row_id))
    stand_ins = {}
    for phone, (ids, _years) in people.items():
        target = min(held[phone])[1] if held[phone] else min(ids)
        stand_ins.update(dict.fromkeys(ids, f"{STAND_IN}{target}"))
    return stand_ins


def people_behind(phones):
    """{stored phone: the person it stands for}, for counting people: a phone is its own
    person; a stand-in is followed to the phone of the registration it points at, or,
    where the chain ends at a purged one, is the person itself."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Registration

    def pointed_at(stand_in):
        return int(stand_in[len(STAND_IN):])

    people = {phone: phone for phone in phones}
    following = {phone: phone for phone in phones if is_stand_in(phone)}
    visited = {phone: {phone} for phone in following}
    while following:
        found = dict(db.session.execute(
            select(Registration.id, Registration.phone)
            .where(Registration.id.in_({pointed_at(s) for s in following.values()}))).all())
        onward = {}
        for phone, stand_in in following.items():
            # A registration gone, or erased before stand-ins were passed on: the chain ends.
            target = found.get(pointed_at(stand_in)) or stand_in
            if not is_stand_in(target):
                people[phone] = target
            elif target == stand_in or target in visited[phone]:
                # Pointing at itself: the end. (Chains never loop; this only stops a broken one.)
                people[phone] = stand_in
            else:
                visited[phone].add(target)
                onward[phone] = target
        following = onward
    return people


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
        .where(last_end.c.last_end < cutoff).order_by(Event.id)
    ).scalars().all()


def purge_event(event, now):
    """Anonymise an event's personal data, keeping every count that reports need
    (registrations, party sizes, statuses, check-ins, ratings, and volunteers as people).
    Only what is still personal is touched, so that a second run changes nothing. Returns
    (registrations anonymised, rows changed in all)."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.models import Feedback, OutboxMessage, Registration, Slot

    anonymise = Registration.event_id == event.id, Registration.anonymised_at.is_(None)
    stand_ins = {}
    if event.kind == "volunteer":  # only volunteers are counted as people (see STAND_IN)
        stand_ins = _stand_ins(db.session.execute(
            select(Registration.id, Registration.phone, Slot.starts_at)
            .join(Slot, Slot.id == Registration.slot_id).where(*anonymise)).all())
    erased = db.session.execute(
        update(Registration).where(*anonymise)
        .values(name=ERASED_NAME, phone="", email=None, organisation=None, experience=None,
                availability=None, cancel_reason=None, review_reason=None, active_key=None,
                anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if stand_ins:
        from sqlalchemy import bindparam

        table = Registration.__table__
        db.session.execute(
            update(table).where(table.c.id == bindparam("row_id"))
            .values(phone=bindparam("stand_in")),
            [{"row_id": row_id, "stand_in": stand_in} for row_id, stand_in in stand_ins.items()])
    changed = erased + db.session.execute(
        update(Feedback).where(Feedback.event_id == event.id, Feedback.contact.is_not(None))
        .values(contact=None).execution_options(synchronize_session=False)
    ).rowcount
    changed += _blank_mail(OutboxMessage.registration_id.in_(
        select(Registration.id).where(Registration.event_id == event.id)), PURGED_MAIL)
    changed += _mask_free_text(event)
    changed += _purge_audit(event)
    return erased, changed


def _purge_audit(event):
    """The event's audit rows keep who did what and when. Their details go (names, reasons
    people typed), except an export's, once: a row cleared before is left as it is, one written since (a staff
    export) is cleared now. The address a citizen acted from goes too (a row with no staff
    member behind it: an invitation used, a ticket erased); staff addresses stay with what
    staff did. The audit log is append-only for people; only the privacy rules rewrite it,
    with bulk UPDATEs."""
    from sqlalchemy import Text, cast, update

    from app.extensions import db
    from app.models import AuditLog

    # An export's row names no person (which file, its format, how many records) and is
    # what an auditor asks about years on ("what left the office?"): it stays whole.
    changed = db.session.execute(
        update(AuditLog)
        .where(AuditLog.event_id == event.id, cast(AuditLog.detail, Text).not_in(CLEARED_DETAILS),
               AuditLog.action != "export", AuditLog.action.not_like("export.%"))
        .values(detail={"purged": True}).execution_options(synchronize_session=False)
    ).rowcount
    return changed + db.session.execute(
        update(AuditLog)
        .where(AuditLog.event_id == event.id, AuditLog.actor_id.is_(None),
               AuditLog.ip.is_not(None))
        .values(ip=None).execution_options(synchronize_session=False)
    ).rowcount


def _mask_free_text(event):
    """People type phone numbers, landlines and e-mail addresses into comments ("call me on
    ...") and staff copy them into follow-up notes, invitation labels ("人大代表 钱七 135...")
    and the gate field of a check-in: mask those, keep the rest of the words. Returns the
    rows changed."""
    from sqlalchemy import or_, select

    from app.extensions import db
    from app.models import CheckIn, Feedback, FollowUp, Invitation

    texts = (
        (Feedback, or_(Feedback.comment != "", Feedback.suggestions != ""), ("comment", "suggestions")),
        (FollowUp, FollowUp.action_note.is_not(None), ("action_note",)),
        (Invitation, Invitation.label != "", ("label",)),
        (CheckIn, CheckIn.gate != "", ("gate",)),
    )
    changed = 0
    for model, has_text, names in texts:
        for row in db.session.execute(
                select(model).where(model.event_id == event.id, has_text)).scalars():
            changed += _mask_fields(row, *names)
    db.session.flush()
    return changed


def _mask_fields(row, *names):
    """Mask the contacts in these texts of ``row`` as staff screens show a reply contact
    (``mask_contact``: mobiles, e-mails, WeChat IDs, and landlines, which mask_contacts leaves).
    Returns 1 when anything changed. Masking what is masked changes nothing."""
    changed = 0
    for name in names:
        value = getattr(row, name)
        masked = mask_contact(value)
        if masked != value:
            length = getattr(type(row).__table__.c[name].type, "length", None)
            setattr(row, name, masked[:length] if length else masked)  # 微信 ab → 微信 ab****
            changed = 1
    return changed


def purge_due(now, retention_days):
    """Purge every event past its retention period. Returns {slug: registrations
    anonymised} for the events this run changed: an event purged before, with nothing new
    since, is left out, so a daily run says nothing (and the CLI audits nothing) for it."""
    done = {}
    for event in events_due_for_purge(now, retention_days):
        erased, changed = purge_event(event, now)
        if changed:
            done[event.slug] = erased
    return done


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


def erase_by_holder(registration, now):
    """The holder's "delete my data" button: erase (see erase_registration) and audit it,
    once. The registration is claimed first with a conditional UPDATE on ``anonymised_at``,
    so that of two requests that both read the data as still there (a double tap; on
    PostgreSQL neither waits to read) only one erases and writes the audit row. Returns
    False when it had been erased already."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Registration
    from app.services import audit
    from app.services.errors import Conflict

    refusal = erase_refusal(registration)
    if refusal is not None:
        raise Conflict(refusal)
    claimed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.anonymised_at.is_(None))
        .values(anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        db.session.refresh(registration)
        return False
    erase_registration(registration, now)
    row = audit.record("registration.erase", registration, event=registration.event,
                       detail={"status": registration.status})
    row.ip = None  # the holder's address is personal data too
    return True


def erase_registration(registration, now):
    """A citizen's own deletion, from the ticket page, once the registration is cancelled
    (see erase_refusal)."""
    from app.services.errors import Conflict

    refusal = erase_refusal(registration)
    if refusal is not None:
        raise Conflict(refusal)
    registration.name = ERASED_NAME
    registration.phone = _erased_phone(registration)
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


def _erased_phone(registration):
    """"" — unless a purged volunteer's stand-in points at this registration (see STAND_IN):
    it then passes the pointer on, so the purged shifts still count as the same person."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Registration

    if registration.event.kind != "volunteer" or not registration.phone:
        return ""
    pointed_at = db.session.execute(
        select(Registration.id).where(Registration.phone == f"{STAND_IN}{registration.id}")
        .limit(1)).first()
    if pointed_at is None:
        return ""
    return _stand_ins([(registration.id, registration.phone, registration.slot.starts_at)])[
        registration.id]


def _erase_audit_details(registration):
    """Earlier audit rows about this registration keep who did what and when; their
    details (masked phone, a cancellation reason someone typed) go, as the purge does."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.models import AuditLog

    db.session.execute(
        update(AuditLog).where(AuditLog.target_type == "registration",
                               AuditLog.target_id == str(registration.id))
        .values(detail={"erased": True}).execution_options(synchronize_session=False))
    # What the holder did themselves (no staff actor) kept their address: it goes too.
    db.session.execute(
        update(AuditLog).where(AuditLog.target_type == "registration",
                               AuditLog.target_id == str(registration.id),
                               AuditLog.actor_id.is_(None))
        .values(ip=None).execution_options(synchronize_session=False))
    # Registering through an invitation link is logged on the invitation, with the ticket
    # number and the invitee's address: the row stays (the link was used), those go.
    if registration.invitation_id is not None:
        used = db.session.execute(select(AuditLog.id, AuditLog.detail).where(
            AuditLog.action == "invitation.register", AuditLog.target_type == "invitation",
            AuditLog.target_id == str(registration.invitation_id))).all()
        theirs = [row_id for row_id, detail in used
                  if (detail or {}).get("ticket_number") == registration.ticket_number]
        if theirs:
            db.session.execute(
                update(AuditLog).where(AuditLog.id.in_(theirs))
                .values(detail={"erased": True}, ip=None)
                .execution_options(synchronize_session=False))


def _erase_mail(registration):
    """The e-mails written to this person: see _blank_mail."""
    from app.models import OutboxMessage

    _blank_mail(OutboxMessage.registration_id == registration.id, ERASED_MAIL)


def _blank_mail(which, reason):
    """Blank the address and text of the messages ``which`` selects, and delete the copies
    written as .eml files (no MAIL_SERVER). One still waiting is not sent any more (there is
    nobody left to send it to): it fails, giving ``reason``; so does a server's error, which
    may quote the address ("SMTPRecipientsRefused: {'a@b.cn': ..."). A message blanked
    before is left as it is. Returns the messages changed."""
    from sqlalchemy import and_, case, or_, select, update

    from app.extensions import db
    from app.models import OutboxMessage as Message

    _delete_mail_files(db.session.execute(select(Message.id).where(which)).scalars().all())

    personal = or_(Message.recipient != "", Message.body_text != "", Message.body_html.is_not(None),
                   Message.qr_content.is_not(None), Message.status == "queued",
                   and_(Message.last_error.is_not(None),
                        Message.last_error.not_in((PURGED_MAIL, ERASED_MAIL))))
    # Each CASE reads the row as it was before this UPDATE.
    return db.session.execute(
        update(Message).where(which, personal)
        .values(recipient="", body_text="", body_html=None, qr_content=None,
                status=case((Message.status == "queued", "failed"), else_=Message.status),
                last_error=case((or_(Message.status == "queued", Message.last_error.is_not(None)),
                                 reason), else_=None))
        .execution_options(synchronize_session=False)
    ).rowcount


def _delete_mail_files(message_ids):
    """The .eml files the mail worker wrote for these messages (app/services/mail.py names
    them ``<id, 8 digits>-<kind>.eml`` in MAIL_OUTBOX_DIR) hold the address, the name and the
    ticket link. Deleted before the commit: should it fail, the rows still hold the text."""
    from pathlib import Path

    from flask import current_app

    configured = current_app.config.get("MAIL_OUTBOX_DIR")
    if not message_ids or not configured or not Path(configured).is_dir():
        return
    folder = Path(configured)
    prefixes = {f"{message_id:08d}-" for message_id in message_ids}
    for path in folder.glob("*.eml"):
        if path.name[:path.name.find("-") + 1] in prefixes:
            path.unlink(missing_ok=True)
