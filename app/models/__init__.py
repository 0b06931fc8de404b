"""Every model, imported here so that Flask-Migrate and the app see the whole schema."""
from app.models.audit import AuditLog
from app.models.checkin import CheckIn
from app.models.event import Event
from app.models.feedback import OVERALL_LEVELS, Feedback, FollowUp
from app.models.invitation import Invitation
from app.models.outbox import OutboxMessage
from app.models.registration import Registration
from app.models.slot import Slot
from app.models.staff import EndedStaffSession, StaffUser

__all__ = [
    "AuditLog", "CheckIn", "EndedStaffSession", "Event", "Feedback", "FollowUp", "Invitation", "OVERALL_LEVELS",
    "OutboxMessage", "Registration", "Slot", "StaffUser",
]
