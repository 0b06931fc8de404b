"""Staff review and time corrections at their edges: how far a shift may be extended, a
decision on a shift that is over, a certificate with nothing to certify, a long bulk run."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.models import AuditLog, CheckIn, Registration
from app.services import volunteers
from tests.conftest import now_utc
from tests.routes.test_volunteers import apply, auth_admin, beijing, checked_in, field_error
from tests.services.test_volunteers import shift

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="waste-volunteers", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募",
                      slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=2),
                             shift("d1-noon", "食堂投放点 午班", start + timedelta(hours=4), capacity=2)])


def midnight_after(moment):
    """Midnight (Beijing time) at the end of the day ``moment`` falls on, in UTC."""
    day = moment.astimezone(BEIJING).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(timezone.utc)


def approved_and_checked_in(auth, db, drive):
    admin = auth_admin(auth, db)
    [reg] = apply(db, drive)
    volunteers.approve(reg, admin)
    db.session.commit()
    slot = drive.slots[0]
    checked_in(db, reg, slot.starts_at + timedelta(minutes=5))
    return reg, slot


def test_a_shift_cannot_be_extended_past_the_end_of_its_day(client, auth, db, drive):
    """Issue 4: "班次延长至" took any date, so a slip of the date picker (or a careless admin)
    extended a 2-hour shift by days and the certificate counted every hour of them."""
    reg, slot = approved_and_checked_in(auth, db, drive)
    url = f"/staff/volunteers/{reg.id}/times"
    limit = midnight_after(slot.ends_at)
    for too_late in (slot.ends_at + timedelta(days=3), limit + timedelta(minutes=1)):
        response = client.post(url, data={"checked_out_at": beijing(too_late),
                                          "extended_until": beijing(too_late), "reason": "留下来帮忙"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        message = field_error(page, "extended_until") or ""
        assert "延长时间不能晚于班次结束当天的 24:00" in message, message
        assert slot.ends_at.astimezone(BEIJING).strftime("%Y-%m-%d") in message
    db.session.expire_all()
    checkin = db.session.get(Registration, reg.id).checkin
    assert (checkin.checked_out_at, checkin.extended_until) == (None, None)
    assert not db.session.execute(
        select(AuditLog).where(AuditLog.action == "volunteer.correct_times")).scalars().all()
    # Up to midnight of that day is taken, and the hours count to the check-out.
    response = client.post(url, data={"checked_out_at": beijing(limit), "extended_until": beijing(limit),
                                      "reason": "晚上的宣传活动一直留到结束"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).checkin.extended_until == limit


def test_an_extension_stored_before_the_bound_does_not_block_other_corrections(client, auth, db, drive):
    """A record saved with a far extension before the bound existed can still have its
    check-in corrected (the extension is not the field being changed)."""
    reg, slot = approved_and_checked_in(auth, db, drive)
    checkin = db.session.execute(select(CheckIn).where(CheckIn.registration_id == reg.id)).scalar_one()
    checkin.extended_until = slot.ends_at + timedelta(days=2)
    db.session.commit()
    response = client.post(f"/staff/volunteers/{reg.id}/times",
                           data={"checked_in_at": beijing(slot.starts_at), "reason": "按签到表更正"})
    assert response.status_code == 303
    db.session.expire_all()
    checkin = db.session.get(Registration, reg.id).checkin
    assert checkin.checked_in_at == slot.starts_at
    assert checkin.extended_until == slot.ends_at + timedelta(days=2)


def shift_is_over(db, slot):
    """Time passes: the shift ran yesterday."""
    slot.starts_at = now_utc() - timedelta(days=1)
    slot.ends_at = slot.starts_at + timedelta(hours=2)
    db.session.commit()


def test_an_application_is_not_approved_once_its_shift_is_over(client, auth, db, drive):
    """Issue 4: approved the day after the shift, the volunteer was mailed "到岗时请出示电子票上的
    二维码签到" and shown a QR code to scan in for a shift already over."""
    from app.models import OutboxMessage

    auth_admin(auth, db)
    [late] = apply(db, drive, email="late@example.com")
    [other] = apply(db, drive, name="赵六", phone="13900008888", email="zhao@example.com")
    shift_is_over(db, drive.slots[0])
    queue = client.get(f"/staff/events/{drive.slug}/volunteers").get_data(as_text=True)
    assert f'name="approve_one" value="{late.id}"' not in queue
    assert "班次已结束，不能再通过" in queue
    record = client.get(f"/staff/volunteers/{late.id}").get_data(as_text=True)
    assert 'name="action" value="approve"' not in record and "班次已结束，不能再通过" in record
    # A page left open from before (or a bulk run) is refused with a message, row by row.
    for data in ({"approve_one": late.id}, {"ids": [late.id, other.id], "action": "approve"}):
        response = client.post(f"/staff/events/{drive.slug}/volunteers/review", data=data,
                               follow_redirects=True)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "结束，不能再通过这份申请" in page, page
    response = client.post(f"/staff/volunteers/{late.id}/decision", data={"action": "approve"})
    assert response.status_code == 409
    assert "结束，不能再通过这份申请" in response.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(Registration, r.id).status for r in (late, other)} == {"pending"}
    assert drive.slots[0].booked == 0
    assert not db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "approved")).scalars().all()
    # Rejecting, with a reason, still closes the application.
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review",
                           data={"reject_one": late.id, f"reason_{late.id}": "班次已结束"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, late.id).status == "rejected"


def test_a_bulk_approval_past_capacity_gives_one_message_per_reason(client, auth, db, drive):
    """Ticking 8 applicants for a 2-place shift stacked six identical red boxes above the
    queue; one box names the six."""
    auth_admin(auth, db)
    ids = [apply(db, drive, name=f"志愿者{n}", phone=f"1390000{n:04d}")[0].id for n in range(8)]
    page = client.post(f"/staff/events/{drive.slug}/volunteers/review",
                       data={"ids": ids, "action": "approve"}, follow_redirects=True).get_data(as_text=True)
    assert page.count("名额已满，不能再通过") == 1
    refused = re.search(r"([^>]*)：“1号楼投放点 早班”的志愿者名额已满", page).group(1)
    assert refused.split("、") == [f"志愿者{n}" for n in range(2, 8)]
    assert "已通过 2 份申请：志愿者0、志愿者1" in page


def test_no_certificate_of_zero_hours(client, auth, db, drive):
    """Issue 4: a volunteer approved but not yet checked out got a printable, stamped 志愿服务
    记录证明 of "累计服务 0 次，共 0.00 小时"; the page now says there is no record yet."""
    reg, slot = approved_and_checked_in(auth, db, drive)  # checked in, never out: 0 hours
    key = volunteers.phone_key(reg.phone)
    for path in (f"/staff/volunteers/{reg.id}/certificate",
                 f"/staff/volunteers/{key}/certificate?event={drive.slug}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "暂无已完成签到、签退的服务记录" in page
        assert "出具单位" not in page and "0.00" not in page
    hours = client.get(f"/staff/events/{drive.slug}/volunteers/hours").get_data(as_text=True)
    assert "打印证明" not in hours
    # Once checked out, the certificate is there, and linked from the hours page.
    volunteers.check_out(reg, slot.ends_at)
    db.session.commit()
    hours = client.get(f"/staff/events/{drive.slug}/volunteers/hours").get_data(as_text=True)
    assert "打印证明" in hours
    certificate = client.get(f"/staff/volunteers/{reg.id}/certificate")
    assert certificate.status_code == 200
    assert re.search(r'class="cert-total">1\.92<', certificate.get_data(as_text=True))
