"""No log line holds a full phone number, an e-mail address, a password or a ticket token:
everything logged while a citizen registers, views the ticket, is checked in, a staff member
mistypes a password and a mail fails is captured (our loggers, werkzeug's request log,
any library) and searched."""
import logging
import re

import pytest
import requests

from app.logging import mask_secrets
from tests.conftest import STAFF_PASSWORD, SMTPSink, free_port
from tests.routes.test_checkin_api import slot_starting_in

PHONE = "13812345678"
EMAIL = "zhang.san.private@example.com"
WRONG_PASSWORD = "Wrong-Password-4711"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured():
    """A handler on the root logger and on every logger that does not pass records up."""
    handler = Capture()
    loggers = [logging.getLogger(), logging.getLogger("openday"), logging.getLogger("werkzeug")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


class RefusingSink(SMTPSink):
    """An SMTP server that refuses the recipient, naming the address in its answer."""

    def __init__(self, port):
        super().__init__(port)

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                return f"550 5.1.1 <{address}> no such mailbox"

        self.controller.handler = Handler()


def test_no_secret_in_any_log(app, db, live_server, make_event, make_staff, captured):
    make_event(slug="door-day", slots=[slot_starting_in(30)])
    make_staff("door", "staff")
    db.session.rollback()  # the server's threads have their own sessions: hold no lock here

    citizen = requests.Session()
    response = citizen.post(f"{live_server}/events/door-day/register", allow_redirects=False, data={
        "slot": "am", "name": "张三", "phone": "138 1234 5678", "email": EMAIL, "party_size": "1",
        "consent": "y", "submission_key": "s" * 24})
    assert response.status_code == 303, response.text[:1000]
    token = re.search(r"/tickets/([A-Za-z0-9_-]+)$", response.headers["Location"]).group(1)
    assert citizen.get(f"{live_server}/tickets/{token}").status_code == 200
    assert citizen.get(f"{live_server}/tickets/{token}/qr.png").status_code == 200
    assert citizen.get(f"{live_server}/tickets/{token}-nope").status_code == 404

    staff = requests.Session()
    refused = staff.post(f"{live_server}/staff/login", allow_redirects=False,
                         data={"username": "door", "password": WRONG_PASSWORD})
    assert refused.status_code == 400
    assert staff.post(f"{live_server}/staff/login", allow_redirects=False,
                      data={"username": "door", "password": STAFF_PASSWORD}).status_code == 302
    answer = staff.post(f"{live_server}/api/checkin", json={
        "event": "door-day", "code": f"{live_server}/tickets/{token}", "gate": "东门"})
    assert answer.status_code == 200 and answer.json()["result"] == "ok"
    found = staff.get(f"{live_server}/api/events/door-day/search", params={"q": PHONE})
    assert found.status_code == 200

    # The confirmation mail fails: the server refuses the address.
    from app.services.mail import send_queued

    sink = RefusingSink(free_port())
    sink.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False,
                          MAIL_USE_SSL=False, MAIL_SUPPRESS_SEND=False)
        from app.extensions import mail

        mail.init_app(app)
        sent, failed = send_queued()
    finally:
        sink.stop()
        app.config.update(MAIL_SERVER=None)
        app.config.pop("MAIL_SUPPRESS_SEND", None)
        mail.init_app(app)
    assert failed >= 1

    text = "\n".join(captured.lines)
    # The capture saw the request log and the mail failure, so it can catch a leak.
    assert "/tickets/" in text and "GET" in text, text[:2000]
    assert "attempt 1 failed" in text
    for secret in (PHONE, EMAIL, WRONG_PASSWORD, STAFF_PASSWORD, token):
        assert secret not in text, f"{secret!r} in the logs:\n{text}"
    assert f"/tickets/{token[:4]}…" in text


def test_the_masking_itself():
    line = ('127.0.0.1 - - "GET /tickets/AbCdEfGhIjKlMnOpQrStUvWxYz0/qr.png HTTP/1.1" 200 '
            '"/invite/ZyXwVuTsRqPoNm" phone +86 138-1234-5678 mail li.si@example.org.cn')
    masked = mask_secrets(line)
    assert "/tickets/AbCd…/qr.png" in masked and "/invite/ZyXw…" in masked
    assert "138****5678" in masked and "l***@example.org.cn" in masked
    assert "12345678" not in masked and "li.si" not in masked
    # Times, counts and ticket numbers stay readable.
    assert mask_secrets("2026-11-26 10:00:00 sent 12 of 340, ticket K7M2Q9XA") == \
        "2026-11-26 10:00:00 sent 12 of 340, ticket K7M2Q9XA"


def test_an_unexpected_error_logs_the_path_masked(app, make_event, make_registration, captured, monkeypatch):
    from app.services import tickets

    registration = make_registration(make_event(), phone=PHONE, email=EMAIL)

    def broken(url):
        raise RuntimeError(f"cannot draw {url} for {PHONE} / {EMAIL}")

    monkeypatch.setattr(tickets, "qr_png", broken)
    response = app.test_client().get(f"/tickets/{registration.token}/qr.png")
    assert response.status_code == 500
    text = "\n".join(captured.lines)
    assert "unhandled error" in text and "RuntimeError" in text
    for secret in (PHONE, EMAIL, registration.token):
        assert secret not in text, text


def test_gunicorn_access_log_when_switched_on_is_masked(database_url, tmp_path, app):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.conftest import ROOT

    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 32,
           "GUNICORN_WORKERS": "1", "GUNICORN_ACCESS_LOG": "1",
           "BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            token = "SeCrEtToKeN1234567890abcdefg"
            deadline = time.time() + 20
            while True:
                try:
                    status = requests.get(f"http://127.0.0.1:{port}/tickets/{token}", timeout=1,
                                          params={"phone": PHONE}).status_code
                    break
                except requests.RequestException:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            assert status == 404
            time.sleep(0.3)  # let the worker flush its access line
        finally:
            process.terminate()
            process.wait(10)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "/tickets/SeCr…" in text, text[-2000:]
    assert token not in text and PHONE not in text


def test_a_staff_search_typed_as_people_write_it_logs_no_phone_or_address(
        db, live_server, make_event, make_registration, make_staff, captured):
    """Staff search the list the way a phone number is read out (138 1234 5678) or by e-mail;
    the browser sends those encoded (138+1234+5678, %40), and the request log quoted them."""
    event = make_event(slug="search-day")
    make_registration(event, phone=PHONE, email=EMAIL)
    make_staff("door", "staff")
    db.session.commit()

    staff = requests.Session()
    assert staff.post(f"{live_server}/staff/login", allow_redirects=False,
                      data={"username": "door", "password": STAFF_PASSWORD}).status_code == 302
    for typed in ("138 1234 5678", "+86 138-1234-5678", "１３８１２３４５６７８", EMAIL):
        page = staff.get(f"{live_server}/staff/events/search-day/registrations",
                         params={"q": typed, "page": "1"})
        assert page.status_code == 200
        assert staff.get(f"{live_server}/api/events/search-day/search",
                         params={"q": typed}).status_code == 200

    text = "\n".join(captured.lines)
    assert "registrations?q=" in text, text[:2000]  # the request lines were captured
    for leak in (PHONE, "138+1234+5678", "138-1234-5678", "%EF%BC%91%EF%BC%93%EF%BC%98",
                 "zhang.san.private", "zhang.san.private%40"):
        assert leak not in text, f"{leak!r} in the logs:\n{text}"
    # What is left still says what was searched for, masked as staff screens show it.
    assert "registrations?q=138****5678&page=1" in text
    assert "q=z***@example.com" in text


def test_a_failed_sql_statement_logs_neither_its_values_nor_the_clashing_key(
        app, make_event, make_registration, captured, monkeypatch):
    """A database error's text quotes the row it tried to write (a ticket token, a name) and,
    on PostgreSQL, the key that clashed: the log keeps the statement, not the values."""
    from sqlalchemy import text

    from app.extensions import db
    from app.services import tickets

    registration = make_registration(make_event(), name="欧阳修远", phone=PHONE, email=EMAIL)
    token = registration.token

    def broken(url):
        # A row the database refuses (no event): its error quotes the values it was given.
        db.session.execute(text("INSERT INTO registration (token, name, phone) VALUES (:t, :n, :p)"),
                           {"t": token, "n": "欧阳修远", "p": PHONE})

    monkeypatch.setattr(tickets, "qr_png", broken)
    response = app.test_client().get(f"/tickets/{token}/qr.png")
    assert response.status_code == 500
    logged = "\n".join(captured.lines)
    assert "IntegrityError" in logged and "INSERT INTO registration" in logged, logged
    assert "[parameters: hidden]" in logged
    for secret in (token, "欧阳修远", PHONE):
        assert secret not in logged, logged
