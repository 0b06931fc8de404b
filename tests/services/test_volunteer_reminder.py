"""The day-before reminder to an approved volunteer speaks of their shift: come to the post,
scan in and out, withdraw from the shift if they cannot come (or, online, join by the link);
it told them to show the code "入场" like a visitor."""
from datetime import timedelta

from sqlalchemy import select

from app.models import OutboxMessage
from app.services import volunteers
from app.services.mail import queue_reminders
from tests.conftest import iso, now_utc


def test_a_volunteers_reminder_is_about_their_shift(app, db, make_event, make_staff):
    start = now_utc().replace(second=0, microsecond=0) + timedelta(hours=30)
    drive = make_event(slug="drive", kind="volunteer", max_party_size=1, slots=[
        {"key": "s1", "label": "早班检查", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 5, "mode": "onsite",
         "location": "小区 A 投放点"},
        {"key": "s2", "label": "线上宣传", "starts_at": iso(start + timedelta(hours=3)),
         "ends_at": iso(start + timedelta(hours=4)), "capacity": 5, "mode": "online",
         "join_url": "https://meeting.example.com/j/1"}])
    staff = make_staff("reviewer", "admin")
    for application in volunteers.apply(drive, drive.slots, name="王五", phone="13900003333",
                                        email="v@example.com", code_agreed=True):
        volunteers.approve(application, staff)
    db.session.commit()
    queue_reminders(now=now_utc() + timedelta(hours=10))  # the day before, after applying
    db.session.commit()
    texts = db.session.execute(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == "reminder")).scalars().all()
    assert len(texts) == 2
    onsite = next(t for t in texts if "小区 A 投放点" in t)
    online = next(t for t in texts if "线上参加" in t)
    assert "请按时到岗，出示电子票上的二维码签到，离开时再扫码签退" in onsite
    assert "入场时出示" not in onsite and "退出该班次" in onsite
    assert "二维码" not in online and "电子票页面上的链接" in online
