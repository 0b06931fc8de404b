"""The mail worker against mail servers that misbehave: one that accepts the connection and
never greets, one that hangs up after accepting a message, one that is down, one that
refuses the recipient. Each is a real server on loopback (aiosmtpd, or a plain socket where
aiosmtpd would be too polite)."""
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxMessage
from app.models.types import utcnow
from app.services import mail as mail_service
from app.services.mail import send_queued
from tests.conftest import SMTPSink, free_port

PRIVATE = "zhang.san.private@example.com"
MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_SUPPRESS_SEND",
                 "MAIL_MAX_ATTEMPTS", "MAIL_RETRY_BASE_SECONDS", "MAIL_CLAIM_SECONDS")
UNSET = object()


class SilentServer:
    """Accepts TCP connections and never says a word (no 220 greeting)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.clients = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.clients.append(client)
            self.connected.set()

    def close(self):
        self.stopping = True
        self.thread.join(5)
        for client in self.clients:  # frees a worker that would otherwise wait for ever
            client.close()
        self.listener.close()


class ScriptedSink(SMTPSink):
    """aiosmtpd that answers RCPT or DATA as told (``rcpt_reply``, ``data_reply``: None
    accepts), and may hang up on QUIT without a word (``hang_up_on_quit``)."""

    def __init__(self, port, rcpt_reply=None, data_reply=None, hang_up_on_quit=False):
        super().__init__(port)
        self.rcpt_reply, self.data_reply = rcpt_reply, data_reply
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.rcpt_reply:
                    return sink.rcpt_reply.format(address=address)
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes, policy

                if sink.data_reply:
                    return sink.data_reply
                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted for delivery"

            if hang_up_on_quit:
                async def handle_QUIT(self, server, session, envelope):
                    server.transport.abort()  # the connection drops before 221 Bye
                    return "221 Bye"

        self.controller.handler = Handler()


@pytest.fixture
def mail_to(app):
    """Point the app's mail at a port on loopback (and other mail settings); restored after."""
    from app.extensions import mail

    saved = {name: app.config.get(name, UNSET) for name in MAIL_SETTINGS}

    def point(port, **settings):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                          MAIL_USE_SSL=False, MAIL_SUPPRESS_SEND=False, **settings)
        mail.init_app(app)

    yield point
    for name, value in saved.items():
        if value is UNSET:
            app.config.pop(name, None)
        else:
            app.config[name] = value
    mail.init_app(app)


@pytest.fixture
def sinks():
    started = []

    def start(sink):
        sink.start()
        started.append(sink)
        return sink

    yield start
    for sink in started:
        sink.stop()


def queue_message(db, recipient="r@example.com", subject="消息", **fields):
    row = OutboxMessage(kind="test", recipient=recipient, subject=subject, body_text="正文",
                        **fields)
    db.session.add(row)
    db.session.commit()
    return row.id


def fresh(db, message_id):
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                              ).scalar_one()


def test_a_silent_mail_server_times_out_and_never_holds_the_database(app, db, make_app,
                                                                     make_event):
    make_event()
    message_id = queue_message(db)
    db.session.rollback()
    server = SilentServer()
    # As deployed: the worker's transactions take SQLite's write lock (BEGIN IMMEDIATE).
    worker = make_app(SQLITE_IMMEDIATE_OUTSIDE_REQUESTS=True, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=3)
    web = make_app(SQLITE_BUSY_TIMEOUT_MS=500)
    web_client = web.test_client()
    assert web_client.get("/events/test-open-day").status_code == 200  # warm, not timed
    outcome = {}

    def one_pass():
        with worker.app_context():
            try:
                outcome["result"] = send_queued()
            finally:
                outcome["ended"] = time.monotonic()
                db.session.remove()

    thread = threading.Thread(target=one_pass, daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        assert server.connected.wait(5)  # the worker now waits for a greeting
        response = web_client.post("/events/test-open-day/register", data={
            "slot": "am", "name": "张三", "phone": "13900001111", "party_size": "1",
            "consent": "y", "submission_key": "w" * 24})
        registered = time.monotonic()
        assert response.status_code == 303, response.status_code  # not 503: no lock held
        thread.join(10)
        assert not thread.is_alive(), "the worker still waits for the silent server"
        assert registered < outcome["ended"]  # registered while the worker waited
        assert outcome["ended"] - started < 3 + 2
    finally:
        server.close()
        thread.join(5)
        for other in (worker, web):
            with other.app_context():
                db.engine.dispose()
    assert outcome["result"] == (0, 1)
    row = fresh(db, message_id)
    assert (row.status, row.attempts) == ("queued", 0)
    assert row.last_error.startswith("SMTPServerDisconnected") and "timed out" in row.last_error


def test_a_message_the_server_accepted_is_not_sent_again_when_it_hangs_up_on_quit(
        app, db, mail_to, sinks):
    sink = sinks(ScriptedSink(free_port(), hang_up_on_quit=True))
    mail_to(sink.port)
    message_id = queue_message(db)
    results = [send_queued() for _ in range(3)]  # retries are due at once in tests
    assert results == [(1, 0), (0, 0), (0, 0)]
    assert len(sink.messages) == 1
    row = fresh(db, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


def test_an_unreachable_server_uses_up_no_attempts_and_backs_off_at_most_15_minutes(
        app, db, mail_to, sinks):
    port = free_port()  # nothing listens here: connection refused
    mail_to(port, MAIL_MAX_ATTEMPTS=2)
    first = queue_message(db)
    second = queue_message(db)
    assert send_queued() == (0, 1)  # the round stops at the first refused connection
    assert fresh(db, first).last_error.startswith("ConnectionRefusedError")
    assert fresh(db, second).last_error is None  # not tried: the server was down
    for _ in range(5):
        assert send_queued() == (0, 1)
    for message_id in (first, second):
        row = fresh(db, message_id)
        assert (row.status, row.attempts) == ("queued", 0)
        assert row.last_error.startswith("ConnectionRefusedError")

    # The wait doubles with the time the message has waited, from the base to 15 minutes.
    app.config["MAIL_RETRY_BASE_SECONDS"] = 30
    for waited, expected in ((0, 30), (100, 100), (2 * 3600, 900)):
        row = fresh(db, first)
        row.created_at = utcnow() - timedelta(seconds=waited)
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        before = utcnow()
        assert send_queued() == (0, 1)
        wait = (fresh(db, first).next_attempt_at - before).total_seconds()
        assert expected - 1 <= wait <= expected + 2, (waited, wait)
    assert fresh(db, first).attempts == 0

    sink = sinks(ScriptedSink(port))  # the server is back
    app.config["MAIL_RETRY_BASE_SECONDS"] = 0
    fresh(db, first).next_attempt_at = utcnow()
    db.session.commit()
    assert send_queued() == (2, 0)
    assert len(sink.messages) == 2
    assert [fresh(db, i).status for i in (first, second)] == ["sent", "sent"]


@pytest.mark.parametrize("rcpt_reply, data_reply, status, stored", [
    ("550 5.1.1 <{address}> no such mailbox", None, "failed",
     "SMTPRecipientsRefused: 550 5.1.1 <z***@example.com> no such mailbox"),
    (None, "554 5.7.1 message refused", "failed", "SMTPDataError: 554 5.7.1 message refused"),
    ("450 4.2.1 <{address}> mailbox busy", None, "queued",
     "SMTPRecipientsRefused: 450 4.2.1 <z***@example.com> mailbox busy"),
])
def test_a_refusal_for_good_fails_at_once_a_temporary_one_is_retried_and_no_address_is_kept(
        app, db, mail_to, sinks, rcpt_reply, data_reply, status, stored):
    sink = sinks(ScriptedSink(free_port(), rcpt_reply=rcpt_reply, data_reply=data_reply))
    mail_to(sink.port)
    message_id = queue_message(db, recipient=PRIVATE)
    assert send_queued() == (0, 1)
    row = fresh(db, message_id)
    assert (row.status, row.attempts, row.last_error) == (status, 1, stored)
    assert PRIVATE not in row.last_error
    sink.rcpt_reply = sink.data_reply = None
    assert send_queued() == ((1, 0) if status == "queued" else (0, 0))
    assert len(sink.messages) == (1 if status == "queued" else 0)


def test_a_temporary_refusal_fails_for_good_after_the_last_attempt(app, db, mail_to, sinks):
    sink = sinks(ScriptedSink(free_port(), rcpt_reply="451 4.3.0 try again later"))
    mail_to(sink.port, MAIL_MAX_ATTEMPTS=3)
    message_id = queue_message(db)
    assert [send_queued() for _ in range(4)] == [(0, 1), (0, 1), (0, 1), (0, 0)]
    row = fresh(db, message_id)
    assert (row.status, row.attempts) == ("failed", 3)


class WorkerKilled(BaseException):
    """The worker's process ends mid-send (a deploy, the OOM killer)."""


def test_a_message_whose_worker_died_is_sent_once_its_claim_lapses(app, db, mail_to, sinks,
                                                                   monkeypatch):
    sink = sinks(ScriptedSink(free_port()))
    mail_to(sink.port, MAIL_CLAIM_SECONDS=1)
    message_id = queue_message(db)

    def die(message, row):
        raise WorkerKilled

    monkeypatch.setattr(mail_service, "deliver", die)
    with pytest.raises(WorkerKilled):
        send_queued()
    monkeypatch.undo()
    db.session.rollback()
    assert send_queued() == (0, 0)  # claimed by the dead worker for a while yet
    time.sleep(1.1)
    assert send_queued() == (1, 0)
    assert len(sink.messages) == 1 and fresh(db, message_id).status == "sent"


def test_three_workers_at_once_send_each_message_exactly_once(app, db, make_app, sinks):
    sink = sinks(ScriptedSink(free_port()))
    for n in range(30):
        queue_message(db, recipient=f"r{n}@example.com", subject=f"消息 {n}")
    db.session.rollback()
    worker = make_app(SQLITE_IMMEDIATE_OUTSIDE_REQUESTS=True, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=sink.port, MAIL_SUPPRESS_SEND=False)
    errors = []

    def work():
        with worker.app_context():
            try:
                while send_queued(limit=3) != (0, 0):
                    pass
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with worker.app_context():
        db.engine.dispose()
    assert errors == []
    subjects = sorted(message["Subject"] for message in sink.messages)
    assert len(subjects) == 30 and len(set(subjects)) == 30
    db.session.expire_all()
    assert {row.status for row in db.session.execute(select(OutboxMessage)).scalars()} == {"sent"}


def test_the_mail_timeout_comes_from_the_environment(tmp_path):
    from config import Config

    assert Config.from_env(str(tmp_path), {"SECRET_KEY": "x"})["MAIL_TIMEOUT"] == 10
    assert Config.from_env(str(tmp_path), {"SECRET_KEY": "x", "MAIL_TIMEOUT": "3"}
                           )["MAIL_TIMEOUT"] == 3
