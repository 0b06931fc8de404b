"""Chromium: 停用 on the accounts page signs the account out on every device at once (a
door tablet in the middle of check-in too), and one tap did it, beside 重置密码. Now the
first tap asks and says what it does; 启用 stays one tap."""
import pytest
from sqlalchemy import select

from app.models import StaffUser
from tests.browser.staff_sign_in import sign_in


def active(db, username):
    db.session.rollback()  # a fresh read of what the server wrote
    return db.session.execute(
        select(StaffUser.active).where(StaffUser.username == username)).scalar_one()


@pytest.mark.parametrize("width, height", [(1280, 800), (820, 1180)])
def test_deactivating_asks_first(browser, live_server, make_staff, db, width, height):
    make_staff("admin", "admin")
    make_staff("door1", "staff")
    db.session.rollback()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  has_touch=width < 1000)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/accounts")
        row = page.locator("#accounts tbody tr").filter(has_text="door1")
        row.get_by_text("停用", exact=True).click()
        assert active(db, "door1")
        assert "退出登录" in row.inner_text()
        confirm = row.get_by_role("button", name="确认停用")
        box = confirm.bounding_box()
        assert box["height"] >= 36 and box["x"] + box["width"] <= width
        confirm.click()
        page.wait_for_url(f"{live_server}/staff/accounts")
        assert not active(db, "door1")
        # Switching it back on is harmless: one tap.
        page.locator("#accounts tbody tr").filter(has_text="door1").get_by_role(
            "button", name="启用").click()
        page.wait_for_url(f"{live_server}/staff/accounts")
        assert active(db, "door1")
        scroll_width, viewport = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert scroll_width <= viewport
    finally:
        context.close()
