"""Chromium: what a citizen wrote in an evaluation, line by line on their phone (a numbered
list of complaints), reads line by line on the results page and the follow-up list; so does
the note staff write when they close a follow-up."""
from datetime import timedelta

from app.services import feedback
from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc

COMMENT = "1. 排队时间太长\n2. 指示牌不清楚\n3. 卫生间太远"
SUGGESTION = "多设几个指示牌\n增加休息座位"
NOTE = "已电话回复本人。\n已在入口增设指示牌。"
LINES = """sel => [...document.querySelectorAll(sel)].map(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
})"""


def test_comments_keep_their_lines(live_server, browser, db, make_event, make_registration,
                                   make_staff):
    make_staff("admin", "admin")
    start = now_utc() - timedelta(hours=3)
    event = make_event(slug="said", title="后勤管家开放日", slots=[
        {"key": "am", "label": "上午场", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 10, "mode": "onsite"}])
    person = make_registration(event, name="张三", phone="13900001111")
    feedback.submit(event, {"overall": 1, "comment": COMMENT, "suggestions": SUGGESTION},
                    registration=person)
    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/said/results")
        # Before: "1. 排队时间太长 2. 指示牌不清楚 3. 卫生间太远" on one line.
        assert page.evaluate(LINES, ".comment p:has(strong)") == [3, 2]
        page.goto(f"{live_server}/staff/follow-ups")
        assert page.evaluate(LINES, ".follow-up p:has(strong)")[-2:] == [3, 2]
        page.fill(".follow-up textarea", NOTE)
        page.click(".follow-up button[type=submit]")
        page.wait_for_load_state("load")
        page.goto(f"{live_server}/staff/follow-ups?show=closed")
        assert page.evaluate(LINES, ".follow-up .flash-success") == [2]
    finally:
        context.close()
