"""The staff workspace: events and slots, registrations, walk-ins, invitations, the
dashboard, staff accounts and the audit log. Thin views: the rules live in services;
each view commits once; every change writes an audit row in the same transaction."""
import json
import re

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from app.admin import bp
from app.admin.forms import (
    EXTRA_SLOT_ROWS,
    ActionForm,
    CancelForm,
    EventForm,
    InvitationForm,
    PasswordResetForm,
    SearchForm,
    SeatsForm,
    StaffCreateForm,
    WalkInForm,
    local_input,
    options,
)
from app.extensions import db
from app.forms_common import for_party_size
from app.models import AuditLog, Event
from app.models.registration import REGISTRATION_STATUSES
from app.public.forms import new_submission_key
from app.security import admin_required, staff_required
from app.services import audit, dashboard, invitations, waitlist, workspace
from app.services import events as event_service
from app.services import staff as staff_service
from app.services.errors import AlreadyRegistered, Conflict, DomainError, InvalidData, NotFound
from app.services.privacy import mask_phone
from app.services.registration import normalise_phone

AUDIT_PER_PAGE = 100


def _slot_choices(event):
    return options((s.key, _("%(label)s（%(key)s）", label=s.label, key=s.key)) for s in event.slots)


# --- events ------------------------------------------------------------------------------

@bp.get("/")
@staff_required
def index():
    return redirect(url_for("admin.events"))


@bp.get("/events")
@staff_required
def events():
    from app.services.mail import failed_count

    return render_template("admin/events.html", events=event_service.all_events(),
                           action_form=ActionForm(),
                           failed_mail=failed_count() if current_user.is_admin else 0)


@bp.route("/events/new", methods=["GET", "POST"])
@admin_required
def event_new():
    form = EventForm()
    if not form.is_submitted():
        _pad_slot_rows(form, EXTRA_SLOT_ROWS + 1)
    elif form.validate():
        made = workspace.draft_this_form_made(form.to_data("draft"))
        if made is not None:  # the second click of a double click: made already
            flash(_("活动已创建（草稿）。检查无误后请点击“发布”。"), "success")
            return redirect(url_for("admin.event_detail", slug=made.slug), code=303)
        if event_service.get_event((form.slug.data or "").strip()) is not None:
            form.slug.errors.append(_("这个网址代码已被其他活动使用。"))
        else:
            saved = _save_from_form(form, status="draft")
            if saved is not None:
                event = saved.event
                audit.record("event.create", event, event=event,
                             detail={"slug": event.slug, "slots": [s.key for s in event.slots]})
                db.session.commit()
                flash(_("活动已创建（草稿）。检查无误后请点击“发布”。"), "success")
                _flash_setup_warnings(event)
                return redirect(url_for("admin.event_detail", slug=event.slug), code=303)
    return _event_form_page(form, None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@admin_required
def event_edit(slug):
    event = event_service.require_event(slug)
    form = EventForm(data=None if request.method == "POST" else _event_form_data(event))
    form.slug.data = event.slug  # the slug is the event's address; it does not change
    current_version = event_service.version_of(event)
    if not form.is_submitted():
        form.edited_version.data = current_version
        _pad_slot_rows(form, len(event.slots) + EXTRA_SLOT_ROWS)
    elif form.edited_version.data and form.edited_version.data != current_version:
        # Saved meanwhile in another tab or by someone else: nothing is saved. What was
        # typed stays on the page; saving it again, now knowingly, takes it.
        form.edited_version.data = current_version
        return render_template("admin/event_form.html", form=form, event=event,
                               edited_meanwhile=True), 409
    elif form.validate():
        before = event_service.event_to_json(event)
        saved = _save_from_form(form, status=event.status)
        if saved is not None:
            after = event_service.event_to_json(saved.event)
            changed = sorted(k for k in after if before.get(k) != after.get(k))
            detail = {"changed": changed}
            if saved.promoted:
                detail["promoted"] = [r.ticket_number for r in saved.promoted]
            audit.record("event.update", saved.event, event=saved.event, detail=detail)
            db.session.commit()
            flash(_("活动已保存。"), "success")
            if saved.promoted:
                flash(waitlist.summary(saved.promoted), "info")
            for change in saved.slot_changes:
                _flash_slot_change(saved.event, change)
            _flash_setup_warnings(saved.event)
            return redirect(url_for("admin.event_detail", slug=saved.event.slug), code=303)
    return _event_form_page(form, event)


def _flash_setup_warnings(event):
    for note in event_service.setup_warnings(event):
        flash(_("请留意：%(note)s", note=note), "warning")


def _flash_slot_change(event, change):
    """Who was mailed and who must be phoned, with the slot's list to phone them from."""
    link = url_for("admin.registrations", slug=event.slug, slot=change.slot_key)
    flash(Markup('{} <a href="{}">{}</a>').format(change.summary(), link,
                                                  _("查看该场次的报名名单")), "info")


def _event_form_page(form, event):
    status = 400 if form.is_submitted() else 200
    return render_template("admin/event_form.html", form=form, event=event), status


def _pad_slot_rows(form, total):
    while len(form.slots) < total:
        form.slots.append_entry()


def _event_form_data(event):
    return {
        "slug": event.slug, "kind": event.kind, "title": event.title,
        "description": event.description, "location": event.location,
        "what_to_bring": event.what_to_bring,
        "registration_opens_at": local_input(event.registration_opens_at),
        "registration_closes_at": local_input(event.registration_closes_at),
        "max_party_size": event.max_party_size, "waitlist": event.waitlist,
        "feedback_topics": "\n".join(event.feedback_topics or []),
        "checkin_opens_minutes_before": event.checkin_opens_minutes_before,
        "checkin_closes_minutes_after_end": event.checkin_closes_minutes_after_end,
        "slots": [{"key": s.key, "label": s.label, "starts_at": local_input(s.starts_at),
                   "ends_at": local_input(s.ends_at), "capacity": s.capacity, "mode": s.mode,
                   "join_url": s.join_url or "", "location": s.location or "",
                   "description": s.description or ""}
                  for s in event.slots],
    }


def _save_from_form(form, status):
    """Save through the same validation as ``events import`` (an events.SavedEvent); a
    refusal becomes an error on the field it names, and nothing is written."""
    try:
        with db.session.begin_nested():
            return event_service.save_event_telling_holders(form.to_data(status))
    except InvalidData as error:
        _attach_error(form, error)
        return None


# The import's messages name the JSON fields ("slots[0].ends_at", "registration_closes_at");
# on the form they read with the fields' labels instead.
_FIELD_IN_BRACKETS = re.compile(r"\s?[（(](?:slots\[\d+\]\.)?[a-z]+(?:_[a-z]+)*[)）]")
_FIELD_PATH = re.compile(r"(?:字段 |[Ff]ield )?(slots\[\d+\]\.[a-z_]+|[a-z]+(?:_[a-z]+)+)")


def _for_people(message, form):
    def label(match):
        path = match.group(1)
        if path.startswith("slots["):
            index, _sep, name = path[len("slots["):].partition("].")
            row = form.slot_row_for(int(index))
            field = getattr(row.form, name, None) if row is not None else None
            if field is None:
                return match.group(0)
            return f"{_('场次 %(n)d', n=int(index) + 1)}{_('：')}{field.label.text}"
        field = getattr(form, path, None)
        return str(field.label.text) if getattr(field, "label", None) else match.group(0)

    return _FIELD_PATH.sub(label, _FIELD_IN_BRACKETS.sub("", message))


def _beside_its_field(message, path):
    """Under its own field a message need not name that field: the label is beside it, and
    the error summary puts it in front ("场次 2 结束时间：应晚于开始时间。")."""
    shortened = re.sub(rf"(?:字段 |[Ff]ield )?{re.escape(path)}\s?", "",
                       _FIELD_IN_BRACKETS.sub("", message)).strip()
    return shortened or message


def _attach_error(form, error):
    field = error.field or ""
    # Beside its own field, "missing field slots[2].capacity" reads as a bare "missing".
    beside = (_("请填写。") if error.context.get("missing")
              else _beside_its_field(str(error.message), field))
    if field.startswith("slots[") and "]." in field:
        index, _sep, name = field[len("slots["):].partition("].")
        row = form.slot_row_for(int(index)) if index.isdigit() else None
        if row is not None and hasattr(row.form, name):
            getattr(row.form, name).errors.append(beside)
            return
    target = getattr(form, field, None) if field and not field.startswith("slots") else None
    if target is not None and isinstance(getattr(target, "errors", None), list) \
            and field != "general_errors":
        target.errors.append(beside)
    else:
        form.general_errors = [*(form.general_errors or []), _for_people(str(error.message), form)]


@bp.get("/events/<slug>")
@staff_required
def event_detail(slug):
    event = event_service.require_event(slug)
    return render_template("admin/event_detail.html", event=event,
                           figures=dashboard.event_figures(event), action_form=ActionForm())


@bp.post("/events/<slug>/publish")
@admin_required
def event_publish(slug):
    return _change_status(slug, "publish", _("活动已发布，市民现在可以看到它。"))


@bp.post("/events/<slug>/close")
@admin_required
def event_close(slug):
    return _change_status(slug, "close", _("活动已关闭，不再接受报名。"))


def _change_status(slug, action, message):
    event = event_service.require_event(slug)
    if not ActionForm().validate_on_submit():
        raise InvalidData(_("页面已过期，请刷新后再试。"))
    try:
        previous = workspace.change_status(event, action)
    except DomainError as error:  # already in that state (another tab, the back button)
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("admin.event_detail", slug=slug), code=303)
    audit.record(f"event.{action}", event, event=event,
                 detail={"from": previous, "to": event.status})
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.event_detail", slug=event.slug), code=303)


@bp.get("/events/<slug>/export.json")
@admin_required
def event_export(slug):
    event = event_service.require_event(slug)
    body = json.dumps(event_service.event_to_json(event), ensure_ascii=False, indent=2)
    audit.record("event.export_json", event, event=event)
    db.session.commit()
    return Response(body + "\n", mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{event.slug}.json"'})


# --- registrations -----------------------------------------------------------------------

@bp.get("/events/<slug>/registrations")
@staff_required
def registrations(slug):
    event = event_service.require_event(slug)
    form = SearchForm(request.args)
    form.slot.choices = options([("", _("全部场次"))]) + _slot_choices(event)
    form.validate()
    slot = event.slot_by_key(form.slot.data) if form.slot.data else None
    if form.q.errors:  # a search that cannot be run finds nothing (not everyone)
        page = workspace.Page(items=[], page=1, per_page=workspace.PER_PAGE, total=0)
    else:
        page = workspace.search_registrations(
            event, q=form.q.data, slot_id=slot.id if slot else None,
            # An unknown status (a stale bookmark) filters nothing, as an unknown slot does:
            # the list then matches the "全部状态" the select shows, not an empty page.
            status=form.status.data if form.status.data in REGISTRATION_STATUSES else None,
            page=form.page.data if not form.page.errors and form.page.data else 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    status = 400 if form.q.errors else 200  # the box says why it could not search
    list_args = {name: value for name, value in _list_args().items() if name != "page"}
    if page.page > 1:
        list_args["page"] = page.page
    return render_template("admin/registrations.html", event=event, form=form, page=page,
                           args=args, list_args=list_args,
                           arrived=workspace.checked_in_ids(page.items)), status


# The list's search and filters travel with a registration opened from it (and through
# its forms), so that 返回名单, also after a cancellation, comes back to the same search
# rather than to the whole list, to be typed again.
LIST_ARGS = ("q", "slot", "status", "page")


def _list_args():
    args = {name: value[:100] for name in LIST_ARGS
            if (value := (request.args.get(name) or "").strip())}
    # A whole phone number searched for travels masked (the search finds 138****5678 as
    # well): links are page text too, and staff pages show no full number.
    whole = normalise_phone(args.get("q"))
    if whole is not None:
        args["q"] = mask_phone(whole)
    return args


@bp.get("/registrations/<int:registration_id>")
@staff_required
def registration_detail(registration_id):
    registration = workspace.get_registration(registration_id)
    return _registration_page(registration, CancelForm(formdata=None))


def _registration_page(registration, cancel_form, full_phone=None, status=200):
    return render_template("admin/registration.html", registration=registration,
                           event=registration.event, cancel_form=cancel_form,
                           reveal_form=ActionForm(), full_phone=full_phone,
                           masked_email=_mask_email(registration.email),
                           list_args=_list_args()), status


def _mask_email(email):
    from app.services.privacy import mask_email

    return mask_email(email)


@bp.post("/registrations/<int:registration_id>/reveal")
@admin_required
def registration_reveal(registration_id):
    """An admin may read the full phone number (to call someone); the audit log says who
    did, when."""
    registration = workspace.get_registration(registration_id)
    if not ActionForm().validate_on_submit():
        raise InvalidData(_("页面已过期，请刷新后再试。"))
    audit.record("registration.reveal_phone", registration, event=registration.event,
                 detail={"ticket_number": registration.ticket_number})
    db.session.commit()
    return _registration_page(registration, CancelForm(formdata=None),
                              full_phone=registration.phone)


@bp.post("/registrations/<int:registration_id>/cancel")
@admin_required
def registration_cancel(registration_id):
    from app.services.registration import cancel_by_staff

    registration = workspace.get_registration(registration_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _registration_page(registration, form, status=400)
    if registration.status in ("cancelled", "rejected"):
        flash(_("这条报名已经取消。") if registration.status == "cancelled"
              else _("这份申请未通过审核，没有名额可取消。"), "info")
        return redirect(url_for("admin.registration_detail", registration_id=registration.id,
                                **_list_args()), code=303)
    previous = registration.status
    try:
        promoted = cancel_by_staff(registration, reason=form.reason.data.strip())
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("admin.registration_detail", registration_id=registration.id,
                                **_list_args()), code=303)
    audit.record("registration.cancel", registration, event=registration.event, detail={
        "ticket_number": registration.ticket_number, "from": previous,
        "reason": form.reason.data.strip()[:200],
        "promoted": [r.ticket_number for r in promoted]})
    db.session.commit()
    if previous == "waitlisted":
        flash(_("已代为取消候补。"), "success")
    elif previous == "pending":
        flash(_("已代为撤回申请。"), "success")
    else:
        flash(_("已代为取消报名，名额已释放。"), "success")
    if promoted:
        flash(waitlist.summary(promoted), "info")
    return redirect(url_for("admin.registration_detail", registration_id=registration.id,
                            **_list_args()), code=303)


# --- walk-ins and phone-ins --------------------------------------------------------------

@bp.route("/events/<slug>/walk-in", methods=["GET", "POST"])
@staff_required
def walk_in(slug):
    """Staff register someone at the door or on the phone (services.workspace.register_walk_in)."""
    event = event_service.require_event(slug)
    form = for_party_size(WalkInForm, event.max_party_size)()  # the event's own limit
    form.slot.choices = _slot_choices(event)
    status, existing = 200, None
    if not form.is_submitted():
        form.submission_key.data = new_submission_key()
    elif form.validate():
        made = workspace.walk_in_made_by_form(event, form.submission_key.data, form.phone.data)
        if made is not None:  # the second tap of a double tap: registered already
            return _walk_in_done(made)
        slot = event.slot_by_key(form.slot.data)
        try:
            registration = workspace.register_walk_in(
                event, slot, how=form.source.data, entered_by=current_user,
                name=form.name.data, phone=form.phone.data, email=form.email.data or None,
                party_size=form.party_size.data, submission_key=form.submission_key.data)
        except DomainError as error:
            db.session.rollback()
            # Both taps of a double tap at once: the other one registered this person.
            made = workspace.walk_in_made_by_form(event, form.submission_key.data,
                                                  form.phone.data)
            if made is not None:
                return _walk_in_done(made)
            # "Already registered" is about the phone typed, not the slot chosen.
            default = "phone" if isinstance(error, AlreadyRegistered) else ""
            target = getattr(form, error.field or default, None)
            (target.errors if target is not None else form.slot.errors).append(str(error.message))
            status = error.status
            # The registration they already hold (online, or on another tablet): its
            # ticket number, one tap away, instead of a dead end.
            existing = getattr(error, "existing", None)
        else:
            audit.record("registration.walk_in", registration, event=event, detail={
                "ticket_number": registration.ticket_number, "slot": slot.key,
                "phone": mask_phone(registration.phone), "party_size": registration.party_size,
                "how": form.source.data, "status": registration.status})
            workspace.queue_ticket_mail(registration)
            db.session.commit()
            return _walk_in_done(registration)
    else:
        status = 400
    return render_template("admin/walk_in.html", event=event, form=form,
                           existing=existing), status


def _walk_in_done(registration):
    if registration.status == "waitlisted":
        flash(_("名额已满，已登记为候补。票号 %(t)s。", t=registration.ticket_number), "info")
    else:
        flash(_("登记成功，票号 %(t)s。", t=registration.ticket_number), "success")
    return redirect(url_for("admin.registration_detail", registration_id=registration.id),
                    code=303)


# --- invitations -------------------------------------------------------------------------

@bp.get("/events/<slug>/invitations")
@admin_required
def invitations_page(slug):
    event = event_service.require_event(slug)
    return _invitations_page(event)


def _invitations_page(event, reserve_form=None, release_form=None, invite_form=None, status=200):
    forms = {}
    for name, form, cls in (("reserve_form", reserve_form, SeatsForm),
                            ("release_form", release_form, SeatsForm),
                            ("invite_form", invite_form, InvitationForm)):
        form = form or cls(formdata=None, prefix=name.split("_")[0])
        form.slot.choices = _slot_choices(event)
        if name == "invite_form" and not form.form_key.data:
            form.form_key.data = invitations.new_form_key()
        forms[name] = form
    return render_template("admin/invitations.html", event=event,
                           invitations=invitations.invitations_for(event),
                           url_for_invitation=invitations.invitation_url,
                           shown_reserved=invitations.shown_reserved(event.slots),
                           action_form=ActionForm(), **forms), status


def _slot_from(event, form):
    slot = event.slot_by_key(form.slot.data)
    if slot is None:
        raise NotFound(_("没有找到这个场次。"))
    return slot


@bp.post("/events/<slug>/invitations/reserve")
@admin_required
def invitations_reserve(slug):
    event = event_service.require_event(slug)
    form = SeatsForm(prefix="reserve")
    form.slot.choices = _slot_choices(event)
    if not form.validate_on_submit():
        return _invitations_page(event, reserve_form=form, status=400)
    slot = _slot_from(event, form)
    try:
        invitations.reserve_seats(slot, form.seats.data,
                                  seen=invitations.seen_reserved(request.form.get("seen"), slot))
    except DomainError as error:  # fewer public seats left than asked for: say so by the field
        db.session.rollback()
        form.seats.errors = [str(error.message)]
        return _invitations_page(event, reserve_form=form, status=error.status)
    audit.record("invitation.reserve", slot, event=event,
                 detail={"slot": slot.key, "seats": form.seats.data, "reserved": slot.reserved})
    db.session.commit()
    flash(_("已为受邀代表预留 %(n)d 个名额。", n=form.seats.data), "success")
    return redirect(url_for("admin.invitations_page", slug=slug), code=303)


@bp.post("/events/<slug>/invitations/release")
@admin_required
def invitations_release(slug):
    event = event_service.require_event(slug)
    form = SeatsForm(prefix="release")
    form.slot.choices = _slot_choices(event)
    if not form.validate_on_submit():
        return _invitations_page(event, release_form=form, status=400)
    slot = _slot_from(event, form)
    try:
        released = invitations.release_seats(
            slot, form.seats.data, seen=invitations.seen_reserved(request.form.get("seen"), slot))
    except DomainError as error:
        db.session.rollback()
        form.seats.errors = [str(error.message)]
        return _invitations_page(event, release_form=form, status=error.status)
    detail = {"slot": slot.key, "seats": released.seats, "reserved": slot.reserved}
    if released.promoted:
        detail["promoted"] = [r.ticket_number for r in released.promoted]
    audit.record("invitation.release", slot, event=event, detail=detail)
    db.session.commit()
    flash(_("已将 %(n)d 个预留名额释放给公众。", n=released.seats), "success")
    if released.promoted:
        flash(waitlist.summary(released.promoted), "info")
    return redirect(url_for("admin.invitations_page", slug=slug), code=303)


@bp.post("/events/<slug>/invitations/new")
@admin_required
def invitations_new(slug):
    event = event_service.require_event(slug)
    form = InvitationForm(prefix="invite")
    form.slot.choices = _slot_choices(event)
    if not form.validate_on_submit():
        return _invitations_page(event, invite_form=form, status=400)
    slot = _slot_from(event, form)
    try:
        invitation = invitations.create_invitation(
            event, slot, label=form.label.data, max_uses=form.max_uses.data,
            created_by=current_user, form_key=form.form_key.data)
    except Conflict as error:  # the same form again: its link is on the page already
        db.session.rollback()
        flash(str(error.message), "info")
        return redirect(url_for("admin.invitations_page", slug=slug), code=303)
    audit.record("invitation.create", invitation, event=event, detail={
        "slot": slot.key, "label": invitation.label, "max_uses": invitation.max_uses})
    db.session.commit()
    flash(_("邀请链接已生成，请复制发给受邀人。"), "success")
    if slot.reserved < invitation.max_uses:
        flash(_("提示：该场次当前只预留了 %(n)d 个名额，少于这个链接可报名的次数。",
                n=slot.reserved), "info")
    return redirect(url_for("admin.invitations_page", slug=slug), code=303)


@bp.post("/events/<slug>/invitations/<int:invitation_id>/revoke")
@admin_required
def invitations_revoke(slug, invitation_id):
    event = event_service.require_event(slug)
    invitation = invitations.get_invitation(event, invitation_id)
    if not ActionForm().validate_on_submit():
        raise InvalidData(_("页面已过期，请刷新后再试。"))
    if invitations.revoke(invitation):
        audit.record("invitation.revoke", invitation, event=event, detail={"label": invitation.label})
        db.session.commit()
    flash(_("邀请链接已作废。"), "success")
    return redirect(url_for("admin.invitations_page", slug=slug), code=303)


# --- dashboard ---------------------------------------------------------------------------

@bp.get("/events/<slug>/dashboard")
@staff_required
def event_dashboard(slug):
    event = event_service.require_event(slug)
    return render_template("admin/dashboard.html", event=event,
                           figures=dashboard.event_figures(event))


@bp.get("/events/<slug>/dashboard.json")
@staff_required
def event_dashboard_json(slug):
    event = event_service.require_event(slug)
    return jsonify(dashboard.event_figures(event))


# --- staff accounts ----------------------------------------------------------------------

@bp.get("/accounts")
@admin_required
def accounts():
    return _accounts_page()


def _accounts_page(create_form=None, reset_form=None, reset_user_id=None, status=200):
    return render_template("admin/accounts.html", users=staff_service.list_staff(),
                           create_form=create_form or StaffCreateForm(formdata=None),
                           reset_form=reset_form or PasswordResetForm(formdata=None),
                           reset_user_id=reset_user_id, action_form=ActionForm()), status


@bp.post("/accounts")
@admin_required
def accounts_create():
    form = StaffCreateForm()
    if not form.validate_on_submit():
        return _accounts_page(create_form=form, status=400)
    try:
        user, created = staff_service.create_staff_once(
            form.username.data, form.password.data, form.role.data, form.display_name.data or "")
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "username", form.username).errors.append(str(error.message))
        return _accounts_page(create_form=form, status=error.status)
    if created:  # the second click of a double click made nothing: nothing more to record
        audit.record("staff.create", user, detail={"username": user.username, "role": user.role})
        db.session.commit()
    flash(_("账号 %(u)s 已创建。", u=user.username), "success")
    return redirect(url_for("admin.accounts"), code=303)


@bp.post("/accounts/<int:user_id>/deactivate")
@admin_required
def accounts_deactivate(user_id):
    return _set_active(user_id, False)


@bp.post("/accounts/<int:user_id>/activate")
@admin_required
def accounts_activate(user_id):
    return _set_active(user_id, True)


def _set_active(user_id, active):
    user = staff_service.get_staff(user_id)
    if not ActionForm().validate_on_submit():
        raise InvalidData(_("页面已过期，请刷新后再试。"))
    if staff_service.set_active(user, active, by=current_user):
        audit.record("staff.activate" if active else "staff.deactivate", user,
                     detail={"username": user.username})
        db.session.commit()
    flash(_("账号 %(u)s 已启用。", u=user.username) if active
          else _("账号 %(u)s 已停用，其登录已失效。", u=user.username), "success")
    return redirect(url_for("admin.accounts"), code=303)


@bp.post("/accounts/<int:user_id>/password")
@admin_required
def accounts_password(user_id):
    user = staff_service.get_staff(user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _accounts_page(reset_form=form, reset_user_id=user.id, status=400)
    try:
        staff_service.reset_password(user, form.password.data)
    except DomainError as error:
        # A rule the form cannot see (mostly the user name): said beside the field.
        db.session.rollback()
        form.password.errors = [*form.password.errors, str(error.message)]
        return _accounts_page(reset_form=form, reset_user_id=user.id, status=error.status)
    audit.record("staff.reset_password", user, detail={"username": user.username})
    db.session.commit()
    flash(_("账号 %(u)s 的密码已重置，该账号需用新密码重新登录。", u=user.username), "success")
    if user.id == current_user.id:
        return redirect(url_for("auth.login"), code=303)
    return redirect(url_for("admin.accounts"), code=303)


# --- audit log ---------------------------------------------------------------------------

@bp.get("/audit")
@admin_required
def audit_log():
    page = request.args.get("page", "1")
    # isdecimal, not isdigit: "²" and "①" are digits that int() refuses (a 500).
    page = int(page) if page.isdecimal() and 0 < int(page) < 100000 else 1
    action = (request.args.get("action") or "").strip()[:50]
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max((total + AUDIT_PER_PAGE - 1) // AUDIT_PER_PAGE, 1)
    # Past the end (an old link, a filter with fewer rows): the last page, as the
    # registrations list does, not "第 500 / 2 页" over an empty table.
    page = min(page, pages)
    rows = db.session.execute(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(AUDIT_PER_PAGE).offset((page - 1) * AUDIT_PER_PAGE)
    ).scalars().all()
    event_ids = {r.event_id for r in rows if r.event_id}
    events = {e.id: e for e in db.session.execute(
        select(Event).where(Event.id.in_(event_ids))).scalars()} if event_ids else {}
    return render_template("admin/audit.html", rows=rows, events=events, page=page,
                           pages=pages, total=total, action=action, action_groups=audit.ACTION_GROUPS,
                           action_label=audit.action_label,
                           target_label=audit.target_label, detail_items=audit.detail_items)
