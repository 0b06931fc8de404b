"""The staff event form's dates and times: what is typed is Beijing time, what is stored
is UTC; a browser without a date picker shows a plain text box, where people type a date
and a time the way they write them."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.models import Event
from tests.routes.test_admin_events import form_data

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("typed", ["{d} 09:30", "{d}T09:30:00", "{d} 09:30:00"])
def test_a_date_and_time_typed_without_a_date_picker_is_taken(client, auth, db, typed):
    auth.login("admin")
    day = (datetime.now(SHANGHAI) + timedelta(days=10)).date()
    data = form_data(slug="typed-day")
    data["slots-0-starts_at"] = typed.format(d=day.isoformat())
    response = client.post("/staff/events/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    event = db.session.execute(select(Event).where(Event.slug == "typed-day")).scalar_one()
    starts = datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)
    assert event.slots[0].starts_at == starts.astimezone(timezone.utc)


def test_after_an_error_the_form_shows_the_time_as_it_was_typed(client, auth, db):
    auth.login("admin")
    data = form_data(slug="typed-day")
    data["slots-0-starts_at"] = "2026-13-40 09:30"
    body = client.post("/staff/events/new", data=data).get_data(as_text=True)
    assert 'value="2026-13-40 09:30"' in body
    assert "不是有效的日期与时间值" in body
