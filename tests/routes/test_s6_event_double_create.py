"""A double click on the new-event form's button sends it twice. The second answer was the
form again with "这个网址代码已被其他活动使用。": staff took it that nothing was saved and made
the event a second time under another address. The second sending now leads to the draft
the first one made; a different event under a taken address is still refused."""
from sqlalchemy import func, select

from app.models import AuditLog, Event
from tests.routes.test_admin_events import form_data


def test_the_form_sent_twice_leads_to_the_draft_it_made(client, auth, db):
    auth.login("admin")
    first = client.post("/staff/events/new", data=form_data())
    again = client.post("/staff/events/new", data=form_data())
    assert first.status_code == 303
    assert again.status_code == 303, again.get_data(as_text=True)[:500]
    assert again.headers["Location"] == first.headers["Location"]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "活动已创建（草稿）" in page and "已被其他活动使用" not in page
    assert db.session.execute(select(func.count()).select_from(Event)).scalar_one() == 1
    created = db.session.execute(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "event.create")).scalar_one()
    assert created == 1


def test_another_event_under_a_taken_address_is_still_refused(client, auth, db):
    auth.login("admin")
    assert client.post("/staff/events/new", data=form_data()).status_code == 303
    other = client.post("/staff/events/new", data=form_data(title="另一场开放日"))
    assert other.status_code == 400
    assert "这个网址代码已被其他活动使用。" in other.get_data(as_text=True)
    # Once published, the same form again is no longer this form's fresh draft either.
    event = db.session.execute(select(Event)).scalar_one()
    event.status = "published"
    db.session.commit()
    assert client.post("/staff/events/new", data=form_data()).status_code == 400
