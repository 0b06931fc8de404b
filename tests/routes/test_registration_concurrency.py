"""Seats never oversell: 50 people register at once for 10 seats, through a real HTTP
server (threads, real sockets, real commits), not the test client."""
import re
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests
from sqlalchemy import func, select

from app.models import Registration, Slot

KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def _register(base, n, barrier):
    with requests.Session() as http:
        form = http.get(f"{base}/events/test-open-day/register", timeout=30)
        assert form.status_code == 200
        key = KEY_RE.search(form.text).group(1)
        barrier.wait(30)  # everyone submits at the same moment
        response = http.post(f"{base}/events/test-open-day/register", allow_redirects=False,
                             timeout=30, data={
                                 "slot": "am", "name": f"市民{n}", "phone": f"1390000{n:04d}",
                                 "party_size": "1", "consent": "y", "submission_key": key,
                                 "website": ""})
        return response.status_code, response.headers.get("Location", "")


def test_fifty_registrants_for_ten_seats(app, db, make_event, live_server):
    event = make_event()
    db.session.rollback()  # no open transaction in the test thread while the server works
    barrier = Barrier(50)
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda n: _register(live_server, n, barrier), range(50)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(303) == 10, statuses
    assert statuses.count(409) == 40, statuses
    assert not [s for s in statuses if s >= 500]
    tokens = {location.rsplit("/", 1)[1] for status, location in results if status == 303}
    assert len(tokens) == 10
    db.session.expire_all()
    assert db.session.get(Slot, event.slots[0].id).booked == 10
    confirmed = db.session.execute(select(func.count(Registration.id))
                                   .where(Registration.status == "confirmed")).scalar()
    assert confirmed == 10
    assert set(db.session.execute(select(Registration.token)).scalars()) == tokens


def test_double_click_through_the_real_server_gives_one_ticket(app, db, make_event, live_server):
    event = make_event()
    db.session.rollback()
    with requests.Session() as http:
        key = KEY_RE.search(http.get(f"{live_server}/events/test-open-day/register").text).group(1)
        data = {"slot": "am", "name": "双击", "phone": "13900009999", "party_size": "2",
                "consent": "y", "submission_key": key}
        barrier = Barrier(5)

        def click(_):
            barrier.wait(10)
            return http.post(f"{live_server}/events/test-open-day/register", data=data,
                             allow_redirects=False, timeout=30)

        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(pool.map(click, range(5)))
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    db.session.expire_all()
    assert db.session.get(Slot, event.slots[0].id).booked == 2


def test_cancellations_at_once_promote_each_waiting_party_once(app, db, make_event,
                                                               make_registration, live_server):
    """Seats held always equal the confirmed parties, however the cancellations interleave."""
    event = make_event(waitlist=True)
    holders = [make_registration(event) for _ in range(10)]
    waiting = [make_registration(event, party_size=2) for _ in range(3)]
    assert {w.status for w in waiting} == {"waitlisted"}
    tokens = [h.token for h in holders[:6]]
    db.session.rollback()
    barrier = Barrier(len(tokens))

    def cancel(token):
        with requests.Session() as http:
            barrier.wait(10)
            return http.post(f"{live_server}/tickets/{token}/cancel", allow_redirects=False,
                             timeout=30).status_code

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        assert set(pool.map(cancel, tokens)) == {303}
    db.session.expire_all()
    confirmed = db.session.execute(
        select(func.coalesce(func.sum(Registration.party_size), 0))
        .where(Registration.status == "confirmed")).scalar()
    assert db.session.get(Slot, event.slots[0].id).booked == confirmed
    statuses = db.session.execute(
        select(Registration.status).where(Registration.id.in_([w.id for w in waiting]))
        .order_by(Registration.id)).scalars().all()
    assert statuses == ["confirmed", "confirmed", "confirmed"]  # 6 seats freed, 3 parties of 2
