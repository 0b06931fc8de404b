"""The camera at the door will not open: the screen says why, in Chinese, and what still
works (the handheld scanner and the typed ticket number) keeps working."""
import pytest

from tests.browser.test_checkin_screen import (
    checkin_row,
    door,  # noqa: F401  (the fixture)
    open_screen,
)
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def gate(door):  # noqa: F811  (the check-in screen's event: two tickets, a steward)
    return door


@pytest.mark.parametrize("camera, said", [
    # A camera is there, but the steward (or the browser's policy) refused it.
    ("denied", "摄像头权限被拒绝：请在浏览器的网站设置中允许使用摄像头"),
    # Allowed, but the device has no camera (a desk computer, a broken one).
    ("missing", "没有找到可用的摄像头"),
])
def test_a_camera_that_will_not_open_says_why_and_typing_still_checks_in(
        gate, playwright_instance, db, camera, said):
    args = CHROMIUM_ARGS + (["--use-fake-device-for-media-stream"] if camera == "denied" else [])
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                      is_mobile=True, has_touch=True)
        if camera == "missing":
            context.grant_permissions(["camera"], origin=gate["url"])
        page = context.new_page()
        open_screen(page, gate["url"])
        page.click("#camera-toggle")
        message = page.locator("#camera-message")
        message.wait_for()
        assert said in message.inner_text()
        assert "扫码枪" in message.inner_text()  # what keeps working
        assert page.locator("#video-wrap").is_hidden()
        assert page.locator("#camera-toggle").inner_text() == "打开摄像头扫码"  # can try again

        ticket = gate["tickets"][0]
        page.wait_for_timeout(300)  # the scanner input takes the focus back after the tap
        assert page.evaluate("document.activeElement.id") == "scan-input"
        page.keyboard.type(ticket["number"])
        page.keyboard.press("Enter")
        page.locator("#result.ck-ok").wait_for()
        assert checkin_row(db, ticket["id"]) is not None
    finally:
        browser.close()
