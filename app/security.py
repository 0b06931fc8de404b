"""Who may do what, the login limits, and the headers every response carries.

Access rules are decorators here and nowhere else: ``staff_required`` (any signed-in staff
member: check-in, reading registrations with masked phones, walk-ins, the dashboard) and
``admin_required`` (everything else in the staff workspace). Each decorated view carries
an ``access`` attribute ("staff" or "admin") that the url_map test reads.
"""
import re
import secrets
from datetime import datetime, timezone
from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from sqlalchemy import bindparam, exists, select

from app.extensions import db, limiter, login_manager
from app.models import EndedStaffSession, StaffUser
from app.models.types import LARGEST_ID
from app.services.staff import normalise_username

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"

# Sent by scripts that poll (static/js/dashboard.js); such requests are not activity.
BACKGROUND_HEADER = "X-Background-Refresh"
# At most 5 failed sign-ins per 15 minutes, per client address and per account name.
LOGIN_FAILURE_LIMIT = "5 per 15 minutes"
# How finely the idle clock counts activity.
SEEN_RESOLUTION_SECONDS = 60


# Built once, so SQLAlchemy keeps its cache key: every staff request runs it. The account
# and whether this session was signed out, in one round trip.
_STAFF_BY_ID = select(
    StaffUser, exists().where(EndedStaffSession.sid == bindparam("sid")).label("ended")
).where(StaffUser.id == bindparam("staff_id"))


@login_manager.user_loader
def load_user(user_id):
    """The id is ``<id>:<session_token>``; a rotated token ends every older session of the
    account. The session's own id (``sid``) ends when it is signed out."""
    staff_id, _, token = (user_id or "").partition(":")
    if not staff_id.isdigit():
        return None
    row = db.session.execute(_STAFF_BY_ID, {"staff_id": int(staff_id),
                                            "sid": session.get("sid", "")}).first()
    if row is None:
        return None
    user, ended = row
    if ended or not user.active or user.session_token != token:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    from flask import jsonify, redirect, url_for

    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": "unauthorized"}), 401
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    # A form sent once the session had ended: nothing of it was saved, and its address
    # takes only a POST (after sign-in, following it showed 不支持的操作). Say so, and come
    # back to the page the form was on.
    from flask import flash
    from flask_babel import gettext as _

    flash(_("登录已失效，这次提交的内容没有保存。请重新登录，再看看是否需要重新提交。"), "warning")
    return redirect(url_for("auth.login", next=_referring_page()))


def _referring_page():
    """The path of the page on this site that sent the request, or None."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    return local_path(urlunsplit(("", "", parts.path, parts.query, "")))


def _signed_in():
    """None when the current staff session may go on; otherwise the response to send."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if _session_expired():
        logout_user()
        session.clear()
        return login_manager.unauthorized()
    return None


def staff_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        refused = _signed_in()
        if refused is not None:
            return refused
        return view(*args, **kwargs)

    wrapper.access = "staff"
    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        refused = _signed_in()
        if refused is not None:
            return refused
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapper.access = "admin"
    return wrapper


def start_session(user):
    """A fresh session for a user who has just proved who they are: nothing from the
    anonymous session survives (no session fixation), and the clocks start now."""
    from flask_login import login_user

    session.clear()
    login_user(user)
    session["sid"] = secrets.token_urlsafe(24)  # what signing out ends (EndedStaffSession)
    session.permanent = True  # the cookie itself expires after the absolute limit
    now = datetime.now(timezone.utc).timestamp()
    session["login_at"] = session["seen_at"] = now


def _session_expired():
    """30 minutes idle or 12 hours since login end a staff session."""
    now = datetime.now(timezone.utc).timestamp()
    started = session.get("login_at", 0)
    seen = session.get("seen_at", started)
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"]
    if hasattr(absolute, "total_seconds"):
        absolute = absolute.total_seconds()
    if now - started > absolute:
        return True
    if now - seen > current_app.config["STAFF_IDLE_TIMEOUT_SECONDS"]:
        return True
    # A page refreshing itself in the background (the dashboard) is not someone at work:
    # it must not keep an unattended session alive. The stamp moves once a minute at most:
    # a changed session is a newly signed cookie on every answer (a scan every second).
    if request.headers.get(BACKGROUND_HEADER) != "1" and now - seen >= SEEN_RESOLUTION_SECONDS:
        session["seen_at"] = now
    return False


# --- login limits (Flask-Limiter) -------------------------------------------------------

def _account_key():
    # Read as the login reads it: "ａｄｍｉｎ" and "Admin" are tries at the same account.
    name = normalise_username(request.form.get("username")).lower()[:50]
    return f"login-account:{name}"


def _ip_key():
    return f"login-ip:{get_remote_address()}"


def _login_succeeded(response):
    """Only failures count: a successful sign-in answers with a redirect."""
    return response.status_code not in (301, 302, 303)


def limits_off():
    """For ``exempt_when``: the limiter instance is shared by every app in a process (tests
    build several); the current app's own RATELIMIT_ENABLED decides."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


_limits_off = limits_off


def login_limits(view):
    """5 failures per 15 minutes per IP and per account; the 6th attempt gets 429."""
    view = limiter.limit(LOGIN_FAILURE_LIMIT, key_func=_account_key, methods=["POST"],
                         deduct_when=_login_succeeded, exempt_when=_limits_off,
                         scope="login-account")(view)
    view = limiter.limit(LOGIN_FAILURE_LIMIT, key_func=_ip_key, methods=["POST"],
                         deduct_when=_login_succeeded, exempt_when=_limits_off,
                         scope="login-ip")(view)
    return view


# --- limits on public forms and the check-in API (Flask-Limiter) --------------------------
# The figures live in config.py (REGISTRATION_IP_LIMIT, REGISTRATION_PHONE_LIMIT,
# CHECKIN_API_LIMIT) and are read per request, so each app (and each test) uses its own.

def _configured(name, default):
    def provider():
        return current_app.config.get(name) or default
    provider.__name__ = f"limit_{name.lower()}"
    return provider


def _registration_ip_key():
    return f"register-ip:{get_remote_address()}"


def _posted_phone():
    from app.services.registration import normalise_phone

    raw = request.form.get("phone") or ""
    return normalise_phone(raw) or raw.strip()[:40]


def _registration_phone_key():
    # Keyed on the number itself: one phone cannot be used to book again and again from
    # many addresses. The key holds the number only in the limiter's storage, never a log.
    return f"register-phone:{_posted_phone()}"


def _no_phone_or_limits_off():
    return _limits_off() or not _posted_phone()


def count_against_the_phone():
    """For the view to call when it refuses a form because of the phone itself (already
    registered): that, like a booking, counts against the number."""
    g.counts_against_the_phone = True


def _phone_put_to_use(response):
    """A booking (its ticket: a redirect) or a refusal about the phone itself counts. A form
    sent back for correction, or an event closed or full, says nothing of the phone and does
    not count: else anyone could lock a stranger's number out by sending it to a closed event."""
    return response.status_code in (302, 303) or g.get("counts_against_the_phone", False)


def _checkin_user_key():
    if current_user and getattr(current_user, "is_authenticated", False):
        return f"checkin-user:{current_user.id}"
    return f"checkin-ip:{get_remote_address()}"


def registration_limits(view):
    """Per client address (generous: a family or an office may share one address) and per
    phone number, on the POSTs of the registration, volunteer and invitation forms."""
    view = limiter.limit(_configured("REGISTRATION_PHONE_LIMIT", "5 per hour"),
                         key_func=_registration_phone_key, methods=["POST"],
                         exempt_when=_no_phone_or_limits_off, deduct_when=_phone_put_to_use,
                         scope="register-phone")(view)
    view = limiter.limit(_configured("REGISTRATION_IP_LIMIT", "20 per minute;200 per hour"),
                         key_func=_registration_ip_key, methods=["POST"],
                         exempt_when=_limits_off, scope="register-ip")(view)
    return view


def resend_ticket_limits(view):
    """"Mail my ticket again": a few times per phone number (each may send a message to
    someone) and per client address."""
    view = limiter.limit(_configured("RESEND_TICKET_PHONE_LIMIT", "3 per hour"),
                         key_func=lambda: f"resend-phone:{_posted_phone()}", methods=["POST"],
                         exempt_when=_no_phone_or_limits_off, scope="resend-phone")(view)
    view = limiter.limit(_configured("RESEND_TICKET_IP_LIMIT", "20 per hour"),
                         key_func=_registration_ip_key, methods=["POST"],
                         exempt_when=_limits_off, scope="resend-ip")(view)
    return view


def checkin_api_limit(view):
    """Generous: a busy gate scans a ticket every second or two; this only stops a runaway
    script. Shared by every check-in API route, per signed-in staff member."""
    return limiter.shared_limit(_configured("CHECKIN_API_LIMIT", "600 per minute"),
                                scope="checkin-api", key_func=_checkin_user_key,
                                exempt_when=_limits_off)(view)


def retry_after_seconds(default=60):
    """Seconds until the limit that was just hit lets requests through again."""
    import math
    import time

    current = limiter.current_limit if limiter.initialized else None
    if current is None:
        return default
    return max(1, math.ceil(current.reset_at - time.time()))


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Browsers drop tabs and new lines anywhere in a URL, and spaces and controls at its ends.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]")


def local_path(target, drop_params=()):
    """``target`` when it is a path on this site (to send someone back to), else None.
    "/\t/evil.example" and "/\\evil.example" are read by browsers as "//evil.example": another
    site. ``drop_params``: query parameters to leave out of the way back."""
    if not target:
        return None
    cleaned = _URL_NOISE.sub("", target)
    parts = urlsplit(cleaned)
    if (not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned
            or parts.scheme or parts.netloc):
        return None
    if drop_params:
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                           if k not in drop_params])
        cleaned = urlunsplit(("", "", parts.path, query, parts.fragment))
    return cleaned


def refuse_nul_bytes():
    """No person types a NUL character; PostgreSQL cannot store one. Refuse it at the door
    (400) for every route instead of letting it reach a query."""
    values = [request.path, *request.args.values()]
    if request.mimetype in _FORM_TYPES:  # only these fill request.form; parsing costs
        values.extend(request.form.values())
        if request.files:
            # No form here takes a file; a file sent as a text field is not its text.
            from flask_babel import gettext as _

            from app.services.errors import InvalidData

            raise InvalidData(_("这里不接受上传文件，请直接填写内容。"))
    if any("\x00" in v for v in values) or (
            request.is_json and b"\\u0000" in request.get_data(cache=True)):
        from flask_babel import gettext as _

        from app.services.errors import InvalidData

        raise InvalidData(_("提交的内容含有无法识别的字符，请返回修改后再试。"))


def refuse_ids_out_of_range(endpoint, values):
    """No record has an id past the database's integer range: a link with one (a typo, a
    probe) is a 404, not a query PostgreSQL refuses ("integer out of range") or SQLite
    cannot even send ("Python int too large"), both of which answered 500."""
    if values and any(isinstance(value, int) and not 0 <= value <= LARGEST_ID
                      for value in values.values()):
        abort(404)


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, unchanged, with its serializer made once per set of
    keys: Flask makes a new one (and test-serialises an empty dict) for every request."""

    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


def register_headers(app):
    app.session_interface = SignedCookieSessions()
    app.url_value_preprocessor(refuse_ids_out_of_range)
    app.before_request(refuse_nul_bytes)

    @app.before_request
    def load_user_from_this_request():
        # Flask-Login caches the user in ``g``; when a test keeps one app context open
        # across several requests, ``g`` would carry one client's user into another's
        # request. Each request must read its own session.
        g.pop("_login_user", None)

    default_headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
    ]
    if app.config.get("HSTS"):
        default_headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        # One pass over the response's headers instead of one per header we add: a view
        # may have set its own (an export's Cache-Control, a page's CSP), which stay.
        present = {key.lower() for key in headers.keys()}
        for key, value in default_headers:
            if key.lower() not in present:
                headers.add(key, value)
        # Only a session that signed in asks Flask-Login who is there: for a citizen's
        # session (just a CSRF token) its strong protection would rewrite the session and
        # send a cookie-deleting header with every page.
        if ("cache-control" not in present and "_user_id" in session
                and getattr(current_user, "is_authenticated", False)):
            headers.add("Cache-Control", "no-store")
        return response
