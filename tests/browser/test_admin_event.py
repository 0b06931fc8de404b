"""Chromium: an admin logs in and sets up an event with two slots through the pages."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Event
from tests.conftest import ADMIN_PASSWORD, SCREENSHOTS, now_utc

TZ = ZoneInfo("Asia/Shanghai")


def local(dt):
    return dt.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def login(page, base):
    page.goto(f"{base}/staff/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff/events")


def test_admin_creates_an_event_with_two_slots(live_server, desktop_page, make_staff, db):
    make_staff("admin", "admin")
    page = desktop_page
    login(page, live_server)
    page.click("text=新建活动 >> nth=0")
    page.wait_for_url(f"{live_server}/staff/events/new")
    start = now_utc() + timedelta(days=14)
    page.fill("#slug", "browser-open-day")
    page.fill("#title", "节能宣传周开放日（浏览器测试）")
    page.fill("#description", "参观节能设施、垃圾分类和食堂")
    page.fill("#location", "松江区行政中心")
    page.fill("#registration_opens_at", local(now_utc() - timedelta(hours=1)))
    page.fill("#registration_closes_at", local(start - timedelta(days=1)))
    page.fill("#max_party_size", "4")
    page.check("#waitlist")
    page.fill("#feedback_topics", "公共机构节能\n垃圾分类\n食堂餐饮节约")
    for i, (key, label) in enumerate((("am", "上午场"), ("pm", "下午场"))):
        begin = start + timedelta(hours=4 * i)
        page.fill(f"#slots-{i}-key", key)
        page.fill(f"#slots-{i}-label", label)
        page.fill(f"#slots-{i}-starts_at", local(begin))
        page.fill(f"#slots-{i}-ends_at", local(begin + timedelta(hours=2)))
        page.fill(f"#slots-{i}-capacity", str(50 + i * 10))
    page.click("button:has-text('保存')")
    page.wait_for_url(f"{live_server}/staff/events/browser-open-day")
    assert page.locator(".flash-success").is_visible()
    rows = page.locator("#slots tbody tr")
    assert rows.count() == 2
    assert "上午场" in rows.nth(0).inner_text() and "下午场" in rows.nth(1).inner_text()
    page.click("button:has-text('发布')")
    page.wait_for_url(f"{live_server}/staff/events/browser-open-day")
    assert "已发布" in page.locator("h1").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-event.png"), full_page=True)
    # The same form, now filled from the stored event (a screenshot taken before the click
    # above stops Chromium's click from submitting, so it is taken here).
    page.goto(f"{live_server}/staff/events/browser-open-day/edit")
    assert page.input_value("#slots-1-key") == "pm"
    page.screenshot(path=str(SCREENSHOTS / "admin-event-form.png"), full_page=True)

    db.session.expire_all()
    event = db.session.execute(select(Event).where(Event.slug == "browser-open-day")).scalar_one()
    assert event.status == "published"
    assert [(s.key, s.capacity) for s in event.slots] == [("am", 50), ("pm", 60)]


def test_dashboard_refreshes_without_reload(live_server, desktop_page, make_staff, make_event,
                                            make_registration, db):
    make_staff("admin", "admin")
    event = make_event(slug="live-board")
    make_registration(event)
    page = desktop_page
    login(page, live_server)
    page.goto(f"{live_server}/staff/events/live-board/dashboard")
    cell = page.locator('tr[data-slot="am"] [data-field="registered"]')
    assert cell.inner_text() == "1"
    page.locator('#dashboard[data-live="1"]').wait_for()
    make_registration(event, party_size=2)
    # Trigger the poll now rather than wait 15 seconds: the page refreshes on becoming visible.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(cell).to_have_text("3")  # (the page's CSP forbids wait_for_function's eval)
    assert page.locator("#dashboard-updated").inner_text().startswith("已自动更新")
    page.screenshot(path=str(SCREENSHOTS / "admin-dashboard.png"), full_page=True)


def test_invitee_page_on_a_phone(live_server, phone_page, make_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slug="phone-invite")
    reserve_seats(event.slots[0], 2)
    invitation = create_invitation(event, event.slots[0], label="人大代表、政协委员", max_uses=2)
    token = invitation.token  # read before the commit: reading after it would open (and
    db.session.commit()       # hold) a new SQLite write transaction in this thread
    page = phone_page
    page.goto(f"{live_server}/invite/{token}")
    assert "人大代表" in page.inner_text("main")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(SCREENSHOTS / "invite-phone.png"), full_page=True)
    page.fill("#name", "代表甲")
    page.fill("#phone", "13700000001")
    page.check("#consent")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/tickets/**")


STAFF_PAGES = ["/staff/events", "/staff/events/tour", "/staff/events/tour/registrations",
               "/staff/events/tour/walk-in", "/staff/events/tour/dashboard",
               "/staff/events/tour/invitations", "/staff/events/tour/edit", "/staff/accounts",
               "/staff/audit"]


def _tour_data(make_event, make_registration, db):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slug="tour")
    for i in range(3):
        make_registration(event, name=f"参观者{i}", phone=f"1380000{i:04d}")
    reserve_seats(event.slots[0], 2)
    create_invitation(event, event.slots[0], label="市民代表组", max_uses=2)
    db.session.commit()


def test_every_staff_page_fits_a_desktop(live_server, desktop_page, make_staff, make_event,
                                         make_registration, db, tmp_path):
    make_staff("admin", "admin")
    _tour_data(make_event, make_registration, db)
    page = desktop_page
    login(page, live_server)
    for path in STAFF_PAGES:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
        page.screenshot(path=str(tmp_path / (path.strip("/").replace("/", "_") + ".png")),
                        full_page=True)
    page.goto(f"{live_server}/staff/events/tour/registrations")
    page.screenshot(path=str(SCREENSHOTS / "admin-registrations.png"), full_page=True)


def test_wide_staff_tables_scroll_inside_their_box_on_a_tablet_in_english(
        live_server, browser, make_staff, make_event, make_registration, db):
    """English headers and date pickers make the registrations list and the slot rows wider
    than a tablet (820 px): they scroll in their own box, and the page keeps its width."""
    make_staff("admin", "admin")
    _tour_data(make_event, make_registration, db)
    tour = db.session.execute(select(Event).where(Event.slug == "tour")).scalar_one()
    make_registration(tour, name="现场来宾", phone="13900000009", source="staff")  # "Entered by staff"
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="en-US")
    page = context.new_page()
    try:
        login(page, live_server)
        for path in ("/staff/events/tour/registrations", "/staff/events/tour/edit"):
            page.goto(f"{live_server}{path}?lang=en")
            assert page.evaluate("document.documentElement.scrollWidth") <= 820, path
        page.goto(f"{live_server}/staff/events/tour/registrations?lang=en")
        # the moment someone registered, not the event's registration period
        assert page.inner_text("#registrations th >> nth=-1") == "Registered at"
    finally:
        context.close()


def test_door_staff_pages_work_on_a_phone(live_server, phone_page, make_staff, make_event,
                                          make_registration, db):
    from tests.conftest import STAFF_PASSWORD

    make_staff("door", "staff")
    _tour_data(make_event, make_registration, db)
    page = phone_page
    page.goto(f"{live_server}/staff/login")
    page.fill("#username", "door")
    page.fill("#password", STAFF_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/staff/events")
    # What door staff come for is in sight, not past the right edge of a scrolling table.
    checkin_link = page.get_by_role("link", name="签到", exact=True).first
    box = checkin_link.bounding_box()
    assert box["x"] + box["width"] <= 390 and box["height"] >= 44
    page.screenshot(path=str(SCREENSHOTS / "staff-events-phone.png"), full_page=True)
    # The lists too: a wide table scrolls inside the page instead of widening it.
    for path in ("/staff/events", "/staff/events/tour/registrations", "/staff/events/tour/walk-in"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.fill("#name", "现场来宾")
    page.fill("#phone", "13912345678")
    page.click("main form.card button[type=submit]")
    page.wait_for_url(f"{live_server}/staff/registrations/**")
    assert "139****5678" in page.inner_text("main")
    assert "13912345678" not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "staff-walk-in-phone.png"), full_page=True)
