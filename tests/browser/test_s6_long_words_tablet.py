"""Chromium on a tablet (820x1180) and a desktop: an event's title or a slot's name with a
run that has no space to wrap at (a link, a long English word) pushed the events list, the
event's page, its dashboard and its invitations page past the screen's right edge, and the
figures beside the name with it."""
from datetime import timedelta

import pytest

from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc

# A WeChat article's link pasted in: its token has no place a line may break.
RUN = "https://mp.weixin.qq.com/s/" + "Xb3kd9QwZ7pLm2RtY8vNc4" * 4
WIDER_THAN_THE_PAGE = """() => document.documentElement.scrollWidth
  > document.documentElement.clientWidth"""


@pytest.mark.parametrize("size", [(820, 1180), (1280, 900)])
def test_long_runs_wrap_inside_their_cells(live_server, browser, db, make_event, make_staff,
                                           size):
    make_staff("admin", "admin")
    start = now_utc() + timedelta(days=1)
    make_event(slug="long-run", title="节能宣传周开放日 " + RUN, slots=[
        {"key": "am", "label": "上午场 " + RUN, "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 100000,
         "mode": "onsite"}])
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        for path in ("/staff/events", "/staff/events/long-run",
                     "/staff/events/long-run/dashboard", "/staff/events/long-run/invitations",
                     "/staff/events/long-run/walk-in"):
            page.goto(live_server + path)
            assert not page.evaluate(WIDER_THAN_THE_PAGE), f"{path} scrolls sideways"
    finally:
        context.close()
