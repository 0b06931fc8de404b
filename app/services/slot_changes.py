"""Telling ticket holders when a slot they hold a place in moves: its time, its place,
its mode (onsite/online) or its online join link. Called by services.events.save_event,
so the admin form and `flask events import` tell people the same way, in the same
transaction as the save."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Registration
from app.models.registration import ACTIVE_STATUSES
from app.models.types import utcnow
from app.services import audit

# What a holder must know to turn up, in the order a message lists it.
CHANGE_LABELS = {"time": _l("时间"), "place": _l("地点"), "mode": _l("方式"),
                 "join_url": _l("线上参与链接")}


@dataclass(frozen=True)
class SlotTerms:
    """Where and when a slot takes place, as its holders were told."""

    starts_at: datetime
    ends_at: datetime
    mode: str
    place: str | None  # onsite only: the slot's own place, else the event's
    join_url: str | None  # online only

    @classmethod
    def of(cls, slot, event):
        online = slot.mode == "online"
        return cls(starts_at=_to_the_minute(slot.starts_at), ends_at=_to_the_minute(slot.ends_at),
                   mode=slot.mode,
                   place=None if online else (slot.location or event.location or ""),
                   join_url=(slot.join_url or None) if online else None)

    def changes_to(self, new):
        """The CHANGE_LABELS keys that differ. A new mode brings its own place or link, so
        those are not listed beside it."""
        changed = []
        if (self.starts_at, self.ends_at) != (new.starts_at, new.ends_at):
            changed.append("time")
        if self.mode != new.mode:
            changed.append("mode")
        else:
            if self.place != new.place:
                changed.append("place")
            if self.join_url != new.join_url:
                changed.append("join_url")
        return changed


def _to_the_minute(dt):
    # People are told minutes; an imported time with seconds, saved again from the admin
    # form (which has none), has not moved.
    return dt.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class SlotChange:
    """One slot's change and how its holders were reached."""

    slot_key: str
    slot_label: str
    changed: tuple
    mailed: int
    without_email: int

    @property
    def holders(self):
        return self.mailed + self.without_email

    def summary(self):
        """The counts staff act on, for the admin page's message and the command line."""
        what = _("、").join(str(CHANGE_LABELS[c]) for c in self.changed)
        if not self.without_email:
            return _("场次“%(label)s”的%(what)s已变更：已向 %(mailed)d 位报名人发送变更邮件。",
                     label=self.slot_label, what=what, mailed=self.mailed)
        return _("场次“%(label)s”的%(what)s已变更：已向 %(mailed)d 位报名人发送变更邮件，"
                 "%(phone)d 位未留邮箱，需电话通知。",
                 label=self.slot_label, what=what, mailed=self.mailed, phone=self.without_email)


def terms_by_slot(event):
    """Each stored slot's terms before a save changes them, by slot id."""
    return {slot.id: SlotTerms.of(slot, event) for slot in event.slots if slot.id is not None}


def tell_holders(event, terms_before):
    """After a save (flushed): for every slot whose terms changed, mail each active holder
    with an e-mail once, re-arm the day-before reminder when the start moved, and write an
    audit row. Returns the SlotChange of each changed slot that has holders."""
    reached = []
    for slot in event.slots:
        before = terms_before.get(slot.id)
        if before is None:
            continue  # a new slot: nobody holds a place in it yet
        after = SlotTerms.of(slot, event)
        changed = before.changes_to(after)
        if not changed:
            continue
        mailed = without_email = 0
        # A slot whose (new) time is over: correcting the record of a past slot is not news,
        # and a time moved into the past is a slip the save's notes point out (events.
        # setup_warnings), not something to mail people about.
        over = after.ends_at < utcnow()
        # A new join link alone is news only to those who may use it: a ticket without a
        # place (waiting, awaiting review) shows no link.
        link_only = changed == ["join_url"]
        for registration in [] if over else _active_holders(slot):
            if link_only and not registration.admits:
                continue
            if before.starts_at != after.starts_at:
                registration.reminder_sent_at = None  # the reminder goes out for the new day
            if registration.email:
                _queue_change_mail(registration, before, after, changed)
                mailed += 1
            else:
                without_email += 1
        change = SlotChange(slot.key, slot.label, tuple(changed), mailed, without_email)
        audit.record("slot.change", slot, event=event, detail=_audit_detail(change, before, after))
        if change.holders:
            reached.append(change)
    db.session.flush()
    return reached


def _active_holders(slot):
    """Who holds a place in the slot and is not in yet (someone checked in is there)."""
    return db.session.execute(
        select(Registration)
        .where(Registration.slot_id == slot.id, Registration.status.in_(ACTIVE_STATUSES),
               ~Registration.checkin.has())
        .order_by(Registration.id)
    ).scalars().all()


def _queue_change_mail(registration, before, after, changed):
    from app.services.mail import queue_registration_mail

    # No dedupe key: each save that moves the slot again is news to the holder.
    queue_registration_mail(registration, "slot_changed", before=before, after=after,
                            changed=changed)


def _audit_detail(change, before, after):
    """The slot and what changed; no holder's data, and no join link (it may carry a
    meeting password)."""
    def terms(t):
        return {"starts_at": t.starts_at.isoformat(), "ends_at": t.ends_at.isoformat(),
                "mode": t.mode, "place": t.place}

    return {"slot": change.slot_key, "changed": list(change.changed), "from": terms(before),
            "to": terms(after), "mailed": change.mailed, "without_email": change.without_email}
