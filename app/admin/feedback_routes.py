"""Staff pages for evaluations: results, follow-ups, the quarterly report, and the exports
of CONTRACT §5 (admin only, each one written to the audit log)."""
from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import TemplateNotFound

from app.admin import bp
from app.admin.feedback_forms import CloseFollowUpForm, ReportPeriodForm
from app.admin.forms import ActionForm
from app.extensions import db
from app.models import Event, Feedback, FollowUp, Registration
from app.security import admin_required, staff_required
from app.services import audit, exports, reports
from app.services import events as event_service
from app.services import feedback as feedback_service
from app.services.errors import Conflict, InvalidData
from app.services.privacy import mask_contact, mask_contacts

FORMATS = ("csv", "xlsx")


@bp.context_processor
def feedback_template_helpers():
    """``follow_up_summary()`` for the dashboard (counted only when a page asks), the
    layout the evaluation pages extend (templates/admin/feedback/_base.html), and what the
    follow-up and results pages need to show a contact masked, a comment with the phone,
    e-mail or WeChat ID someone typed into it masked, a follow-up's reason, whether it was
    closed late (as the report counts it), and a rate (as the report shows it)."""
    return {"follow_up_summary": feedback_service.follow_up_counts,
            "staff_layout": _staff_layout(), "mask_contact": mask_contact,
            "mask_contacts": mask_contacts,
            "follow_up_reasons": feedback_service.follow_up_reasons,
            "follow_up_overdue": feedback_service.overdue,
            "percent": reports.percent}


def _staff_layout():
    try:
        current_app.jinja_env.get_template("admin/_layout.html")
    except TemplateNotFound:
        return "base.html"
    return "admin/_layout.html"


@bp.get("/events/<slug>/results")
@staff_required
def event_results(slug):
    event = event_service.require_event(slug)
    return _results_page(event, request.args.get("q", "")[:100])


def _results_page(event, q, revealed=None):
    """``revealed``: {feedback id: full contact} after an admin's audited reveal; every
    other contact is shown masked."""
    shown = feedback_service.COMMENTS_SHOWN
    comments = feedback_service.search_comments(event, q, limit=shown + 1)  # one more: are there?
    return render_template("admin/results.html", event=event,
                           results=feedback_service.event_results(event), q=q,
                           comments=comments[:shown], comments_cut_at=shown
                           if len(comments) > shown else None,
                           reveal_form=ActionForm(), revealed=revealed or {})


@bp.post("/events/<slug>/feedback/<int:feedback_id>/reveal")
@admin_required
def reveal_feedback_contact(slug, feedback_id):
    event = event_service.require_event(slug)
    feedback = feedback_service.get_feedback(feedback_id, event=event)
    contact = _reveal_contact(feedback)
    return _no_store(_results_page(event, request.args.get("q", "")[:100],
                                   revealed={feedback.id: contact}))


@bp.get("/follow-ups")
@staff_required
def follow_ups():
    return _follow_ups_page(_show(), CloseFollowUpForm())


def _show():
    show = request.args.get("show", "open")
    return show if show in ("open", "overdue", "closed", "all") else "open"


def _follow_ups_page(show, form, failed_id=None, revealed=None):
    shown = feedback_service.FOLLOW_UPS_SHOWN
    items = feedback_service.follow_up_list(show, limit=shown + 1)  # one more: are there?
    return render_template("admin/follow_ups.html", show=show, items=items[:shown],
                           cut_at=shown if len(items) > shown else None,
                           counts=feedback_service.follow_up_counts(),
                           today=feedback_service.local_today(), form=form,
                           failed_id=failed_id, reveal_form=ActionForm(),
                           revealed=revealed or {})


@bp.post("/follow-ups/<int:follow_up_id>/reveal")
@admin_required
def reveal_follow_up_contact(follow_up_id):
    follow_up = feedback_service.get_follow_up(follow_up_id)
    contact = _reveal_contact(follow_up.feedback)
    return _no_store(_follow_ups_page(_show(), CloseFollowUpForm(formdata=None),
                                      revealed={follow_up.feedback_id: contact}))


def _reveal_contact(feedback):
    """An admin may read the full contact a citizen left (to reply); as with a phone on the
    registration page, the audit log says who did and when (not the contact itself)."""
    if not ActionForm().validate_on_submit():
        raise InvalidData(_("页面已过期，请刷新后再试。"))
    contact = feedback_service.contact_to_reveal(feedback)
    audit.record("feedback.reveal_contact", feedback,
                 event=db.session.get(Event, feedback.event_id),
                 detail={"feedback": feedback.id,
                         "follow_up": getattr(feedback.follow_up, "id", None)})
    db.session.commit()
    return contact


def _no_store(body):
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/follow-ups/<int:follow_up_id>/close")
@staff_required
def close_follow_up(follow_up_id):
    follow_up = feedback_service.get_follow_up(follow_up_id)
    form = CloseFollowUpForm()
    if not form.validate_on_submit():
        # The same tab the staff member was on; the form's fragment brings them back to
        # this item, where the error sits under what they typed.
        flash(" ".join(str(e) for e in form.action_note.errors) or _("请填写办理情况。"), "error")
        return _follow_ups_page(_show(), form, failed_id=follow_up_id), 400
    try:
        feedback_service.close_follow_up(follow_up, note=form.action_note.data, staff=current_user)
    except Conflict as error:
        # Closed by a colleague a moment ago, or by this same double click: the list, which
        # no longer shows it as open, says so (an error page would suggest the work was lost).
        db.session.rollback()
        flash(error.message, "info")
        return _follow_ups_page(_show(), CloseFollowUpForm(formdata=None)), 409
    audit.record("follow_up.close", follow_up, event=db.session.get(Event, follow_up.event_id),
                 detail={"follow_up": follow_up.id, "feedback": follow_up.feedback_id})
    db.session.commit()
    flash(_("已办结。"), "success")
    return redirect(url_for("admin.follow_ups", show=request.args.get("show", "open")), code=303)


def _period():
    form = ReportPeriodForm(request.args)
    year, quarter = reports.current_quarter()
    if request.args and not form.validate():
        # A year typed wrong ("abc", 1999) is said on the error page; the quarter is a list,
        # so a bad one is a hand-edited address and gets the plain 400.
        if form.year.errors:
            raise InvalidData(form.year.errors[0])
        abort(400)
    if form.year.data:
        year = form.year.data
        quarter = int(form.quarter.data) if form.quarter.data else None
    elif request.args.get("quarter") == "":
        quarter = None
    form.year.data = year
    form.quarter.data = str(quarter) if quarter else ""
    return form, year, quarter


@bp.get("/report")
@staff_required
def report():
    form, year, quarter = _period()
    data = reports.build_report(year, quarter)
    return render_template("admin/report.html", form=form, report=data,
                           percent=reports.percent)


# ---- exports (admin only, audited) --------------------------------------------------------

def _download(kind, fmt, header, rows, filename, *, count, event=None, title="Sheet1"):
    """Audit (with ``count``, the records taken out), commit, then stream: the audit row
    holds before the first byte leaves."""
    if fmt not in FORMATS:
        abort(404)
    audit.record("export", event, event=event,
                 detail={"export": kind, "format": fmt, "rows": count,
                         **({"slug": event.slug} if event else {})})
    db.session.commit()
    chunks = exports.render(fmt, header, rows, title=title)
    response = Response(stream_with_context(chunks), content_type=exports.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/events/<slug>/export/registrations.<fmt>")
@admin_required
def export_registrations(slug, fmt):
    event = event_service.require_event(slug)
    header, rows = exports.registration_rows(event)
    return _download("registrations", fmt, header, rows, f"{event.slug}-registrations",
                     count=exports.count_rows(Registration, event), event=event, title="报名")


@bp.get("/events/<slug>/export/feedback.<fmt>")
@admin_required
def export_feedback(slug, fmt):
    event = event_service.require_event(slug)
    header, rows = exports.feedback_rows(event)
    return _download("feedback", fmt, header, rows, f"{event.slug}-feedback",
                     count=exports.count_rows(Feedback, event), event=event, title="评价")


@bp.get("/events/<slug>/export/follow-ups.<fmt>")
@admin_required
def export_event_follow_ups(slug, fmt):
    event = event_service.require_event(slug)
    header, rows = exports.follow_up_rows(event)
    return _download("follow_ups", fmt, header, rows, f"{event.slug}-follow-ups",
                     count=exports.count_rows(FollowUp, event), event=event, title="跟进")


@bp.get("/follow-ups/export.<fmt>")
@admin_required
def export_follow_ups(fmt):
    header, rows = exports.follow_up_rows()
    return _download("follow_ups", fmt, header, rows, "follow-ups",
                     count=exports.count_rows(FollowUp), title="跟进")


@bp.get("/report/export.<fmt>")
@admin_required
def export_report(fmt):
    _form, year, quarter = _period()
    data = reports.build_report(year, quarter)
    header, rows = reports.report_rows(data)
    name = f"report-{year}" + (f"-q{quarter}" if quarter else "")
    return _download("report", fmt, header, rows, name, count=len(data["events"]),
                     title="报告")
