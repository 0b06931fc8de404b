"""Volunteers check out when they leave: POST /api/checkout (JSON, staff only)."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.checkin import bp
from app.extensions import db
from app.security import checkin_api_limit, staff_required
from app.services import events as event_service
from app.services import volunteers as volunteer_service


@bp.post("/api/checkout")
@checkin_api_limit
@staff_required
def api_checkout():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"error": 400, "message": _("请求应为 JSON 对象。")}), 400
    slug, code, gate = (str(data.get(k) or "")[:500] for k in ("event", "code", "gate"))
    event = event_service.get_event(slug) if slug else None
    registration = volunteer_service.find_by_code(event, code) if event is not None else None
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
