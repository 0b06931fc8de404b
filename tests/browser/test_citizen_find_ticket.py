"""A citizen who lost the ticket, once every seat is taken (no form to fill in any more),
finds it from the event page on a phone: a slip in the number is said, then the ticket is
mailed again. The pages pass axe and the size figures, in standard and large text; the
form also works without JavaScript."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxMessage
from tests.browser.test_accessibility import _set_mode
from tests.browser.test_ticket_resend import _check
from tests.conftest import iso, now_utc


def full_event(make_event, make_registration):
    start = now_utc() + timedelta(days=1)
    event = make_event(slug="full-day", slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)), "capacity": 1, "mode": "onsite"}])
    make_registration(event, phone="13900001111", email="zhang@example.com")
    return event


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_a_lost_ticket_is_found_from_the_event_page_of_a_full_event(
        browser, app, db, make_event, make_registration, live_server, tmp_path, mode):
    full_event(make_event, make_registration)
    db.session.rollback()  # no open snapshot here may hide what the server writes later
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    _set_mode(context, live_server, "zh", mode == "elder")
    page = context.new_page()
    page.goto(f"{live_server}/events/full-day")
    assert page.get_by_text("已满").first.is_visible()
    box = page.locator("#find-ticket")
    problems = {"event": _check(page, mode)}
    box.get_by_label("报名时填写的手机号码").fill("139 0000 111")  # a digit short
    box.get_by_role("button", name="把电子票再发到我的邮箱").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("alert").filter(has_text="请输入 11 位中国大陆手机号码").is_visible()
    assert page.get_by_label("报名时填写的手机号码").input_value() == "139 0000 111"
    problems["slip"] = _check(page, mode)
    page.screenshot(path=str(tmp_path / f"find-ticket-slip-{mode}.png"), full_page=True)
    page.get_by_label("报名时填写的手机号码").fill("139 0000 1111")
    page.get_by_role("button", name="把电子票再发到我的邮箱").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="请查收邮箱").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
    assert not any(problems.values()), json.dumps(problems, ensure_ascii=False, indent=1)
    sent = db.session.execute(select(OutboxMessage.recipient)).scalars().all()
    assert sent == ["zhang@example.com"]


def test_finding_a_ticket_works_without_javascript(browser, app, db, make_event,
                                                    make_registration, live_server):
    full_event(make_event, make_registration)
    db.session.rollback()
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/full-day")
        page.get_by_label("报名时填写的手机号码").fill("１３９００００１１１１")
        page.get_by_role("button", name="把电子票再发到我的邮箱").click()
        assert page.get_by_role("heading", name="请查收邮箱").is_visible()
    finally:
        context.close()
    sent = db.session.execute(select(OutboxMessage.recipient)).scalars().all()
    assert sent == ["zhang@example.com"]
