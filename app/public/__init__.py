from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import feedback_routes, invite_routes, routes, volunteer_routes  # noqa: E402,F401
