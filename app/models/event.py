from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

EVENT_KINDS = ("open_day", "volunteer")
EVENT_STATUSES = ("draft", "published", "closed")
# The contract's check-in window: from 60 minutes before a slot starts until it ends.
CHECKIN_OPENS_MINUTES_BEFORE = 60
CHECKIN_CLOSES_MINUTES_AFTER_END = 0


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("kind IN ('open_day', 'volunteer')", name="kind"),
        CheckConstraint("status IN ('draft', 'published', 'closed')", name="status"),
        CheckConstraint("max_party_size >= 1", name="max_party_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="open_day")
    status: Mapped[str] = mapped_column(String(20), default="published")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_party_size: Mapped[int] = mapped_column(default=1)
    waitlist: Mapped[bool] = mapped_column(default=False)
    feedback_topics: Mapped[list] = mapped_column(JSON, default=list)
    # Check-in window around each slot, in minutes.
    checkin_opens_minutes_before: Mapped[int] = mapped_column(default=CHECKIN_OPENS_MINUTES_BEFORE)
    checkin_closes_minutes_after_end: Mapped[int] = mapped_column(
        default=CHECKIN_CLOSES_MINUTES_AFTER_END)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    slots: Mapped[list["Slot"]] = relationship(  # noqa: F821
        back_populates="event", order_by="Slot.starts_at", cascade="all, delete-orphan"
    )

    @property
    def is_volunteer_drive(self):
        return self.kind == "volunteer"

    @property
    def is_published(self):
        return self.status == "published"

    def registration_state(self, now):
        """'open', 'not_yet', 'closed' — why the form accepts or refuses (the public
        pages add 'over': services.registration.booking_state)."""
        if self.status != "published":
            return "closed"
        if now < self.registration_opens_at:
            return "not_yet"
        if now >= self.registration_closes_at:
            return "closed"
        return "open"

    @property
    def first_starts_at(self):
        return min((s.starts_at for s in self.slots), default=None)

    @property
    def last_ends_at(self):
        return max((s.ends_at for s in self.slots), default=None)

    def slot_by_key(self, key):
        return next((s for s in self.slots if s.key == key), None)

    def __repr__(self):
        return f"<Event {self.slug}>"
