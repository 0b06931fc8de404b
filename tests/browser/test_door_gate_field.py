"""A handheld scanner types wherever the focus is. Right after naming the gate, a scanned
ticket lands in the gate field: the gate keeps its name and the ticket is checked in."""
import pytest
from sqlalchemy import select

from app.models import CheckIn
from tests.browser.test_checkin_screen import door, open_screen  # noqa: F401 (door: a fixture)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_a_ticket_scanned_into_the_gate_field_is_checked_in_and_the_gate_keeps_its_name(
        door, browser, db):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        open_screen(page, door["url"], gate="北门")
        ticket = door["tickets"][0]
        page.click("#gate-input")
        page.keyboard.press("End")
        page.keyboard.type(f"{door['url']}/tickets/{ticket['token']}")  # the scanner's keys
        page.keyboard.press("Enter")
        page.locator("#result.ck-ok").wait_for()
        assert page.input_value("#gate-input") == "北门"
        page.reload()
        assert page.input_value("#gate-input") == "北门"  # remembered without the link
        row = db.session.execute(select(CheckIn.gate).where(
            CheckIn.registration_id == ticket["id"])).scalar_one()
        db.session.rollback()
        assert row == "北门"
    finally:
        context.close()
