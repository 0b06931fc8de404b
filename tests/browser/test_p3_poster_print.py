"""The venue poster printed to A4 is one sheet whatever the screen it is printed from: staff
who read in large text (elder mode), in English, from a phone, with a long event title."""
import re

import pytest

TITLE = "2026年公共机构节能宣传周暨垃圾分类与食堂餐饮节约主题开放日活动"


def pdf_pages(pdf):
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_poster_prints_on_one_sheet_in_large_text(live_server, browser, db, make_event, lang):
    slug = make_event(slug="poster-print", title=TITLE).slug
    db.session.remove()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_cookies([{"name": "elder", "value": "1", "url": live_server},
                         {"name": "lang", "value": lang, "url": live_server}])
    try:
        page = context.new_page()
        page.goto(f"{live_server}/events/{slug}/poster")
        page.wait_for_function("document.querySelector('img.poster-qr').naturalWidth > 0")
        assert pdf_pages(page.pdf(format="A4", print_background=True)) == 1
    finally:
        context.close()
