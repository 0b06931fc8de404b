"""The response rate (参评率) a leader reads, as the issue defines it: evaluations ÷ people
checked in (online slots' evaluations left out: nobody is checked in online). Evaluations
from the venue poster are tied to no ticket: they count, are also shown apart, and when
they push the rate past 100% the page says why. The results page, the report and the
report's CSV say the same."""
import csv
import io
import re
from datetime import timedelta

from app.services import feedback as feedback_service
from app.services import reports
from tests.conftest import iso, now_utc
from tests.feedback_factories import answers, check_in, started_slots

DEFINITION = "参评率 = 评价数 ÷ 签到人数（凭票评价和现场扫码评价都计入；线上场次不签到，其评价不计入）"
PAST_ALL = "所以参评率超过了 100%。"


def kpi(page, name):
    return re.search(rf'id="{name}">([^<]*)<', page).group(1)


def a_busy_poster(db, make_event, make_registration, hours_ago=1):
    """Two tickets checked in (one of a family of three), one of them evaluated; four
    evaluations from the poster while the slot runs; a ticket that never came evaluates."""
    event = make_event(slug="busy-poster", slots=started_slots(hours_ago=hours_ago),
                       max_party_size=4)
    slot = event.slots[0]
    family = make_registration(event, party_size=3)
    alone = make_registration(event)
    absent = make_registration(event)
    for registration in (family, alone):
        check_in(registration)
    during = slot.starts_at + timedelta(minutes=30)
    feedback_service.submit(event, answers(4), registration=alone, now=during)
    feedback_service.submit(event, answers(3), registration=absent, now=during)
    for level in (4, 4, 3, 1):
        feedback_service.submit(event, answers(level), now=during)  # the poster, anonymous
    db.session.commit()
    return event


def test_a_busy_poster_is_counted_and_its_rate_past_all_explained(client, auth, db, make_event,
                                                                   make_registration):
    event = a_busy_poster(db, make_event, make_registration)
    results = feedback_service.event_results(event)
    assert results["responses"] == 6
    assert (results["rate_responses"], results["checked_in"]) == (6, 4)  # people, not tickets
    assert results["response_rate"] == 1.5
    assert results["poster_responses"] == 4 and results["left_out"] == {"online": 0}
    assert results["satisfaction_rate"] == 5 / 6  # every evaluation counts here
    [row] = results["slots"]
    assert (row["checked_in"], row["responses"], row["response_rate"]) == (4, 6, 1.5)

    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert kpi(page, "kpi-response-rate") == "150.0%"
    assert "参评率（评价 6 ÷ 签到 4 人）" in page
    assert kpi(page, "kpi-poster") == "4"  # shown apart, where a leader sees it
    assert DEFINITION in page and PAST_ALL in page


def test_no_explanation_when_the_rate_is_within_all(client, auth, db, make_event,
                                                    make_registration):
    event = make_event(slug="quiet-poster", slots=started_slots(), max_party_size=4)
    family = make_registration(event, party_size=3)
    check_in(family)
    feedback_service.submit(event, answers(4), registration=family)
    feedback_service.submit(event, answers(3))  # a second member of the family, on the poster
    db.session.commit()
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert kpi(page, "kpi-response-rate") == "66.7%"
    assert "参评率（评价 2 ÷ 签到 3 人）" in page and PAST_ALL not in page


def test_results_page_report_and_report_file_agree(mid_quarter, client, auth, db, make_event,
                                                   make_registration):
    event = a_busy_poster(db, make_event, make_registration, hours_ago=3)  # ended: reported
    auth.login("admin")
    results = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    year, quarter = reports.current_quarter()
    page = client.get(f"/staff/report?year={year}&quarter={quarter}").get_data(as_text=True)
    data = client.get(f"/staff/report/export.csv?year={year}&quarter={quarter}").get_data()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    header, event_row, total, *_rest = csv.reader(io.StringIO(data[3:].decode(), newline=""))

    assert kpi(results, "kpi-response-rate") == "150.0%"
    assert kpi(page, "r-response").startswith("150.0%（评价 6 ÷ 签到 4 人）")
    rate = next(i for i, name in enumerate(header) if name.startswith("参评率"))
    assert event_row[0] == event.title and event_row[rate] == total[rate] == "150.0%"
    assert event_row[header.index("计入参评率的评价数")] == "6"
    assert event_row[header.index("签到（人）")] == "4"

    # The poster's evaluations: in the count and the satisfaction rate, shown apart.
    assert kpi(results, "kpi-responses") == "6" and kpi(results, "kpi-poster") == "4"
    assert "6 份（其中现场扫码 4 份，不关联票）" in page
    poster = next(i for i, name in enumerate(header) if name.startswith("其中现场扫码评价"))
    assert event_row[poster] == total[poster] == "4"
    assert event_row[header.index("评价数")] == "6"
    assert kpi(results, "kpi-satisfaction") == kpi(page, "r-satisfaction") == "83.3%"
    assert event_row[header.index("满意率")] == "83.3%"
    assert DEFINITION in page


def test_a_poster_evaluation_goes_to_the_slot_at_the_venue_not_an_online_one(app, db,
                                                                             make_event):
    """An "online + offline" day whose stream starts after the hall opened: the poster
    hangs in the hall, so its evaluations belong to the hall's slot (the stream's slot has
    no check-in, and there they would have been counted as online evaluations)."""
    start = now_utc() - timedelta(hours=1)
    event = make_event(slug="hall-and-stream", slots=[
        {"key": "hall", "label": "现场参观", "mode": "onsite", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=3)), "capacity": 50},
        {"key": "live", "label": "线上直播", "mode": "online", "join_url": "https://live.example.com/x",
         "starts_at": iso(start + timedelta(minutes=30)),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 50}])
    feedback = feedback_service.submit(event, answers(4))
    db.session.commit()
    assert feedback.slot_id == event.slots[0].id
    results = feedback_service.event_results(event)
    assert results["poster_responses"] == 1 and results["left_out"] == {"online": 0}
