"""Staff write the event's introduction (活动介绍) and its notes (参加须知) in a text box,
line by line: a programme, a numbered list. Citizens see those lines as lines on the event
page and the ticket, not run together into one paragraph."""
import pytest

from tests.browser.test_accessibility import _set_mode

DESCRIPTION = "活动安排：\n1. 参观屋顶光伏\n2. 垃圾分类体验"
NOTES = "请携带身份证。\n请提前十分钟到达。"

# The text of an element, line by line as laid out (one entry per line box, top to bottom).
LAID_OUT_LINES = """el => { const range = document.createRange(); range.selectNodeContents(el);
  const tops = new Set(); for (const r of range.getClientRects()) { if (r.width > 0) tops.add(Math.round(r.top)); }
  return tops.size; }"""


@pytest.fixture
def ticket_url(db, make_event, make_registration, live_server):
    event = make_event(slug="lines-day", description=DESCRIPTION, what_to_bring=NOTES)
    token = make_registration(event).token
    db.session.rollback()
    return f"{live_server}/tickets/{token}"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_lines_staff_typed_stay_lines(browser, live_server, ticket_url, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    _set_mode(context, live_server, "zh", False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/lines-day")
        description = page.locator("main p", has_text="活动安排")
        # Each line short enough for one line box on either screen: three lines, no more.
        assert description.evaluate(LAID_OUT_LINES) == 3
        notes = page.locator("main p.note", has_text="请携带身份证")
        assert notes.evaluate(LAID_OUT_LINES) == 2
        page.goto(ticket_url)
        notes = page.locator("main p.note", has_text="请携带身份证")
        assert notes.evaluate(LAID_OUT_LINES) == 2
    finally:
        context.close()
