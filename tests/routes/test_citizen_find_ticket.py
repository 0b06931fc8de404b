"""Someone who lost their ticket finds it from the event page: the ticket is mailed again
to the e-mail they gave. This must work when they need it most, once every seat is taken
or registration has closed, when the registration form (and its refusal page, which
offered the same button) is no longer there."""
import re
from datetime import timedelta

from sqlalchemy import select, update

from app.models import Event, OutboxMessage
from tests.conftest import iso, now_utc

EVENT_PAGE = "/events/test-open-day"
RESEND = "/events/test-open-day/resend-ticket"


def ticket_mails(db):
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "confirmation")
        .order_by(OutboxMessage.id)).scalars().all()


def find_ticket_form(page):
    match = re.search(r'<form method="post" action="/events/test-open-day/resend-ticket"'
                      r'.*?</form>', page, re.S)
    assert match, "the event page offers no way to find a lost ticket"
    return match.group(0)


def full_event(make_event, make_registration):
    start = now_utc() + timedelta(days=1)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=1)), "capacity": 1,
                               "mode": "onsite"}])
    make_registration(event, phone="13900001111", email="zhang@example.com")
    return event


def test_once_every_seat_is_taken_the_event_page_still_finds_a_lost_ticket(
        client, db, make_event, make_registration):
    full_event(make_event, make_registration)
    page = client.get(EVENT_PAGE).get_data(as_text=True)
    form = find_ticket_form(page)
    assert 'name="phone"' in form and 'type="tel"' in form
    assert "报名时填写的手机号码" in form
    response = client.post(RESEND, data={"phone": "+86 139 0000 1111"})
    assert response.status_code == 200
    assert "请查收邮箱" in response.get_data(as_text=True)
    [again] = ticket_mails(db)
    assert again.recipient == "zhang@example.com" and again.dedupe_key.startswith("resend:")


def test_after_registration_has_closed_the_event_page_still_finds_a_lost_ticket(
        client, db, make_event, make_registration):
    event = make_event()
    make_registration(event, phone="13900001111", email="zhang@example.com")
    db.session.execute(update(Event).where(Event.id == event.id).values(
        registration_closes_at=now_utc() - timedelta(minutes=1)))
    db.session.commit()
    page = client.get(EVENT_PAGE).get_data(as_text=True)
    assert "报名已经截止" in page
    find_ticket_form(page)
    assert client.post(RESEND, data={"phone": "139-0000-1111"}).status_code == 200
    [again] = ticket_mails(db)
    assert again.recipient == "zhang@example.com"


def test_a_slip_in_the_number_is_said_and_what_was_typed_stays(client, db, make_event,
                                                               make_registration):
    full_event(make_event, make_registration)
    for typed, message in (("1390000111", "请输入 11 位中国大陆手机号码"),
                           ("", "请填写手机号码。")):
        response = client.post(RESEND, data={"phone": typed})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page and "请查收邮箱" not in page
        assert f'value="{typed}"' in find_ticket_form(page) or not typed
    assert ticket_mails(db) == []


def test_a_volunteer_drive_offers_no_ticket_to_mail(client, make_event):
    make_event(slug="test-open-day", kind="volunteer")
    page = client.get(EVENT_PAGE).get_data(as_text=True)
    assert "/resend-ticket" not in page
