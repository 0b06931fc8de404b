from flask import Blueprint

bp = Blueprint("checkin", __name__)

from app.checkin import routes  # noqa: E402,F401
