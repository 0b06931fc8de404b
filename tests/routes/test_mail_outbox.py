"""Staff see what the e-mail outbox could not send, and why, and send it again (DESIGN:
mail never gets lost; staff can see what failed). A real SMTP server (aiosmtpd) that first
refuses the address, then takes it."""
from sqlalchemy import select

from app.models import AuditLog, OutboxMessage
from app.services.mail import send_queued
from tests.conftest import free_port
from tests.services.test_mail_worker import ScriptedSink


def register_with_email(client):
    data = {"slot": "am", "name": "张三", "phone": "13900001111", "email": "zhang@example.com",
            "party_size": "1", "consent": "y", "submission_key": "o" * 24}
    assert client.post("/events/test-open-day/register", data=data).status_code == 303


def the_message(db):
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage)).scalar_one()


def test_a_message_that_failed_for_good_is_shown_masked_and_can_be_sent_again(
        app, client, auth, db, make_event):
    from app.extensions import mail

    # The server refuses the address for now (450) until put right; an unreachable server
    # would never fail a message for good (tests/services/test_mail_worker.py).
    sink = ScriptedSink(free_port(), rcpt_reply="450 4.2.1 <{address}> mailbox unavailable")
    max_attempts = app.config["MAIL_MAX_ATTEMPTS"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_SUPPRESS_SEND=False, MAIL_MAX_ATTEMPTS=2)
    mail.init_app(app)
    sink.start()
    try:
        make_event()
        register_with_email(client)
        assert send_queued() == (0, 1) and the_message(db).status == "queued"
        auth.login("admin")
        page = client.get("/staff/mail").get_data(as_text=True)
        assert "将于" in page and "重新发送" not in page  # still retrying by itself
        assert send_queued() == (0, 1) and the_message(db).status == "failed"

        response = client.get("/staff/mail")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "z***@example.com" in page and "zhang@example.com" not in page
        assert "已停止重试" in page and "报名确认" in page and "重新发送" in page
        assert "SMTPRecipientsRefused: 450" in page
        assert 'id="failed-mail"' in client.get("/staff/events").get_data(as_text=True)

        message_id = the_message(db).id
        response = client.post(f"/staff/mail/{message_id}/retry")
        assert response.status_code == 303
        message = the_message(db)
        assert (message.status, message.attempts) == ("queued", 0)
        [row] = db.session.execute(select(AuditLog).where(AuditLog.action == "mail.retry")).scalars()
        assert row.actor_name == "admin" and row.target_id == str(message_id)

        sink.rcpt_reply = None  # the mailbox is back
        assert send_queued() == (1, 0)
        assert [m["To"] for m in sink.messages] == ["zhang@example.com"]
        assert the_message(db).status == "sent"
        assert 'id="failed-mail"' not in client.get("/staff/events").get_data(as_text=True)
        # A message that went out is not sent again.
        assert client.post(f"/staff/mail/{message_id}/retry").status_code == 409
        assert client.post("/staff/mail/999999/retry").status_code == 404
        assert the_message(db).status == "sent" and len(sink.messages) == 1
    finally:
        sink.stop()
        app.config.update(MAIL_SERVER=None, MAIL_MAX_ATTEMPTS=max_attempts)
        app.config.pop("MAIL_SUPPRESS_SEND")
        mail.init_app(app)


def test_the_outbox_page_is_for_admins(client, auth):
    assert client.get("/staff/mail").status_code == 302
    auth.login("staff")
    assert client.get("/staff/mail").status_code == 403
    assert client.post("/staff/mail/1/retry").status_code == 403
