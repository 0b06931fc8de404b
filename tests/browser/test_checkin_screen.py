"""The check-in screen in Chromium: a fake camera, a handheld scanner, going offline."""
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.models import CheckIn
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, STAFF_PASSWORD, iso, now_utc

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def door(live_server, make_event, make_registration, make_staff, db):
    """An event whose slot starts in 30 minutes, two tickets, a door steward."""
    start = now_utc() + timedelta(minutes=30)
    event = make_event(slug="door-day", title="公共机构节能宣传周开放日", slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)),
         "capacity": 50, "mode": "onsite"},
        {"key": "pm", "label": "下午场", "starts_at": iso(start + timedelta(hours=4)),
         "ends_at": iso(start + timedelta(hours=6)), "capacity": 50, "mode": "onsite"},
    ])
    first = make_registration(event, name="张三丰", phone="13812345678", party_size=2)
    second = make_registration(event, name="李四", phone="13987654321", party_size=1)
    make_registration(event, slot=event.slots[1], name="王五", phone="13700000000", party_size=3)
    make_staff("door", "staff")
    tickets = [{"token": r.token, "number": r.ticket_number, "id": r.id} for r in (first, second)]
    db.session.rollback()  # the server's threads write: hold no lock in the test's session
    return {"url": live_server, "tickets": tickets}


def login(page, base):
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", "door")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/staff/events")


def open_screen(page, base, gate="东门"):
    login(page, base)
    page.goto(f"{base}/staff/events/door-day/checkin")
    page.fill("#gate-input", gate)
    page.locator("#checkin[data-list-size='3']").wait_for()  # the offline list has arrived
    page.click("#result")  # any tap on the screen gives the focus back to the scanner input
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan-input'")


def scan(page, code):
    """What a handheld scanner does: type the code into the focused input and press Enter."""
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")


def checkin_row(db, registration_id):
    """The check-in as plain values, read without keeping SQLite's lock from the server."""
    row = db.session.execute(select(CheckIn).where(CheckIn.registration_id == registration_id)
                             ).scalar_one_or_none()
    values = None if row is None else SimpleNamespace(
        gate=row.gate, source=row.source, checked_in_at=row.checked_in_at, recorded_at=row.recorded_at)
    db.session.rollback()
    return values


def test_handheld_scanner_types_the_code_and_enter_checks_in(door, desktop_page, db):
    page = desktop_page
    # Record vibrations (desktop Chromium has no vibrator) and the scans sent to the server.
    page.add_init_script("window.__vibrations = []; navigator.vibrate = function (p) "
                         "{ window.__vibrations.push(p); return true; };")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and "/api/checkin" in r.url else None)
    open_screen(page, door["url"])
    ticket = door["tickets"][0]
    assert page.evaluate("document.activeElement.id") == "scan-input"
    page.keyboard.type(f"{door['url']}/tickets/{ticket['token']}")
    page.keyboard.press("Enter")
    result = page.locator("#result")
    result.filter(has_text="签到成功").wait_for()
    assert "张**" in result.inner_text() and "2 人" in result.inner_text() and "上午场" in result.inner_text()
    assert "张三丰" not in page.content()
    assert page.locator("#count-event-in").inner_text() == "1"
    row = checkin_row(db, ticket["id"])
    assert row is not None and row.gate == "东门"
    # The input keeps the focus and is empty, ready for the next person.
    assert page.evaluate("document.activeElement.id") == "scan-input"
    assert page.input_value("#scan-input") == ""
    page.screenshot(path=str(SCREENSHOTS / "checkin.png"))

    # The same code again after 3 s would be sent; at once it is not (no second request).
    page.keyboard.type(ticket["number"])
    page.keyboard.press("Enter")
    page.keyboard.type(ticket["number"])
    page.keyboard.press("Enter")
    page.locator("#result[data-result='already_checked_in']").wait_for()
    assert "已签到" in page.locator("#result").inner_text()
    assert "东门" in page.locator("#result").inner_text()
    page.wait_for_timeout(300)  # give a second request (if the guard failed) time to leave
    assert len(posts) == 2, [p.post_data for p in posts]  # first scan + one of the two repeats
    assert page.evaluate("window.__vibrations") == [80, [80, 60, 80]]  # ok, then already

    # The gate name is remembered for this screen.
    page.reload()
    assert page.input_value("#gate-input") == "东门"


def test_unknown_code_is_red_and_search_then_tap_checks_in(door, phone_page, db):
    page = phone_page
    open_screen(page, door["url"], gate="西门")
    page.keyboard.type("NOTATICKET")
    page.keyboard.press("Enter")
    page.locator("#result.ck-bad[data-result='not_found']").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "checkin-phone-not-found.png"))
    page.fill("#search-input", "4321")
    page.click("#search-form button")
    hit = page.locator(".ck-hit")
    hit.wait_for()
    assert "139****4321" in hit.inner_text() and "李*" in hit.inner_text()
    hit.locator("button").click()
    page.locator("#result.ck-ok").wait_for()
    assert checkin_row(db, door["tickets"][1]["id"]).source == "manual"
    # The row in the list says so too, and its button is done.
    page.locator(".ck-hit", has_text="已签到").wait_for()  # (no wait_for_function: the CSP)
    assert hit.locator("button").inner_text() == "签到成功" and hit.locator("button").is_disabled()
    # Searched again later: the row shows the person is in, with no red button to tap.
    page.click("#search-form button")
    again = page.locator(".ck-hit button", has_text="已签到")
    again.wait_for()
    assert again.is_disabled() and "btn-primary" not in again.get_attribute("class")


def test_offline_scan_admits_from_the_local_list_and_syncs_with_its_time(door, browser, db):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        open_screen(page, door["url"], gate="北门")
        ticket = door["tickets"][1]
        context.set_offline(True)
        before = now_utc()
        page.keyboard.type(ticket["number"].lower())
        page.keyboard.press("Enter")
        page.locator("#result.ck-ok").wait_for()
        after = now_utc()
        assert "签到成功" in page.locator("#result").inner_text()
        page.locator("#checkin[data-online='0'][data-queued='1']").wait_for()
        assert "待同步 1 条" in page.locator("#net-status").inner_text()
        # The other ticket is unknown offline too, and a repeat of the admitted one is amber.
        page.keyboard.type(ticket["number"])
        page.wait_for_timeout(3100)  # past the 3-second repeat guard
        page.keyboard.press("Enter")
        page.locator("#result.ck-warn").wait_for()
        page.screenshot(path=str(SCREENSHOTS / "checkin-tablet-offline.png"))
        # A code the local list does not hold (another event's ticket, or someone who
        # registered after the list was fetched): red, and the steward is told why.
        page.keyboard.type("ZZZZ-9999")
        page.keyboard.press("Enter")
        page.locator("#result.ck-bad[data-result='not_found']").wait_for()
        assert "本机名单中没有这张票" in page.locator("#result").inner_text()
        assert checkin_row(db, ticket["id"]) is None  # nothing reached the server yet

        back_online = now_utc()
        context.set_offline(False)
        page.locator("#checkin[data-online='1'][data-queued='0']").wait_for(timeout=20000)
        row = checkin_row(db, ticket["id"])
        assert row is not None
        assert before - timedelta(seconds=1) <= row.checked_in_at <= after  # the scan's time
        assert row.recorded_at >= back_online - timedelta(seconds=1)
        assert row.source == "offline" and row.gate == "北门"
    finally:
        context.close()


def y4m_from_png(png_bytes, path, frames=10):
    """A still video for Chromium's fake camera: the QR image centred on a white 640×480 frame."""
    from PIL import Image

    qr = Image.open(io.BytesIO(png_bytes)).convert("RGB")
    side = min(440, qr.width)
    qr = qr.resize((side, side), Image.NEAREST)
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(qr, ((640 - side) // 2, (480 - side) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    cb = cb.resize((320, 240), Image.BILINEAR)
    cr = cr.resize((320, 240), Image.BILINEAR)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(y.tobytes() + cb.tobytes() + cr.tobytes())
    return path


def test_fake_camera_reads_the_ticket_qr_and_checks_in(door, playwright_instance, app, tmp_path, db):
    from app.services.tickets import qr_png

    ticket = door["tickets"][0]
    video = y4m_from_png(qr_png(f"{door['url']}/tickets/{ticket['token']}"), tmp_path / "ticket.y4m")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                      is_mobile=True, has_touch=True, device_scale_factor=2)
        context.grant_permissions(["camera"], origin=door["url"])
        page = context.new_page()
        open_screen(page, door["url"], gate="南门")
        page.click("#camera-toggle")
        page.locator("#result.ck-ok").wait_for(timeout=20000)
        assert "签到成功" in page.locator("#result").inner_text()
        assert "张**" in page.locator("#result").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "checkin-phone-camera.png"), full_page=True)
        row = checkin_row(db, ticket["id"])
        assert row is not None and row.gate == "南门"
    finally:
        browser.close()


def test_too_many_requests_keeps_the_scan_and_sends_it_later(door, desktop_page, db):
    """A 429 from the API's rate limit is not a refusal: the scan waits in the queue (the
    screen admits from its local list) and reaches the server once the limit lets it."""
    page = desktop_page
    refused = []

    def busy(route):
        if len(refused) < 2:  # the scan itself and the first retry from the queue
            refused.append(route.request.url)
            route.fulfill(status=429, content_type="application/json", headers={"Retry-After": "1"},
                          body='{"error": 429, "message": "您的操作太频繁了，请稍等一会儿再试。"}')
        else:
            route.continue_()

    open_screen(page, door["url"])
    page.route("**/api/checkin", busy)
    ticket = door["tickets"][0]
    page.keyboard.type(ticket["number"])
    page.keyboard.press("Enter")
    page.locator("#result.ck-ok").wait_for()
    page.locator("#checkin[data-queued='0']").wait_for(timeout=30000)
    assert len(refused) == 2
    row = checkin_row(db, ticket["id"])
    assert row is not None and row.gate == "东门"
