from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

# The government's satisfaction scale. The Chinese words stay fixed in exports (a stable file
# format); screens show them through overall_labels(), in the reader's language.
OVERALL_LEVELS = {4: "非常满意", 3: "满意", 2: "基本满意", 1: "不满意"}
_OVERALL_LABELS = {4: _l("非常满意"), 3: _l("满意"), 2: _l("基本满意"), 1: _l("不满意")}


def overall_labels():
    """The scale's labels in the current locale (plain strings, safe for JSON)."""
    return {level: str(label) for level, label in _OVERALL_LABELS.items()}


class Feedback(db.Model):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("overall BETWEEN 1 AND 4", name="overall_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # Set for a ticket holder (one evaluation per ticket); NULL for the venue poster.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), unique=True
    )
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    overall: Mapped[int] = mapped_column()
    topic_ratings: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    come_again: Mapped[bool | None] = mapped_column()
    contact: Mapped[str | None] = mapped_column(String(200))
    # A random id kept in the browser's cookie, to refuse a repeat kindly.
    browser_key: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    registration: Mapped["Registration | None"] = relationship(  # noqa: F821
        back_populates="feedback"
    )
    follow_up: Mapped["FollowUp | None"] = relationship(back_populates="feedback", uselist=False)

    @property
    def overall_label(self):
        return overall_labels().get(self.overall, "")


class FollowUp(db.Model):
    """A dissatisfied evaluation that staff must act on and close with a note."""

    __tablename__ = "follow_up"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), unique=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    due_on: Mapped[date] = mapped_column(Date)
    action_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    feedback: Mapped["Feedback"] = relationship(back_populates="follow_up")
