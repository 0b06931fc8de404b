from flask import Blueprint

bp = Blueprint("checkin", __name__)

from app.checkin import routes, volunteer_routes  # noqa: E402,F401
