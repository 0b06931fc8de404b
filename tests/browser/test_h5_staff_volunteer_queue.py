"""Chromium: the volunteer review queue at a desk and on a tablet: what an applicant wrote
about their experience reads as lines of text, not a column of a few characters."""
from datetime import timedelta

import pytest

from app.services import volunteers
from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc
from tests.services.test_volunteers import shift

EXPERIENCE = ("2019 年起在岳阳街道做垃圾分类督导，每周两次在小区投放点值守，"
              "熟悉四分类标准，能用上海话和普通话向老年居民讲解，也参加过区里的桶前值守培训。")
# How many characters of the body text fit on one line of the experience cell.
CHARS_A_LINE = """() => {
  const td = document.querySelector('.review-table tbody tr:first-child td.free-text');
  const style = getComputedStyle(td);
  return (td.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight))
    / parseFloat(style.fontSize);
}"""


@pytest.fixture
def queue(db, make_event, make_staff):
    make_staff("admin", "admin")
    start = (now_utc() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    drive = make_event(slug="drive", kind="volunteer", max_party_size=1, title="垃圾分类检查志愿者招募",
                       slots=[shift(f"d{n}", f"{n + 1}号楼投放点 早班", start + timedelta(days=n),
                                    capacity=10) for n in range(3)])
    for i in range(4):
        volunteers.apply(drive, [drive.slots[i % 3]], name=f"志愿者{i}", phone=f"1370000{i:04d}",
                         age_group="46-60", organisation="岳阳街道龙潭居委会", experience=EXPERIENCE,
                         availability="工作日上午、周六全天", code_agreed=True, consent_version="test")
    db.session.commit()


@pytest.mark.parametrize("width, height", [(1280, 800), (820, 1180)])
def test_experience_reads_as_lines(browser, live_server, queue, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/drive/volunteers")
        # Before: four characters a line on a tablet, a 120-character answer 30 lines tall.
        assert page.evaluate(CHARS_A_LINE) >= 11
        # The decision stays in sight beside it, and the page does not scroll sideways.
        approve = page.locator(".review-table tbody tr").first.get_by_role("button", name="通过", exact=True)
        box = approve.bounding_box()
        assert box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
