"""Who may do what, and the headers every response carries.

Access rules are decorators here and nowhere else: ``staff_required`` (any signed-in staff
member) and ``admin_required``.
"""
from datetime import datetime, timezone
from functools import wraps

from flask import abort, current_app, request, session
from flask_login import current_user, logout_user

from app.extensions import db, login_manager
from app.models import StaffUser

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id):
    """The id is ``<id>:<session_token>``; a rotated token ends every older session."""
    staff_id, _, token = (user_id or "").partition(":")
    if not staff_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(staff_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    from flask import jsonify, redirect, url_for

    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": "unauthorized"}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def staff_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if _session_expired():
            logout_user()
            session.clear()
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapper.access = "staff"
    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if _session_expired():
            logout_user()
            session.clear()
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapper.access = "admin"
    return wrapper


def _session_expired():
    """30 minutes idle or 12 hours since login end a staff session."""
    now = datetime.now(timezone.utc).timestamp()
    started = session.get("login_at", 0)
    seen = session.get("seen_at", started)
    if now - started > current_app.config["PERMANENT_SESSION_LIFETIME"]:
        return True
    if now - seen > current_app.config["STAFF_IDLE_TIMEOUT_SECONDS"]:
        return True
    session["seen_at"] = now
    return False


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def register_headers(app):
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user and getattr(current_user, "is_authenticated", False):
            headers.setdefault("Cache-Control", "no-store")
        return response
