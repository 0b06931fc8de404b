"""Signing out ends this session only. Before: it rotated the account's token, so one
steward signing out at the east gate signed out every tablet sharing the door account,
mid-queue (the west gate's screen fell back to offline admissions until someone signed in
again)."""
from datetime import timedelta

from sqlalchemy import func, select

from app.models import EndedStaffSession
from app.models.types import utcnow
from tests.conftest import STAFF_PASSWORD


def sign_in(client):
    response = client.post("/staff/login", data={"username": "door", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return client.get_cookie("session").value


def test_one_gate_signing_out_leaves_the_other_gate_signed_in(app, make_staff, db):
    make_staff("door", "staff")
    east, west = app.test_client(), app.test_client()
    east_cookie = sign_in(east)
    sign_in(west)
    assert east.post("/staff/logout").status_code == 302
    assert west.get("/staff/events").status_code == 200  # the west gate goes on
    assert east.get("/staff/events").status_code == 302  # the east gate signed out
    # A copy of the east gate's cookie taken before signing out no longer signs in.
    copy = app.test_client()
    copy.set_cookie("session", east_cookie)
    response = copy.get("/staff/events")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    # Signing in again at the east gate is a new session, which works.
    sign_in(east)
    assert east.get("/staff/events").status_code == 200


def test_a_password_reset_still_ends_every_session(app, make_staff, db):
    from app.services import staff as staff_service

    door = make_staff("door", "staff")
    east, west = app.test_client(), app.test_client()
    sign_in(east)
    sign_in(west)
    staff_service.end_sessions(door)  # what a reset or a deactivation does
    db.session.commit()
    assert east.get("/staff/events").status_code == 302
    assert west.get("/staff/events").status_code == 302


def test_ended_sessions_are_forgotten_once_no_cookie_can_hold_them(app, make_staff, db):
    """The table of ended sessions does not grow for ever: a row older than the absolute
    limit guards a cookie that has expired anyway."""
    make_staff("door", "staff")
    db.session.add(EndedStaffSession(sid="from-last-week", ended_at=utcnow() - timedelta(days=7)))
    db.session.commit()
    client = app.test_client()
    sign_in(client)
    client.post("/staff/logout")
    db.session.rollback()
    sids = db.session.execute(select(EndedStaffSession.sid)).scalars().all()
    assert "from-last-week" not in sids and len(sids) == 1
    assert db.session.execute(select(func.count()).select_from(EndedStaffSession)).scalar_one() == 1
