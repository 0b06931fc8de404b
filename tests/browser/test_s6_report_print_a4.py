"""Chromium: the quarterly report printed on A4 portrait fits the paper in English as in
Chinese. English headings ("Registrations", "Satisfaction rate") are far wider than 报名 and
满意率: the per-event table, in a box that scrolls on screen, lost its last columns past the
paper's right edge ("Eva…", no satisfaction rate at all)."""
import shutil
import subprocess  # nosec B404 - poppler's pdftotext, run on a PDF this test made
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from app.models import CheckIn
from app.services import feedback
from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc

TITLES = ("松江区机关事务管理局二〇二六年度公共机构节能宣传周暨垃圾分类与食堂餐饮节约主题开放日",
          "Logistics open day (online + offline) of the Government Offices Administration",
          "后勤管家开放日")
# Every cell of the per-event table whose right edge passes the printable width (the
# main column's content box, as the browser lays out a page).
PAST_THE_EDGE = """() => {
  const main = document.querySelector('main');
  const edge = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  return [...document.querySelectorAll('.report-table th, .report-table td')]
    .filter(cell => cell.getBoundingClientRect().right > edge + 0.5)
    .map(cell => cell.textContent.trim());
}"""
A4_WIDTH_PT, MARGIN_PT = 595.28, 15 / 25.4 * 72


@pytest.fixture
def held_events(mid_quarter, db, make_event, make_registration, make_staff):
    make_staff("admin", "admin")
    start = now_utc() - timedelta(days=2)
    for n, title in enumerate(TITLES):
        event = make_event(slug=f"held-{n}", title=title, slots=[
            {"key": "am", "label": "上午场", "starts_at": start.isoformat(),
             "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 100,
             "mode": "onsite"}])
        people = [make_registration(event, name=f"参观者{i}", phone=f"135{n}000{i:04d}")
                  for i in range(12)]
        for person in people[:9]:
            db.session.add(CheckIn(registration_id=person.id, event_id=event.id, gate="东门",
                                   checked_in_at=start))
        for level, person in zip((4, 3, 1), people, strict=False):
            feedback.submit(event, {"overall": level}, registration=person)
    db.session.commit()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_printed_report_fits_a4(held_events, live_server, browser, lang, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/report?lang={lang}")
        page.emulate_media(media="print")
        # A4 portrait less the page's 15 mm margins: 180 mm at 96 dpi, as Chromium prints.
        page.set_viewport_size({"width": 680, "height": 1000})
        assert page.evaluate(PAST_THE_EDGE) == []
        assert page.locator(".table-scroll").evaluate("b => b.scrollWidth <= b.clientWidth")
        last_heading = page.locator(".report-table th").last.inner_text()
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4")
    finally:
        context.close()
    if not shutil.which("pdftotext"):
        return  # poppler-utils not installed: the layout check above stands alone
    boxes = tmp_path / "report.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(boxes)], check=True)  # nosec B603 B607
    words = ElementTree.fromstring(boxes.read_text(encoding="utf-8").replace(
        ' xmlns="http://www.w3.org/1999/xhtml"', ""))
    right_edges = {w.text: float(w.get("xMax")) for w in words.iter("word")}
    # The last column's heading is on the paper, inside its right margin; so is every word.
    first_word = last_heading.split()[0]
    assert first_word in right_edges, f"{first_word!r} is not on the printed page"
    assert max(right_edges.values()) <= A4_WIDTH_PT - MARGIN_PT + 1
