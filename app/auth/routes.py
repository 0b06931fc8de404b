"""Staff sign-in and sign-out."""
from datetime import datetime, timezone

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm
from app.extensions import csrf, db
from app.security import login_limits, start_session
from app.services import audit
from app.services import staff as staff_service


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = staff_service.authenticate(form.username.data, form.password.data)
        if user is not None:
            start_session(user)
            user.last_login_at = datetime.now(timezone.utc)
            audit.record("staff.login", user, actor=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("admin.index"))
        # One answer for an unknown user, a wrong password and a deactivated account.
        form.password.errors.append(_("用户名或密码不正确。"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@csrf.exempt  # checked below, for a signed-in user only
def logout():
    """Ends this session on the server too, so a copy of its cookie no longer signs
    anyone in; the account's other sessions (another gate's tablet) go on."""
    if current_user.is_authenticated:
        # Only from our own page. With nobody signed in (signed out in another tab: this
        # page's token died with that session) there is nothing to end, and the login page
        # is the answer.
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        staff_service.end_session(current_user, session.get("sid"))
        audit.record("staff.logout", current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _safe_next(target):
    if target and target.startswith("/staff/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return None
