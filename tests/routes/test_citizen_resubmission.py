"""A citizen's form that arrives again once its own booking has filled the event or the
registration window has closed (a double click on the last seat, the back button and
"submit" again, a second tab) leads to their ticket, not to "full" or "closed"."""
from datetime import timedelta

from sqlalchemy import select, update

from app.models import Event, Registration, Slot
from tests.conftest import iso, now_utc
from tests.routes.test_registration import form_data, token_of

REGISTER = "/events/test-open-day/register"


def one_seat_event(make_event, **overrides):
    start = now_utc() + timedelta(days=1)
    return make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                              "ends_at": iso(start + timedelta(hours=1)), "capacity": 1,
                              "mode": "onsite"}], **overrides)


def registrations(db):
    db.session.expire_all()
    return db.session.execute(select(Registration)).scalars().all()


def test_a_double_click_that_took_the_last_seat_shows_the_ticket_not_full(client, db,
                                                                           make_event):
    event = one_seat_event(make_event)
    first = client.post(REGISTER, data=form_data())
    second = client.post(REGISTER, data=form_data())  # the same form, a moment later
    assert second.status_code == 303, second.get_data(as_text=True)[:1000]
    assert token_of(second) == token_of(first)
    [registration] = registrations(db)
    assert db.session.get(Slot, event.slots[0].id).booked == 1
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "报名成功" in page and "已约满" not in page


def test_the_same_form_sent_again_after_registration_closed_shows_the_ticket(client, db,
                                                                           make_event):
    event = make_event()
    first = client.post(REGISTER, data=form_data())
    db.session.execute(update(Event).where(Event.id == event.id).values(
        registration_closes_at=now_utc() - timedelta(minutes=1)))
    db.session.commit()
    again = client.post(REGISTER, data=form_data())
    assert again.status_code == 303
    assert token_of(again) == token_of(first)


def test_a_second_tab_for_the_same_phone_after_the_last_seat_shows_the_ticket(client, db,
                                                                            make_event):
    one_seat_event(make_event)
    first = client.post(REGISTER, data=form_data())
    other_tab = client.post(REGISTER, data=form_data(phone="139 0000 1111",
                                                     submission_key="t" * 24))
    assert token_of(other_tab) == token_of(first)
    page = client.get(other_tab.headers["Location"]).get_data(as_text=True)
    assert "您已经报名成功，不用再报一次" in page
    assert len(registrations(db)) == 1


def test_someone_else_still_hears_the_event_is_full(app, client, db, make_event):
    one_seat_event(make_event)
    client.post(REGISTER, data=form_data())
    stranger = app.test_client()  # another browser, the same phone typed
    response = stranger.post(REGISTER, data=form_data(submission_key="s" * 24))
    assert response.status_code == 409
    assert "该场次已约满" in response.get_data(as_text=True)


def test_a_cancelled_booking_sent_again_to_a_full_event_hears_it_is_full(client, db,
                                                                         make_event,
                                                                         make_registration):
    event = one_seat_event(make_event)
    token = token_of(client.post(REGISTER, data=form_data()))
    client.post(f"/tickets/{token}/cancel")
    make_registration(event)  # the freed seat goes to someone else
    response = client.post(REGISTER, data=form_data())
    assert response.status_code == 409
    assert "该场次已约满" in response.get_data(as_text=True)


def test_the_form_sent_again_after_cancelling_books_anew(client, db, make_event):
    """Back from the cancelled ticket to the form still filled in (a phone's page cache
    keeps it, its hidden key too), then "submit": they want to come after all."""
    event = make_event()
    cancelled = token_of(client.post(REGISTER, data=form_data(party_size="2")))
    client.post(f"/tickets/{cancelled}/cancel", follow_redirects=True)
    again = client.post(REGISTER, data=form_data(party_size="2"))
    token = token_of(again)
    assert token != cancelled
    page = client.get(f"/tickets/{token}").get_data(as_text=True)
    assert "报名成功" in page and "已取消" not in page
    assert sorted(r.status for r in registrations(db)) == ["cancelled", "confirmed"]
    assert db.session.get(Slot, event.slots[0].id).booked == 2
    # And that new form, sent once more (a double click), is still the one new ticket.
    assert token_of(client.post(REGISTER, data=form_data(party_size="2"))) == token
    assert len(registrations(db)) == 2
