"""A volunteer applies on a phone; staff approve on a desktop; the certificate prints on A4."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import CheckIn, Registration
from app.services import volunteers
from tests.conftest import ADMIN_PASSWORD, SCREENSHOTS, now_utc
from tests.services.test_volunteers import shift


def _drive(make_event):
    start = (now_utc() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return make_event(
        slug="waste-sorting-volunteers", kind="volunteer", max_party_size=1,
        title="垃圾分类检查志愿者招募",
        description="在机关大院各投放点指导正确分类投放，记录投放情况。",
        slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=4),
               shift("d1-noon", "食堂湿垃圾投放点 午班", start + timedelta(hours=4), capacity=6,
                     location="机关食堂回收台"),
               shift("d2-am", "2号楼投放点 早班", start + timedelta(days=1), capacity=1,
                     location="2号楼北侧垃圾厢房")])


def test_a_volunteer_applies_on_a_phone_and_staff_approve_on_a_desktop(
        app, db, make_event, make_staff, live_server, phone_page, browser, tmp_path):
    drive = _drive(make_event)
    slug = drive.slug
    make_staff("admin", "admin")
    db.session.commit()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = phone_page
    page.goto(f"{live_server}/events/{slug}/apply")
    assert page.locator("h1").inner_text() == "报名志愿者"
    # Nothing chosen: the form comes back with a message, nothing stored.
    page.get_by_role("button", name="提交申请").click()
    assert page.locator(".error-summary").is_visible()
    assert "请至少选择一个班次" in page.locator(".error-summary").inner_text()
    page.screenshot(path=str(tmp_path / "volunteer-apply-errors.png"))
    page.goto(f"{live_server}/events/{slug}/apply")
    page.get_by_label("1号楼投放点 早班").check()
    page.get_by_label("食堂湿垃圾投放点 午班").check()
    page.get_by_label("姓名").fill("王芳")
    page.get_by_label("手机号码").fill("138 0013 8000")
    page.get_by_label("电子邮箱").fill("wangfang@example.com")
    page.get_by_label("年龄段").select_option("46-60")
    page.get_by_label("所在社区或单位").fill("岳阳街道 白云居委会")
    page.get_by_label("志愿服务或垃圾分类经验").fill("在小区做过一年垃圾分类督导员")
    page.get_by_label("时间安排说明").fill("周末上午都可以")
    page.get_by_label("我已阅读并遵守志愿者守则").check()
    page.get_by_label("我同意主办方").check()
    # The layout fits the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "volunteer-apply.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "volunteer-apply-top.png"))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/tickets/[\w-]{20,}$"))

    db.session.rollback()
    regs = db.session.execute(select(Registration).order_by(Registration.id)).scalars().all()
    assert [(r.slot.key, r.status) for r in regs] == [("d1-am", "pending"), ("d1-noon", "pending")]
    assert page.url.endswith(f"/tickets/{regs[0].token}")
    first_id = regs[0].id
    # The first shift's ticket says there are two, and lists both with a way to the other.
    assert "共申请了 2 个班次" in page.locator(".ticket").inner_text()
    shifts = page.locator("#volunteer-shifts")
    assert shifts.is_visible() and shifts.locator("li").count() == 2
    assert shifts.get_by_role("link", name="查看这个班次的电子票").get_attribute("href") == (
        f"/tickets/{regs[1].token}")

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff = desktop.new_page()
    staff.goto(f"{live_server}/staff/login")
    staff.get_by_label("用户名").fill("admin")
    staff.get_by_label("密码").fill(ADMIN_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_url(f"{live_server}/staff/events")
    staff.goto(f"{live_server}/staff/events/{slug}/volunteers")
    rows = staff.locator("tbody tr")
    assert rows.count() == 2
    assert "138****8000" in rows.first.inner_text() and "13800138000" not in staff.content()
    staff.screenshot(path=str(SCREENSHOTS / "volunteer-review-queue.png"), full_page=True)
    row = staff.locator("tr", has_text="1号楼投放点 早班")
    row.get_by_role("button", name="通过", exact=True).click()
    staff.wait_for_load_state()
    assert "已通过 1 份申请" in staff.locator(".flashes").inner_text()
    assert "已通过" in staff.locator("tr", has_text="1号楼投放点 早班").inner_text()
    # The other shift: rejected with a reason, through the row's own reason box.
    other = staff.locator("tr", has_text="食堂湿垃圾投放点 午班")
    other.get_by_label("不通过原因").fill("午班人员已满，欢迎报名下次")
    other.get_by_role("button", name="不通过", exact=True).click()
    staff.wait_for_load_state()
    assert "午班人员已满" in staff.locator("tr", has_text="食堂湿垃圾投放点 午班").inner_text()
    staff.screenshot(path=str(tmp_path / "volunteer-review-decided.png"), full_page=True)

    db.session.rollback()
    approved = db.session.get(Registration, first_id)
    assert approved.status == "confirmed" and approved.slot.booked == 1
    assert regs[1].id and db.session.get(Registration, regs[1].id).status == "rejected"
    # Back on the phone: each shift's own decision, side by side, still no sideways scrolling.
    page.reload()
    shifts.scroll_into_view_if_needed()
    assert "已通过" in shifts.inner_text() and "未通过" in shifts.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "volunteer-ticket-shifts.png"), full_page=True)

    # Hours and the certificate: checked in a little late, out after the shift ended.
    slot = approved.slot
    db.session.add(CheckIn(registration_id=approved.id, event_id=approved.event_id,
                           checked_in_at=slot.starts_at + timedelta(minutes=5), gate="东门"))
    db.session.commit()
    volunteers.check_out(approved, slot.ends_at + timedelta(minutes=40))
    db.session.commit()
    staff.goto(f"{live_server}/staff/events/{slug}/volunteers/hours")
    assert staff.locator("#drive-total").inner_text() == "1.92"
    staff.screenshot(path=str(SCREENSHOTS / "volunteer-hours.png"), full_page=True)
    staff.goto(f"{live_server}/staff/volunteers/{first_id}")
    assert "1.92" in staff.locator(".hours").inner_text()
    staff.screenshot(path=str(tmp_path / "volunteer-record.png"), full_page=True)
    staff.goto(f"{live_server}/staff/events/{slug}/volunteers/hours")
    staff.get_by_role("link", name="打印证明").click()
    staff.wait_for_load_state()
    assert staff.locator("h1").inner_text().replace(" ", "") == "志愿服务记录证明"
    assert staff.locator(".cert-total").inner_text() == "1.92"
    assert "138****8000" in staff.content() and "13800138000" not in staff.content()
    staff.screenshot(path=str(SCREENSHOTS / "volunteer-certificate.png"), full_page=True)
    staff.emulate_media(media="print")
    staff.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    staff.screenshot(path=str(SCREENSHOTS / "volunteer-certificate-print.png"), full_page=True)
    pdf = staff.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (tmp_path / "volunteer-certificate.pdf").write_bytes(pdf)
    # One A4 page, nothing of the staff screens on it.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert not staff.locator(".cert-tools").is_visible()
    desktop.close()


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_the_application_form_is_accessible_and_elder_friendly(browser, db, make_event, live_server, mode):
    """The house's axe-core and size figures (tests/browser/test_accessibility.py) on the
    volunteer form, blank and with its errors showing."""
    from tests.browser.test_accessibility import MEASURE, MODES, _axe, _set_mode

    drive = _drive(make_event)
    url = f"{live_server}/events/{drive.slug}/apply"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    _set_mode(context, live_server, "zh", mode == "elder")
    page = context.new_page()
    figures = MODES[mode]
    problems = {}
    for state in ("blank", "errors"):
        if state == "blank":
            page.goto(url)
        else:
            page.get_by_role("button", name="提交申请").click()
            page.wait_for_selector(".error-summary")
            page.wait_for_load_state("load")  # sizes are measured with the stylesheets applied
        measured = page.evaluate(MEASURE, figures["target"])
        found = {"axe": _axe(page), "text": [f for f in measured["fonts"] if f[1] < figures["font"]][:5],
                 "targets": measured["small"][:5]}
        if any(found.values()):
            problems[state] = found
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, state
    context.close()
    assert not problems, problems
