"""Volunteer drives: applications, review, withdrawal, check-out and service hours."""
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import render_template
from sqlalchemy import select

from app.models import AuditLog, CheckIn, OutboxMessage, Registration, Slot
from app.services import volunteers
from app.services.errors import AlreadyRegistered, Conflict, InvalidData, SlotFull
from tests.conftest import iso, now_utc

FIELDS = {"age_group": "31-45", "organisation": "岳阳街道", "experience": "社区垃圾分类督导两年",
          "availability": "周末上午", "code_agreed": True, "consent_version": "test"}


def shift(key, label, start, hours=2, capacity=2, location="1号楼东侧垃圾厢房"):
    return {"key": key, "label": label, "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=hours)), "capacity": capacity,
            "mode": "onsite", "location": location}


@pytest.fixture
def make_drive(make_event):
    def factory(capacity=2, slug="waste-volunteers"):
        start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
        return make_event(slug=slug, kind="volunteer", max_party_size=1, title="垃圾分类检查志愿者招募",
                          slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=capacity),
                                 shift("d1-noon", "食堂投放点 午班", start + timedelta(hours=4),
                                       capacity=capacity, location="机关食堂回收台")])
    return factory


@pytest.fixture
def applicant(db):
    counter = {"n": 0}

    def factory(event, slots=None, **fields):
        counter["n"] += 1
        values = {"name": f"志愿者{counter['n']}", "phone": f"1370000{counter['n']:04d}",
                  "email": f"v{counter['n']}@example.com", **FIELDS, **fields}
        registrations = volunteers.apply(event, slots or [event.slots[0]], **values)
        db.session.commit()
        return registrations

    return factory


def seats(db, slot):
    db.session.expire_all()
    return db.session.get(Slot, slot.id).booked


def mails(db, kind):
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars().all()


def test_applying_to_two_shifts_gives_two_pending_applications_holding_no_seat(db, make_drive, applicant):
    drive = make_drive()
    regs = applicant(drive, drive.slots, name="王芳", phone="+86 138-0013-8000")
    assert [r.slot.key for r in regs] == ["d1-am", "d1-noon"]
    assert {r.status for r in regs} == {"pending"}
    assert {r.phone for r in regs} == {"13800138000"}
    assert regs[0].organisation == "岳阳街道" and regs[0].age_group == "31-45" and regs[0].code_agreed
    assert [seats(db, s) for s in drive.slots] == [0, 0]
    # One "application received" mail for both shifts, naming both.
    [mail] = mails(db, "pending")
    assert "1号楼投放点 早班" in mail.body_text and "食堂投放点 午班" in mail.body_text


def test_the_same_form_sent_twice_gives_the_same_applications(db, make_drive):
    drive = make_drive()
    values = {"name": "李明", "phone": "13900001111", "submission_key": "form-abc", **FIELDS}
    first = volunteers.apply(drive, drive.slots, **values)
    db.session.commit()
    second = volunteers.apply(drive, drive.slots, **values)
    assert [r.id for r in first] == [r.id for r in second]
    assert len(db.session.execute(select(Registration)).scalars().all()) == 2


def test_applying_again_for_a_shift_already_applied_for_is_refused(db, make_drive, applicant):
    drive = make_drive()
    applicant(drive, [drive.slots[0]], phone="13900002222")
    with pytest.raises(AlreadyRegistered) as error:
        volunteers.apply(drive, drive.slots, name="重复", phone="139 0000 2222", **FIELDS)
    assert "1号楼投放点 早班" in str(error.value.message) and error.value.status == 409
    db.session.rollback()
    # Another shift on its own is fine.
    assert applicant(drive, [drive.slots[1]], phone="13900002222")[0].status == "pending"


def test_the_volunteer_code_must_be_agreed(db, make_drive):
    drive = make_drive()
    with pytest.raises(InvalidData):
        volunteers.apply(drive, drive.slots, name="张三", phone="13900003333",
                         **{**FIELDS, "code_agreed": False})


def test_approval_takes_a_seat_mails_the_volunteer_and_is_audited(db, make_drive, applicant, make_staff):
    drive = make_drive()
    admin = make_staff("reviewer", "admin")
    [reg] = applicant(drive)
    volunteers.approve(reg, admin)
    db.session.commit()
    assert reg.status == "confirmed" and reg.reviewed_by_id == admin.id and reg.admits
    assert seats(db, drive.slots[0]) == 1
    [mail] = mails(db, "approved")
    assert mail.recipient == reg.email and mail.qr_content.endswith(f"/tickets/{reg.token}")
    [row] = db.session.execute(select(AuditLog).where(AuditLog.action == "volunteer.approve")).scalars()
    assert row.actor_name == "reviewer" and row.target_id == str(reg.id)
    assert reg.phone not in str(row.detail)


def test_no_approval_past_a_shifts_capacity(db, make_drive, applicant, make_staff):
    drive = make_drive(capacity=2)
    admin = make_staff()
    regs = [applicant(drive)[0] for _ in range(3)]
    volunteers.approve(regs[0], admin)
    volunteers.approve(regs[1], admin)
    db.session.commit()
    with pytest.raises(SlotFull) as error:
        volunteers.approve(regs[2], admin)
    assert "已满" in str(error.value.message)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Registration, regs[2].id).status == "pending"
    assert seats(db, drive.slots[0]) == 2
    assert len(mails(db, "approved")) == 2


def test_approving_an_application_twice_takes_one_seat(db, make_drive, applicant, make_staff):
    drive = make_drive()
    admin = make_staff()
    [reg] = applicant(drive)
    volunteers.approve(reg, admin)
    with pytest.raises(Conflict):
        volunteers.approve(reg, admin)
    db.session.commit()
    assert seats(db, drive.slots[0]) == 1


def _race(app, db, jobs, overlap):
    """Run each job (a callable taking no arguments, in its own app context, session and
    database connection) at the same moment; return what each raised (or None)."""
    db.session.commit()  # the test's own session holds nothing while the threads write
    results = [None] * len(jobs)
    start = threading.Barrier(len(jobs))
    first_flushed = threading.Event()

    def run(index, job):
        # A POST request context: on SQLite writes begin IMMEDIATE, as in a real request.
        with app.test_request_context(method="POST"):
            try:
                start.wait(5)
                if overlap and index == 1:
                    first_flushed.wait(5)  # the other approval is in flight, uncommitted
                job()
                if overlap and index == 0:
                    first_flushed.set()
                    time.sleep(0.3)  # hold the transaction while the second one starts
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test inspects it
                db.session.rollback()
                results[index] = error
            finally:
                first_flushed.set()
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.session.expire_all()
    return results


@pytest.mark.parametrize("overlap", [False, True], ids=["barrier", "overlapping-transactions"])
def test_two_staff_approving_the_last_seat_at_once_approve_only_one(app, db, make_drive, applicant,
                                                                     make_staff, overlap):
    drive = make_drive(capacity=1)
    staff_ids = [make_staff("admin-a", "admin").id, make_staff("admin-b", "admin").id]
    reg_ids = [applicant(drive)[0].id, applicant(drive)[0].id]

    def approver(i):
        def job():
            from app.models import StaffUser

            volunteers.approve(db.session.get(Registration, reg_ids[i]),
                               db.session.get(StaffUser, staff_ids[i]))
        return job

    results = _race(app, db, [approver(0), approver(1)], overlap)
    statuses = sorted(db.session.get(Registration, i).status for i in reg_ids)
    assert statuses == ["confirmed", "pending"], results
    assert sum(isinstance(r, SlotFull) for r in results) == 1, results
    assert [r for r in results if r is not None and not isinstance(r, SlotFull)] == []
    assert seats(db, drive.slots[0]) == 1
    assert len(mails(db, "approved")) == 1


def test_two_staff_approving_the_same_application_at_once_take_one_seat(app, db, make_drive, applicant,
                                                                        make_staff):
    drive = make_drive(capacity=5)
    staff_ids = [make_staff("admin-a", "admin").id, make_staff("admin-b", "admin").id]
    reg_id = applicant(drive)[0].id

    def approver(i):
        def job():
            from app.models import StaffUser

            volunteers.approve(db.session.get(Registration, reg_id), db.session.get(StaffUser, staff_ids[i]))
        return job

    results = _race(app, db, [approver(0), approver(1)], overlap=True)
    assert sum(isinstance(r, Conflict) and not isinstance(r, SlotFull) for r in results) == 1, results
    assert db.session.get(Registration, reg_id).status == "confirmed"
    assert seats(db, drive.slots[0]) == 1


def test_rejection_needs_a_reason_frees_nothing_and_mails_the_reason(db, make_drive, applicant, make_staff):
    drive = make_drive(capacity=1)
    admin = make_staff()
    [approved] = applicant(drive)
    [reg] = applicant(drive)
    volunteers.approve(approved, admin)
    with pytest.raises(InvalidData):
        volunteers.reject(reg, admin, "  ")
    volunteers.reject(reg, admin, "该班次人员已满，欢迎报名下次活动")
    db.session.commit()
    assert reg.status == "rejected" and reg.active_key is None
    assert reg.review_reason == "该班次人员已满，欢迎报名下次活动"
    assert seats(db, drive.slots[0]) == 1  # the approved volunteer keeps their seat
    [mail] = mails(db, "rejected")
    assert "该班次人员已满" in mail.body_text and mail.qr_content is None
    with pytest.raises(Conflict):
        volunteers.reject(approved, admin, "改变主意")  # only pending applications
    # A rejected volunteer may apply again (the phone is free for this shift).
    assert volunteers.apply(drive, [drive.slots[0]], name="再来", phone=reg.phone, **FIELDS)


def test_withdrawing_frees_a_seat_only_when_one_was_held(db, make_drive, applicant, make_staff):
    drive = make_drive(capacity=1)
    admin = make_staff()
    [pending] = applicant(drive)
    [approved] = applicant(drive)
    [waiting] = applicant(drive)
    volunteers.approve(approved, admin)
    db.session.commit()
    volunteers.withdraw(pending)
    db.session.commit()
    assert pending.status == "cancelled" and seats(db, drive.slots[0]) == 1
    volunteers.withdraw(approved)
    db.session.commit()
    assert approved.status == "cancelled" and seats(db, drive.slots[0]) == 0
    # The freed seat can now go to the next applicant.
    volunteers.approve(waiting, admin)
    db.session.commit()
    assert seats(db, drive.slots[0]) == 1
    volunteers.withdraw(approved)  # twice: harmless
    db.session.commit()
    assert seats(db, drive.slots[0]) == 1


def test_a_checked_in_volunteer_cannot_withdraw(db, make_drive, applicant, make_staff):
    drive = make_drive()
    [reg] = applicant(drive)
    volunteers.approve(reg, make_staff())
    check_in(db, reg, drive.slots[0].starts_at)
    with pytest.raises(Conflict):
        volunteers.withdraw(reg)


def test_bulk_approval_stops_at_capacity_and_reports_the_rest(db, make_drive, applicant, make_staff):
    drive = make_drive(capacity=2)
    admin = make_staff()
    regs = [applicant(drive)[0] for _ in range(3)] + [applicant(drive, [drive.slots[1]])[0]]
    result = volunteers.bulk_decide(regs, admin, "approve")
    db.session.commit()
    assert [r.id for r in result.done] == [regs[0].id, regs[1].id, regs[3].id]
    assert [(r.id, "已满" in message) for r, message in result.failed] == [(regs[2].id, True)]
    assert [seats(db, s) for s in drive.slots] == [2, 1]
    result = volunteers.bulk_decide([regs[2]], admin, "reject", "名额已满")
    db.session.commit()
    assert regs[2].status == "rejected"
    with pytest.raises(InvalidData):
        volunteers.bulk_decide([regs[2]], admin, "reject", "")


# --- Check-in / check-out and hours -----------------------------------------------------

def check_in(db, registration, at, gate="东门"):
    """Check-in rows made directly (the check-in API is another part of the app)."""
    row = CheckIn(registration_id=registration.id, event_id=registration.event_id,
                  checked_in_at=at, gate=gate, source="scan")
    db.session.add(row)
    db.session.commit()
    db.session.refresh(registration)
    return row


@pytest.fixture
def approved(db, make_drive, applicant, make_staff):
    drive = make_drive()
    admin = make_staff()
    regs = applicant(drive, drive.slots, name="赵敏", phone="13812345678")
    for reg in regs:
        volunteers.approve(reg, admin)
    db.session.commit()
    return drive, regs, admin


def test_hours_run_from_check_in_to_check_out(db, approved):
    drive, [reg, _], _admin = approved
    slot = drive.slots[0]
    checkin = check_in(db, reg, slot.starts_at + timedelta(minutes=5))
    assert volunteers.service_hours(checkin, slot) == Decimal("0.00")  # not checked out yet
    result, hours = volunteers.check_out(reg, slot.starts_at + timedelta(hours=1, minutes=35))
    db.session.commit()
    assert (result, hours) == ("ok", Decimal("1.50"))
    again = volunteers.check_out(reg, slot.starts_at + timedelta(hours=2))
    assert again == ("already_checked_out", Decimal("1.50"))


def test_hours_are_capped_at_the_shifts_end_unless_extended(db, approved):
    drive, [reg, _], admin = approved
    slot = drive.slots[0]  # two hours
    checkin = check_in(db, reg, slot.starts_at)
    volunteers.check_out(reg, slot.ends_at + timedelta(hours=3))
    db.session.commit()
    assert volunteers.service_hours(checkin, slot) == Decimal("2.00")
    volunteers.correct_times(reg, admin, extended_until=slot.ends_at + timedelta(minutes=45),
                             reason="活动延时，留下协助清点")
    db.session.commit()
    assert volunteers.service_hours(checkin, slot) == Decimal("2.75")


def test_checking_out_without_a_check_in(db, approved):
    _drive, [reg, _], _admin = approved
    assert volunteers.check_out(reg) == ("not_checked_in", Decimal("0.00"))


def test_a_time_correction_needs_a_reason_and_is_kept_in_the_audit_log(db, approved):
    drive, [reg, _], admin = approved
    slot = drive.slots[0]
    check_in(db, reg, slot.starts_at + timedelta(minutes=30))
    with pytest.raises(InvalidData):
        volunteers.correct_times(reg, admin, checked_in_at=slot.starts_at, reason="")
    with pytest.raises(InvalidData):
        volunteers.correct_times(reg, admin, checked_out_at=slot.starts_at, reason="写错了")
    db.session.rollback()
    volunteers.correct_times(reg, admin, checked_in_at=slot.starts_at,
                             checked_out_at=slot.starts_at + timedelta(hours=1), reason="扫码枪故障，按签到表补录")
    db.session.commit()
    assert volunteers.service_hours(reg.checkin, slot) == Decimal("1.00")
    [row] = db.session.execute(select(AuditLog).where(AuditLog.action == "volunteer.correct_times")).scalars()
    assert row.detail["reason"] == "扫码枪故障，按签到表补录"
    assert row.detail["before"]["checked_in_at"] == (slot.starts_at + timedelta(minutes=30)).isoformat()
    assert row.detail["after"]["checked_out_at"] == (slot.starts_at + timedelta(hours=1)).isoformat()


def test_a_correction_can_record_a_volunteer_who_never_scanned(db, approved):
    drive, [_, reg], admin = approved
    slot = drive.slots[1]
    volunteers.correct_times(reg, admin, checked_in_at=slot.starts_at,
                             checked_out_at=slot.ends_at, reason="手机没电，现场签到表为证")
    db.session.commit()
    assert reg.checkin.source == "manual"
    assert volunteers.service_hours(reg.checkin, slot) == Decimal("2.00")


def test_pending_volunteers_get_no_hours_recorded(db, make_drive, applicant, make_staff):
    drive = make_drive()
    [reg] = applicant(drive)
    with pytest.raises(Conflict):
        volunteers.correct_times(reg, make_staff(), checked_in_at=drive.slots[0].starts_at, reason="补录")


def test_the_hours_report_per_drive_and_per_volunteer(db, approved, applicant, make_staff):
    drive, [a1, a2], admin = approved
    [b1] = applicant(drive, [drive.slots[0]], name="钱多多", phone="13955556666")
    volunteers.approve(b1, admin)
    db.session.commit()
    am, noon = drive.slots
    check_in(db, a1, am.starts_at)
    volunteers.check_out(a1, am.starts_at + timedelta(hours=1, minutes=30))      # 1.50
    check_in(db, a2, noon.starts_at + timedelta(minutes=15))
    volunteers.check_out(a2, noon.ends_at + timedelta(hours=1))                  # capped: 1.75
    check_in(db, b1, am.starts_at)                                               # not out: 0
    db.session.commit()
    report = volunteers.drive_report(drive)
    assert report.hours == Decimal("3.25") and report.open_count == 1
    people = {p.name: p for p in report.volunteers}
    assert people["赵敏"].hours == Decimal("3.25") and len(people["赵敏"].shifts) == 2
    assert people["钱多多"].hours == Decimal("0.00")
    assert [(slot.key, approved_n, checked, hours) for slot, approved_n, checked, hours in report.per_shift] \
        == [("d1-am", 2, 2, Decimal("1.50")), ("d1-noon", 1, 1, Decimal("1.75"))]
    # The same person found by a registration id or by the phone hash, never by the phone.
    by_id = volunteers.volunteer_record(str(a2.id))
    by_key = volunteers.volunteer_record(volunteers.phone_key("13812345678"))
    assert by_id.hours == by_key.hours == Decimal("3.25")
    assert volunteers.volunteer_record("13812345678") is None


def test_find_by_code_takes_the_qr_url_the_token_or_the_ticket_number(db, approved, make_drive):
    drive, [reg, _], _admin = approved
    assert volunteers.find_by_code(drive, f"http://testserver/tickets/{reg.token}") == reg
    assert volunteers.find_by_code(drive, reg.token) == reg
    assert volunteers.find_by_code(drive, reg.ticket_number.lower()) == reg
    other = make_drive(slug="another-drive")
    assert volunteers.find_by_code(other, reg.token) is None
    assert volunteers.find_by_code(drive, "") is None


@pytest.mark.parametrize("status,shown", [("pending", "待审核"), ("confirmed", "已通过"),
                                          ("rejected", "未通过"), ("cancelled", "已退出")])
def test_the_ticket_page_partial_shows_where_the_application_stands(app, db, make_drive, applicant,
                                                                    make_staff, status, shown):
    drive = make_drive()
    [reg] = applicant(drive)
    admin = make_staff()
    if status == "confirmed":
        volunteers.approve(reg, admin)
    elif status == "rejected":
        volunteers.reject(reg, admin, "年龄不符合岗位要求")
    elif status == "cancelled":
        volunteers.withdraw(reg)
    db.session.commit()
    with app.test_request_context("/"):
        html = render_template("public/_volunteer_status.html", registration=reg)
    assert shown in html and reg.slot.label in html
    assert ("年龄不符合岗位要求" in html) == (status == "rejected")
    assert ("二维码签到" in html) == (status == "confirmed")


@pytest.fixture
def real_smtp(app, smtp_server):
    """The conftest's SMTP sink, with Flask-Mail's testing suppression switched off."""
    from app.extensions import mail

    app.config["MAIL_SUPPRESS_SEND"] = False
    mail.init_app(app)
    yield smtp_server
    app.config.pop("MAIL_SUPPRESS_SEND")
    mail.init_app(app)


def test_each_decision_reaches_the_volunteer_by_smtp(db, make_drive, applicant, make_staff, real_smtp):
    from app.services.mail import send_queued

    smtp_server = real_smtp

    drive = make_drive()
    admin = make_staff()
    [yes] = applicant(drive, email="yes@example.com")
    [no] = applicant(drive, email="no@example.com")
    assert not yes.admits  # pending: the ticket lets nobody in (check-in answers "pending")
    volunteers.approve(yes, admin)
    volunteers.reject(no, admin, "<b>岗位已满</b>")
    db.session.commit()
    assert send_queued() == (4, 0), [(m.kind, m.last_error) for m in db.session.execute(
        select(OutboxMessage)).scalars()]
    subjects = {m["To"]: m["Subject"] for m in smtp_server.messages if "结果" in m["Subject"] or "通过" in m["Subject"]}
    assert subjects["yes@example.com"].startswith("志愿者申请已通过")
    assert subjects["no@example.com"].startswith("志愿者申请结果")
    rejected = next(m for m in smtp_server.messages if m["To"] == "no@example.com" and "结果" in m["Subject"])
    html = rejected.get_body(("html",)).get_content()
    assert "&lt;b&gt;岗位已满&lt;/b&gt;" in html  # escaped, not markup
    approved = next(m for m in smtp_server.messages if m["To"] == "yes@example.com" and "通过" in m["Subject"])
    assert any(part.get_content_type() == "image/png" for part in approved.walk())  # the QR code


def test_a_volunteers_applications_in_one_drive_are_listed_together(db, make_drive, applicant,
                                                                     make_event, make_registration):
    drive = make_drive()
    other_drive = make_drive(slug="another-drive")
    [noon] = applicant(drive, [drive.slots[1]], phone="13900004444")
    [am] = applicant(drive, [drive.slots[0]], phone="139 0000 4444")  # stored normalised
    applicant(drive, drive.slots)  # someone else
    applicant(other_drive, other_drive.slots, phone="13900004444")  # the same person, elsewhere
    volunteers.withdraw(am)
    db.session.commit()
    # In the order of the shifts, the withdrawn one too, from either shift's ticket.
    for registration in (am, noon):
        assert [(r.slot.key, r.status, r.event_id) for r in volunteers.applications_in_drive(registration)] == [
            ("d1-am", "cancelled", drive.id), ("d1-noon", "pending", drive.id)]
    assert volunteers.other_active_applications(am) == [noon]
    assert volunteers.other_active_applications(noon) == []
    # An open day has no drive; an erased registration no longer belongs to anybody.
    assert volunteers.applications_in_drive(make_registration(make_event())) == []
    am.phone = ""
    assert volunteers.applications_in_drive(am) == []


def test_no_erasure_while_another_shift_of_the_drive_is_active(db, make_drive, applicant, make_staff):
    from app.services import privacy

    drive = make_drive()
    admin = make_staff()
    [am, noon] = applicant(drive, drive.slots, phone="13900005555")
    volunteers.reject(am, admin, "早班人员已满")
    volunteers.approve(noon, admin)
    db.session.commit()
    assert "还有待审核或已通过的班次" in privacy.erase_refusal(am)
    with pytest.raises(Conflict) as error:
        privacy.erase_registration(am, now_utc())
    assert error.value.status == 409 and "请先退出那些班次" in str(error.value.message)
    db.session.rollback()
    # The one e-mail for both shifts hangs on the first: it is kept, and so is the phone.
    [mail] = mails(db, "pending")
    assert mail.registration_id == am.id and mail.recipient
    assert db.session.get(Registration, am.id).phone == "13900005555"
    # Once the other shift is withdrawn too, the data may go.
    volunteers.withdraw(noon)
    assert privacy.erase_refusal(am) is None
    privacy.erase_registration(am, now_utc())
    db.session.commit()
    assert db.session.get(Registration, am.id).phone == ""
