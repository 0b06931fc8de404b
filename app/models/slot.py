from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime

SLOT_MODES = ("onsite", "online")


class Slot(db.Model):
    """A session of an event (or, for a volunteer drive, a shift).

    ``booked`` counts seats taken; ``reserved`` counts seats held back for invitees and not
    yet used. The public may take a seat only while ``booked + reserved + n <= capacity``;
    the database refuses anything else.
    """

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("event_id", "key", name="uq_slot_event_key"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("booked + reserved <= capacity", name="reserved_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("mode IN ('onsite', 'online')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column()
    booked: Mapped[int] = mapped_column(default=0, server_default="0")
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    mode: Mapped[str] = mapped_column(String(10), default="onsite")
    join_url: Mapped[str | None] = mapped_column(String(500))
    # A volunteer shift's post and place; an open day's slot may leave them empty.
    location: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")

    event: Mapped["Event"] = relationship(back_populates="slots")  # noqa: F821

    @property
    def seats_left(self):
        return max(self.capacity - self.booked - self.reserved, 0)

    @property
    def seats_for_invitees(self):
        """What an invitation link can still book: the reserve, then the public's seats."""
        return self.reserved + self.seats_left

    @property
    def is_full(self):
        return self.seats_left <= 0

    @property
    def has_started(self):
        """Booking stops when the slot starts (the door may still register walk-ins)."""
        return self.starts_at <= datetime.now(timezone.utc)

    @property
    def is_online(self):
        return self.mode == "online"

    def __repr__(self):
        return f"<Slot {self.key} {self.booked}/{self.capacity}>"
