"""Backups and the move from SQLite to PostgreSQL.

SQLite is backed up with its online backup API (consistent while the app keeps writing);
PostgreSQL with ``pg_dump --format=custom`` and restored with ``pg_restore``.
"""
import os
import shutil
import sqlite3

# Runs pg_dump and pg_restore with fixed arguments and no shell.
import subprocess  # noqa: S404  # nosec B404
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.services.errors import InvalidData

SQLITE_HEADER = b"SQLite format 3\x00"


def _sqlite_path(url):
    return Path(make_url(url).database)


def _libpq_url(url):
    """pg_dump wants a libpq URL, without SQLAlchemy's driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_backup(url, target):
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A backup holds every citizen's name and phone: readable by its owner only, from the
    # moment it exists (sqlite3 and pg_dump would create it readable by every local user).
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(target, 0o600)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
    elif backend == "postgresql":
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
              _libpq_url(url)])
    else:
        raise InvalidData(f"unsupported database: {backend}")
    return target


def restore_backup(url, source):
    """Replace the database's content with the backup's."""
    source = Path(source)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        _require_openday_sqlite_backup(source)
        db.engine.dispose()
        backup = sqlite3.connect(source)
        try:
            dest = sqlite3.connect(_sqlite_path(url), timeout=10)
            try:
                # The backup API waits forever on a lock; find out first, with a timeout.
                dest.execute("BEGIN IMMEDIATE")
                dest.rollback()
            except sqlite3.OperationalError:
                dest.close()
                raise InvalidData("the database is busy: stop the app before restoring") from None
            with dest:
                backup.backup(dest)
            dest.close()
        finally:
            backup.close()
    elif backend == "postgresql":
        db.engine.dispose()
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(source)])
    else:
        raise InvalidData(f"unsupported database: {backend}")


def _require_openday_sqlite_backup(source):
    """Refuse, before the live database is touched, a file that is no SQLite database or
    not one of ours (restoring it would replace every table with nothing)."""
    with open(source, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise InvalidData(_("%(f)s 不是 SQLite 数据库备份文件，数据库没有改动。", f=source))
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        backup.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise InvalidData(_("%(f)s 不是 OpenDay 的备份（没有数据库版本记录），数据库没有改动。",
                            f=source)) from None
    finally:
        backup.close()


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise InvalidData(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(args):
    result = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise InvalidData(f"{Path(args[0]).name} failed: {result.stderr.strip()[:500]}")


def copy_database(target_url, batch=1000):
    """Copy every row of the app's database into ``target_url`` (already migrated to the
    same revision and empty), table by table in foreign-key order; then move PostgreSQL's
    sequences past the copied ids. Returns {table: rows}."""
    target = create_engine(target_url)
    counts = {}
    try:
        with target.begin() as dest:
            for table in db.metadata.sorted_tables:
                existing = dest.execute(select(func.count()).select_from(table)).scalar()
                if existing:
                    raise InvalidData(f"target table {table.name} is not empty")
            for table in db.metadata.sorted_tables:
                rows = db.session.execute(select(table)).mappings().yield_per(batch)
                counts[table.name] = 0
                chunk = []
                for row in rows:
                    chunk.append(dict(row))
                    if len(chunk) >= batch:
                        dest.execute(insert(table), chunk)
                        counts[table.name] += len(chunk)
                        chunk = []
                if chunk:
                    dest.execute(insert(table), chunk)
                    counts[table.name] += len(chunk)
            if target.dialect.name == "postgresql":
                for table in db.metadata.sorted_tables:
                    if "id" in table.c:
                        # Table names come from our own metadata, never from input.
                        name = table.name
                        sql = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"  # noqa: S608,E501  # nosec
                        dest.execute(text(sql))
    finally:
        target.dispose()
    return counts
