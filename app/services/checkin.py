"""Check-in at the door: which ticket a scanned code means, whether it admits now, and the
one row that records the admission.

Idempotence comes from the database, not from a lock in Python: ``CheckIn.registration_id``
is unique (two gates scanning at once admit once) and ``CheckIn.nonce`` is unique (a scan
sent again by a client that lost the answer returns the first answer). The functions are
small on purpose, and read what the door needs with plain queries: a busy door sends a
scan a second per gate.
"""
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.database import begin_writing
from app.extensions import db
from app.models import AuditLog, CheckIn, Event, Registration, Slot
from app.services import audit
from app.services.registration import TICKET_ALPHABET

RESULTS = ("ok", "already_checked_in", "not_found", "cancelled", "waitlisted", "pending",
           "wrong_event", "outside_window")
SOURCES = ("scan", "manual", "offline")
MAX_CODE_LENGTH = 500
MAX_GATE_LENGTH = 50
MAX_NONCE_LENGTH = 64
# A door offline all day syncs the next morning at the latest.
OFFLINE_SCAN_MAX_AGE = timedelta(hours=24)

_TICKET_NUMBER_RE = re.compile(f"^[{TICKET_ALPHABET}]{{8}}$")
_TICKET_PATH_RE = re.compile(r"/tickets/([A-Za-z0-9_\-]{16,64})(?:[/?#]|$)")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")


def utcnow():
    return datetime.now(timezone.utc)


# --- Reading a code ---------------------------------------------------------------------

def parse_code(code):
    """What a scanned or typed code names: ``("token", t)``, ``("ticket_number", n)`` or
    ``(None, None)``.

    Accepts the QR content (the ticket's absolute URL, whatever host it names), the bare
    token, or the printed 8-character ticket number in any case, with spaces or dashes and
    in full-width characters.
    """
    if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_LENGTH:
        return None, None
    text = unicodedata.normalize("NFKC", code).strip()
    match = _TICKET_PATH_RE.search(text)
    if match:
        return "token", match.group(1)
    bare = re.sub(r"\s", "", text)
    number = bare.replace("-", "").upper()
    if _TICKET_NUMBER_RE.match(number):
        return "ticket_number", number
    if _TOKEN_RE.match(bare):  # tokens may hold dashes themselves: keep them
        return "token", bare
    return None, None


@dataclass(slots=True)
class DoorEvent:
    id: int
    slug: str
    title: str
    checkin_opens_minutes_before: int
    checkin_closes_minutes_after_end: int


@dataclass(slots=True)
class DoorSlot:
    key: str
    label: str
    starts_at: datetime
    ends_at: datetime


@dataclass(slots=True)
class DoorCheckIn:
    id: int
    checked_in_at: datetime
    gate: str
    nonce: str | None


@dataclass(slots=True)
class Ticket:
    """A registration as the door sees it, with its event, slot and check-in. It has the
    attributes of the ORM objects that the rules below read, so both work with them."""
    id: int
    event_id: int
    status: str
    name: str
    party_size: int
    event: DoorEvent
    slot: DoorSlot
    checkin: "DoorCheckIn | CheckIn | None"


def _ticket_query(column):
    r, s, e, c = (Registration.__table__, Slot.__table__, Event.__table__, CheckIn.__table__)
    return (
        select(r.c.id, r.c.event_id, r.c.status, r.c.name, r.c.party_size,
               e.c.slug, e.c.title, e.c.checkin_opens_minutes_before,
               e.c.checkin_closes_minutes_after_end,
               s.c.key, s.c.label, s.c.starts_at, s.c.ends_at,
               c.c.id.label("checkin_id"), c.c.checked_in_at, c.c.gate, c.c.nonce)
        .select_from(r.join(s, s.c.id == r.c.slot_id).join(e, e.c.id == r.c.event_id)
                     .outerjoin(c, c.c.registration_id == r.c.id))
        .where(r.c[column] == bindparam("value"))
    )


# Built once; a plain query (no ORM objects) is the one a scan makes, a third of the CPU.
_TICKET_QUERIES = {"token": _ticket_query("token"), "ticket_number": _ticket_query("ticket_number")}


def find_ticket(code):
    """The ticket a code names, in any event, with its event, slot and check-in (one
    query), or None."""
    kind, value = parse_code(code)
    if kind is None:
        return None
    row = db.session.connection().execute(_TICKET_QUERIES[kind], {"value": value}).one_or_none()
    if row is None:
        return None
    checkin = None
    if row.checkin_id is not None:
        checkin = DoorCheckIn(row.checkin_id, row.checked_in_at, row.gate, row.nonce)
    return Ticket(
        row.id, row.event_id, row.status, row.name, row.party_size,
        DoorEvent(row.event_id, row.slug, row.title, row.checkin_opens_minutes_before,
                  row.checkin_closes_minutes_after_end),
        DoorSlot(row.key, row.label, row.starts_at, row.ends_at),
        checkin)


def code_hashes(registration, salt):
    """The hashes under which the offline list finds a ticket: its token and its number."""
    return [hash_code(registration.token, salt), hash_code(registration.ticket_number, salt)]


def hash_code(value, salt):
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def list_salt(event, secret_key):
    """A per-event salt for the offline list, so hashes from one event match nothing in
    another. (The salt travels with the list: it stops precomputed tables, not a staff
    member with the list who guesses ticket numbers.)"""
    return hmac.new(str(secret_key).encode(), f"checkin-list:{event.slug}".encode(),
                    hashlib.sha256).hexdigest()[:32]


# --- The rules ---------------------------------------------------------------------------

def window(event, slot):
    """When a ticket for ``slot`` may check in: (opens, closes)."""
    opens = slot.starts_at - timedelta(minutes=event.checkin_opens_minutes_before or 0)
    closes = slot.ends_at + timedelta(minutes=event.checkin_closes_minutes_after_end or 0)
    return opens, closes


def refusal(event, registration, at):
    """Why ``registration`` may not check in to ``event`` at ``at``, or None when it may.
    A ticket that is already checked in is not refused here: that answer comes with the
    first check-in's details."""
    if registration is None:
        return "not_found"
    if registration.event_id != event.id:
        return "wrong_event"
    if registration.status in ("cancelled", "rejected"):
        return "cancelled"
    if registration.status == "waitlisted":
        return "waitlisted"
    if registration.status == "pending":
        return "pending"
    if registration.checkin is not None:
        return None
    opens, closes = window(event, registration.slot)
    if not opens <= at <= closes:
        return "outside_window"
    return None


def find_by_nonce(nonce):
    if not nonce:
        return None
    return db.session.execute(select(CheckIn).where(CheckIn.nonce == nonce)).scalar_one_or_none()


# Built once: the parameters change, the statements do not.
_INSERT_CHECKIN = insert(CheckIn.__table__).returning(CheckIn.__table__.c.id)
_INSERT_AUDIT = insert(AuditLog.__table__)
_CHECKIN_COLUMNS = ("registration_id", "event_id", "checked_in_at", "recorded_at", "gate",
                    "staff_id", "nonce", "source")
_AUDIT_COLUMNS = ("at", "actor_id", "actor_name", "action", "target_type", "target_id",
                  "event_id", "detail", "ip")


def _insert_both():
    """PostgreSQL: the CheckIn row and its AuditLog row in one statement. Data-modifying
    WITH clauses run exactly once and the statement is atomic, so a check-in that loses the
    race leaves no audit row; the scan's write is one round trip instead of a transaction
    of four (BEGIN, two INSERTs, COMMIT)."""
    checkin, log = CheckIn.__table__, AuditLog.__table__
    new_checkin = (
        insert(checkin)
        .values({name: bindparam(f"checkin_{name}", type_=checkin.c[name].type)
                 for name in _CHECKIN_COLUMNS})
        .returning(checkin.c.id)
        .cte("new_checkin")
    )
    new_audit = insert(log).from_select(
        _AUDIT_COLUMNS,
        select(*[bindparam(f"audit_{name}", type_=log.c[name].type) for name in _AUDIT_COLUMNS])
        .select_from(new_checkin),
    ).cte("new_audit")
    return select(new_checkin.c.id).add_cte(new_audit)


_INSERT_CHECKIN_WITH_AUDIT = _insert_both()


def check_in(registration, *, gate="", staff=None, nonce=None, scanned_at=None, now=None,
             source="scan"):
    """Record the admission of ``registration``; return ``(checkin, created)``.

    ``created`` is False when another gate (or an earlier send of this scan) got there
    first; the existing row is returned. Call ``refusal`` first: this only writes (and
    calls begin_writing itself).

    A scan is a request of its own, so this must be the transaction's first write: losing
    the race rolls the whole transaction back (no savepoint: two round trips fewer per scan
    on PostgreSQL). The two rows go in as plain INSERTs, without the unit of work, and on
    PostgreSQL as one statement: the door's busiest moment is one scan a second per gate.
    """
    now = now or utcnow()
    at = scanned_at or now
    values = dict(registration_id=registration.id, event_id=registration.event_id,
                  checked_in_at=at, recorded_at=now, gate=gate,
                  staff_id=getattr(staff, "id", None), nonce=nonce or None, source=source)
    audit_row = audit.row_values(
        "checkin", target_type="registration", target_id=registration.id,
        event_id=registration.event_id, actor=staff,
        detail={"gate": gate, "source": source, "checked_in_at": at.isoformat()})
    one_statement = db.session.get_bind().dialect.name == "postgresql"
    begin_writing(single_statement=one_statement)
    if not isinstance(registration, Ticket):
        db.session.flush()  # plain INSERTs skip the autoflush: the registration must be stored
    try:
        connection = db.session.connection()
        if one_statement:
            checkin_id = connection.execute(_INSERT_CHECKIN_WITH_AUDIT, {
                **{f"checkin_{name}": value for name, value in values.items()},
                **{f"audit_{name}": value for name, value in audit_row.items()},
            }).scalar_one()
        else:
            checkin_id = connection.execute(_INSERT_CHECKIN, values).scalar_one()
            # In the same transaction: a check-in that loses the race leaves no audit row.
            connection.execute(_INSERT_AUDIT, audit_row)
    except IntegrityError:
        # The unique registration_id (another gate won) or nonce (this scan, sent again).
        db.session.rollback()
        existing = find_by_nonce(nonce)
        if existing is not None and existing.registration_id != values["registration_id"]:
            # The nonce of another ticket's scan (a scanner that numbers its own scans): not
            # this scan sent again, so it is recorded as a scan of its own, without it.
            return check_in(registration, gate=gate, staff=staff, nonce=None,
                            scanned_at=scanned_at, now=now, source=source)
        existing = existing or db.session.execute(
            select(CheckIn).where(CheckIn.registration_id == values["registration_id"])
        ).scalar_one_or_none()
        if existing is None:
            raise
        return existing, False
    if isinstance(registration, Ticket):  # the door's own path: no ORM object at all
        loaded = db.session.identity_map.get(identity_key(Registration, registration.id))
        if loaded is not None:  # a Registration this session read before must not go stale
            db.session.expire(loaded, ["checkin"])
        registration.checkin = DoorCheckIn(checkin_id, at, gate, values["nonce"])
        return registration.checkin, True
    # The row is in the database: attach it to the session as if it had been loaded
    # (SQLAlchemy's make_transient_to_detached), with no second query, and let the loaded
    # registration see it.
    row = CheckIn(id=checkin_id, checked_out_at=None, extended_until=None, **values)
    make_transient_to_detached(row)
    db.session.add(row)
    set_committed_value(registration, "checkin", row)
    return row, True


def keep_earliest(checkin, scanned_at, gate):
    """A scan made offline before the recorded check-in is the real first one: move the
    recorded time (and gate) back to it, never forward."""
    if scanned_at is None or scanned_at >= checkin.checked_in_at:
        return False
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.checked_in_at > scanned_at)
        .values(checked_in_at=scanned_at, gate=gate)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(checkin)
    return result.rowcount == 1


def event_and_ticket(slug, code, find_event):
    """The event of ``slug`` and the ticket ``code`` names, in as few queries as possible:
    a ticket of this event brings its event along (one query per scan at the door);
    otherwise ``find_event(slug)`` looks the event up (and may raise NotFound)."""
    ticket = find_ticket(code)
    if ticket is not None and ticket.event.slug == slug:
        return ticket.event, ticket
    return find_event(slug), ticket


def scan(event, code, *, gate="", staff=None, nonce=None, scanned_at=None, now=None,
         source="scan", ticket=None):
    """One scan at the door of ``event``: returns ``(result, ticket, checkin, extra)``.

    ``result`` is one of RESULTS. A nonce seen before returns the first answer for it.
    ``scanned_at`` (an offline scan synced later) is the time the window is judged at and
    the time recorded. ``ticket`` may be given when the caller has looked ``code`` up
    already (event_and_ticket).

    Everything before the first write only reads: a caller that began without the write
    lock (app.database.reads_first) takes it just before the write (begin_writing).
    """
    now = now or utcnow()
    scanned_at = clamp_scanned_at(scanned_at, now)
    if ticket is None:
        ticket = find_ticket(code)
    first = ticket.checkin if ticket is not None else None
    if first is not None and nonce and first.nonce == nonce:
        return "ok", ticket, first, {"repeat": True}
    at = scanned_at or now
    reason = refusal(event, ticket, at)
    if reason is not None:
        return reason, ticket, None, {}
    if first is not None:
        if scanned_at is not None:
            begin_writing()  # _already may move the time back
        return _already(ticket, first, scanned_at, gate)
    checkin, created = check_in(ticket, gate=gate, staff=staff, nonce=nonce,
                                scanned_at=scanned_at, now=now, source=source)
    if created:
        return "ok", ticket, checkin, {}
    if checkin.nonce and checkin.nonce == nonce:
        return "ok", checkin.registration, checkin, {"repeat": True}
    return _already(ticket, checkin, scanned_at, gate)


def _already(ticket, checkin, scanned_at, gate):
    extra = {}
    if scanned_at is not None:
        # A synced offline scan meets a check-in made elsewhere: report the conflict. It is
        # the real first one only if it was made while the door was open for this slot.
        if not isinstance(checkin, CheckIn):
            checkin = db.session.get(CheckIn, checkin.id)
        opens, closes = window(ticket.event, ticket.slot)
        extra["conflict"] = True
        extra["moved_earlier"] = (opens <= scanned_at <= closes
                                  and keep_earliest(checkin, scanned_at, gate))
    return "already_checked_in", ticket, checkin, extra


def clamp_scanned_at(scanned_at, now):
    """An offline scan keeps its time; one claiming to come from the future becomes now,
    and one older than OFFLINE_SCAN_MAX_AGE is not believed (a tablet whose clock is wrong):
    it is judged and recorded at the server's time (None)."""
    if scanned_at is None:
        return None
    if scanned_at.tzinfo is None:
        scanned_at = scanned_at.replace(tzinfo=timezone.utc)
    if scanned_at < now - OFFLINE_SCAN_MAX_AGE:
        return None
    return min(scanned_at, now)


# --- Lists, counts and search for the screen ---------------------------------------------

def counts(event):
    """Checked in / expected, in tickets and in people, for the event and each onsite slot.
    Expected means confirmed registrations (the ones whose ticket admits). An online
    session's viewers never come to the door: counted there, they would read as missing."""
    confirmed = and_(Registration.event_id == event.id, Registration.status == "confirmed")
    rows = db.session.execute(
        select(Registration.slot_id, func.count(Registration.id), func.sum(Registration.party_size),
               func.count(CheckIn.id),
               func.sum(case((CheckIn.id.is_not(None), Registration.party_size), else_=0)))
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(confirmed)
        .group_by(Registration.slot_id)
    ).all()
    per_slot = {row[0]: row for row in rows}
    slots = []
    total = {"checked_in": 0, "expected": 0, "people_in": 0, "people_expected": 0}
    for slot in event.slots:
        if slot.mode == "online":
            continue
        _, expected, people, checked, people_in = per_slot.get(slot.id, (slot.id, 0, 0, 0, 0))
        entry = {"key": slot.key, "label": slot.label, "checked_in": checked or 0,
                 "expected": expected or 0, "people_in": people_in or 0,
                 "people_expected": people or 0}
        slots.append(entry)
        for name in total:
            total[name] += entry[name]
    return {"event": total, "slots": slots}


def checkin_list(event):
    """Every registration of the event with its check-in, for the offline list."""
    return db.session.execute(
        select(Registration, CheckIn)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Registration.event_id == event.id)
        .order_by(Registration.id)
    ).all()


def search(event, query, limit=20):
    """Registrations of ``event`` by name, phone tail (4+ digits), whole phone number however
    it is written, or ticket number."""
    from app.services.workspace import search_conditions

    text = unicodedata.normalize("NFKC", query or "").strip()[:50]
    if not text:
        return []
    # As the registrations list searches (a masked number as staff screens show it too),
    # but a phone tail needs 4 digits here: at the door 3 match too many people.
    conditions = search_conditions(text, shortest_tail=4)
    return db.session.execute(
        select(Registration)
        .join(Slot, Slot.id == Registration.slot_id)
        .where(Registration.event_id == event.id, or_(*conditions))
        .order_by(Slot.starts_at, Registration.name, Registration.id)
        .limit(limit)
    ).scalars().all()
