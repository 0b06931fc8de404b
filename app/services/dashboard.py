"""The event dashboard's figures, per slot: seats, registered, waiting, checked in and
not yet arrived. Counts are people (a registration's party size), read in a few grouped
queries so the page stays cheap to poll."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, Registration


def event_figures(event):
    by_status = {}
    rows = db.session.execute(
        select(Registration.slot_id, Registration.status,
               func.count(), func.coalesce(func.sum(Registration.party_size), 0))
        .where(Registration.event_id == event.id)
        .group_by(Registration.slot_id, Registration.status)
    ).all()
    for slot_id, status, count, people in rows:
        by_status[(slot_id, status)] = (count, int(people))
    arrived = dict(db.session.execute(
        select(Registration.slot_id, func.coalesce(func.sum(Registration.party_size), 0))
        .join(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .group_by(Registration.slot_id)
    ).all())
    slots = []
    totals = {"capacity": 0, "reserved": 0, "registered": 0, "waiting": 0, "pending": 0,
              "checked_in": 0, "not_arrived": 0, "seats_left": 0}
    for slot in event.slots:
        db.session.refresh(slot)
        registered = by_status.get((slot.id, "confirmed"), (0, 0))[1]
        checked_in = int(arrived.get(slot.id, 0))
        figures = {
            "key": slot.key,
            "label": slot.label,
            "capacity": slot.capacity,
            "reserved": slot.reserved,
            "seats_left": slot.seats_left,
            "registered": registered,
            "waiting": by_status.get((slot.id, "waitlisted"), (0, 0))[1],
            "pending": by_status.get((slot.id, "pending"), (0, 0))[1],
            "checked_in": checked_in,
            # Online viewers never come to the door: none of them is missing there.
            "not_arrived": 0 if slot.mode == "online" else max(registered - checked_in, 0),
        }
        slots.append(figures)
        for name in totals:
            totals[name] += figures[name]
    return {"event": event.slug, "slots": slots, "totals": totals,
            "updated_at": datetime.now(timezone.utc).isoformat()}
