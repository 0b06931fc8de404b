"""Chromium: the staff workspace on a door steward's or duty officer's phone (390x844),
and still as a desktop (1280x900). On a phone a table becomes one card per row, nothing
scrolls sideways, every control is a finger's size; and the workspace's nasty cases:
odd searches, paging past the end, filters together, the back button, two admins."""
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import AuditLog, OutboxMessage, Registration
from app.services import workspace
from tests.browser.test_accessibility import _set_mode
from tests.conftest import ADMIN_PASSWORD, now_utc

SHOTS = Path("/tmp/staff")  # screenshots to look at, not the README's

# Text cells narrower than this wrap a word a letter or two a line (the events list's
# 场次 column, names in the registrations list, before the cards).
NARROWEST_CELL = 100
CELL_WIDTHS = """() => [...document.querySelectorAll('main table td, main table th')]
  .filter(c => c.offsetParent !== null && c.textContent.trim())
  .filter(c => c.getBoundingClientRect().width > 1)  // not the header kept for screen readers
  .map(c => [c.textContent.trim().slice(0, 20), Math.round(c.getBoundingClientRect().width)])"""
# Every control in the page and the staff menu, smaller than 44 px either way. A checkbox
# counts as its label, which is the target.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'main a, main button, main summary, main input:not([type=hidden]), main select, main textarea')]
  .filter(el => el.offsetParent !== null && !(el.type === 'checkbox' && el.closest('label')))
  .map(el => [(el.textContent || el.name || el.type).trim().slice(0, 20), el.getBoundingClientRect()])
  .filter(([, r]) => r.width < 44 || r.height < 44)
  .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


def login(page, base, username="admin"):
    from tests.conftest import STAFF_PASSWORD

    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", ADMIN_PASSWORD if username == "admin" else STAFF_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff/events")


@pytest.fixture
def workspace_data(db, make_event, make_registration, make_staff):
    """Two events (one with a live slot and a waiting list), registrations, an invitation,
    a dissatisfied evaluation to follow up and a message the mail server refused."""
    from app.services import feedback
    from app.services.invitations import create_invitation, reserve_seats

    make_staff("admin", "admin")
    make_staff("door", "staff")
    start = now_utc() - timedelta(minutes=30)
    event = make_event(slug="phone-tour", title="公共机构节能宣传周开放日", waitlist=True, slots=[
        {"key": "am", "label": "上午场", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=3)).isoformat(), "capacity": 30, "mode": "onsite"},
        {"key": "pm", "label": "下午场（线上直播）", "starts_at": (start + timedelta(hours=4)).isoformat(),
         "ends_at": (start + timedelta(hours=6)).isoformat(), "capacity": 200, "mode": "online"}])
    make_event(slug="volunteer-drive", kind="volunteer", title="垃圾分类检查志愿者招募")
    people = [make_registration(event, name=f"参观者{i}", phone=f"1380000{i:04d}",
                                email="zhang@example.com") for i in range(4)]
    reserve_seats(event.slots[0], 2)
    create_invitation(event, event.slots[0], label="人大代表、政协委员和市民代表组", max_uses=2)
    feedback.submit(event, {"overall": 1, "comment": "排队时间太长，指示牌不清楚",
                            "wants_reply": True, "contact": "13912345678"},
                    registration=people[0])
    db.session.add(OutboxMessage(
        kind="confirmation", registration_id=people[1].id, recipient="zhang@example.com",
        subject="报名确认", body_text="…", status="failed", attempts=5,
        last_error="SMTPRecipientsRefused: 450 4.2.1 <zhang@example.com> mailbox unavailable"))
    db.session.commit()
    return {"event_id": event.id, "first_id": people[0].id}


def staff_pages(data):
    return ["/staff/events", "/staff/events/phone-tour", "/staff/events/phone-tour/dashboard",
            "/staff/events/phone-tour/registrations", f"/staff/registrations/{data['first_id']}",
            "/staff/events/phone-tour/walk-in", "/staff/events/phone-tour/invitations",
            "/staff/accounts", "/staff/audit", "/staff/mail", "/staff/follow-ups",
            "/staff/events/phone-tour/edit"]


def labels_shown(page, row):
    """The column names a card shows in front of its values (CSS generated text)."""
    return page.locator(row).evaluate(
        "tr => [...tr.cells].filter(c => c.offsetParent !== null)"
        ".map(c => getComputedStyle(c, '::before').content)"
        ".filter(t => t && t !== 'none').map(t => JSON.parse(t))")


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_every_staff_page_reads_on_a_phone(live_server, phone_page, workspace_data):
    page = phone_page
    page.goto(f"{live_server}/staff/login")
    width, viewport = page.evaluate(PAGE_WIDTH)
    assert width <= viewport and page.evaluate(SMALL_TARGETS) == []
    shot(page, "phone-login")
    login(page, live_server)
    for path in staff_pages(workspace_data):
        assert page.goto(f"{live_server}{path}").status == 200, path
        width, viewport = page.evaluate(PAGE_WIDTH)
        assert width <= viewport, (path, width)
        narrow = [cell for cell in page.evaluate(CELL_WIDTHS) if cell[1] < NARROWEST_CELL]
        assert narrow == [], (path, narrow)
        assert page.evaluate(SMALL_TARGETS) == [], path
        shot(page, "phone" + path.replace("/", "_"))
    # A card says what each value is: its column's name stands in front of it.
    page.goto(f"{live_server}/staff/events/phone-tour/registrations")
    assert page.locator("#registrations thead").bounding_box()["height"] <= 1
    assert labels_shown(page, "#registrations tbody tr >> nth=0") == [
        "姓名", "手机", "场次", "人数", "状态", "来源", "报名时间"]
    page.goto(f"{live_server}/staff/events")
    assert labels_shown(page, "#events tbody tr >> nth=0") == ["状态", "报名时间", "场次"]
    # At the door, someone who registered online: their ticket, one tap away.
    page.goto(f"{live_server}/staff/events/phone-tour/walk-in")
    page.fill("#name", "参观者0")
    page.fill("#phone", "13800000000")
    page.click("main form.card button[type=submit]")
    link = page.locator("#existing-registration a")
    expect(link).to_have_text("查看这条报名")
    # The answer's text shows before its stylesheets have loaded on a busy machine: measure
    # the page as it is laid out once they have.
    page.wait_for_load_state("load")
    width, viewport = page.evaluate(PAGE_WIDTH)
    assert width <= viewport and page.evaluate(SMALL_TARGETS) == []
    shot(page, "phone-walk-in-already-registered")
    link.click()
    page.wait_for_url(f"{live_server}/staff/registrations/{workspace_data['first_id']}")


@pytest.mark.parametrize("lang, elder", [("zh", True), ("en", False), ("en", True)])
def test_staff_pages_fit_a_phone_in_large_text_and_english(browser, live_server, workspace_data,
                                                           lang, elder):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    _set_mode(context, live_server, lang, elder)
    page = context.new_page()
    try:
        login(page, live_server)
        for path in staff_pages(workspace_data):
            page.goto(f"{live_server}{path}")
            width, viewport = page.evaluate(PAGE_WIDTH)
            assert width <= viewport, (path, width)
        shot(page, f"phone-{lang}-{'elder' if elder else 'normal'}-edit")
        page.goto(f"{live_server}/staff/events/phone-tour/registrations")
        shot(page, f"phone-{lang}-{'elder' if elder else 'normal'}-registrations")
    finally:
        context.close()


def test_the_desktop_keeps_its_tables(live_server, desktop_page, workspace_data):
    page = desktop_page
    login(page, live_server)
    for path in staff_pages(workspace_data):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
        for table in page.locator("main table").all():
            assert table.evaluate("t => getComputedStyle(t).display") == "table", path
        shot(page, "desk" + path.replace("/", "_"))
    # The password reset reads as a control, not as plain text.
    page.goto(f"{live_server}/staff/accounts")
    summary = page.locator("#accounts summary").first
    assert summary.evaluate("s => getComputedStyle(s).borderTopStyle") == "solid"


def test_searching_and_paging_on_a_phone(live_server, phone_page, workspace_data, db,
                                         make_registration):
    event = db.session.get(Registration, workspace_data["first_id"]).event
    for i in range(workspace.PER_PAGE + 2):
        make_registration(event, slot=event.slots[1], name=f"直播观众{i:02d}",
                          phone=f"1370000{i:04d}")
    make_registration(event, name="王😀小明", phone="13912345678")
    page = phone_page
    login(page, live_server, "door")
    base = f"{live_server}/staff/events/phone-tour/registrations"

    def search(text):
        page.goto(base)
        page.fill("#q", text)
        page.click("form[role=search] button[type=submit]")
        page.wait_for_load_state()
        return page.locator("#registrations tbody tr")

    assert search("５６７８").count() == 1  # full-width digits from a Chinese keyboard
    assert search("+86 139 1234 5678").count() == 1
    assert search("😀").count() == 1
    rows = search("\u202d139-1234-5678\u202c")  # pasted from the phone's contacts
    assert rows.count() == 1 and "139****5678" in rows.first.inner_text()
    # Twenty thousand characters pasted: the box keeps 50, and the page answers.
    search("9" * 20000)
    assert page.input_value("#q") == "9" * 50
    assert "没有符合条件的报名" in page.inner_text("main")

    # Filters together, then the next page: the filters stay.
    page.goto(f"{base}?slot=pm&status=confirmed")
    assert "第 1 / 2 页" in page.inner_text("main")
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**page=2**")
    assert page.input_value("#slot") == "pm" and page.input_value("#status") == "confirmed"
    assert page.locator("#registrations tbody tr").count() == 2
    # Past the end (an old bookmark): the last page, with the way back.
    page.goto(f"{base}?slot=pm&page=99")
    assert "第 2 / 2 页" in page.inner_text("main")
    expect(page.get_by_role("link", name="上一页")).to_be_visible()
    width, viewport = page.evaluate(PAGE_WIDTH)
    assert width <= viewport and page.evaluate(SMALL_TARGETS) == []
    shot(page, "phone-registrations-last-page")


def test_back_after_cancelling_on_someones_behalf_and_two_admins(live_server, browser, phone_page,
                                                                 workspace_data, db, make_staff):
    make_staff("admin2", "admin")
    detail = f"{live_server}/staff/registrations/{workspace_data['first_id']}"
    page = phone_page
    login(page, live_server)
    page.goto(detail)
    # A second admin, at a desk, opens the same registration before the first cancels it.
    other = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk = other.new_page()
    try:
        login(desk, live_server, "admin")
        desk.goto(detail)
        page.fill("#reason", "本人来电取消")
        page.click("button:has-text('确认取消')")
        page.wait_for_load_state()
        assert "已代为取消报名" in page.inner_text("main")
        # Back: the page as it is now (no cancel form from before), not the stale copy.
        page.go_back()
        page.wait_for_load_state()
        assert "已取消" in page.inner_text("main")
        assert page.locator("#reason").count() == 0
        # The other admin still sees the form from before, and sends it: told, not twice.
        desk.fill("#reason", "重复操作")
        desk.click("button:has-text('确认取消')")
        desk.wait_for_load_state()
        assert "这条报名已经取消" in desk.inner_text("main")
    finally:
        other.close()
    db.session.expire_all()
    rows = db.session.execute(select(AuditLog).where(
        AuditLog.action == "registration.cancel")).scalars().all()
    assert len(rows) == 1 and rows[0].detail["reason"] == "本人来电取消"
