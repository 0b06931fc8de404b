import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

ROLES = ("admin", "staff")


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'staff')", name="role"),
        # "QADoor" beside "qadoor" would be two accounts people cannot tell apart; the
        # service refuses the second, and this index also when both are sent at once.
        Index("uq_staff_user_username_lower", func.lower("username"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at a password reset and a deactivation: every session holding the old value
    # ends. Signing out ends one session (EndedStaffSession).
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_token = secrets.token_hex(16)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self):
        return self.active

    @property
    def is_admin(self):
        return self.role == "admin"


class EndedStaffSession(db.Model):
    """A staff session signed out on the server: its cookie no longer signs anyone in.
    Signing out ends only that session (the other tablets sharing a door account keep
    theirs); a password reset or a deactivation ends all of them (StaffUser.session_token).
    A row outlives its cookie by nothing: it is deleted once the absolute limit has passed."""
    __tablename__ = "ended_staff_session"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
