"""A party larger than the seats left joins the waiting list (it fits the slot, only not
what is left). Its ticket says so, not "full", which would contradict the seats the event
page shows."""
import pytest


@pytest.mark.parametrize("email", ["li@example.com", None])
def test_a_party_waiting_for_more_seats_is_not_told_the_slot_is_full(
        client, make_event, make_registration, email):
    event = make_event(waitlist=True)
    for _ in range(3):
        make_registration(event, party_size=3)
    waiting = make_registration(event, party_size=2, email=email)
    assert waiting.status == "waitlisted"
    assert "剩余 1 个名额" in client.get("/events/test-open-day").get_data(as_text=True)
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "候补中" in page
    assert "该场次只剩 1 个名额，不够您一行 2 人，您在候补名单中。" in page
    assert "已满" not in page
    assert ("并发邮件通知您" in page) == bool(email)
    assert ("您没有留电子邮箱" in page) == (not email)


def test_a_party_waiting_on_a_full_slot_is_told_it_is_full(client, make_event,
                                                          make_registration):
    event = make_event(waitlist=True)
    for _ in range(5):
        make_registration(event, party_size=2)
    waiting = make_registration(event, party_size=2)
    page = client.get(f"/tickets/{waiting.token}").get_data(as_text=True)
    assert "该场次目前已满，您在候补名单中。" in page and "只剩" not in page
