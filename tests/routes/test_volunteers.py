"""Volunteer pages and APIs through HTTP: the application form, the review queue, records,
time corrections, the hours report and CSV, the certificate and the check-out API."""
import csv
import io
import re
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.models import AuditLog, CheckIn, OutboxMessage, Registration, Slot
from app.services import volunteers
from tests.conftest import ADMIN_PASSWORD, iso, now_utc
from tests.services.test_volunteers import FIELDS, shift


@pytest.fixture
def drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="waste-volunteers", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募",
                      slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=2),
                             shift("d1-noon", "食堂投放点 午班", start + timedelta(hours=4), capacity=2)])


def form_data(**overrides):
    data = {"slots": ["d1-am", "d1-noon"], "name": "王芳", "phone": "１３８００１３８０００",
            "email": "wangfang@example.com", "age_group": "46-60", "organisation": "岳阳街道",
            "experience": "小区垃圾分类督导", "availability": "周末都可以", "code": "y", "consent": "y",
            "submission_key": "k-1"}
    data.update(overrides)
    return data


def apply(db, drive, **fields):
    regs = volunteers.apply(drive, [drive.slots[0]], **{"name": "李四", "phone": "13900009999",
                                                        "email": "lisi@example.com", **FIELDS, **fields})
    db.session.commit()
    return regs


def test_the_form_lists_the_shifts_with_the_volunteer_fields(client, drive):
    page = client.get(f"/events/{drive.slug}/apply").get_data(as_text=True)
    for text in ("1号楼投放点 早班", "食堂投放点 午班", 'name="slots"', 'name="age_group"',
                 'name="organisation"', 'name="experience"', 'name="availability"', 'name="code"',
                 'name="consent"', "志愿者守则"):
        assert text in page


def test_applying_for_two_shifts_redirects_to_the_first_ticket(client, db, drive):
    response = client.post(f"/events/{drive.slug}/apply", data=form_data())
    assert response.status_code == 303
    regs = db.session.execute(select(Registration).order_by(Registration.id)).scalars().all()
    assert response.headers["Location"].endswith(f"/tickets/{regs[0].token}")
    assert [(r.slot.key, r.status, r.phone) for r in regs] == [
        ("d1-am", "pending", "13800138000"), ("d1-noon", "pending", "13800138000")]
    assert regs[0].age_group == "46-60" and regs[0].code_agreed and regs[0].consent_version
    # The same form again (double click): the same tickets, no new rows.
    again = client.post(f"/events/{drive.slug}/apply", data=form_data())
    assert again.status_code == 303 and again.headers["Location"] == response.headers["Location"]
    assert len(db.session.execute(select(Registration)).scalars().all()) == 2


@pytest.mark.parametrize("overrides,message", [
    ({"slots": []}, "请至少选择一个班次"),
    ({"slots": ["nope"]}, "选择的班次不存在"),
    ({"code": ""}, "志愿者守则"),
    ({"consent": ""}, "勾选同意"),
    ({"phone": "12345"}, "11 位"),
    ({"age_group": "child"}, "请选择年龄段"),
    ({"name": "长" * 20000}, "姓名最多"),
    ({"organisation": ""}, "所在社区或单位"),
    ({"name": "A\u202eB\u200b"}, "无法显示的字符"),  # bidi override, zero-width space
    ({"phone": "1" * 45}, "11 位中国大陆手机号码"),
])
def test_bad_input_gives_400_with_a_message_and_stores_nothing(client, db, drive, overrides, message):
    response = client.post(f"/events/{drive.slug}/apply", data=form_data(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert db.session.execute(select(Registration)).first() is None


def test_applying_twice_for_the_same_shift_answers_409(client, db, drive):
    client.post(f"/events/{drive.slug}/apply", data=form_data(slots=["d1-am"]))
    response = client.post(f"/events/{drive.slug}/apply", data=form_data(submission_key="k-2"))
    assert response.status_code == 409
    assert "已经申请过" in response.get_data(as_text=True)
    assert len(db.session.execute(select(Registration)).scalars().all()) == 1


def test_the_same_application_sent_again_from_this_browser_shows_its_ticket(client, db, drive):
    """The back button brings a fresh form (a new submission key): sent again from the same
    browser, it opens the application instead of refusing it; a new shift among the old
    ones, or another browser, still gets the refusal."""
    first = client.post(f"/events/{drive.slug}/apply", data=form_data(slots=["d1-am"]))
    assert first.status_code == 303
    again = client.post(f"/events/{drive.slug}/apply",
                        data=form_data(slots=["d1-am"], submission_key="k-2"))
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert "不用再提交一次" in client.get(again.headers["Location"]).get_data(as_text=True)
    with_a_new_shift = client.post(f"/events/{drive.slug}/apply", data=form_data(submission_key="k-3"))
    assert with_a_new_shift.status_code == 409
    assert "已经申请过" in with_a_new_shift.get_data(as_text=True)
    other_browser = client.application.test_client().post(
        f"/events/{drive.slug}/apply", data=form_data(slots=["d1-am"], submission_key="k-4"))
    assert other_browser.status_code == 409
    assert len(db.session.execute(select(Registration)).scalars().all()) == 1


def test_the_form_is_closed_outside_the_registration_window(client, db, make_event):
    event = make_event(slug="closed-drive", kind="volunteer",
                       registration_closes_at=iso(now_utc() - timedelta(hours=1)))
    assert "报名已经结束" in client.get(f"/events/{event.slug}/apply").get_data(as_text=True)
    response = client.post(f"/events/{event.slug}/apply", data=form_data(slots=["am"]))
    assert response.status_code == 409
    assert db.session.execute(select(Registration)).first() is None


def test_an_open_day_has_no_volunteer_form(client, make_event):
    event = make_event()
    response = client.get(f"/events/{event.slug}/apply")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/events/{event.slug}")


def test_staff_read_the_queue_but_only_admins_decide(client, auth, db, drive):
    [reg] = apply(db, drive)
    assert client.get(f"/staff/events/{drive.slug}/volunteers").status_code == 302  # anonymous
    auth.login("staff")
    page = client.get(f"/staff/events/{drive.slug}/volunteers").get_data(as_text=True)
    assert "李四" in page and "139****9999" in page and "13900009999" not in page
    assert 'name="approve_one"' not in page
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review", data={"approve_one": reg.id})
    assert response.status_code == 403
    assert client.get(f"/staff/events/{drive.slug}/export/hours.csv").status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status == "pending"


def test_the_queue_lists_pending_applications_first(client, auth, db, drive):
    first = apply(db, drive, name="先到", phone="13900000001")[0]
    apply(db, drive, name="后到", phone="13900000002")
    volunteers.approve(first, auth_admin(auth, db))
    db.session.commit()
    page = client.get(f"/staff/events/{drive.slug}/volunteers").get_data(as_text=True)
    assert page.index("后到") < page.index("先到")
    # The bulk buttons act on the ticked rows and say so (not "approve all").
    assert "通过勾选的申请" in page and "勾选的申请不通过" in page and "全部通过" not in page


def auth_admin(auth, db):
    from app.services.staff import get_by_username

    auth.login("admin")
    return get_by_username("admin")


def test_admin_approves_and_rejects_one_by_one(client, auth, db, drive):
    a = apply(db, drive, name="甲", phone="13900000001")[0]
    b = apply(db, drive, name="乙", phone="13900000002")[0]
    auth_admin(auth, db)
    url = f"/staff/events/{drive.slug}/volunteers/review"
    response = client.post(url, data={"approve_one": a.id, f"reason_{b.id}": "不会用到"})
    assert response.status_code == 303
    response = client.post(url, data={"reject_one": b.id, f"reason_{b.id}": ""})
    assert response.status_code == 400  # the queue again, the message beside the reason box
    assert "请填写不通过的原因" in response.get_data(as_text=True)
    client.post(url, data={"reject_one": b.id, f"reason_{b.id}": "未满 18 周岁"})
    db.session.expire_all()
    assert db.session.get(Registration, a.id).status == "confirmed"
    rejected = db.session.get(Registration, b.id)
    assert rejected.status == "rejected" and rejected.review_reason == "未满 18 周岁"
    assert db.session.get(Slot, drive.slots[0].id).booked == 1


def test_admin_bulk_approval_refuses_past_capacity(client, auth, db, drive):
    regs = [apply(db, drive, name=f"批{i}", phone=f"1390000000{i}")[0] for i in range(3)]
    auth_admin(auth, db)
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review",
                           data={"ids": [r.id for r in regs], "action": "approve"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已通过 2 份申请" in page and "已满" in page
    db.session.expire_all()
    assert sorted(db.session.get(Registration, r.id).status for r in regs) == ["confirmed", "confirmed", "pending"]
    assert db.session.get(Slot, drive.slots[0].id).booked == 2
    client.post(f"/staff/events/{drive.slug}/volunteers/review",
                data={"ids": [regs[2].id], "action": "reject", "reason": "名额已满"})
    db.session.expire_all()
    assert db.session.get(Registration, regs[2].id).status == "rejected"


def test_two_admins_approving_at_once_over_http_never_oversell(app, db, make_event, make_staff, live_server):
    """Two signed-in admins, two real connections to a threaded server, the last seat."""
    start = now_utc() + timedelta(days=2)
    event = make_event(slug="tight-drive", kind="volunteer", max_party_size=1,
                       slots=[shift("only", "唯一班次", start, capacity=1)])
    regs = [apply(db, event, name=f"抢{i}", phone=f"1390000001{i}")[0] for i in range(2)]
    make_staff("admin-a", "admin")
    make_staff("admin-b", "admin")
    db.session.commit()
    reg_ids = [r.id for r in regs]
    review_url = f"{live_server}/staff/events/{event.slug}/volunteers/review"  # threads touch no ORM object
    sessions = []
    for name in ("admin-a", "admin-b"):
        s = requests.Session()
        assert s.post(f"{live_server}/staff/login", data={"username": name, "password": ADMIN_PASSWORD},
                      allow_redirects=False).status_code == 302
        sessions.append(s)
    go = threading.Barrier(2)
    statuses = [None, None]

    def approve(i):
        go.wait(5)
        statuses[i] = sessions[i].post(review_url, data={"approve_one": reg_ids[i]}, allow_redirects=False).status_code

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert statuses == [303, 303]
    db.session.rollback()  # end the test's own read snapshot
    assert sorted(db.session.get(Registration, i).status for i in reg_ids) == ["confirmed", "pending"]
    assert db.session.get(Slot, event.slots[0].id).booked == 1


def checked_in(db, reg, at):
    db.session.add(CheckIn(registration_id=reg.id, event_id=reg.event_id, checked_in_at=at, gate="东门"))
    db.session.commit()


def trail_time(moment):
    """A time in the record's trail: Beijing time with its date, and its year if not this one."""
    local, this_year = moment + timedelta(hours=8), (now_utc() + timedelta(hours=8)).year
    return f"{local:%m-%d %H:%M}" if local.year == this_year else f"{local:%Y-%m-%d %H:%M}"


def test_the_record_page_and_a_time_correction(client, auth, db, drive):
    admin = auth_admin(auth, db)
    [reg] = apply(db, drive, name="孙悟空")
    volunteers.approve(reg, admin)
    db.session.commit()
    slot = drive.slots[0]
    checked_in(db, reg, slot.starts_at + timedelta(minutes=10))
    page = client.get(f"/staff/volunteers/{reg.id}").get_data(as_text=True)
    assert "孙悟空" in page and "139****9999" in page and "未签退" in page and "13900009999" not in page
    local_start = (slot.starts_at + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")  # Asia/Shanghai
    local_out = (slot.starts_at + timedelta(hours=9, minutes=30)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(f"/staff/volunteers/{reg.id}/times", data={"checked_in_at": local_start, "reason": ""})
    assert bad.status_code == 400 and "请填写更正原因" in bad.get_data(as_text=True)
    response = client.post(f"/staff/volunteers/{reg.id}/times",
                           data={"checked_in_at": local_start, "checked_out_at": local_out,
                                 "reason": "扫码失败，按纸质签到表"})
    assert response.status_code == 303
    db.session.expire_all()
    checkin = db.session.get(Registration, reg.id).checkin
    assert checkin.checked_in_at == slot.starts_at
    assert checkin.checked_out_at == slot.starts_at + timedelta(hours=1, minutes=30)
    page = client.get(f"/staff/volunteers/{reg.id}").get_data(as_text=True)
    assert "1.50" in page and "扫码失败，按纸质签到表" in page
    assert f"签到 {trail_time(slot.starts_at + timedelta(minutes=10))} → {trail_time(slot.starts_at)}" in page
    garbage = client.post(f"/staff/volunteers/{reg.id}/times", data={"checked_in_at": "昨天", "reason": "x"})
    assert garbage.status_code == 400
    # A year a date picker lets through (0001) is "时间不正确", not a 500 (no UTC for it).
    for name in ("checked_in_at", "checked_out_at", "extended_until"):
        slip = client.post(f"/staff/volunteers/{reg.id}/times",
                           data={name: "0001-01-01T00:00", "reason": "x"})
        assert slip.status_code == 400, name
        assert "时间不正确" in slip.get_data(as_text=True)


@pytest.fixture
def served(db, drive, make_staff):
    """Two volunteers with hours: 王芳 1.5 h + 2 h (capped), 李雷 0.75 h, one not checked out."""
    admin = make_staff("hours-admin", "admin")
    am, noon = drive.slots
    wang = volunteers.apply(drive, [am, noon], name="王芳", phone="13800138000", **FIELDS)
    li = volunteers.apply(drive, [am], name="=HYPERLINK(\"x\")", phone="13700137000", **FIELDS)
    zhou = volunteers.apply(drive, [noon], name="周未退", phone="13600136000", **FIELDS)
    for reg in wang + li + zhou:
        volunteers.approve(reg, admin)
    db.session.commit()
    checked_in(db, wang[0], am.starts_at)
    volunteers.check_out(wang[0], am.starts_at + timedelta(hours=1, minutes=30))
    checked_in(db, wang[1], noon.starts_at)
    volunteers.check_out(wang[1], noon.ends_at + timedelta(hours=2))
    checked_in(db, li[0], am.starts_at + timedelta(minutes=15))
    volunteers.check_out(li[0], am.starts_at + timedelta(hours=1))
    checked_in(db, zhou[0], noon.starts_at)
    db.session.commit()
    return {"wang": wang, "li": li, "zhou": zhou}


def test_the_hours_report(client, auth, served, drive):
    auth.login("staff")
    page = client.get(f"/staff/events/{drive.slug}/volunteers/hours").get_data(as_text=True)
    assert re.search(r'id="drive-total">4.25<', page)
    assert "3.50" in page and "0.75" in page and "1 人已签到未签退" in page
    assert "138****8000" in page and "13800138000" not in page


def test_the_hours_csv(client, auth, db, served, drive):
    auth.login("admin")
    response = client.get(f"/staff/events/{drive.slug}/export/hours.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    text = body[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, data = rows[0], rows[1:]
    assert header[0] == "姓名" and "服务时长（小时）" in header
    col = {name: header.index(name) for name in header}
    by_name = {}
    for row in data:
        by_name.setdefault(row[col["姓名"]], []).append(row)
    assert sorted(r[col["服务时长（小时）"]] for r in by_name["王芳"]) == ["1.50", "2.00"]
    assert {r[col["本次招募累计时长（小时）"]] for r in by_name["王芳"]} == {"3.50"}
    assert by_name["周未退"][0][col["服务时长（小时）"]] == "0.00"
    # Formula-safe: the name that looks like a formula starts with an apostrophe.
    assert "'=HYPERLINK(\"x\")" in by_name
    assert by_name["'=HYPERLINK(\"x\")"][0][col["服务时长（小时）"]] == "0.75"
    assert "13800138000" not in text and "138****8000" in text
    [row] = db.session.execute(select(AuditLog).where(AuditLog.action == "export.hours_csv")).scalars()
    assert row.actor_name == "admin" and row.detail["rows"] == 4


def test_the_hours_csv_through_a_real_server(live_server, db, served, drive):
    """As a browser gets it: the server's own session ends when the view returns, before
    the file has streamed (the test client above shares one session throughout)."""
    db.session.rollback()  # the server's threads have their own sessions
    http = requests.Session()
    assert http.post(f"{live_server}/staff/login", allow_redirects=False,
                     data={"username": "hours-admin", "password": ADMIN_PASSWORD}).status_code == 302
    response = http.get(f"{live_server}/staff/events/{drive.slug}/export/hours.csv", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 4 and rows[0][0] == "姓名"
    assert sorted(row[0] for row in rows[1:]) == sorted(["王芳", "王芳", "'=HYPERLINK(\"x\")", "周未退"])


def test_the_certificate_shows_the_volunteers_shifts_and_total(client, auth, db, served, drive):
    auth.login("admin")
    wang = served["wang"][0]
    for key in (str(wang.id), volunteers.phone_key("13800138000")):
        response = client.get(f"/staff/volunteers/{key}/certificate")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "志愿服务记录证明" in page and "王芳" in page and "138****8000" in page
        assert "13800138000" not in page
        assert re.search(r'class="cert-total">3.50<', page)
        assert "1号楼投放点 早班" in page and "食堂投放点 午班" in page
        assert "松江区机关事务管理局" in page and "出具日期" in page
    assert client.get("/staff/volunteers/13800138000/certificate").status_code == 404
    assert client.get("/staff/volunteers/not-a-person/certificate").status_code == 404
    auth.logout()
    auth.login("staff")
    assert client.get(f"/staff/volunteers/{wang.id}/certificate").status_code == 403


def test_another_bureau_issues_its_own_certificates_notices_and_mail(
        client, auth, db, served, drive, monkeypatch):
    """The organisation is a setting (ORGANISATION_NAME): the certificate's issuer, the
    privacy notice's handler, every page's header and footer and the mail name it, in
    either language, and the default name appears nowhere."""
    from flask_babel import refresh

    other = "嘉定区机关事务管理局"
    monkeypatch.setitem(client.application.config, "ORGANISATION_NAME", other)
    auth.login("admin")
    wang = served["wang"][0]
    [lisi] = apply(db, drive)
    mail = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.registration_id == lisi.id)).scalar_one()
    pages = {path: client.get(path).get_data(as_text=True) for path in (
        f"/staff/volunteers/{wang.id}/certificate", "/privacy", "/")}
    refresh()  # the test's app context outlives requests; Babel caches the locale there
    pages["/?lang=en"] = client.get("/?lang=en").get_data(as_text=True)
    for text in (*pages.values(), mail.body_text, mail.body_html):
        assert other in text and "松江区" not in text and "Songjiang" not in text
    assert f"参加了{other}组织的" in pages[f"/staff/volunteers/{wang.id}/certificate"]
    assert f"{other}（以下简称“我们”）" in pages["/privacy"]
    assert f"Organiser: {other}" in pages["/?lang=en"]


def test_the_checkout_api(client, auth, db, drive, make_staff):
    admin = make_staff("api-admin", "admin")
    [reg] = apply(db, drive)
    url = "/api/checkout"
    body = {"event": drive.slug, "code": f"http://testserver/tickets/{reg.token}", "gate": "东门"}
    assert client.post(url, json=body).status_code == 401
    auth.login("staff")
    assert client.post(url, json=body).get_json()["result"] == "not_checked_in"  # pending
    volunteers.approve(reg, admin)
    db.session.commit()
    assert client.post(url, json=body).get_json()["result"] == "not_checked_in"
    slot = db.session.get(Slot, reg.slot_id)  # the shift is under way (hours count from its window)
    slot.starts_at = now_utc() - timedelta(hours=1, minutes=30)
    slot.ends_at = slot.starts_at + timedelta(hours=2)
    checked_in(db, reg, now_utc() - timedelta(hours=1))
    answer = client.post(url, json=body).get_json()
    assert answer["result"] == "ok" and answer["hours"] == "1.00"  # from check-in, an hour ago
    assert answer["phone"] == "139****9999" and "13900009999" not in str(answer)
    assert client.post(url, json={**body, "code": reg.ticket_number}).get_json()["result"] == "already_checked_out"
    assert client.post(url, json={**body, "code": "NOPE1234"}).get_json()["result"] == "not_found"
    assert client.post(url, json={**body, "event": "other"}).get_json()["result"] == "not_found"
    assert client.post(url, data="not json", content_type="application/json").status_code == 400


def test_the_checkout_api_has_nothing_to_do_at_an_open_day(client, auth, db, make_event,
                                                           make_registration):
    from app.services.checkin import check_in

    day = make_event(slug="plain-day")
    visitor = make_registration(day)
    check_in(visitor, gate="东门")
    db.session.commit()
    auth.login("staff")
    answer = client.post("/api/checkout", json={"event": "plain-day", "code": visitor.ticket_number})
    assert answer.status_code == 404 and "志愿者" in answer.get_json()["message"]
    assert db.session.execute(select(CheckIn.checked_out_at)).scalar_one() is None


def test_the_checkout_api_needs_the_csrf_header_after_the_login(make_app, make_staff, db, drive):
    from tests.conftest import STAFF_PASSWORD

    app = make_app(WTF_CSRF_ENABLED=True)
    make_staff("gate", "staff")
    db.session.commit()
    client = app.test_client()
    body = {"event": drive.slug, "code": "NOPE1234"}
    assert client.post("/api/checkout", json=body).status_code == 401
    login_page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    client.post("/staff/login", data={"username": "gate", "password": STAFF_PASSWORD,
                                      "csrf_token": token.group(1)})
    refused = client.post("/api/checkout", json=body)
    # As /api/checkin answers it: the screen keeps its queue and asks for a reload.
    assert refused.status_code == 400 and refused.get_json()["reload"] is True
    assert "刷新页面" in refused.get_json()["message"]
    screen = client.get(f"/staff/events/{drive.slug}/checkin").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', screen).group(1)
    answer = client.post("/api/checkout", json=body, headers={"X-CSRFToken": meta})
    assert answer.status_code == 200 and answer.get_json()["result"] == "not_found"


def test_the_contracts_single_slot_field_is_taken_too(client, db, drive):
    data = form_data()
    del data["slots"]
    response = client.post(f"/events/{drive.slug}/apply", data={**data, "slot": "d1-noon"})
    assert response.status_code == 303
    [reg] = db.session.execute(select(Registration)).scalars().all()
    assert reg.slot.key == "d1-noon" and reg.status == "pending"


def test_the_workspace_links_to_the_volunteer_pages(client, auth, drive):
    auth.login("staff")
    page = client.get("/staff/", follow_redirects=True).get_data(as_text=True)
    assert f"/staff/events/{drive.slug}/volunteers" in page


def test_a_correction_form_sent_back_with_the_shown_times_changes_only_what_was_edited(client, auth, db, drive):
    admin = auth_admin(auth, db)
    [reg] = apply(db, drive)
    volunteers.approve(reg, admin)
    db.session.commit()
    slot = drive.slots[0]
    checked_in(db, reg, slot.starts_at + timedelta(minutes=3, seconds=40))
    volunteers.check_out(reg, slot.starts_at + timedelta(hours=1, seconds=50))
    db.session.commit()
    page = client.get(f"/staff/volunteers/{reg.id}").get_data(as_text=True)
    shown_in = re.search(r'name="checked_in_at"[^>]*value="([^"]+)"', page).group(1)
    shown_out = re.search(r'name="checked_out_at"[^>]*value="([^"]+)"', page).group(1)
    extended = (slot.ends_at + timedelta(hours=8, minutes=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/staff/volunteers/{reg.id}/times", data={
        "checked_in_at": shown_in, "checked_out_at": shown_out, "extended_until": extended,
        "reason": "延长半小时"})
    assert response.status_code == 303
    db.session.expire_all()
    checkin = db.session.get(Registration, reg.id).checkin
    assert checkin.checked_in_at == slot.starts_at + timedelta(minutes=3, seconds=40)
    assert checkin.checked_out_at == slot.starts_at + timedelta(hours=1, seconds=50)
    assert checkin.extended_until == slot.ends_at + timedelta(minutes=30)


def test_register_url_takes_a_volunteer_application_and_the_ticket_shows_its_status(client, db, drive):
    """CONTRACT §4: /events/<slug>/register is the application form for a volunteer drive."""
    page = client.get(f"/events/{drive.slug}/register")
    assert page.status_code == 200 and 'name="slots"' in page.get_data(as_text=True)
    response = client.post(f"/events/{drive.slug}/register", data={
        "slots": [drive.slots[0].key], "name": "赵志愿", "phone": "13911112222",
        "age_group": "18-30", "organisation": "方松街道", "consent": "y", "code": "y"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审核" in ticket


def test_the_check_in_screen_checks_a_volunteer_out_without_javascript(client, auth, db, drive):
    admin = auth_admin(auth, db)
    [reg] = apply(db, drive, name="签退人")
    volunteers.approve(reg, admin)
    db.session.commit()
    checked_in(db, reg, now_utc() - timedelta(minutes=45))
    screen = client.get(f"/staff/events/{drive.slug}/checkin").get_data(as_text=True)
    assert f'action="/staff/events/{drive.slug}/checkout"' in screen
    response = client.post(f"/staff/events/{drive.slug}/checkout",
                           data={"code": reg.ticket_number.lower()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已签退" in page
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).checkin.checked_out_at is not None
    again = client.post(f"/staff/events/{drive.slug}/checkout", data={"code": reg.ticket_number},
                        follow_redirects=True).get_data(as_text=True)
    assert "已经签退过" in again
    unknown = client.post(f"/staff/events/{drive.slug}/checkout", data={"code": "NOPE"},
                          follow_redirects=True).get_data(as_text=True)
    assert "没有找到这张票" in unknown


def test_the_organisation_is_read_from_the_environment(tmp_path):
    from config import Config

    settings = Config.from_env(str(tmp_path), {"SECRET_KEY": "x", "ORGANISATION_NAME": " 嘉定区机关事务管理局 ",
                                               "ORGANISATION_CONTACT": "021-59990000"})
    assert settings["ORGANISATION_NAME"] == "嘉定区机关事务管理局"
    assert settings["ORGANISATION_CONTACT"] == "021-59990000"
    assert Config.from_env(str(tmp_path), {"SECRET_KEY": "x"})["ORGANISATION_NAME"] == "松江区机关事务管理局"


def test_the_volunteer_pages_keep_the_staff_navigation(client, auth, served, drive):
    auth.login("admin")
    wang = served["wang"][0]
    for path in (f"/staff/events/{drive.slug}/volunteers", f"/staff/events/{drive.slug}/volunteers/hours",
                 f"/staff/volunteers/{wang.id}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert 'class="staff-nav"' in page and "退出登录" in page, path


def test_the_application_trims_names_and_gives_one_message_for_a_bad_phone(client, db, drive):
    response = client.post(f"/events/{drive.slug}/apply", data=form_data(phone="1" * 45))
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="phone-error"[^>]*>(.*?)</p>', page).group(1)
    assert error.count("11 位中国大陆手机号码") == 1 and "字段长度" not in page
    response = client.post(f"/events/{drive.slug}/apply", data=form_data(name="  王芳  "))
    assert response.status_code == 303
    names = {r.name for r in db.session.execute(select(Registration)).scalars()}
    assert names == {"王芳"}


def _shift_list(page):
    """The "all your shifts" section of a ticket page ('' when there is none)."""
    match = re.search(r'<section[^>]*id="volunteer-shifts".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_each_shifts_ticket_lists_all_the_volunteers_shifts_of_the_drive(client, db, drive, make_staff):
    response = client.post(f"/events/{drive.slug}/apply", data=form_data(email=""))
    assert response.status_code == 303
    apply(db, drive, name="别人")  # another volunteer, same drive
    am, noon = db.session.execute(select(Registration).where(Registration.phone == "13800138000")
                                  .order_by(Registration.id)).scalars().all()
    first, second = am.token, noon.token
    landing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "您在本次招募中共申请了 2 个班次" in landing
    assert "退出这个班次" in landing and "取消报名" not in landing  # one shift, not the lot
    assert "人数" not in landing  # a volunteer is one person
    shifts = _shift_list(landing)
    assert "您在本次招募中申请的全部班次" in shifts
    assert "1号楼投放点 早班" in shifts and "食堂投放点 午班" in shifts and "待审核" in shifts
    assert f'href="/tickets/{second}"' in shifts and f'href="/tickets/{first}"' not in shifts
    assert "别人" not in landing and shifts.count("<li") == 2

    admin = make_staff("reviewer")
    volunteers.reject(am, admin, "早班人员已满")
    volunteers.approve(noon, admin)
    db.session.commit()
    page = client.get(f"/tickets/{first}").get_data(as_text=True)
    shifts = _shift_list(page)
    assert "未通过" in shifts and "已通过" in shifts and "待审核" not in shifts
    assert f'href="/tickets/{second}"' in shifts
    # The approved shift is still active: no offer to delete the data from the rejected one.
    assert "删除我的个人信息" not in page
    confirm = client.get(f"/tickets/{first}/erase")
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "请先退出那些班次" in body and f'action="/tickets/{first}/erase"' not in body
    refused = client.post(f"/tickets/{first}/erase")
    assert refused.status_code == 409 and "请先退出那些班次" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, am.id).phone == "13800138000"
    # The approved shift's own ticket: its QR code, and the way back to the first.
    other = client.get(f"/tickets/{second}").get_data(as_text=True)
    assert f"/tickets/{second}/qr.png" in other and f'href="/tickets/{first}"' in _shift_list(other)

    # Withdrawn from the approved shift too: now the data may go.
    assert client.post(f"/tickets/{second}/cancel").status_code == 303
    page = client.get(f"/tickets/{first}").get_data(as_text=True)
    assert "已退出" in _shift_list(page) and "删除我的个人信息" in page
    assert client.post(f"/tickets/{first}/erase").status_code == 303


def test_one_shift_or_an_open_day_shows_no_shift_list(client, db, drive, make_event, make_registration):
    [reg] = apply(db, drive)
    page = client.get(f"/tickets/{reg.token}").get_data(as_text=True)
    assert "待审核" in page and _shift_list(page) == "" and "共申请了" not in page
    ticket = make_registration(make_event(), phone="13800138000")
    assert _shift_list(client.get(f"/tickets/{ticket.token}").get_data(as_text=True)) == ""


def test_withdrawing_a_pending_application_says_withdrawn_not_seats_freed(
        client, db, drive, make_registration):
    application = make_registration(drive, drive.slots[0], email="v@example.com")
    assert application.status == "pending"
    page = client.post(f"/tickets/{application.token}/cancel", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "已撤回申请" in text and "名额已释放" not in text
    mail = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == "v@example.com", OutboxMessage.kind == "cancelled")).scalar_one()
    assert "志愿者申请已撤回" in mail.body_text and "名额已释放" not in mail.body_html


def beijing(moment):
    """A datetime-local field's value: the time in Beijing."""
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def field_error(page, name):
    found = re.search(rf'id="{name}-error"[^>]*>([^<]*)<', page)
    return found.group(1) if found else None


def test_a_time_correction_stays_within_the_shift(client, auth, db, drive):
    """Issue: 2000-01-01 09:00 → 2100-12-31 23:00 was taken for a 2-hour shift, then a check-in
    weeks before it, and the record, the hours page, the CSV and the certificate counted
    632.50 hours."""
    admin = auth_admin(auth, db)
    [reg] = apply(db, drive)
    volunteers.approve(reg, admin)
    db.session.commit()
    slot = drive.slots[0]
    checked_in(db, reg, slot.starts_at + timedelta(minutes=5))
    url = f"/staff/volunteers/{reg.id}/times"
    for name, message, data in [
        ("checked_in_at", "可以签到的时段", {"checked_in_at": "2000-01-01T09:00",
                                        "checked_out_at": "2100-12-31T23:00"}),
        ("checked_in_at", "可以签到的时段",
         {"checked_in_at": beijing(slot.starts_at - timedelta(days=26, hours=6, minutes=30))}),
        ("checked_in_at", "可以签到的时段", {"checked_in_at": beijing(slot.starts_at - timedelta(minutes=61))}),
        ("checked_in_at", "可以签到的时段", {"checked_in_at": beijing(slot.ends_at + timedelta(minutes=1))}),
        ("checked_out_at", "不能晚于班次结束时间", {"checked_out_at": "2100-12-31T23:00"}),
        ("checked_out_at", "不能晚于班次结束时间", {"checked_out_at": beijing(slot.ends_at + timedelta(minutes=1))}),
        ("checked_out_at", "应晚于签到时间", {"checked_out_at": beijing(slot.starts_at + timedelta(minutes=5))}),
        ("checked_out_at", "不能晚于延长至的时间",
         {"checked_out_at": beijing(slot.ends_at + timedelta(minutes=31)),
          "extended_until": beijing(slot.ends_at + timedelta(minutes=30))}),
    ]:
        response = client.post(url, data={**data, "reason": "x"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, data
        assert message in (field_error(page, name) or ""), (data, field_error(page, name))
    db.session.expire_all()
    checkin = db.session.get(Registration, reg.id).checkin
    assert (checkin.checked_in_at, checkin.checked_out_at, checkin.extended_until) \
        == (slot.starts_at + timedelta(minutes=5), None, None)
    assert not db.session.execute(
        select(AuditLog).where(AuditLog.action == "volunteer.correct_times")).scalars().all()
    # The window's edges are taken (the door opens an hour early), and a volunteer who stayed
    # on is recorded with the extension that lets the later check-out count.
    response = client.post(url, data={
        "checked_in_at": beijing(slot.starts_at - timedelta(minutes=60)),
        "checked_out_at": beijing(slot.ends_at + timedelta(minutes=30)),
        "extended_until": beijing(slot.ends_at + timedelta(minutes=30)), "reason": "提前布置，延时收尾"})
    assert response.status_code == 303
    page = client.get(f"/staff/volunteers/{reg.id}").get_data(as_text=True)
    assert re.search(r'class="hours">3\.50<', page)


def test_hours_never_count_from_before_the_check_in_window(client, auth, db, drive):
    """A record already stored across years (before corrections were bounded) counts from the
    window's opening to the shift's end, and its dates are shown where they differ."""
    from datetime import datetime, timezone

    admin = auth_admin(auth, db)
    [reg] = apply(db, drive, name="周年")
    volunteers.approve(reg, admin)
    db.session.commit()
    slot = drive.slots[0]
    db.session.add(CheckIn(registration_id=reg.id, event_id=reg.event_id, gate="",
                           checked_in_at=datetime(2000, 1, 1, 1, 0, tzinfo=timezone.utc),
                           checked_out_at=datetime(2100, 12, 31, 15, 0, tzinfo=timezone.utc)))
    db.session.commit()
    # From an hour before the start (the window) to the end: 3 hours, not 877,000.
    record = client.get(f"/staff/volunteers/{reg.id}").get_data(as_text=True)
    assert re.search(r'class="hours">3\.00<', record)
    hours_page = client.get(f"/staff/events/{drive.slug}/volunteers/hours").get_data(as_text=True)
    assert re.search(r'id="drive-total">3\.00<', hours_page)
    assert "2000-01-01 09:00–2100-12-31 23:00" in hours_page  # not "09:00–23:00"
    rows = list(csv.reader(io.StringIO(
        client.get(f"/staff/events/{drive.slug}/export/hours.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][rows[0].index("服务时长（小时）")] == "3.00"
    rows = list(csv.reader(io.StringIO(
        client.get(f"/staff/events/{drive.slug}/export/registrations.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][rows[0].index("服务时长（小时）")] == "3.0"
    certificate = client.get(f"/staff/volunteers/{reg.id}/certificate").get_data(as_text=True)
    assert re.search(r'class="cert-total">3\.00<', certificate) and "2000-01-01" not in certificate
    # Correcting the check-in into the window is taken (the stored check-out stays, capped);
    # the trail shows the year that changed.
    response = client.post(f"/staff/volunteers/{reg.id}/times",
                           data={"checked_in_at": beijing(slot.starts_at), "reason": "按签到表更正"})
    assert response.status_code == 303
    record = client.get(f"/staff/volunteers/{reg.id}").get_data(as_text=True)
    assert re.search(r'class="hours">2\.00<', record)
    assert f"签到 2000-01-01 09:00 → {trail_time(slot.starts_at)}" in record
