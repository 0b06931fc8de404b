"""H6: the last active admin stays, even when two admins deactivate each other at once."""
import threading
import time

import pytest
from sqlalchemy import func, select, text

from app.models import StaffUser
from app.services import staff as staff_service
from app.services.errors import NotAllowed


def _active_admins(db):
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == "admin", StaffUser.active.is_(True))).scalar_one()


def _waiting_on_a_lock(db):
    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")).scalar_one() > 0


def test_two_admins_deactivating_each_other_at_once_leave_one_active(app, db, make_staff):
    """Two admins, each pressing 停用 on the other in the same moment: each request counted
    two active admins before the other had stored its change, and both went through,
    leaving nobody able to manage accounts."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing request at a time")
    a_id = make_staff("admin-a", "admin").id
    b_id = make_staff("admin-b", "admin").id
    first_done, may_commit = threading.Event(), threading.Event()
    outcome = {}

    def first_request():  # admin-a deactivates admin-b, and commits when told
        with app.app_context():
            staff_service.set_active(db.session.get(StaffUser, b_id), False,
                                     by=db.session.get(StaffUser, a_id))
            first_done.set()
            may_commit.wait(30)
            db.session.commit()

    def second_request():  # admin-b deactivates admin-a meanwhile
        with app.app_context():
            try:
                staff_service.set_active(db.session.get(StaffUser, a_id), False,
                                         by=db.session.get(StaffUser, b_id))
                db.session.commit()
                outcome["second"] = "deactivated"
            except NotAllowed:
                db.session.rollback()
                outcome["second"] = "refused"

    first = threading.Thread(target=first_request)
    first.start()
    assert first_done.wait(30)
    second = threading.Thread(target=second_request)
    second.start()
    # The second request either finishes or waits for the first one's lock; then the first
    # commits.
    deadline = time.monotonic() + 30
    while second.is_alive() and not _waiting_on_a_lock(db) and time.monotonic() < deadline:
        second.join(0.05)
    may_commit.set()
    first.join(30)
    second.join(30)
    assert outcome["second"] == "refused"
    assert _active_admins(db) == 1
