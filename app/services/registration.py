"""Registration: phones, tickets, seats that never oversell, cancellation.

Seats are taken with one conditional UPDATE on the slot's ``booked`` count that must change
exactly one row; the database's CHECK constraints are the last line of defence.
"""
import contextlib
import re
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Event, Invitation, Registration, Slot
from app.models.registration import ACTIVE_STATUSES
from app.services.errors import (
    AlreadyRegistered,
    Conflict,
    InvalidData,
    NotFound,
    RegistrationClosed,
    SlotFull,
)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# pretix's alphabet: no 0/O/1/l/I, so a ticket number read aloud or typed is unambiguous.
TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def utcnow():
    return datetime.now(timezone.utc)


def normalise_phone(raw):
    """Accept a phone the way people type it and return its 11 digits, or None.

    Full-width digits and other Unicode digits become ASCII (NFKC), spaces, dashes, dots
    and brackets go, a leading +86 / 0086 / 86 country code is dropped. So do invisible
    format characters: a number copied from a phone's contacts or call log comes wrapped in
    direction marks (U+202A..U+202E, U+2066..U+2069), which no one sees in the field.
    """
    if raw is None:
        return None
    text = "".join(c for c in str(raw) if unicodedata.category(c) != "Cf")
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"[\s\-.()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text if PHONE_RE.match(text) else None


def new_token():
    """The ticket's secret: 160 random bits, URL-safe."""
    return secrets.token_urlsafe(20)


def new_ticket_number():
    """Eight characters from a 32-letter alphabet (40 bits): short enough to type at the
    door; the unique constraint catches the rare collision."""
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(8))


def active_key_for(event, slot, phone):
    if event.kind == "volunteer":
        return f"{event.id}:{phone}:{slot.id}"
    return f"{event.id}:{phone}"


def find_by_token(token):
    if not token or len(token) > 64:
        return None
    return db.session.execute(
        select(Registration).where(Registration.token == token)
    ).scalar_one_or_none()


def get_by_token(token):
    registration = find_by_token(token)
    if registration is None:
        raise NotFound(_("没有找到这张票，请检查链接是否完整。"))
    return registration


def find_by_submission(submission_key):
    if not submission_key:
        return None
    return db.session.execute(
        select(Registration).where(Registration.submission_key == submission_key)
    ).scalar_one_or_none()


def active_made_by_form(event, submission_key):
    """The registration for ``event`` that this very form (its submission key) made, while
    it still holds its place; else None. A double click whose first click took the last
    seat, or the form sent again from the back button once registration has closed, is
    then shown its ticket rather than "full" or "closed"."""
    registration = find_by_submission(submission_key)
    if registration is None or registration.event_id != event.id or not registration.is_active:
        return None
    return registration


def active_among(event, tokens):
    """The active registration for ``event`` among ``tokens`` (a browser's tickets, newest
    first), or None: the event's page and form then point to it."""
    if not tokens:
        return None
    found = db.session.execute(
        select(Registration).where(Registration.token.in_(tokens),
                                   Registration.event_id == event.id,
                                   Registration.status.in_(ACTIVE_STATUSES))
    ).scalars().all()
    by_token = {registration.token: registration for registration in found}
    return next((by_token[token] for token in tokens if token in by_token), None)


def find_active(event, slot, phone):
    return db.session.execute(
        select(Registration).where(Registration.active_key == active_key_for(event, slot, phone))
    ).scalar_one_or_none()


def _take_seats_statement():
    slots = Slot.__table__
    return (update(slots)
            .where(slots.c.id == bindparam("slot_id"),
                   slots.c.booked + slots.c.reserved + bindparam("seats") <= slots.c.capacity)
            .values(booked=slots.c.booked + bindparam("seats")))


# Built once: every booking of a rush runs it (building the expression cost more than
# running it). A plain UPDATE on the table: nothing in the session needs updating by it.
_TAKE_SEATS = _take_seats_statement()


def take_seats(slot_id, seats):
    """Take ``seats`` public seats in one conditional UPDATE; True when they were free."""
    # What the session holds goes in first (a Core statement does not autoflush): the
    # UPDATE locks the slot's row (PostgreSQL) until the commit, so it comes last.
    db.session.flush()
    result = db.session.connection().execute(_TAKE_SEATS, {"slot_id": slot_id, "seats": seats})
    return result.rowcount == 1


def take_invited_seats(slot_id, seats):
    """An invitee's ``seats``, in one conditional UPDATE: from the invitees' reserve first,
    then from the public's seats once the reserve runs short (an invitee is not turned
    away while the slot has room). True when they were free."""
    reserved_after = case((Slot.reserved > seats, Slot.reserved - seats), else_=0)
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked + seats + reserved_after <= Slot.capacity)
        .values(booked=Slot.booked + seats, reserved=reserved_after)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_seats(slot_id, seats):
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked >= seats)
        .values(booked=Slot.booked - seats)
        .execution_options(synchronize_session=False)
    )


def register(event, slot, **fields):
    """Create a registration and return it (see _register)."""
    return _register(event, slot, **fields)[0]


def register_through_invitation(event, slot, invitation, **fields):
    """An invitee's registration through their link (source ``invitation``): logged on the
    invitation and its ticket mailed, once. Returns (registration, created): created is
    False when the same form made it already (a double tap whose twin committed between
    this request's look for the form's ticket and its own write; on PostgreSQL both run at
    once): that ticket is returned, and the link's use is not logged, nor the ticket
    mailed, a second time."""
    from app.services import audit, workspace

    registration, created = _register(event, slot, source="invitation",
                                      invitation=invitation, **fields)
    if created:
        audit.record("invitation.register", invitation, event=event, actor=None, detail={
            "ticket_number": registration.ticket_number, "slot": slot.key,
            "party_size": registration.party_size})
        workspace.queue_ticket_mail(registration)
    return registration, created


def _register(event, slot, *, name, phone, party_size=1, email=None, submission_key=None,
              consent_version=None, source="online", entered_by=None, invitation=None,
              extra=None, now=None, looked=False, alone=False, mail=False):
    """Create a registration; returns (registration, created).

    Confirmed with seats when they are free; waitlisted when the slot is full and the event
    keeps a waiting list; pending (no seat) for a volunteer application. A form submitted
    twice (same ``submission_key``) returns the first registration. ``alone``: nothing else
    has been written in this transaction, so a lost race may roll all of it back. ``mail``:
    queue its first message too, in the same transaction (see below).
    """
    now = now or utcnow()
    # ``looked``: look_before_booking() has just run these lookups (the unique constraints
    # below still catch whatever happened since).
    previous = None if looked else find_by_submission(submission_key)
    if previous is not None:
        return previous, False
    if slot.event_id != event.id:
        raise NotFound(_("没有找到这个场次。"))
    if source == "online" and event.registration_state(now) != "open":
        raise RegistrationClosed()
    normalised = normalise_phone(phone)
    if normalised is None:
        raise InvalidData(_("请输入 11 位中国大陆手机号码。"), field="phone")
    if not 1 <= int(party_size) <= event.max_party_size:
        raise InvalidData(
            _("每次最多为 %(n)d 人报名。", n=event.max_party_size), field="party_size"
        )
    existing = None if looked else find_active(event, slot, normalised)
    if existing is not None:
        # A double click whose twin committed after our first look (PostgreSQL runs them
        # side by side): the same form, so the same ticket.
        previous = find_by_submission(submission_key)
        if previous is not None:
            return previous, False
        raise AlreadyRegistered(existing=existing)

    registration = Registration(
        event_id=event.id,
        slot_id=slot.id,
        token=new_token(),
        ticket_number=new_ticket_number(),
        name=name.strip(),
        phone=normalised,
        email=(email or "").strip() or None,
        party_size=int(party_size),
        active_key=active_key_for(event, slot, normalised),
        submission_key=submission_key or None,
        source=source,
        entered_by_id=getattr(entered_by, "id", None),
        invitation_id=getattr(invitation, "id", None),
        consent_version=consent_version,
        consented_at=now if consent_version else None,
        locale=reader_locale(),
        created_at=now,
        **(extra or {}),
    )
    # A registration that is its request's only write (the public form) needs no savepoint:
    # a lost race rolls the whole transaction back (two round trips fewer on PostgreSQL).
    savepoint = contextlib.nullcontext() if alone else db.session.begin_nested()
    try:
        with savepoint:
            registration.status = _status_before_seats(event, slot, registration.party_size,
                                                       invitation)
            if registration.status == "waitlisted":
                registration.waitlisted_at = now
            db.session.add(registration)
            db.session.flush()
            # The message is written (and its templates rendered) before the seats are
            # taken, for the reason below; in the rare race lost at the UPDATE it is
            # replaced by the waiting-list message.
            message = queue_new_registration_mail(registration, fresh=True) if mail else None
            if registration.status == "confirmed":
                # The seats last, just before the commit: the UPDATE locks the slot's row
                # (on PostgreSQL) until then, and every booking of the slot waits for it.
                status = _take_seats_for(event, slot, registration.party_size, invitation)
                if status != "confirmed":
                    registration.status, registration.waitlisted_at = status, now
                    if message is not None:
                        if message in db.session.new:
                            db.session.expunge(message)
                        else:
                            db.session.delete(message)
                        queue_new_registration_mail(registration, fresh=True)
                    db.session.flush()
    except IntegrityError:
        # A second tab or a double click won the race for this phone (or this form).
        if alone:
            db.session.rollback()
        previous = find_by_submission(submission_key)
        if previous is not None:
            return previous, False
        raise AlreadyRegistered(existing=find_active(event, slot, normalised)) from None
    # The UPDATE went around the session: the slot's counts are read again if anyone asks
    # (a staff page does; the citizen's redirect to the ticket does not).
    db.session.expire(slot, ["booked", "reserved"])
    return registration, True


def reader_locale():
    """The language of the page the person is reading (Chinese outside a request)."""
    from flask import has_request_context
    from flask_babel import get_locale

    if not has_request_context():
        return "zh_Hans_CN"
    return "en" if str(get_locale()) == "en" else "zh_Hans_CN"


def booking_state(event, now):
    """What the public pages tell: the registration window's state, or 'over' when it is
    open but every slot has started (booking stops at a slot's start)."""
    state = event.registration_state(now)
    if state == "open" and event.slots and all(s.starts_at <= now for s in event.slots):
        return "over"
    return state


def public_state(event, now):
    """What the home and event pages say of registration: ``booking_state``, or "full"
    while it is open on an open day whose every slot is taken and that keeps no waiting
    list (rather than offer a form with nothing to choose; a volunteer drive still takes
    applications when its shifts are full)."""
    state = booking_state(event, now)
    if state == "open" and event.kind == "open_day" and not has_room(event):
        return "full"
    return state


def register_again_url(event, now):
    """The event page, while its form still takes registrations: what a cancellation's
    message offers instead of a ticket that admits no one."""
    if booking_state(event, now) != "open":
        return None
    return f"{current_app.config['BASE_URL']}/events/{event.slug}"


def has_room(event):
    """Whether the form is worth filling in: a slot not yet started with a seat left, or a
    waiting list."""
    bookable = [s for s in event.slots if not s.has_started]
    return bool(bookable) and (event.waitlist or any(not s.is_full for s in bookable))


def would_wait(event, slot, party_size=1):
    """Whether booking ``party_size`` seats on ``slot`` now would put the registration on
    the slot's waiting list (the event keeps one, and the slot has fewer seats left than
    the party) instead of giving it seats: the form says so before it is sent."""
    return (event.kind != "volunteer" and event.waitlist and not slot.has_started
            and slot.seats_left < party_size)


# Built once (the busiest read of a registration rush's POSTs).
_THIS_FORM_OR_THIS_PHONE = select(Registration).where(or_(
    Registration.submission_key == bindparam("submission_key"),
    Registration.active_key == bindparam("active_key")))


def look_before_booking(event, slot, *, phone, party_size=1, submission_key=None, **_fields):
    """What can be told without booking: the ticket this very form already made (returned),
    a phone already registered, a slot already full without a waiting list (raised). Reads
    only, so it may run before the writing transaction; register() decides again for real.
    """
    if slot.has_started:  # a page left open since before the slot began
        raise RegistrationClosed(_("这个场次已经开始，不能再报名，请选择其他场次。"))
    normalised = normalise_phone(phone)
    # One query for both questions: this form's ticket (a double click that committed a
    # moment ago: the same ticket), and the phone's active registration (refused).
    found = []
    if submission_key or normalised is not None:
        found = db.session.execute(_THIS_FORM_OR_THIS_PHONE, {
            "submission_key": submission_key or None,  # NULL matches nothing
            "active_key": active_key_for(event, slot, normalised) if normalised else None,
        }).scalars().all()
    for registration in found:
        if submission_key and registration.submission_key == submission_key:
            return registration
    if found:
        raise AlreadyRegistered(existing=found[0])
    if event.kind != "volunteer" and event.waitlist and slot.seats_left < int(party_size):
        _may_wait(slot, int(party_size))
    if (event.kind != "volunteer" and not event.waitlist
            and slot.seats_left < int(party_size)):
        if slot.seats_left > 0:
            # Not full, only too few seats for the party: "full" would contradict the
            # "seats left" the event page shows, and a smaller party still fits.
            raise SlotFull(_("这个场次只剩 %(n)d 个名额，请减少参加人数，或选择其他场次。",
                             n=slot.seats_left), field="party_size")
        raise SlotFull()
    return None


def _status_before_seats(event, slot, seats, invitation):
    """The new registration's status as far as it can be told without taking seats:
    ``pending`` (a volunteer application holds no seat until approved), ``waitlisted`` (or
    SlotFull) for a slot already full when this request read it, else ``confirmed`` on
    condition that _take_seats_for() then gets the seats."""
    if event.kind == "volunteer" and invitation is None:
        return "pending"
    if invitation is None and slot.seats_left < seats:
        # No UPDATE, so no wait for the row lock that a busy slot's bookings hold (seats
        # that come back go to the waiting list first: services.waitlist).
        return _full_or_waitlist(event, slot, seats)
    return "confirmed"


def _take_seats_for(event, slot, seats, invitation):
    """Take the seats of a registration about to be confirmed; its final status."""
    if invitation is not None:
        if not use_invitation(invitation):
            raise Conflict(_("这个邀请链接已经用完或失效。"))
        if not take_invited_seats(slot.id, seats):
            raise SlotFull(_("这个场次的名额（含为受邀代表预留的）已经用完。"))
        return "confirmed"
    if take_seats(slot.id, seats):
        return "confirmed"
    return _full_or_waitlist(event, slot, seats)


def _full_or_waitlist(event, slot, seats):
    if event.waitlist:
        _may_wait(slot, seats)
        return "waitlisted"
    raise SlotFull()


def _may_wait(slot, seats):
    """Refuse a place on the slot's waiting list to a party larger than all its public
    seats (capacity less the invitees' reserve): promotion takes public seats only, so
    such a party would wait forever."""
    public = slot.capacity - slot.reserved
    if seats <= public:
        return
    if public <= 0:
        raise SlotFull()
    raise SlotFull(_("这个场次最多 %(n)d 人，请减少参加人数，或选择其他场次。", n=public),
                   field="party_size")


def use_invitation(invitation):
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used < Invitation.max_uses,
               Invitation.revoked.is_(False))
        .values(used=Invitation.used + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def cancel(registration, *, reason=None, now=None):
    """Cancel a registration, free its seats and promote the waiting list.

    Returns the registrations promoted from the waiting list (so callers can tell them).
    Cancelling twice is harmless.
    """
    return _cancel(registration, reason=reason, now=now)[1]


class TicketChanged(Conflict):
    """The ticket is no longer what the holder's page showed (promoted from the waiting
    list, an application approved) and still holds its place: the holder is asked again."""


def _cancel(registration, *, reason=None, now=None, expected=None):
    """``cancel``, saying also whether this call cancelled it: (cancelled, promoted).

    The registration is claimed with a conditional UPDATE on the status it was read with.
    Two requests that both read it as confirmed (a double click, the holder and staff at
    once; on PostgreSQL neither waits to read) then free its seats once: the second finds
    it cancelled already instead of giving the seats back a second time. ``expected``: the
    status the person cancelling saw; a ticket that has moved to another active status
    since (before this request read it, or between its read and its write) is not
    cancelled but raises TicketChanged."""
    now = now or utcnow()
    db.session.flush()
    for _attempt in range(len(ACTIVE_STATUSES) + 1):
        seen = registration.status
        if seen not in ACTIVE_STATUSES:
            return False, []
        if expected is not None and seen != expected:
            raise TicketChanged(_changed_since_shown(registration))
        claimed = db.session.execute(
            update(Registration)
            .where(Registration.id == registration.id, Registration.status == seen)
            .values(status="cancelled", active_key=None, cancelled_at=now,
                    cancel_reason=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        # What the row holds now (also when another transaction moved it meanwhile: a
        # promotion from the waiting list, a review, a cancellation).
        db.session.refresh(registration)
        if claimed:
            break
    else:  # moved under us at every try: nothing is freed on a guess
        raise Conflict(_("页面已过期，请刷新后再试。"))
    if seen != "confirmed":
        return True, []
    release_seats(registration.slot_id, registration.party_size)
    from app.services.waitlist import promote

    return True, promote(registration.slot)


def lock_slot(slot_id):
    """Lock a slot row for the rest of the transaction (PostgreSQL; SQLite's BEGIN
    IMMEDIATE already serialises writers)."""
    return db.session.execute(
        select(Slot).where(Slot.id == slot_id).with_for_update()
    ).scalar_one()


# The slots come in the same query: every page that shows an event shows its slots. Built
# once, so that SQLAlchemy keeps its cache key (the busiest query of a registration rush).
_EVENT_WITH_SLOTS = (select(Event).where(Event.slug == bindparam("slug"))
                     .options(joinedload(Event.slots)))


def get_event_for_registration(slug):
    event = db.session.execute(_EVENT_WITH_SLOTS, {"slug": slug}).unique().scalar_one_or_none()
    if event is None or event.status == "draft":
        raise NotFound(_("没有找到这个活动。"))
    return event


# The message a new registration sends, by its status.
MAIL_KIND_BY_STATUS = {"confirmed": "confirmation", "waitlisted": "waitlisted",
                       "pending": "pending"}


def queue_new_registration_mail(registration, *, fresh=False):
    """Queue the registration's first message (once per ticket, however often the form
    is resubmitted). ``fresh``: the registration was created in this transaction, so no
    message of it can exist yet (no lookup, no savepoint)."""
    from app.services.mail import queue_registration_mail

    kind = MAIL_KIND_BY_STATUS.get(registration.status)
    if kind is None:
        return None
    return queue_registration_mail(registration, kind, dedupe_key=f"{kind}:{registration.id}",
                                   fresh=fresh)


# A lost ticket is mailed again at most this often (a bucket of the dedupe key).
RESEND_INTERVAL_MINUTES = 10


def resend_ticket(event, phone, now=None):
    """Mail the ticket again to the e-mail given when registering, for someone who lost the
    page: queued (True) or not (no such registration, no e-mail, or sent again within
    RESEND_INTERVAL_MINUTES). Callers must answer the same either way, so that the page
    does not tell who registered with which phone number."""
    from app.services.mail import queue_registration_mail

    normalised = normalise_phone(phone)
    if normalised is None or event.kind == "volunteer":
        return False
    registration = find_active(event, None, normalised)
    kind = MAIL_KIND_BY_STATUS.get(getattr(registration, "status", None))
    if registration is None or kind is None or not registration.email:
        return False
    now = now or utcnow()
    from app.models import OutboxMessage

    # Two taps at once (PostgreSQL, where neither waits to read): the second waits here for
    # the first to commit, and then finds its message (SQLite's writers queue already).
    db.session.execute(select(Registration.id).where(Registration.id == registration.id)
                       .with_for_update())
    sent_lately = db.session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.dedupe_key.startswith(f"resend:{registration.id}:"),
            OutboxMessage.created_at > now - timedelta(minutes=RESEND_INTERVAL_MINUTES))
    ).first()
    if sent_lately is not None:
        return False
    # The key (to the second) keeps two presses at the same instant to one message.
    message = queue_registration_mail(
        registration, kind, dedupe_key=f"resend:{registration.id}:{int(now.timestamp())}")
    return message is not None


def cancel_by_staff(registration, *, reason, now=None):
    """Staff cancel on someone's behalf: not once they have come in (the seat was used).
    Raises Conflict when it is cancelled already (another tab, the holder, a double click),
    so that nothing is recorded as done twice."""
    if registration.checkin is not None:
        raise Conflict(_("这位已经签到入场，不能再取消报名。"))
    now = now or utcnow()
    previous_status = registration.status
    cancelled, promoted = _cancel(registration, reason=reason, now=now)
    if not cancelled:
        raise Conflict(_("这条报名已经取消。"))
    from app.services.mail import queue_registration_mail

    # Told now, not at the door with a QR code that no longer admits them. The reason is
    # the office's note and stays out of the message.
    queue_registration_mail(registration, "cancelled", dedupe_key=f"cancelled:{registration.id}",
                            previous_status=previous_status, by_staff=True,
                            register_again_url=register_again_url(registration.event, now))
    return promoted


def holder_may_not_cancel(registration, now=None):
    """Why the ticket holder may not cancel (a message), or None: not once checked in, not
    once the slot has started. (Cancelling a cancelled ticket again is harmless.)"""
    if not registration.is_active:
        return None
    if registration.checkin is not None:
        return _("这张票已经签到入场，不能再取消。")
    now = now or utcnow()
    if registration.slot.ends_at <= now:
        return _("这个场次已经结束，不能再取消。")
    if registration.slot.starts_at <= now:
        # Under way: a seat given back now helps nobody, and the ticket page offers none.
        return _("这个场次已经开始，不能再取消。")
    return None


def cancel_by_holder(registration, *, now=None, expected=None):
    """The ticket holder cancels from the ticket page (see holder_may_not_cancel). Frees
    the seats, promotes the waiting list and tells everyone. Returns the status it
    cancelled (what was given up), or None when it was cancelled (or decided) already: a
    double tap, another tab, staff. ``expected``: the status the holder's page showed (see
    _cancel); a ticket promoted or approved since raises TicketChanged."""
    now = now or utcnow()
    if registration.status in ("cancelled", "rejected"):
        return None
    refusal = holder_may_not_cancel(registration, now)
    if refusal is not None:
        raise Conflict(refusal)
    previous_status = registration.status
    cancelled, _promoted = _cancel(registration, reason="holder", now=now, expected=expected)
    if not cancelled:
        return None
    from app.services.mail import queue_registration_mail

    # The message says what was given up: seats, a place on the waiting list, or an
    # application not yet decided.
    queue_registration_mail(registration, "cancelled", dedupe_key=f"cancelled:{registration.id}",
                            previous_status=previous_status,
                            register_again_url=register_again_url(registration.event, now))
    return previous_status


def _changed_since_shown(registration):
    """What the holder is told when their ticket has gained a place since their page
    showed it (the only moves between active statuses: promotion and approval)."""
    if registration.event.kind == "volunteer":
        return _("您的申请刚刚已通过审核。如仍要退出这个班次，请再按一次“确定取消”。")
    return _("您刚刚候补成功，已经有了名额。如仍要取消，请再按一次“确定取消”。")


def display_status(registration):
    """What the ticket page calls the ticket: check-in is a fact beside the status."""
    if registration.checkin is not None and registration.status == "confirmed":
        return "checked_in"
    return registration.status
