"""Office staff's workspace."""
from flask import render_template

from app.admin import bp
from app.security import staff_required
from app.services import events as event_service


@bp.get("/")
@staff_required
def index():
    return render_template("admin/index.html", events=event_service.all_events())
