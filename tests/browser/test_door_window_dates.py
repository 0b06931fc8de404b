"""A check-in window that closes on another day than it opens says so: a steward told
"签到时间 12-02 21:00 – 01:00" cannot tell which 01:00, and a slot ending at midnight read
"– 00:00". Online and offline the screen gives both dates."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_checkin_answers import open_screen, scan
from tests.conftest import iso, now_utc

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

SHANGHAI = ZoneInfo("Asia/Shanghai")


def night_slot():
    """22:00–01:00 Beijing time, two days from now: its window opens at 21:00 on one day
    and closes at 01:00 on the next."""
    day = (now_utc().astimezone(SHANGHAI) + timedelta(days=2)).date()
    start = datetime(day.year, day.month, day.day, 22, tzinfo=SHANGHAI)
    return start, start + timedelta(hours=3)


@pytest.fixture
def night(live_server, make_event, make_registration, make_staff, db):
    soon = now_utc() + timedelta(minutes=30)
    start, end = night_slot()
    event = make_event(slug="night-day", slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(soon), "ends_at": iso(soon + timedelta(hours=2)),
         "capacity": 50, "mode": "onsite"},
        {"key": "night", "label": "夜场", "starts_at": iso(start), "ends_at": iso(end),
         "capacity": 50, "mode": "onsite"}])
    make_registration(event, name="张三丰", phone="13812345678")
    later = make_registration(event, slot=event.slots[1], name="李四", phone="13987654321")
    make_staff("door", "staff")
    number = later.ticket_number
    db.session.rollback()
    return live_server, number


def test_a_window_closing_the_next_day_shows_both_dates_online_and_offline(night, browser):
    base, number = night
    start, end = night_slot()
    expected = f"{start:%m-%d} 21:00 – {end:%m-%d} 01:00"
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    page = context.new_page()
    try:
        open_screen(page, base, "night-day")
        scan(page, number, "outside_window")
        assert expected in page.locator("#result-detail").inner_text()
        context.set_offline(True)
        scan(page, number, "outside_window")
        assert expected in page.locator("#result-detail").inner_text()
    finally:
        context.close()
