from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes  # noqa: E402,F401,I001
from app.admin import feedback_routes  # noqa: E402,F401
