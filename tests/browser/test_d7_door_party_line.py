"""The answer panel keeps the party size on one line: on a 360 px phone in large text and
English, "party of" ended one line and the "2" stood alone on the next, under the name."""
import pytest

from tests.browser.test_checkin_screen import (
    door,  # noqa: F401  (the fixture)
    login,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

LINES_OF = """([selector, text]) => {
  const box = document.querySelector(selector);
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.textContent.indexOf(text);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + text.length);
      return new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;
    }
  }
  return -1;
}"""


def test_the_party_size_is_not_split_over_two_lines(door, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    host = door["url"].split("//")[1].split(":")[0]
    context.add_cookies([{"name": "elder", "value": "1", "domain": host, "path": "/"}])
    page = context.new_page()
    try:
        login(page, door["url"])
        page.goto(f"{door['url']}/staff/events/door-day/checkin?lang=en")
        page.locator("#checkin[data-list-size='3']").wait_for()
        page.fill("#scan-input", door["tickets"][0]["number"])
        page.press("#scan-input", "Enter")
        page.locator("#result.ck-ok").wait_for()
        assert "party of 2" in page.locator("#result-name").inner_text()
        assert page.evaluate(LINES_OF, ["#result-name", "party of 2"]) == 1
    finally:
        context.close()
