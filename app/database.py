"""Database engine settings that differ per backend.

SQLite follows SQLAlchemy's documented pysqlite recipe: the driver's own transaction
handling is switched off and every transaction begins with ``BEGIN IMMEDIATE`` so that two
writers queue on the busy timeout instead of failing half-way; WAL lets readers go on while
one writes; foreign keys are enforced.

Safe requests (GET, HEAD, OPTIONS) only read, so they begin a plain deferred transaction:
WAL lets any number of readers run beside the one writer, and a reader never blocks a
writer. A POST that mostly reads says so (read_only(), or the reads_first decorator) and
calls begin_writing() just before it writes, so the write lock is held for the writes only.
On PostgreSQL read_only() and reads_first read in autocommit mode: no BEGIN before the
reads, no ROLLBACK after a page that only read, and no BEGIN and COMMIT at all when the
write is one statement (the check-in).
Outside requests (CLI, mail worker) transactions begin IMMEDIATE unless
``SQLITE_IMMEDIATE_OUTSIDE_REQUESTS`` is off (the test suite's own thread, which must not
hold the write lock while a live server answers).
"""
import random
import time
from functools import wraps

from flask import current_app, g, has_request_context, request
from sqlalchemy import event, exc

from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engines(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            ping_idle_connections(engine, app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS"))
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
            # A page that only reads may say so (execution option ``sqlite_read_only``, see
            # read_only() below): a deferred BEGIN takes no write lock, so it never waits.
            if connection.get_execution_options().get("sqlite_read_only"):
                writes = False
            elif has_request_context() and g.get("reads_first"):
                # Its few reads run as they come (each its own snapshot); the transaction
                # proper begins in begin_writing(). Two statements fewer per scan.
                return
            elif has_request_context():
                writes = request.method not in SAFE_METHODS
            else:
                writes = immediate_outside
            if writes:
                begin_immediate(connection, busy_ms)
            else:
                connection.exec_driver_sql("BEGIN")


LONGEST_LOCK_PAUSE = 0.002  # seconds between two tries for SQLite's write lock, at most


def wait_for_lock(seconds):
    time.sleep(seconds)


def begin_immediate(connection, timeout_ms):
    """``BEGIN IMMEDIATE`` on ``connection``, waiting up to ``timeout_ms`` for the write lock.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 ... 100 ms between tries, whatever the
    lock's holder is doing. Our writers hold the lock for well under a millisecond, so a
    writer that lost twice slept on long after the lock was free: with four workers at a
    busy door, a scan waited 1 ms at the median and 58 ms at p99 for a lock that was free
    most of the time (bench/RESULTS.md). Here the lock is tried again after pauses of 0.1
    to 3 ms (growing, with jitter so that waiters do not wake together) until the same
    timeout; then SQLite's "database is locked" error goes up as before (a 503)."""
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        pause = 0.0002
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except exc.OperationalError as error:
                if not is_lock_timeout(error) or time.monotonic() >= deadline:
                    raise
            # Jitter, not secrecy: the standard generator is right here.
            wait_for_lock(pause * random.uniform(0.5, 1.5))  # noqa: S311  # nosec B311
            pause = min(pause * 1.5, LONGEST_LOCK_PAUSE)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {timeout_ms}")


def ping_idle_connections(engine, idle_seconds):
    """SQLAlchemy's pool_pre_ping, for connections that sat unused ``idle_seconds`` or
    longer: after a database restart or a dropped link every connection has been idle
    (a restart takes longer than a second), so each is pinged and a dead one replaced
    before it serves a request. A connection in constant use (a rush, a queue at the door)
    skips the ping, one round trip of four in a scan. Should a connection die between two
    requests a moment apart, the request fails with a 503 (app/errors.py), the pool drops
    its connections, and the next request reconnects. None: ping every checkout."""
    if idle_seconds is None:
        idle_seconds = 0

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        returned_at = record.info.get("returned_at")
        if returned_at is not None and time.monotonic() - returned_at < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (up to 3 tries).
            raise exc.DisconnectionError() from error


def read_only():
    """Declare, before its first query, that this request only reads (until begin_writing).
    On SQLite its transaction then begins deferred and holds no write lock; on PostgreSQL
    its statements run in autocommit mode, which saves the BEGIN and the ROLLBACK of every
    page a citizen reads (each statement sees what is committed when it runs, as it would
    under READ COMMITTED). Writing afterwards without begin_writing() is a bug."""
    session = db.session()
    if session.in_transaction():
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.connection(execution_options={"sqlite_read_only": True})
    elif dialect == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def reads_first(view):
    """For a POST view that reads first and writes little (the check-in API): its reads,
    the sign-in check included, run without a transaction of their own (each statement its
    own snapshot), and the transaction begins in begin_writing(), which the view must call
    before its first write. On SQLite the write lock is then held from begin_writing() to
    the commit instead of for the whole request; on PostgreSQL the reads save a BEGIN."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.reads_first = True
        session = db.session()
        if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return wrapper


def begin_writing(single_statement=False):
    """After read_only() or in a reads_first view, before the first write.

    On SQLite: end the deferred (reading) transaction and begin an IMMEDIATE one on the same
    connection, waiting for the write lock on the busy timeout. The objects already loaded
    stay in the session as they are.

    On PostgreSQL, after read_only() or in a reads_first view: leave autocommit mode, so
    that the writes that follow are one transaction (its BEGIN goes with the first of
    them), unless the caller's write is a ``single_statement``, which is atomic and commits
    by itself. Elsewhere nothing: PostgreSQL takes row locks as it writes."""
    session = db.session()
    if not session.in_transaction():
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        dbapi_connection = session.connection().connection.dbapi_connection
        if dbapi_connection.autocommit and not single_statement:  # read_only, reads_first
            # No transaction is open (autocommit), so psycopg lets the mode change; the
            # session's COMMIT at the end of the request then commits the writes, and the
            # pool restores the default mode when the connection goes back.
            dbapi_connection.autocommit = False
        return
    reads_first_request = has_request_context() and g.pop("reads_first", False)
    if dialect != "sqlite":
        return
    transaction = session.get_transaction()
    if session.info.get("sqlite_writing") is transaction:
        return  # already writing
    connection = session.connection()
    if not (reads_first_request or connection.get_execution_options().get("sqlite_read_only")):
        return  # began IMMEDIATE already
    # pysqlite leaves transactions to us (app/database.py's recipe), so SQLAlchemy's own
    # COMMIT at the end of the request commits this new transaction.
    if connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("COMMIT")  # the reading transaction of read_only()
    begin_immediate(connection, current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))
    session.info["sqlite_writing"] = transaction


def is_lost_connection(error):
    """True when the statement failed because the connection to the database went away."""
    return bool(getattr(error, "connection_invalidated", False))


def is_lock_timeout(error):
    """True when the database gave up waiting for a lock (SQLite busy, PostgreSQL lock
    timeout): the request should be retried, not reported as a fault."""
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "lock timeout" in text or "locknotavailable" in text
