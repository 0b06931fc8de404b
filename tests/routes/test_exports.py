"""The exports of CONTRACT §5: admin only, audited, CSV for Excel and the same as .xlsx."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import AuditLog, Feedback
from app.services import feedback as feedback_service
from tests.feedback_factories import answers, check_in, started_slots

NASTY_COMMENT = '=HYPERLINK("http://evil.example","点我")'


def seed(db, make_event, make_registration, hours_ago=1):
    event = make_event(slots=started_slots(hours_ago=hours_ago))
    first = make_registration(event, name="=cmd|' /C calc'!A0", phone="13912345678",
                              email="a@example.com")
    second = make_registration(event, name="李四", party_size=2)
    check_in(first, gate="东门")
    feedback_service.submit(event, answers(1, {"垃圾分类": 1}, comment=NASTY_COMMENT,
                                           suggestions="第一行\n第二行", wants_reply=True,
                                           contact="+8613912345678"), registration=first)
    feedback_service.submit(event, answers(4, comment="-1+2", suggestions="@SUM(1)"),
                            registration=second)
    # The form strips text; a row stored by any other means may still begin with a tab.
    db.session.add(Feedback(event_id=event.id, overall=3, comment="\t制表符",
                            suggestions="\r回车", browser_key="poster"))
    db.session.commit()
    return event


def read_csv(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert "\r\n" in text and text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("path", [
    "/staff/events/test-open-day/export/registrations.csv",
    "/staff/events/test-open-day/export/feedback.csv",
    "/staff/events/test-open-day/export/feedback.xlsx",
    "/staff/events/test-open-day/export/follow-ups.csv",
    "/staff/follow-ups/export.csv",
    "/staff/report/export.csv",
])
def test_exports_are_admin_only(client, auth, make_event, path):
    make_event(slots=started_slots())
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert "/staff/login" in anonymous.headers["Location"]
    auth.login("staff")
    assert client.get(path).status_code == 403


def test_registrations_csv(client, auth, db, make_event, make_registration):
    event = seed(db, make_event, make_registration)
    auth.login("admin")
    response = client.get(f"/staff/events/{event.slug}/export/registrations.csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    header = rows[0]
    assert header[:5] == ["票号", "场次", "开始时间", "姓名", "手机号"]
    by_name = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in by_name
    first = by_name["'=cmd|' /C calc'!A0"]
    assert first["手机号"] == "13912345678"
    assert first["签到入口"] == "东门"
    assert first["状态"] == "已确认"
    assert by_name["李四"]["人数"] == "2"
    assert by_name["李四"]["签到时间"] == ""


def test_feedback_csv_is_formula_safe(client, auth, db, make_event, make_registration):
    event = seed(db, make_event, make_registration)
    auth.login("admin")
    rows = read_csv(client.get(f"/staff/events/{event.slug}/export/feedback.csv"))
    header = rows[0]
    assert header[4] == "总体评价"
    assert len(rows) == 4
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert records[0]["意见"] == "'" + NASTY_COMMENT
    assert records[0]["建议"] == "第一行\n第二行"
    assert records[0]["联系方式"] == "'+8613912345678"
    assert records[0]["跟进状态"] == "待跟进"
    assert records[0]["垃圾分类（分）"] == "1"
    assert (records[1]["意见"], records[1]["建议"]) == ("'-1+2", "'@SUM(1)")
    assert (records[2]["意见"], records[2]["建议"]) == ("'\t制表符", "'\r回车")
    assert records[2]["来源"] == "现场扫码"
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r"


def test_a_landline_left_for_a_reply_keeps_its_leading_zero_in_excel(client, auth, db,
                                                                    make_event):
    """Excel opens a CSV reading 02157001234 as the number 2157001234: the staff member
    calling back would dial a wrong number. The cell begins with ' like a formula's."""
    event = make_event(slots=started_slots())
    feedback_service.submit(event, answers(1, comment="展板字太小", wants_reply=True,
                                           contact="02157001234"), browser_key="poster")
    db.session.commit()
    auth.login("admin")
    for path in (f"/staff/events/{event.slug}/export/feedback.csv", "/staff/follow-ups/export.csv",
                 f"/staff/events/{event.slug}/export/follow-ups.csv"):
        rows = read_csv(client.get(path))
        record = dict(zip(rows[0], rows[1], strict=True))
        assert record["联系方式"] == "'02157001234", path


def test_feedback_xlsx_keeps_text(client, auth, db, make_event, make_registration):
    event = seed(db, make_event, make_registration)
    auth.login("admin")
    response = client.get(f"/staff/events/{event.slug}/export/feedback.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    comment = header.index("意见") + 1
    cells = [sheet.cell(row=r, column=comment) for r in (2, 3, 4)]
    assert [c.value for c in cells] == [NASTY_COMMENT, "-1+2", "\t制表符"]
    assert all(c.data_type == "s" for c in cells)
    suggestion = sheet.cell(row=2, column=header.index("建议") + 1).value
    assert suggestion == "第一行\n第二行"
    assert sheet.cell(row=2, column=header.index("总体评价（分）") + 1).value == 1


def test_every_export_is_audited_without_personal_data(client, auth, db, make_event,
                                                       make_registration):
    event = seed(db, make_event, make_registration)
    auth.login("admin")
    for path in (f"/staff/events/{event.slug}/export/registrations.csv",
                 f"/staff/events/{event.slug}/export/registrations.xlsx",
                 f"/staff/events/{event.slug}/export/feedback.csv",
                 f"/staff/events/{event.slug}/export/follow-ups.xlsx",
                 "/staff/follow-ups/export.csv",
                 "/staff/report/export.csv"):
        assert client.get(path).status_code == 200, path
    rows = db.session.execute(select(AuditLog).where(AuditLog.action == "export")
                              .order_by(AuditLog.id)).scalars().all()
    assert [(r.detail["export"], r.detail["format"]) for r in rows] == [
        ("registrations", "csv"), ("registrations", "xlsx"), ("feedback", "csv"),
        ("follow_ups", "xlsx"), ("follow_ups", "csv"), ("report", "csv")]
    assert all(r.actor_name == "admin" for r in rows)
    assert rows[0].event_id == event.id
    text = repr([r.detail for r in rows])
    assert "13912345678" not in text and "example.com" not in text


def test_follow_ups_and_report_exports(mid_quarter, client, auth, db, make_event,
                                       make_registration):
    from app.services.reports import current_quarter

    event = seed(db, make_event, make_registration, hours_ago=3)  # the report counts ended slots
    auth.login("admin")
    rows = read_csv(client.get("/staff/follow-ups/export.csv"))
    assert rows[0][:3] == ["编号", "活动", "评价编号"]
    assert len(rows) == 2 and rows[1][1] == event.title and rows[1][6] == "待办理"
    year, quarter = current_quarter()
    rows = read_csv(client.get(f"/staff/report/export.csv?year={year}&quarter={quarter}"))
    assert rows[0][0] == "活动"
    assert rows[1][0] == event.title
    assert rows[-3][0].startswith("合计")
    assert client.get("/staff/report/export.csv?year=1").status_code == 400


def test_unknown_event_or_format(client, auth, make_event):
    make_event()
    auth.login("admin")
    assert client.get("/staff/events/nope/export/feedback.csv").status_code == 404
    assert client.get("/staff/events/test-open-day/export/feedback.pdf").status_code == 404
    assert client.get("/staff/events/test-open-day/export/feedback.csv").status_code == 200


def test_volunteer_registrations_export_hours(client, auth, db, make_event, make_registration):
    from datetime import timedelta

    from tests.conftest import iso, now_utc

    start = now_utc() - timedelta(hours=5)
    end = start + timedelta(hours=2)
    drive = make_event(slug="volunteer-drive", kind="volunteer", slots=[
        {"key": "shift", "label": "早班", "starts_at": iso(start), "ends_at": iso(end),
         "capacity": 10}])
    came = make_registration(drive, extra={"age_group": "60+", "organisation": "=社区"})
    make_registration(drive)
    came.status = "confirmed"
    db.session.commit()
    check_in(came, checked_in_at=start, checked_out_at=end + timedelta(hours=1))
    auth.login("admin")
    rows = read_csv(client.get(f"/staff/events/{drive.slug}/export/registrations.csv"))
    header = rows[0]
    assert header[-3:] == ["年龄段", "单位", "服务时长（小时）"]
    records = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    served = records[came.name]
    assert served["服务时长（小时）"] == "2.0"  # capped at the shift's end
    assert served["单位"] == "'=社区"
    assert served["年龄段"] == "60+"
    assert [r["服务时长（小时）"] for r in records.values() if r["姓名"] != came.name] == [""]
