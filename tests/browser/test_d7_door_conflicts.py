"""Two gates admit the same ticket, one of them offline. When the offline gate syncs, the
steward is told who was admitted twice, and the note stays until they have read it: it was
a line in the status bar that the next network check wiped within seconds, and it named
nobody."""
import pytest

from tests.browser.test_checkin_screen import (
    door,  # noqa: F401  (the fixture)
    open_screen,
    scan,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")



def test_a_ticket_admitted_at_two_gates_is_named_after_the_sync_until_read(door, browser):  # noqa: F811
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      locale="zh-CN")
        pages.append(context.new_page())
    east, west = pages
    try:
        open_screen(east, door["url"], gate="东门")
        open_screen(west, door["url"], gate="西门")
        ticket = door["tickets"][0]

        east.context.set_offline(True)
        scan(east, ticket["number"])
        east.locator("#checkin[data-queued='1']").wait_for()
        scan(west, ticket["number"])  # the same ticket (or a copy of it) at the other gate
        west.locator("#result.ck-ok").wait_for()

        east.context.set_offline(False)
        east.locator("#checkin[data-online='1'][data-queued='0']").wait_for(timeout=20000)
        report = east.locator("#sync-report")
        report.wait_for()
        assert "同步完成，1 条与其他门岗重复" in report.inner_text()
        assert "张**" in report.inner_text() and "首次签到" in report.inner_text()
        assert "系统拒绝" not in report.inner_text()  # nothing was refused

        # The network blinks (the next check of the server): the note is still there.
        east.context.set_offline(True)
        east.locator("#checkin[data-online='0']").wait_for()
        east.context.set_offline(False)
        east.locator("#checkin[data-online='1']").wait_for(timeout=20000)
        assert report.is_visible() and "张**" in report.inner_text()

        report.locator("button").click()  # 知道了
        assert report.is_hidden()
    finally:
        for page in pages:
            page.context.close()
