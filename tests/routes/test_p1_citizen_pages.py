"""A citizen's way around the public pages on a phone (the p1 walk-through)."""
from datetime import timedelta

from sqlalchemy import update

from app.models import Event
from tests.conftest import iso, now_utc
from tests.routes.test_registration import form_data, token_of

EVENT = "/events/test-open-day"
REGISTER = f"{EVENT}/register"


def test_back_on_the_form_after_registering_shows_the_ticket_first(client, make_event):
    """The back button from the ticket (or the event's link opened again in the same
    browser) shows the form filled in as before: it says they are registered, and leads to
    their ticket, instead of looking as if nothing had been sent."""
    make_event()
    token = token_of(client.post(REGISTER, data=form_data()))
    for path in (REGISTER, EVENT):
        page = client.get(path).get_data(as_text=True)
        assert "您已报名本活动。" in page, path
        assert f'href="/tickets/{token}"' in page, path
    # A family member may still be registered from the same phone, with their own number.
    assert 'name="phone"' in client.get(REGISTER).get_data(as_text=True)


def test_someone_else_s_browser_is_told_nothing(client, app, make_event):
    make_event()
    token = token_of(client.post(REGISTER, data=form_data()))
    stranger = app.test_client()
    for path in (REGISTER, EVENT):
        page = stranger.get(path).get_data(as_text=True)
        assert "您已报名本活动" not in page and token not in page, path


def test_a_waiting_place_is_called_one_and_a_cancelled_ticket_is_not_shown(client, make_event,
                                                                           make_registration):
    event = make_event(waitlist=True)
    for _ in range(10):
        make_registration(event)
    token = token_of(client.post(REGISTER, data=form_data()))
    page = client.get(EVENT).get_data(as_text=True)
    assert "您在本活动的候补名单中。" in page and f"/tickets/{token}" in page
    client.post(f"/tickets/{token}/cancel")
    page = client.get(EVENT).get_data(as_text=True)
    assert "候补名单中。" not in page and f"/tickets/{token}" not in page


FULL = "所有场次的名额都已约满，暂时不能报名。如有人取消，名额会重新开放。"


def test_a_full_open_day_says_so_on_the_home_and_event_pages(client, make_event,
                                                           make_registration):
    """Every seat taken and no waiting list: the home page no longer offers 查看并报名, and
    the event page says why it has no button, not just a small 已满 on each slot."""
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(tomorrow()),
                               "ends_at": iso(tomorrow() + timedelta(hours=2)),
                               "capacity": 1, "mode": "onsite"}])
    make_registration(event)
    home = client.get("/").get_data(as_text=True)
    assert FULL in home and "查看并报名" not in home and "查看详情" in home
    page = client.get(EVENT).get_data(as_text=True)
    assert FULL in page and "已满" in page and "报名这个场次" not in page


def test_a_full_open_day_with_a_waiting_list_still_offers_it(client, make_event,
                                                            make_registration):
    event = make_event(waitlist=True, slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(tomorrow()),
        "ends_at": iso(tomorrow() + timedelta(hours=2)), "capacity": 1, "mode": "onsite"}])
    make_registration(event)
    home = client.get("/").get_data(as_text=True)
    assert FULL not in home and "查看并报名" in home
    page = client.get(EVENT).get_data(as_text=True)
    assert FULL not in page and "加入候补" in page


def tomorrow():
    return now_utc() + timedelta(days=1)


def test_a_cancelled_ticket_offers_to_register_again_while_registration_is_open(
        client, make_event, make_registration, db):
    """As the cancellation mail does: someone who cancelled by mistake finds the way back
    on the page they are looking at."""
    event = make_event()
    token = make_registration(event).token
    client.post(f"/tickets/{token}/cancel")
    page = client.get(f"/tickets/{token}").get_data(as_text=True)
    assert "已取消" in page and "重新报名" in page
    assert 'class="btn btn-primary btn-block" href="/events/test-open-day"' in page
    db.session.execute(update(Event).where(Event.id == event.id).values(
        registration_closes_at=now_utc() - timedelta(minutes=1)))
    db.session.commit()
    assert "重新报名" not in client.get(f"/tickets/{token}").get_data(as_text=True)
