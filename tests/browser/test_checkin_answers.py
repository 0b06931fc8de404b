"""The check-in screen's answers, online and offline, say the same things: a refusal never
reads as an admission, a check-in window has its date, an unknown code is shown as it was
scanned. On a phone in English nothing is cut off, and the way back is a full target."""
from datetime import timedelta

import pytest

from tests.browser.test_accessibility import _set_mode
from tests.conftest import STAFF_PASSWORD, iso, now_utc

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def gate(live_server, make_event, make_registration, make_staff, db):
    """A slot starting in 30 minutes (its check-in is open), one tomorrow (not yet)."""
    soon = now_utc() + timedelta(minutes=30)
    tomorrow = now_utc() + timedelta(days=1)
    event = make_event(slug="gate-day", slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(soon), "ends_at": iso(soon + timedelta(hours=2)),
         "capacity": 50, "mode": "onsite"},
        {"key": "next", "label": "明日场", "starts_at": iso(tomorrow),
         "ends_at": iso(tomorrow + timedelta(hours=2)), "capacity": 50, "mode": "onsite"},
    ])
    today = make_registration(event, name="张三丰", phone="13812345678")
    later = make_registration(event, slot=event.slots[1], name="李四", phone="13987654321")
    make_staff("door", "staff")
    numbers = {"today": today.ticket_number, "tomorrow": later.ticket_number}
    db.session.rollback()
    return {"url": live_server, **numbers}


def open_screen(page, base, slug="gate-day", tickets=2):
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", "door")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/staff/events")
    page.goto(f"{base}/staff/events/{slug}/checkin")
    page.fill("#gate-input", "东门")
    page.locator(f"#checkin[data-list-size='{tickets}']").wait_for()  # the offline list arrived


def scan(page, code, result):
    page.fill("#scan-input", code)
    page.press("#scan-input", "Enter")
    page.locator(f"#result[data-result='{result}']").wait_for()
    return page.locator("#result").inner_text()


def test_offline_answers_match_online_and_only_admissions_say_offline(gate, browser):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    page = context.new_page()
    try:
        open_screen(page, gate["url"])
        online = scan(page, gate["tomorrow"], "outside_window")
        online_window = page.locator("#result-detail").inner_text()
        assert "签到时间" in online_window
        unknown = "ZZ<b>99</b>"
        assert unknown in scan(page, unknown, "not_found")  # the input was cleared: shown here
        assert page.locator("#result b").count() == 0  # as text, never as markup
        assert page.input_value("#scan-input") == ""

        context.set_offline(True)
        offline = scan(page, gate["tomorrow"], "outside_window")
        assert page.locator("#result.ck-bad").count() == 1
        assert "离线签到" not in offline  # a refusal is not an offline check-in
        assert page.locator("#result-detail").inner_text() == online_window  # date and all
        assert online.split("\n")[0] == offline.split("\n")[0]
        admitted = scan(page, gate["today"], "ok")
        assert "离线签到" in admitted
        other = "ANOTHER-1<i>"
        text = scan(page, other, "not_found")
        assert other in text and "本机名单中没有这张票" in text
        assert page.locator("#result i").count() == 0
    finally:
        context.close()


def test_on_a_phone_in_english_nothing_is_cut_off_and_the_way_back_is_a_target(gate, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    _set_mode(context, gate["url"], "en", False)
    page = context.new_page()
    try:
        open_screen(page, gate["url"])
        # Each placeholder fits its box (a label above says the rest).
        cut = page.evaluate("""() => {
          const canvas = document.createElement('canvas').getContext('2d');
          return [...document.querySelectorAll('#checkin input[placeholder]')].filter(el => el.offsetWidth)
            .map(el => { const s = getComputedStyle(el); canvas.font = s.font;
              const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
              const need = canvas.measureText(el.placeholder).width
                + (parseFloat(s.letterSpacing) || 0) * el.placeholder.length;
              return [el.id, el.placeholder, Math.round(need), Math.round(room)]; })
            .filter(([, , need, room]) => need > room);
        }""")
        assert cut == []
        for field in ("#scan-input", "#search-input"):  # named by a visible label
            label = page.locator(f"label[for='{field[1:]}']")
            assert label.is_visible() and label.inner_text().strip()
        back = page.locator("a.ck-back")
        box = back.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
        assert back.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 16
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
