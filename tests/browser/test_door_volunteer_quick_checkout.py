"""A volunteer leaving scans the same QR ticket at the door: the screen answers 已签到 (amber)
and offers one tap to check them out, instead of the steward finding the check-out box and
scanning again. The check-out records the screen's gate."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import AuditLog, CheckIn
from app.services import volunteers
from tests.browser.test_checkin_screen import (
    door,  # noqa: F401  (the fixture)
    login,
    open_screen,
    scan,
)
from tests.conftest import now_utc
from tests.services.test_volunteers import shift

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def on_shift(live_server, db, make_event, make_staff):
    """A shift that began 30 minutes ago and a volunteer approved for it."""
    start = (now_utc() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    drive = make_event(slug="door-day", kind="volunteer", max_party_size=1,
                       title="垃圾分类检查志愿者招募", slots=[shift("am", "1号楼投放点 早班", start)])
    [application] = volunteers.apply(drive, drive.slots, name="王五", phone="13900003333",
                                     code_agreed=True)
    volunteers.approve(application, make_staff("reviewer", "admin"))
    make_staff("door", "staff")
    db.session.commit()
    number, registration_id = application.ticket_number, application.id
    db.session.rollback()
    return number, registration_id



def checked_out(db, registration_id):
    """(checked_out_at, the gate the check-out's audit entry names)."""
    checked_out_at = db.session.execute(select(CheckIn.checked_out_at).where(
        CheckIn.registration_id == registration_id)).scalar_one_or_none()
    details = db.session.execute(select(AuditLog.detail).where(
        AuditLog.action == "volunteer.checkout")).scalars().all()
    db.session.rollback()
    return checked_out_at, [detail.get("gate") for detail in details]


def test_a_volunteer_scanned_again_is_checked_out_with_one_tap(on_shift, live_server,
                                                               phone_page, db):
    number, registration_id = on_shift
    page = phone_page
    login(page, live_server)
    page.goto(f"{live_server}/staff/events/door-day/checkin")
    page.fill("#gate-input", "东门")
    quick = page.locator("#quick-checkout")

    scan(page, number)
    page.locator("#result[data-result='ok']").wait_for()
    assert quick.is_hidden()  # arriving: nothing to check out

    page.wait_for_timeout(3200)  # past the 3 s in which the same code is not sent again
    scan(page, number)
    page.locator("#result[data-result='already_checked_in']").wait_for()
    assert quick.is_visible()
    button = quick.get_by_role("button", name="为这位志愿者签退")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] <= 844  # on the first screen
    button.click()
    page.wait_for_url("**/staff/events/door-day/checkin")
    assert "已签退" in page.locator(".flash").inner_text()
    checked_out_at, gates = checked_out(db, registration_id)
    assert checked_out_at is not None and gates == ["东门"]


def test_an_open_days_screen_offers_no_check_out(door, phone_page):  # noqa: F811
    open_screen(phone_page, door["url"])
    assert phone_page.locator("#quick-checkout").count() == 0
