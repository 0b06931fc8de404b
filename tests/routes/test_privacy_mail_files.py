"""Without an SMTP server (the embedded default), the mail worker writes each message as an
.eml file under instance/mail/: the address, the name and the ticket link are in it. Once a
citizen deletes their data, or the retention purge takes it, those copies go too."""
from datetime import timedelta

from app.services.mail import send_queued
from tests.conftest import now_utc

EMAIL = "han.meimei@example.com"
OTHER_EMAIL = "li.lei@example.com"


def _register(client, name, phone, email):
    response = client.post("/events/test-open-day/register", data={
        "slot": "am", "name": name, "phone": phone, "email": email, "party_size": "1",
        "consent": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return response.headers["Location"].rsplit("/", 1)[1]


def _mail_files(folder):
    """{file name: its headers and text parts, decoded}."""
    import email
    from email import policy

    files = {}
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [str(message["To"])] + [
            part.get_content() for part in message.walk() if part.get_content_type() in
            ("text/plain", "text/html")]
        files[path.name] = "\n".join(parts)
    return files


def _holding(files, text):
    return sorted(name for name, content in files.items() if text in content)


def test_erasing_my_data_deletes_the_mails_written_to_me_as_files(
        app, client, db, make_event, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    make_event()
    token = _register(client, "韩梅梅", "13812345678", EMAIL)
    _register(client, "李雷", "13987654321", OTHER_EMAIL)
    assert client.post(f"/tickets/{token}/cancel").status_code == 303
    send_queued()  # confirmation and cancellation for her, a confirmation for him
    files = _mail_files(tmp_path)
    assert len(_holding(files, EMAIL)) == 2 and len(_holding(files, OTHER_EMAIL)) == 1
    assert _holding(files, token) and _holding(files, "韩梅梅")  # her ticket link, her name

    response = client.post(f"/tickets/{token}/erase")
    assert response.status_code == 303

    files = _mail_files(tmp_path)
    assert _holding(files, EMAIL) == [] and _holding(files, token) == []
    assert _holding(files, "韩梅梅") == []
    # Someone else's mail is not touched.
    assert len(_holding(files, OTHER_EMAIL)) == 1


def test_the_purge_deletes_the_events_mail_files_and_no_others(
        app, client, db, make_event, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    old = make_event(slug="test-open-day")
    make_event(slug="later-day")
    _register(client, "韩梅梅", "13812345678", EMAIL)
    response = client.post("/events/later-day/register", data={
        "slot": "am", "name": "李雷", "phone": "13987654321", "email": OTHER_EMAIL,
        "party_size": "1", "consent": "y"})
    assert response.status_code == 303
    send_queued()
    # The first open day took place 40 days ago.
    for slot in old.slots:
        slot.starts_at = now_utc() - timedelta(days=40, hours=2)
        slot.ends_at = now_utc() - timedelta(days=40)
    db.session.commit()
    assert len(_holding(_mail_files(tmp_path), EMAIL)) == 1

    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "test-open-day: 1" in result.output, result.output

    files = _mail_files(tmp_path)
    assert _holding(files, EMAIL) == [] and _holding(files, "13812345678") == []
    assert len(_holding(files, OTHER_EMAIL)) == 1


def test_a_mail_the_worker_writes_while_its_person_erases_their_data_is_deleted_too(
        app, client, db, make_event, tmp_path, monkeypatch):
    """The worker has claimed her confirmation and is writing it when she erases her data:
    the erasure finds no file yet, so the file written a moment later must go as well."""
    from app.services import mail

    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    make_event()
    token = _register(client, "韩梅梅", "13812345678", EMAIL)
    assert client.post(f"/tickets/{token}/cancel").status_code == 303
    real_deliver = mail.deliver
    erased = []

    def erase_while_writing(message, row):
        if not erased:  # her erasure lands between the worker's claim and its file
            erased.append(client.post(f"/tickets/{token}/erase").status_code)
        real_deliver(message, row)

    monkeypatch.setattr(mail, "deliver", erase_while_writing)
    send_queued()
    assert erased == [303]
    files = _mail_files(tmp_path)
    assert _holding(files, EMAIL) == [] and _holding(files, token) == []
    assert _holding(files, "韩梅梅") == []

    # Another person's mail, written and marked sent in the ordinary way, stays.
    _register(client, "李雷", "13987654321", OTHER_EMAIL)
    send_queued()
    assert len(_holding(_mail_files(tmp_path), OTHER_EMAIL)) == 1
