"""The e-mail outbox. A message is a row written in the same transaction as the change
that caused it; ``send_queued`` delivers it after the commit and retries with backoff."""
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_mail import Connection, Message
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.extensions import db
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


# How a failed attempt counts (see _kind_of_failure).
UNREACHABLE = "unreachable"  # the server, the link or our settings for it: not the message
TEMPORARY = "temporary"      # the server refused this message for now (4xx): counts
PERMANENT = "permanent"      # the server refused this message for good (5xx): no retry


@dataclass(frozen=True)
class Claimed:
    """What a worker needs of a claimed message to send it, read before the claim commits:
    sending touches no row, so no transaction (on SQLite, the write lock) stays open."""

    id: int
    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    qr_content: str | None
    created_at: datetime
    lease: datetime  # the claim's next_attempt_at: proves the claim is still this worker's
    withdrawn: bool = False  # no longer true (see _withdraw_if_stale): deleted, not sent


# The ticket's status a kind of message is only true for. One that waited past a change (a
# mail server down for hours, a staff member's resend of a failed one) would tell someone
# who holds no seat to come and show their QR code, or someone promoted that they wait
# (after an outage, perhaps after the promotion's own message). A ticket mail stays: it
# was true when given, and the cancellation's message follows it.
TRUE_WHILE = {"reminder": "confirmed", "feedback_invite": "confirmed",
              "waitlisted": "waitlisted"}


def _claim_next(tried):
    """Claim the next due message not yet tried this round, in one short transaction.

    The claim moves the message's next_attempt_at MAIL_CLAIM_SECONDS ahead, so no other
    worker takes it while this one sends, and one whose worker died is due again then.
    It is one UPDATE, so two workers never claim the same message; on PostgreSQL its
    subquery skips rows another worker is claiming at this moment."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    earlier = aliased(OutboxMessage)
    # A ticket's messages go out in the order they were written: after an outage the
    # 报名成功 whose retry is not yet due must not arrive after the 报名已取消 that
    # followed it (nor while another worker is still sending it).
    waits_for_an_earlier_one = (
        select(earlier.id)
        .where(earlier.registration_id == OutboxMessage.registration_id,
               earlier.id < OutboxMessage.id, earlier.status == "queued")
        .exists()
    )
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now,
               OutboxMessage.id.not_in(tried), ~waits_for_an_earlier_one)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed_id = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == due.scalar_subquery())
        .values(next_attempt_at=lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed_id is None:
        db.session.rollback()
        return None
    row = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.id == claimed_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    claimed = Claimed(id=row.id, kind=row.kind, recipient=row.recipient, subject=row.subject,
                      body_text=row.body_text, body_html=row.body_html,
                      qr_content=row.qr_content, created_at=row.created_at, lease=lease,
                      withdrawn=_withdraw_if_stale(row))
    db.session.commit()
    return claimed


def _withdraw_if_stale(row):
    """Delete a claimed message that its ticket's status no longer bears out (TRUE_WHILE):
    cancelled by the holder or by staff, erased, promoted, removed; True when it was."""
    if row.kind not in TRUE_WHILE or row.registration_id is None:
        return False
    from app.models import Registration

    status = db.session.execute(
        select(Registration.status).where(Registration.id == row.registration_id)
    ).scalar_one_or_none()
    if status == TRUE_WHILE[row.kind]:
        return False
    db.session.delete(row)
    log.info("mail %s (%s) withdrawn: its ticket is %s now", row.id, row.kind, status)
    return True


class MessageWithPictures(Message):
    """Flask-Mail's message, with its pictures shown in the text, not beside it: the HTML
    and the QR code it shows (cid:ticket-qr) go in a multipart/related (RFC 2387), the
    form mail programs read as "this page and its pictures". Flask-Mail puts them in a
    multipart/mixed, which some (Apple Mail, several webmails) show as an attachment under
    the message as well."""

    def _message(self):
        message = super()._message()
        parts = message.get_payload() if message.is_multipart() else []
        if (message.get_content_subtype() == "mixed" and len(parts) > 1
                and parts[0].get_content_type() == "multipart/alternative"
                and all(part.get("Content-ID") for part in parts[1:])):
            message.set_type("multipart/related")
            message.set_param("type", "multipart/alternative")
        return message


def build_message(row):
    message = MessageWithPictures(
        subject=row.subject, recipients=[row.recipient], body=row.body_text, html=row.body_html,
        sender=current_app.config.get("MAIL_DEFAULT_SENDER"),
    )
    message.msgId = make_msgid(idstring=f"outbox-{row.id}", domain="openday")
    if row.qr_content:
        from app.services.tickets import qr_png

        message.attach("ticket-qr.png", "image/png", qr_png(row.qr_content),
                       disposition="inline", headers={"Content-ID": "<ticket-qr>"})
    return message


class SMTPConnection(Connection):
    """Flask-Mail's connection (its settings, its suppression under TESTING), with two
    changes: every socket operation times out after MAIL_TIMEOUT seconds (Flask-Mail 0.10
    has no such setting; a server that accepts and never answers would hang the worker),
    and once the server has accepted the message, a failure to say goodbye is not a
    failure to send (retrying it would deliver the message again)."""

    def configure_host(self):
        settings, timeout = self.mail, current_app.config["MAIL_TIMEOUT"]
        if settings.use_ssl:
            host = smtplib.SMTP_SSL(settings.server, settings.port, timeout=timeout)
        else:
            host = smtplib.SMTP(settings.server, settings.port, timeout=timeout)
        try:
            host.set_debuglevel(int(settings.debug))
            if settings.use_tls:
                host.starttls()
            if settings.username and settings.password:
                host.login(settings.username, settings.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb):
        if self.host is None:
            return
        if exc_type is not None:
            self.host.close()  # no QUIT on a broken exchange: its error is the one to keep
            return
        try:
            self.host.quit()
        except OSError as error:  # smtplib's errors are OSErrors too
            log.info("mail server closed badly after accepting a message: %s",
                     type(error).__name__)
            self.host.close()


def deliver(message, row):
    """Send through SMTP, or write an .eml file when no MAIL_SERVER is configured."""
    if current_app.config.get("MAIL_SERVER"):
        with SMTPConnection(current_app.extensions["mail"]) as connection:
            message.send(connection)
        return
    path = mail_file(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message.as_bytes())


def mail_file(row):
    """Where a message goes without MAIL_SERVER (app/services/privacy.py finds it by its id)."""
    return Path(current_app.config["MAIL_OUTBOX_DIR"]) / f"{row.id:08d}-{row.kind}.eml"


def _kind_of_failure(error):
    """Whether an error is this message's fault, and for how long. The server may refuse the
    recipient or the content (4xx for now, 5xx for good); anything else that goes wrong on
    the way (refused or timed-out connection, a disconnect, greeting, STARTTLS, login or
    sender refused) would fail every message alike, so it must not use up this one's
    attempts: an outage of a few hours would otherwise fail every message for good."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return PERMANENT if codes and all(500 <= code < 600 for code in codes) else TEMPORARY
    if isinstance(error, smtplib.SMTPDataError):
        return PERMANENT if 500 <= error.smtp_code < 600 else TEMPORARY
    if isinstance(error, OSError):
        return UNREACHABLE
    return TEMPORARY  # a fault of ours (a header, a template): counts, so it ends


def describe_error(error):
    """The error as stored and shown to staff: its type and the SMTP code and answer, every
    address in it masked (a refusal quotes the recipient's address)."""
    from app.logging import mask_secrets

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [f"{code} {_text(text)}" for code, text in error.recipients.values()]
        detail = "; ".join(answers)
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        detail = str(error)
    return mask_secrets(f"{type(error).__name__}: {detail}")[:2000]


def _text(answer):
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _retry_delay(failure, row):
    config = current_app.config
    base = config["MAIL_RETRY_BASE_SECONDS"]
    if failure != UNREACHABLE:
        return base * (2 ** (row.attempts - 1))
    # No attempts counted to double from: wait as long as the message has waited so far
    # (the same doubling), at least the base and at most MAIL_RETRY_MAX_SECONDS. A base of
    # 0 (tests) retries at once.
    waited = (utcnow() - row.created_at).total_seconds()
    return min(config["MAIL_RETRY_MAX_SECONDS"], max(base, waited)) if base else 0


def _record_failure(claimed, error):
    """Record a failed attempt in its own short transaction; returns the kind of failure.
    Nothing is written when the claim has lapsed and another worker holds the message."""
    failure = _kind_of_failure(error)
    row = _still_claimed(claimed)
    if row is None:
        db.session.rollback()
        log.warning("mail %s failed after its claim lapsed: %s", claimed.id,
                    type(error).__name__)
        return failure
    row.last_error = describe_error(error)
    if failure == UNREACHABLE:
        delay = _retry_delay(failure, row)
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        log.warning("mail %s not sent, mail server unavailable: %s; next try in %d s",
                    row.id, type(error).__name__, delay)
    else:
        row.attempts += 1
        if failure == PERMANENT or row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            row.status = "failed"
            row.next_attempt_at = utcnow()
        else:
            delay = _retry_delay(failure, row)
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        log.warning("mail %s attempt %s failed: %s%s", row.id, row.attempts,
                    type(error).__name__, " (refused for good)" if failure == PERMANENT else "")
    db.session.commit()
    return failure


def _still_claimed(claimed):
    query = select(OutboxMessage).where(
        OutboxMessage.id == claimed.id, OutboxMessage.status == "queued",
        OutboxMessage.next_attempt_at == claimed.lease)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def _record_sent(claimed):
    """Mark a delivered message sent, whoever holds its claim now: it went out."""
    marked = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id, OutboxMessage.status == "queued")
        .values(status="sent", sent_at=utcnow(), attempts=OutboxMessage.attempts + 1,
                last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not marked:
        _forget_file_if_erased(claimed)


def _forget_file_if_erased(claimed):
    """The person's data was erased (or purged) while this worker wrote the message's
    .eml file: the erasure found no file to delete and blanked the row, so the file the
    worker has just written is deleted here. (A row another worker marked sent keeps its
    address, and its file.)"""
    if current_app.config.get("MAIL_SERVER"):
        return  # the message has left: nothing of it is kept here
    recipient = db.session.execute(
        select(OutboxMessage.recipient).where(OutboxMessage.id == claimed.id)
    ).scalar_one_or_none()
    db.session.rollback()
    if not recipient:
        mail_file(claimed).unlink(missing_ok=True)


def send_queued(limit=100):
    """Send what is due, once. Returns (sent, failed_attempts).

    Each message is claimed in a short transaction, sent with no transaction open, and its
    outcome recorded in another: on SQLite a slow or silent mail server never holds the
    database's write lock, and several workers still send each message once. A worker that
    dies mid-send leaves its claim to lapse, and the message is sent then.
    """
    sent = failed = 0
    tried = []
    for _round in range(limit):
        claimed = _claim_next(tried)
        if claimed is None:
            break
        tried.append(claimed.id)
        if claimed.withdrawn:
            continue
        try:
            deliver(build_message(claimed), claimed)
        except Exception as error:  # noqa: BLE001 - keep the error and retry later
            failed += 1
            if _record_failure(claimed, error) == UNREACHABLE:
                break  # the next messages would only wait for the same server
        else:
            _record_sent(claimed)
            sent += 1
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


# The messages that give someone their place and their ticket.
TICKET_KINDS = ("confirmation", "promoted", "approved")

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
    had the confirmation), and was not mailed its ticket inside the window either (promoted
    from the waiting list, an application approved: that mail has just said it all).
    ``reminder_sent_at`` and the dedupe key make it once only,
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
    ticket_mailed = dict(db.session.execute(
        select(OutboxMessage.registration_id, func.max(OutboxMessage.created_at))
        .where(OutboxMessage.registration_id.in_([r.id for r in due]),
               OutboxMessage.kind.in_(TICKET_KINDS))
        .group_by(OutboxMessage.registration_id)
    ).all()) if due else {}
    queued = 0
    for registration in due:
        window_opened = registration.slot.starts_at - window
        mailed = ticket_mailed.get(registration.id)
        if registration.created_at > window_opened or (mailed and mailed > window_opened):
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
    _refuse_retry_unless_failed(message)
    if not message.recipient:
        # Its address went with the person's data (purged, or erased by them).
        raise Conflict(_("这封邮件的收件人信息已按规定删除，不能重发。"))
    # Claimed with a conditional UPDATE: of two clicks that both read it as failed (on
    # PostgreSQL neither waits to read), the second is told it is queued already.
    db.session.flush()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == "failed")
        .values(status="queued", attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(message)
    if not claimed:
        _refuse_retry_unless_failed(message)


def _refuse_retry_unless_failed(message):
    """Already done: the button pressed twice, or in a tab opened before a colleague's
    resend went out."""
    if message.status == "queued":
        raise Conflict(_("这封邮件已重新排队，正在等待发送，无需再次重发。"))
    if message.status != "failed":
        raise Conflict(_("这封邮件已经发出，无需重发。"))
