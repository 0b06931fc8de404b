"""The backup, restore and SQLite-to-PostgreSQL copy that docs/deploy.md describes."""
import os
import socket

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Event, Registration, Slot
from tests.conftest import _server_database, free_port


def _snapshot(db):
    db.session.expire_all()
    snapshot = {
        "events": sorted(db.session.execute(select(Event.slug, Event.title)).all()),
        "slots": sorted(db.session.execute(select(Slot.key, Slot.booked, Slot.capacity)).all()),
        "registrations": sorted(db.session.execute(
            select(Registration.token, Registration.name, Registration.phone,
                   Registration.status, Registration.created_at)).all()),
    }
    db.session.remove()  # end the read: a restore needs the database to itself
    return snapshot


def _load(runner, make_registration, db):
    assert runner.invoke(args=["demo"]).exit_code == 0
    event = db.session.execute(
        select(Event).where(Event.slug == "energy-week-open-day")).scalar_one()
    for _ in range(3):
        make_registration(event, party_size=2)
    return event


def test_backup_and_restore_bring_back_the_same_data(app, db, runner, make_registration,
                                                     tmp_path):
    event_id = _load(runner, make_registration, db).id
    before = _snapshot(db)
    backup = tmp_path / "openday.backup"
    result = runner.invoke(args=["backup", "create", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.stat().st_size > 0
    # Every citizen's name and phone: readable by the owner only.
    assert backup.stat().st_mode & 0o777 == 0o600

    # Damage: a registration deleted, a title changed.
    db.session.delete(db.session.execute(select(Registration).limit(1)).scalar_one())
    db.session.get(Event, event_id).title = "被误改的标题"
    db.session.commit()
    db.session.remove()
    assert _snapshot(db) != before

    result = runner.invoke(args=["backup", "restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot(db) == before


def test_restoring_a_file_that_is_not_an_openday_backup_changes_nothing(app, db, runner,
                                                                       make_registration,
                                                                       tmp_path):
    import sqlite3

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite restore reads the file itself; pg_restore checks its own")
    _load(runner, make_registration, db)
    before = _snapshot(db)
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for source, said in ((text, "不是 SQLite 数据库备份文件"), (other, "不是 OpenDay 的备份")):
        result = runner.invoke(args=["backup", "restore", "--yes", str(source)])
        assert result.exit_code == 1 and said in result.output, result.output
        assert "Traceback" not in result.output
    db.session.remove()
    assert _snapshot(db) == before


def _postgres_base():
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        return base
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql://postgres@127.0.0.1:5432/test"
    except OSError:
        return None


@pytest.mark.skipif(_postgres_base() is None, reason="no PostgreSQL server here")
def test_copy_from_sqlite_to_postgresql(make_app, tmp_path, make_registration):
    from flask_migrate import upgrade

    sqlite_url = f"sqlite:///{tmp_path / 'office.db'}"
    source = make_app(DATABASE_URL=sqlite_url, SQLALCHEMY_DATABASE_URI=sqlite_url)
    target_url, drop = _server_database(_postgres_base())
    target = make_app(DATABASE_URL=target_url,
                      SQLALCHEMY_DATABASE_URI=target_url.replace("postgresql://",
                                                                 "postgresql+psycopg://"))
    try:
        with source.app_context():
            upgrade()
            runner = source.test_cli_runner()
            assert runner.invoke(args=["demo"]).exit_code == 0
            event = _db.session.execute(select(Event).limit(1)).scalar_one()
            from app.services.registration import register

            for n in range(5):
                register(event, event.slots[0], name=f"市民{n}", phone=f"1391234000{n}",
                         party_size=1, source="staff")
            _db.session.commit()
            before = _snapshot(_db)
        with target.app_context():
            upgrade()
            _db.engine.dispose()
        with source.app_context():
            result = source.test_cli_runner().invoke(args=["db", "copy-to", target_url])
            assert result.exit_code == 0, result.output
            assert "registration: 5" in result.output
            # Run twice by mistake: refused in words, nothing copied a second time.
            again = source.test_cli_runner().invoke(args=["db", "copy-to", target_url])
            assert again.exit_code == 1 and "已有数据，没有复制任何数据" in again.output
            assert "Traceback" not in again.output
            _db.engine.dispose()
        with target.app_context():
            assert _snapshot(_db) == before
            # The sequences moved past the copied ids: new rows get fresh ids.
            event = _db.session.execute(select(Event).limit(1)).scalar_one()
            from app.services.registration import register

            register(event, event.slots[0], name="新市民", phone="13700000000", source="staff")
            _db.session.commit()
            assert _db.session.execute(select(func.count(Registration.id))).scalar() == 6
            _db.session.remove()
            _db.engine.dispose()
    finally:
        drop()


def test_backup_of_a_missing_sqlite_database_is_refused_not_written_empty(make_app, tmp_path):
    """Run from the wrong directory or without the service's DATABASE_URL, the command
    used to create an empty database and report an empty backup as written."""
    missing = tmp_path / "instance" / "openday.db"
    url = f"sqlite:///{missing}"
    app = make_app(DATABASE_URL=url, SQLALCHEMY_DATABASE_URI=url)
    backup = tmp_path / "openday.backup"
    result = app.test_cli_runner().invoke(args=["backup", "create", str(backup)])
    assert result.exit_code == 1
    assert "找不到数据库文件" in result.output and "Backup written" not in result.output
    assert not backup.exists() and not missing.exists()


def test_backup_into_a_directory_it_cannot_make_says_so(app, db, runner, tmp_path):
    """/srv/backup not made for the service user, or a file where the folder should be:
    a sentence saying which file could not be written, not a PermissionError traceback."""
    (tmp_path / "backups").write_text("a file, not a folder")
    target = tmp_path / "backups" / "openday.backup"
    result = runner.invoke(args=["backup", "create", str(target)])
    assert result.exit_code == 1
    assert "无法写入备份文件" in result.output and str(target) in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(_postgres_base() is None, reason="no PostgreSQL server here")
def test_copy_into_a_database_not_yet_upgraded_says_what_to_run(app, db, runner):
    """Step 1 of the move (`flask db upgrade` on the target) skipped or against another
    database: a clear message, no traceback, nothing copied."""
    target_url, drop = _server_database(_postgres_base())
    try:
        result = runner.invoke(args=["db", "copy-to", target_url])
        assert result.exit_code == 1
        assert "没有复制任何数据" in result.output and "flask db upgrade" in result.output
        assert "Traceback" not in result.output
        unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/openday"
        result = runner.invoke(args=["db", "copy-to", unreachable])
        assert result.exit_code == 1 and "无法连接目标数据库" in result.output
        assert "Traceback" not in result.output
    finally:
        drop()
