"""Registration mail through the outbox, delivered to a real SMTP server (aiosmtpd)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxMessage, Registration
from app.services.mail import queue_reminders, send_queued
from tests.conftest import SMTPSink, free_port, iso, now_utc


@pytest.fixture
def smtp_sink(app, smtp_server):
    """The shared smtp_server fixture, with Flask-Mail's testing suppression switched off
    (Flask-Mail suppresses sending whenever TESTING is on)."""
    from app.extensions import mail

    app.config["MAIL_SUPPRESS_SEND"] = False
    mail.init_app(app)
    yield smtp_server
    app.config.pop("MAIL_SUPPRESS_SEND")


def register_by_form(client, **fields):
    data = {"slot": "am", "name": "张三", "phone": "13900001111", "email": "zhang@example.com",
            "party_size": "1", "consent": "y", "submission_key": "m" * 24, **fields}
    response = client.post("/events/test-open-day/register", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return response.headers["Location"].rsplit("/", 1)[1]


def outbox(db):
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_registration_with_email_sends_one_message_with_the_ticket_link(
        app, client, db, make_event, smtp_sink):
    make_event()
    token = register_by_form(client)
    register_by_form(client)  # the same form again: same ticket, no second message
    assert send_queued() == (1, 0)
    assert send_queued() == (0, 0)
    [message] = smtp_sink.messages
    assert message["To"] == "zhang@example.com"
    assert "报名成功" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    url = f"http://testserver/tickets/{token}"
    assert url in text and url in html
    assert 'src="cid:ticket-qr"' in html
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<ticket-qr>"


def test_without_email_nothing_is_queued(client, db, make_event):
    make_event()
    register_by_form(client, email="")
    assert outbox(db) == []


def test_smtp_down_registration_succeeds_and_mail_arrives_when_it_is_back(app, client, db,
                                                                          make_event):
    from app.extensions import mail

    port = free_port()  # nothing listens here yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)
    sink, started = SMTPSink(port), False
    try:
        make_event()
        token = register_by_form(client)
        assert client.get(f"/tickets/{token}").status_code == 200
        assert send_queued() == (0, 1)
        [row] = outbox(db)
        # An unreachable server is not the message's fault: no attempt used up.
        assert row.status == "queued" and row.attempts == 0
        assert "Connection" in row.last_error or "refused" in row.last_error.lower()
        sink.start()
        started = True
        assert send_queued() == (1, 0)  # retry base is 0 s in tests: due at once
        assert send_queued() == (0, 0)
        assert len(sink.messages) == 1
        assert f"/tickets/{token}" in sink.messages[0].get_body(("plain",)).get_content()
        [row] = outbox(db)
        assert row.status == "sent" and row.last_error is None
    finally:
        if started:
            sink.stop()
        app.config["MAIL_SERVER"] = None
        app.config.pop("MAIL_SUPPRESS_SEND")
        mail.init_app(app)


def test_waitlisted_and_promoted_mails(app, client, db, make_event, make_registration):
    event = make_event(waitlist=True)
    holder = make_registration(event, party_size=4)
    for _ in range(3):
        make_registration(event, party_size=2)
    waiting = make_registration(event, party_size=1, email="wait@example.com")
    assert waiting.status == "waitlisted"
    from app.services.registration import queue_new_registration_mail

    queue_new_registration_mail(waiting)
    db.session.commit()
    client.post(f"/tickets/{holder.token}/cancel")
    kinds = [(m.kind, m.recipient) for m in outbox(db)]
    assert ("waitlisted", "wait@example.com") in kinds
    assert ("promoted", "wait@example.com") in kinds
    promoted = next(m for m in outbox(db) if m.kind == "promoted")
    assert promoted.qr_content and waiting.token in promoted.qr_content


def test_every_mail_template_renders(app, db, make_event, make_registration):
    from app.services.mail import SUBJECTS, queue_registration_mail

    registration = make_registration(make_event(), email="all@example.com")
    for kind in SUBJECTS:
        row = queue_registration_mail(registration, kind)
        assert registration.token in row.body_text, kind
        assert registration.token in row.body_html, kind
        assert "{{" not in row.body_text and "{%" not in row.body_html


def test_reminder_the_day_before_once_per_ticket(app, db, make_event, make_registration):
    start = now_utc() + timedelta(days=3)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                               "mode": "onsite"}])
    with_mail = make_registration(event, email="r@example.com")
    make_registration(event)  # no e-mail: nothing to send
    cancelled = make_registration(event, email="c@example.com")
    cancelled.status, cancelled.active_key = "cancelled", None
    db.session.commit()

    assert queue_reminders(now=start - timedelta(days=2)) == 0  # too early
    day_before = start - timedelta(hours=20)
    assert queue_reminders(now=day_before) == 1
    db.session.commit()
    assert queue_reminders(now=day_before + timedelta(hours=1)) == 0  # once only
    reminders = [m for m in outbox(db) if m.kind == "reminder"]
    assert [m.recipient for m in reminders] == ["r@example.com"]
    assert with_mail.token in reminders[0].body_text
    assert db.session.get(Registration, with_mail.id).reminder_sent_at is not None
    assert queue_reminders(now=start + timedelta(minutes=1)) == 0  # slot started


@pytest.mark.parametrize("mode", ["onsite", "online"])
def test_the_reminder_names_the_start_and_how_to_attend(app, db, make_event, make_registration,
                                                        mode):
    from zoneinfo import ZoneInfo

    # Registered days ago; the slot then moved to this evening: "tomorrow" would be wrong.
    start = now_utc() + timedelta(hours=5)
    slot = {"key": "pm", "label": "晚场", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": mode}
    if mode == "online":
        slot["join_url"] = "https://meeting.example.cn/j/123"
    event = make_event(slots=[slot])
    registration = make_registration(event, email="r@example.com")
    registration.created_at = now_utc() - timedelta(days=3)
    db.session.commit()
    assert queue_reminders() == 1
    reminder = [m for m in outbox(db) if m.kind == "reminder"][0]
    local_start = start.astimezone(ZoneInfo("Asia/Shanghai"))
    expected = f"将于 {local_start:%Y-%m-%d}"
    for body in (reminder.body_text, reminder.body_html):
        assert expected in body and f"{local_start:%H:%M} 开始" in body
        assert "明天" not in body
        assert ("二维码" in body) == (mode == "onsite")
    assert "明天" not in reminder.subject


def test_reminder_runs_in_the_worker_round(app, db, runner, make_event, make_registration):
    start = now_utc() + timedelta(hours=12)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                               "mode": "onsite"}])
    registration = make_registration(event, email="r@example.com")
    registration.created_at = now_utc() - timedelta(days=5)
    db.session.commit()
    result = runner.invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0, result.output
    assert [m.kind for m in outbox(db)] == ["reminder"]
    assert outbox(db)[0].status == "sent"  # written as an .eml file (no MAIL_SERVER)
    from pathlib import Path

    eml = Path(app.config["MAIL_OUTBOX_DIR"]) / f"{outbox(db)[0].id:08d}-reminder.eml"
    assert registration.token in eml.read_text()
    runner.invoke(args=["mail", "send-queued"])
    assert [m.kind for m in outbox(db)] == ["reminder"]


def test_volunteer_application_through_the_form_is_pending_and_says_so(client, db, make_event):
    make_event(slug="vol-drive", kind="volunteer", max_party_size=1)
    response = client.post("/events/vol-drive/register", data={
        "slot": "am", "name": "志愿者", "phone": "13900003333", "email": "v@example.com",
        "party_size": "1", "consent": "y", "submission_key": "v" * 24,
        "age_group": "18-30", "organisation": "岳阳街道", "code": "y"})
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[1]
    assert db.session.execute(select(Registration.status)).scalar() == "pending"
    assert [(m.kind, m.qr_content) for m in outbox(db)] == [("pending", None)]
    assert "待审核" in client.get(f"/tickets/{token}").get_data(as_text=True)
    assert client.get(f"/tickets/{token}/qr.png").status_code == 404


def test_no_reminder_for_someone_who_registered_inside_the_last_day(app, db, make_event,
                                                                   make_registration):
    start = now_utc() + timedelta(hours=10)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                               "mode": "onsite"}])
    make_registration(event, email="late@example.com")  # created now, 10 h before the start
    assert queue_reminders() == 0


def test_the_mail_folder_comes_from_the_environment(tmp_path):
    from config import Config

    settings = Config.from_env(str(tmp_path), {"SECRET_KEY": "x",
                                               "MAIL_OUTBOX_DIR": str(tmp_path / "letters")})
    assert settings["MAIL_OUTBOX_DIR"] == str(tmp_path / "letters")
    assert Config.from_env(str(tmp_path), {"SECRET_KEY": "x"})["MAIL_OUTBOX_DIR"] == \
        str(tmp_path / "mail")
