from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Invitation(db.Model):
    """A link for stakeholders and citizen representatives into a slot's reserved seats."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("max_uses >= 1", name="max_uses_positive"),
        CheckConstraint("used <= max_uses", name="used_within_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))  # the invitee, or the group
    max_uses: Mapped[int] = mapped_column(default=1)
    used: Mapped[int] = mapped_column(default=0, server_default="0")
    revoked: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The key of the form that made the link: the same form sent twice (a double click, the
    # back button) gives the same link, not a second one.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slot: Mapped["Slot"] = relationship()  # noqa: F821
