"""A new online join link is news only to those who may use it: someone still waiting (or
awaiting review) has no link on their ticket page, and a mail pointing them there for it
would only confuse."""
from datetime import timedelta

from sqlalchemy import select

from app.models import OutboxMessage
from app.services.events import save_event_telling_holders
from tests.conftest import event_data, iso, now_utc


def online_slot(start, join_url, **fields):
    return {"key": "live", "label": "线上直播", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=1)), "capacity": 1, "mode": "online",
            "join_url": join_url, **fields}


def test_a_new_join_link_is_mailed_to_the_holders_who_have_a_place_only(
        app, db, make_event, make_registration):
    start = now_utc() + timedelta(days=3)
    event = make_event(slug="live", waitlist=True,
                       slots=[online_slot(start, "https://meeting.example.cn/1")])
    make_registration(event, email="in@example.com")
    waiting = make_registration(event, email="wait@example.com")
    make_registration(event)  # waiting too, without an e-mail
    assert waiting.status == "waitlisted"
    saved = save_event_telling_holders(event_data(
        slug="live", waitlist=True, slots=[online_slot(start, "https://meeting.example.cn/2")]))
    db.session.commit()
    mails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "slot_changed")).all()
    assert [m.recipient for m in mails] == ["in@example.com"]
    assert "https://meeting.example.cn/2" in mails[0].body_text
    # Staff are not asked to phone someone waiting about a link they cannot use yet.
    [change] = saved.slot_changes
    assert (change.mailed, change.without_email) == (1, 0)
    assert "电话通知" not in change.summary()


def test_a_new_time_for_an_online_slot_still_reaches_those_waiting(
        app, db, make_event, make_registration):
    start = now_utc() + timedelta(days=3)
    event = make_event(slug="live", waitlist=True,
                       slots=[online_slot(start, "https://meeting.example.cn/1")])
    make_registration(event, email="in@example.com")
    make_registration(event, email="wait@example.com")
    later = start + timedelta(hours=2)
    save_event_telling_holders(event_data(
        slug="live", waitlist=True, slots=[online_slot(later, "https://meeting.example.cn/2")]))
    db.session.commit()
    mails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "slot_changed").order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in mails] == ["in@example.com", "wait@example.com"]
    assert "https://meeting.example.cn/2" not in mails[1].body_text  # no place yet: no link
