"""Machine-facing endpoints (load balancers, monitoring); no person reads these."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from app.ops import routes  # noqa: E402,F401
