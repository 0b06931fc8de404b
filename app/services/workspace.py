"""The staff workspace's own rules: an event's publication status, and the registrations
roster (search by name, phone tail or ticket number; filters; paging)."""
import math
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, false, func, or_, select

from app.extensions import db
from app.models import CheckIn, Registration
from app.models.types import utcnow
from app.services import events as event_service
from app.services.errors import (
    AlreadyRegistered,
    Conflict,
    InvalidData,
    NotFound,
    RegistrationClosed,
    SlotFull,
)
from app.services.privacy import STAND_IN
from app.services.registration import normalise_phone, register
from app.services.staff import REPEAT_WINDOW
from app.services.text import has_hidden_characters

# draft -> published -> closed; a closed event may be published again.
STATUS_CHANGES = {"publish": ("published", ("draft", "closed")),
                  "close": ("closed", ("published", "draft"))}
PER_PAGE = 50


def change_status(event, action):
    """Publish or close an event; returns the previous status."""
    if action not in STATUS_CHANGES:
        raise NotFound()
    new_status, allowed_from = STATUS_CHANGES[action]
    if event.status == new_status:  # pressed twice, or done in another tab meanwhile
        raise Conflict(_("活动已经发布，无需再次发布。") if action == "publish"
                       else _("活动已经关闭，无需再次关闭。"))
    if event.status not in allowed_from:
        raise Conflict(_("活动当前状态不能进行这个操作。"))
    previous = event.status
    event.status = new_status
    db.session.flush()
    return previous


def draft_this_form_made(data):
    """The draft the new-event form ``data`` (import format) made moments ago, or None.

    A double click on 创建 sends the form twice; the second found the slug taken and said
    "这个网址代码已被其他活动使用。", so staff thought nothing was saved and made the event
    again under another slug. The same slug, still a draft, made within REPEAT_WINDOW (as
    for a staff account sent twice) and holding exactly what the form says is this form's
    own; any other is someone else's."""
    event = event_service.get_event((data.get("slug") or "").strip())
    if (event is None or event.status != "draft"
            or event.created_at < utcnow() - REPEAT_WINDOW):
        return None
    try:
        sent = event_service.validate_event_data(data)
        held = event_service.validate_event_data(
            {**event_service.event_to_json(event), "status": data.get("status")})
    except InvalidData:
        return None
    return event if sent == held else None


def get_registration(registration_id):
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(_("没有找到这条报名记录。"))
    return registration


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


MASKED_PHONE = re.compile(r"(1\d{2})\*{4}(\d{4})")


def search_text(raw):
    """A search box's text as stored text reads: NFKC (full-width digits and letters become
    ASCII), without the invisible characters a copy brings along, and trimmed. A number
    copied from a phone's contacts comes wrapped in direction marks (U+202D … U+202C), a
    name copied from a chat may carry a zero-width space; names never hold them (the forms
    refuse them), so the search drops them rather than find no one."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(char for char in text
                   if not has_hidden_characters(char)).strip()


def search_conditions(text, *, shortest_tail=3):
    """What a search box's ``text`` may mean, as alternatives: part of a name, a ticket
    number (any case), the end of a phone number (``shortest_tail`` to 11 digits), a whole
    number however it is written, or one masked as staff screens show it. The
    registrations list and the check-in screen's search both ask this."""
    text = search_text(text)
    if not text:  # only invisible characters: they match no one (not everyone)
        return [false()]
    digits = re.sub(r"[\s-]", "", text)  # "K7M2 X9QA", "138-1234": as people group them
    # A name matches with or without its spaces: "李 四" as someone typed it on the form is
    # found as "李四", and the other way round (full-width spaces too).
    # Only names holding a space are rewritten (few): rewriting every name made a search of
    # 20,000 registrations four times slower.
    squeezed = re.sub(r"\s+", "", text)
    name_unspaced = func.replace(func.replace(Registration.name, " ", ""), "\u3000", "")
    conditions = [Registration.name.contains(squeezed, autoescape=True),
                  and_(or_(Registration.name.contains(" "), Registration.name.contains("\u3000")),
                       name_unspaced.contains(squeezed, autoescape=True)),
                  Registration.ticket_number == digits.upper()]
    if digits.isdigit() and shortest_tail <= len(digits) <= 11:
        # Not a purged volunteer's stand-in ("~42"): its digits are an id, no phone's.
        conditions.append(and_(Registration.phone.endswith(digits, autoescape=True),
                               ~Registration.phone.startswith(STAND_IN)))
    whole = normalise_phone(text)  # "+86 138-1234-5678", as people write it
    if whole is not None:
        conditions.append(Registration.phone == whole)
    masked = MASKED_PHONE.fullmatch(text)  # "138****5678", as the list shows it
    if masked is not None:
        conditions.append(and_(Registration.phone.startswith(masked[1]),
                               Registration.phone.endswith(masked[2])))
    return conditions


def search_registrations(event, *, q=None, slot_id=None, status=None, page=1, per_page=PER_PAGE):
    """The event's registrations, newest first. ``q`` matches a name (part of it), the
    end of a phone number (3–11 digits), a whole number however it is written or masked
    as staff screens show it, or a ticket number (exactly, any case)."""
    query = select(Registration).where(Registration.event_id == event.id)
    if slot_id:
        query = query.where(Registration.slot_id == slot_id)
    if status:
        query = query.where(Registration.status == status)
    text = search_text(q)
    if text:
        query = query.where(or_(*search_conditions(text)))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    # A page past the end (a bookmark, or a list that shrank since) shows the last one, not
    # "page 9 of 2" with nothing on it and no way forward.
    page = min(max(int(page or 1), 1), max(math.ceil(total / per_page), 1))
    items = db.session.execute(
        query.order_by(Registration.created_at.desc(), Registration.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).scalars().all()
    return Page(items=items, page=page, per_page=per_page, total=total)


def checked_in_ids(registrations):
    ids = [r.id for r in registrations]
    if not ids:
        return set()
    return set(db.session.execute(
        select(CheckIn.registration_id).where(CheckIn.registration_id.in_(ids))
    ).scalars())


def walk_in_made_by_form(event, submission_key, phone):
    """The registration that this very walk-in form made, or None: a double tap, or the
    form sent again on a slow network, whose first send went through. The same form brought
    back with the back button and filled in for the next person is not that (another
    phone): that person is registered in their own right."""
    from app.services.registration import find_by_submission, normalise_phone

    made = find_by_submission(submission_key)
    if made is None or made.event_id != event.id or made.phone != normalise_phone(phone or ""):
        return None
    return made


def register_walk_in(event, slot, *, how, entered_by, now=None, submission_key=None, **fields):
    """Staff register someone at the door or on the phone (``how``): the registration
    window does not apply, the seats do (reserved seats stay with the invitees), and not
    once the slot has ended. Only a phone-in may be put on the waiting list.
    ``submission_key``: the form's own key (see walk_in_made_by_form); a key that made
    someone else's registration already (the back button) is not used again."""
    if slot.ends_at <= (now or utcnow()):
        raise RegistrationClosed(_("这个场次已经结束，不能再登记。"))
    # Someone already registered is told so first, whether or not seats remain: "no seats
    # left" would send them away although they hold a ticket.
    from app.services.registration import find_active, normalise_phone

    existing = find_active(event, slot, normalise_phone(fields.get("phone", "")) or "")
    if existing is not None:
        raise AlreadyRegistered(existing=existing)
    # Someone calling in may join the waiting list; someone standing at the door needs a
    # seat now, and a place on a list is no use to them.
    if slot.seats_left < fields["party_size"] and (how == "walk_in" or not event.waitlist):
        raise SlotFull(_("该场次剩余名额不足（剩 %(n)d 个）。", n=slot.seats_left))
    from app.services.registration import find_by_submission

    if submission_key and find_by_submission(submission_key) is not None:
        submission_key = None
    return register(event, slot, source="staff", entered_by=entered_by,
                    consent_version=f"staff-{how}", now=now, submission_key=submission_key,
                    **fields)


def queue_ticket_mail(registration):
    """Mail a registration made by staff or through an invitation what it holds: a seat
    (报名成功, with the QR code) or a place on the waiting list (候补, without one), once
    per ticket like the citizens' own form."""
    from app.services.registration import queue_new_registration_mail

    return queue_new_registration_mail(registration, fresh=True)
