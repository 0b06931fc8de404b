"""Office staff: volunteer review queue, records, time corrections, hours and certificates.

Staff may read; decisions, corrections, exports and certificates are for admins.
"""
from datetime import datetime, timezone

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.admin import bp
from app.admin.volunteer_forms import TimeCorrectionForm
from app.extensions import db
from app.i18n import local, local_moment, local_span
from app.security import admin_required, staff_required
from app.services import audit, exports
from app.services import events as event_service
from app.services import volunteers as volunteer_service
from app.services.errors import Conflict, DomainError, NotFound
from app.services.privacy import mask_contacts, mask_email


def _drive(slug):
    event = event_service.get_event(slug)
    if event is None or event.kind != "volunteer":
        raise NotFound(_("没有找到这个志愿者招募活动。"))
    return event


QUEUE_FILTERS = ("pending", "confirmed", "rejected", "cancelled")
# The status a decision leaves an application in: one found in it already was decided the
# way asked (a double click, a second tab), which is news, not an error.
DECIDED_AS = {"approve": "confirmed", "reject": "rejected"}


def _queue_filter(value):
    return value if value in QUEUE_FILTERS else None


@bp.get("/events/<slug>/volunteers")
@staff_required
def volunteer_queue(slug):
    event = _drive(slug)
    return _render_queue(event, _queue_filter(request.args.get("status")))


def _render_queue(event, status, sent=None, refusal=None):
    """The queue under a filter. ``sent`` is a refused review form: what was typed and
    ticked in it is shown again; ``refusal`` is (the reason box's id, the message)."""
    applications = volunteer_service.review_queue(event, status)
    counts = {}
    for registration in volunteer_service.review_queue(event):
        counts[registration.status] = counts.get(registration.status, 0) + 1
    return render_template("admin/volunteers/queue.html", event=event, applications=applications,
                           status=status, counts=counts, now=datetime.now(timezone.utc),
                           status_label=volunteer_service.status_label, sent=sent or {},
                           ticked=set(sent.getlist("ids")) if sent else set(), refusal=refusal)


@bp.post("/events/<slug>/volunteers/review")
@admin_required
def volunteer_review(slug):
    """One form for the whole queue: a row's own button decides that row; the bulk buttons
    decide the ticked rows."""
    event = _drive(slug)
    status = _queue_filter(request.form.get("status"))
    back = url_for("admin.volunteer_queue", slug=event.slug, status=status)
    one_approve = request.form.get("approve_one")
    one_reject = request.form.get("reject_one")
    if one_approve or one_reject:
        ids = [one_approve or one_reject]
        decision = "approve" if one_approve else "reject"
        reason = request.form.get(f"reason_{one_reject}", "") if one_reject else None
        reason_input = f"reason-{one_reject}" if one_reject else None
    else:
        ids = request.form.getlist("ids")
        decision = request.form.get("action")
        reason = request.form.get("reason", "")
        reason_input = "bulk-reason"
    applications = volunteer_service.applications_by_ids(event, ids)
    if not applications:
        flash(_("请先勾选要处理的申请。"), "error")
        return redirect(back, code=303)
    try:
        result = volunteer_service.bulk_decide(applications, current_user, decision, reason)
    except DomainError as error:
        db.session.rollback()
        if error.field == "reason" and _reason_shown(applications, reason_input, status):
            # A reject without (or with too long) a reason decided nothing: the queue as
            # the staff member left it, the message beside the reason box.
            return _render_queue(event, status, request.form,
                                 (reason_input, str(error.message))), error.status
        flash(str(error.message), "error")
        return redirect(back, code=303)
    db.session.commit()
    if result.done:
        label = _("通过") if decision == "approve" else _("不通过")
        flash(_("已%(what)s %(n)d 份申请：%(names)s", what=label, n=len(result.done),
                names=_("、").join(mask_contacts(r.name) for r in result.done)), "success")
    # One message per reason, naming everyone it refused: a bulk run against a full shift
    # otherwise stacked one red box per applicant above the queue.
    done = DECIDED_AS.get(decision)
    refused = {}
    for registration, message in result.failed:
        category = "info" if registration.status == done else "error"
        refused.setdefault((message, category), []).append(mask_contacts(registration.name))
    for (message, category), names in refused.items():
        flash(_("%(name)s：%(message)s", name=_("、").join(names), message=message), category)
    return redirect(back, code=303)


def _reason_shown(applications, reason_input, status):
    """Whether the refused reason box is on the queue page shown again: the bulk one is
    whenever something is pending; a row's only while its application is pending under
    the filter (another tab may have decided it meanwhile)."""
    if reason_input == "bulk-reason":  # shown while anything is pending
        return any(registration.status == "pending" for registration in applications)
    [registration] = applications
    return registration.status == "pending" and status in (None, "pending")


@bp.get("/volunteers/<int:registration_id>")
@staff_required
def volunteer_detail(registration_id):
    registration = volunteer_service.get_application(registration_id)
    form = TimeCorrectionForm(formdata=None, obj=registration.checkin)
    return _render_detail(registration, form), 200


def _render_detail(registration, form, shown=None, decision=None):
    """``decision`` is a refused reject: (the reason as typed, the message for its box)."""
    checkin = registration.checkin
    return render_template(
        "admin/volunteers/record.html", registration=registration, event=registration.event,
        decision=decision,
        checkin=checkin, form=form, shown={**_times_shown(checkin), **(shown or {})},
        hours=volunteer_service.service_hours(checkin, registration.slot),
        others=volunteer_service.same_person_applications(registration),
        trail=[(row, _time_changes(row.detail)) for row in volunteer_service.audit_trail(registration)],
        person_key=volunteer_service.phone_key(registration.phone), now=datetime.now(timezone.utc),
        status_label=volunteer_service.status_label, masked_email=mask_email(registration.email),
    )


TIME_FIELDS = (("checked_in_at", _l("签到")), ("checked_out_at", _l("签退")),
               ("extended_until", _l("延长至")))


def _time_changes(detail):
    """'签到 12-26 09:40 → 12-26 09:30' lines for a time correction's audit row (the year
    too when it is not this year: a change across years must not read as no change)."""
    before, after = (detail or {}).get("before") or {}, (detail or {}).get("after") or {}
    lines = []
    for name, label in TIME_FIELDS:
        old, new = before.get(name), after.get(name)
        if old != new:
            lines.append(f"{label} {_iso_local(old)} → {_iso_local(new)}")
    return lines


def _iso_local(value):
    try:
        return local_moment(datetime.fromisoformat(value)) if value else "—"
    except (TypeError, ValueError):
        return "?"


@bp.post("/volunteers/<int:registration_id>/decision")
@admin_required
def volunteer_decision(registration_id):
    registration = volunteer_service.get_application(registration_id)
    decision = request.form.get("action")
    if decision not in ("approve", "reject"):
        abort(400)
    try:
        if decision == "approve":
            volunteer_service.approve(registration, current_user)
            message = _("已通过 %(name)s 的申请。", name=mask_contacts(registration.name))
        else:
            volunteer_service.reject(registration, current_user, request.form.get("reason", ""))
            message = _("已将 %(name)s 的申请标为不通过。", name=mask_contacts(registration.name))
    except DomainError as error:
        # Decided already (a double click, another tab, the volunteer withdrew), the shift
        # full or over, no reason given: the record as it stands now, saying why. (The
        # error page said it too, but left staff to find their way back to the record.)
        db.session.rollback()
        form = TimeCorrectionForm(formdata=None, obj=registration.checkin)
        if error.field == "reason" and registration.status == "pending":
            # The reason box is still there: the message beside it, what was typed in it.
            return _render_detail(registration, form, decision=(
                request.form.get("reason", ""), str(error.message))), error.status
        done = DECIDED_AS[decision]
        flash(str(error.message), "info" if registration.status == done else "error")
        return _render_detail(registration, form), error.status
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.volunteer_detail", registration_id=registration.id), code=303)


@bp.post("/volunteers/<int:registration_id>/times")
@admin_required
def volunteer_times(registration_id):
    registration = volunteer_service.get_application(registration_id)
    form = TimeCorrectionForm()
    shown = _times_sent_back()
    if form.validate():
        try:
            checkin = registration.checkin
            corrected = volunteer_service.correct_times(
                registration, current_user, reason=form.reason.data,
                **{name: _changed(getattr(form, name).data, checkin and getattr(checkin, name),
                                  shown.get(name, _NOT_SENT))
                   for name, _label in TIME_FIELDS},
                clear_checkout=form.clear_checkout.data, clear_extension=form.clear_extension.data,
            )
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, Conflict) and not error.field:
                # Not about a field: the volunteer withdrew or was refused meanwhile (the
                # page then shows no form to put it beside).
                flash(str(error.message), "error")
            else:
                target = form._fields.get(error.field or "", form.reason)
                target.errors = list(target.errors) + [str(error.message)]
            return _render_detail(registration, form, shown), error.status
        db.session.commit()
        if corrected is None:  # the form sent twice, or the same times saved in another tab
            flash(_("服务时间与所填一致，没有重复更正。"), "info")
        else:
            flash(_("服务时间已更正，原因已记入操作日志。"), "success")
        return redirect(url_for("admin.volunteer_detail", registration_id=registration.id), code=303)
    return _render_detail(registration, form, shown), 400


_NOT_SENT = object()


def _times_shown(checkin):
    """The stored times as the correction form shows them, sent back with it (hidden): a
    field left as the page showed it is no correction, even when another tab has changed
    that time since."""
    return {name: getattr(checkin, name) if checkin is not None else None
            for name, _label in TIME_FIELDS}


def _times_sent_back():
    """The times the form was shown with ({} from a page without them); a value that does
    not read as a time counts as not sent."""
    shown = {}
    for name, _label in TIME_FIELDS:
        value = request.form.get(f"shown_{name}")
        if value is None:
            continue
        try:
            moment = datetime.fromisoformat(value) if value else None
        except ValueError:
            continue
        if moment is not None and moment.tzinfo is None:
            continue
        shown[name] = moment
    return shown


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


def _changed(new, stored, shown=_NOT_SENT):
    """A time is corrected when it differs from the one the form showed (the stored one
    for a page without them) and from the one stored now. The form shows times to the
    minute: a time sent back unchanged keeps its seconds."""
    if new is None:
        return None
    before = stored if shown is _NOT_SENT else shown
    if before is not None and new == _minute(before):
        return None  # left as the page showed it (another tab may have changed it since)
    if stored is not None and new == _minute(stored):
        return None  # already so
    return new


@bp.get("/events/<slug>/volunteers/hours")
@staff_required
def volunteer_hours(slug):
    event = _drive(slug)
    return render_template("admin/volunteers/hours.html", event=event,
                           report=volunteer_service.drive_report(event))


HOURS_HEADER = ["姓名", "手机号（脱敏）", "年龄段", "所在社区或单位", "班次", "岗位地点", "日期",
                "班次时间", "签到时间", "签退时间", "延长至", "服务时长（小时）",
                "本次招募累计时长（小时）", "票号"]


def _hours_rows(report):
    totals = {person.phone: person.hours for person in report.volunteers}
    for record in report.records:
        r, slot, checkin = record.registration, record.slot, record.checkin
        yield [
            r.name, r.masked_phone, r.age_group or "", r.organisation or "", slot.label,
            slot.location or "", _fmt(slot.starts_at, "%Y-%m-%d"),
            local_span(slot.starts_at, slot.ends_at, with_date=False),
            _fmt(checkin and checkin.checked_in_at), _fmt(checkin and checkin.checked_out_at),
            _fmt(checkin and checkin.extended_until), str(record.hours), str(totals[r.phone]),
            r.ticket_number,
        ]


def _fmt(value, pattern="%Y-%m-%d %H:%M"):
    return local(value).strftime(pattern) if value else ""


@bp.get("/events/<slug>/export/hours.csv")
@admin_required
def export_hours(slug):
    event = _drive(slug)
    report = volunteer_service.drive_report(event)
    # The rows are made now, from the objects this request loaded: the commit below expires
    # them, and once the view has returned the session that loaded them is gone. (One
    # drive's volunteers: a few hundred rows at most.)
    rows = list(_hours_rows(report))
    audit.record("export.hours_csv", event, event=event,
                 detail={"rows": len(report.records), "volunteers": len(report.volunteers)})
    filename = f"{event.slug}-volunteer-hours.csv"
    db.session.commit()
    return Response(
        stream_with_context(exports.csv_chunks(HOURS_HEADER, rows)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


@bp.get("/volunteers/<person>/certificate")
@admin_required
def volunteer_certificate(person):
    event = None
    if request.args.get("event"):
        event = _drive(request.args["event"])
    record = volunteer_service.volunteer_record(person, event)
    if record is None:
        raise NotFound(_("没有找到这位志愿者的服务记录。"))
    served = record.served_shifts
    if not served:
        # A stamped paper certifying 0 hours helps no one: say why there is none yet.
        raise Conflict(_("暂无已完成签到、签退的服务记录。"))
    return render_template("admin/volunteers/certificate.html", record=record, served=served,
                           event=event, issued_on=local(datetime.now(timezone.utc)),
                           number=f"SJJG-{record.key[:8].upper()}")
