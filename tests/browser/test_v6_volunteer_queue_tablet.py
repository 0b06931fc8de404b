"""Chromium: the volunteer review queue on a tablet (820×1180), in English too, and a
reject refused for its missing reason, as a staff member meets it."""
from datetime import timedelta

import pytest

from app.services import volunteers
from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc
from tests.services.test_volunteers import shift

TABLE = """() => {
  const scroller = document.querySelector('.table-scroll');
  const shift = document.querySelector('.review-table tbody tr:first-child td.shift');
  const style = getComputedStyle(shift);
  return {overflow: scroller.scrollWidth - scroller.clientWidth,
          shiftChars: (shift.clientWidth - parseFloat(style.paddingLeft)
                       - parseFloat(style.paddingRight)) / parseFloat(style.fontSize)};
}"""

# Whether the first reason box's placeholder fits inside the box, in the box's own font.
PLACEHOLDER_FITS = """() => {
  const box = document.querySelector('.reason-input'), style = getComputedStyle(box);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return ctx.measureText(box.placeholder).width <= room;
}"""


@pytest.fixture
def queue(db, make_event, make_staff):
    make_staff("admin", "admin")
    start = (now_utc() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    drive = make_event(slug="drive", kind="volunteer", max_party_size=1, title="垃圾分类检查志愿者招募",
                       slots=[shift("am", "1号楼投放点 早班", start, capacity=10),
                              shift("pm", "食堂投放点 午班", start + timedelta(hours=4), capacity=10)])
    for n, name in enumerate(("王芳", "李建国", "欧阳娜娜")):
        volunteers.apply(drive, [drive.slots[n % 2]], name=name, phone=f"1370000{n:04d}",
                         age_group="46-60", organisation="岳阳街道龙潭居委会",
                         experience="2019 年起在岳阳街道做垃圾分类督导，每周两次在小区投放点值守。",
                         availability="工作日上午、周六全天", code_agreed=True, consent_version="test")
    db.session.commit()


@pytest.mark.parametrize("lang, approve", [("zh", "通过"), ("en", "Approve")])
def test_the_decision_stays_on_a_tablet_screen(browser, live_server, queue, lang, approve):
    """In English the status column ("Pending review", never wrapped) pushed the review
    column 90 px past the tablet's edge, and the shift read four characters a line."""
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/drive/volunteers?lang={lang}")
        measured = page.evaluate(TABLE)
        assert measured["overflow"] <= 0, measured
        assert measured["shiftChars"] >= 5, measured
        row = page.locator(".review-table tbody tr").first
        for button in (row.get_by_role("button", name=approve, exact=True), row.locator(".reason-input")):
            box = button.bounding_box()
            assert box["x"] + box["width"] <= 820
        assert page.evaluate("document.documentElement.scrollWidth") <= 820
        # The reason box's hint is read whole, not cut off ("Reason for decl").
        assert page.evaluate(PLACEHOLDER_FITS), page.locator(".reason-input").first.get_attribute("placeholder")
    finally:
        context.close()


def test_a_reject_without_a_reason_keeps_what_was_typed(browser, live_server, queue):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/drive/volunteers?status=pending")
        rows = page.locator(".review-table tbody tr")
        rows.nth(1).locator(".reason-input").fill("名额调整 🙏 <script>")
        rows.nth(2).locator("input[type=checkbox]").check()
        rows.nth(0).get_by_role("button", name="不通过", exact=True).click()
        page.wait_for_load_state()
        rows = page.locator(".review-table tbody tr")
        assert rows.count() == 3
        assert rows.nth(1).locator(".reason-input").input_value() == "名额调整 🙏 <script>"
        assert rows.nth(2).locator("input[type=checkbox]").is_checked()
        assert page.locator('.status-filter a[aria-current="true"]').inner_text().startswith("待审核")
        first_reason = rows.nth(0).locator(".reason-input")
        assert first_reason.get_attribute("aria-invalid") == "true"
        assert "请填写不通过的原因" in page.locator(
            f"#{first_reason.get_attribute('aria-describedby')}").inner_text()
        # Typed now, the same button decides it, and the queue keeps its filter.
        first_reason.fill("年龄不符")
        rows.nth(0).get_by_role("button", name="不通过", exact=True).click()
        page.wait_for_url("**/volunteers?status=pending")
        rows = page.locator(".review-table tbody tr")
        assert rows.count() == 2
        # What was typed and ticked in the other rows is still there after the decision.
        assert rows.nth(0).locator(".reason-input").input_value() == "名额调整 🙏 <script>"
        assert rows.nth(1).locator("input[type=checkbox]").is_checked()
    finally:
        context.close()


def test_a_decision_keeps_the_other_rows_reasons_but_not_its_own(browser, live_server, queue):
    """Before: approving one volunteer reloaded the queue and emptied the reasons typed into
    the other rows (a staff member drafting several refusals lost them all)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/events/drive/volunteers?status=pending")
        rows = page.locator(".review-table tbody tr")
        rows.nth(1).locator(".reason-input").fill("该班次只招 18–45 岁")
        rows.nth(2).locator(".reason-input").fill("时间与班次不符")
        rows.nth(0).get_by_role("button", name="通过", exact=True).click()
        page.wait_for_url("**/volunteers?status=pending")
        rows = page.locator(".review-table tbody tr")
        assert rows.count() == 2
        assert [rows.nth(i).locator(".reason-input").input_value() for i in (0, 1)] == [
            "该班次只招 18–45 岁", "时间与班次不符"]
        # A bulk refusal: its reason is not put back (the box is ready for the next one);
        # the reason typed in the row left over stays.
        rows.nth(0).locator("input[type=checkbox]").check()
        page.fill("#bulk-reason", "班次已满")
        page.get_by_role("button", name="勾选的申请不通过").click()
        page.wait_for_url("**/volunteers?status=pending")
        rows = page.locator(".review-table tbody tr")
        assert rows.count() == 1
        assert page.input_value("#bulk-reason") == ""
        assert rows.nth(0).locator(".reason-input").input_value() == "时间与班次不符"
        # That row's refusal uses its own reason.
        rows.nth(0).get_by_role("button", name="不通过", exact=True).click()
        page.wait_for_url("**/volunteers?status=pending")
        page.goto(f"{live_server}/staff/events/drive/volunteers?status=rejected")
        assert "时间与班次不符" in page.locator(".review-table").inner_text()
        assert "班次已满" in page.locator(".review-table").inner_text()
    finally:
        context.close()
