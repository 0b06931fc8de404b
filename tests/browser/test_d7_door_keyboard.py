"""The check-in screen with a keyboard alone: Tab reaches every control (the scanner's input
used to take the focus back within 200 ms, so Tab never left it), and a handheld scanner
that types while a button has the focus still checks the ticket in."""
import pytest

from tests.browser.test_checkin_screen import (
    checkin_row,
    door,  # noqa: F401  (the fixture)
    open_screen,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def focused(page):
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def test_tab_leaves_the_scanner_input_and_reaches_the_search(door, desktop_page, db):  # noqa: F811
    page = desktop_page
    open_screen(page, door["url"])
    assert focused(page) == "scan-input"
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)  # the scanner's input used to take the focus back after 200 ms
    assert focused(page) == "签到"  # the scanner input's button
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)
    assert focused(page) == "camera-toggle"
    for _ in range(10):
        if focused(page) == "search-input":
            break
        page.keyboard.press("Tab")
        page.wait_for_timeout(250)
    assert focused(page) == "search-input"
    page.keyboard.type("4321")
    page.keyboard.press("Enter")
    hit = page.locator(".ck-hit")
    hit.wait_for()
    assert "李*" in hit.inner_text()
    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")  # the row's check-in button
    page.wait_for_timeout(400)
    assert focused(page) == "签到" and page.evaluate(
        "document.activeElement.closest('.ck-hit') !== null")
    page.keyboard.press("Enter")  # check in from the keyboard
    page.locator("#result.ck-ok").wait_for()
    assert checkin_row(db, door["tickets"][1]["id"]).source == "manual"


def test_a_scanner_typing_while_a_button_has_the_focus_checks_in(door, desktop_page, db):  # noqa: F811
    page = desktop_page
    open_screen(page, door["url"])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)
    assert focused(page) == "camera-toggle"
    ticket = door["tickets"][0]
    page.keyboard.type(ticket["number"])
    page.keyboard.press("Enter")
    page.locator("#result.ck-ok").wait_for()
    assert "张**" in page.locator("#result").inner_text()
    assert checkin_row(db, ticket["id"]) is not None
    assert page.locator("#camera-video").evaluate("v => v.srcObject") is None  # camera left alone
