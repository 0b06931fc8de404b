"""The help line in a sentence keeps the full stop after it: '…请拨打咨询电话 021-57700000。到场时…'
on a phone in large text put the number at the end of a line and began the next line with
'。' (a line may break after an inline-block); the number still has a full tap target."""

# The line the number's text is on, and the line its next character is on.
LINES = """el => {
  const after = document.createRange();
  after.setStart(el.nextSibling, 0); after.setEnd(el.nextSibling, 1);
  const text = document.createRange(); text.selectNodeContents(el);
  const rects = [...text.getClientRects()];
  return {number: rects[rects.length - 1].top, stop: after.getClientRects()[0].top,
          next: el.nextSibling.textContent[0], box: el.getBoundingClientRect().height};
}"""


def test_the_full_stop_after_the_help_line_stays_on_its_line(browser, live_server, make_event):
    make_event()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()
    page.goto(f"{live_server}/events/test-open-day")
    link = page.locator("#find-ticket a.tel-link")
    lines = link.evaluate(LINES)
    assert lines["next"] == "。"
    assert abs(lines["stop"] - lines["number"]) < 4, lines
    assert lines["box"] >= 64, lines  # large text: a 64 px target
    # The padding takes the tap: just inside the top of its box, the link is what is hit.
    link.scroll_into_view_if_needed()
    box = link.bounding_box()
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).className",
                        [box["x"] + box["width"] / 2, box["y"] + 2])
    assert hit == "tel-link"
    context.close()
