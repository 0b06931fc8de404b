"""Staff review and time corrections at their edges: how far a shift may be extended, a
decision on a shift that is over, a certificate with nothing to certify, a long bulk run."""
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
