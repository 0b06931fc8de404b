"""Evaluation pages (CONTRACT §4): for a ticket holder, for anyone at the venue (the poster's
QR code), and the printable poster itself. Thin views: the rules are in services.feedback."""
from flask import current_app, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale

from app.extensions import db, limiter
from app.i18n import LOCALE_COOKIE, speak_as_holder
from app.public import bp
from app.public.feedback_forms import feedback_form_for
from app.security import limits_off
from app.services import feedback as feedback_service
from app.services.errors import Conflict, DomainError
from app.services.tickets import qr_png

BROWSER_COOKIE = "fb_key"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _anonymous_limit():
    return current_app.config.get("FEEDBACK_ANONYMOUS_LIMIT", "30 per 10 minutes;300 per day")


def _render_form(form, event, status=200, **context):
    return render_template("public/feedback.html", form=form, event=event, **context), status


@bp.route("/tickets/<token>/feedback", methods=["GET", "POST"])
def ticket_feedback(token):
    registration = feedback_service.get_ticket(token)
    speak_as_holder(registration)
    event = registration.event
    state = feedback_service.ticket_feedback_state(registration)
    if state != "open":
        status = 200 if request.method != "POST" else (409 if state == "done" else 403)
        return render_template("public/feedback_closed.html", event=event, state=state,
                               registration=registration,
                               closes_at=feedback_service.feedback_closes_at(event)), status
    form = feedback_form_for(event)
    if not form.validate_on_submit():
        return _render_form(form, event, 400 if request.method == "POST" else 200,
                            registration=registration)
    try:
        feedback_service.submit(event, form.answers(), registration=registration)
    except Conflict:
        # The twin of a double tap (or another tab) got there first: the same thanks as a
        # repeat made later, not an error page.
        db.session.rollback()
        return render_template("public/feedback_closed.html", event=event, state="done",
                               registration=registration), 409
    except DomainError as error:
        db.session.rollback()
        if error.status == 400:
            _show_beside_its_field(form, error)
            return _render_form(form, event, 400, registration=registration)
        raise
    db.session.commit()
    return redirect(_thanks_url(event), code=303)


@bp.route("/events/<slug>/feedback", methods=["GET", "POST"])
@limiter.limit(_anonymous_limit, methods=["POST"], exempt_when=limits_off)
def event_feedback(slug):
    event = feedback_service.get_event_for_feedback(slug)
    browser_key = request.cookies.get(BROWSER_COOKIE)
    state = feedback_service.event_feedback_state(event)
    if state != "open":
        return _with_cookie(render_template("public/feedback_closed.html", event=event,
                                            state=state,
                                            closes_at=feedback_service.feedback_closes_at(event)),
                            200 if request.method != "POST" else 403, browser_key)
    if feedback_service.browser_already_evaluated(event, browser_key):
        return _with_cookie(render_template("public/feedback_closed.html", event=event,
                                            state="done_browser"),
                            200 if request.method != "POST" else 409, browser_key)
    form = feedback_form_for(event)
    if not form.validate_on_submit():
        page, status = _render_form(form, event, 400 if request.method == "POST" else 200)
        return _with_cookie(page, status, browser_key)
    # A browser without our cookie (first visit straight to POST, or cookies refused) gets
    # one now: the repeat check then works from its next visit.
    if not feedback_service.valid_browser_key(browser_key):
        browser_key = feedback_service.new_browser_key()
    try:
        feedback_service.submit(event, form.answers(), browser_key=browser_key)
    except Conflict:  # a double tap's twin: as for a repeat made later
        db.session.rollback()
        return _with_cookie(render_template("public/feedback_closed.html", event=event,
                                            state="done_browser"), 409, browser_key)
    except DomainError as error:
        db.session.rollback()
        if error.status == 400:
            _show_beside_its_field(form, error)
            page, status = _render_form(form, event, 400)
            return _with_cookie(page, status, browser_key)
        raise
    db.session.commit()
    return _with_cookie(redirect(_thanks_url(event), code=303), None, browser_key)


def _language_kept():
    """``{"lang": "en"}`` when this page spoke English for this request only (a ticket made
    in English, or the English poster's ?lang=en) and no cookie will say so on the next
    page: the thanks that follows speaks the language the form did."""
    if str(get_locale()) == "en" and request.cookies.get(LOCALE_COOKIE) is None:
        return {"lang": "en"}
    return {}


def _thanks_url(event):
    return url_for("public.feedback_thanks", slug=event.slug, **_language_kept())


def _with_cookie(page, status, browser_key):
    response = make_response(page if status is None else (page, status))
    if not feedback_service.valid_browser_key(browser_key):
        browser_key = feedback_service.new_browser_key()
    response.set_cookie(BROWSER_COOKIE, browser_key, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", path="/events/")
    return response


@bp.get("/events/<slug>/feedback/thanks")
def feedback_thanks(slug):
    event = feedback_service.get_event_for_feedback(slug)
    return render_template("public/feedback_thanks.html", event=event,
                           language_kept=_language_kept())


@bp.get("/events/<slug>/poster")
def feedback_poster(slug):
    """A printable A4 poster for the venue with the QR code of the evaluation form. The
    English poster's code opens the English form."""
    event = feedback_service.get_event_for_feedback(slug)
    english = _poster_in_english()
    return render_template("public/poster.html", event=event,
                           feedback_url=feedback_service.poster_url(event, english=english),
                           qr_args={"lang": "en" if english else "zh"})


@bp.get("/events/<slug>/feedback/qr.png")
def feedback_qr(slug):
    import io

    event = feedback_service.get_event_for_feedback(slug)
    url = feedback_service.poster_url(event, english=_poster_in_english())
    response = send_file(io.BytesIO(qr_png(url, box_size=12)), mimetype="image/png",
                         max_age=3600)
    return response


def _poster_in_english():
    return str(get_locale()) == "en"


def _show_beside_its_field(form, error):
    """A refusal from the service goes under the field it names (the contact left empty for
    a reply goes under the contact), else under the overall rating."""
    target = form[error.field] if error.field and error.field in form else form.overall
    target.errors = [*target.errors, error.message]
