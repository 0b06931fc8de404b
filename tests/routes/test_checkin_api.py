"""POST /api/checkin (CONTRACT §5): every answer, the window, the nonce, gates at once."""
import hashlib
import threading
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from app.models import AuditLog, CheckIn
from tests.conftest import STAFF_PASSWORD, iso, now_utc


def slot_starting_in(minutes, hours=2, key="am", label="上午场", capacity=10):
    start = now_utc() + timedelta(minutes=minutes)
    return {"key": key, "label": label, "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=hours)), "capacity": capacity, "mode": "onsite"}


@pytest.fixture
def door_event(make_event):
    """An open day whose slot starts in 30 minutes: check-in is open now."""
    return make_event(slug="door-day", slots=[slot_starting_in(30)])


@pytest.fixture
def staff_client(client, auth):
    auth.login(role="staff")
    return client


def post(client, code, event="door-day", gate="东门", **extra):
    response = client.post("/api/checkin", json={"event": event, "code": code, "gate": gate, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def count(db, model):
    number = db.session.execute(select(func.count()).select_from(model)).scalar_one()
    db.session.rollback()  # hold no SQLite lock while another session writes
    return number


@pytest.mark.parametrize("form", ["url", "number", "number_lower_spaced", "token", "number_fullwidth"])
def test_ok_for_each_way_of_giving_the_code(staff_client, door_event, make_registration, form, db):
    reg = make_registration(door_event, name="张三丰", phone="13812345678", party_size=3)
    number = reg.ticket_number
    code = {
        "url": f"http://testserver/tickets/{reg.token}",
        "number": number,
        "number_lower_spaced": f" {number[:4].lower()} {number[4:].lower()} ",
        "token": reg.token,
        "number_fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in number),
    }[form]
    answer = post(staff_client, code)
    assert answer["result"] == "ok"
    assert answer["message"] == "签到成功"
    assert answer["name"] == "张**"
    assert answer["party_size"] == 3
    assert answer["slot"] == "上午场"
    assert answer["gate"] == "东门"
    assert "13812345678" not in str(answer) and "张三丰" not in str(answer)
    assert count(db, CheckIn) == 1


def test_second_scan_answers_already_checked_in_with_first_time_and_gate(
        staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    first = post(staff_client, reg.ticket_number, gate="东门")
    again = post(staff_client, f"http://testserver/tickets/{reg.token}", gate="西门")
    assert first["result"] == "ok"
    assert again["result"] == "already_checked_in"
    assert again["message"] == "已签到"
    assert again["gate"] == "东门"
    assert again["checked_in_at"] == first["checked_in_at"]
    assert len(again["checked_in_time"]) == 5  # HH:MM, Asia/Shanghai
    assert count(db, CheckIn) == 1


def test_unknown_codes_are_not_found(staff_client, door_event, make_registration):
    make_registration(door_event)
    for code in ("ZZZZZZZZ", "http://testserver/tickets/" + "x" * 30, "hello", "<script>", "😀" * 10,
                 "9" * 20000):
        answer = post(staff_client, code)
        assert answer["result"] == "not_found", code[:40]
        assert "name" not in answer


def test_cancelled_ticket(staff_client, door_event, make_registration, db):
    from app.services.registration import cancel

    reg = make_registration(door_event)
    cancel(reg, reason="test")
    db.session.commit()
    answer = post(staff_client, reg.ticket_number)
    assert answer["result"] == "cancelled"
    assert count(db, CheckIn) == 0


def test_waitlisted_ticket(staff_client, make_event, make_registration, db):
    event = make_event(slug="door-day", waitlist=True, slots=[slot_starting_in(30, capacity=1)])
    make_registration(event)
    waiting = make_registration(event)
    assert waiting.status == "waitlisted"
    assert post(staff_client, waiting.ticket_number)["result"] == "waitlisted"
    assert count(db, CheckIn) == 0


def test_volunteers_pending_refused_approved_admitted(staff_client, make_event, make_registration, db):
    event = make_event(slug="door-day", kind="volunteer", slots=[slot_starting_in(10)])
    pending = make_registration(event)
    approved = make_registration(event)
    assert pending.status == "pending"
    approved.status = "confirmed"  # what the volunteer review does on approval
    db.session.commit()
    assert post(staff_client, pending.ticket_number)["result"] == "pending"
    assert post(staff_client, approved.ticket_number)["result"] == "ok"


def test_ticket_of_another_event_is_wrong_event(staff_client, door_event, make_event, make_registration, db):
    other = make_event(slug="other-day", title="另一场活动", slots=[slot_starting_in(30)])
    reg = make_registration(other)
    answer = post(staff_client, reg.ticket_number)
    assert answer["result"] == "wrong_event"
    assert answer["other_event"] == "另一场活动"
    assert count(db, CheckIn) == 0


@pytest.mark.parametrize("minutes, hours, expected", [
    (90, 2, "outside_window"),     # starts in 90 min: 60-minute window not open yet
    (55, 2, "ok"),                 # starts in 55 min: open
    (-125, 2, "outside_window"),   # ended 5 minutes ago
    (-115, 2, "ok"),               # ends in 5 minutes
])
def test_default_window_is_60_minutes_before_start_until_end(
        staff_client, make_event, make_registration, minutes, hours, expected):
    event = make_event(slug="door-day", slots=[slot_starting_in(minutes, hours=hours)],
                       registration_opens_at=iso(now_utc() - timedelta(days=2)))
    reg = make_registration(event)
    answer = post(staff_client, reg.ticket_number)
    assert answer["result"] == expected
    if expected == "outside_window":
        assert answer["message"] == "不在签到时间内"
        assert answer["opens_time"] and answer["closes_time"]


def test_event_can_change_the_window(staff_client, make_event, make_registration):
    event = make_event(slug="door-day", slots=[slot_starting_in(150), slot_starting_in(-150, key="pm",
                                                                                       label="下午场")],
                       checkin_opens_minutes_before=180, checkin_closes_minutes_after_end=60,
                       registration_opens_at=iso(now_utc() - timedelta(days=2)))
    early = make_registration(event, slot=event.slots[1])
    late = make_registration(event, slot=event.slots[0])
    assert {early.slot.key, late.slot.key} == {"am", "pm"}
    assert post(staff_client, early.ticket_number)["result"] == "ok"
    assert post(staff_client, late.ticket_number)["result"] == "ok"


def test_same_nonce_returns_the_first_answer_without_a_second_row(
        staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    first = post(staff_client, reg.ticket_number, nonce="n-1234567890")
    again = post(staff_client, reg.ticket_number, nonce="n-1234567890", gate="西门")
    assert first["result"] == again["result"] == "ok"
    assert again["checked_in_at"] == first["checked_in_at"] and again["gate"] == "东门"
    assert count(db, CheckIn) == 1
    other_scan = post(staff_client, reg.ticket_number, nonce="n-other")
    assert other_scan["result"] == "already_checked_in"


def test_a_nonce_already_used_for_another_ticket_does_not_answer_for_it(
        staff_client, door_event, make_registration, db):
    """A scanner that numbers its scans itself may send one number for two tickets: the
    second ticket is checked in for real, not answered with the first ticket's admission."""
    first_ticket = make_registration(door_event, name="王一", phone="13900000001")
    second_ticket = make_registration(door_event, name="李二", phone="13900000002")
    assert post(staff_client, first_ticket.ticket_number, nonce="scan-1")["result"] == "ok"
    second = post(staff_client, second_ticket.ticket_number, nonce="scan-1", gate="西门")
    assert second["result"] == "ok" and not second.get("repeat")
    assert second["name"].startswith("李")
    assert db.session.execute(select(CheckIn.gate).where(
        CheckIn.registration_id == second_ticket.id)).scalar_one() == "西门"
    assert count(db, CheckIn) == 2


def test_each_check_in_writes_one_audit_row(staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    post(staff_client, reg.ticket_number)
    post(staff_client, reg.ticket_number)
    rows = db.session.execute(select(AuditLog).where(AuditLog.action == "checkin")).scalars().all()
    assert len(rows) == 1
    assert rows[0].actor_name == "staff"
    assert rows[0].target_id == str(reg.id)
    assert rows[0].detail["gate"] == "东门"
    assert reg.token not in str(rows[0].detail) and reg.phone not in str(rows[0].detail)


def test_offline_scan_keeps_its_time(staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    scanned = (now_utc() - timedelta(minutes=7)).replace(microsecond=0)
    answer = post(staff_client, reg.ticket_number, nonce="offline-1", scanned_at=scanned.isoformat(),
                  source="offline")
    assert answer["result"] == "ok"
    row = db.session.execute(select(CheckIn)).scalar_one()
    assert row.checked_in_at == scanned
    assert row.source == "offline"
    assert row.recorded_at > scanned


def test_synced_offline_scan_meets_earlier_check_in_and_reports_conflict(
        staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    post(staff_client, reg.ticket_number, gate="东门")
    later = now_utc() + timedelta(seconds=1)
    answer = post(staff_client, reg.ticket_number, gate="西门", nonce="off-2",
                  scanned_at=later.isoformat(), source="offline")
    assert answer["result"] == "already_checked_in"
    assert answer["conflict"] is True
    assert answer["gate"] == "东门"
    assert count(db, CheckIn) == 1


def test_first_scan_wins_when_the_offline_one_was_earlier(staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    post(staff_client, reg.ticket_number, gate="东门")
    earlier = (now_utc() - timedelta(minutes=10)).replace(microsecond=0)
    answer = post(staff_client, reg.ticket_number, gate="西门", nonce="off-3",
                  scanned_at=earlier.isoformat(), source="offline")
    assert answer["result"] == "already_checked_in" and answer["conflict"] is True
    row = db.session.execute(select(CheckIn)).scalar_one()
    db.session.refresh(row)
    assert row.checked_in_at == earlier and row.gate == "西门"


def test_a_scan_sent_at_once_is_judged_by_the_servers_clock(staff_client, make_event,
                                                             door_event, make_registration, db):
    """Only a scan the screen had to keep while offline carries the device's time: a tablet
    whose clock is wrong must not admit anyone outside the window."""
    ended = make_event(slug="ended-day", slots=[slot_starting_in(-300)])  # ended 3 h ago
    reg = make_registration(ended)
    during = (now_utc() - timedelta(hours=4)).isoformat()
    assert post(staff_client, reg.ticket_number, event="ended-day",
                scanned_at=during)["result"] == "outside_window"
    assert post(staff_client, reg.ticket_number, event="ended-day", scanned_at=during,
                source="manual")["result"] == "outside_window"
    fresh = make_registration(door_event)
    answer = post(staff_client, fresh.ticket_number, scanned_at="2020-01-03T09:30:00+08:00")
    assert answer["result"] == "ok"
    row = db.session.execute(select(CheckIn).where(CheckIn.registration_id == fresh.id)).scalar_one()
    assert row.checked_in_at > now_utc() - timedelta(minutes=1) and row.source == "scan"


def test_an_offline_scan_with_an_impossible_time_moves_nothing(staff_client, door_event,
                                                                make_registration, db):
    reg = make_registration(door_event)
    post(staff_client, reg.ticket_number, gate="东门")
    first = db.session.execute(select(CheckIn)).scalar_one()
    at, gate = first.checked_in_at, first.gate
    for scanned in ("0001-01-01T00:00:00-05:00", (now_utc() - timedelta(hours=30)).isoformat(),
                    (now_utc() - timedelta(hours=5)).isoformat()):  # before the door opened
        answer = post(staff_client, reg.ticket_number, gate="西门", scanned_at=scanned,
                      source="offline", nonce=f"off-{scanned[:4]}")
        assert answer["result"] == "already_checked_in" and not answer.get("moved_earlier")
    db.session.refresh(first)
    assert (first.checked_in_at, first.gate) == (at, gate)
    # A year-old offline scan of a ticket not yet in is judged (and recorded) now.
    late = make_registration(door_event)
    answer = post(staff_client, late.ticket_number, source="offline",
                  scanned_at=(now_utc() - timedelta(days=365)).isoformat())
    assert answer["result"] == "ok"
    row = db.session.execute(select(CheckIn).where(CheckIn.registration_id == late.id)).scalar_one()
    assert row.checked_in_at > now_utc() - timedelta(minutes=1)


def test_scan_from_the_future_is_recorded_now(staff_client, door_event, make_registration, db):
    reg = make_registration(door_event)
    post(staff_client, reg.ticket_number, scanned_at=(now_utc() + timedelta(days=3)).isoformat())
    row = db.session.execute(select(CheckIn)).scalar_one()
    assert row.checked_in_at <= now_utc()


def test_anonymous_gets_401(client, door_event, make_registration, db):
    reg = make_registration(door_event)
    response = client.post("/api/checkin", json={"event": "door-day", "code": reg.ticket_number, "gate": "1"})
    assert response.status_code == 401
    assert count(db, CheckIn) == 0


def test_csrf_header_is_required_and_anonymous_still_gets_401(make_app, make_staff, door_event,
                                                             make_registration, db):
    import re

    app = make_app(WTF_CSRF_ENABLED=True)
    reg = make_registration(door_event)
    make_staff("gate", "staff")
    client = app.test_client()
    body = {"event": "door-day", "code": reg.ticket_number, "gate": "1"}
    db.session.rollback()  # the other app's requests use their own session: free SQLite's lock
    assert client.post("/api/checkin", json=body).status_code == 401
    login_page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', login_page)
    client.post("/staff/login", data={"username": "gate", "password": STAFF_PASSWORD,
                                      "csrf_token": token.group(1)})
    screen = client.get("/staff/events/door-day/checkin").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', screen).group(1)
    refused = client.post("/api/checkin", json=body)
    assert refused.status_code == 400
    # Not a refusal of the ticket: the screen keeps a queued scan and asks for a reload.
    assert refused.get_json()["reload"] is True
    assert "请刷新页面" in refused.get_json()["message"]
    stale = client.post("/api/checkin", json=body, headers={"X-CSRFToken": meta + "x"})
    assert stale.status_code == 400 and stale.get_json()["reload"] is True
    assert count(db, CheckIn) == 0
    accepted = client.post("/api/checkin", json=body, headers={"X-CSRFToken": meta})
    assert accepted.status_code == 200 and accepted.get_json()["result"] == "ok"


@pytest.mark.parametrize("body, status", [
    ("not json", 400),
    ({"event": "door-day"}, 400),
    ({"event": "door-day", "code": ""}, 400),
    ({"event": "door-day", "code": 12345}, 400),
    ({"event": "no-such-event", "code": "ABCDEFGH"}, 404),
    ({"event": ["door-day"], "code": "ABCDEFGH"}, 404),
    ({"event": "door-day", "code": "ABCDEFGH", "nonce": "x" * 65}, 400),
    ({"event": "door-day", "code": "ABCDEFGH", "scanned_at": "yesterday"}, 400),
])
def test_bad_requests_get_a_chinese_message_not_a_500(staff_client, door_event, body, status):
    if isinstance(body, str):
        response = staff_client.post("/api/checkin", data=body, content_type="text/plain")
    else:
        response = staff_client.post("/api/checkin", json=body)
    assert response.status_code == status
    message = response.get_json()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_long_gate_names_are_cut_and_control_characters_dropped(staff_client, door_event, make_registration):
    reg = make_registration(door_event)
    answer = post(staff_client, reg.ticket_number, gate="门\n\x07" + "岗" * 200)
    assert answer["gate"] == "门" + "岗" * 49


# --- several gates at once, through a real HTTP server --------------------------------------

def test_four_gates_scanning_the_same_ticket_at_once_admit_it_once(live_server, door_event, make_registration,
                                                                   make_staff, db):
    reg = make_registration(door_event)
    make_staff("door", "staff")
    code = f"{live_server}/tickets/{reg.token}"
    db.session.rollback()  # the server's threads have their own sessions: hold no lock here
    sessions = []
    for _ in range(4):
        session = requests.Session()
        response = session.post(f"{live_server}/staff/login",
                                data={"username": "door", "password": STAFF_PASSWORD},
                                allow_redirects=False)
        assert response.status_code == 302
        sessions.append(session)
    barrier = threading.Barrier(4)
    answers = [None] * 4

    def gate(index):
        barrier.wait()
        response = sessions[index].post(f"{live_server}/api/checkin", timeout=30, json={
            "event": "door-day", "code": code, "gate": f"{index + 1}号门"})
        answers[index] = (response.status_code, response.json())

    threads = [threading.Thread(target=gate, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(status == 200 for status, _ in answers), answers
    results = sorted(body["result"] for _, body in answers)
    assert results == ["already_checked_in"] * 3 + ["ok"], answers
    winner = next(body for _, body in answers if body["result"] == "ok")
    assert all(body["gate"] == winner["gate"] for _, body in answers)
    db.session.remove()
    assert count(db, CheckIn) == 1
    assert db.session.execute(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "checkin")).scalar_one() == 1


# --- the screen's other endpoints -------------------------------------------------------------

def test_screen_carries_csrf_meta_and_needs_staff(client, auth, door_event):
    assert client.get("/staff/events/door-day/checkin").status_code == 302
    auth.login(role="staff")
    response = client.get("/staff/events/door-day/checkin")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta name="csrf-token" content="' in page
    assert "vendor/jsqr/jsQR.js" in page and "js/checkin.js" in page
    # Someone at the door without a ticket is registered on the spot from here.
    assert 'href="/staff/events/door-day/walk-in"' in page
    assert client.get("/staff/events/door-day/walk-in").status_code == 200  # staff may
    assert client.get("/staff/events/nope/checkin").status_code == 404


def test_checkin_list_has_hashes_and_masked_names_only(staff_client, door_event, make_registration):
    reg = make_registration(door_event, name="李小龙", phone="13912340000")
    post(staff_client, reg.ticket_number)
    response = staff_client.get("/api/events/door-day/checkin-list")
    body = response.get_json()
    text = response.get_data(as_text=True)
    assert reg.token not in text and reg.ticket_number not in text and "13912340000" not in text
    assert "李小龙" not in text
    [entry] = body["entries"]
    salt = body["salt"]
    assert entry["h"] == [hashlib.sha256(f"{salt}:{v}".encode()).hexdigest()
                          for v in (reg.token, reg.ticket_number)]
    assert entry["name"] == "李**" and entry["status"] == "confirmed" and entry["slot"] == "am"
    assert entry["checked_in_at"] and entry["gate"] == "东门"
    assert body["slots"]["am"]["label"] == "上午场" and body["slots"]["am"]["opens"]
    assert body["counts"]["event"] == {"checked_in": 1, "expected": 1, "people_in": 1, "people_expected": 1}


def test_checkin_list_and_search_need_staff(client, door_event):
    assert client.get("/api/events/door-day/checkin-list").status_code == 401
    assert client.get("/api/events/door-day/search?q=a").status_code == 401
    assert client.get("/api/events/door-day/stats").status_code == 401


def test_stats_count_tickets_and_people_per_slot(staff_client, make_event, make_registration):
    event = make_event(slug="door-day", slots=[slot_starting_in(30), slot_starting_in(300, key="pm",
                                                                                      label="下午场")])
    a = make_registration(event, slot=event.slots[0], party_size=3)
    make_registration(event, slot=event.slots[0], party_size=2)
    make_registration(event, slot=event.slots[1], party_size=1)
    post(staff_client, a.ticket_number)
    stats = staff_client.get("/api/events/door-day/stats").get_json()
    assert stats["event"] == {"checked_in": 1, "expected": 3, "people_in": 3, "people_expected": 6}
    am = next(s for s in stats["slots"] if s["key"] == "am")
    assert am == {"key": "am", "label": "上午场", "checked_in": 1, "expected": 2, "people_in": 3,
                  "people_expected": 5}


def test_search_by_name_phone_tail_and_ticket_number(staff_client, door_event, make_registration):
    reg = make_registration(door_event, name="王大锤", phone="13700001234")
    make_registration(door_event, name="赵四", phone="13700005678")

    def search(q):
        return staff_client.get("/api/events/door-day/search", query_string={"q": q}).get_json()["results"]

    for q in ("王大", "1234", reg.ticket_number.lower()):
        [hit] = search(q)
        assert hit["ticket_number"] == reg.ticket_number
        assert hit["phone"] == "137****1234" and hit["name"] == "王**"
    assert search("") == [] and search("%") == [] and search("不存在的人") == []
    assert [h["name"] for h in search("137 0000 5678")] == ["赵*"]  # a whole phone is a tail too
    assert [h["name"] for h in search("+86 137-0000-5678")] == ["赵*"]
    assert [h["name"] for h in search("１３７００００５６７８")] == ["赵*"]
    # As the screens show a number (masked), and a ticket number written in two groups.
    assert [h["name"] for h in search("137****5678")] == ["赵*"]
    number = reg.ticket_number
    assert [h["name"] for h in search(f"{number[:4]} {number[4:]}")] == ["王**"]
    assert search("234") == []  # three digits match too many people at the door


def test_search_then_tap_checks_in_with_the_ticket_number(staff_client, door_event, make_registration):
    reg = make_registration(door_event, name="王大锤")
    [hit] = staff_client.get("/api/events/door-day/search?q=王大锤").get_json()["results"]
    assert post(staff_client, hit["ticket_number"], source="manual")["result"] == "ok"
    [hit] = staff_client.get("/api/events/door-day/search?q=王大锤").get_json()["results"]
    assert hit["checked_in_time"] and reg.ticket_number == hit["ticket_number"]


def test_a_scan_holds_sqlites_write_lock_only_for_its_two_inserts(staff_client, door_event,
                                                                  make_registration, db):
    """At a busy door four gates scan at once: on SQLite a scan reads (sign-in, ticket)
    without the write lock and takes it only for its inserts, so gates do not queue behind
    each other's reads (bench/checkin.py shows the effect on p99)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    number = make_registration(door_event).ticket_number
    db.session.commit()  # the request starts with no transaction open
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()[:3]).upper())

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert post(staff_client, number)["result"] == "ok"
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)
    assert statements.count("BEGIN IMMEDIATE") == 1, statements
    locked = statements.index("BEGIN IMMEDIATE")
    # Before the lock: reads only (the sign-in and the ticket), no write lock taken.
    assert [s for s in statements[:locked] if not s.startswith("SELECT")] == [], statements
    assert [s.split()[:3] for s in statements[locked + 1:]] == [["INSERT", "INTO", "CHECKIN"],
                                               ["INSERT", "INTO", "AUDIT_LOG"]], statements


def test_a_scan_on_postgresql_is_two_reads_and_one_insert_without_begin_or_commit(
        staff_client, door_event, make_registration, db):
    """On PostgreSQL every statement is a round trip to the server: a scan reads the
    sign-in and the ticket in autocommit mode and writes the CheckIn and its AuditLog row in
    one atomic statement, with no BEGIN and COMMIT around it (bench/checkin.py)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    registration = make_registration(door_event)
    registration_id, number = registration.id, registration.ticket_number
    db.session.commit()  # the request starts with no transaction open
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append((" ".join(statement.split()[:2]).upper(),
                           conn.connection.dbapi_connection.autocommit))

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert post(staff_client, number)["result"] == "ok"
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)
    assert statements == [("SELECT STAFF_USER.ID,", True), ("SELECT REGISTRATION.ID,", True),
                          ("WITH NEW_CHECKIN", True)], statements
    db.session.expire_all()
    stored = db.session.execute(select(CheckIn).where(
        CheckIn.registration_id == registration_id)).scalar_one()
    audit = db.session.execute(select(AuditLog).where(
        AuditLog.action == "checkin", AuditLog.target_id == str(registration_id))).scalar_one()
    assert stored.gate == "东门" and audit.detail["gate"] == "东门"
    assert audit.actor_name and audit.event_id == door_event.id


def test_a_window_closing_on_another_day_gives_its_closing_date(staff_client, make_event,
                                                                 make_registration):
    """A slot ending at midnight (Beijing time) closes on the next day: the answer carries
    that date, so the screen does not read "21:00 – 00:00" as if on one day."""
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    day = (now_utc().astimezone(shanghai) + timedelta(days=2)).date()
    start = datetime(day.year, day.month, day.day, 22, tzinfo=shanghai)
    event = make_event(slug="door-day", slots=[{
        "key": "night", "label": "夜场", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite"}])
    answer = post(staff_client, make_registration(event).ticket_number)
    assert answer["result"] == "outside_window"
    assert (answer["opens_date"], answer["opens_time"]) == (f"{day:%m-%d}", "21:00")
    assert (answer["closes_date"], answer["closes_time"]) == (
        f"{day + timedelta(days=1):%m-%d}", "00:00")
