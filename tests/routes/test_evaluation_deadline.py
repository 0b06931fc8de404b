"""Evaluations are taken until the event's personal data is removed: the last slot's end
plus PRIVACY_RETENTION_DAYS, as the privacy notice says. After that the ticket's and the
venue poster's forms say so and store nothing: a later evaluation would collect a reply
contact for an event whose data is gone, and change a quarter already reported."""
import pytest
from sqlalchemy import func, select

from app.models import Feedback
from tests.feedback_factories import started_slots

FORM = {"overall": "1", "topic_0": "", "topic_1": "", "comment": "太晚了",
        "suggestions": "", "come_again": "no", "contact": "13812345678"}


def _ended(days_ago):
    # A two-hour slot that ended ``days_ago`` days (and a minute) ago.
    return started_slots(hours_ago=24 * days_ago + 2 + 1 / 60, length=2)


def _feedback_count(db):
    return db.session.scalar(select(func.count()).select_from(Feedback))


@pytest.mark.parametrize("days_ago, open_", [(29, True), (30, False), (45, False)])
def test_a_ticket_evaluates_until_the_data_is_removed(client, db, make_event, make_registration,
                                                      days_ago, open_):
    event = make_event(slots=_ended(days_ago))
    registration = make_registration(event)
    token = registration.token
    page = client.get(f"/tickets/{token}/feedback").get_data(as_text=True)
    ticket = client.get(f"/tickets/{token}").get_data(as_text=True)
    response = client.post(f"/tickets/{token}/feedback", data=FORM)
    if open_:
        assert 'name="overall"' in page and "评价本次活动" in ticket
        assert response.status_code == 303 and _feedback_count(db) == 1
        return
    assert "本次活动的评价已于" in page and "截止" in page and 'name="overall"' not in page
    assert "评价本次活动" not in ticket
    assert response.status_code == 403 and "截止" in response.get_data(as_text=True)
    assert _feedback_count(db) == 0


@pytest.mark.parametrize("days_ago, open_", [(29, True), (31, False)])
def test_the_venue_poster_takes_evaluations_until_the_data_is_removed(client, db, make_event,
                                                                      days_ago, open_):
    event = make_event(slug="poster-day", slots=_ended(days_ago))
    page = client.get(f"/events/{event.slug}/feedback").get_data(as_text=True)
    response = client.post(f"/events/{event.slug}/feedback", data=FORM)
    if open_:
        assert 'name="overall"' in page
        assert response.status_code == 303 and _feedback_count(db) == 1
        return
    assert "本次活动的评价已于" in page and 'name="overall"' not in page
    assert response.status_code == 403 and _feedback_count(db) == 0


def test_the_deadline_follows_the_retention_setting(app, client, db, make_event, make_registration,
                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PRIVACY_RETENTION_DAYS", 90)
    registration = make_registration(make_event(slots=_ended(45)))
    assert client.post(f"/tickets/{registration.token}/feedback", data=FORM).status_code == 303


@pytest.mark.parametrize("days_ago, invited", [(29, True), (31, False)])
def test_the_event_page_invites_evaluations_only_while_they_are_taken(client, make_event,
                                                                      days_ago, invited):
    """After the deadline the event page no longer offers 评价本次活动, a button that led to
    "本次活动的评价已于…截止". While it is open, an event that is over says so and when the
    evaluation closes (not "活动已经开始")."""
    event = make_event(slug="page-day", slots=_ended(days_ago))
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert ("评价本次活动" in page) == invited
    if invited:
        assert "活动已经结束" in page and "截止" in page and "活动已经开始" not in page


def test_the_event_page_of_an_event_under_way_invites_evaluations(client, make_event):
    event = make_event(slug="today-day", slots=started_slots(hours_ago=1, length=3))
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "活动已经开始" in page and "评价本次活动" in page
