"""The append-only audit log of staff changes, check-ins and exports."""
from flask import has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditLog
from app.models.types import utcnow


def record(action, target=None, *, event=None, detail=None, actor=None):
    """Add an audit row to the current transaction. ``detail`` must hold no phone number,
    e-mail, password or ticket token: callers pass masked values."""
    row = AuditLog(**row_values(action, target, event_id=getattr(event, "id", None),
                                detail=detail, actor=actor))
    db.session.add(row)
    return row


def row_values(action, target=None, *, event_id=None, detail=None, actor=None,
               target_type=None, target_id=None):
    """The columns of an audit row, for record() or for a plain INSERT on a hot path (which
    names its target by ``target_type`` and ``target_id`` instead of passing an object)."""
    if actor is None and has_request_context() and getattr(current_user, "is_authenticated", False):
        actor = current_user
    if target_type is None and target is not None:
        target_type, target_id = type(target).__name__.lower(), getattr(target, "id", "")
    return dict(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        target_type=target_type or "",
        target_id=str(target_id or ""),
        event_id=event_id,
        detail=detail or {},
        ip=request.remote_addr if has_request_context() else None,
    )
