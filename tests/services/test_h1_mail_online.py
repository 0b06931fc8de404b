"""An online slot has no door and no QR code: its mails tell people to join through the
link (which the mail carries), never to show a QR code at the entrance."""
from sqlalchemy import select

from app.models import OutboxMessage
from tests.conftest import event_data

JOIN = "https://live.example.gov.cn/songjiang-logistics"


def online_event(make_event, **overrides):
    slot = dict(event_data()["slots"][0], key="online", label="线上直播", mode="online",
                join_url=JOIN, capacity=1)
    return make_event(slug="online-day", waitlist=True, slots=[slot], **overrides)


def mails(db, registration):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id).order_by(OutboxMessage.id)).all()


def test_registering_for_an_online_slot_is_mailed_the_link_not_a_qr_code(
        client, db, make_event):
    online_event(make_event)
    response = client.post("/events/online-day/register", data={
        "slot": "online", "name": "张三", "phone": "13900001111", "email": "z@example.com",
        "party_size": "1", "consent": "y", "submission_key": "o" * 24})
    assert response.status_code == 303
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert mail.kind == "confirmation" and mail.qr_content is None
    for body in (mail.body_text, mail.body_html):
        assert "报名成功" in body and JOIN in body
        assert "二维码" not in body and "入场" not in body


def test_promoted_into_an_online_slot_is_mailed_the_link_not_a_qr_code(
        client, db, make_event, make_registration):
    event = online_event(make_event)
    holder = make_registration(event)
    waiting = make_registration(event, email="w@example.com")
    assert waiting.status == "waitlisted"
    assert client.post(f"/tickets/{holder.token}/cancel").status_code in (302, 303)
    [promoted] = [m for m in mails(db, waiting) if m.kind == "promoted"]
    assert promoted.qr_content is None
    for body in (promoted.body_text, promoted.body_html):
        assert "候补名单" in body and JOIN in body
        assert "二维码" not in body and "入场" not in body

