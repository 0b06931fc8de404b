"""A ticket's messages reach the citizen in the order they were written. After the mail
server was down, 报名成功 (waiting for its retry) must not arrive after 报名已取消."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.models import OutboxMessage
from app.models.types import utcnow
from app.services.mail import send_queued
from tests.conftest import SMTPSink, free_port


@pytest.fixture
def mail_server_down_then_up(app):
    """An SMTP address where nothing listens yet; start() brings the server up."""
    from app.extensions import mail

    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_SUPPRESS_SEND=False,
                      MAIL_RETRY_BASE_SECONDS=60)
    mail.init_app(app)
    sink = SMTPSink(port)
    yield sink
    if sink.messages or getattr(sink.controller, "_thread", None):
        sink.stop()
    app.config.update(MAIL_SERVER=None, MAIL_RETRY_BASE_SECONDS=0)
    app.config.pop("MAIL_SUPPRESS_SEND")
    mail.init_app(app)


def register(client):
    response = client.post("/events/test-open-day/register", data={
        "slot": "am", "name": "张三", "phone": "13900001111", "email": "zhang@example.com",
        "party_size": "1", "consent": "y", "submission_key": "o" * 24})
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


def subjects(sink):
    return [message["Subject"].split("：")[0] for message in sink.messages]


def test_the_cancellation_waits_for_the_ticket_mail_written_before_it(
        app, client, db, make_event, mail_server_down_then_up):
    sink = mail_server_down_then_up
    make_event()
    token = register(client)
    assert send_queued() == (0, 1)  # server down: 报名成功 waits 60 s for its retry
    assert client.post(f"/tickets/{token}/cancel").status_code in (302, 303)
    sink.start()
    # The server is back before the ticket mail's retry is due: the cancellation, written
    # after it, is not sent ahead of it.
    assert send_queued() == (0, 0)
    assert sink.messages == []
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()
                                                    - timedelta(seconds=1)))
    db.session.commit()
    assert send_queued() == (2, 0)
    assert subjects(sink) == ["报名成功", "报名已取消"]


def test_other_tickets_mail_is_not_held_up(app, client, db, make_event, make_registration,
                                           mail_server_down_then_up):
    sink = mail_server_down_then_up
    event = make_event()
    register(client)
    assert send_queued() == (0, 1)
    make_registration(event, name="李四", phone="13800002222", email="li@example.com", mail=True)
    sink.start()
    assert send_queued() == (1, 0)
    assert [m["To"] for m in sink.messages] == ["li@example.com"]
    waiting = db.session.scalars(select(OutboxMessage.status).where(
        OutboxMessage.recipient == "zhang@example.com")).all()
    assert waiting == ["queued"]
