"""Door staff: the check-in screen and the check-in API (CONTRACT §5)."""
import re
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app, jsonify, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.checkin import bp
from app.database import reads_first
from app.extensions import csrf, db
from app.i18n import local
from app.security import checkin_api_limit, staff_required
from app.services import checkin as checkin_service
from app.services import events as event_service
from app.services.errors import InvalidData
from app.services.privacy import mask_name, mask_phone

_MESSAGES = {
    "ok": _l("签到成功"),
    "already_checked_in": _l("已签到"),
    "not_found": _l("未找到此票"),
    "cancelled": _l("此票已取消"),
    "waitlisted": _l("候补中，未获得名额"),
    "pending": _l("申请待审核，不能签到"),
    "wrong_event": _l("不是本活动的票"),
    "outside_window": _l("不在签到时间内"),
}


def _message(result):
    return str(_MESSAGES[result])


@bp.get("/staff/events/<slug>/checkin")
@staff_required
def screen(slug):
    event = event_service.require_event(slug)
    return render_template("checkin/screen.html", event=event,
                           counts=checkin_service.counts(event))


@bp.get("/staff/checkin-sw.js")
@staff_required
def service_worker():
    """The check-in screen's service worker (static/js/checkin-sw.js), served under /staff/
    so that its scope covers the screens: it reopens a screen when the network is down."""
    response = send_from_directory(Path(current_app.static_folder) / "js", "checkin-sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # a new version is taken at once
    return response


def csrf_refusal():
    """The answer to a check-in API call whose CSRF token does not fit, or None.

    The page's token no longer fits the session (signed in again, in another tab or on
    another screen). Not a refusal of the ticket: ``reload`` tells the screen to keep its
    queued scans and ask for a reload, which brings a fresh token."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        csrf.protect()
    except CSRFError:
        return jsonify({"error": 400, "reload": True,
                        "message": _("页面已过期或来源不明，请刷新页面后重新提交。")}), 400
    return None


@bp.post("/api/checkin")
@reads_first  # on SQLite the write lock is taken only for the insert (services.checkin.scan)
@checkin_api_limit
@csrf.exempt  # checked below, after the login check, so that anonymous callers get 401
@staff_required
def api_checkin():
    refused = csrf_refusal()
    if refused is not None:
        return refused
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidData(_("请求格式有误。"))
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        event_service.require_event(data.get("event"))  # an unknown event is a 404 first
        raise InvalidData(_("请扫描或输入票号。"))
    nonce = _nonce(data.get("nonce"))
    scanned_at = _scanned_at(data.get("scanned_at"))
    source = data.get("source") if data.get("source") in checkin_service.SOURCES else "scan"
    if source != "offline":
        # The device's clock counts only for a scan it had to keep while offline: a scan
        # sent at once is judged and recorded at the server's time.
        scanned_at = None
    event, ticket = checkin_service.event_and_ticket(
        data.get("event"), code, event_service.require_event)
    result, ticket, checkin, extra = checkin_service.scan(
        event, code, gate=_gate(data.get("gate")), staff=current_user._get_current_object(),
        nonce=nonce, scanned_at=scanned_at, source=source, ticket=ticket)
    # Commit before the answer is built (on SQLite the write lock is held until then), and
    # keep loaded objects as they are: the answer reads them, and the after-request hooks
    # must not reload the staff user (on SQLite, a second write lock).
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    return jsonify(_answer(result, ticket, checkin, extra))


@bp.get("/api/events/<slug>/checkin-list")
@checkin_api_limit
@staff_required
def api_checkin_list(slug):
    """The event's tickets for the screen's offline mode: hashed codes, masked names."""
    event = event_service.require_event(slug)
    salt = checkin_service.list_salt(event, current_app.config["SECRET_KEY"])
    slots = {}
    for slot in event.slots:
        opens, closes = checkin_service.window(event, slot)
        # The mode: the screen counts from this list when offline, and, as the server
        # does, leaves online sessions out of the door's counts.
        slots[slot.key] = {"label": slot.label, "opens": _iso(opens), "closes": _iso(closes),
                           "mode": slot.mode}
    keys = {slot.id: slot.key for slot in event.slots}
    entries = []
    for registration, checkin in checkin_service.checkin_list(event):
        entries.append({
            "h": checkin_service.code_hashes(registration, salt),
            "name": mask_name(registration.name),
            "status": registration.status,
            "party_size": registration.party_size,
            "slot": keys.get(registration.slot_id),
            "checked_in_at": _iso(checkin.checked_in_at) if checkin else None,
            "checked_in_time": _time(checkin.checked_in_at) if checkin else None,
            "gate": checkin.gate if checkin else None,
        })
    return jsonify({"event": event.slug, "generated_at": _iso(datetime.now(timezone.utc)),
                    "salt": salt, "slots": slots, "entries": entries,
                    "counts": checkin_service.counts(event)})


@bp.get("/api/events/<slug>/stats")
@checkin_api_limit
@staff_required
def api_stats(slug):
    return jsonify(checkin_service.counts(event_service.require_event(slug)))


@bp.get("/api/events/<slug>/search")
@checkin_api_limit
@staff_required
def api_search(slug):
    event = event_service.require_event(slug)
    results = []
    for registration in checkin_service.search(event, request.args.get("q", "")):
        checkin = registration.checkin
        results.append({
            "ticket_number": registration.ticket_number,
            "name": mask_name(registration.name),
            "phone": mask_phone(registration.phone),
            "party_size": registration.party_size,
            "slot": registration.slot.label,
            "status": registration.status,
            "checked_in_time": _time(checkin.checked_in_at) if checkin else None,
            "gate": checkin.gate if checkin else None,
        })
    return jsonify({"results": results})


# --- helpers: shape checks and the answer's JSON ----------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _gate(value):
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()[:checkin_service.MAX_GATE_LENGTH]


def _nonce(value):
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > checkin_service.MAX_NONCE_LENGTH:
        raise InvalidData(_("扫描编号格式有误。"))
    return value


def _scanned_at(value):
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(value)[:40])
    except ValueError:
        raise InvalidData(_("扫描时间格式有误。")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _iso(dt):
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if dt else None


def _time(dt):
    return local(dt).strftime("%H:%M") if dt else None


def _answer(result, registration, checkin, extra):
    answer = {"result": result, "message": _message(result)}
    if registration is not None and result != "not_found":
        answer.update(name=mask_name(registration.name), party_size=registration.party_size)
        if result == "wrong_event":
            answer["other_event"] = registration.event.title
        else:
            answer.update(slot=registration.slot.label, slot_key=registration.slot.key)
    if checkin is not None:
        answer.update(checked_in_at=_iso(checkin.checked_in_at),
                      checked_in_time=_time(checkin.checked_in_at), gate=checkin.gate)
    if result == "outside_window":
        opens, closes = checkin_service.window(registration.event, registration.slot)
        # Both dates: a window may close on the next day (a slot ending at midnight).
        answer.update(opens_at=_iso(opens), closes_at=_iso(closes), opens_time=_time(opens),
                      closes_time=_time(closes), opens_date=local(opens).strftime("%m-%d"),
                      closes_date=local(closes).strftime("%m-%d"))
    answer.update(extra)
    return answer
