"""Staff accounts, the audit log page and the dashboard."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, CheckIn, Event, StaffUser
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD


def audit_rows(db, action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_admin_creates_an_account(client, auth, db):
    auth.login("admin")
    response = client.post("/staff/accounts", data={
        "username": "door1", "display_name": "门岗一", "role": "staff",
        "password": "a-long-enough-password"})
    assert response.status_code == 303
    user = db.session.execute(select(StaffUser).where(StaffUser.username == "door1")).scalar_one()
    assert user.role == "staff" and user.active
    row = audit_rows(db, "staff.create")[0]
    assert row.actor_name == "admin" and "a-long-enough-password" not in str(row.detail)
    assert "door1" in client.get("/staff/accounts").get_data(as_text=True)


def test_a_display_name_with_hidden_characters_is_refused(client, auth, db):
    """The name shows in the audit log and beside every check-in: a bidi override or a
    zero-width space would make it read as someone else's."""
    auth.login("admin")
    response = client.post("/staff/accounts", data={
        "username": "door2", "display_name": "门岗\u202e二", "role": "staff",
        "password": "a-long-enough-password"})
    assert response.status_code == 400
    assert "无法显示的字符" in response.get_data(as_text=True)
    assert db.session.execute(select(StaffUser).where(StaffUser.username == "door2")).first() is None


def test_account_rules(client, auth, make_staff):
    make_staff("taken", "staff")
    auth.login("admin")
    short = client.post("/staff/accounts", data={"username": "x", "role": "staff",
                                                 "password": "short"})
    assert short.status_code == 400 and "至少需要 12 个字符" in short.get_data(as_text=True)
    long = client.post("/staff/accounts", data={"username": "longpw", "role": "staff",
                                                "password": "p" * 201})
    assert long.status_code == 400 and "最多 200 个字符" in long.get_data(as_text=True)
    assert "至少需要" not in long.get_data(as_text=True)
    dup = client.post("/staff/accounts", data={"username": "taken", "role": "staff",
                                               "password": "a-long-enough-password"})
    assert dup.status_code == 409 and "已存在" in dup.get_data(as_text=True)


def test_deactivation_ends_the_sessions_of_that_account(app, client, auth, make_staff, db):
    door = make_staff("door", "staff")
    door_client = app.test_client()
    door_client.post("/staff/login", data={"username": "door", "password": STAFF_PASSWORD})
    assert door_client.get("/staff/events").status_code == 200
    auth.login("admin")
    assert client.post(f"/staff/accounts/{door.id}/deactivate").status_code == 303
    assert door_client.get("/staff/events").status_code == 302
    login = door_client.post("/staff/login", data={"username": "door", "password": STAFF_PASSWORD})
    assert login.status_code == 400
    # A second click (another tab) changes nothing and records nothing more.
    assert client.post(f"/staff/accounts/{door.id}/deactivate").status_code == 303
    assert len(audit_rows(db, "staff.deactivate")) == 1
    assert client.post(f"/staff/accounts/{door.id}/activate").status_code == 303
    login = door_client.post("/staff/login", data={"username": "door", "password": STAFF_PASSWORD})
    assert login.status_code == 302


def test_admin_cannot_deactivate_themselves(client, auth, db):
    auth.login("admin")
    me = db.session.execute(select(StaffUser).where(StaffUser.username == "admin")).scalar_one()
    assert client.post(f"/staff/accounts/{me.id}/deactivate").status_code == 403
    db.session.expire_all()
    assert db.session.get(StaffUser, me.id).active


def test_password_reset(app, client, auth, make_staff, db):
    door = make_staff("door", "staff")
    door_client = app.test_client()
    door_client.post("/staff/login", data={"username": "door", "password": STAFF_PASSWORD})
    auth.login("admin")
    short = client.post(f"/staff/accounts/{door.id}/password", data={"password": "short"})
    assert short.status_code == 400
    # Mostly the user name: refused beside the field on the accounts page, not a bare error.
    named = client.post(f"/staff/accounts/{door.id}/password", data={"password": "doordoordoordoor1"})
    assert named.status_code == 400
    assert "密码不能主要由用户名组成" in named.get_data(as_text=True)
    assert 'name="username"' in named.get_data(as_text=True)  # the accounts page, whole
    response = client.post(f"/staff/accounts/{door.id}/password",
                           data={"password": "brand-new-password-1"})
    assert response.status_code == 303
    assert door_client.get("/staff/events").status_code == 302  # old session ended
    assert door_client.post("/staff/login", data={
        "username": "door", "password": STAFF_PASSWORD}).status_code == 400
    assert door_client.post("/staff/login", data={
        "username": "door", "password": "brand-new-password-1"}).status_code == 302
    row = audit_rows(db, "staff.reset_password")[0]
    assert "brand-new-password-1" not in str(row.detail)


def test_staff_cannot_manage_accounts_or_read_the_audit_log(client, auth):
    auth.login("staff")
    assert client.get("/staff/accounts").status_code == 403
    assert client.post("/staff/accounts", data={"username": "x"}).status_code == 403
    assert client.get("/staff/audit").status_code == 403


def test_audit_log_page_lists_changes_newest_first(client, auth, make_event, db):
    auth.login("admin")
    make_event(slug="audited", status="draft")
    client.post("/staff/events/audited/publish")
    client.post("/staff/events/audited/close")
    body = client.get("/staff/audit").get_data(as_text=True)
    assert body.index("event.close") < body.index("event.publish") < body.index("staff.login")
    assert "audited" in body
    # In words, with the code beside it for whoever searches by it.
    assert "关闭报名" in body and "发布活动" in body and ">登录<" in body
    assert ">活动 #" in body  # the kind of record, not the model's name
    filtered = client.get("/staff/audit?action=event.").get_data(as_text=True)
    assert "event.close" in filtered and "staff.login" not in filtered
    # The filter offers kinds of action in words (no code to know), the chosen one kept;
    # the event is named by its title, linking to it.
    assert re.search(r'<option value="event\."\s+selected>活动：新建、修改、发布、关闭</option>', filtered)
    event = db.session.execute(select(Event).where(Event.slug == "audited")).scalar_one()
    assert f'<a href="/staff/events/audited">{event.title}</a>' in filtered
    english = client.get("/staff/audit?action=event.&lang=en").get_data(as_text=True)
    assert ">Event #" in english and "Events #" not in english



def test_audit_log_past_its_last_page_shows_the_last_page(client, auth, db):
    """An old link to page 500 showed "共 N 条" over an empty table, with a 上一页 to 499."""
    from app.admin.routes import AUDIT_PER_PAGE
    from app.services import audit

    auth.login("admin")  # one row: the sign-in
    for i in range(AUDIT_PER_PAGE):
        audit.record("event.export_json", detail={"n": i})
    db.session.commit()
    response = client.get("/staff/audit?page=500")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "第 2 / 2 页" in body and "staff.login" in body  # the oldest row, on the last page
    pager = re.search(r'<nav class="pager".*?</nav>', body, re.S).group(0)
    assert "page=1" in pager and "下一页" not in pager


def test_audit_log_page_shows_details_in_words_and_beijing_time(client, auth, make_event,
                                                                make_registration, db):
    from flask_babel import refresh

    from app.services import checkin as checkin_service

    auth.login("admin")
    event = make_event(slug="told")
    holder = make_registration(event)
    client.post("/staff/accounts", data={"username": "door1", "role": "admin",
                                         "password": "a-long-enough-password"})
    client.post("/staff/events/told/walk-in", data={
        "slot": "am", "name": "现场来宾", "phone": "13800138000", "party_size": "2",
        "source": "phone_in"})
    checkin_service.check_in(holder, gate="东门", source="offline",
                             now=datetime(2026, 11, 12, 6, 5, tzinfo=timezone.utc))
    db.session.commit()
    page = client.get("/staff/audit").get_data(as_text=True)
    cells = " ".join(re.findall(r'<td[^>]*class="detail">(.*?)</td>', page, re.S))
    for shown in ("角色：管理员", "用户名：door1", "登记方式：电话报名", "状态：已确认",
                  "手机号码：138****8000", "签到方式：离线签到", "门岗：东门",
                  "签到时间：2026-11-12 14:05"):
        assert f"<span>{shown}</span>" in cells, shown
    for raw in ("role=", "source=", "offline", "phone_in", "checked_in_at", "T06:05",
                "13800138000"):
        assert raw not in cells, raw

    refresh()  # the test's app context outlives requests; Babel caches the locale there
    client.set_cookie("lang", "en")
    cells = " ".join(re.findall(r'<td[^>]*class="detail">(.*?)</td>',
                                client.get("/staff/audit").get_data(as_text=True), re.S))
    for shown in ("Role: Administrator", "How registered: By phone",
                  "How checked in: Checked in offline", "Checked in at: 2026-11-12 14:05"):
        assert f"<span>{shown}</span>" in cells, shown


def test_audit_rows_cannot_be_changed(db, make_staff):
    from app.services import audit

    row = audit.record("test.thing", detail={"a": 1}, actor=make_staff("admin", "admin"))
    db.session.commit()
    row.action = "tampered"
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()


# --- dashboard -----------------------------------------------------------------------------

def test_dashboard_counts_per_slot(client, auth, make_event, make_registration, db):
    from app.services.invitations import reserve_seats
    from tests.conftest import event_data

    event = make_event(slug="board", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=5)])
    reserve_seats(event.slots[0], 1)
    db.session.commit()
    arrived = make_registration(event, party_size=2)
    make_registration(event, party_size=1)
    make_registration(event, party_size=2)  # 2 + 1 + 1 reserved = 4: this one waits
    db.session.add(CheckIn(registration_id=arrived.id, event_id=event.id, gate="1",
                           checked_in_at=datetime.now(timezone.utc)))
    db.session.commit()
    auth.login("staff")
    page = client.get("/staff/events/board/dashboard")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'data-source="/staff/events/board/dashboard.json"' in body
    assert "js/dashboard.js" in body
    data = client.get("/staff/events/board/dashboard.json").get_json()
    slot = data["slots"][0]
    assert slot == {"key": "am", "label": "上午场", "capacity": 5, "reserved": 1,
                    "seats_left": 1, "registered": 3, "waiting": 2, "pending": 0,
                    "checked_in": 2, "not_arrived": 1}
    assert data["totals"]["checked_in"] == 2


def test_dashboard_json_for_anonymous_fetch_is_401(client, make_event):
    make_event(slug="board")
    response = client.get("/staff/events/board/dashboard.json",
                          headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_audit_row_per_change_names_who_and_what(client, auth, make_event, db):
    auth.login("admin")
    make_event(slug="who")
    client.post("/staff/events/who/close")
    row = audit_rows(db, "event.close")[0]
    assert row.actor_name == "admin" and row.target_type == "event"
    assert row.detail == {"from": "published", "to": "closed"} and row.at is not None
    assert ADMIN_PASSWORD not in str(row.detail)


def test_every_staff_change_writes_an_audit_row(client, auth, make_event, make_registration,
                                                make_staff, db):
    """One pass through every change the workspace offers; each leaves its row, naming who
    did it and on which record, with no phone number, password or ticket token inside."""
    from app.models import Invitation

    event = make_event(slug="audit-all")
    registration = make_registration(event, phone="13812345678")
    event.status = "draft"
    db.session.commit()
    door = make_staff("door", "staff")
    auth.login("admin")
    steps = [
        ("post", "/staff/events/audit-all/publish", {}),
        ("post", "/staff/events/audit-all/close", {}),
        ("get", "/staff/events/audit-all/export.json", {}),
        ("post", "/staff/events/audit-all/walk-in", {"slot": "am", "name": "来宾",
                                                     "phone": "13700000009", "party_size": "1"}),
        ("post", f"/staff/registrations/{registration.id}/reveal", {}),
        ("post", f"/staff/registrations/{registration.id}/cancel", {"reason": "来电取消"}),
        ("post", "/staff/events/audit-all/invitations/reserve",
         {"reserve-slot": "am", "reserve-seats": "2"}),
        ("post", "/staff/events/audit-all/invitations/new",
         {"invite-slot": "am", "invite-label": "代表", "invite-max_uses": "1"}),
        ("post", "/staff/events/audit-all/invitations/release",
         {"release-slot": "am", "release-seats": "1"}),
        ("post", "/staff/accounts", {"username": "new1", "role": "staff",
                                     "password": "another-long-password"}),
        ("post", f"/staff/accounts/{door.id}/password", {"password": "door-new-password-1"}),
        ("post", f"/staff/accounts/{door.id}/deactivate", {}),
        ("post", f"/staff/accounts/{door.id}/activate", {}),
    ]
    for method, url, data in steps:
        response = getattr(client, method)(url, data=data) if method == "post" else client.get(url)
        assert response.status_code in (200, 303), (url, response.status_code)
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert client.post(f"/staff/events/audit-all/invitations/{invitation.id}/revoke").status_code == 303
    rows = db.session.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()
    by_action = {row.action: row for row in rows}
    for action in ("event.publish", "event.close", "event.export_json", "registration.walk_in",
                   "registration.reveal_phone", "registration.cancel", "invitation.reserve",
                   "invitation.create", "invitation.release", "invitation.revoke", "staff.create",
                   "staff.reset_password", "staff.deactivate", "staff.activate"):
        assert action in by_action, action
        assert by_action[action].actor_name == "admin" and by_action[action].at is not None
        assert by_action[action].target_id, action
    text = " ".join(str(row.detail) for row in rows)
    for secret in ("13812345678", "13700000009", "another-long-password", "door-new-password-1",
                   registration.token, invitation.token):
        assert secret not in text


def _username_error(page):
    match = re.search(r'<p class="error" id="username-error" role="alert">(.*?)</p>', page, re.S)
    return match and match.group(1)


@pytest.mark.parametrize("typed", [
    "\u200badmin2",   # zero-width space: shows as "admin2" in the audit log
    "door\u202e1",    # bidi override: flips how the rest reads
    "door one",       # a space inside
    "门岗一",          # not ASCII
    "x",              # too short
    "d" * 41,         # too long
    "door@1",         # outside letters, digits, . _ -
])
def test_account_names_refused_beside_the_field(client, auth, db, typed):
    auth.login("admin")
    response = client.post("/staff/accounts", data={
        "username": typed, "role": "staff", "password": "a-long-enough-password"})
    assert response.status_code == 400
    error = _username_error(response.get_data(as_text=True))
    assert error and "2–40 个字符" in error and "英文字母、数字" in error
    assert db.session.execute(select(func.count(StaffUser.id))).scalar() == 1  # the admin only


def test_full_width_account_names_are_stored_as_the_ascii_they_show(client, auth, db):
    auth.login("admin")
    response = client.post("/staff/accounts", data={
        "username": " ｄｏｏｒ．９ ", "role": "staff", "password": "a-long-enough-password"})
    assert response.status_code == 303
    names = db.session.execute(select(StaffUser.username)).scalars().all()
    assert sorted(names) == ["admin", "door.9"]
    assert audit_rows(db, "staff.create")[0].detail["username"] == "door.9"
    # "ａｄｍｉｎ" is the admin's name, not a second account that looks like it.
    twin = client.post("/staff/accounts", data={
        "username": "ａｄｍｉｎ", "role": "admin", "password": "a-long-enough-password"})
    assert twin.status_code == 409 and "已存在" in _username_error(twin.get_data(as_text=True))


def test_the_service_refuses_a_display_name_with_hidden_characters(db):
    from app.services.errors import InvalidData
    from app.services.staff import create_staff

    with pytest.raises(InvalidData) as refused:
        create_staff("door3", "a-long-enough-password", "staff", display_name="门岗\u200b三")
    assert refused.value.field == "display_name"
    assert create_staff("door3", "a-long-enough-password", "staff", display_name="门岗三 🚪").id
