"""The quarterly report's figures on a known data set, and volunteer hours."""
from datetime import datetime, timedelta, timezone

import pytest

from app.models import FollowUp
from app.services import feedback as feedback_service
from app.services import reports
from app.services.errors import InvalidData
from tests.conftest import iso, now_utc
from tests.feedback_factories import answers, check_in, started_slots

T0 = datetime(2026, 6, 28, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai
END = T0 + timedelta(hours=2)


@pytest.mark.parametrize("checked_out, extended, expected", [
    (T0 + timedelta(minutes=90), None, 1.5),          # left early
    (END + timedelta(hours=1), None, 2.0),            # stayed late: capped at the slot's end
    (END + timedelta(hours=1), END + timedelta(hours=1), 3.0),  # extended by staff
    (END + timedelta(hours=1), END + timedelta(minutes=30), 2.5),  # extended less than stayed
    (T0 + timedelta(minutes=20, seconds=59), None, 20 / 60),  # whole minutes
    (None, None, 0.0),                                # not checked out: nothing counted yet
    (T0 - timedelta(minutes=5), None, 0.0),           # nonsense times are never negative
])
def test_volunteer_hours(checked_out, extended, expected):
    assert reports.volunteer_hours(T0, checked_out, END, extended) == pytest.approx(expected)


def test_volunteer_hours_never_count_from_before_the_check_in_window():
    opens = T0 - timedelta(hours=1)  # the door opens an hour before the slot
    assert reports.volunteer_hours(T0 - timedelta(days=30), END + timedelta(days=1), END, None,
                                   opens) == pytest.approx(3.0)
    assert reports.volunteer_hours(T0 - timedelta(minutes=20), END, END, None,
                                   opens) == pytest.approx(2 + 20 / 60)


def test_period_bounds_are_shanghai_quarters(app):
    start, end, label = reports.period_bounds(2026, 3)
    assert start == datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc)
    assert label == "2026 年第 3 季度"
    start, end, _ = reports.period_bounds(2026, 4)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)
    start, end, _ = reports.period_bounds(2026)
    assert (start.month, end.year) == (12, 2026)
    with pytest.raises(InvalidData):
        reports.period_bounds(2026, 5)


def build_known_data_set(db, make_event, make_registration):
    """Open day: 4 confirmed tickets (7 people), 1 cancelled, 3 checked in (4 people);
    evaluations 4, 3, 1 by ticket and a 2 from the poster. Volunteer drive: 3 volunteers
    serving 1.5 + 0 (not checked out yet) + 3 hours. An old event outside the period."""
    from app.services.registration import cancel

    open_day = make_event(slug="open-day", slots=started_slots(hours_ago=3))  # ended 1 h ago
    tickets = [make_registration(open_day, party_size=n) for n in (1, 2, 1, 3)]
    cancel(make_registration(open_day))
    db.session.commit()
    for registration in tickets[:3]:
        check_in(registration)
    for registration, level in zip(tickets, (4, 3, 1), strict=False):
        feedback_service.submit(open_day, answers(level), registration=registration)
    feedback_service.submit(open_day, answers(2), browser_key="poster")
    db.session.commit()

    start = now_utc() - timedelta(hours=3)
    end = start + timedelta(hours=2)
    drive = make_event(slug="volunteer-drive", kind="volunteer", slots=[
        {"key": "shift", "label": "早班", "starts_at": iso(start), "ends_at": iso(end),
         "capacity": 10}])
    volunteers = [make_registration(drive) for _ in range(3)]
    for volunteer in volunteers:
        volunteer.status = "confirmed"
    db.session.commit()
    check_in(volunteers[0], checked_in_at=start, checked_out_at=start + timedelta(minutes=90))
    check_in(volunteers[1], checked_in_at=start)
    check_in(volunteers[2], checked_in_at=start, checked_out_at=end + timedelta(hours=1),
             extended_until=end + timedelta(hours=1))

    old_start = now_utc() - timedelta(days=400)
    old = make_event(slug="old-event", slots=[
        {"key": "am", "label": "旧场次", "starts_at": iso(old_start),
         "ends_at": iso(old_start + timedelta(hours=2)), "capacity": 10}])
    check_in(make_registration(old))

    # Follow-ups due in the period: one closed on time, one closed late, one open past its
    # due date, and one open due today (pending: the ticket's 不满意 above).
    follow_ups = [feedback_service.submit(open_day, answers(1), browser_key=f"f{i}").follow_up
                  for i in range(3)]
    today = feedback_service.local_today()
    for follow_up in db.session.execute(db.select(FollowUp)).scalars():
        follow_up.due_on = today
    follow_ups[0].status, follow_ups[0].closed_at = "closed", now_utc()
    follow_ups[1].status, follow_ups[1].closed_at = "closed", now_utc() + timedelta(days=2)
    follow_ups[2].due_on = today - timedelta(days=1)
    db.session.commit()
    return open_day, drive


def test_report_figures_on_a_known_data_set(mid_quarter, app, db, make_event, make_registration):
    build_known_data_set(db, make_event, make_registration)
    year, quarter = reports.current_quarter(now_utc() - timedelta(hours=3))
    report = reports.build_report(year, quarter)
    t = report["totals"]
    assert t["events"] == 2
    assert (t["registered"], t["registered_people"]) == (4, 7)
    assert (t["attended"], t["attended_people"]) == (3, 4)
    assert t["attendance_rate"] == pytest.approx(0.75)
    assert t["volunteer_count"] == 3
    assert t["hours"] == pytest.approx(4.5)
    # 4, 3, 1, 2 and three more 不满意 (the follow-up cases) → 3 satisfied of 7.
    assert t["evaluations"] == 7
    assert t["satisfaction_rate"] == pytest.approx(3 / 7)
    assert (t["follow_ups_on_time"], t["follow_ups_settled"], t["follow_ups_pending"]) == (1, 3, 1)
    assert t["follow_ups_due"] == 4
    titles = [row["event"].slug for row in report["events"]]
    assert "old-event" not in titles

    header, rows = reports.report_rows(report)
    assert header[0] == "活动"
    total = rows[-3]
    assert total[0].startswith("合计")
    assert total[3:8] == [4, 7, 3, 4, "75.0%"]
    assert rows[-2][10:12] == ["按期 1 件 / 办结 3 件", "33.3%"]  # not "1/3": Excel reads a date
    assert "另有 1 件未到期" in rows[-2][0]
    assert rows[-1][0].startswith("尚未结束的场次") and rows[-1][2:5] == [0, 0, 0]


def ended_and_future_slots():
    """One slot that ended an hour ago and one that starts in two days (same quarter)."""
    ended = now_utc() - timedelta(hours=3)
    future = now_utc() + timedelta(days=2)
    return [{"key": "past", "label": "已结束场", "starts_at": iso(ended),
             "ends_at": iso(ended + timedelta(hours=2)), "capacity": 20},
            {"key": "later", "label": "后天场", "starts_at": iso(future),
             "ends_at": iso(future + timedelta(hours=2)), "capacity": 20}]


def build_half_held_quarter(db, make_event, make_registration):
    """An ended slot: 3 confirmed, 2 checked in. A future slot: 5 confirmed. Another event
    whose only slot is still running: 1 confirmed."""
    event = make_event(slug="half-held", slots=ended_and_future_slots())
    past, later = event.slots
    came = [make_registration(event, slot=past) for _ in range(3)]
    for registration in came[:2]:
        check_in(registration)
    for _ in range(5):
        make_registration(event, slot=later)
    running = make_event(slug="running", slots=started_slots(hours_ago=1))
    make_registration(running)
    db.session.commit()
    return event


def test_attendance_counts_only_slots_that_have_ended(mid_quarter, app, db, make_event,
                                                      make_registration):
    build_half_held_quarter(db, make_event, make_registration)
    report = reports.build_report(*reports.current_quarter())
    t = report["totals"]
    assert (t["registered"], t["attended"]) == (3, 2)  # not 2 of 8 (nor of 9)
    assert t["attendance_rate"] == pytest.approx(2 / 3)
    # "Events held" by the same rule: the running event has no ended slot yet.
    assert (t["events"], t["slots"]) == (1, 1)
    assert [row["event"].slug for row in report["events"]] == ["half-held"]
    assert report["ahead"] == {"slots": 2, "registered": 6, "registered_people": 6}

    header, rows = reports.report_rows(report)
    assert rows[-3][0].startswith("合计") and rows[-3][3] == 3 and rows[-3][7] == "66.7%"
    assert rows[-1][0].startswith("尚未结束的场次") and rows[-1][2:5] == [2, 6, 6]


def test_a_past_quarter_counts_every_slot_and_nothing_ahead(mid_quarter, app, db, make_event,
                                                            make_registration):
    build_half_held_quarter(db, make_event, make_registration)
    later = mid_quarter + timedelta(days=200)  # the report made after the quarter
    report = reports.build_report(*reports.current_quarter(), now=later)
    assert (report["totals"]["registered"], report["totals"]["attended"]) == (9, 2)
    assert report["totals"]["events"] == 2
    assert report["ahead"]["slots"] == 0


def test_a_quarter_without_events(app):
    report = reports.build_report(2001, 1)
    assert report["totals"]["events"] == 0
    assert report["totals"]["attendance_rate"] is None
    assert report["ahead"] == {"slots": 0, "registered": 0, "registered_people": 0}
