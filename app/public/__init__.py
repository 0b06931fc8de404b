from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import routes  # noqa: E402,F401,I001
from app.public import feedback_routes  # noqa: E402,F401
