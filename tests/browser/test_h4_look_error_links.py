"""The "请修改以下内容" list at the top of a refused form: each of its links takes the reader
to the question it names, on a small phone, the radio-button questions (the slot, the overall
satisfaction) included."""
from datetime import timedelta

import pytest

from tests.browser.test_accessibility import _set_mode
from tests.conftest import iso, now_utc


def _small_phone(browser, base):
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, base, "zh", False)
    return context


def _follow_each_link(page):
    """For each link in the error list: its text, whether it has a target, and whether a tap
    on it brings the question into view."""
    results = []
    for i in range(page.locator(".error-summary a").count()):
        page.evaluate("window.scrollTo(0, 0)")
        link = page.locator(".error-summary a").nth(i)
        target = (link.get_attribute("href") or "").lstrip("#")
        link.click()
        shown = page.evaluate(
            """id => { const el = document.getElementById(id); if (!el) return false;
                 const r = el.getBoundingClientRect();
                 return r.top > -2 && r.top < window.innerHeight; }""", target)
        results.append((link.inner_text(), shown))
    return results


@pytest.fixture
def started_ticket(db, make_event, make_registration):
    """A ticket whose slot began an hour ago: its evaluation form is open."""
    start = now_utc() - timedelta(hours=1)
    event = make_event(slug="evaluate-day", slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=3)), "capacity": 10, "mode": "onsite"}])
    token = make_registration(event).token
    db.session.rollback()
    return token


def test_the_slot_link_in_the_registration_errors_goes_to_the_slots(
        browser, live_server, make_event, db):
    make_event(slug="two-slots", slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(now_utc() + timedelta(days=1)),
         "ends_at": iso(now_utc() + timedelta(days=1, hours=2)), "capacity": 10, "mode": "onsite"},
        {"key": "pm", "label": "下午场", "starts_at": iso(now_utc() + timedelta(days=1, hours=4)),
         "ends_at": iso(now_utc() + timedelta(days=1, hours=6)), "capacity": 10, "mode": "onsite"}])
    db.session.rollback()
    context = _small_phone(browser, live_server)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/two-slots/register")
        page.get_by_label("姓名").fill("王阿姨")
        page.get_by_label("手机号码").fill("13812345678")
        page.get_by_label("我已阅读并同意《个人信息保护说明》").check()
        page.get_by_role("button", name="提交报名").click()
        links = _follow_each_link(page)
        assert links and all(shown for _text, shown in links), links
        assert any(text.startswith("场次") for text, _shown in links), links
    finally:
        context.close()


def test_the_overall_link_in_the_evaluation_errors_goes_to_the_question(
        browser, live_server, started_ticket):
    context = _small_phone(browser, live_server)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/tickets/{started_ticket}/feedback")
        page.get_by_label("您的意见").fill("讲解很清楚")
        page.get_by_role("button", name="提交评价").click()
        links = _follow_each_link(page)
        assert [text for text, _shown in links] == ["总体满意度：请选择一项评价。"]
        assert all(shown for _text, shown in links), links
        # What was typed is still there.
        assert page.get_by_label("您的意见").input_value() == "讲解很清楚"
    finally:
        context.close()
