"""The e-mail outbox. A message is a row written in the same transaction as the change
that caused it; ``send_queued`` delivers it after the commit and retries with backoff."""
import logging
import time
from datetime import timedelta
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_mail import Message
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db, mail
from app.models import OutboxMessage
from app.models.types import utcnow
from app.services.errors import Conflict

log = logging.getLogger("openday.mail")

SUBJECTS = {
    "confirmation": lambda r: _("报名成功：%(title)s", title=r.event.title),
    "waitlisted": lambda r: _("已进入候补名单：%(title)s", title=r.event.title),
    "promoted": lambda r: _("候补成功，您已获得名额：%(title)s", title=r.event.title),
    "cancelled": lambda r: _("报名已取消：%(title)s", title=r.event.title),
    "reminder": lambda r: _("活动提醒：%(title)s", title=r.event.title),
    "pending": lambda r: _("志愿者申请已收到：%(title)s", title=r.event.title),
    "approved": lambda r: _("志愿者申请已通过：%(title)s", title=r.event.title),
    "rejected": lambda r: _("志愿者申请结果：%(title)s", title=r.event.title),
    "feedback_invite": lambda r: _("请评价：%(title)s", title=r.event.title),
    "slot_changed": lambda r: _("场次变更：%(title)s", title=r.event.title),
}


def queue(kind, recipient, subject, body_text, body_html=None, *, registration=None,
          qr_content=None, dedupe_key=None, fresh=False):
    """Add a message to the outbox in the current transaction. With a ``dedupe_key`` a
    message already queued under that key is not queued again (returns None). ``fresh``:
    the key is new to the database (its registration was created in this transaction),
    so the message is only added to the session, and goes in with the next flush."""
    message = OutboxMessage(
        kind=kind, recipient=recipient, subject=subject, body_text=body_text,
        body_html=body_html, registration_id=getattr(registration, "id", None),
        qr_content=qr_content, dedupe_key=dedupe_key, next_attempt_at=utcnow(),
    )
    if fresh:
        db.session.add(message)
        return message
    if dedupe_key is not None and db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ).first():
        return None
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return None  # another worker queued the same once-only message
    return message


def queue_registration_mail(registration, kind, *, dedupe_key=None, fresh=False, **context):
    """Queue one of the registration's messages; silently nothing without an e-mail."""
    if not registration.email:
        return None
    from app.services.tickets import ticket_url

    context = {"registration": registration, "event": registration.event,
               "slot": registration.slot, "ticket_url": ticket_url(registration), **context}
    with_qr = registration.admits and registration.slot.mode == "onsite" and kind in (
        "confirmation", "promoted", "approved", "reminder")
    context["with_qr"] = with_qr
    # In the registrant's language, whoever causes the message (a worker, a staff member).
    with force_locale(registration.locale or "zh_Hans_CN"):
        subject = SUBJECTS[kind](registration)
        body_text = render_template(f"email/{kind}.txt", **context)
        body_html = render_template(f"email/{kind}.html", **context)
    return queue(
        kind,
        registration.email,
        subject,
        body_text,
        body_html,
        registration=registration,
        qr_content=ticket_url(registration) if with_qr else None,
        dedupe_key=dedupe_key,
        fresh=fresh,
    )


def _claim_next(tried):
    """The next due message not yet tried this round, locked for this worker until it
    commits."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= utcnow(),
               OutboxMessage.id.not_in(tried))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        # Several workers at once: each message is claimed by exactly one of them.
        query = query.with_for_update(skip_locked=True)
    return db.session.execute(query).scalar_one_or_none()


def build_message(row):
    message = Message(
        subject=row.subject, recipients=[row.recipient], body=row.body_text, html=row.body_html,
        sender=current_app.config.get("MAIL_DEFAULT_SENDER"),
    )
    message.msgId = make_msgid(idstring=f"outbox-{row.id}", domain="openday")
    if row.qr_content:
        from app.services.tickets import qr_png

        message.attach("ticket-qr.png", "image/png", qr_png(row.qr_content),
                       disposition="inline", headers={"Content-ID": "<ticket-qr>"})
    return message


def deliver(message, row):
    """Send through SMTP, or write an .eml file when no MAIL_SERVER is configured."""
    if current_app.config.get("MAIL_SERVER"):
        mail.send(message)
        return
    folder = Path(current_app.config["MAIL_OUTBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{row.id:08d}-{row.kind}.eml").write_bytes(message.as_bytes())


def send_queued(limit=100):
    """Send what is due, once. Returns (sent, failed_attempts).

    One message per transaction: the row stays locked while it is sent and is marked in
    the same commit, so a message is neither sent twice nor forgotten.
    """
    sent = failed = 0
    tried = []
    for _round in range(limit):
        row = _claim_next(tried)
        if row is None:
            break
        tried.append(row.id)
        try:
            deliver(build_message(row), row)
        except Exception as error:  # noqa: BLE001 - keep the error and retry later
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                row.status = "failed"
            else:
                delay = current_app.config["MAIL_RETRY_BASE_SECONDS"] * (2 ** (row.attempts - 1))
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            failed += 1
            log.warning("mail %s attempt %s failed: %s", row.id, row.attempts,
                        type(error).__name__)
            db.session.commit()
        else:
            row.status = "sent"
            row.sent_at = utcnow()
            row.attempts += 1
            row.last_error = None
            sent += 1
            db.session.commit()
    db.session.rollback()  # end the read that found nothing more to send
    return sent, failed


def run_worker(poll_seconds=2.0, once=False):
    """The worker loop behind `flask mail worker`: send, run the periodic jobs, sleep."""
    while True:
        try:
            run_periodic_jobs()
            send_queued()
        except Exception:  # noqa: BLE001 - the worker must survive a database hiccup
            db.session.rollback()
            log.exception("mail worker round failed")
        finally:
            # Never sleep inside a transaction: on SQLite it would hold the write lock.
            db.session.remove()
        if once:
            return
        time.sleep(poll_seconds)


# Jobs the worker runs each round (reminders, evaluation invitations); each registers here.
PERIODIC_JOBS = []


def periodic(job):
    PERIODIC_JOBS.append(job)
    return job


def run_periodic_jobs():
    for job in PERIODIC_JOBS:
        job()
        db.session.commit()


@periodic
def queue_reminders(now=None):
    """The day before a slot: one reminder per confirmed ticket with an e-mail address.

    A ticket is reminded when its slot starts within REMINDER_HOURS_BEFORE hours (24) and
    it was registered before that window opened (someone who registers later has just
    had the confirmation). ``reminder_sent_at`` and the dedupe key make it once only,
    even with several workers. Moving the slot's start clears ``reminder_sent_at``
    (services.slot_changes); the key names the start, so the new day is reminded too.
    """
    from app.models import Registration, Slot

    now = now or utcnow()
    window = timedelta(hours=current_app.config.get("REMINDER_HOURS_BEFORE", 24))
    due = db.session.execute(
        select(Registration)
        .join(Slot, Registration.slot_id == Slot.id)
        .where(Registration.status == "confirmed", Registration.reminder_sent_at.is_(None),
               Registration.email.is_not(None), Slot.starts_at > now,
               Slot.starts_at <= now + window)
        .order_by(Registration.id)
    ).scalars().all()
    queued = 0
    for registration in due:
        if registration.created_at > registration.slot.starts_at - window:
            continue
        registration.reminder_sent_at = now
        starts = registration.slot.starts_at.strftime("%Y%m%dT%H%MZ")
        if queue_registration_mail(registration, "reminder",
                                   dedupe_key=f"reminder:{registration.id}:{starts}") is not None:
            queued += 1
    db.session.flush()
    return queued


# --- What staff see of the outbox ------------------------------------------------------------

KIND_LABELS = {
    "confirmation": _l("报名确认"), "waitlisted": _l("候补通知"), "promoted": _l("候补转正"),
    "cancelled": _l("取消通知"), "reminder": _l("活动前一天提醒"), "pending": _l("志愿者申请受理"),
    "approved": _l("志愿者申请通过"), "rejected": _l("志愿者申请结果"),
    "feedback_invite": _l("评价邀请"), "slot_changed": _l("场次变更通知"),
}
TROUBLED_SHOWN = 200


def outbox_overview():
    """The outbox as staff need to see it: how many messages wait, went out and failed,
    and the ones in trouble (failed for good, or waiting for a retry after an error),
    newest first, at most TROUBLED_SHOWN."""
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    messages = db.session.execute(
        select(OutboxMessage)
        .where(or_(OutboxMessage.status == "failed",
                   and_(OutboxMessage.status == "queued", OutboxMessage.last_error.is_not(None))))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(TROUBLED_SHOWN)
    ).scalars().all()
    return {"queued": counts.get("queued", 0), "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0), "troubled": [_as_seen(m) for m in messages]}


def _as_seen(message):
    """A message as a staff screen may show it: the address masked, and the error too
    (an SMTP answer may quote the address)."""
    from app.logging import mask_secrets
    from app.services.privacy import mask_email

    return {"id": message.id, "kind": str(KIND_LABELS.get(message.kind, message.kind)),
            "recipient": mask_email(message.recipient) or "—", "status": message.status,
            "created_at": message.created_at, "attempts": message.attempts,
            "next_attempt_at": message.next_attempt_at,
            "error": mask_secrets(message.last_error or "")[:300],
            "registration_id": message.registration_id}


def failed_count():
    return db.session.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "failed")
    ).scalar_one()


def retry(message):
    """Put a message that failed for good back in the queue, due now, its attempts counted
    afresh (after the address or the mail server was put right)."""
    if message.status != "failed":
        raise Conflict(_("这封邮件没有发送失败，无需重发。"))
    message.status = "queued"
    message.attempts = 0
    message.next_attempt_at = utcnow()
