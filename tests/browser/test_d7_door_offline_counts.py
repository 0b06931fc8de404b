"""The door's counters when the screen is reopened without the network. The service worker
serves the copy of the page kept the last time it loaded, with that moment's counts: a
steward who reloaded in a lobby without network read 0 checked in while the screen had
admitted people (and kept them in its queue). The counts now come from the local list and
its offline admissions, leaving online sessions out as the server does."""
from datetime import timedelta

import pytest

from tests.browser.test_checkin_screen import login, scan
from tests.conftest import iso, now_utc

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def door_with_online_session(live_server, make_event, make_registration, make_staff, db):
    start = now_utc() + timedelta(minutes=30)
    event = make_event(slug="door-day", title="后勤管家开放日", max_party_size=4, slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)),
         "capacity": 50, "mode": "onsite"},
        {"key": "web", "label": "线上直播", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)),
         "capacity": 50, "mode": "online"},
    ])
    first = make_registration(event, name="张三丰", phone="13812345678", party_size=2)
    second = make_registration(event, name="李四", phone="13987654321", party_size=1)
    make_registration(event, name="王五", phone="13700000000", party_size=3)
    make_registration(event, slot=event.slots[1], name="赵六", phone="13600000000", party_size=4)
    make_staff("door", "staff")
    numbers = [first.ticket_number, second.ticket_number]
    db.session.rollback()
    return live_server, numbers


def counts(page):
    return (page.locator("#count-event-in").inner_text(), page.locator("#count-event-expected").inner_text(),
            page.locator("#count-event-people").inner_text(),
            page.locator(".ck-count[data-slot='am'] .slot-in").inner_text(),
            page.locator(".ck-count[data-slot='am'] .slot-people").inner_text())



def test_a_screen_reloaded_offline_counts_its_offline_admissions(door_with_online_session, browser):
    base, numbers = door_with_online_session
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    try:
        login(page, base)
        page.goto(f"{base}/staff/events/door-day/checkin")
        page.fill("#gate-input", "东门")
        page.locator("#checkin[data-list-size='4'][data-offline-ready='1']").wait_for()
        assert counts(page) == ("0", "3", "0 / 6", "0", "0 / 6")  # the online session left out

        context.set_offline(True)
        scan(page, numbers[0])
        page.locator("#checkin[data-queued='1']").wait_for()
        assert counts(page) == ("1", "3", "2 / 6", "1", "2 / 6")

        page.reload()  # the service worker's copy of the page
        page.locator("#checkin[data-event='door-day']").wait_for()
        page.locator("#checkin[data-online='0']").wait_for()
        assert counts(page) == ("1", "3", "2 / 6", "1", "2 / 6")
        scan(page, numbers[1])
        page.locator("#checkin[data-queued='2']").wait_for()
        assert counts(page) == ("2", "3", "3 / 6", "2", "3 / 6")

        context.set_offline(False)
        page.locator("#checkin[data-online='1'][data-queued='0']").wait_for(timeout=20000)
        page.wait_for_timeout(2000)  # the server's counts replace the local ones
        assert counts(page) == ("2", "3", "3 / 6", "2", "3 / 6")
    finally:
        context.close()
