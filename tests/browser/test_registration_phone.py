"""A citizen registers on a phone (Chromium at 390×844) and leaves with a QR ticket."""
import io

import zxingcpp
from PIL import Image

from tests.conftest import SCREENSHOTS


def test_register_on_a_phone_and_get_a_scannable_ticket(app, db, make_event, live_server,
                                                        phone_page, tmp_path):
    make_event(max_party_size=4, what_to_bring="请携带身份证件，入口处出示二维码。")
    db.session.rollback()
    page = phone_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server}/events/test-open-day")
    assert page.get_by_text("剩余 10 个名额").is_visible()
    page.screenshot(path=str(tmp_path / "event.png"), full_page=True)
    page.get_by_role("link", name="报名这个场次").click()

    # Nothing filled in: the form comes back with its errors, in Chinese.
    page.get_by_role("button", name="提交报名").click()
    assert page.locator("#error-summary").is_visible()
    assert page.get_by_text("请填写姓名").first.is_visible()
    page.screenshot(path=str(tmp_path / "form-errors.png"), full_page=True)

    # A fresh form, filled in the way people type.
    page.goto(f"{live_server}/events/test-open-day/register")
    page.get_by_label("姓名").fill("王阿姨")
    page.get_by_label("手机号码").fill("+86 139 0000 1111")
    page.get_by_label("参加人数（含本人）").select_option("2")
    page.get_by_label("我已阅读并同意《个人信息保护说明》").check()
    page.screenshot(path=str(SCREENSHOTS / "phone-registration.png"), full_page=True)
    page.get_by_role("button", name="提交报名").click()

    page.wait_for_url(f"{live_server}/tickets/*")
    assert page.get_by_text("报名成功").is_visible()
    ticket_url = page.url
    qr = page.locator("figure.ticket-qr img")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone's width
    page.screenshot(path=str(SCREENSHOTS / "ticket.png"), full_page=True)

    png = page.request.get(qr.get_attribute("src")
                           if qr.get_attribute("src").startswith("http")
                           else live_server + qr.get_attribute("src")).body()
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [ticket_url]
    # The QR as drawn on the screen decodes too (what the door scanner sees).
    shot = Image.open(io.BytesIO(qr.screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(shot)] == [ticket_url]

    # No horizontal scrolling at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_form_works_without_javascript(app, db, make_event, live_server, browser):
    make_event()
    db.session.rollback()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/test-open-day/register")
        page.get_by_label("姓名").fill("李伯伯")
        page.get_by_label("手机号码").fill("１３９００００２２２２")
        page.get_by_label("我已阅读并同意《个人信息保护说明》").check()
        page.get_by_role("button", name="提交报名").click()
        page.wait_for_url(f"{live_server}/tickets/*")
        assert page.get_by_text("报名成功").is_visible()
        page.get_by_role("link", name="取消报名").click()
        page.get_by_role("button", name="确定取消").click()
        page.wait_for_url(f"{live_server}/tickets/*")
        assert page.get_by_text("已取消").first.is_visible()
    finally:
        context.close()


def test_the_large_text_and_language_switches_keep_what_was_typed(app, db, make_event, live_server,
                                                                   phone_page):
    """An elderly reader halfway through the form taps 大字版 (or English): the page reloads
    in the new mode with their name, phone and choices still there, and the copy kept for
    the reload is gone afterwards."""
    make_event()
    db.session.rollback()
    page = phone_page
    page.goto(f"{live_server}/events/test-open-day/register")
    page.get_by_label("姓名").fill("王阿姨")
    page.get_by_label("手机号码").fill("139 0000 1111")
    page.get_by_label("参加人数（含本人）").select_option("2")
    page.get_by_label("我已阅读并同意《个人信息保护说明》").check()
    page.get_by_role("button", name="大字版").click()
    page.wait_for_load_state("load")
    assert "elder" in (page.locator("html").get_attribute("class") or "")
    assert page.get_by_label("姓名").input_value() == "王阿姨"
    assert page.get_by_label("手机号码").input_value() == "139 0000 1111"
    assert page.get_by_label("参加人数（含本人）").input_value() == "2"
    assert page.get_by_label("我已阅读并同意《个人信息保护说明》").is_checked()
    assert page.evaluate("Object.keys(sessionStorage).length") == 0
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    assert page.get_by_label("Name").input_value() == "王阿姨"
    # A plain reload afterwards does not bring anything back: the copy was used once.
    page.get_by_label("Name").fill("")
    page.reload()
    assert page.get_by_label("Name").input_value() == ""
