"""The ticket page, its QR code, calendar file and cancellation."""
import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from icalendar import Calendar
from PIL import Image
from sqlalchemy import select

from app.models import CheckIn, OutboxMessage, Registration, Slot
from tests.conftest import event_data, iso, now_utc


def decode_qr(png_bytes):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    return [r.text for r in results]


def fresh(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_qr_png_decodes_to_the_ticket_url(client, make_event, make_registration):
    registration = make_registration(make_event())
    response = client.get(f"/tickets/{registration.token}/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert decode_qr(response.data) == [f"http://testserver/tickets/{registration.token}"]


@pytest.mark.parametrize("status", ["waitlisted", "pending", "cancelled", "rejected"])
def test_qr_png_is_404_while_the_ticket_admits_nobody(client, db, make_event, make_registration,
                                                      status):
    registration = make_registration(make_event())
    registration.status = status
    db.session.commit()
    assert client.get(f"/tickets/{registration.token}/qr.png").status_code == 404
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "qr.png" not in page


def test_unknown_token_is_404(client, make_event):
    make_event()
    assert client.get("/tickets/not-a-real-token").status_code == 404
    assert client.get("/tickets/" + "x" * 500).status_code == 404
    assert client.get("/tickets/nope/qr.png").status_code == 404


def test_online_slot_shows_its_join_link_instead_of_a_qr(client, make_event, make_registration):
    start = now_utc() + timedelta(days=2)
    event = make_event(slots=[{"key": "web", "label": "线上场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=1)), "capacity": 50,
                               "mode": "online", "join_url": "https://meeting.example.cn/j/123"}])
    registration = make_registration(event)
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "https://meeting.example.cn/j/123" in page
    assert "qr.png" not in page
    assert client.get(f"/tickets/{registration.token}/qr.png").status_code == 404


def test_checked_in_ticket_says_so(client, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    db.session.add(CheckIn(registration_id=registration.id, event_id=event.id, gate="1"))
    db.session.commit()
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "已签到" in page
    assert client.post(f"/tickets/{registration.token}/cancel").status_code == 409
    assert fresh(db, Registration, registration.id).status == "confirmed"


def test_calendar_file_describes_the_slot(client, make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    response = client.get(f"/tickets/{registration.token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.data)
    [entry] = calendar.walk("VEVENT")
    assert entry.decoded("dtstart") == event.slots[0].starts_at.replace(microsecond=0)
    assert entry.decoded("dtend") == event.slots[0].ends_at.replace(microsecond=0)
    assert str(entry["location"]) == "区行政中心"
    assert registration.token in str(entry["description"])


def test_cancel_asks_for_confirmation_first(client, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    page = client.get(f"/tickets/{registration.token}/cancel")
    assert page.status_code == 200 and "确定取消" in page.get_data(as_text=True)
    assert fresh(db, Registration, registration.id).status == "confirmed"
    ticket = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert f"/tickets/{registration.token}/cancel" in ticket


def test_cancel_frees_the_seats_and_the_phone(client, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, party_size=3, email="a@example.com")
    response = client.post(f"/tickets/{registration.token}/cancel")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tickets/{registration.token}")
    assert fresh(db, Slot, event.slots[0].id).booked == 0
    assert fresh(db, Registration, registration.id).status == "cancelled"
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "已取消" in page
    kinds = db.session.execute(select(OutboxMessage.kind)).scalars().all()
    assert "cancelled" in kinds
    # cancelling twice is harmless; the phone may register again
    assert client.post(f"/tickets/{registration.token}/cancel").status_code == 303
    assert fresh(db, Slot, event.slots[0].id).booked == 0
    again = client.post("/events/test-open-day/register", data={
        "slot": "am", "name": "再来", "phone": registration.phone, "party_size": "1",
        "consent": "y", "submission_key": "n" * 24})
    assert again.status_code == 303


def test_cancelling_a_waiting_place_does_not_claim_to_free_seats(
        client, db, make_event, make_registration):
    event = make_event(waitlist=True, slots=[dict(event_data()["slots"][0], capacity=1)])
    holder = make_registration(event, email="holder@example.com")
    waiting = make_registration(event, email="wait@example.com")
    assert waiting.status == "waitlisted"
    page = client.post(f"/tickets/{waiting.token}/cancel", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "已取消候补" in text and "名额已释放" not in text
    mail = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == "wait@example.com", OutboxMessage.kind == "cancelled")).scalar_one()
    for body in (mail.body_text, mail.body_html):
        assert "候补报名已取消" in body and "名额已释放" not in body
    # A confirmed ticket did hold seats, and is told so. (A new session, as each request
    # has in the app: this test keeps one application context across its requests.)
    holder_token = holder.token
    db.session.remove()
    page = client.post(f"/tickets/{holder_token}/cancel", follow_redirects=True)
    assert "名额已释放" in page.get_data(as_text=True)
    mail = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == "holder@example.com", OutboxMessage.kind == "cancelled")).scalar_one()
    assert "名额已释放" in mail.body_text


def test_cancel_promotes_the_waiting_list_in_order_and_mails_them(
        client, db, make_event, make_registration):
    event = make_event(waitlist=True)
    holder = make_registration(event, party_size=2)
    for _ in range(4):
        make_registration(event, party_size=2)
    big = make_registration(event, party_size=3, email="big@example.com")
    small = make_registration(event, party_size=1, email="small@example.com")
    later = make_registration(event, party_size=1, email="later@example.com")
    assert {big.status, small.status, later.status} == {"waitlisted"}
    client.post(f"/tickets/{holder.token}/cancel")
    # two seats free: the party of three does not fit, the next two parties of one do
    assert fresh(db, Registration, big.id).status == "waitlisted"
    assert fresh(db, Registration, small.id).status == "confirmed"
    assert fresh(db, Registration, later.id).status == "confirmed"
    assert fresh(db, Slot, event.slots[0].id).booked == 10
    promoted = db.session.execute(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "promoted")).scalars().all()
    assert sorted(promoted) == ["later@example.com", "small@example.com"]
    assert client.get(f"/tickets/{small.token}/qr.png").status_code == 200


def test_cancel_needs_csrf_when_enabled(make_app, app, db, make_event, make_registration):
    registration = make_registration(make_event())
    token, reg_id = registration.token, registration.id
    db.session.rollback()  # no open read: SQLite's BEGIN IMMEDIATE would block the other app
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert client.post(f"/tickets/{token}/cancel").status_code == 400
    page = client.get(f"/tickets/{token}/cancel").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/tickets/{token}/cancel", data={"csrf_token": csrf}).status_code == 303
    assert fresh(db, Registration, reg_id).status == "cancelled"


def test_ticket_pages_are_not_cached(client, make_event, make_registration):
    registration = make_registration(make_event())
    for suffix in ("", "/cancel", "/calendar.ics", "/qr.png"):
        assert client.get(f"/tickets/{registration.token}{suffix}").headers["Cache-Control"] == \
            "no-store"


def test_a_waiting_ticket_says_how_many_wait_before_it(client, db, make_event, make_registration):
    slot = {"key": "am", "label": "上午场", "starts_at": iso(now_utc() + timedelta(days=2)),
            "ends_at": iso(now_utc() + timedelta(days=2, hours=2)), "capacity": 1, "mode": "onsite"}
    event = make_event(waitlist=True, slots=[slot])
    make_registration(event)
    first, second, third = (make_registration(event) for _ in range(3))
    pages = [client.get(f"/tickets/{r.token}").get_data(as_text=True) for r in (first, second, third)]
    assert "您是第一位候补。" in pages[0]
    assert "您前面还有 1 位候补。" in pages[1] and "您前面还有 2 位候补。" in pages[2]
    # Not a ticket yet: nothing to screenshot and show at the door.
    assert "截图保存" not in pages[0] and "补上后本页会变成电子票" in pages[0]
    client.post(f"/tickets/{first.token}/cancel")
    assert "您是第一位候补。" in client.get(f"/tickets/{second.token}").get_data(as_text=True)


@pytest.mark.parametrize("email", ["wait@example.com", None])
def test_a_waiting_ticket_promises_only_what_will_happen(client, db, make_event, make_registration,
                                                         email):
    """No seat yet: no calendar entry (it would look like a booking), and no promise of an
    e-mail to someone who left no address."""
    event = make_event(waitlist=True)
    make_registration(event, party_size=4)
    for _ in range(3):
        make_registration(event, party_size=2)
    waiting = make_registration(event, email=email)
    assert waiting.status == "waitlisted"
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "加入手机日历" not in page and "候补名单" in page
    assert ("并发邮件通知您" in page) == bool(email)
    assert ("您没有留电子邮箱" in page) == (not email)
    assert client.get(f"/tickets/{waiting.token}/calendar.ics").status_code == 404


def test_once_the_slot_has_started_the_ticket_cannot_be_cancelled(client, db, make_event,
                                                                  make_registration):
    """The page offers no cancelling once the slot is under way; the address typed or kept
    from before says why, and nothing changes."""
    start = now_utc() - timedelta(minutes=30)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                               "mode": "onsite"}])
    registration = make_registration(event)
    response = client.post(f"/tickets/{registration.token}/cancel")
    assert response.status_code == 409
    assert "这个场次已经开始，不能再取消。" in response.get_data(as_text=True)
    assert fresh(db, Registration, registration.id).status == "confirmed"


def test_after_the_slot_has_ended_the_ticket_cannot_be_cancelled(client, db, make_event,
                                                                 make_registration):
    start = now_utc() - timedelta(hours=5)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                               "mode": "onsite"}])
    registration = make_registration(event)
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "取消报名" not in page
    cancel_page = client.get(f"/tickets/{registration.token}/cancel").get_data(as_text=True)
    assert "这个场次已经结束，不能再取消。" in cancel_page and "确定取消" not in cancel_page
    assert "返回电子票" in cancel_page
    response = client.post(f"/tickets/{registration.token}/cancel")
    assert response.status_code == 409
    assert "这个场次已经结束" in response.get_data(as_text=True)
    assert fresh(db, Registration, registration.id).status == "confirmed"
