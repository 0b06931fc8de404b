"""Staff accounts."""
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import StaffUser
from app.models.staff import ROLES
from app.services.errors import Conflict, InvalidData

MIN_PASSWORD_LENGTH = 12
# Compared against when the user does not exist, so both answers take the same time.
_DUMMY_HASH = None


def validate_password(password):
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidData(_("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH),
                          field="password")


def create_staff(username, password, role="staff", display_name=""):
    username = (username or "").strip()
    if not username or len(username) > 50:
        raise InvalidData(_("用户名需要 1–50 个字符。"), field="username")
    if role not in ROLES:
        raise InvalidData(_("角色应为 admin 或 staff。"), field="role")
    validate_password(password)
    if get_by_username(username) is not None:
        raise Conflict(_("用户名 %(u)s 已存在。", u=username), field="username")
    user = StaffUser(username=username, role=role, display_name=display_name or username)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_by_username(username):
    return db.session.execute(
        select(StaffUser).where(StaffUser.username == username)
    ).scalar_one_or_none()


def authenticate(username, password):
    """The user when the password is right and the account active; None otherwise, with
    the same answer and the same work for an unknown user and a wrong password."""
    global _DUMMY_HASH
    user = get_by_username((username or "").strip())
    if user is None:
        if _DUMMY_HASH is None:
            from werkzeug.security import generate_password_hash

            _DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method="scrypt")
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def end_sessions(user):
    """Server-side logout: every session cookie of this user stops working."""
    user.session_token = secrets.token_hex(16)
