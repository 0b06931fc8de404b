"""Volunteers check out when they leave: POST /api/checkout (JSON, staff only)."""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.checkin import bp
from app.checkin.routes import csrf_refusal
from app.extensions import csrf, db
from app.security import checkin_api_limit, staff_required
from app.services import checkin as checkin_service
from app.services import events as event_service
from app.services import volunteers as volunteer_service


@bp.post("/api/checkout")
@checkin_api_limit
@csrf.exempt  # checked below, after the login check, so that anonymous callers get 401
@staff_required
def api_checkout():
    refused = csrf_refusal()
    if refused is not None:
        return refused
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"error": 400, "message": _("请求应为 JSON 对象。")}), 400
    slug, code, gate = (str(data.get(k) or "")[:500] for k in ("event", "code", "gate"))
    event = event_service.get_event(slug) if slug else None
    if event is not None and event.kind != "volunteer":
        # Only volunteers' service time is counted; a visitor of an open day just leaves.
        return jsonify({"error": 404, "message": _("只有志愿者活动需要签退。")}), 404
    registration = _find(event, code) if event is not None else None
    if registration is None:
        return jsonify({"result": "not_found", "hours": "0.00"})
    result, hours = volunteer_service.check_out(registration, gate=gate[:50], staff=current_user)
    db.session.commit()
    checkin = registration.checkin
    return jsonify({
        "result": result,
        "hours": str(hours),
        "name": registration.masked_name,
        "phone": registration.masked_phone,
        "shift": registration.slot.label,
        "checked_in_at": checkin.checked_in_at.isoformat() if checkin else None,
        "checked_out_at": checkin.checked_out_at.isoformat() if checkin and checkin.checked_out_at else None,
    })


def _find(event, code):
    """The volunteer's ticket, the code read as check-in reads it: a ticket number typed in
    two groups, with a dash or in full-width characters checks out as it checked in."""
    value = checkin_service.parse_code(code)[1]
    return volunteer_service.find_by_code(event, value or code)


CHECKOUT_MESSAGES = {
    "ok": lambda r, h: _("%(name)s 已签退，本班服务 %(h)s 小时。", name=r.masked_name, h=h),
    "already_checked_out": lambda r, h: _("%(name)s 已经签退过（%(h)s 小时）。", name=r.masked_name, h=h),
    "not_checked_in": lambda r, h: _("%(name)s 还没有签到，不能签退。", name=r.masked_name),
}


@bp.post("/staff/events/<slug>/checkout")
@staff_required
def checkout_form(slug):
    """The check-out of the check-in screen as a plain form: it works without JavaScript."""
    event = event_service.get_event(slug)
    if event is None or event.kind != "volunteer":
        abort(404)
    code = (request.form.get("code") or "").strip()[:500]
    registration = _find(event, code) if code else None
    if registration is None:
        flash(_("没有找到这张票，请核对票号。"), "error")
    else:
        result, hours = volunteer_service.check_out(
            registration, gate=(request.form.get("gate") or "")[:50], staff=current_user)
        db.session.commit()
        flash(CHECKOUT_MESSAGES[result](registration, hours),
              "success" if result == "ok" else "error")
    return redirect(url_for("checkin.screen", slug=slug), code=303)
