"""Health of the parts the app cannot work without."""
import logging

from flask import current_app
from sqlalchemy import text

from app.extensions import db

log = logging.getLogger("openday.health")


def check():
    parts = {"database": _database()}
    if current_app.config.get("REDIS_URL"):
        parts["redis"] = _redis(current_app.config["REDIS_URL"])
    return {"ok": all(p == "ok" for p in parts.values()), **parts}


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        log.warning("database health check failed: %s", type(error).__name__)
        return "down"


def _redis(url):
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        log.warning("redis health check failed: %s", type(error).__name__)
        return "down"
