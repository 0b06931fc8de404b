"""A citizen who lost the ticket page registers again, is told they already have a ticket,
and asks for it by e-mail: both pages pass axe and the size figures, in Chinese and in
English elder mode, on a phone, with the testing app's CSRF protection as in production."""
import json

import pytest
from sqlalchemy import select

from app.models import OutboxMessage
from tests.browser.test_accessibility import MEASURE, MODES, _axe, _set_mode
from tests.conftest import SCREENSHOTS


@pytest.mark.parametrize("lang, mode", [("zh", "standard"), ("en", "elder")])
def test_lost_ticket_is_mailed_again_from_the_refusal_page(
        browser, app, db, make_event, make_registration, live_server, tmp_path, lang, mode):
    event = make_event(slug="lost-ticket-day")
    make_registration(event, phone="13900001111", email="zhang@example.com")
    slug = event.slug
    db.session.rollback()  # no open snapshot here may hide what the server writes later
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    _set_mode(context, live_server, lang, mode == "elder")
    page = context.new_page()
    page.goto(f"{live_server}/events/{slug}/register")
    page.locator("#name").fill("张三")
    page.locator("#phone").fill("+86 139 0000 1111")
    page.locator("#consent").check()
    page.locator("form.register-form button[type=submit]").click()
    page.wait_for_load_state("load")  # sizes are measured with the stylesheets applied
    resend = page.locator("form[action$='/resend-ticket'] button")
    assert resend.is_visible()
    problems = {"refused": _check(page, mode)}
    page.screenshot(path=str(SCREENSHOTS / f"lost-ticket-{lang}.png"), full_page=True)
    resend.click()
    page.wait_for_load_state("load")
    assert page.locator("section[role=status] h1").is_visible()
    problems["resent"] = _check(page, mode)
    page.screenshot(path=str(SCREENSHOTS / f"lost-ticket-resent-{lang}.png"), full_page=True)
    context.close()
    assert not any(problems.values()), json.dumps(problems, ensure_ascii=False, indent=1)
    sent = db.session.execute(select(OutboxMessage.recipient)).scalars().all()
    assert sent == ["zhang@example.com"]


def _check(page, mode):
    figures = MODES[mode]
    measured = page.evaluate(MEASURE, figures["target"])
    found = {"axe": _axe(page), "targets": measured["small"][:5],
             "text": [f for f in measured["fonts"] if f[1] < figures["font"]][:5]}
    return {k: v for k, v in found.items() if v}
