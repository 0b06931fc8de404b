"""A citizen who has cancelled deletes their personal data from the ticket page."""
import re

from sqlalchemy import select

from app.models import AuditLog, OutboxMessage, Registration


def fresh(db, registration_id):
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def test_active_ticket_offers_no_erasure_and_refuses_it(client, db, make_event, make_registration):
    registration = make_registration(make_event(), name="李雷", phone="13812345678")
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "删除我的个人信息" not in page
    confirm = client.get(f"/tickets/{registration.token}/erase")
    assert confirm.status_code == 200 and "请先取消报名" in confirm.get_data(as_text=True)
    response = client.post(f"/tickets/{registration.token}/erase")
    assert response.status_code == 409 and "请先取消报名" in response.get_data(as_text=True)
    kept = fresh(db, registration.id)
    assert (kept.name, kept.phone, kept.anonymised_at) == ("李雷", "13812345678", None)


def test_cancelled_holder_erases_after_confirming(client, db, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, name="韩梅梅", phone="13812345678",
                                     email="hmm@example.com", party_size=2)
    token, reg_id = registration.token, registration.id
    from app.services import audit
    from app.services.privacy import mask_phone

    audit.record("registration.walk_in", registration, event=event,
                 detail={"phone": mask_phone("13812345678"), "reason": "韩梅梅 电话 13812345678"})
    db.session.commit()
    assert client.post(f"/tickets/{token}/cancel").status_code == 303
    ticket = client.get(f"/tickets/{token}").get_data(as_text=True)
    assert f'href="/tickets/{token}/erase"' in ticket and "删除我的个人信息" in ticket
    # The link only asks: nothing is deleted by a GET.
    confirm = client.get(f"/tickets/{token}/erase")
    assert confirm.status_code == 200 and "确定删除" in confirm.get_data(as_text=True)
    assert fresh(db, reg_id).phone == "13812345678"

    response = client.post(f"/tickets/{token}/erase")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tickets/{token}")
    erased = fresh(db, reg_id)
    assert erased.name == "（已删除）" and erased.phone == "" and erased.email is None
    assert erased.anonymised_at is not None
    # Counts survive: status and party size stay for the reports.
    assert (erased.status, erased.party_size) == ("cancelled", 2)
    # The mails sent to them (confirmation, cancellation) keep no address or text.
    mails = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.registration_id == reg_id)).scalars().all()
    assert mails and all(m.recipient == "" and m.body_text == "" and not m.body_html for m in mails)
    assert all(m.status != "queued" for m in mails)
    # One audit row, with nothing personal in it.
    earlier = db.session.execute(select(AuditLog).where(AuditLog.action == "registration.walk_in")).scalar_one()
    assert earlier.detail == {"erased": True}
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "registration.erase")).scalar_one()
    text = repr((row.detail, row.target_id, row.actor_name, row.ip))
    for secret in ("13812345678", "hmm@example.com", "韩梅梅", token):
        assert secret not in text
    assert row.ip is None
    page = client.get(f"/tickets/{token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "个人信息已删除" in body and "韩梅梅" not in body
    assert "删除我的个人信息" not in body
    # Twice is harmless.
    assert client.post(f"/tickets/{token}/erase").status_code == 303
    assert db.session.execute(select(AuditLog).where(
        AuditLog.action == "registration.erase")).scalars().all() == [row]


def test_erase_needs_csrf_when_enabled(make_app, app, db, make_event, make_registration):
    from app.services.registration import cancel

    registration = make_registration(make_event(), phone="13812345678")
    cancel(registration)
    db.session.commit()
    token, reg_id = registration.token, registration.id
    db.session.rollback()
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert client.post(f"/tickets/{token}/erase").status_code == 400
    assert fresh(db, reg_id).phone == "13812345678"
    db.session.rollback()
    page = client.get(f"/tickets/{token}/erase").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/tickets/{token}/erase", data={"csrf_token": csrf}).status_code == 303
    assert fresh(db, reg_id).phone == ""


def test_registration_form_names_the_privacy_notice_version(client, make_event):
    make_event()
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    version = client.application.config["PRIVACY_NOTICE_VERSION"]
    assert f"说明版本：{version}" in page
