"""A walk-in form sent twice (a double tap on the door tablet, a resend on a slow network)
registers once and shows that registration, both times: the second answer used to be
"这个手机号已经报名了本次活动" under "登记成功", as though something had gone wrong. The
same form brought back with the back button and filled in for the next person still
registers that person."""
import re

from sqlalchemy import func, select

from app.models import AuditLog, Registration


def fresh_form(client):
    page = client.get("/staff/events/p-day/walk-in").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page)
    return {"slot": "am", "name": "王秀英", "phone": "138 0000 0000", "party_size": "2",
            "source": "walk_in", "submission_key": key[1] if key else ""}


def test_a_double_tap_registers_once_and_shows_the_registration(client, auth, make_event, db):
    make_event(slug="p-day")
    auth.login("staff")
    form = fresh_form(client)
    first = client.post("/staff/events/p-day/walk-in", data=form)
    second = client.post("/staff/events/p-day/walk-in", data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "登记成功" in page and "已经报名" not in page
    assert db.session.execute(select(func.count(Registration.id))).scalar_one() == 1
    assert db.session.execute(select(func.count(AuditLog.id)).where(
        AuditLog.action == "registration.walk_in")).scalar_one() == 1


def test_the_form_brought_back_for_the_next_person_registers_them(client, auth, make_event, db):
    make_event(slug="p-day")
    auth.login("staff")
    form = fresh_form(client)
    first = client.post("/staff/events/p-day/walk-in", data=form)
    # The back button: the same form (its key too), now with the next person's details.
    following = client.post("/staff/events/p-day/walk-in",
                            data={**form, "name": "李四", "phone": "13900000001"})
    assert first.status_code == following.status_code == 303
    assert following.headers["Location"] != first.headers["Location"]
    names = db.session.execute(select(Registration.name).order_by(Registration.id)).scalars().all()
    assert names == ["王秀英", "李四"]
    # And someone registered already (online) is still told so, with their ticket number.
    again = client.post("/staff/events/p-day/walk-in", data={**form, "submission_key": ""})
    assert again.status_code == 409 and "已有报名" in again.get_data(as_text=True)


def test_a_full_slot_says_a_caller_may_still_wait(client, auth, make_event, make_registration):
    """0 places left read as "nobody more": a caller on the phone may join the waiting list."""
    from tests.conftest import event_data

    event = make_event(slug="p-day", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    auth.login("staff")
    assert "登记为候补" not in client.get("/staff/events/p-day/walk-in").get_data(as_text=True)
    make_registration(event)
    page = client.get("/staff/events/p-day/walk-in").get_data(as_text=True)
    assert "电话报名可以登记为候补" in page
    caller = client.post("/staff/events/p-day/walk-in", data={
        "slot": "am", "name": "李四", "phone": "13900000009", "party_size": "1",
        "source": "phone_in"})
    assert caller.status_code == 303
    assert "候补" in client.get(caller.headers["Location"]).get_data(as_text=True)
