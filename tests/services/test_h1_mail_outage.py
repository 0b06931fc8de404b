"""While the mail server is down, messages wait in the outbox; when it is back each ticket's
messages go out in the order they were written (tests/services/test_mail_order.py).
The 候补 message of someone promoted meanwhile is not sent: it would arrive beside, or
after, the 候补成功 that replaced it, and read as if the seat had been taken back."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Registration
from app.services.mail import send_queued
from tests.conftest import event_data


@pytest.fixture(autouse=True)
def own_mail_folder(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path / "mail"))


def register(client, phone, email, key):
    response = client.post("/events/test-open-day/register", data={
        "slot": "am", "name": "张三", "phone": phone, "email": email, "party_size": "1",
        "consent": "y", "submission_key": key * 24})
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


def delivered(app):
    """(kind, recipient) of each message the worker wrote out (no MAIL_SERVER: .eml files)."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    found = []
    for path in sorted(folder.glob("*.eml")):
        text = path.read_text()
        recipient = next(line[4:] for line in text.splitlines() if line.startswith("To: "))
        found.append((path.name.split("-", 1)[1][:-4], recipient))
    return found


def test_someone_promoted_during_an_outage_is_not_mailed_waiting_after_promoted(
        app, client, db, make_event):
    make_event(waitlist=True, slots=[dict(event_data()["slots"][0], capacity=1)])
    holder = register(client, "13900001111", "", "a")
    register(client, "13900002222", "w@example.com", "b")
    assert client.post(f"/tickets/{holder}/cancel").status_code in (302, 303)
    send_queued()
    assert delivered(app) == [("promoted", "w@example.com")]


def test_mail_that_is_still_true_all_goes_out(app, client, db, make_event):
    make_event(waitlist=True, slots=[dict(event_data()["slots"][0], capacity=1)])
    register(client, "13900001111", "a@example.com", "a")
    waiting = register(client, "13900002222", "w@example.com", "b")
    assert send_queued() == (2, 0)
    assert sorted(delivered(app)) == [("confirmation", "a@example.com"),
                                      ("waitlisted", "w@example.com")]
    assert db.session.scalars(select(Registration.status).where(
        Registration.token == waiting)).one() == "waitlisted"
