"""The ticket's other states and the refusal page look right on a phone and a desktop."""
from datetime import timedelta

from tests.conftest import iso, now_utc


def test_waitlisted_online_and_refused_pages(app, db, make_event, make_registration, live_server,
                                            phone_page, desktop_page, tmp_path):
    event = make_event(waitlist=True)
    for _ in range(5):
        make_registration(event, party_size=2)
    waiting = make_registration(event, name="候补的人")
    start = now_utc() + timedelta(days=2)
    online = make_event(slug="online-day", slots=[{
        "key": "web", "label": "线上场", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)), "capacity": 50, "mode": "online",
        "join_url": "https://meeting.example.cn/j/123"}])
    online_ticket = make_registration(online)
    full = make_event(slug="full-day", slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)), "capacity": 1, "mode": "onsite"}])
    make_registration(full)
    last_seat = make_event(slug="last-seat", slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)), "capacity": 1, "mode": "onsite"}])
    tokens = (waiting.token, online_ticket.token)
    db.session.rollback()

    page = phone_page
    page.goto(f"{live_server}/tickets/{tokens[0]}")
    assert page.get_by_text("候补中").is_visible()
    assert page.locator("figure.ticket-qr").count() == 0
    page.screenshot(path=str(tmp_path / "waitlisted.png"), full_page=True)

    page.goto(f"{live_server}/tickets/{tokens[1]}")
    join = page.get_by_role("link", name="进入线上会场")
    assert join.is_visible() and join.get_attribute("href") == "https://meeting.example.cn/j/123"
    assert page.locator("figure.ticket-qr").count() == 0
    page.screenshot(path=str(tmp_path / "online.png"), full_page=True)

    page.goto(f"{live_server}/events/full-day/register")
    assert page.get_by_text("所有场次的名额都已约满").is_visible()
    assert page.locator("form.register-form").count() == 0

    # The last seat goes while this person is still typing.
    page.goto(f"{live_server}/events/last-seat/register")
    page.get_by_label("姓名").fill("来晚了")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("我已阅读并同意《个人信息保护说明》").check()
    make_registration(last_seat)
    db.session.rollback()
    page.get_by_role("button", name="提交报名").click()
    assert page.get_by_text("该场次已约满").is_visible()
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)

    desktop_page.goto(f"{live_server}/events/test-open-day/register")
    desktop_page.screenshot(path=str(tmp_path / "form-desktop.png"), full_page=True)
    form_box = desktop_page.locator("form.register-form").bounding_box()
    heading_box = desktop_page.locator("h1").bounding_box()
    assert form_box["width"] <= 620 and abs(form_box["x"] - heading_box["x"]) < 2


def test_large_text_mode_fits_a_phone(app, db, make_event, make_registration, live_server,
                                      phone_page, tmp_path):
    event = make_event(max_party_size=4)
    token = make_registration(event, name="欧阳娜娜").token
    db.session.rollback()
    phone_page.context.add_cookies([{"name": "elder", "value": "1",
                                     "url": live_server}])
    for path in ("/events/test-open-day", "/events/test-open-day/register", f"/tickets/{token}",
                 f"/tickets/{token}/cancel"):
        phone_page.goto(live_server + path)
        assert phone_page.evaluate("document.documentElement.className") == "elder"
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390, path
    phone_page.goto(f"{live_server}/events/test-open-day/register")
    phone_page.screenshot(path=str(tmp_path / "elder-form.png"), full_page=True)
    button = phone_page.get_by_role("button", name="提交报名").bounding_box()
    assert button["height"] >= 60
