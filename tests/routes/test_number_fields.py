"""A number field given something that is no whole number ("abc", "1.5") says so once, in
Chinese, naming the range it takes: not WTForms' "不是有效的整数" and then the range
validator's message as well. Full-width digits (２), as an input method types them, are
the number they show. The event form's fields are in test_admin_events.py."""
import re

import pytest
from sqlalchemy import select

from app.models import Invitation, Registration, Slot
from tests.conftest import event_data

# WTForms' own messages (Chinese catalogue, and English when it is off).
WTFORMS = ("不是有效的整数", "数值大小", "数值必须", "Not a valid", "Number must")
NOT_WHOLE = ("abc", "1.5")


def field_error(page, field_id):
    """The message shown beside a field (templates/_macros/forms.html)."""
    match = re.search(rf'<p class="error" id="{field_id}-error" role="alert">(.*?)</p>', page, re.S)
    return match and match.group(1)


def assert_one_message(response, field_id, message, times=1, status=400):
    """``times``: a page with an error summary at the top says it there too."""
    assert response.status_code == status, response.status_code
    page = response.get_data(as_text=True)
    assert field_error(page, field_id) == message
    assert page.count(message) == times
    assert not [text for text in WTFORMS if text in page], page[:2000]


@pytest.fixture
def small_event(make_event):
    return make_event(slug="numbers-day", slots=[dict(event_data()["slots"][0], capacity=4)])


# --- staff: walk-ins and phone-ins -----------------------------------------------------------

@pytest.mark.parametrize("typed", [*NOT_WHOLE, "0", "5", "21"])
def test_walk_in_party_size_outside_the_events_limit_gets_one_message(client, auth, small_event,
                                                                      typed):
    # The event lets parties of up to 4 come: the message and the field say 1 to 4.
    auth.login("staff")
    response = client.post("/staff/events/numbers-day/walk-in", data={
        "slot": "am", "name": "现场来宾", "phone": "13800138000", "party_size": typed,
        "source": "walk_in"})
    assert_one_message(response, "party_size", "请填写 1 到 4 之间的整数。", times=2)
    assert 'max="4"' in response.get_data(as_text=True)


def test_walk_in_takes_full_width_digits(client, auth, small_event, db):
    auth.login("staff")
    response = client.post("/staff/events/numbers-day/walk-in", data={
        "slot": "am", "name": "现场来宾", "phone": "13800138000", "party_size": "２",
        "source": "phone_in"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert db.session.execute(select(Registration.party_size)).scalar_one() == 2


# --- staff: the invitations page -------------------------------------------------------------

@pytest.mark.parametrize("action", ["reserve", "release"])
@pytest.mark.parametrize("typed", [*NOT_WHOLE, "0"])
def test_seats_that_are_no_whole_number_get_one_message(client, auth, small_event, db,
                                                        action, typed):
    auth.login("admin")
    response = client.post(f"/staff/events/numbers-day/invitations/{action}",
                           data={f"{action}-slot": "am", f"{action}-seats": typed})
    assert_one_message(response, f"{action}-seats", "请填写 1 到 100000 之间的整数。")
    db.session.expire_all()
    assert db.session.get(Slot, small_event.slots[0].id).reserved == 0


def test_seats_take_full_width_digits(client, auth, small_event, db):
    auth.login("admin")
    response = client.post("/staff/events/numbers-day/invitations/reserve",
                           data={"reserve-slot": "am", "reserve-seats": "２"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Slot, small_event.slots[0].id).reserved == 2


@pytest.mark.parametrize("typed", [*NOT_WHOLE, "0", "1001"])
def test_invitation_uses_that_are_no_whole_number_get_one_message(client, auth, small_event,
                                                                  db, typed):
    auth.login("admin")
    response = client.post("/staff/events/numbers-day/invitations/new", data={
        "invite-slot": "am", "invite-label": "人大代表组", "invite-max_uses": typed})
    assert_one_message(response, "invite-max_uses", "请填写 1 到 1000 之间的整数。")
    assert db.session.execute(select(Invitation)).first() is None


def test_invitation_uses_take_full_width_digits(client, auth, small_event, db):
    auth.login("admin")
    response = client.post("/staff/events/numbers-day/invitations/new", data={
        "invite-slot": "am", "invite-label": "人大代表组", "invite-max_uses": "３"})
    assert response.status_code == 303
    assert db.session.execute(select(Invitation.max_uses)).scalar_one() == 3


# --- public: the invitation page -------------------------------------------------------------

@pytest.fixture
def invitation(small_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 2)
    invitation = create_invitation(small_event, small_event.slots[0], label="甲", max_uses=1)
    db.session.commit()
    return invitation


def invitee(party_size):
    return {"name": "王五", "phone": "13700000001", "party_size": party_size, "consent": "y"}


@pytest.mark.parametrize("typed", [*NOT_WHOLE, "0", "5", "21"])
def test_invitee_party_size_outside_the_events_limit_gets_one_message(client, invitation, db,
                                                                      typed):
    # The event lets parties of up to 4 come: the message and the field say 1 to 4.
    response = client.post(f"/invite/{invitation.token}", data=invitee(typed))
    assert_one_message(response, "party_size", "请填写 1 到 4 之间的整数。", times=2)
    assert 'max="4"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).used == 0


def test_invitee_party_size_takes_full_width_digits_within_the_events_limit(client, invitation,
                                                                            db):
    assert 'max="4"' in client.get(f"/invite/{invitation.token}").get_data(as_text=True)
    response = client.post(f"/invite/{invitation.token}", data=invitee("２"))
    assert response.status_code == 303
    assert db.session.execute(select(Registration.party_size)).scalar_one() == 2


# --- public: the registration form (a list to choose from: one message already) ---------------

@pytest.mark.parametrize("typed", [*NOT_WHOLE, "0", "9"])
def test_public_party_size_that_is_not_on_the_list_gets_one_message(client, small_event, typed):
    response = client.post("/events/numbers-day/register", data={
        "slot": "am", "name": "张三", "phone": "13900001111", "email": "",
        "party_size": typed, "consent": "y", "submission_key": "k" * 24})
    assert_one_message(response, "party_size", "请从列表中选择。", times=2)


# --- staff: the report's period --------------------------------------------------------------

@pytest.mark.parametrize("url", ["/staff/report", "/staff/report/export.csv"])
@pytest.mark.parametrize("typed", [*NOT_WHOLE, "1999"])
def test_report_year_that_is_no_whole_number_gets_one_message(client, auth, url, typed):
    auth.login("admin")
    response = client.get(f"{url}?year={typed}&quarter=1")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="lead">年份应在 2000 至 2100 之间。</p>' in page
    assert page.count("年份应在") == 1
    assert not [text for text in WTFORMS if text in page]


def test_report_year_takes_full_width_digits(client, auth):
    auth.login("staff")
    response = client.get("/staff/report?year=２０２６&quarter=")
    assert response.status_code == 200
    assert "2026 年" in response.get_data(as_text=True)
