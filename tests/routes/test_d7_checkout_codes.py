"""Volunteer check-out reads a typed ticket number as check-in does: in two groups, with a
dash, in lower case or in full-width characters. Check-in took "abcd 2345" and check-out
answered 没有找到这张票 for the same volunteer."""
from datetime import timedelta

import pytest

from tests.conftest import iso, now_utc


@pytest.fixture
def on_shift(make_event, make_registration, db):
    from app.services.checkin import check_in

    start = now_utc() - timedelta(hours=1)
    drive = make_event(slug="sorting-drive", kind="volunteer", slots=[
        {"key": "s1", "label": "第一班", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=3)),
         "capacity": 10, "mode": "onsite"}])
    volunteer = make_registration(drive, name="志愿者甲", phone="13911110002")
    volunteer.status = "confirmed"  # approved
    check_in(volunteer, gate="东门")
    db.session.commit()
    return volunteer


def typed(number, how):
    return {
        "two_groups": f"{number[:4].lower()} {number[4:].lower()}",
        "dash": f"{number[:4]}-{number[4:]}",
        "full_width": "".join(chr(ord(c) + 0xFEE0) for c in number),
    }[how]


@pytest.mark.parametrize("how", ["two_groups", "dash", "full_width"])
def test_the_checkout_form_finds_a_ticket_number_typed_as_people_type_it(client, auth, on_shift, how):
    auth.login("staff")
    response = client.post("/staff/events/sorting-drive/checkout",
                           data={"code": typed(on_shift.ticket_number, how)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "没有找到这张票" not in page
    assert "志** 已签退" in page


@pytest.mark.parametrize("how", ["two_groups", "dash", "full_width"])
def test_the_checkout_api_finds_a_ticket_number_typed_as_people_type_it(client, auth, on_shift, how):
    auth.login("staff")
    answer = client.post("/api/checkout", json={"event": "sorting-drive",
                                                "code": typed(on_shift.ticket_number, how)}).get_json()
    assert answer["result"] == "ok"
