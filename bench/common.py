"""What the benchmarks share: scratch databases, the engine of the bare baselines, and
writing a run's figures into bench/RESULTS.md."""
import tempfile
import uuid
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(name, body):
    """Put ``body`` into bench/RESULTS.md between this benchmark's markers
    (``<!-- bench:NAME:start -->`` … ``end``), in place of what its previous run wrote
    there; a first run adds the section at the end. Notes written by hand outside the
    markers stay where they are."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def scratch_postgres(base_url, count=1):
    """Create ``count`` fresh PostgreSQL databases next to ``base_url``.

    Returns (urls, drop); ``drop()`` ends their connections and drops them. Their names
    start with ``openday_bench_`` so that a run stopped half-way is easy to clean up."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config import normalise_database_url

    url = make_url(normalise_database_url(base_url))
    names = [f"openday_bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            for name in names:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :n"), {"n": name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return [url.set(database=name).render_as_string(hide_password=False) for name in names], drop


def scratch_database(base_url=None):
    """A database to fill and throw away: a temporary SQLite file without ``base_url``,
    else a fresh PostgreSQL database next to it. Returns (url, label, drop)."""
    if not base_url:
        folder = tempfile.mkdtemp(prefix="openday-bench-")
        return f"sqlite:///{folder}/bench.db", "SQLite", lambda: None
    (url,), drop = scratch_postgres(base_url)
    return url, "PostgreSQL", drop


def bare_engine(url):
    """The engine of a bare baseline app, with the app's own database settings
    (app/database.py) so that the comparison is fair: on SQLite WAL, the busy timeout and
    writes as BEGIN IMMEDIATE; on PostgreSQL psycopg 3 and the pool's ping only after a
    connection sat idle."""
    from sqlalchemy import create_engine, event

    from config import Config, normalise_database_url

    engine = create_engine(normalise_database_url(url))
    if engine.dialect.name == "postgresql":
        from app.database import ping_idle_connections

        ping_idle_connections(engine, Config.DATABASE_PING_AFTER_IDLE_SECONDS)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            for pragma in (f"busy_timeout = {Config.SQLITE_BUSY_TIMEOUT_MS}",
                           "journal_mode = WAL", "synchronous = NORMAL"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine
