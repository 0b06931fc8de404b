"""An online volunteer shift has no QR code and no door: what the approval mail and the
ticket page tell the volunteer must be what applies there (the join link; staff record the
hours), not "show the QR code and scan out"."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxMessage
from app.services import volunteers
from tests.conftest import now_utc
from tests.routes.test_volunteers import apply, auth_admin
from tests.services.test_volunteers import shift

JOIN_URL = "https://meeting.example.com/j/123456"


def online_shift(key, label, start, join_url=JOIN_URL):
    data = shift(key, label, start, location=None)
    data.update(mode="online", join_url=join_url)
    return data


@pytest.fixture
def online_drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="online-volunteers", kind="volunteer", max_party_size=1,
                      title="垃圾分类线上宣讲志愿者",
                      slots=[online_shift("web", "线上答疑 早班", start)])


def approval_mail(db, registration):
    return db.session.execute(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id,
        OutboxMessage.kind == "approved")).scalar_one()


def test_the_approval_mail_of_an_online_shift_gives_the_link_not_the_qr_code(client, auth, db, online_drive):
    admin = auth_admin(auth, db)
    [registration] = apply(db, online_drive)
    volunteers.approve(registration, admin)
    db.session.commit()
    mail = approval_mail(db, registration)
    for body in (mail.body_text, mail.body_html):
        assert "二维码" not in body and "扫码" not in body, body
        assert "线上参加" in body and JOIN_URL in body
        assert "服务时长由工作人员核实后记录" in body
    assert mail.qr_content is None


def test_the_approval_mail_of_an_online_shift_without_a_link_yet_points_to_the_ticket(
        client, auth, db, make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    drive = make_event(slug="online-no-link", kind="volunteer", max_party_size=1,
                       slots=[online_shift("web", "线上答疑", start, join_url=None)])
    admin = auth_admin(auth, db)
    [registration] = apply(db, drive)
    volunteers.approve(registration, admin)
    db.session.commit()
    text = approval_mail(db, registration).body_text
    assert "二维码" not in text and "线上参加链接" not in text
    assert "电子票页面上的链接" in text and registration.token in text


def test_the_approval_mail_of_an_onsite_shift_still_asks_for_the_qr_code(client, auth, db, make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    drive = make_event(slug="onsite-drive", kind="volunteer", max_party_size=1,
                       slots=[shift("am", "1号楼投放点 早班", start)])
    admin = auth_admin(auth, db)
    [registration] = apply(db, drive)
    volunteers.approve(registration, admin)
    db.session.commit()
    mail = approval_mail(db, registration)
    assert "出示电子票上的二维码签到" in mail.body_text and "1号楼东侧垃圾厢房" in mail.body_text
    assert "线上" not in mail.body_text and mail.qr_content


def test_the_ticket_page_of_an_online_shift_never_promises_a_qr_code(client, auth, db, online_drive):
    [registration] = apply(db, online_drive)
    pending = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "二维码" not in pending and "线上参加的链接" in pending
    admin = auth_admin(auth, db)
    volunteers.approve(registration, admin)
    db.session.commit()
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "二维码" not in page and "扫码" not in page
    assert JOIN_URL in page and "服务时长由工作人员核实后记录" in page



def test_staff_see_which_shifts_are_online_and_who_records_their_hours(client, auth, db, online_drive):
    """The mail promises that staff record an online volunteer's hours: the queue says the
    shift is online, and the record page says where to record them."""
    [registration] = apply(db, online_drive)
    admin = auth_admin(auth, db)
    queue = client.get(f"/staff/events/{online_drive.slug}/volunteers").get_data(as_text=True)
    assert "线上参加" in queue
    volunteers.approve(registration, admin)
    db.session.commit()
    record = client.get(f"/staff/volunteers/{registration.id}").get_data(as_text=True)
    assert "线上参加" in record and "这是线上班次，没有门岗扫码" in record
    form = client.get(f"/events/{online_drive.slug}/apply").get_data(as_text=True)
    assert "线上参加" in form


def test_the_certificate_names_an_online_shift_as_online(client, auth, db, online_drive):
    from app.models import CheckIn

    [registration] = apply(db, online_drive)
    admin = auth_admin(auth, db)
    volunteers.approve(registration, admin)
    slot = online_drive.slots[0]
    db.session.add(CheckIn(registration_id=registration.id, event_id=online_drive.id,
                           checked_in_at=slot.starts_at, checked_out_at=slot.ends_at, source="manual"))
    db.session.commit()
    page = client.get(f"/staff/volunteers/{registration.id}/certificate").get_data(as_text=True)
    assert "线上答疑 早班（线上参加）" in page


def test_the_application_mail_lists_an_online_shift_as_online(client, db, online_drive):
    [registration] = apply(db, online_drive)
    mail = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id,
        OutboxMessage.kind == "pending")).scalar_one()
    assert "线上答疑 早班：" in mail.body_text and "，线上参加" in mail.body_text
    assert "，线上参加" in mail.body_html
