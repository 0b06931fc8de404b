"""What a cancellation's message offers. Before: a big 查看电子票 button, to a ticket that
admits no one, while the text said 如需参加，请重新报名 without a way to do it."""
from datetime import timedelta

from sqlalchemy import select

from app.models import OutboxMessage
from app.services.registration import cancel_by_holder, cancel_by_staff
from tests.conftest import now_utc
from tests.services.test_volunteers import shift


def cancelled_message(db, registration):
    db.session.commit()
    return db.session.execute(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id, OutboxMessage.kind == "cancelled")).scalar_one()


def test_a_holder_who_cancels_while_the_form_is_open_is_offered_to_register_again(
        app, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, email="zhang@example.com")
    cancel_by_holder(registration)
    message = cancelled_message(db, registration)
    event_url = "http://testserver/events/test-open-day"
    ticket_url = f"http://testserver/tickets/{registration.token}"
    assert f'href="{event_url}"' in message.body_html and "重新报名" in message.body_html
    assert "查看电子票" not in message.body_html
    # The ticket page stays reachable: a cancelled holder may delete their details there.
    assert "报名记录（可在此删除您的个人信息）：" in message.body_html and ticket_url in message.body_html
    assert f"重新报名：{event_url}" in message.body_text
    assert f"报名记录（可在此删除您的个人信息）：{ticket_url}" in message.body_text
    assert "电子票：" not in message.body_text


def test_no_offer_once_the_form_has_closed(app, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, email="zhang@example.com")
    event.registration_closes_at = now_utc() - timedelta(minutes=1)
    db.session.commit()
    cancel_by_staff(registration, reason="本人来电取消")
    message = cancelled_message(db, registration)
    assert "/events/test-open-day" not in message.body_html + message.body_text
    assert "重新报名：" not in message.body_text
    assert "这是工作人员为您办理的" in message.body_text
    assert f"http://testserver/tickets/{registration.token}" in message.body_text


def test_a_withdrawn_volunteer_application_is_offered_to_apply_again(
        app, db, make_event, make_registration):
    from app.services import volunteers

    start = now_utc() + timedelta(days=2)
    drive = make_event(slug="drive", kind="volunteer", max_party_size=1,
                       slots=[shift("am", "1号楼投放点 早班", start)])
    [application] = volunteers.apply(drive, drive.slots, name="王芳", phone="13700000001",
                                     email="wang@example.com", age_group="46-60",
                                     organisation="岳阳街道", code_agreed=True, consent_version="test")
    db.session.commit()
    cancel_by_holder(application)
    message = cancelled_message(db, application)
    assert "您的志愿者申请已撤回" in message.body_text
    assert "重新申请：http://testserver/events/drive" in message.body_text
    assert "重新申请" in message.body_html and "重新报名" not in message.body_html
    # A volunteer drive's mail is headed as one, not as an open day.
    assert "志愿者招募</p>" in message.body_html and "机关开放日" not in message.body_html


def test_the_english_message_says_the_same(app, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, email="li@example.com")
    registration.locale = "en"  # registered on the English pages
    cancel_by_holder(registration)
    message = cancelled_message(db, registration)
    assert "Register again" in message.body_html
    assert "Register again: http://testserver/events/test-open-day" in message.body_text
