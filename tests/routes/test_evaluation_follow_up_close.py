"""Two staff members close the same follow-up at once (or one clicks twice): one note is
kept, the other is told the item is closed already; through a real HTTP server."""
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests
from sqlalchemy import select

from app.models import AuditLog, FollowUp
from app.services import feedback as feedback_service
from tests.conftest import STAFF_PASSWORD
from tests.feedback_factories import answers, started_slots


def _signed_in(base, username):
    http = requests.Session()
    response = http.post(f"{base}/staff/login", data={"username": username,
                                                      "password": STAFF_PASSWORD}, timeout=30)
    assert response.status_code == 200 and "/staff/login" not in response.url
    return http


def test_two_staff_closing_one_follow_up_at_once_keep_one_note(app, db, make_event, make_staff,
                                                              live_server):
    event = make_event(slots=started_slots())
    feedback = feedback_service.submit(event, answers(1, comment="指示牌不清楚"),
                                       browser_key="poster")
    db.session.commit()
    follow_up_id = feedback.follow_up.id
    for name in ("wang", "li", "zhao", "qian"):
        make_staff(name, "staff")
    db.session.rollback()  # no open transaction in the test thread while the server works
    sessions = {name: _signed_in(live_server, name) for name in ("wang", "li", "zhao", "qian")}
    barrier = Barrier(len(sessions))

    def close(name):
        barrier.wait(10)
        return name, sessions[name].post(
            f"{live_server}/staff/follow-ups/{follow_up_id}/close", allow_redirects=False,
            data={"action_note": f"{name} 已电话回访"}, timeout=30)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        answered = dict(pool.map(close, sessions))
    statuses = sorted(r.status_code for r in answered.values())
    assert statuses == [303, 409, 409, 409], statuses
    (winner,) = [name for name, r in answered.items() if r.status_code == 303]
    for name, response in answered.items():
        if name != winner:  # the list, saying why, rather than an error page
            assert "这条跟进已经办结。" in response.text
            assert "无法完成" not in response.text
    db.session.rollback()
    follow_up = db.session.get(FollowUp, follow_up_id)
    assert follow_up.action_note == f"{winner} 已电话回访"
    closings = db.session.execute(select(AuditLog).where(AuditLog.action == "follow_up.close"))
    assert [log.actor_name for log in closings.scalars()] == [winner]
