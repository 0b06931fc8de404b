"""Public pages for citizens and volunteers (thin views: the rules are in services)."""
from datetime import datetime, timezone

from flask import redirect, render_template, request, url_for

from app.public import bp
from app.services import events as event_service
from app.services.registration import get_event_for_registration


@bp.get("/")
def index():
    return render_template("public/index.html", events=event_service.published_events())


@bp.get("/events/<slug>")
def event_detail(slug):
    event = get_event_for_registration(slug)
    now = datetime.now(timezone.utc)
    return render_template("public/event.html", event=event,
                           registration_state=event.registration_state(now))


@bp.get("/privacy")
def privacy_notice():
    return render_template("public/privacy.html")


@bp.post("/preferences")
def preferences():
    """Remember the reader's language and large-text choice in cookies (a year)."""
    target = request.form.get("next") or url_for("public.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.index")
    response = redirect(target, code=303)
    year = 365 * 24 * 3600
    if request.form.get("lang") in ("zh", "en"):
        response.set_cookie("lang", request.form["lang"], max_age=year, samesite="Lax",
                            httponly=True)
    if request.form.get("elder") in ("0", "1"):
        response.set_cookie("elder", request.form["elder"], max_age=year, samesite="Lax",
                            httponly=True)
    return response
