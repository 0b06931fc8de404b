from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

# pending (volunteer awaiting review) -> confirmed; waitlisted -> confirmed;
# any -> cancelled; pending -> rejected. Check-in is a fact beside the status.
REGISTRATION_STATUSES = ("pending", "confirmed", "waitlisted", "cancelled", "rejected")
ACTIVE_STATUSES = ("pending", "confirmed", "waitlisted")
# Statuses that hold seats in the slot's ``booked`` count.
SEAT_HOLDING_STATUSES = ("confirmed",)
SOURCES = ("online", "staff", "invitation")


class Registration(db.Model):
    __tablename__ = "registration"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'waitlisted', 'cancelled', 'rejected')",
            name="status",
        ),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        CheckConstraint("source IN ('online', 'staff', 'invitation')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    # The QR code's secret: >= 128 random bits, never a sequential id.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Short number printed under the QR code for manual entry at the door.
    ticket_number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), index=True)  # 11 digits, normalised
    email: Mapped[str | None] = mapped_column(String(254))
    party_size: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="confirmed", index=True)
    # One active registration per phone per event (per shift for volunteer drives):
    # "<event>:<phone>" or "<event>:<phone>:<slot>" while active, NULL once cancelled or
    # rejected. A plain unique constraint works the same on SQLite and PostgreSQL.
    active_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    # The hidden key of the form that created it: a resubmitted form finds this ticket.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="online")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    consent_version: Mapped[str | None] = mapped_column(String(20))
    # The language the person registered in: later mail (reminders, invitations to
    # evaluate, staff decisions) is written in it.
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans_CN",
                                        server_default="zh_Hans_CN")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # Volunteer application fields (kind = volunteer).
    age_group: Mapped[str | None] = mapped_column(String(20))
    organisation: Mapped[str | None] = mapped_column(String(200))
    experience: Mapped[str | None] = mapped_column(Text)
    availability: Mapped[str | None] = mapped_column(Text)
    code_agreed: Mapped[bool] = mapped_column(default=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(String(500))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    slot: Mapped["Slot"] = relationship()  # noqa: F821
    checkin: Mapped["CheckIn | None"] = relationship(  # noqa: F821
        back_populates="registration", uselist=False
    )
    feedback: Mapped["Feedback | None"] = relationship(  # noqa: F821
        back_populates="registration", uselist=False
    )

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def admits(self):
        """Whether the ticket lets someone in (and so shows a QR code)."""
        return self.status == "confirmed"

    @property
    def masked_phone(self):
        from app.services.privacy import mask_phone

        return mask_phone(self.phone)

    @property
    def masked_name(self):
        from app.services.privacy import mask_name

        return mask_name(self.name)

    def __repr__(self):
        return f"<Registration {self.ticket_number} {self.status}>"
