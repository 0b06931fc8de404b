"""The commands of CONTRACT §3, through Flask's CLI runner."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, Event, Registration, Slot, StaffUser
from tests.conftest import event_data, now_utc, write_json


def test_db_upgrade_builds_a_fresh_sqlite_database(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}",
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from app.extensions import db

    with app.app_context():
        tables = set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"event", "slot", "registration", "checkin", "feedback", "follow_up",
            "staff_user", "audit_log", "outbox_message", "invitation"} <= tables


def test_staff_create(runner, db):
    result = runner.invoke(args=["staff", "create", "wang", "--role", "admin",
                                 "--password", "a-long-enough-password"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(StaffUser).where(StaffUser.username == "wang")).scalar_one()
    assert user.role == "admin"
    assert user.check_password("a-long-enough-password")
    assert "a-long-enough-password" not in user.password_hash


def test_staff_create_prompts_for_the_password(runner, db):
    result = runner.invoke(args=["staff", "create", "li", "--role", "staff"],
                           input="prompted-password-1\nprompted-password-1\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(StaffUser).where(StaffUser.username == "li")).scalar_one()
    assert user.role == "staff" and user.check_password("prompted-password-1")


def test_staff_create_refuses_a_short_password_and_a_duplicate(runner, db):
    result = runner.invoke(args=["staff", "create", "zhao", "--password", "short"])
    assert result.exit_code != 0 and "12" in result.output
    runner.invoke(args=["staff", "create", "zhao", "--password", "long-enough-pass"])
    again = runner.invoke(args=["staff", "create", "zhao", "--password", "long-enough-pass"])
    assert again.exit_code != 0 and "zhao" in again.output
    assert db.session.execute(select(func.count(StaffUser.id))).scalar() == 1


@pytest.mark.parametrize("password", [" " * 14, "a-long-password\x07x", "\tlong-enough-pass"])
def test_staff_create_refuses_a_password_the_sign_in_form_cannot_send(runner, db, password):
    result = runner.invoke(args=["staff", "create", "spaceman", "--password", password])
    assert result.exit_code == 1 and "不能只有空格，也不能含有控制字符" in result.output
    assert db.session.execute(select(func.count(StaffUser.id))).scalar() == 0


def test_staff_create_refuses_a_name_differing_only_in_case_and_a_password_of_the_name(
        runner, db):
    assert runner.invoke(args=["staff", "create", "qadoor", "--password",
                               "long-enough-pass"]).exit_code == 0
    twin = runner.invoke(args=["staff", "create", "QADoor", "--password", "long-enough-pass"])
    assert twin.exit_code != 0 and "已存在" in twin.output
    named = runner.invoke(args=["staff", "create", "door6", "--password", "door6door6ab"])
    assert named.exit_code != 0 and "不能主要由用户名组成" in named.output
    assert db.session.execute(select(StaffUser.username)).scalars().all() == ["qadoor"]


@pytest.mark.parametrize("typed", ["\u200badmin", "adm\u202ein", "door one", "门岗", "x", "d" * 41])
def test_staff_create_refuses_a_name_with_hidden_or_lookalike_characters(runner, db, typed):
    result = runner.invoke(args=["staff", "create", typed, "--password", "long-enough-pass"])
    assert result.exit_code != 0
    assert "2–40 个字符" in result.output and "Traceback" not in result.output
    assert db.session.execute(select(func.count(StaffUser.id))).scalar() == 0


def test_staff_create_stores_a_full_width_name_as_the_ascii_it_shows(runner, db):
    result = runner.invoke(args=["staff", "create", "ｗａｎｇ＿１", "--password", "long-enough-pass"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created staff wang_1"
    assert db.session.execute(select(StaffUser.username)).scalars().all() == ["wang_1"]
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "staff.create")).scalar_one()
    assert row.detail["username"] == "wang_1"


def test_events_import_creates_and_prints_the_slug(runner, db, tmp_path):
    path = write_json(tmp_path / "event.json", event_data(slug="energy-week-open-day"))
    result = runner.invoke(args=["events", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "energy-week-open-day"
    event = db.session.execute(select(Event)).scalar_one()
    assert event.title == "测试开放日" and len(event.slots) == 1
    assert event.slots[0].capacity == 10
    assert db.session.execute(select(AuditLog.action)).scalar_one() == "event.import"


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.pop("title"), "title"),
    (lambda d: d.update(slug="Bad Slug!"), "slug"),
    (lambda d: d.update(kind="party"), "kind"),
    (lambda d: d.update(registration_opens_at="next monday"), "registration_opens_at"),
    (lambda d: d.update(registration_opens_at="2026-06-01T09:00:00"), "registration_opens_at"),
    (lambda d: d.update(max_party_size=0), "max_party_size"),
    (lambda d: d.update(max_party_size="4"), "max_party_size"),
    (lambda d: d.update(feedback_topics="节能"), "feedback_topics"),
    (lambda d: d.update(slots=[]), "slots"),
    (lambda d: d["slots"][0].update(capacity=-1), "slots[0].capacity"),
    (lambda d: d["slots"][0].update(mode="hybrid"), "slots[0].mode"),
    (lambda d: d["slots"][0].pop("starts_at"), "slots[0].starts_at"),
    (lambda d: d["slots"][0].update(ends_at=d["slots"][0]["starts_at"]), "slots[0].ends_at"),
    (lambda d: d["slots"].append(dict(d["slots"][0])), "slots"),
    (lambda d: d["slots"].append(dict(d["slots"][0], key=d["slots"][0]["key"].upper())), "slots"),
])
def test_events_import_names_the_bad_field(runner, db, tmp_path, mutate, field):
    data = event_data()
    mutate(data)
    path = write_json(tmp_path / "event.json", data)
    result = runner.invoke(args=["events", "import", str(path)])
    assert result.exit_code != 0
    assert field in result.output
    assert "Traceback" not in result.output
    assert db.session.execute(select(func.count(Event.id))).scalar() == 0


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.update(title="\u202e日放开能节"), "title"),       # reads backwards on the page
    (lambda d: d.update(title="节能\u200b开放日"), "title"),
    (lambda d: d.update(location="区行政\u2066中心"), "location"),
    (lambda d: d.update(description="第一行\n\u202e第二行"), "description"),
    (lambda d: d.update(what_to_bring="身份证\x07"), "what_to_bring"),
    (lambda d: d.update(feedback_topics=["垃圾\u200b分类"]), "feedback_topics"),
    (lambda d: d["slots"][0].update(label="上午\u200e场"), "slots[0].label"),
    (lambda d: d["slots"][0].update(location="东门\ufeff"), "slots[0].location"),
    (lambda d: d["slots"][0].update(description="说明\u202d"), "slots[0].description"),
    (lambda d: d["slots"][0].update(mode="online", join_url="https://meeting.example/\u202egpj.exe"),
     "slots[0].join_url"),  # shows one address and leads to another
])
def test_events_import_refuses_hidden_characters_and_names_the_field(runner, db, tmp_path,
                                                                    mutate, field):
    data = event_data()
    mutate(data)
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "event.json", data))])
    assert result.exit_code != 0
    assert field in result.output and "无法显示的字符" in result.output
    assert db.session.execute(select(func.count(Event.id))).scalar() == 0


def test_events_import_keeps_line_breaks_and_emoji(runner, db, tmp_path):
    """Emoji pass as they do in a citizen's name (the public form's rule): the zero-width
    joiner of a family and the variation selector of ❤️ are part of what shows."""
    data = event_data(title="亲子开放日 👨\u200d👩\u200d👧 ❤\ufe0f", description="第一行\r\n第二行\n第三行",
                      what_to_bring="身份证\n水杯")
    data["slots"][0].update(label="上午场 🌞", location="东门（近地铁）", description="一\n二")
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "event.json", data))])
    assert result.exit_code == 0, result.output
    event = db.session.execute(select(Event)).scalar_one()
    assert event.title == "亲子开放日 👨\u200d👩\u200d👧 ❤\ufe0f"
    assert event.description == "第一行\n第二行\n第三行" and event.slots[0].description == "一\n二"


@pytest.mark.parametrize("content, said", [
    (b"{not json", "不是有效的 JSON：第 1 行第 2 列有误"),
    (b"", "不是有效的 JSON：第 1 行第 1 列有误"),
    ('{"title": "节能"}'.encode("gbk"), "不是 UTF-8 编码的文本"),
    ('{"title": "节能"}'.encode("utf-16"), "不是 UTF-8 编码的文本"),
    (b'{"capacity": ' + b"9" * 5000 + b"}", "过长的数字"),
    (b"[" * 100_000, "过深的嵌套"),
    (b'{"title": "\\ud800x"}', "无法识别的字符"),
])
def test_events_import_says_in_chinese_what_is_wrong_with_the_file(runner, db, tmp_path,
                                                                  content, said):
    path = tmp_path / "event.json"
    path.write_bytes(content)
    result = runner.invoke(args=["events", "import", str(path)])
    assert result.exit_code == 1 and said in result.output, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # click's own exit, not a crash
    assert db.session.execute(select(func.count(Event.id))).scalar() == 0


def test_events_import_says_when_there_is_no_such_file(runner, tmp_path):
    missing = runner.invoke(args=["events", "import", str(tmp_path / "none.json")])
    assert missing.exit_code == 1 and "找不到文件" in missing.output
    folder = runner.invoke(args=["events", "import", str(tmp_path)])
    assert folder.exit_code == 1 and "是一个文件夹" in folder.output


def test_a_title_of_spaces_is_missing(runner, db, tmp_path):
    data = event_data(title="   ")
    data["slots"][0]["label"] = " \t "
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 1 and "缺少字段 title" in result.output
    data["title"] = "节能开放日"
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 1 and "缺少字段 slots[0].label" in result.output
    assert db.session.execute(select(func.count(Event.id))).scalar() == 0


@pytest.mark.parametrize("status", ["closed", "draft"])
def test_reimport_without_a_status_keeps_the_events_own(runner, db, tmp_path, make_event, status):
    event = make_event(slug="kept", status=status)
    data = event_data(slug="kept", title="改过的标题")
    data.pop("status", None)
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.title, event.status) == ("改过的标题", status)
    data["status"] = "published"  # said in the file: done
    runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"


def test_reimport_updates_without_losing_registrations(
        runner, db, tmp_path, make_event, make_registration):
    event = make_event(slug="reimport")
    registration = make_registration(event, party_size=3)
    data = event_data(slug="reimport", title="新标题")
    data["slots"][0]["capacity"] = 20
    start = now_utc() + timedelta(days=2)
    data["slots"].append({"key": "pm", "label": "下午场", "starts_at": start.isoformat(),
                          "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 5})
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    event = db.session.execute(select(Event).where(Event.slug == "reimport")).scalar_one()
    assert event.title == "新标题"
    assert [s.key for s in event.slots] == ["am", "pm"]
    am = event.slot_by_key("am")
    assert am.capacity == 20 and am.booked == 3
    assert db.session.get(Registration, registration.id).slot_id == am.id


def test_reimport_that_moves_a_slot_prints_who_was_mailed_and_who_to_phone(
        runner, db, tmp_path, make_event, make_registration):
    event = make_event(slug="moved")
    make_registration(event, email="a@example.com")
    make_registration(event)
    data = event_data(slug="moved")
    start = now_utc() + timedelta(days=4)
    data["slots"][0].update(starts_at=start.isoformat(),
                            ends_at=(start + timedelta(hours=2)).isoformat())
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 0, result.output
    slug, summary = result.output.strip().splitlines()
    assert slug == "moved"
    assert "上午场" in summary and "已向 1 位报名人发送变更邮件" in summary and "1 位未留邮箱" in summary
    # The same file again changes nothing and tells nobody.
    again = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert again.exit_code == 0 and again.output.strip() == "moved"


def test_reimport_with_more_seats_moves_the_waiting_list_up(
        runner, db, tmp_path, make_event, make_registration):
    event = make_event(slug="wider", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    make_registration(event)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event, email="second@example.com")
    assert {first.status, second.status} == {"waitlisted"}
    slot = event.slots[0]
    data = event_data(slug="wider", waitlist=True, slots=[dict(
        event_data()["slots"][0], starts_at=slot.starts_at.isoformat(),
        ends_at=slot.ends_at.isoformat(), capacity=3)])
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "wider", "候补名单中有 2 条报名递补成功，已通知本人。"]
    db.session.expire_all()
    assert [db.session.get(Registration, r.id).status for r in (first, second)] == \
        ["confirmed", "confirmed"]
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "event.import")).scalar_one()
    assert row.detail["promoted"] == [first.ticket_number, second.ticket_number]


def test_reimport_refuses_to_shrink_below_booked_seats(
        runner, db, tmp_path, make_event, make_registration):
    event = make_event(slug="shrink")
    make_registration(event, party_size=4)
    make_registration(event, party_size=2)
    data = event_data(slug="shrink")
    data["slots"][0]["capacity"] = 5
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code != 0
    assert "slots[0].capacity" in result.output or "6" in result.output
    db.session.expire_all()
    assert db.session.execute(select(Slot.capacity)).scalar_one() == 10


def test_reimport_refuses_to_change_the_kind_of_an_event_with_registrations(
        runner, db, tmp_path, make_event, make_registration):
    event = make_event(slug="kinded")
    make_registration(event)
    data = event_data(slug="kinded", kind="volunteer")
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code != 0 and "kind" in result.output
    db.session.expire_all()
    assert db.session.execute(select(Event.kind).where(Event.slug == "kinded")).scalar_one() == "open_day"
    # Without registrations the kind may still change (a draft set up wrongly).
    make_event(slug="empty-one")
    data = event_data(slug="empty-one", kind="volunteer")
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "f.json", data))])
    assert result.exit_code == 0, result.output


def test_demo_loads_the_three_events_of_the_plan_once(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    titles = set(db.session.execute(select(Event.title)).scalars())
    assert titles == {"公共机构节能宣传周开放日", "后勤管家开放日", "垃圾分类检查志愿者招募"}
    assert "Demo admin: username 'admin'" in result.output
    logistics = db.session.execute(
        select(Event).where(Event.slug == "logistics-open-day")).scalar_one()
    assert {s.mode for s in logistics.slots} == {"onsite", "online"}
    drive = db.session.execute(
        select(Event).where(Event.slug == "waste-sorting-volunteers")).scalar_one()
    assert drive.kind == "volunteer" and len(drive.slots) >= 2
    energy = db.session.execute(
        select(Event).where(Event.slug == "energy-week-open-day")).scalar_one()
    assert all(s.starts_at > now_utc() for s in energy.slots)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert db.session.execute(select(func.count(Event.id))).scalar() == 3
    assert "Demo admin" in again.output  # the login is printed on every run


def test_demo_prints_only_the_password_of_this_database(runner, db, app):
    from pathlib import Path

    saved = Path(app.config["DEMO_ADMIN_PASSWORD_FILE"])
    saved.unlink(missing_ok=True)
    first = runner.invoke(args=["demo"])
    printed = re.search(r"password '([^']+)'", first.output).group(1)
    admin = db.session.execute(select(StaffUser).where(StaffUser.username == "admin")).scalar_one()
    assert admin.check_password(printed)  # the login printed is the one that works
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    assert printed in saved.read_text()

    # The file now belongs to another database (run against a copy, say): this one's demo
    # admin already exists, so no password is known here and none is made up.
    saved.write_text(json.dumps({"database": "another-database", "password": "not-this-one"}))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "not-this-one" not in again.output and "already exist" in again.output
    assert "not-this-one" in saved.read_text()  # and the other database's login is kept

    # A file from before databases were recorded (plain text) is not trusted either.
    saved.write_text("old-plain-password")
    assert "old-plain-password" not in runner.invoke(args=["demo"]).output


def test_demo_events_round_trip_through_the_importer(app):
    from app.services.demo import demo_events
    from app.services.events import validate_event_data

    for data in demo_events():
        assert validate_event_data(json.loads(json.dumps(data)))["slug"] == data["slug"]


def test_mail_worker_leaves_no_transaction_open(runner, db, make_app):
    """The worker must not keep SQLite's write lock between rounds (it would stop the site)."""
    result = runner.invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0 and "sent 0" in result.output
    if db.engine.dialect.name != "sqlite":
        return
    from sqlalchemy import text

    from app.services.mail import run_worker

    production_like = make_app(SQLITE_IMMEDIATE_OUTSIDE_REQUESTS=True)
    quick = make_app(SQLITE_BUSY_TIMEOUT_MS=200)
    with production_like.app_context():
        run_worker(once=True)  # one round of `flask mail worker`, as deployed
        # While the worker sleeps, a registration (a POST) must get the write lock.
        with quick.test_request_context(method="POST"):
            with db.engine.connect() as conn:  # raises "database is locked" otherwise
                conn.execute(text("SELECT 1"))
                conn.commit()
            db.engine.dispose()


def test_events_import_notes_a_registration_deadline_after_a_slot_starts(runner, db, tmp_path):
    data = event_data()
    data["registration_closes_at"] = data["slots"][0]["ends_at"]
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code == 0
    assert "报名截止时间晚于场次" in result.output


def test_events_import_keeps_a_slot_with_registrations_even_when_its_key_is_renamed(
        runner, db, tmp_path, make_event, make_registration):
    event = make_event(slug="renamed")
    make_registration(event)
    data = event_data(slug="renamed")
    data["slots"][0]["key"] = "am-new"
    result = runner.invoke(args=["events", "import", str(write_json(tmp_path / "e.json", data))])
    assert result.exit_code != 0
    assert "已有报名，不能删除，也不能改它的场次代码" in result.output
    db.session.expire_all()
    assert [s.key for s in db.session.get(Event, event.id).slots] == ["am"]



def test_privacy_purge_refuses_a_negative_retention(runner, db, make_event, make_registration):
    event = make_event()  # its slot is still to come
    registration = make_registration(event)
    result = runner.invoke(args=["privacy", "purge", "--days", "-30"])
    assert result.exit_code == 1 and "保留天数不能为负数" in result.output
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).name == registration.name != "（已删除）"


def test_db_upgrade_names_staff_accounts_that_differ_only_in_case(make_app, tmp_path):
    """Migration 0004 makes user names unique whatever their case; a database where two
    requests once both got through is told which names to fix, and nothing is half done."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.extensions import db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = make_app(DATABASE_URL=url, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(revision="0003")
        for name in ("Door9", "door9"):
            db.session.execute(text(
                "INSERT INTO staff_user (username, display_name, password_hash, role, active,"
                " session_token, created_at) VALUES (:n, :n, 'x', 'staff', 1, :n, '2026-01-01')"),
                {"n": name})
        db.session.commit()
        db.engine.dispose()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code != 0
    assert "door9" in result.output and "flask db upgrade" in result.output, result.output
    with app.app_context():
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert version == "0003"
