"""Volunteer drives: applications for shifts, staff review, check-out, service hours.

An application is a ``pending`` registration per chosen shift that holds no seat. Approval
takes the seat with the same conditional UPDATE as a public booking (never past a shift's
capacity, even when two staff approve at once); rejection and withdrawal free only what was
held. Hours run from check-in to check-out, counted from no earlier than the shift's check-in
window opens and capped at the shift's end unless staff extend it ("谁组织谁记录，谁记录谁证明").
"""
import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import CheckIn, Event, Registration, Slot
from app.models.types import LARGEST_ID
from app.services import audit
from app.services.checkin import window as checkin_window
from app.services.errors import AlreadyRegistered, Conflict, InvalidData, NotFound, SlotFull
from app.services.privacy import mask_phone
from app.services.registration import (
    cancel,
    find_active,
    normalise_phone,
    register,
    take_seats,
)

AGE_GROUPS = ("18-30", "31-45", "46-60", "60+")
REASON_MAX = 500


def utcnow():
    return datetime.now(timezone.utc)


# --- Applying ---------------------------------------------------------------------------

def apply(event, slots, *, name, phone, email=None, submission_key=None, consent_version=None,
          age_group=None, organisation=None, experience=None, availability=None,
          code_agreed=False, now=None):
    """Apply for one or more shifts of a drive; returns the new pending registrations, in
    the order of the shifts. A form submitted twice returns the first application."""
    if event.kind != "volunteer":
        raise NotFound(_("这个活动不招募志愿者。"))
    if not slots:
        raise InvalidData(_("请至少选择一个班次。"), field="slots")
    if not code_agreed:
        raise InvalidData(_("请阅读并同意志愿者守则。"), field="code")
    if age_group is not None and age_group not in AGE_GROUPS:
        raise InvalidData(_("请选择年龄段。"), field="age_group")
    seen = set()
    chosen = []
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id)):
        if slot.event_id != event.id:
            raise NotFound(_("没有找到这个班次。"))
        if slot.id not in seen:
            seen.add(slot.id)
            chosen.append(slot)
    _refuse_overlapping_shifts(event, chosen, phone)
    extra = {
        "age_group": age_group,
        "organisation": (organisation or "").strip() or None,
        "experience": (experience or "").strip() or None,
        "availability": (availability or "").strip() or None,
        "code_agreed": True,
    }
    registrations = []
    for slot in chosen:
        try:
            registration = register(
                event, slot, name=name, phone=phone, party_size=1, email=email,
                submission_key=_shift_submission_key(submission_key, slot),
                consent_version=consent_version, extra=extra, now=now,
            )
        except AlreadyRegistered as error:
            raise AlreadyRegistered(
                _("您已经申请过“%(shift)s”这个班次，请不要重复选择。", shift=slot.label),
                existing=error.existing, field="slots",
            ) from None
        registrations.append(registration)
    queue_application_mail(registrations)
    return registrations


def _overlap(one, other):
    return one.starts_at < other.ends_at and other.starts_at < one.ends_at


def _refuse_overlapping_shifts(event, chosen, phone):
    """One person cannot stand at two posts at once: both shifts would be certified and the
    hours counted twice. ``chosen`` is sorted by start, so an overlap shows between
    neighbours. Shifts back to back (one ends as the next starts) are fine."""
    for earlier, later in pairwise(chosen):
        if _overlap(earlier, later):
            raise InvalidData(_("“%(one)s”和“%(other)s”时间重叠，一个人不能同时在两个岗位，"
                                "请只选其中一个。", one=earlier.label, other=later.label),
                              field="slots")
    normalised = normalise_phone(phone)
    if normalised is None:
        return  # the registration refuses the phone with its own message
    chosen_ids = {slot.id for slot in chosen}
    # The same shift again is the registration's to answer (a form sent twice opens the
    # application it made; another form is told it applied already).
    standing = db.session.execute(
        select(Slot).join(Registration, Registration.slot_id == Slot.id)
        .where(Registration.event_id == event.id, Registration.phone == normalised,
               Registration.status.in_(("pending", "confirmed")),
               Slot.id.not_in(chosen_ids))
    ).scalars().all()
    for slot in chosen:
        for held in standing:
            if _overlap(slot, held):
                raise Conflict(_("您已申请的“%(held)s”与“%(shift)s”时间重叠，一个人不能同时在两个"
                                 "岗位。如需换班，请先在原申请的页面撤回。",
                                 held=held.label, shift=slot.label), field="slots")


def active_applications(event, slots, phone):
    """The phone's applications still standing (pending or approved) for these shifts."""
    normalised = normalise_phone(phone)
    if normalised is None:
        return []
    found = (find_active(event, slot, normalised) for slot in slots)
    return [registration for registration in found if registration is not None]


def _shift_submission_key(submission_key, slot):
    """One form, several shifts: each registration keeps its own key (the column is unique)."""
    if not submission_key:
        return None
    return hashlib.sha256(f"{submission_key}:{slot.id}".encode()).hexdigest()[:40]


def queue_application_mail(registrations):
    """Tell the volunteer their application arrived (one message for all its shifts)."""
    from app.services.mail import queue_registration_mail

    if not registrations:
        return None
    return queue_registration_mail(registrations[0], "pending", applications=registrations,
                                   dedupe_key=f"pending:{registrations[0].id}")


# --- Review -----------------------------------------------------------------------------

def approve(registration, staff, now=None):
    """Approve a pending application: take its seat (never past the shift's capacity),
    mail the volunteer and audit the decision. Raises Conflict / SlotFull, and Conflict
    once the shift is over (rejecting it, with a reason, still closes the application)."""
    now = now or utcnow()
    _require_volunteer(registration)
    if registration.status == "pending" and now >= registration.slot.ends_at:
        # The approval mail would tell them to come and scan in for a shift already over.
        raise Conflict(_("“%(shift)s”已于 %(end)s 结束，不能再通过这份申请。",
                         shift=registration.slot.label, end=_minute(registration.slot.ends_at)))
    with db.session.begin_nested():
        # Claim the application first: of two staff approving it at once only one moves it
        # out of ``pending``, so its seat is taken once.
        claimed = db.session.execute(
            update(Registration)
            .where(Registration.id == registration.id, Registration.status == "pending")
            .values(status="confirmed", reviewed_by_id=staff.id, reviewed_at=now,
                    review_reason=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not claimed:
            db.session.refresh(registration)
            raise Conflict(_("这份申请已经处理过了（%(status)s）。",
                             status=status_label(registration.status)))
        if not take_seats(registration.slot_id, registration.party_size):
            raise SlotFull(_("“%(shift)s”的志愿者名额已满，不能再通过。",
                             shift=registration.slot.label))
    db.session.refresh(registration)
    db.session.refresh(registration.slot)
    from app.services.mail import queue_registration_mail

    queue_registration_mail(registration, "approved")
    audit.record("volunteer.approve", registration, event=registration.event, actor=staff,
                 detail=_audit_detail(registration))
    return registration


def reject(registration, staff, reason, now=None):
    """Reject a pending application with a reason the volunteer will read. Frees nothing:
    a pending application holds no seat."""
    now = now or utcnow()
    _require_volunteer(registration)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(_("请填写不通过的原因，志愿者会在邮件和票面上看到。"), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidData(_("原因最多 %(n)d 个字。", n=REASON_MAX), field="reason")
    changed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status == "pending")
        .values(status="rejected", active_key=None, reviewed_by_id=staff.id, reviewed_at=now,
                review_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(registration)
    if not changed:
        raise Conflict(_("这份申请已经处理过了（%(status)s）。",
                         status=status_label(registration.status)))
    from app.services.mail import queue_registration_mail

    queue_registration_mail(registration, "rejected", reason=reason)
    audit.record("volunteer.reject", registration, event=registration.event, actor=staff,
                 detail={**_audit_detail(registration), "reason": reason})
    return registration


@dataclass
class BulkResult:
    done: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (registration, message)


def bulk_decide(registrations, staff, decision, reason=None, now=None):
    """Approve or reject several applications; each succeeds or fails on its own (a full
    shift refuses the rest of its applicants, the others go through)."""
    if decision not in ("approve", "reject"):
        raise InvalidData(_("未知的操作。"))
    if decision == "reject" and not (reason or "").strip():
        raise InvalidData(_("请填写不通过的原因，志愿者会在邮件和票面上看到。"), field="reason")
    if decision == "reject" and len(reason.strip()) > REASON_MAX:
        # Once for the form, not once per application it would have refused.
        raise InvalidData(_("原因最多 %(n)d 个字。", n=REASON_MAX), field="reason")
    result = BulkResult()
    for registration in sorted(registrations, key=lambda r: (r.created_at, r.id)):
        try:
            if decision == "approve":
                approve(registration, staff, now)
            else:
                reject(registration, staff, reason, now)
        except (Conflict, InvalidData) as error:
            result.failed.append((registration, str(error.message)))
        else:
            result.done.append(registration)
    return result


def withdraw(registration, now=None):
    """The volunteer withdraws an application (pending or approved). Frees the seat only
    when it held one; a volunteer who already checked in cannot withdraw that shift."""
    _require_volunteer(registration)
    if registration.checkin is not None:
        raise Conflict(_("已经签到的班次不能退出，请联系工作人员。"))
    if registration.status in ("cancelled", "rejected"):
        return []
    return cancel(registration, reason="志愿者本人退出", now=now)  # stored for staff to read


def _require_volunteer(registration):
    if registration is None or registration.event.kind != "volunteer":
        raise NotFound(_("没有找到这份志愿者申请。"))


def _audit_detail(registration):
    return {"shift": registration.slot.key, "name": registration.masked_name,
            "phone": mask_phone(registration.phone), "ticket": registration.ticket_number}


STATUS_LABELS = {
    "pending": _l("待审核"),
    "confirmed": _l("已通过"),
    "rejected": _l("未通过"),
    "cancelled": _l("已退出"),
    "waitlisted": _l("候补"),
}


def status_label(status):
    return str(STATUS_LABELS.get(status, status))


# --- Check-out and time corrections ---------------------------------------------------------

def find_by_code(event, code):
    """A ticket from the QR content (its URL), its token, or the printed ticket number."""
    code = (code or "").strip()
    if not code or len(code) > 500:
        return None
    if "/tickets/" in code:
        code = code.rsplit("/tickets/", 1)[1].split("/", 1)[0].split("?", 1)[0]
    registration = db.session.execute(
        select(Registration).where(
            (Registration.token == code[:64]) | (Registration.ticket_number == code.upper()[:16])
        )
    ).scalars().first()
    if registration is None or registration.event_id != event.id:
        return None
    return registration


def check_out(registration, now=None, *, gate="", staff=None):
    """Record when a volunteer leaves. Returns (result, hours): result is ``ok``,
    ``not_checked_in`` or ``already_checked_out``."""
    now = now or utcnow()
    checkin = registration.checkin
    if checkin is None:
        return "not_checked_in", Decimal("0.00")
    if checkin.checked_out_at is not None:
        return "already_checked_out", service_hours(checkin, registration.slot)
    # A conditional UPDATE, so two scans at once record one check-out.
    changed = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.checked_out_at.is_(None))
        .values(checked_out_at=max(now, checkin.checked_in_at))
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(checkin)
    if not changed:
        return "already_checked_out", service_hours(checkin, registration.slot)
    hours = service_hours(checkin, registration.slot)
    audit.record("volunteer.checkout", registration, event=registration.event, actor=staff,
                 detail={**_audit_detail(registration), "gate": (gate or "")[:50],
                         "hours": str(hours)})
    return "ok", hours


def correct_times(registration, staff, *, reason, checked_in_at=None, checked_out_at=None,
                  extended_until=None, clear_checkout=False, clear_extension=False, now=None):
    """Staff correct a volunteer's times; the reason and the old and new times go into the
    audit log. A volunteer with no check-in gets one (source ``manual``).

    A time given here is bounded as the door bounds a scan: the check-in lies in the shift's
    check-in window, the check-out after the check-in and no later than the shift's end (or
    the extension, which ends on the shift's own day: ``latest_extension``). A check-out the
    door recorded later stays as it is (hours are capped); so does an extension stored before
    that bound, unless it is the one being changed.

    Returns the CheckIn, or None when its times are already the ones given (the form sent
    twice, or saved in another tab): nothing changes and nothing is written to the log."""
    now = now or utcnow()
    _require_volunteer(registration)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(_("请填写更正原因，它会记入操作日志。"), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidData(_("原因最多 %(n)d 个字。", n=REASON_MAX), field="reason")
    if registration.status != "confirmed":
        raise Conflict(_("只有已通过的志愿者才能记录服务时间。"))
    slot = registration.slot
    checkin = registration.checkin
    before = _times(checkin)
    if checkin is None and checked_in_at is None:
        raise InvalidData(_("请填写签到时间。"), field="checked_in_at")
    # Everything is checked before anything changes: a refused correction changes nothing.
    new_in = checked_in_at or checkin.checked_in_at
    new_out = None if clear_checkout else (
        checked_out_at or (checkin.checked_out_at if checkin is not None else None))
    new_extension = None if clear_extension else (
        extended_until or (checkin.extended_until if checkin is not None else None))
    if new_extension is not None and new_extension <= slot.ends_at:
        raise InvalidData(_("延长时间应晚于班次结束时间。"), field="extended_until")
    if extended_until is not None and not clear_extension and extended_until > latest_extension(slot):
        raise InvalidData(_("延长时间不能晚于班次结束当天的 24:00（%(day)s）。",
                            day=format_datetime(slot.ends_at, "yyyy-MM-dd")),
                          field="extended_until")
    if checked_in_at is not None:
        opens, closes = checkin_window(registration.event, slot)
        if not opens <= checked_in_at <= closes:
            raise InvalidData(_("签到时间应在这个班次可以签到的时段内（%(opens)s 至 %(closes)s）。",
                                opens=_minute(opens), closes=_minute(closes)),
                              field="checked_in_at")
    if not clear_checkout and checked_out_at is not None:
        cap = new_extension or slot.ends_at
        if checked_out_at > cap:
            message = (_("签退时间不能晚于延长至的时间（%(end)s）。", end=_minute(cap))
                       if new_extension else
                       _("签退时间不能晚于班次结束时间（%(end)s）；志愿者留下来服务的，请同时填写"
                         "“班次延长至”。", end=_minute(cap)))
            raise InvalidData(message, field="checked_out_at")
    edited = checked_in_at is not None or checked_out_at is not None
    if edited and new_out is not None and new_out <= new_in:
        raise InvalidData(_("签退时间应晚于签到时间。"),
                          field="checked_out_at" if checked_out_at else "checked_in_at")
    if checkin is not None and (new_in, new_out, new_extension) == (
            checkin.checked_in_at, checkin.checked_out_at, checkin.extended_until):
        return None
    if checkin is None:
        checkin = CheckIn(registration_id=registration.id, event_id=registration.event_id,
                          checked_in_at=new_in, recorded_at=now, gate="",
                          staff_id=staff.id, source="manual")
        try:
            with db.session.begin_nested():
                db.session.add(checkin)
        except IntegrityError:
            # One check-in per registration: the door scanned them, or another tab (the
            # form sent twice) recorded one, since this request read the record.
            raise Conflict(_("这位志愿者刚刚有了签到记录（门岗扫码或另一个页面的更正），"
                             "请核对页面上的时间后再更正。")) from None
    checkin.checked_in_at = new_in
    checkin.checked_out_at = new_out
    checkin.extended_until = new_extension
    db.session.flush()
    db.session.refresh(registration)
    after = _times(checkin)
    audit.record("volunteer.correct_times", registration, event=registration.event, actor=staff,
                 detail={**_audit_detail(registration), "reason": reason, "before": before,
                         "after": after})
    return checkin


def latest_extension(slot):
    """How far staff may extend a shift: to midnight (Beijing time) of the day it ends. A
    volunteer who stays on is recorded that day; a slip of the date picker (a day, a month
    later) would otherwise count every hour up to it."""
    ends = slot.ends_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    next_midnight = datetime.combine(ends.date() + timedelta(days=1), time(0), tzinfo=ends.tzinfo)
    return next_midnight.astimezone(timezone.utc)


def _minute(moment):
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def _times(checkin):
    if checkin is None:
        return {}
    return {name: (value.isoformat() if value else None) for name, value in (
        ("checked_in_at", checkin.checked_in_at), ("checked_out_at", checkin.checked_out_at),
        ("extended_until", checkin.extended_until))}


# --- Hours ----------------------------------------------------------------------------

def served_minutes(checked_in_at, checked_out_at, shift_ends_at, extended_until=None,
                   counts_from=None):
    """The one rule for service time: whole minutes from check-in to check-out, counted from
    ``counts_from`` at the earliest (when the shift's check-in window opens: see
    ``counting_starts``) and capped at the shift's end (or at the time staff extended it
    to). Nothing until the volunteer has checked out; never negative. Reports and the
    volunteer pages both count with it."""
    if checked_in_at is None or checked_out_at is None:
        return 0
    start = max(checked_in_at, counts_from) if counts_from is not None else checked_in_at
    cap = extended_until if extended_until is not None else shift_ends_at
    seconds = (min(checked_out_at, cap) - start).total_seconds()
    return max(int(seconds // 60), 0)


def counting_starts(event, slot):
    """The earliest time service hours count from: the shift's check-in window opens (a
    check-in recorded before it, however it got there, earns nothing for the wait)."""
    return checkin_window(event, slot)[0]


def service_minutes(checkin, slot):
    """``served_minutes`` of a CheckIn row on its shift."""
    if checkin is None:
        return 0
    return served_minutes(checkin.checked_in_at, checkin.checked_out_at, slot.ends_at,
                          checkin.extended_until, counting_starts(slot.event, slot))


def minutes_to_hours(minutes):
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours_served(registration):
    """A volunteer's certified hours on their shift once they have checked out, else None
    (their ticket page says what has been recorded)."""
    checkin = registration.checkin
    if registration.event.kind != "volunteer" or checkin is None or checkin.checked_out_at is None:
        return None
    return service_hours(checkin, registration.slot)


def service_hours(checkin, slot):
    """Hours served as a Decimal with two places (see ``service_minutes``)."""
    return minutes_to_hours(service_minutes(checkin, slot))


@dataclass
class ShiftRecord:
    registration: Registration
    slot: Slot
    checkin: CheckIn | None
    minutes: int

    @property
    def hours(self):
        return minutes_to_hours(self.minutes)

    @property
    def open(self):
        """Checked in but not out: hours not counted yet."""
        return self.checkin is not None and self.checkin.checked_out_at is None

    @property
    def capped(self):
        checkin = self.checkin
        if checkin is None or checkin.checked_out_at is None:
            return False
        cap = checkin.extended_until or self.slot.ends_at
        return checkin.checked_out_at > cap

    @property
    def early(self):
        """Checked in before the check-in window opened: hours count from its opening."""
        return self.checkin is not None and self.checkin.checked_in_at < self.counted_from

    @property
    def counted_from(self):
        """Where the counted service time begins (the certificate shows this span)."""
        return max(self.checkin.checked_in_at, counting_starts(self.slot.event, self.slot))

    @property
    def counted_until(self):
        return min(self.checkin.checked_out_at, self.checkin.extended_until or self.slot.ends_at)


@dataclass
class VolunteerHours:
    key: str  # the phone hash: the same person across shifts and drives
    name: str
    phone: str
    shifts: list = field(default_factory=list)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def minutes(self):
        return sum(s.minutes for s in self.shifts)

    @property
    def hours(self):
        return minutes_to_hours(self.minutes)

    @property
    def served_shifts(self):
        return [s for s in self.shifts if s.minutes > 0]

    @property
    def first_registration(self):
        return self.shifts[0].registration


def phone_key(phone):
    """A stable, unguessable stand-in for a phone number in URLs (HMAC with the secret)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (phone or "").encode(), hashlib.sha256).hexdigest()[:24]


def _approved_rows(where):
    return db.session.execute(
        select(Registration, Slot, CheckIn)
        .join(Slot, Slot.id == Registration.slot_id)
        .join(Event, Event.id == Registration.event_id)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Event.kind == "volunteer", Registration.status == "confirmed", *where)
        .order_by(Slot.starts_at, Slot.id, Registration.id)
    ).all()


def shift_records(event):
    """Every approved volunteer's shift of a drive, with the hours served."""
    return [ShiftRecord(r, s, c, service_minutes(c, s))
            for r, s, c in _approved_rows([Registration.event_id == event.id])]


def hours_by_volunteer(records):
    people = OrderedDict()
    for record in records:
        phone = record.registration.phone
        person = people.get(phone)
        if person is None:
            person = people[phone] = VolunteerHours(phone_key(phone), record.registration.name,
                                                    phone)
        person.shifts.append(record)
    return sorted(people.values(), key=lambda p: (-p.minutes, p.name))


@dataclass
class DriveHours:
    event: Event
    records: list
    volunteers: list
    per_shift: list  # (slot, approved, checked in, minutes)

    @property
    def minutes(self):
        return sum(r.minutes for r in self.records)

    @property
    def hours(self):
        return minutes_to_hours(self.minutes)

    @property
    def open_count(self):
        return sum(1 for r in self.records if r.open)


def drive_report(event):
    """The hours report of a drive: per shift and per volunteer."""
    records = shift_records(event)
    per_shift = []
    for slot in event.slots:
        mine = [r for r in records if r.slot.id == slot.id]
        per_shift.append((slot, len(mine), sum(1 for r in mine if r.checkin is not None),
                          minutes_to_hours(sum(r.minutes for r in mine))))
    return DriveHours(event, records, hours_by_volunteer(records), per_shift)


def volunteer_record(key, event=None):
    """A person's approved shifts (by phone hash, or by one of their registrations' ids),
    across every drive or one. Returns a VolunteerHours or None."""
    phone = _phone_for(key)
    if phone is None:
        return None
    where = [Registration.phone == phone]
    if event is not None:
        where.append(Registration.event_id == event.id)
    records = [ShiftRecord(r, s, c, service_minutes(c, s)) for r, s, c in _approved_rows(where)]
    if not records:
        return None
    return hours_by_volunteer(records)[0]


def _phone_for(key):
    key = str(key or "")
    if key.isascii() and key.isdecimal() and len(key) < 10:  # an id (a phone number is not one)
        registration = db.session.get(Registration, int(key))
        if registration is None or registration.event.kind != "volunteer" or not registration.phone:
            return None
        return registration.phone
    if len(key) != 24:
        return None
    phones = db.session.execute(
        select(Registration.phone).join(Event, Event.id == Registration.event_id)
        .where(Event.kind == "volunteer", Registration.status == "confirmed",
               Registration.phone != "").distinct()
    ).scalars()
    return next((p for p in phones if hmac.compare_digest(phone_key(p), key)), None)


# --- Lists for staff ---------------------------------------------------------------------

STATUS_ORDER = {"pending": 0, "confirmed": 1, "rejected": 2, "cancelled": 3, "waitlisted": 4}


def review_queue(event, status=None):
    """A drive's applications, pending first (oldest first), then the decided ones."""
    query = select(Registration).where(Registration.event_id == event.id)
    if status:
        query = query.where(Registration.status == status)
    rows = db.session.execute(query.order_by(Registration.created_at, Registration.id)).scalars()
    return sorted(rows, key=lambda r: (STATUS_ORDER.get(r.status, 9), r.created_at, r.id))


def get_application(registration_id):
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event.kind != "volunteer":
        raise NotFound(_("没有找到这份志愿者申请。"))
    return registration


def applications_by_ids(event, ids):
    # Only ids a row can have: ASCII digits (str.isdigit() also takes "²", which int()
    # refuses) within the database's INTEGER range.
    ids = [int(i) for i in ids if str(i).isascii() and str(i).isdecimal()
           and 0 < int(i) <= LARGEST_ID][:500]
    if not ids:
        return []
    return list(db.session.execute(
        select(Registration).where(Registration.event_id == event.id, Registration.id.in_(ids))
    ).scalars())


def same_person_applications(registration):
    """The volunteer's other applications in the same drive (for the record page)."""
    if not registration.phone:
        return [registration]
    return list(db.session.execute(
        select(Registration).where(Registration.event_id == registration.event_id,
                                   Registration.phone == registration.phone)
        .order_by(Registration.created_at, Registration.id)
    ).scalars())


def applications_in_drive(registration):
    """Everything one person applied for in the drive of ``registration``, itself included:
    the same event and the same phone (stored normalised), in the order of the shifts, with
    the rejected and withdrawn ones too. For the volunteer's ticket pages, where each shift
    has its own ticket. Empty for an open day and once the data has been erased."""
    if (registration.event.kind != "volunteer" or not registration.phone
            or registration.anonymised_at is not None):  # purged: a stand-in, not a person's
        return []
    return list(db.session.execute(
        select(Registration).join(Slot, Slot.id == Registration.slot_id)
        .where(Registration.event_id == registration.event_id,
               Registration.phone == registration.phone)
        .order_by(Slot.starts_at, Slot.id, Registration.created_at, Registration.id)
    ).scalars())


def other_active_applications(registration):
    """The same person's other applications in the drive still pending or approved."""
    return [r for r in applications_in_drive(registration)
            if r.id != registration.id and r.is_active]


def audit_trail(registration):
    from app.models import AuditLog

    return list(db.session.execute(
        select(AuditLog).where(AuditLog.target_type == "registration",
                               AuditLog.target_id == str(registration.id),
                               AuditLog.action.like("volunteer.%"))
        .order_by(AuditLog.at, AuditLog.id)
    ).scalars())


__all__ = [
    "AGE_GROUPS", "apply", "approve", "reject", "bulk_decide", "withdraw", "check_out",
    "correct_times", "service_minutes", "service_hours", "drive_report", "volunteer_record",
    "review_queue", "find_by_code", "phone_key", "applications_in_drive",
    "other_active_applications",
]
