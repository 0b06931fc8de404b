"""Staff accounts."""
import re
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import EndedStaffSession, StaffUser
from app.models.staff import ROLES
from app.models.types import utcnow
from app.services.errors import Conflict, InvalidData
from app.services.text import has_hidden_characters

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# Letters a name is read by in the audit log and typed on any keyboard: nothing invisible
# (a zero-width space made "\u200badmin" read as "admin"), nothing that looks like another.
USERNAME_RE = re.compile(r"[A-Za-z0-9._-]{2,40}")
# Compared against when the user does not exist, so both answers take the same time.
_DUMMY_HASH = None


def validate_password(password, username=""):
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidData(_("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH),
                          field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidData(_("密码最多 %(n)d 个字符。", n=MAX_PASSWORD_LENGTH), field="password")
    # Only spaces, or a control character: the sign-in form could never send it back.
    if not password.strip() or any(unicodedata.category(char) == "Cc" for char in password):
        raise InvalidData(_("密码不能只有空格，也不能含有控制字符。"), field="password")
    # A password that is mostly the user name ("door6door6ab" for door6) is guessed first.
    name = (username or "").strip().lower()
    if name and len(password.lower().replace(name, "")) < MIN_PASSWORD_LENGTH // 2 + 2:
        raise InvalidData(_("密码不能主要由用户名组成。"), field="password")


def normalise_username(typed):
    """A user name as typed, read as the one it shows: full-width letters from a Chinese
    keyboard (ａｄｍｉｎ) are the ASCII ones (NFKC), spaces around it are dropped."""
    return unicodedata.normalize("NFKC", typed or "").strip()


def validate_username(typed):
    """The name to store for what was typed, or InvalidData: 2–40 ASCII letters, digits,
    dots, underscores and hyphens once normalised."""
    username = normalise_username(typed)
    if not USERNAME_RE.fullmatch(username):
        raise InvalidData(_("用户名需要 2–40 个字符，只能使用英文字母、数字、点（.）、下划线（_）和连字符（-）。"),
                          field="username")
    return username


def create_staff(username, password, role="staff", display_name=""):
    username = validate_username(username)
    if role not in ROLES:
        raise InvalidData(_("角色应为 admin 或 staff。"), field="role")
    validate_password(password, username)
    if has_hidden_characters(display_name):
        # The name shows in the audit log and beside each check-in: it must read as typed.
        raise InvalidData(_("有无法显示的字符（如零宽空格、文字方向控制符），请删除后重新输入。"),
                          field="display_name")
    # "QADoor" beside "qadoor" would be two accounts that people cannot tell apart.
    if db.session.execute(select(StaffUser.id).where(
            func.lower(StaffUser.username) == username.lower())).first() is not None:
        raise Conflict(_("用户名 %(u)s 已存在。", u=username), field="username")
    user = StaffUser(username=username, role=role, display_name=display_name or username)
    user.set_password(password)
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        # Another request (the other click of a double click) stored the name between the
        # look above and this insert (PostgreSQL lets both look first): the same refusal.
        raise Conflict(_("用户名 %(u)s 已存在。", u=username), field="username") from None
    return user


# How long after an account is made a form asking for exactly it again is taken for the
# same click sent twice (a double click, a slow network's resend).
REPEAT_WINDOW = timedelta(minutes=10)


def create_staff_once(username, password, role="staff", display_name=""):
    """create_staff for the accounts form: (user, True) when made now; (user, False) when
    this very form was already sent and made the account: the same name, role, display
    name and password, moments ago, not yet signed in to (so the answer tells nobody
    anything about an account in use). Any other taken name stays a Conflict."""
    try:
        return create_staff(username, password, role, display_name), True
    except Conflict:
        user = get_by_username(normalise_username(username))
        if (user is not None and user.username == normalise_username(username)
                and user.active and user.role == role
                and user.display_name == (display_name or user.username)
                and user.last_login_at is None
                and user.created_at >= datetime.now(timezone.utc) - REPEAT_WINDOW
                and user.check_password(password or "")):
            return user, False
        raise


def get_by_username(username):
    """The account of this name as typed, or else the one account it names in another case:
    a tablet's keyboard capitalises the first letter ("Door1" for door1). create_staff keeps
    such names unique, and the login limit already counts them as one account."""
    user = db.session.execute(
        select(StaffUser).where(StaffUser.username == username)
    ).scalar_one_or_none()
    if user is None and username:
        found = db.session.execute(
            select(StaffUser).where(func.lower(StaffUser.username) == username.lower()).limit(2)
        ).scalars().all()
        user = found[0] if len(found) == 1 else None
    return user


def authenticate(username, password):
    """The user when the password is right and the account active; None otherwise, with
    the same answer and the same work for an unknown user and a wrong password."""
    global _DUMMY_HASH
    user = get_by_username(normalise_username(username))
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
    """Every session cookie of this user stops working (a password reset, a deactivation)."""
    user.session_token = secrets.token_hex(16)


def end_session(user, sid, now=None):
    """Sign out one session, on the server: its cookie (and any copy of it) stops working,
    while the account's other sessions go on. A door account is often shared: one steward
    signing out at the east gate must not sign the west gate's tablet out mid-queue. A
    session from before sessions had ids (no ``sid``) ends them all, as sign-out did then."""
    if not sid:
        end_sessions(user)
        return
    now = now or utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(EndedStaffSession(sid=sid, ended_at=now))
    except IntegrityError:
        pass  # signed out at the same moment in another tab: ended all the same
    # A cookie outlives its sign-in by at most the absolute limit: older rows guard nothing.
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    if not isinstance(lifetime, timedelta):
        lifetime = timedelta(seconds=lifetime)
    db.session.execute(delete(EndedStaffSession).where(EndedStaffSession.ended_at < now - lifetime))


def list_staff():
    return db.session.execute(
        select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.username)
    ).scalars().all()


def get_staff(user_id):
    from app.services.errors import NotFound

    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(_("没有找到这个账号。"))
    return user


def set_active(user, active, *, by):
    """Deactivate (or reactivate) an account; a deactivated account's sessions end at once.
    Nobody deactivates themselves, and the last active admin stays. True if it changed (a
    second click, another tab: nothing changes and nothing more is recorded)."""
    from app.services.errors import NotAllowed

    if user.active == active:
        return False
    if not active:
        if by is not None and user.id == by.id:
            raise NotAllowed(_("不能停用自己的账号。"))
        if user.role == "admin" and user.active and _active_admins() <= 1:
            raise NotAllowed(_("至少要保留一个启用的管理员账号。"))
        end_sessions(user)
    user.active = active
    db.session.flush()
    return True


def reset_password(user, password):
    """Set a new password; every session of the account ends (set_password rotates the
    session token)."""
    validate_password(password, user.username)
    user.set_password(password)
    db.session.flush()
    return user


def _active_admins():
    """Counted under a lock on the admins' rows: two admins deactivating each other at once
    would otherwise each count two and leave none. The second waits for the first, then
    counts what it left (PostgreSQL; SQLite runs one writer at a time)."""
    return len(db.session.execute(
        select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.active.is_(True))
        .with_for_update()
    ).all())
