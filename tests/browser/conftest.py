"""Fixtures shared by the browser tests of the check-in screen."""
from datetime import timedelta

import pytest

from tests.conftest import iso, now_utc


@pytest.fixture
def door_day(db, make_event, make_registration, make_staff):
    """An open day whose slot starts in half an hour, two tickets, a steward "door":
    (李四's ticket number, its registration id)."""
    start = now_utc() + timedelta(minutes=30)
    event = make_event(slug="door-day", slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 50, "mode": "onsite"}])
    ticket = make_registration(event, name="李四", phone="13987654321")
    make_registration(event, name="张三丰", phone="13812345678")
    make_staff("door", "staff")
    number, ticket_id = ticket.ticket_number, ticket.id
    db.session.rollback()
    return number, ticket_id
