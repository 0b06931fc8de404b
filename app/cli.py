"""The flask commands of CONTRACT §3. Each one commits once, at the end."""
import json
import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.services.errors import DomainError

staff_cli = AppGroup("staff", help="Staff accounts.")
events_cli = AppGroup("events", help="Events and their slots.")
mail_cli = AppGroup("mail", help="The e-mail outbox.")
privacy_cli = AppGroup("privacy", help="Personal data retention.")
feedback_cli = AppGroup("feedback", help="Evaluations.")


def register(app):
    app.cli.add_command(feedback_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_cli)
    from flask_migrate.cli import db as migrate_db_cli

    migrate_db_cli.add_command(db_copy_to)  # `flask db copy-to URL`


def _fail(error):
    db.session.rollback()
    message = str(error.message)
    if error.field and error.field not in message:
        message = f"{error.field}: {message}"
    raise click.ClickException(message)


@staff_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "staff"]), default="staff", show_default=True)
@click.option("--password", help="At least 12 characters; prompted for when absent.")
def staff_create(username, role, password):
    """Create a staff account."""
    from app.services import audit, staff

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = staff.create_staff(username, password, role)
        # The name as stored (full-width letters made ASCII), as the accounts page records it.
        audit.record("staff.create", user, detail={"username": user.username, "role": role})
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created {role} {user.username}")


def _read_json_file(file):
    """The JSON in ``file``, or a ClickException saying in Chinese what is wrong with it
    (an operator reads it; click's and Python's own messages are English and technical)."""
    from flask_babel import gettext as _

    if not file.exists():
        raise click.ClickException(_("找不到文件 %(f)s。", f=file))
    if file.is_dir():
        raise click.ClickException(_("%(f)s 是一个文件夹，请给出 JSON 文件。", f=file))
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(
            _("文件 %(f)s 不是 UTF-8 编码的文本，请另存为 UTF-8 后再导入。", f=file)) from None
    except OSError as error:
        raise click.ClickException(_("无法读取文件 %(f)s（%(e)s）。", f=file, e=error.strerror)) from None
    try:
        data = json.loads(text)
        # A lone surrogate (\ud800) parses, but no database can store it.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as error:
        raise click.ClickException(_("文件 %(f)s 不是有效的 JSON：第 %(line)d 行第 %(col)d 列有误。",
                                     f=file, line=error.lineno, col=error.colno)) from None
    except (ValueError, RecursionError, UnicodeEncodeError):
        # A number of thousands of digits, arrays nested thousands deep, a broken character.
        raise click.ClickException(
            _("文件 %(f)s 无法读取：含有过长的数字、过深的嵌套或无法识别的字符。", f=file)) from None
    return data


@events_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def events_import(file):
    """Create, or update by slug, an event and its slots from a JSON file."""
    from flask_babel import gettext as _
    from sqlalchemy.exc import OperationalError

    from app.services import audit, waitlist
    from app.services.events import save_event_telling_holders, setup_warnings

    data = _read_json_file(file)
    try:
        saved = save_event_telling_holders(data)
        event = saved.event
        detail = {"slug": event.slug, "created": saved.created}
        if saved.promoted:
            detail["promoted"] = [r.ticket_number for r in saved.promoted]
        audit.record("event.import", event, event=event, detail=detail)
        db.session.commit()
    except DomainError as error:
        _fail(error)
    except OperationalError:
        # SQLite's write lock held too long by another writer, PostgreSQL unreachable.
        db.session.rollback()
        raise click.ClickException(_("数据库正忙或无法连接，没有导入任何内容，请稍后再试。")) from None
    click.echo(event.slug)
    for change in saved.slot_changes:
        click.echo(change.summary())
    if saved.promoted:
        click.echo(waitlist.summary(saved.promoted))
    for note in setup_warnings(event):
        click.echo(_("请留意：%(note)s", note=note))


@click.command("demo")
def demo_command():
    """Load the demo events and a demo admin (when the database has no events)."""
    from app.services.demo import load_demo

    password = secrets.token_urlsafe(12)
    created, admin_created = load_demo(admin_password=password)
    db.session.commit()
    for slug in created:
        click.echo(f"Loaded {slug}")
    if not created:
        click.echo("Demo events already present.")
    # The demo password is kept (mode 600) so that every `make run` can print the login,
    # with the database it belongs to: run against another database (a test's, a copy),
    # the file must neither be overwritten nor print a password that does not work there.
    saved = Path(current_app.config.get("DEMO_ADMIN_PASSWORD_FILE")
                 or Path(current_app.instance_path) / "demo-admin-password")
    database = _database_fingerprint()
    if admin_created:
        fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"database": database, "password": password}, handle)
    known = _saved_demo_password(saved, database)
    login_url = f"{current_app.config['BASE_URL']}/staff/login"
    if known:
        click.echo(f"Demo admin: username 'admin', password '{known}' (sign in at {login_url})")
    elif not admin_created:
        click.echo("Staff accounts already exist in this database; the demo admin's password "
                   "was printed when it was made (an admin can reset it on the staff "
                   f"accounts page, {login_url}).")


def _database_fingerprint():
    """Which database this is, without keeping its URL (which may hold a password)."""
    import hashlib

    url = db.engine.url.render_as_string(hide_password=False)
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _saved_demo_password(path, database):
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # none kept, or an older plain-text file of unknown database
    if not isinstance(saved, dict) or saved.get("database") != database:
        return None
    return saved.get("password")


@feedback_cli.command("invite")
def feedback_invite():
    """Invite ticket holders whose slot has ended to evaluate (each one once). The mail
    worker also runs this every round."""
    from app.services.feedback import invite_due

    invited = invite_due()
    db.session.commit()
    click.echo(f"queued {invited} evaluation invitations")


@mail_cli.command("worker")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between rounds.")
def mail_worker(poll):
    """Send the outbox forever (and run the reminder jobs)."""
    from app.services.mail import run_worker

    click.echo("Mail worker running; Ctrl+C stops it.")
    run_worker(poll_seconds=poll)


@mail_cli.command("send-queued")
def mail_send_queued():
    """Send the messages that are due, once."""
    from app.services.mail import run_periodic_jobs, send_queued

    run_periodic_jobs()
    sent, failed = send_queued(limit=10_000)
    click.echo(f"sent {sent}, failed {failed}")


@privacy_cli.command("purge")
@click.option("--days", type=int, default=None,
              help="Retention in days after the event's last slot (default PRIVACY_RETENTION_DAYS).")
def privacy_purge(days):
    """Remove the personal data that the retention rule says is due."""
    from datetime import datetime, timezone

    from flask_babel import gettext as _

    from app.services import audit
    from app.services.privacy import purge_due

    days = current_app.config["PRIVACY_RETENTION_DAYS"] if days is None else days
    if days < 0:
        # A negative retention would anonymise events still to come.
        raise click.ClickException(_("保留天数不能为负数（收到 %(n)d）。", n=days))
    purged = purge_due(datetime.now(timezone.utc), days)
    for slug, count in purged.items():
        audit.record("privacy.purge", None, detail={"slug": slug, "registrations": count})
        click.echo(f"{slug}: {count} registrations anonymised")
    db.session.commit()
    if not purged:
        click.echo("Nothing due.")


backup_cli = AppGroup("backup", help="Back up and restore the database.")


@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(target):
    """Write a consistent backup (SQLite online backup, or pg_dump custom format)."""
    from app.services.backup import create_backup

    try:
        create_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except DomainError as error:
        _fail(error)
    click.echo(f"Backup written to {target}")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="This replaces the database's content. Continue?")
def backup_restore(source):
    """Replace the database's content with a backup."""
    from app.services.backup import restore_backup

    try:
        restore_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except DomainError as error:
        _fail(error)
    click.echo(f"Restored from {source}")


@click.command("copy-to")
@click.argument("target_url")
def db_copy_to(target_url):
    """Copy all data into another database (SQLite to PostgreSQL). Run `flask db upgrade`
    against the target first; it must be empty."""
    from app.services.backup import copy_database
    from config import normalise_database_url

    try:
        counts = copy_database(normalise_database_url(target_url))
    except DomainError as error:
        _fail(error)
    for table, rows in counts.items():
        click.echo(f"{table}: {rows}")
