"""What a ticket carries: its absolute URL (the QR content) and the QR image."""
import io
from datetime import datetime, timezone

import qrcode
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog


def ticket_url(registration):
    return f"{current_app.config['BASE_URL']}/tickets/{registration.token}"


def qr_png(content, box_size=8):
    """A QR code as PNG bytes, built in memory."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size,
                         border=4)
    code.add_data(content)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def shows_qr(registration):
    """A QR code only while the ticket admits someone to an onsite slot (an online slot
    shows its join link instead)."""
    return registration.admits and registration.slot.mode == "onsite"


def calendar_ics(registration):
    """The slot as an iCalendar file (bytes) with the ticket's link."""
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    event, slot = registration.event, registration.slot
    calendar = Calendar()
    calendar.add("prodid", "-//OpenDay//Songjiang GOA//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"{registration.ticket_number}@openday")
    # A phone's calendar that holds this entry already takes the file downloaded again after
    # the slot moved as an update only with a higher SEQUENCE; DTSTAMP is when this file is
    # made (RFC 5545 3.8.7.2 and 3.8.7.4).
    entry.add("sequence", _slot_changes(slot))
    entry.add("summary", f"{event.title} · {slot.label}")
    entry.add("dtstart", slot.starts_at)
    entry.add("dtend", slot.ends_at)
    entry.add("dtstamp", datetime.now(timezone.utc))
    place = slot.join_url if slot.mode == "online" else (slot.location or event.location)
    if place:
        entry.add("location", place)
    lines = [ticket_url(registration)]
    if event.what_to_bring:
        lines.insert(0, event.what_to_bring)
    entry.add("description", "\n".join(lines))
    entry.add("url", ticket_url(registration))
    calendar.add_component(entry)
    return calendar.to_ical()


def _slot_changes(slot):
    """How many times the slot has moved (time, place, mode or join link): the audit rows
    that services.slot_changes writes, which are never deleted."""
    return db.session.execute(
        select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "slot.change", AuditLog.target_type == "slot",
            AuditLog.target_id == str(slot.id))
    ).scalar_one()
