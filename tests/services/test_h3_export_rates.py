"""The satisfaction rate the bureau reports against its 100% target: one dissatisfied
citizen among 2,000 must not read as 100.0% (99.95% rounded), on the results page, the
quarterly report or its file."""
import csv
import io
import re

import pytest

from app.models import Feedback
from app.services import reports
from tests.feedback_factories import started_slots


@pytest.mark.parametrize("part, whole, shown", [
    (1999, 2000, "99.9%"),  # not 100.0%: one was not satisfied
    (2999, 3000, "99.9%"),
    (1, 3000, "0.1%"),  # not 0.0%: one was
    (2000, 2000, "100.0%"),
    (0, 5, "0.0%"),
    (2, 3, "66.7%"),  # otherwise rounded as before
    (0, 0, ""),  # nothing to count: no figure (the pages show —)
])
def test_a_rate_short_of_all_never_reads_as_all(part, whole, shown):
    assert reports.percent(reports.rate(part, whole)) == shown


def _evaluations(db, event, satisfied, dissatisfied):
    slot_id = event.slots[0].id
    db.session.add_all(
        [Feedback(event_id=event.id, slot_id=slot_id, overall=4, browser_key=f"s{i}")
         for i in range(satisfied)]
        + [Feedback(event_id=event.id, slot_id=slot_id, overall=1, browser_key=f"d{i}")
           for i in range(dissatisfied)])
    db.session.commit()


def test_one_dissatisfied_in_two_thousand_is_not_a_hundred_percent(mid_quarter, client, auth,
                                                                  db, make_event):
    event = make_event(slots=started_slots(hours_ago=3))  # ended: the report counts it
    _evaluations(db, event, 1999, 1)
    auth.login("admin")

    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    kpi = re.search(r'id="kpi-satisfaction">([^<]*)<', page).group(1)
    assert kpi == "99.9%"
    slot_row = re.search(r'<table class="slot-table">.*?</table>', page, re.S).group(0)
    assert "99.9%" in slot_row and "100.0%" not in slot_row
    assert "1999（99.9%）" in page and "1（0.1%）" in page  # beside the chart's bars

    year, quarter = reports.current_quarter()
    page = client.get(f"/staff/report?year={year}&quarter={quarter}").get_data(as_text=True)
    assert re.search(r'id="r-satisfaction">([^<]*)<', page).group(1) == "99.9%"
    data = client.get(f"/staff/report/export.csv?year={year}&quarter={quarter}").get_data()
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    column = rows[0].index("满意率")
    assert [row[column] for row in rows[1:3]] == ["99.9%", "99.9%"]  # the event, the total
