"""Each comment and follow-up names its slot and, for the venue poster's, its source: the
afternoon's complaints about queues read as the afternoon's, and staff calling someone back
know which session they came to."""
from datetime import timedelta

from app.services import feedback as feedback_service
from tests.conftest import iso, now_utc
from tests.feedback_factories import answers, check_in


def test_comments_and_follow_ups_name_their_slot_and_the_poster(client, auth, db, make_event,
                                                                make_registration):
    start = now_utc() - timedelta(hours=5)
    event = make_event(slug="two-slots", slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 20, "mode": "onsite"},
        {"key": "pm", "label": "下午场", "starts_at": iso(start + timedelta(hours=3)),
         "ends_at": iso(start + timedelta(hours=5)), "capacity": 20, "mode": "onsite"}])
    morning = make_registration(event, slot=event.slots[0])
    check_in(morning)
    feedback_service.submit(event, answers(1, comment="上午讲解声音太小"), registration=morning)
    feedback_service.submit(event, answers(1, comment="下午排队太久"),
                            now=event.slots[1].starts_at + timedelta(minutes=30))
    db.session.commit()

    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    cards = page.split('class="card comment"')[1:]
    ticket_card = next(card for card in cards if "上午讲解声音太小" in card)
    poster_card = next(card for card in cards if "下午排队太久" in card)
    assert "上午场" in ticket_card and "现场扫码" not in ticket_card
    assert "下午场 · 现场扫码" in poster_card

    page = client.get("/staff/follow-ups").get_data(as_text=True)
    items = page.split('class="card follow-up')[1:]
    assert "上午场" in next(item for item in items if "上午讲解声音太小" in item)
    assert "下午场 · 现场扫码" in next(item for item in items if "下午排队太久" in item)
