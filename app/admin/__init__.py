from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import feedback_routes, mail_routes, routes, volunteer_routes  # noqa: E402,F401
