"""Invitations: seats of a slot held back for stakeholders and citizen representatives,
and the links through which they register into those seats.

``Slot.reserved`` counts the held seats; the public may only take
``capacity - booked - reserved``. Every change of ``reserved`` is one conditional UPDATE,
so the reserve can never push ``booked + reserved`` past the capacity (the database CHECK
is the last line of defence). Registering through a link (services.registration.register
with ``invitation=``) moves seats from ``reserved`` to ``booked``, then takes public
seats if the reserve runs short, and counts a use.
"""
import re
import secrets
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Invitation, Registration, Slot
from app.services.errors import Conflict, InvalidData, NotFound
from app.services.text import has_hidden_characters
from app.services.waitlist import offer_added_seats


def reserve_seats(slot, seats, seen=None):
    """Hold back ``seats`` more seats of the slot for invitees, if they are still free.
    ``seen``: the held count the admin's page showed; the seats are added only to that
    count, so a double click or a second tab adds them once (see _changed_meanwhile)."""
    seats = _positive(seats)
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.booked + Slot.reserved + seats <= Slot.capacity,
               *_as_seen(seen))
        .values(reserved=Slot.reserved + seats)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(slot)
    if result.rowcount != 1:
        _changed_meanwhile(slot, seen)
        raise Conflict(_("“%(label)s”只剩 %(n)d 个公开名额，无法预留 %(want)d 个。",
                         label=slot.label, n=slot.seats_left, want=seats))
    return slot


class Released(NamedTuple):
    seats: int
    # registrations promoted from the slot's waiting list into the released seats
    promoted: list


def release_seats(slot, seats=None, seen=None):
    """Give unused reserved seats back to the public: ``seats`` of them, or all. The
    slot's waiting list is offered them first (services.waitlist). ``seen`` as for
    reserve_seats."""
    db.session.refresh(slot)
    seats = slot.reserved if seats is None else _positive(seats)
    if seats == 0:
        return Released(0, [])
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.reserved >= seats, *_as_seen(seen))
        .values(reserved=Slot.reserved - seats)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(slot)
    if result.rowcount != 1:
        _changed_meanwhile(slot, seen)
        raise Conflict(_("“%(label)s”只预留了 %(n)d 个名额。", label=slot.label,
                         n=slot.reserved))
    return Released(seats, offer_added_seats([slot]))


def _as_seen(seen):
    return () if seen is None else (Slot.reserved == seen,)


def _changed_meanwhile(slot, seen):
    """Reserving or releasing adds or takes seats: sent twice (a double click, the same
    form in a second tab, a colleague at the same moment) it would do so twice. The page
    says how many it showed held; when that is no longer so, nothing is done."""
    if seen is not None and slot.reserved != seen:
        raise Conflict(_("“%(label)s”的预留名额刚刚有了变化（可能点了两次，或在另一个页面已操作），"
                         "现在预留 %(n)d 个。请核对后再提交。", label=slot.label, n=slot.reserved))


def shown_reserved(slots):
    """What an invitations page shows held, per slot, for its forms to send back."""
    return ",".join(f"{slot.key}:{slot.reserved}" for slot in slots)


def seen_reserved(text, slot):
    """The held count the page showed for ``slot``: None when the form does not say (a
    script, a page from before), -1 (matches nothing) when it says something else."""
    if text is None:
        return None
    for pair in str(text).split(","):
        key, _sep, count = pair.partition(":")
        if key == slot.key and count.isascii() and count.isdecimal() and len(count) < 10:
            return int(count)
    return -1


def new_form_key():
    return secrets.token_urlsafe(18)


def create_invitation(event, slot, *, label, max_uses=1, created_by=None, form_key=None):
    """A link for one invitee (max_uses 1) or a group (max_uses > 1). The same form sent
    again (its ``form_key`` made a link already) makes no second one: Conflict."""
    form_key = form_key if form_key and FORM_KEY_RE.match(form_key) else None
    if slot.event_id != event.id:
        raise NotFound(_("没有找到这个场次。"))
    label = (label or "").strip()
    made = _made_by_form(event, form_key) if form_key else None
    if made is not None:
        if (made.slot_id, made.label, made.max_uses) == (slot.id, label, max_uses):
            raise _sent_twice()
        # The same form brought back with the back button and filled in for another
        # invitee: their own link, not "made already" (the key stays with the first).
        form_key = None
    if not label or len(label) > 200:
        raise InvalidData(_("请填写受邀人或团体（最多 200 字）。"), field="label")
    if has_hidden_characters(label):  # the invitee reads it on the invitation page
        raise InvalidData(_("有无法显示的字符（如零宽空格、文字方向控制符），请删除后重新输入。"),
                          field="label")
    invitation = Invitation(event_id=event.id, slot_id=slot.id, label=label,
                            max_uses=_positive(max_uses), used=0,
                            token=secrets.token_urlsafe(20),
                            created_by_id=getattr(created_by, "id", None), form_key=form_key)
    try:
        with db.session.begin_nested():  # the two clicks of a double click, at once
            db.session.add(invitation)
    except IntegrityError:
        if form_key and _made_by_form(event, form_key):
            raise _sent_twice() from None
        raise
    return invitation


def _sent_twice():
    return Conflict(_("这个邀请链接已经生成（表单提交了两次），没有再生成新的链接。"))


FORM_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _made_by_form(event, form_key):
    return db.session.execute(
        select(Invitation).where(Invitation.event_id == event.id, Invitation.form_key == form_key)
    ).scalar_one_or_none()


def revoke(invitation):
    """Make the link unusable; True if it was usable until now (a second click, another
    tab: nothing changes and nothing more is recorded)."""
    if invitation.revoked:
        return False
    invitation.revoked = True
    db.session.flush()
    return True


def invitations_for(event):
    return db.session.execute(
        select(Invitation).where(Invitation.event_id == event.id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).scalars().all()


def get_invitation(event, invitation_id):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        raise NotFound(_("没有找到这个邀请。"))
    return invitation


def find_by_token(token):
    if not token or len(token) > 64:
        return None
    return db.session.execute(
        select(Invitation).where(Invitation.token == token)
    ).scalar_one_or_none()


def usable_invitation(token):
    """The invitation behind a link, or a clear refusal (404 unknown, 409 used up)."""
    invitation = find_by_token(token)
    if invitation is None:
        raise NotFound(_("没有找到这个邀请链接，请检查链接是否完整。"))
    if invitation.revoked:
        raise Conflict(_("这个邀请链接已经失效。"))
    if invitation.used >= invitation.max_uses:
        raise Conflict(_("这个邀请链接已经用完。"))
    status = invitation.slot.event.status
    if status == "closed":
        raise Conflict(_("活动已经结束报名。"))
    if status == "draft":
        # Links may go out before the event is published, but an invitee's ticket would
        # point at a page the public cannot see yet, and the details may still change.
        raise Conflict(_("这个活动还没有发布，发布后邀请链接才能使用，请稍后再打开。"))
    return invitation


def ticket_through(token, ticket_tokens):
    """Among ``ticket_tokens`` (one browser's own tickets), the active registration made
    through the invitation link ``token``, or None."""
    if not ticket_tokens:
        return None
    return db.session.execute(
        select(Registration).join(Invitation, Registration.invitation_id == Invitation.id)
        .where(Invitation.token == token, Registration.token.in_(ticket_tokens),
               Registration.active_key.is_not(None))
        .order_by(Registration.id.desc())
    ).scalars().first()


def invitation_url(invitation):
    return f"{current_app.config['BASE_URL']}/invite/{invitation.token}"


def _positive(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidData(_("名额数应为正整数。"), field="seats")
    return value
