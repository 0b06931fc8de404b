"""Database guarantees the rest of the app relies on."""
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from app.database import begin_writing, reads_first
from app.models import Registration, Slot


def test_booked_can_never_exceed_capacity(app, db, make_event):
    event = make_event()
    slot = event.slots[0]
    with pytest.raises(IntegrityError):
        db.session.execute(update(Slot).where(Slot.id == slot.id).values(booked=slot.capacity + 1))
        db.session.flush()
    db.session.rollback()


def test_reserved_and_booked_together_stay_within_capacity(app, db, make_event):
    event = make_event()
    slot = event.slots[0]
    with pytest.raises(IntegrityError):
        db.session.execute(update(Slot).where(Slot.id == slot.id)
                           .values(booked=slot.capacity - 1, reserved=2))
        db.session.flush()
    db.session.rollback()


def test_one_active_registration_per_phone_is_enforced_by_the_database(
        app, db, make_event, make_registration):
    event = make_event()
    first = make_registration(event, phone="13900001111")
    clone = Registration(event_id=event.id, slot_id=first.slot_id, token="x" * 30,
                         ticket_number="ZZZZZZZZ", name="重复", phone=first.phone,
                         party_size=1, status="confirmed", active_key=first.active_key)
    db.session.add(clone)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_ticket_token_is_random_and_long(app, make_event, make_registration):
    event = make_event()
    a = make_registration(event)
    b = make_registration(event)
    # token_urlsafe(20): 160 random bits in 27 characters; no id inside.
    assert len(a.token) >= 26 and a.token != b.token
    assert str(a.id) not in (a.token[:3],)
    assert len(a.ticket_number) == 8 and a.ticket_number.isalnum()


def test_times_come_back_in_utc(app, db, make_event):
    event = make_event()
    db.session.expire_all()
    slot = db.session.get(Slot, event.slots[0].id)
    assert slot.starts_at.tzinfo is not None
    assert slot.starts_at.utcoffset().total_seconds() == 0


def test_sqlite_pragmas(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def holding_the_write_lock(app, db, release, wait=5):
    """Start a thread that takes SQLite's write lock (a POST's BEGIN IMMEDIATE) and holds it
    until ``release`` is set; returns the thread once the lock is held."""
    holder_ready = threading.Event()

    def hold_lock():
        with app.test_request_context(method="POST"), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # BEGIN IMMEDIATE has taken the write lock
            holder_ready.set()
            release.wait(wait)
            conn.rollback()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    holder_ready.wait(5)
    return thread


def test_sqlite_write_transactions_begin_immediate(make_app, app, db):
    """A second writer waits for the lock and gives up after the busy timeout, instead of
    starting a deferred transaction that fails half-way."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    quick = make_app(SQLITE_BUSY_TIMEOUT_MS=200)
    release = threading.Event()
    thread = holding_the_write_lock(app, db, release)
    try:
        with quick.test_request_context(method="POST"):
            with pytest.raises(OperationalError, match="locked"):
                with db.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
        with quick.test_request_context(method="GET"):
            # A reader (GET) is not blocked by the writer: WAL, deferred BEGIN.
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        with quick.app_context():
            db.engine.dispose()
    finally:
        release.set()
        thread.join()


def test_reads_first_on_postgresql_reads_in_autocommit_and_writes_in_one_transaction(
        app, db, make_event):
    """A reads_first view reads without BEGIN; begin_writing() then makes the writes that
    follow one transaction (a rollback undoes all of them), unless the caller's write is a
    single statement, which commits by itself."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    slot_id = make_event().slots[0].id
    db.session.commit()

    @reads_first
    def view(single_statement):
        connection = db.session.connection()
        modes = [connection.connection.dbapi_connection.autocommit]
        connection.execute(select(1))
        begin_writing(single_statement=single_statement)
        modes.append(connection.connection.dbapi_connection.autocommit)
        return modes

    with app.test_request_context(method="POST"):
        assert view(single_statement=False) == [True, False]
        db.session.execute(update(Slot).where(Slot.id == slot_id).values(booked=1))
        db.session.execute(update(Slot).where(Slot.id == slot_id).values(label="改过的场次"))
        db.session.rollback()
    slot = db.session.get(Slot, slot_id)
    assert (slot.booked, slot.label) != (1, "改过的场次") and slot.booked == 0
    db.session.commit()
    with app.test_request_context(method="POST"):
        assert view(single_statement=True) == [True, True]
        db.session.rollback()
    with db.engine.connect() as conn:  # the pool gave the connection back in its usual mode
        assert conn.connection.dbapi_connection.autocommit is False


# --- PostgreSQL: connections that went away -----------------------------------------------
# These tests send requests with no app context of their own pushed, as a server does: each
# request then checks a connection out of the pool and returns it at its end.

PING_TEST_APP_NAME = "openday-ping-test"


def _kill_pooled_connections(engine):
    """What a database restart does to the pool: the server process of each of its
    connections is ended (from a connection outside the pool; the other tests' connections
    are left alone)."""
    outside = create_engine(engine.url, poolclass=NullPool)
    with outside.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = :name"), {"name": PING_TEST_APP_NAME})
        conn.commit()
    outside.dispose()


@pytest.fixture
def postgres_app(_migrated, make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a file on this machine does not drop connections")
    app = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=0.2, SQLALCHEMY_ENGINE_OPTIONS={
        "connect_args": {"application_name": PING_TEST_APP_NAME}})
    yield app
    _engine(app).dispose()


def _engine(app):
    with app.app_context():
        return app.extensions["sqlalchemy"].engine


def _count_pings(engine, monkeypatch):
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(1) or real(dbapi))
    return pings


def test_an_idle_connection_that_died_is_replaced_before_a_request_uses_it(
        postgres_app, monkeypatch):
    client = postgres_app.test_client()
    assert client.get("/").status_code == 200
    _kill_pooled_connections(_engine(postgres_app))
    time.sleep(0.3)  # longer than DATABASE_PING_AFTER_IDLE_SECONDS, as any restart is
    pings = _count_pings(_engine(postgres_app), monkeypatch)
    response = client.get("/")
    assert response.status_code == 200
    assert len(pings) >= 2  # the dead connection's ping failed, the new one's succeeded


def test_a_connection_in_constant_use_is_not_pinged_before_each_request(
        postgres_app, monkeypatch):
    client = postgres_app.test_client()
    assert client.get("/").status_code == 200
    pings = _count_pings(_engine(postgres_app), monkeypatch)
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert pings == []


def test_a_connection_lost_between_two_quick_requests_is_a_503_and_the_next_one_works(
        postgres_app):
    client = postgres_app.test_client()
    assert client.get("/").status_code == 200
    _kill_pooled_connections(_engine(postgres_app))
    response = client.get("/")  # at once: not idle long enough to be pinged
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "系统繁忙" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_a_waiting_sqlite_writer_tries_the_lock_again_every_millisecond_or_two(
        make_app, app, db, monkeypatch):
    """SQLite's own busy handler sleeps 5, 10 ... 100 ms between tries: a writer would sleep
    on long after the lock was freed (a scan holds it well under a millisecond). Ours tries
    again after short pauses, takes the lock once it is free, and leaves the connection's
    busy timeout as it was for everything else."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    from app import database

    writer_app = make_app(SQLITE_BUSY_TIMEOUT_MS=4000)
    release = threading.Event()
    pauses = []

    def pause(seconds):
        pauses.append(seconds)
        if len(pauses) == 20:
            release.set()  # the holder commits while the writer is waiting
        time.sleep(seconds)

    monkeypatch.setattr(database, "wait_for_lock", pause)
    thread = holding_the_write_lock(app, db, release, wait=10)
    try:
        with writer_app.test_request_context(method="POST"), db.engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1  # it got the write lock
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4000
            conn.rollback()
        with writer_app.app_context():
            db.engine.dispose()
    finally:
        release.set()
        thread.join()
    assert len(pauses) >= 20
    assert max(pauses) <= database.LONGEST_LOCK_PAUSE * 1.5
