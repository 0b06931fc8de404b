"""Fixtures shared by the whole suite.

Every test session gets its own empty database: a temporary SQLite file by default, or a
fresh database created on the server named by ``TEST_DATABASE_URL`` (PostgreSQL) and dropped
at the end. The schema comes from the migrations, as in production. After each test every
table is emptied, so tests may commit freely (concurrency tests need real commits).
"""
import contextvars
import json
import os
import shutil
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db as _db
from config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "correct-horse-battery"
STAFF_PASSWORD = "door-staff-password"


def _server_database(base_url):
    """Create a fresh PostgreSQL database next to ``base_url``; return (url, drop)."""
    url = make_url(normalise_database_url(base_url))
    name = f"openday_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, drop = _server_database(base)
        yield url
        _db_engines_dispose()
        drop()
    else:
        folder = tmp_path_factory.mktemp("db")
        yield f"sqlite:///{folder / 'openday-test.db'}"


def _db_engines_dispose():
    for app in _APPS:
        with app.app_context():
            _db.engine.dispose()


_APPS = []


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def make_app(database_url, instance_dir):
    """Build an app on the session's database; keyword arguments override settings."""

    def factory(**overrides):
        settings = {
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "SECRET_KEY": "test-secret-key",
            "BASE_URL": "http://testserver",
            "MAIL_OUTBOX_DIR": str(instance_dir / "mail"),
            # `flask demo` in a test must not overwrite the developer's demo login.
            "DEMO_ADMIN_PASSWORD_FILE": str(instance_dir / "demo-admin-password"),
            "MAIL_SERVER": None,
        }
        settings.update(overrides)
        app = create_app("testing", settings)
        _APPS.append(app)
        return app

    return factory


@pytest.fixture(scope="session")
def _migrated(make_app):
    from flask_migrate import upgrade

    app = make_app()
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def app(_migrated):
    with _migrated.app_context():
        yield _migrated
        _clean_database()


def _clean_database():
    _db.session.rollback()
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


class _OwnContextClient(FlaskClient):
    """Each request in its own app context (and so its own database session), as under a
    real server, even though the test holds one open."""

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect followed from within the request's context
            return super().open(*args, **kwargs)
        # The test's own session ends its transaction on both sides of the request: the
        # request sees what the test stored, and the test then reads what the request wrote.
        _db.session.commit()
        # Buffered, so that a streamed body (an export) is read and closed in that context.
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _db.session.commit()
        return response


@pytest.fixture
def client(app):
    app.test_client_class = _OwnContextClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Well inside the fourth quarter of 2026 (a Thursday, 14:00 in Shanghai).
MID_QUARTER = datetime(2026, 11, 12, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def mid_quarter():
    """Reports count by calendar quarter: a data set made "now" must not straddle two
    quarters (yesterday's due date on the first day of one). Tests of reports run with the
    clock set well inside a quarter; it ticks on from there."""
    import time_machine

    with time_machine.travel(MID_QUARTER, tick=True):
        yield MID_QUARTER


def now_utc():
    return datetime.now(timezone.utc)


def iso(dt):
    return dt.isoformat()


def event_data(slug="test-open-day", kind="open_day", slots=None, **overrides):
    """Import-format JSON for an event open for registration now, its slots tomorrow."""
    start = now_utc() + timedelta(days=1)
    data = {
        "slug": slug,
        "kind": kind,
        "title": "测试开放日",
        "description": "参观节能设施",
        "location": "区行政中心",
        "registration_opens_at": iso(now_utc() - timedelta(days=1)),
        "registration_closes_at": iso(now_utc() + timedelta(hours=20)),
        "max_party_size": 4,
        "waitlist": False,
        "feedback_topics": ["公共机构节能", "垃圾分类", "食堂餐饮节约"],
        "slots": slots or [
            {"key": "am", "label": "上午场", "starts_at": iso(start),
             "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite"},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_event(db):
    """Create an event (committed) from import-format JSON; keyword arguments override."""
    from app.services.events import save_event

    def factory(**overrides):
        event, _ = save_event(event_data(**overrides))
        db.session.commit()
        return event

    return factory


@pytest.fixture
def make_registration(db):
    """Register someone (committed) through the real service."""
    from app.services.registration import register

    counter = {"n": 0}

    def factory(event, slot=None, **fields):
        counter["n"] += 1
        slot = slot or event.slots[0]
        values = {"name": f"测试{counter['n']}", "phone": f"139{counter['n']:08d}",
                  "party_size": 1, "consent_version": "test", **fields}
        registration = register(event, slot, **values)
        db.session.commit()
        return registration

    return factory


@pytest.fixture
def make_staff(db):
    from app.services.staff import create_staff

    def factory(username="admin", role="admin", password=None):
        user = create_staff(username, password or (ADMIN_PASSWORD if role == "admin"
                                                   else STAFF_PASSWORD), role)
        db.session.commit()
        return user

    return factory


class AuthActions:
    def __init__(self, client, make_staff):
        self._client = client
        self._make_staff = make_staff

    def login(self, role="admin", username=None):
        username = username or role
        from app.services.staff import get_by_username

        if get_by_username(username) is None:
            self._make_staff(username, role)
        password = ADMIN_PASSWORD if role == "admin" else STAFF_PASSWORD
        response = self._client.post("/staff/login",
                                     data={"username": username, "password": password})
        assert response.status_code == 302, response.data[:500]
        return response

    def logout(self):
        return self._client.post("/staff/logout")


@pytest.fixture
def auth(client, make_staff):
    return AuthActions(client, make_staff)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The app behind a real threaded HTTP server on loopback (not the test client)."""
    from werkzeug.serving import make_server

    port = free_port()
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)
    app.config["BASE_URL"] = "http://testserver"


class SMTPSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self, port):
        from aiosmtpd.controller import Controller

        self.port = port
        self.messages = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes, policy

                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_server(app):
    port = free_port()
    sink = SMTPSink(port)
    sink.start()
    # Flask-Mail suppresses sending under TESTING unless told otherwise.
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_SUPPRESS_SEND=False)
    from app.extensions import mail

    mail.init_app(app)
    yield sink
    sink.stop()
    app.config["MAIL_SERVER"] = None
    app.config.pop("MAIL_SUPPRESS_SEND", None)
    mail.init_app(app)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    # Chromium's own language (date boxes, built-in messages) is Chinese, as on the phones
    # and desks the app is for; it needs Debian's chromium-l10n (make chromium).
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "LANGUAGE": "zh_CN"})
    yield browser
    browser.close()


@pytest.fixture
def phone_page(browser):
    """A page the size of a phone (390×844) with a touch screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


SCREENSHOTS = ROOT / "docs" / "screenshots"


def write_json(path, data):
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


LIMITER_STATE = ("enabled", "initialized", "_storage", "_limiter", "_key_prefix",
                 "_storage_dead", "_fallback_limiter")


@pytest.fixture
def limits_on(make_app, app):
    """Build apps with the rate limits switched on (``limits_on(**settings)``). The limiter
    object is shared by every app in the process: its state is put back afterwards and its
    counts start empty."""
    from app.extensions import limiter

    saved = {name: getattr(limiter, name, None) for name in LIMITER_STATE}

    def build(**overrides):
        overrides.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        limited = make_app(RATELIMIT_ENABLED=True, **overrides)
        if overrides["RATELIMIT_STORAGE_URI"].startswith("memory"):
            limiter.reset()
        return limited

    yield build
    for name, value in saved.items():
        setattr(limiter, name, value)
