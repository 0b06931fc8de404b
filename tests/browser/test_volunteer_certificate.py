"""The printed 志愿服务记录证明 of a volunteer who served many shifts."""
import re
from datetime import timedelta

from app.models import CheckIn
from app.services import volunteers
from tests.conftest import ADMIN_PASSWORD, now_utc
from tests.services.test_volunteers import FIELDS, shift

# What a page shows below the cut when printed (print media, the A4 width at 96 dpi).
CLIPPED = """() => {
  const box = document.querySelector('.certificate').getBoundingClientRect();
  return ['.cert-total', '.cert-issuer'].filter(sel => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return r.bottom > box.bottom + 1;
  });
}"""


def test_a_long_record_prints_on_two_pages_with_its_total_and_issuer(
        db, make_event, make_staff, live_server, browser, tmp_path):
    """Issue 4: the print style fixed the certificate at one A4 page and hid what overflowed,
    so a volunteer with 16 shifts got a certificate without its last rows, total, issuing
    unit or stamp."""
    start = (now_utc() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    drive = make_event(slug="daily-inspection", kind="volunteer", max_party_size=1,
                       title="垃圾分类检查志愿者招募",
                       slots=[shift(f"day{n}", f"{n + 1}号楼投放点 早班", start + timedelta(days=n))
                              for n in range(16)])
    admin = make_staff("admin", "admin")
    applications = volunteers.apply(drive, drive.slots, name="王芳", phone="13800138000", **FIELDS)
    for application in applications:
        volunteers.approve(application, admin)
        db.session.add(CheckIn(registration_id=application.id, event_id=drive.id, gate="东门",
                               checked_in_at=application.slot.starts_at,
                               checked_out_at=application.slot.ends_at))
    db.session.commit()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/staff/events")
    page.goto(f"{live_server}/staff/volunteers/{applications[0].id}/certificate")
    assert page.locator(".cert-table tbody tr").count() == 16
    assert page.locator(".cert-total").inner_text() == "32.00"
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    assert page.evaluate(CLIPPED) == []
    assert page.locator(".cert-issuer").is_visible()
    page.screenshot(path=str(tmp_path / "certificate-16-shifts-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (tmp_path / "certificate-16-shifts.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    context.close()
