"""Chromium: closing a follow-up with a note made only of spaces is refused. With several
open items on the page, the staff member used to land at the top of the list and had to
scroll to find the item and its error; now the page comes back to that item, the cursor
in its note, the error tied to the field and what they typed kept."""
from datetime import timedelta

from sqlalchemy import select

from app.models import FollowUp
from app.services import feedback
from tests.browser.staff_sign_in import sign_in
from tests.conftest import STAFF_PASSWORD, now_utc

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight; }"""


def _open_follow_ups(db, make_event, make_registration, how_many):
    start = now_utc() - timedelta(hours=3)
    event = make_event(slug="many-open", title="后勤管家开放日", slots=[
        {"key": "am", "label": "上午场", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 50, "mode": "onsite"}])
    for n in range(how_many):
        person = make_registration(event, name=f"市民{n}", phone=f"139000011{n:02d}")
        feedback.submit(event, {"overall": 1, "comment": f"第 {n} 条：排队太久\n" * 3},
                        registration=person)
    db.session.commit()
    ids = [f.id for f in db.session.execute(select(FollowUp).order_by(FollowUp.id)).scalars()]
    db.session.rollback()
    return ids


def test_a_refused_close_comes_back_to_its_item(live_server, browser, db, make_event,
                                                make_registration, make_staff):
    make_staff("clerk", "staff")
    ids = _open_follow_ups(db, make_event, make_registration, 6)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "clerk", STAFF_PASSWORD)
        page.goto(f"{live_server}/staff/follow-ups")
        # One the staff member has to scroll to: neither the first nor the last in the list.
        target = page.locator(".follow-up textarea").nth(4)
        item_id = target.get_attribute("id").removeprefix("note-")
        assert int(item_id) in ids
        target.fill("   ")
        with page.expect_navigation():
            page.locator(f"#follow-up-{item_id} button[type=submit]").click()
        note = page.locator(f"#note-{item_id}")
        assert page.url.endswith(f"#note-{item_id}")
        # Chromium moves to the fragment (and focuses it) once the page has laid out, which
        # may come just after the load event.
        page.wait_for_function("id => document.activeElement?.id === id", arg=f"note-{item_id}")
        assert note.evaluate(IN_VIEW), "the refused note is out of sight"
        assert note.input_value() == "   "  # what they typed, kept
        assert note.get_attribute("aria-invalid") == "true"
        error = page.locator("#" + note.get_attribute("aria-describedby"))
        assert "请填写办理情况" in error.inner_text() and error.evaluate(IN_VIEW)
        # Which item it is stays in sight too: what the citizen said, above the note.
        assert page.locator(f"#follow-up-{item_id} .said").evaluate(IN_VIEW)
        # The other items are still open, and still on the page.
        assert page.locator(".follow-up textarea").count() == 6
        # Writing the note then closes it.
        note.fill("已电话回访")
        with page.expect_navigation():
            page.locator(f"#follow-up-{item_id} button[type=submit]").click()
        assert page.locator(".follow-up textarea").count() == 5
    finally:
        context.close()


def test_a_refused_close_keeps_the_tab(client, auth, db, make_event, make_registration):
    """Refused on the "all" tab: the page stays on that tab, not the "open" one."""
    ids = _open_follow_ups(db, make_event, make_registration, 2)
    auth.login("staff")
    refused = client.post(f"/staff/follow-ups/{ids[1]}/close?show=all",
                          data={"action_note": " \n "})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'href="/staff/follow-ups?show=all" aria-current="page"' in page
    assert f'aria-describedby="note-{ids[1]}-error"' in page
