"""Keyboard-only registration, and the check-in screen under axe in both languages and in
elder mode (issue 9)."""
import json
import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from app.models import Registration
from tests.browser.test_accessibility import MODES, _axe
from tests.conftest import STAFF_PASSWORD


def test_register_with_the_keyboard_alone(browser, app, db, make_event, live_server):
    make_event(slug="keyboard-day")
    db.session.rollback()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server}/events/keyboard-day/register")
    page.keyboard.press("Tab")  # the skip link comes first
    focused = []

    def tab_to(predicate, limit=40):
        for _ in range(limit):
            page.keyboard.press("Tab")
            info = page.evaluate("() => ({tag: document.activeElement.tagName, "
                                 "name: document.activeElement.name || '', "
                                 "type: document.activeElement.type || ''})")
            focused.append(info)
            if predicate(info):
                return info
        raise AssertionError(f"never reached by Tab: {focused[-10:]}")

    tab_to(lambda f: f["name"] == "slot")
    page.keyboard.press("Space")  # choose the (only) slot
    tab_to(lambda f: f["name"] == "name")
    page.keyboard.type("键盘用户")
    tab_to(lambda f: f["name"] == "phone")
    page.keyboard.type("139 0000 7777")
    tab_to(lambda f: f["name"] == "consent")
    page.keyboard.press("Space")
    tab_to(lambda f: f["tag"] == "BUTTON" and f["type"] == "submit")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/tickets/[^/]+$"))
    assert "报名成功" in page.inner_text("main")
    context.close()
    db.session.rollback()
    stored = db.session.execute(select(Registration)).scalar_one()
    assert stored.phone == "13900007777" and stored.name == "键盘用户"


@pytest.fixture
def checkin_screen_url(app, db, make_event, make_registration, make_staff, live_server):
    event = make_event(slug="door-a11y")
    make_registration(event, name="张三")
    make_staff("door-a11y", "staff")
    db.session.rollback()
    return f"{live_server}/staff/events/door-a11y/checkin"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_checkin_screen_passes_axe(browser, checkin_screen_url, lang, mode):
    base = checkin_screen_url.split("/staff/")[0]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    host = urlparse(base).hostname
    context.add_cookies([{"name": "lang", "value": lang, "domain": host, "path": "/"},
                         {"name": "elder", "value": "1" if mode == "elder" else "0",
                          "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", "door-a11y")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    response = page.goto(checkin_screen_url)
    assert response.status == 200
    violations = _axe(page)
    sizes = page.evaluate("""(min) => [...document.querySelectorAll('main button, main input, main select')]
        .filter(el => el.type !== 'hidden' && el.getBoundingClientRect().width > 0)
        .map(el => [el.id || el.name || el.className, el.getBoundingClientRect().height])
        .filter(([, h]) => h < min)""", MODES["standard"]["target"])  # a staff screen: 44 px
    context.close()
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
    assert not sizes, sizes
