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
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

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
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        # Before the target is touched: a backup of the wrong file would be written, and
        # reported, as if it held the data.
        _require_openday_sqlite_database(_sqlite_path(url))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A backup holds every citizen's name and phone: readable by its owner only, from
        # the moment it exists (sqlite3 and pg_dump would create it readable by every user).
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.chmod(target, 0o600)
    except OSError as error:
        raise InvalidData(_("无法写入备份文件 %(f)s（%(e)s）：请换一个目录，或让运行本命令的用户能写入该目录。",
                            f=target, e=error.strerror)) from None
    if backend == "sqlite":
        source = sqlite3.connect(_read_only_uri(_sqlite_path(url)), uri=True)
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


def _read_only_uri(path):
    """Opened this way, a missing file is an error instead of a new, empty database."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def _require_openday_sqlite_database(path):
    """The app's SQLite database must exist and be migrated: backing up a missing one (the
    command run from another directory, or without DATABASE_URL on a PostgreSQL host)
    would create an empty file and report an empty backup as written."""
    if not path.is_file():
        raise InvalidData(_("找不到数据库文件 %(f)s，没有写备份：请用服务的环境变量（DATABASE_URL）运行本命令。",
                            f=path))
    try:
        _require_schema_version(path)
    except sqlite3.DatabaseError:
        raise InvalidData(_("%(f)s 不是 OpenDay 的数据库（没有数据库版本记录），没有写备份。",
                            f=path)) from None


def _require_schema_version(path):
    database = sqlite3.connect(_read_only_uri(path), uri=True)
    try:
        database.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        database.close()


def _require_openday_sqlite_backup(source):
    """Refuse, before the live database is touched, a file that is no SQLite database or
    not one of ours (restoring it would replace every table with nothing)."""
    with open(source, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise InvalidData(_("%(f)s 不是 SQLite 数据库备份文件，数据库没有改动。", f=source))
    try:
        _require_schema_version(source)
    except sqlite3.DatabaseError:
        raise InvalidData(_("%(f)s 不是 OpenDay 的备份（没有数据库版本记录），数据库没有改动。",
                            f=source)) from None


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
    try:
        target = create_engine(target_url)
        shown = target.url.render_as_string(hide_password=True)
    except (ArgumentError, NoSuchModuleError):
        raise InvalidData(_("%(u)s 不是数据库地址，例如 postgresql://openday:密码@主机/openday。",
                            u=target_url)) from None
    counts = {}
    try:
        try:
            dest = target.connect()
        except DBAPIError as error:
            raise InvalidData(_("无法连接目标数据库 %(u)s：%(e)s", u=shown,
                                e=str(error.orig).strip()[:300])) from None
        with dest, dest.begin():
            _require_same_schema(dest, shown)
            for table in db.metadata.sorted_tables:
                existing = dest.execute(select(func.count()).select_from(table)).scalar()
                if existing:
                    raise InvalidData(_(
                        "目标数据库的表 %(t)s 已有数据，没有复制任何数据：请复制到一个新建、"
                        "已运行 flask db upgrade 的空数据库。", t=table.name))
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


def _require_same_schema(dest, shown):
    """The target must be migrated to the source's revision: otherwise the copy stops on
    the first missing table or column with a driver's traceback."""
    expected = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    try:
        found = dest.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table: never upgraded
        found = None
    if found != expected:
        message = _("目标数据库 %(u)s 的结构版本是 %(found)s，应为 %(expected)s，没有复制任何数据："
                    "请先对它运行 flask db upgrade。", u=shown, found=found or _("无"), expected=expected)
        raise InvalidData(message)
