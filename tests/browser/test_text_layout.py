"""How text lays out in Chromium: the ticket number in one piece and English ticket facts
stacked on a phone, Latin fonts for English, the evaluation's answers inside their card,
the certificate title spaced out only in Chinese, and staff controls left off paper."""
from datetime import timedelta

import pytest

from app.models import CheckIn
from tests.browser.test_accessibility import _set_mode
from tests.conftest import ADMIN_PASSWORD, iso, now_utc

# How many lines an element's text takes (its client rects, one per line box).
LINES = """el => { const range = document.createRange(); range.selectNodeContents(el);
  const tops = new Set(); for (const r of range.getClientRects()) { if (r.width > 0) tops.add(Math.round(r.top)); }
  return tops.size; }"""


def phone(browser, base, lang, elder):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, base, lang, elder)
    return context


@pytest.fixture
def tickets(db, make_event, make_registration, live_server):
    """A waiting ticket (no QR: its number is among the facts) and a confirmed one."""
    start = now_utc() + timedelta(days=1)
    event = make_event(slug="layout-day", waitlist=True, location="松江区园中路1号 区行政中心1号楼一楼大厅",
                       slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 1,
                               "mode": "onsite"}])
    confirmed = make_registration(event, name="吴玉珍")
    waiting = make_registration(event, name="周老伯")
    assert waiting.status == "waitlisted"
    urls = {"confirmed": f"{live_server}/tickets/{confirmed.token}",
            "waiting": f"{live_server}/tickets/{waiting.token}"}
    db.session.rollback()
    return urls


@pytest.mark.parametrize("lang, elder", [("en", True), ("en", False), ("zh", True)])
def test_the_ticket_number_never_breaks_and_english_facts_stack_on_a_phone(
        browser, live_server, tickets, lang, elder):
    context = phone(browser, live_server, lang, elder)
    page = context.new_page()
    try:
        page.goto(tickets["waiting"])
        number = page.locator("dd.ticket-number")
        assert number.evaluate(LINES) == 1, number.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        label, value = page.locator(".ticket-facts dt").nth(1), page.locator(".ticket-facts dd").nth(1)
        label_box, value_box = label.bounding_box(), value.bounding_box()
        if lang == "en":
            # The label above its value: the value has the card's whole width, and the date
            # and times of the slot take two lines at most.
            assert abs(value_box["x"] - label_box["x"]) < 1
            assert value_box["y"] >= label_box["y"] + label_box["height"] - 1
            font = float(value.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
            assert value_box["height"] <= 2 * 1.6 * font + 1, value.inner_text()
        else:
            # Two-character Chinese labels stay beside their values.
            assert value_box["x"] > label_box["x"] + label_box["width"]
        page.goto(tickets["confirmed"])
        assert page.locator("figcaption .ticket-number").evaluate(LINES) == 1
    finally:
        context.close()


def test_english_text_is_set_in_a_latin_face_first(browser, live_server, tickets):
    """A Chinese face draws “ and ” a full em wide: "(“we”)" gets wide gaps."""
    context = phone(browser, live_server, "en", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/privacy")
        widths = page.evaluate("""() => {
          const p = [...document.querySelectorAll('main p')].find(el => el.textContent.includes('\u201c'));
          const node = [...p.childNodes].find(n => n.nodeType === 3 && n.textContent.includes('\u201c'));
          const range = document.createRange(); const at = node.textContent.indexOf('\u201c');
          range.setStart(node, at); range.setEnd(node, at + 1);
          return [range.getBoundingClientRect().width, parseFloat(getComputedStyle(p).fontSize)];
        }""")
        quote, size = widths
        assert quote < 0.6 * size, widths
        # Chinese pages keep the Chinese face first.
        page.goto(f"{live_server}/privacy?lang=zh")
        family = page.evaluate("getComputedStyle(document.body).fontFamily").split(",")
        assert "PingFang SC" in family[1], family
    finally:
        context.close()


@pytest.mark.parametrize("lang, elder", [("en", True), ("en", False), ("zh", True), ("zh", False)])
def test_the_evaluation_answers_fit_their_card(browser, live_server, db, make_event, lang, elder):
    start = now_utc() - timedelta(minutes=30)
    make_event(slug="layout-day", slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                                          "ends_at": iso(start + timedelta(hours=2)),
                                          "capacity": 10, "mode": "onsite"}])
    db.session.rollback()
    context = phone(browser, live_server, lang, elder)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/layout-day/feedback")
        overflow = page.evaluate("""() => {
          const card = document.querySelector('.feedback-form');
          const style = getComputedStyle(card); const box = card.getBoundingClientRect();
          const right = box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
          return [...card.querySelectorAll('.scale label.choice, .scale fieldset')]
            .map(el => [el.textContent.trim(), el.getBoundingClientRect().right - right])
            .filter(([, over]) => over > 0.5);
        }""")
        assert overflow == []
    finally:
        context.close()


def _login_admin(page, base):
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login" not in url)


def test_printed_staff_pages_leave_out_the_menu_and_sign_out(
        mid_quarter, browser, live_server, db, make_event, make_registration, make_staff):
    start = now_utc() - timedelta(hours=3)
    make_event(slug="printed-day", slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                                           "ends_at": iso(start + timedelta(hours=2)),
                                           "capacity": 10, "mode": "onsite"}])
    make_staff("admin", "admin")
    db.session.remove()
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _login_admin(page, live_server)
        for path in ("/staff/events/printed-day/results", "/staff/report"):
            page.goto(live_server + path)
            assert page.locator(".staff-nav").is_visible()
            page.emulate_media(media="print")
            assert not page.locator(".staff-nav").is_visible(), path
            assert not page.get_by_role("button", name="退出登录").is_visible(), path
            assert page.locator("h1").is_visible()
            page.emulate_media(media="screen")
    finally:
        context.close()


def test_the_certificate_title_is_spaced_out_in_chinese_only(
        app, browser, live_server, db, make_event, make_registration, make_staff):
    from app.services.volunteers import phone_key

    start = now_utc() - timedelta(hours=4)
    event = make_event(slug="drive", kind="volunteer", max_party_size=1,
                       slots=[{"key": "d1", "label": "1号楼投放点 早班", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 2,
                               "mode": "onsite", "location": "1号楼东侧垃圾厢房"}])
    registration = make_registration(event, phone="13800138000")
    registration.status = "confirmed"
    db.session.add(CheckIn(registration_id=registration.id, event_id=event.id, gate="东门",
                           checked_in_at=start + timedelta(minutes=5),
                           checked_out_at=start + timedelta(hours=2)))
    db.session.commit()
    url = f"{live_server}/staff/volunteers/{phone_key('13800138000')}/certificate"
    make_staff("admin", "admin")
    db.session.remove()
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _login_admin(page, live_server)
        page.goto(url)
        spacing = "el => getComputedStyle(el).letterSpacing"
        assert page.locator("h1").evaluate(spacing) not in ("normal", "0px")
        # The rule follows the page's language: an English certificate (whose <html lang>
        # says en) keeps its words whole.
        page.evaluate("document.documentElement.lang = 'en'")
        assert page.locator("h1").evaluate(spacing) in ("normal", "0px")
        assert page.locator("h1").evaluate("el => getComputedStyle(el).textIndent") == "0px"
    finally:
        context.close()
