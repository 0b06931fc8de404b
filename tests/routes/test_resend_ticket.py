"""Someone who registered and lost the ticket page asks for it again: the ticket goes to the
e-mail given when registering, at most once every few minutes, and the page never tells
whether a phone number is registered or has an e-mail."""
import re
from datetime import timedelta

from sqlalchemy import select

from app.models import OutboxMessage, Registration
from tests.routes.test_rate_limits import assert_chinese_429


def form_data(**overrides):
    data = {"slot": "am", "name": "张三", "phone": "13900001111", "email": "",
            "party_size": "1", "consent": "y", "submission_key": "k" * 24}
    data.update(overrides)
    return data


def ticket_mails(db):
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "confirmation")
        .order_by(OutboxMessage.id)).scalars().all()


def refusal_page(client, phone):
    response = client.post("/events/test-open-day/register",
                           data=form_data(phone=phone, submission_key="again" * 5))
    assert response.status_code == 409
    return response.get_data(as_text=True)


def page_text(response):
    """The page as a reader sees it: the CSRF tokens carry the second they were signed in,
    and two answers a second apart must still compare equal."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', response.get_data(as_text=True))


def resend(client, phone, ip="10.4.0.1"):
    return client.post("/events/test-open-day/resend-ticket", data={"phone": phone},
                       environ_base={"REMOTE_ADDR": ip})


def test_the_refusal_offers_to_mail_the_ticket_again_and_it_arrives(app, client, db, make_event):
    make_event()
    other_browser = app.test_client()  # the one that got the ticket, then was lost
    assert other_browser.post("/events/test-open-day/register",
                              data=form_data(email="zhang@example.com")).status_code == 303
    page = refusal_page(client, "+86 139-0000-1111")  # typed differently the second time
    form = re.search(r'<form method="post" action="/events/test-open-day/resend-ticket">'
                     r'.*?</form>', page, re.S).group(0)
    phone = re.search(r'name="phone" type="hidden" value="([^"]*)"', form).group(1)
    assert phone == "13900001111"
    response = resend(client, phone)
    assert response.status_code == 200
    assert "请查收邮箱" in response.get_data(as_text=True)
    first, again = ticket_mails(db)
    assert again.recipient == "zhang@example.com"
    token = db.session.execute(select(Registration.token)).scalar_one()
    assert f"/tickets/{token}" in again.body_text and again.qr_content.endswith(token)
    # Asked again at once: nothing more is sent, and the page says the same.
    second = resend(client, phone)
    assert page_text(second) == page_text(response)
    assert len(ticket_mails(db)) == 2


def test_the_answer_does_not_tell_who_registered(client, db, make_event):
    make_event()
    assert client.post("/events/test-open-day/register",
                       data=form_data(phone="13900002222")).status_code == 303  # no e-mail
    answers = {page_text(resend(client, phone))
               for phone in ("13900002222", "13900003333", "139 0000 4444")}
    assert len(answers) == 1 and "请查收邮箱" in answers.pop()
    # Only something that is no phone number at all is sent back for correction.
    for typed in ("not a phone", ""):
        assert resend(client, typed).status_code == 400
    assert ticket_mails(db) == []


def test_a_cancelled_registration_is_not_mailed_again(client, db, make_event):
    make_event()
    assert client.post("/events/test-open-day/register",
                       data=form_data(email="zhang@example.com")).status_code == 303
    registration = db.session.execute(select(Registration)).scalar_one()
    registration.status, registration.active_key = "cancelled", None
    db.session.commit()
    assert resend(client, "13900001111").status_code == 200
    assert len(ticket_mails(db)) == 1


def test_resending_is_limited_per_phone(limits_on, db, make_event):
    make_event()
    client = limits_on().test_client()
    for i in range(3):
        assert resend(client, "13900001111", ip=f"10.3.0.{i}").status_code == 200
    assert_chinese_429(resend(client, "139 0000 1111", ip="10.3.1.1"))
    assert resend(client, "13900002222", ip="10.3.1.1").status_code == 200


def test_the_resend_interval_passes(app, db, make_event, make_registration):
    from app.services.registration import RESEND_INTERVAL_MINUTES, resend_ticket, utcnow

    event = make_event()
    make_registration(event, phone="13900001111", email="zhang@example.com")
    db.session.commit()
    now = utcnow()
    assert resend_ticket(event, "13900001111", now=now)
    assert not resend_ticket(event, "13900001111", now=now)
    # Ten minutes after the last one sent, not at the turn of a ten-minute window. (Counted
    # from the message's own time, which the clock stamps: on a busy machine a second or
    # more after ``now``.)
    sent_at = db.session.execute(select(OutboxMessage.created_at)
                                 .where(OutboxMessage.dedupe_key.startswith("resend:"))).scalar_one()
    assert not resend_ticket(event, "13900001111",
                             now=sent_at + timedelta(minutes=RESEND_INTERVAL_MINUTES - 1))
    later = sent_at + timedelta(minutes=RESEND_INTERVAL_MINUTES, seconds=1)
    assert resend_ticket(event, "１３９００００１１１１", now=later)
