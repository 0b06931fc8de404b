"""An evaluation submitted twice at once (a double tap, two tabs) is stored once, through a
real HTTP server (threads, real sockets, real commits)."""
import re
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests
from sqlalchemy import func, select

from app.models import Feedback, FollowUp
from tests.feedback_factories import started_slots

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _tap_five_times(url, data):
    """One browser (one cookie jar) sends the same form five times at the same moment."""
    with requests.Session() as http:
        page = http.get(url, timeout=30)
        assert page.status_code == 200
        token = CSRF_RE.search(page.text)  # the test settings may switch CSRF off
        data = {**data, **({"csrf_token": token.group(1)} if token else {})}
        barrier = Barrier(5)

        def tap(_):
            barrier.wait(10)
            return http.post(url, data=data, allow_redirects=False, timeout=30)

        with ThreadPoolExecutor(max_workers=5) as pool:
            return list(pool.map(tap, range(5)))


def test_a_double_tap_on_the_poster_form_is_one_evaluation(app, db, make_event, live_server):
    event = make_event(slots=started_slots())
    db.session.rollback()  # no open transaction in the test thread while the server works
    responses = _tap_five_times(f"{live_server}/events/{event.slug}/feedback",
                                {"overall": "1", "comment": "排队太久"})
    statuses = sorted(r.status_code for r in responses)
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == 4, statuses
    db.session.rollback()
    assert db.session.execute(select(func.count(Feedback.id))).scalar() == 1
    assert db.session.execute(select(func.count(FollowUp.id))).scalar() == 1


def test_a_double_tap_on_the_ticket_form_is_one_evaluation_and_thanks_the_holder(
        app, db, make_event, make_registration, live_server):
    event = make_event(slots=started_slots())
    token = make_registration(event).token
    db.session.rollback()
    responses = _tap_five_times(f"{live_server}/tickets/{token}/feedback",
                                {"overall": "4", "comment": "很好"})
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == 4, statuses
    # Whichever answer the browser shows, the holder reads that the evaluation is in, not
    # an error page ("无法完成").
    for refused in (r for r in responses if r.status_code == 409):
        assert "这张票已经评价过了，感谢您的参与！" in refused.text
        assert "无法完成" not in refused.text
    db.session.rollback()
    assert db.session.execute(select(func.count(Feedback.id))).scalar() == 1


def test_a_double_tap_on_the_poster_form_thanks_rather_than_fails(app, db, make_event,
                                                                  live_server):
    event = make_event(slots=started_slots())
    db.session.rollback()
    responses = _tap_five_times(f"{live_server}/events/{event.slug}/feedback", {"overall": "4"})
    for refused in (r for r in responses if r.status_code == 409):
        assert "您已经在这台设备上评价过本次活动了，感谢您的参与！" in refused.text
        assert "无法完成" not in refused.text
