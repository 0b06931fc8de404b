"""The fourth quarter's report over the New Year: an evaluation made from the venue poster
after the event (past the grace that ties it to a slot) counts with the event's quarter,
not in no report at all."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.services import feedback as feedback_service
from app.services import reports
from tests.feedback_factories import answers

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YEARS_EVE = datetime(2026, 12, 31, 19, 0, tzinfo=SHANGHAI)


def new_years_eve_event(make_event):
    return make_event(slug="new-year-eve", slots=[
        {"key": "eve", "label": "跨年夜场", "starts_at": NEW_YEARS_EVE.isoformat(),
         "ends_at": (NEW_YEARS_EVE + timedelta(hours=2)).isoformat(), "capacity": 50,
         "mode": "onsite"}])


def test_a_poster_evaluation_made_after_new_year_counts_in_the_fourth_quarter(
        app, db, make_event):
    event = new_years_eve_event(make_event)
    during = NEW_YEARS_EVE + timedelta(hours=1)
    next_week = NEW_YEARS_EVE + timedelta(days=5)  # 5 January: no slot of its own
    feedback_service.submit(event, answers(4), browser_key="at-the-venue", now=during)
    late = feedback_service.submit(event, answers(1), browser_key="a-photo-of-the-poster",
                                   now=next_week)
    db.session.commit()
    assert late.slot_id is None
    as_of = NEW_YEARS_EVE + timedelta(days=10)

    q4 = reports.build_report(2026, 4, now=as_of)
    assert q4["totals"]["evaluations"] == 2  # as many as the event's results page shows
    assert q4["totals"]["satisfaction_rate"] == 0.5
    q1 = reports.build_report(2027, 1, now=as_of)
    assert q1["totals"]["evaluations"] == 0 and q1["events"] == []


def test_a_poster_evaluation_between_two_quarters_slots_counts_with_the_slot_before_it(
        app, db, make_event):
    """An event with a slot in each quarter: an evaluation made after the first slot and
    before the second belongs to the first's quarter."""
    event = make_event(slug="two-quarters", slots=[
        {"key": "eve", "label": "跨年夜场", "starts_at": NEW_YEARS_EVE.isoformat(),
         "ends_at": (NEW_YEARS_EVE + timedelta(hours=2)).isoformat(), "capacity": 50,
         "mode": "onsite"},
        {"key": "spring", "label": "春季场", "starts_at": (NEW_YEARS_EVE + timedelta(days=60)).isoformat(),
         "ends_at": (NEW_YEARS_EVE + timedelta(days=60, hours=2)).isoformat(), "capacity": 50,
         "mode": "onsite"}])
    feedback_service.submit(event, answers(3), browser_key="late", now=NEW_YEARS_EVE + timedelta(days=3))
    db.session.commit()
    as_of = NEW_YEARS_EVE + timedelta(days=90)
    assert reports.build_report(2026, 4, now=as_of)["totals"]["evaluations"] == 1
    assert reports.build_report(2027, 1, now=as_of)["totals"]["evaluations"] == 0
