"""An invitation to an online session: the invitee reads that it is online, not the
building's address (which would send them across town for a video call)."""
from datetime import timedelta

from tests.browser.test_accessibility import _set_mode
from tests.conftest import iso, now_utc


def test_an_online_invitation_says_online_and_gives_no_address(browser, live_server, db,
                                                               make_event):
    from app.services.invitations import create_invitation

    start = now_utc() + timedelta(days=2)
    event = make_event(slug="online-invite", location="松江区园中路1号 区行政中心1号楼", slots=[
        {"key": "web", "label": "线上直播场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=1)), "capacity": 50, "mode": "online",
         "join_url": "https://meeting.example.cn/j/1"},
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=1)), "capacity": 50, "mode": "onsite"}])
    online = create_invitation(event, event.slots[0], label="社区居民代表").token
    onsite = create_invitation(event, event.slots[1], label="人大代表").token
    db.session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/invite/{online}")
        card = page.locator("main article")
        assert "线上参加" in card.inner_text()
        assert "园中路" not in card.inner_text()
        page.goto(f"{live_server}/invite/{onsite}")
        assert "地点：松江区园中路1号 区行政中心1号楼" in page.locator("main article").inner_text()
    finally:
        context.close()
