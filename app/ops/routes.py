from flask import jsonify

from app.extensions import csrf, limiter
from app.ops import bp
from app.services.health import check


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """200 when the database (and Redis, when configured) answer; 503 otherwise."""
    report = check()
    return jsonify(report), 200 if report["ok"] else 503
