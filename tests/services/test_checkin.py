"""The check-in rules in app/services/checkin.py, without HTTP."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import CheckIn
from app.services import checkin as service
from tests.conftest import iso, now_utc


@pytest.mark.parametrize("code, expected", [
    ("https://openday.example.gov.cn/tickets/AbCdEfGhIjKlMnOpQrStUvWxYz0", ("token", "AbCdEfGhIjKlMnOpQrStUvWxYz0")),
    ("http://127.0.0.1:5000/tickets/abc-def_ghijklmnopqrstuv/", ("token", "abc-def_ghijklmnopqrstuv")),
    ("http://x/tickets/abcdefghijklmnopqrstuvw?utm=1", ("token", "abcdefghijklmnopqrstuvw")),
    ("abc-def_ghijklmnopqrstuvwx", ("token", "abc-def_ghijklmnopqrstuvwx")),
    ("ABCD2345", ("ticket_number", "ABCD2345")),
    ("abcd 2345", ("ticket_number", "ABCD2345")),
    ("ABCD-2345", ("ticket_number", "ABCD2345")),
    ("ＡＢＣＤ２３４５", ("ticket_number", "ABCD2345")),
    ("  abcd2345\n", ("ticket_number", "ABCD2345")),
    ("ABCD0345", (None, None)),          # 0 is not in the ticket alphabet
    ("ABC", (None, None)),
    ("", (None, None)),
    (None, (None, None)),
    ("<script>alert(1)</script>", (None, None)),
    ("x" * 600, (None, None)),
])
def test_parse_code(code, expected):
    assert service.parse_code(code) == expected


def make_door_event(make_event, minutes=30, **overrides):
    start = now_utc() + timedelta(minutes=minutes)
    return make_event(slug="door-day", slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                                               "mode": "onsite"}],
                      registration_opens_at=iso(now_utc() - timedelta(days=2)), **overrides)


def test_window_defaults_and_event_settings(make_event, db):
    event = make_door_event(make_event)
    slot = event.slots[0]
    assert service.window(event, slot) == (slot.starts_at - timedelta(minutes=60), slot.ends_at)
    event.checkin_opens_minutes_before = 15
    event.checkin_closes_minutes_after_end = 30
    assert service.window(event, slot) == (slot.starts_at - timedelta(minutes=15),
                                           slot.ends_at + timedelta(minutes=30))


def test_check_in_twice_keeps_one_row(make_event, make_registration, make_staff, db):
    event = make_door_event(make_event)
    reg = make_registration(event)
    staff = make_staff("door", "staff")
    first, created = service.check_in(reg, gate="1", staff=staff, nonce="a")
    db.session.commit()
    again, created_again = service.check_in(reg, gate="2", staff=staff, nonce="b")
    assert created and not created_again
    assert again.id == first.id and again.gate == "1"
    assert db.session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1


def test_scan_judges_an_offline_scan_at_its_own_time(make_event, make_registration, db):
    event = make_door_event(make_event, minutes=-170)  # ended 50 minutes ago
    reg = make_registration(event)
    during = now_utc() - timedelta(minutes=60)
    result, *_ = service.scan(event, reg.ticket_number, scanned_at=during, nonce="late-sync")
    assert result == "ok"
    late = make_registration(event)
    result, *_ = service.scan(event, late.ticket_number)
    assert result == "outside_window"


def test_keep_earliest_never_moves_forward(make_event, make_registration, db):
    event = make_door_event(make_event)
    reg = make_registration(event)
    row, _ = service.check_in(reg, gate="1")
    db.session.commit()
    first = row.checked_in_at
    assert service.keep_earliest(row, first + timedelta(minutes=5), "2") is False
    assert row.checked_in_at == first and row.gate == "1"
    assert service.keep_earliest(row, first - timedelta(minutes=5), "2") is True
    assert row.checked_in_at == first - timedelta(minutes=5) and row.gate == "2"


def test_refusals_in_order(make_event, make_registration, db):
    event = make_door_event(make_event)
    reg = make_registration(event)
    assert service.refusal(event, None, now_utc()) == "not_found"
    assert service.refusal(event, reg, now_utc()) is None
    assert service.refusal(event, reg, now_utc() + timedelta(days=1)) == "outside_window"
    reg.status = "rejected"
    assert service.refusal(event, reg, now_utc()) == "cancelled"
