"""The registration page's words where the old ones misled: 填写报名信息 over a page with
nothing to fill in (registration closed, not yet open); 到场人数 (people coming to the
venue) for a slot followed online."""
from datetime import timedelta

from tests.conftest import iso, now_utc


def heading(page):
    return page.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_a_closed_form_is_not_headed_fill_in(client, db, make_event):
    event = make_event()
    event.registration_closes_at = now_utc() - timedelta(hours=1)
    db.session.commit()
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    assert heading(page) == "报名"
    assert "报名已经截止" in page
    event.registration_closes_at = now_utc() + timedelta(hours=5)
    db.session.commit()
    assert heading(client.get("/events/test-open-day/register").get_data(as_text=True)) == "填写报名信息"


def test_the_party_size_is_people_taking_part_not_people_at_the_venue(client, make_event):
    start = now_utc() + timedelta(days=1)
    make_event(slots=[{"key": "live", "label": "线上直播", "starts_at": iso(start),
                       "ends_at": iso(start + timedelta(hours=1)), "capacity": 100, "mode": "online",
                       "join_url": "https://live.example.com/openday"}])
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    assert "参加人数（含本人）" in page and "到场人数" not in page
