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
    head, known = _revisions(current_app.extensions["migrate"].directory)
    if version == head:
        return _writable()
    if version is not None and version not in known:
        # Newer than this code: during an upgrade `flask db upgrade` runs before the hosts
        # restart, and migrations keep the old code serving (docs/deploy.md). Answering 503
        # here would take every host still on the old version out of the load balancer.
        log.info("database health check: schema %s is newer than this code", version)
        return _writable()
    log.warning("database health check: schema %s, code expects %s", version, head)
    return "not_migrated"


def _writable():
    """"ok", or "read_only": a database that answers reads but refuses writes (an SQLite
    file restored read-only, a full disk, a PostgreSQL standby after a failover) would show
    the pages and then refuse every registration. The probe writes nothing: an UPDATE of no
    row still needs the right to write. A write lock held by someone else (a registration
    rush on SQLite) means writes work."""
    try:
        db.session.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))
        return "ok"
    except Exception as error:  # noqa: BLE001
        message = str(getattr(error, "orig", error)).lower()
        if "locked" in message or "busy" in message:
            return "ok"
        log.warning("database health check: writes refused (%s)", type(error).__name__)
        return "read_only"
    finally:
        db.session.rollback()


def _answers():
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        db.session.rollback()


@functools.cache
def _revisions(directory):
    """The newest migration the code carries, and every one it knows (read once per
    process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    script = ScriptDirectory.from_config(config)
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def _redis(url):
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        log.warning("redis health check failed: %s", type(error).__name__)
        return "down"
