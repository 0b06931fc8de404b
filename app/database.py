"""Database engine settings that differ per backend.

SQLite follows SQLAlchemy's documented pysqlite recipe: the driver's own transaction
handling is switched off and every transaction begins with ``BEGIN IMMEDIATE`` so that two
writers queue on the busy timeout instead of failing half-way; WAL lets readers go on while
one writes; foreign keys are enforced.
"""
from sqlalchemy import event

from app.extensions import db


def configure_engines(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return
        busy_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_lock_timeout(error):
    """True when the database gave up waiting for a lock (SQLite busy, PostgreSQL lock
    timeout): the request should be retried, not reported as a fault."""
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "lock timeout" in text or "locknotavailable" in text
