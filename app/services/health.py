"""Health of the parts the app cannot work without."""
import functools
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
    """"ok", "down" (unreachable), or "not_migrated": a database that answers but whose
    schema is not the code's (`flask db upgrade` not run) serves nothing but errors."""
    try:
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.rollback()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        if _answers():
            log.warning("database health check: no schema version (not migrated)")
            return "not_migrated"
        log.warning("database health check failed: %s", type(error).__name__)
        return "down"
    if version != _head_revision(current_app.extensions["migrate"].directory):
        log.warning("database health check: schema %s, code expects another", version)
        return "not_migrated"
    return "ok"


def _answers():
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        db.session.rollback()


@functools.cache
def _head_revision(directory):
    """The newest migration the code carries (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config).get_current_head()


def _redis(url):
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        log.warning("redis health check failed: %s", type(error).__name__)
        return "down"
