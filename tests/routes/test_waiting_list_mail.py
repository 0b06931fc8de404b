"""The waiting-list mail says what the ticket page says: "full" only when no seat is left;
a party larger than the seats left is told how many are left."""
from sqlalchemy import select


def _waitlisted_mail(app, db, registration):
    from app.models import OutboxMessage
    from app.services.registration import queue_new_registration_mail

    with app.test_request_context("/"):
        queue_new_registration_mail(registration)
        db.session.commit()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id)).one()


def test_a_party_waiting_for_more_seats_is_not_mailed_that_the_slot_is_full(
        app, db, make_event, make_registration):
    event = make_event(waitlist=True)
    for _ in range(3):
        make_registration(event, party_size=3)
    waiting = make_registration(event, party_size=2, email="li@example.com")
    assert waiting.status == "waitlisted"
    mail = _waitlisted_mail(app, db, waiting)
    for body in (mail.body_text, mail.body_html):
        assert "该场次只剩 1 个名额，不够您一行 2 人，您已进入候补名单。" in body
        assert "已满" not in body


def test_a_party_waiting_on_a_full_slot_is_mailed_that_it_is_full(
        app, db, make_event, make_registration):
    event = make_event(waitlist=True)
    for _ in range(5):
        make_registration(event, party_size=2)
    waiting = make_registration(event, party_size=1, email="wang@example.com")
    mail = _waitlisted_mail(app, db, waiting)
    for body in (mail.body_text, mail.body_html):
        assert "该场次目前已满，您已进入候补名单。" in body and "只剩" not in body
    assert "\n\n\n" not in mail.body_text  # the template's comment leaves no blank line
