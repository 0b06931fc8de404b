"""Events and their slots: validation shared by `flask events import` and the admin
pages, create-or-update by slug, and the event's JSON form."""
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Event, Slot
from app.models.event import EVENT_KINDS
from app.models.types import FIRST_YEAR, LAST_YEAR
from app.services.errors import InvalidData, NotFound
from app.services.slot_changes import tell_holders, terms_by_slot
from app.services.text import has_hidden_characters
from app.services.waitlist import offer_added_seats

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
END_OF_DAY_RE = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})[T ]24:00(?::00(?:\.0+)?)?(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|)")


def _require(data, field, kind, where=""):
    name = f"{where}{field}"
    if field not in data or data[field] in (None, ""):
        raise InvalidData(_("缺少字段 %(field)s。", field=name), field=name, missing=True)
    value = data[field]
    if kind is str and not isinstance(value, str):
        raise InvalidData(_("字段 %(field)s 应为文本。", field=name), field=name)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidData(_("字段 %(field)s 应为整数。", field=name), field=name)
    return value


def _text(data, field, max_len, where="", required=True, multiline=False):
    if not required and not data.get(field):
        return ""
    # A browser's text area sends CRLF line breaks; a JSON file usually LF. Stored one way,
    # saving an unchanged page changes nothing.
    value = _require(data, field, str, where).replace("\r\n", "\n").strip()
    if required and not value:  # only spaces: nothing a reader would see
        raise InvalidData(_("缺少字段 %(field)s。", field=f"{where}{field}"), field=f"{where}{field}",
                          missing=True)
    if len(value) > max_len:
        raise InvalidData(
            _("字段 %(field)s 过长（最多 %(n)d 个字符）。", field=f"{where}{field}", n=max_len),
            field=f"{where}{field}",
        )
    _shows_as_typed(value, f"{where}{field}", multiline)
    return value


def _shows_as_typed(value, field, multiline=False):
    """Citizens read these texts on the public pages: a bidi override would flip a title,
    a zero-width space hide part of it (the public form's rule for names, too)."""
    if has_hidden_characters(value, multiline=multiline):
        raise InvalidData(
            _("字段 %(field)s 有无法显示的字符（如零宽空格、文字方向控制符），请删除后重新输入。",
              field=field), field=field)


def parse_datetime(value, field):
    """ISO 8601 with an offset; a time without an offset is ambiguous and refused."""
    if not isinstance(value, str):
        raise InvalidData(_("字段 %(field)s 应为 ISO 8601 时间。", field=field), field=field)
    # ISO 8601 writes the end of a day as 24:00 (the pages write midnight so too): the next
    # day's 00:00, which Python does not read.
    end_of_day = END_OF_DAY_RE.fullmatch(value)
    try:
        if end_of_day:
            parsed = datetime.fromisoformat(f"{end_of_day['day']}T00:00{end_of_day['zone']}")
            parsed += timedelta(days=1)
        else:
            parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise InvalidData(
            _("字段 %(field)s 不是有效的 ISO 8601 时间：%(value)s", field=field, value=value[:40]),
            field=field,
        ) from None
    if parsed.tzinfo is None:
        raise InvalidData(
            _("字段 %(field)s 需要带时区，例如 +08:00。", field=field), field=field
        )
    # A slipped year (0001, 9999, as a date picker lets anyone type) is no open day; year 1
    # at +08:00 would not even convert to UTC (OverflowError, a 500 on the event form).
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise InvalidData(_("年份应在 %(first)d 至 %(last)d 之间（%(field)s）。",
                            first=FIRST_YEAR, last=LAST_YEAR, field=field), field=field)
    return parsed.astimezone(timezone.utc)


def validate_event_data(data):
    """Check an event's JSON and return it cleaned; raise InvalidData naming the bad field."""
    if not isinstance(data, dict):
        raise InvalidData(_("活动数据应为一个 JSON 对象。"))
    slug = _text(data, "slug", 80)
    if not SLUG_RE.match(slug):
        raise InvalidData(
            _("字段 slug 只能包含小写字母、数字和连字符（3–80 个字符）。"), field="slug"
        )
    kind = data.get("kind", "open_day")
    if kind not in EVENT_KINDS:
        raise InvalidData(_("字段 kind 应为 open_day 或 volunteer。"), field="kind")
    cleaned = {
        "slug": slug,
        "kind": kind,
        "title": _text(data, "title", 200),
        "description": _text(data, "description", 5000, required=False, multiline=True),
        "location": _text(data, "location", 300, required=False),
        "what_to_bring": _text(data, "what_to_bring", 2000, required=False,
                               multiline=True),
        "registration_opens_at": parse_datetime(
            _require(data, "registration_opens_at", str), "registration_opens_at"),
        "registration_closes_at": parse_datetime(
            _require(data, "registration_closes_at", str), "registration_closes_at"),
        "waitlist": bool(data.get("waitlist", False)),
    }
    # Without a status, a new event is published and an existing one keeps its own (a file
    # re-imported to fix a title must not reopen a closed event or publish a draft).
    if "status" in data:
        cleaned["status"] = data["status"]
    if cleaned.get("status", "published") not in ("draft", "published", "closed"):
        raise InvalidData(_("字段 status 应为 draft、published 或 closed。"), field="status")
    if not isinstance(data.get("waitlist", False), bool):
        raise InvalidData(_("字段 waitlist 应为 true 或 false。"), field="waitlist")
    if cleaned["registration_closes_at"] <= cleaned["registration_opens_at"]:
        raise InvalidData(
            _("报名截止时间（registration_closes_at）应晚于开始时间。"),
            field="registration_closes_at",
        )
    party = data.get("max_party_size", 1)
    if isinstance(party, bool) or not isinstance(party, int) or not 1 <= party <= 20:
        raise InvalidData(_("字段 max_party_size 应为 1 到 20 的整数。"), field="max_party_size")
    cleaned["max_party_size"] = party
    topics = data.get("feedback_topics", [])
    if not isinstance(topics, list) or not all(
        isinstance(t, str) and 0 < len(t.strip()) <= 50 for t in topics
    ) or len(topics) > 10:
        raise InvalidData(
            _("字段 feedback_topics 应为不超过 10 个的文本列表，每项不超过 50 字。"),
            field="feedback_topics",
        )
    cleaned["feedback_topics"] = [t.strip() for t in topics]
    for topic in cleaned["feedback_topics"]:
        _shows_as_typed(topic, "feedback_topics")
    for name in ("checkin_opens_minutes_before", "checkin_closes_minutes_after_end"):
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
                raise InvalidData(_("字段 %(field)s 应为 0 到 1440 的整数（分钟）。", field=name),
                                  field=name)
            cleaned[name] = value
    slots = data.get("slots")
    if not isinstance(slots, list) or not slots:
        raise InvalidData(_("至少要有一个场次（slots）。"), field="slots")
    cleaned["slots"] = [validate_slot_data(s, i) for i, s in enumerate(slots)]
    seen = set()
    for index, slot in enumerate(cleaned["slots"]):
        key = slot["key"].lower()  # "a" and "A" read as one slot
        if key in seen:  # named on the repeat: on the form, beside the code just typed
            raise InvalidData(_("场次代码（key）不能重复。"), field=f"slots[{index}].key")
        seen.add(key)
    return cleaned


def validate_slot_data(slot, index):
    where = f"slots[{index}]."
    if not isinstance(slot, dict):
        raise InvalidData(_("%(field)s 应为一个对象。", field=f"slots[{index}]"),
                          field=f"slots[{index}]")
    key = _text(slot, "key", 40, where)
    if not KEY_RE.match(key):
        raise InvalidData(_("字段 %(field)s 只能包含字母、数字、下划线和连字符。", field=f"{where}key"),
                          field=f"{where}key")
    capacity = _require(slot, "capacity", int, where)
    if not 0 <= capacity <= 100000:
        raise InvalidData(_("字段 %(field)s 应为 0 到 100000。", field=f"{where}capacity"),
                          field=f"{where}capacity")
    mode = slot.get("mode", "onsite")
    if mode not in ("onsite", "online"):
        raise InvalidData(_("字段 %(field)s 应为 onsite 或 online。", field=f"{where}mode"),
                          field=f"{where}mode")
    starts = parse_datetime(_require(slot, "starts_at", str, where), f"{where}starts_at")
    ends = parse_datetime(_require(slot, "ends_at", str, where), f"{where}ends_at")
    if ends <= starts:
        raise InvalidData(_("字段 %(field)s 应晚于开始时间。", field=f"{where}ends_at"),
                          field=f"{where}ends_at")
    join_url = slot.get("join_url") or None
    if join_url is not None and (not isinstance(join_url, str)
                                 or not join_url.startswith(("https://", "http://"))):
        raise InvalidData(_("字段 %(field)s 应为 http(s) 链接。", field=f"{where}join_url"),
                          field=f"{where}join_url")
    if join_url is not None:
        # Citizens open this link from their ticket and mail: a bidi override or a
        # zero-width space would make it show one address and lead to another.
        _shows_as_typed(join_url, f"{where}join_url")
    return {
        "key": key,
        "label": _text(slot, "label", 200, where),
        "starts_at": starts,
        "ends_at": ends,
        "capacity": capacity,
        "mode": mode,
        "join_url": join_url,
        "location": _text(slot, "location", 300, where, required=False) or None,
        "description": _text(slot, "description", 2000, where, required=False, multiline=True),
    }


def get_event(slug):
    """The event with this slug, or None. A string not shaped like a slug is not looked up
    (PostgreSQL answers a NUL character with an error, not with "no row")."""
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        return None
    return db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()


def require_event(slug):
    """The event with this slug for a staff page; NotFound (404) otherwise."""
    event = get_event(slug)
    if event is None:
        raise NotFound(_("没有找到这个活动。"))
    return event


class SavedEvent(NamedTuple):
    event: Event
    created: bool
    # services.slot_changes.SlotChange of each moved slot whose holders were told
    slot_changes: list
    # registrations promoted from a waiting list into seats the save added
    promoted: list


def save_event(data):
    """save_event_telling_holders(), for callers that need only (event, created)."""
    saved = save_event_telling_holders(data)
    return saved.event, saved.created


def save_event_telling_holders(data):
    """Create the event, or update the one with the same slug, from validated data.

    Slots are matched by key; a slot is never shrunk below the seats already taken, and a
    slot that holds registrations is never removed. When a slot's time, place, mode or
    join link changes, its holders are mailed in this transaction (services.slot_changes).
    Seats added to a slot go to its waiting list first (services.waitlist).
    """
    data = validate_event_data(data)
    event = _event_to_update(data["slug"])
    created = event is None
    terms_before = {} if created else terms_by_slot(event)
    if created:
        event = Event(slug=data["slug"])
        db.session.add(event)
    elif data.get("kind", event.kind) != event.kind and _event_has_registrations(event):
        # An open day's tickets and a drive's applications follow different rules.
        raise InvalidData(_("活动已有报名，不能更改类型（kind）。"), field="kind")
    for field in ("kind", "title", "description", "location", "what_to_bring",
                  "registration_opens_at", "registration_closes_at", "waitlist",
                  "max_party_size", "feedback_topics", "status",
                  "checkin_opens_minutes_before", "checkin_closes_minutes_after_end"):
        if field in data:
            setattr(event, field, data[field])
    existing = {s.key: s for s in event.slots}
    for index, slot_data in enumerate(data["slots"]):
        slot = existing.pop(slot_data["key"], None)
        if slot is None:
            slot = Slot(booked=0, reserved=0)
            event.slots.append(slot)
        elif slot_data["capacity"] < slot.booked + slot.reserved:
            raise InvalidData(
                _("场次 %(key)s 已有 %(n)d 个名额被占用，容量不能减少到 %(c)d。",
                  key=slot.key, n=slot.booked + slot.reserved, c=slot_data["capacity"]),
                field=f"slots[{index}].capacity",
            )
        for field, value in slot_data.items():
            setattr(slot, field, value)
    for slot in existing.values():
        if _slot_has_registrations(slot):
            raise InvalidData(
                # A slot is matched by its key, so a renamed key reads as a removal too.
                _("场次 %(key)s 已有报名，不能删除，也不能改它的场次代码。", key=slot.key),
                field="slots"
            )
        event.slots.remove(slot)
    db.session.flush()
    slot_changes = tell_holders(event, terms_before)
    promoted = [] if created else offer_added_seats(event.slots)
    return SavedEvent(event, created, slot_changes, promoted)


def _event_to_update(slug):
    """The event with its slots as committed now, locked until this save commits. Two
    admins saving at once then take turns, and the second compares with what the first
    saved, so ticket holders are not mailed the same change twice (PostgreSQL; on SQLite a
    writing transaction already has the database to itself). Objects the request loaded
    before (the form's event) are refreshed, not trusted."""
    event = db.session.execute(
        select(Event).where(Event.slug == slug).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if event is not None:
        db.session.execute(
            select(Slot).where(Slot.event_id == event.id).order_by(Slot.id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalars().all()
    return event


def setup_warnings(event, now=None):
    """What in a saved event looks like a slip, without refusing it (an office may mean it:
    a record of a past day, a slot opened later): the notes staff see after saving."""
    now = now or datetime.now(timezone.utc)
    notes = []
    for slot in event.slots:
        if slot.ends_at <= now:
            notes.append(_("场次“%(label)s”已经结束。", label=slot.label))
        elif event.registration_opens_at >= slot.starts_at:
            # (checked before the next note, which would say booking runs until the start)
            notes.append(_("场次“%(label)s”在报名开始之前就开始了，公众无法在网上报名这个场次。",
                           label=slot.label))
        elif event.registration_closes_at > slot.starts_at:
            notes.append(_("报名截止时间晚于场次“%(label)s”的开始时间；该场次开始后就不再接受报名。",
                           label=slot.label))
        if slot.capacity == 0:
            notes.append(_("场次“%(label)s”的名额是 0，公众看到的是“已满”。", label=slot.label))
        if slot.mode == "online" and not slot.join_url:
            notes.append(_("线上场次“%(label)s”还没有参与链接；报名的人会看到“链接将在活动开始前公布”。",
                           label=slot.label))
    return notes


def _event_has_registrations(event):
    return any(_slot_has_registrations(slot) for slot in event.slots)


def _slot_has_registrations(slot):
    from app.models import Registration

    if slot.id is None:
        return False
    return db.session.execute(
        select(Registration.id).where(Registration.slot_id == slot.id).limit(1)
    ).first() is not None


def event_to_json(event):
    """The event in the import format (CONTRACT §3), times in Asia/Shanghai."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")

    def iso(dt):
        return dt.astimezone(tz).isoformat()

    return {
        "slug": event.slug,
        "kind": event.kind,
        "status": event.status,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "what_to_bring": event.what_to_bring,
        "registration_opens_at": iso(event.registration_opens_at),
        "registration_closes_at": iso(event.registration_closes_at),
        "max_party_size": event.max_party_size,
        "waitlist": event.waitlist,
        "feedback_topics": list(event.feedback_topics or []),
        "checkin_opens_minutes_before": event.checkin_opens_minutes_before,
        "checkin_closes_minutes_after_end": event.checkin_closes_minutes_after_end,
        "slots": [
            {k: v for k, v in {
                "key": s.key, "label": s.label, "starts_at": iso(s.starts_at),
                "ends_at": iso(s.ends_at), "capacity": s.capacity, "mode": s.mode,
                "join_url": s.join_url, "location": s.location, "description": s.description,
            }.items() if v not in (None, "")}
            for s in event.slots
        ],
    }


def version_of(event):
    """A fingerprint of what the event form edits (not its status, which the form leaves
    alone): a form opened on one version and saved after another tab or another person saved
    a second one would undo that change without a word."""
    content = {k: v for k, v in event_to_json(event).items() if k != "status"}
    data = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def published_events(now=None):
    """The home page's events: ``(current, over)``. Current ones (a slot still to come or
    under way) by their registration deadline; those over, the latest first: staff may
    leave an event published for weeks after it, and it must not head the list."""
    now = now or datetime.now(timezone.utc)
    events = db.session.execute(
        select(Event).where(Event.status == "published").order_by(Event.registration_closes_at)
    ).scalars().all()
    over = [event for event in events if event.last_ends_at is not None and event.last_ends_at <= now]
    current = [event for event in events if event not in over]
    return current, sorted(over, key=lambda event: event.last_ends_at, reverse=True)


def all_events():
    return db.session.execute(
        select(Event).order_by(Event.registration_opens_at.desc())
    ).scalars().all()
