"""A citizen's journey on a phone in large text (390×844, 大字版): what they see after the
back button, on a full event, ... (the p1 walk-through)."""
import json

from tests.browser.test_accessibility import MEASURE, MODES, _axe


def _elder_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="zh-CN", bypass_csp=True)
    context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    return context, context.new_page()


def _check_the_page(page):
    """No serious axe finding, and large-text sizes for text and targets."""
    figures = MODES["elder"]
    measured = page.evaluate(MEASURE, figures["target"])
    problems = {"axe": _axe(page), "targets": measured["small"],
                "text": [f for f in measured["fonts"] if f[1] < figures["font"]]}
    assert not any(problems.values()), json.dumps(problems, ensure_ascii=False)


def test_back_from_the_ticket_shows_the_form_says_registered(browser, live_server, make_event,
                                                             tmp_path):
    make_event()
    context, page = _elder_phone(browser, live_server)
    page.goto(f"{live_server}/events/test-open-day/register")
    page.get_by_label("姓名").fill("张阿姨")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("我已阅读并同意《个人信息保护说明》").check()
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url("**/tickets/*")
    ticket = page.url

    page.go_back()
    page.wait_for_load_state()
    page.screenshot(path=str(tmp_path / "back-on-the-form.png"), full_page=True)
    # Above the form (the first thing on the screen): registered, and the way to the ticket.
    notice = page.locator("#your-ticket")
    assert notice.get_by_text("您已报名本活动。").is_visible()
    assert notice.bounding_box()["y"] < page.locator("form.register-form").bounding_box()["y"]
    assert notice.bounding_box()["y"] < 844
    _check_the_page(page)
    notice.get_by_role("link", name="查看电子票").click()
    page.wait_for_url(ticket)

    page.goto(f"{live_server}/events/test-open-day")
    assert page.locator("#your-ticket").bounding_box()["y"] < 844
    _check_the_page(page)
    context.close()
