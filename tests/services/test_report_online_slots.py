"""An "online + offline" open day (the plan's 后勤管家开放日): people of an online slot join
through a link and are never checked in at a door, so their tickets cannot be in the
attendance rate's denominator; they still count as registered."""
from datetime import timedelta

import pytest

from app.services import reports
from tests.conftest import iso, now_utc
from tests.feedback_factories import check_in


@pytest.fixture
def online_and_offline(db, make_event, make_registration):
    start = now_utc() - timedelta(hours=3)
    slot = {"starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)), "capacity": 50}
    event = make_event(slug="logistics-day", slots=[
        {"key": "hall", "label": "现场参观", "mode": "onsite", **slot},
        {"key": "live", "label": "线上直播", "mode": "online",
         "join_url": "https://live.example.com/openday", **slot}])
    onsite, online = event.slots
    came = [make_registration(event, slot=onsite, party_size=2) for _ in range(2)]
    make_registration(event, slot=onsite)  # did not come
    for _ in range(5):
        make_registration(event, slot=online)
    for registration in came:
        check_in(registration)
    db.session.commit()
    return event


def test_online_tickets_are_registered_but_not_in_the_attendance_rate(
        mid_quarter, app, db, online_and_offline):
    year, quarter = reports.current_quarter(now_utc() - timedelta(hours=3))
    report = reports.build_report(year, quarter)
    t = report["totals"]
    assert (t["registered"], t["registered_people"]) == (8, 10)
    assert (t["attended"], t["attended_people"]) == (2, 4)
    # 2 of the 3 onsite tickets came: 66.7%, not 2 of 8 (25%).
    assert t["attendance_rate"] == pytest.approx(2 / 3)
    [row] = report["events"]
    assert row["attendance_rate"] == pytest.approx(2 / 3)
    header, rows = reports.report_rows(report)
    assert rows[-3][header.index("到场率")] == "66.7%"


def test_an_online_only_open_day_has_no_attendance_rate(mid_quarter, app, db, make_event,
                                                        make_registration):
    start = now_utc() - timedelta(hours=3)
    event = make_event(slug="webinar", slots=[
        {"key": "live", "label": "线上直播", "mode": "online", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 50,
         "join_url": "https://live.example.com/openday"}])
    make_registration(event)
    year, quarter = reports.current_quarter(now_utc() - timedelta(hours=3))
    report = reports.build_report(year, quarter)
    assert report["totals"]["registered"] == 1
    assert report["totals"]["attendance_rate"] is None  # shown as —, not 0%
