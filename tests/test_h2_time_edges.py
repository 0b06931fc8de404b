"""Time at the edges, as citizens and staff meet it: a waiting place once its slot is over,
the calendar file of a slot that moved, the staff form's dates typed without a date picker."""
from datetime import timedelta

from tests.conftest import iso, now_utc


def _slot(start, hours=2, capacity=1, key="am"):
    return {"key": key, "label": "上午场", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=hours)), "capacity": capacity,
            "mode": "onsite"}


def test_a_waiting_place_on_a_slot_that_is_over_promises_no_seat(client, make_event,
                                                                 make_registration):
    """After the slot has ended nobody is promoted any more (waitlist.promote): the page
    must not still say that a seat will come and the page will turn into a ticket."""
    event = make_event(waitlist=True, slots=[_slot(now_utc() - timedelta(hours=3))])
    make_registration(event)
    waiting = make_registration(event, email="wait@example.com")
    assert waiting.status == "waitlisted"
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "该场次已经结束，候补没有补上。感谢您的关注。" in page
    assert "我们会按顺序为您补上" not in page
    assert "补上后本页会变成电子票" not in page
    assert "您是第一位候补。" not in page


def test_a_waiting_place_on_a_slot_under_way_still_waits(client, make_event, make_registration):
    """Until the slot ends a cancellation by staff still promotes: the usual words."""
    event = make_event(waitlist=True, slots=[_slot(now_utc() - timedelta(minutes=30))])
    make_registration(event)
    waiting = make_registration(event)
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "您是第一位候补。" in page and "我们会按顺序为您补上" in page
    assert "该场次已经结束" not in page
