"""A number copied from a phone's contacts or call log comes wrapped in invisible direction
marks; the citizen sees only the digits and must not be told they are not 11 digits."""
import pytest
from sqlalchemy import select

from app.models import Registration
from tests.routes.test_registration import form_data


@pytest.mark.parametrize("typed", ["\u202a139 0000 1111\u202c", "\u2066+86 139-0000-1111\u2069",
                                   "139\u200b0000\u200b1111"])
def test_a_number_copied_with_invisible_marks_registers(client, db, make_event, typed):
    make_event()
    response = client.post("/events/test-open-day/register", data=form_data(phone=typed))
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    assert db.session.scalars(select(Registration.phone)).all() == ["13900001111"]


def test_invisible_marks_do_not_hide_a_wrong_number(client, db, make_event):
    make_event()
    response = client.post("/events/test-open-day/register",
                           data=form_data(phone="\u202a139 0000 111\u202c"))
    assert response.status_code == 400
    assert "11 位" in response.get_data(as_text=True)
    assert db.session.scalars(select(Registration)).all() == []
