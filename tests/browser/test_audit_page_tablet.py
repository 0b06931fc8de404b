"""Chromium: the audit log on an office tablet (820 px), with a long staff name, an
action's code and an IPv6 address, none of which had a place to wrap (the name's cell used
the tables' no-wrap "actions" style): the page scrolled sideways to 846 px."""
from app.models import AuditLog
from app.services import audit
from app.services.staff import create_staff
from tests.browser.staff_sign_in import sign_in
from tests.conftest import ADMIN_PASSWORD


def test_a_long_staff_name_wraps_in_the_audit_log(browser, live_server, make_event, db):
    user = create_staff("admin", ADMIN_PASSWORD, "admin",
                        display_name="松江区机关事务管理局后勤服务中心值班员")
    event = make_event(slug="audit-tablet", title="公共机构节能宣传周开放日暨后勤管家开放日（线上+线下）")
    for _ in range(3):
        db.session.add(AuditLog(**{**audit.row_values(
            "registration.reveal_phone", event, event_id=event.id, actor=user,
            detail={"ticket_number": "K7P4-2QXM", "phone": "139****1234"}),
            "ip": "2001:db8:85a3::8a2e:370:7334"}))
    db.session.commit()
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/audit")
        assert "后勤服务中心值班员" in page.inner_text("main")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 820
    finally:
        context.close()
