from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class CheckIn(db.Model):
    """The fact that a ticket was admitted. One row per registration: the unique
    constraint is what makes two gates scanning at once admit only once."""

    __tablename__ = "checkin"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # When the scan happened (an offline scan keeps the time it was made at the door).
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    gate: Mapped[str] = mapped_column(String(50), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # Client-generated nonce: the same scan sent twice returns the first answer.
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="scan")  # scan, manual, offline
    # Volunteers check out when they leave; hours run from check-in to check-out.
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff may extend a volunteer's shift beyond its end (hours are capped there otherwise).
    extended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped["Registration"] = relationship(back_populates="checkin")  # noqa: F821
