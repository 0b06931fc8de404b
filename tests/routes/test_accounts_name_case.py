"""A staff name is one account whatever its case ("Door9" and "door9"), also when two
admins create them at the same moment: the database holds it, not only the form's look."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import StaffUser

NEW = {"username": "door9", "display_name": "门岗九", "role": "staff",
       "password": "a-long-enough-password"}


def stored_row(username):
    return dict(username=username, display_name=username, role="staff", active=True,
                session_token="x" * 32, created_at=datetime.now(timezone.utc),
                password_hash=generate_password_hash("another-long-password", method="scrypt"))


def accounts_named(db, name):
    return db.session.execute(select(func.count()).select_from(StaffUser).where(
        func.lower(StaffUser.username) == name)).scalar_one()


def test_the_database_refuses_a_name_taken_in_another_case(db):
    db.session.execute(insert(StaffUser).values(**stored_row("Door9")))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(StaffUser).values(**stored_row("door9")))
    db.session.rollback()
    assert accounts_named(db, "door9") == 1


def test_two_admins_creating_one_name_in_two_cases_at_once_make_one_account(client, auth, db):
    """Both requests can pass the "is the name free?" look before either stores; the one
    that stores second is refused with the form's message, not given a twin account."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing request at a time")
    auth.login("admin")
    stored = []

    def other_admin_stores_first(session, flush_context, instances):
        if not stored and any(isinstance(o, StaffUser) and o.username == "door9"
                              for o in session.new):
            stored.append(True)
            with db.engine.begin() as conn:
                conn.execute(insert(StaffUser).values(**stored_row("Door9")))

    event.listen(Session, "before_flush", other_admin_stores_first)
    try:
        response = client.post("/staff/accounts", data=NEW)
    finally:
        event.remove(Session, "before_flush", other_admin_stores_first)
    assert stored
    text = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert response.status_code == 409 and "已存在" in text
    assert accounts_named(db, "door9") == 1
