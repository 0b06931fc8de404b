"""H6: staff accounts created twice by one double click."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import AuditLog, StaffUser

NEW = {"username": "door9", "display_name": "门岗九", "role": "staff",
       "password": "a-long-enough-password"}


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _count(db, model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_a_double_click_on_create_account_shows_the_account_created(client, auth, db):
    """The second click of a double click arrives after the first made the account: the
    admin sees 已创建 (what they asked for exists), not 用户名 door9 已存在 in red."""
    auth.login("admin")
    first = client.post("/staff/accounts", data=NEW)
    second = client.post("/staff/accounts", data=NEW)
    assert first.status_code == second.status_code == 303
    page = _text(client.get(second.headers["Location"]))
    assert "账号 door9 已创建" in page and "已存在" not in page
    assert _count(db, StaffUser, StaffUser.username == "door9") == 1
    assert _count(db, AuditLog, AuditLog.action == "staff.create") == 1


@pytest.mark.parametrize("change", [
    {"password": "another-long-password"},
    {"role": "admin"},
    {"display_name": "别人"},
    {"username": "DOOR9"},
])
def test_creating_a_name_that_is_taken_otherwise_is_still_refused(client, auth, db, change):
    auth.login("admin")
    assert client.post("/staff/accounts", data=NEW).status_code == 303
    again = client.post("/staff/accounts", data={**NEW, **change})
    assert again.status_code == 409 and "已存在" in _text(again)


def test_an_account_that_has_signed_in_is_not_taken_for_a_second_click(client, auth, db):
    """Once door9 has signed in, a form naming it (with its password) is not the same click
    again: it is refused as taken, and says nothing about the password."""
    auth.login("admin")
    assert client.post("/staff/accounts", data=NEW).status_code == 303
    other = client.application.test_client()
    assert other.post("/staff/login", data={"username": "door9",
                                            "password": NEW["password"]}).status_code == 302
    again = client.post("/staff/accounts", data=NEW)
    assert again.status_code == 409 and "已存在" in _text(again)


def test_two_clicks_at_once_make_one_account_and_no_error(client, auth, db):
    """On PostgreSQL both clicks can pass the "is the name free?" look before either
    stores it; the one that stores second met the unique index and answered 500."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing request at a time")
    auth.login("admin")
    stored = []

    def other_click_stores_first(session, flush_context, instances):
        if not stored and any(isinstance(o, StaffUser) and o.username == "door9"
                              for o in session.new):
            stored.append(True)
            with db.engine.begin() as conn:
                conn.execute(insert(StaffUser).values(
                    username="door9", display_name=NEW["display_name"], role="staff",
                    active=True, session_token="x" * 32,
                    password_hash=generate_password_hash(NEW["password"], method="scrypt"),
                    created_at=datetime.now(timezone.utc)))

    event.listen(Session, "before_flush", other_click_stores_first)
    try:
        response = client.post("/staff/accounts", data=NEW)
    finally:
        event.remove(Session, "before_flush", other_click_stores_first)
    assert stored
    assert response.status_code == 303
    assert "账号 door9 已创建" in _text(client.get(response.headers["Location"]))
    assert _count(db, StaffUser, StaffUser.username == "door9") == 1
