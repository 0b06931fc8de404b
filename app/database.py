"""Database engine settings that differ per backend.

SQLite follows SQLAlchemy's documented pysqlite recipe: the driver's own transaction
handling is switched off and every transaction begins with ``BEGIN IMMEDIATE`` so that two
writers queue on the busy timeout instead of failing half-way; WAL lets readers go on while
one writes; foreign keys are enforced.

Safe requests (GET, HEAD, OPTIONS) only read, so they begin a plain deferred transaction:
WAL lets any number of readers run beside the one writer, and a reader never blocks a
writer. Outside requests (CLI, mail worker) transactions begin IMMEDIATE unless
``SQLITE_IMMEDIATE_OUTSIDE_REQUESTS`` is off (the test suite's own thread, which must not
hold the write lock while a live server answers).
"""
from flask import has_request_context, request
from sqlalchemy import event

from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engines(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return
        busy_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))
        immediate_outside = app.config.get("SQLITE_IMMEDIATE_OUTSIDE_REQUESTS", True)

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
            if has_request_context():
                writes = request.method not in SAFE_METHODS
            else:
                writes = immediate_outside
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def is_lock_timeout(error):
    """True when the database gave up waiting for a lock (SQLite busy, PostgreSQL lock
    timeout): the request should be retried, not reported as a fault."""
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "lock timeout" in text or "locknotavailable" in text
