"""Chromium: the quarterly report as printed on A4 for the bureau's leaders: the per-event
table's headings read across (场次, 志愿者), and nothing is cut off at the paper's edge."""
from datetime import timedelta

from app.models import CheckIn
from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc

TITLE = "松江区机关事务管理局二〇二六年度公共机构节能宣传周暨垃圾分类与食堂餐饮节约主题开放日"
# The heading cells of the per-event table, and how many lines each one's text takes.
HEADING_LINES = """() => [...document.querySelectorAll('.report-table th')].map(th => {
  const range = document.createRange();
  range.selectNodeContents(th);
  return [th.textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
})"""


def test_the_printed_report_reads_across(mid_quarter, live_server, browser, db, make_event,
                                         make_registration, make_staff):
    make_staff("admin", "admin")
    start = now_utc() - timedelta(days=2)
    event = make_event(slug="past-day", title=TITLE, slots=[
        {"key": "am", "label": "上午场", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 100, "mode": "onsite"}])
    people = [make_registration(event, name=f"参观者{i}", phone=f"1350000{i:04d}") for i in range(4)]
    for person in people[:3]:
        db.session.add(CheckIn(registration_id=person.id, event_id=event.id, gate="东门",
                               checked_in_at=start))
    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/report")
        # A4 portrait less the page's margins (180 mm at 96 dpi), as the browser prints it.
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 680, "height": 1000})
        headings = dict(page.evaluate(HEADING_LINES))
        # Before: 场/次, 报/名, 志/愿/者 one character a line.
        assert {name: lines for name, lines in headings.items() if lines > 1} == {}
        # The table fits the paper: a box that scrolls on screen would cut it off in print.
        assert page.locator(".report-table").evaluate(
            "t => t.getBoundingClientRect().right <= document.documentElement.clientWidth")
        assert page.locator(".table-scroll").evaluate("b => b.scrollWidth <= b.clientWidth")
    finally:
        context.close()
