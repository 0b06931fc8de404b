"""The links in a refused form's error list ("请修改以下内容") are tap targets an elderly
finger can hit: at least 44 px tall (60 px in large text), as the volunteer form's are, on
the registration, evaluation and invitation forms too."""
from datetime import timedelta

import pytest

from tests.browser.test_accessibility import MODES, _set_mode
from tests.conftest import iso, now_utc


@pytest.fixture
def forms(db, make_event, make_registration, live_server):
    from app.services.invitations import create_invitation

    event = make_event(slug="error-list")  # its slot tomorrow: the form is open
    invitation = create_invitation(event, event.slots[0], label="社区代表").token
    begun = now_utc() - timedelta(hours=1)
    started = make_event(slug="begun", slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(begun),
        "ends_at": iso(begun + timedelta(hours=3)), "capacity": 10, "mode": "onsite"}])
    ticket = make_registration(started).token
    db.session.commit()
    return {"报名": f"{live_server}/events/error-list/register",
            "评价": f"{live_server}/tickets/{ticket}/feedback",
            "邀请": f"{live_server}/invite/{invitation}"}


@pytest.mark.parametrize("mode, width", [("standard", 320), ("standard", 390), ("elder", 390)])
def test_error_list_links_are_full_size_targets(browser, live_server, forms, mode, width):
    least = MODES[mode]["target"]
    context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    _set_mode(context, live_server, "zh", mode == "elder")
    page = context.new_page()
    try:
        small = {}
        for name, url in forms.items():
            page.goto(url)
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            links = page.locator(".error-summary a")
            assert links.count() > 0, name
            for i in range(links.count()):
                box = links.nth(i).bounding_box()
                if box["height"] < least:
                    small.setdefault(name, []).append(round(box["height"]))
        assert not small, small
    finally:
        context.close()
