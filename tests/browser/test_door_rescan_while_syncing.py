"""A ticket admitted offline and scanned again while its admission still waits in the queue
(the network is back, the queue is syncing) is 已签到 at once: it was sent to the server as a
fresh scan, answered 签到成功 a second time (someone else on a copy of the ticket let in),
and only the sync found the conflict afterwards."""
import json

import pytest

from tests.browser.test_checkin_screen import (
    checkin_row,
    door,  # noqa: F401  (the fixture)
    open_screen,
    scan,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")



def test_a_rescan_of_a_queued_admission_is_already_checked_in(door, phone_page, db):  # noqa: F811
    page = phone_page
    held, offline_posts = [], []

    def hold_the_second_synced_scan(route):
        body = json.loads(route.request.post_data or "{}")
        if body.get("source") == "offline":
            offline_posts.append(body.get("code"))
            if len(offline_posts) == 2:
                held.append(route)  # the sync of the second ticket is still on its way
                return
        route.continue_()

    open_screen(page, door["url"])
    first, second = door["tickets"]
    page.context.set_offline(True)
    scan(page, first["number"])
    page.locator("#checkin[data-queued='1']").wait_for()
    page.wait_for_timeout(3200)  # past the 3 s in which the same code is not sent again
    scan(page, second["number"])
    page.locator("#checkin[data-queued='2']").wait_for()
    page.route("**/api/checkin", hold_the_second_synced_scan)
    page.context.set_offline(False)
    page.locator("#checkin[data-online='1'][data-queued='1']").wait_for(timeout=20000)
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the sync did not send the second admission"

    page.wait_for_timeout(3200)
    scan(page, second["number"])  # the same ticket again (or a copy) at this gate
    page.locator("#result[data-result='already_checked_in'], #result[data-result='ok']").wait_for()
    assert page.locator("#result").get_attribute("data-result") == "already_checked_in"
    assert "已签到" in page.locator("#result").inner_text()

    held[0].continue_()
    page.locator("#checkin[data-queued='0']").wait_for(timeout=20000)
    row = checkin_row(db, second["id"])
    assert row is not None and row.source == "offline"  # the queued admission is the one kept
