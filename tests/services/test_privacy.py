"""PIPL retention: personal data goes after the event; the counts that reports need stay."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.models import AuditLog, CheckIn, Feedback, OutboxMessage, Registration
from app.services import audit
from app.services.privacy import mask_name, mask_phone
from app.services.registration import register
from tests.conftest import event_data, now_utc


def _past_event(db, slug, days_ago):
    from app.services.events import save_event

    start = now_utc() - timedelta(days=days_ago)
    event, _ = save_event(event_data(
        slug=slug,
        registration_opens_at=(start - timedelta(days=10)).isoformat(),
        registration_closes_at=(start - timedelta(days=1)).isoformat(),
        slots=[{"key": "am", "label": "上午场", "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 10}],
    ))
    db.session.flush()
    return event


def _everything(db, event, phone, email):
    registration = register(event, event.slots[0], name="王秀英", phone=phone, email=email,
                            party_size=2, source="staff")
    db.session.add(CheckIn(registration_id=registration.id, event_id=event.id, gate="1"))
    db.session.add(Feedback(event_id=event.id, registration_id=registration.id, overall=1,
                            contact=email))
    db.session.add(OutboxMessage(kind="confirmation", recipient=email, subject="报名成功",
                                 body_text=f"王秀英 {phone}", registration_id=registration.id))
    audit.record("registration.cancel", registration, event=event,
                 detail={"name": "王秀英", "phone": mask_phone(phone)})
    return registration


def _database_text(db):
    """Every text value stored in the tables that hold personal data."""
    chunks = []
    for table in ("registration", "feedback", "outbox_message", "audit_log"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            chunks.extend(str(v) for v in row)
    return " ".join(chunks)


def test_purge_removes_personal_data_after_retention_and_keeps_counts(app, db, runner):
    old = _past_event(db, "old-open-day", days_ago=40)
    recent = _past_event(db, "recent-open-day", days_ago=5)
    _everything(db, old, "13912345678", "wang@example.com")
    _everything(db, recent, "13787654321", "li@example.com")
    db.session.commit()

    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "old-open-day: 1" in result.output and "recent-open-day" not in result.output

    db.session.expire_all()
    stored = _database_text(db)
    assert "13912345678" not in stored and "wang@example.com" not in stored
    assert "王秀英" in stored  # the recent event's registration is untouched
    assert "13787654321" in stored and "li@example.com" in stored
    old_registration = db.session.execute(
        select(Registration).where(Registration.event_id == old.id)).scalar_one()
    assert old_registration.anonymised_at is not None
    assert old_registration.party_size == 2 and old_registration.status == "confirmed"
    # Counts for reports stay.
    assert db.session.execute(select(func.count(CheckIn.id))
                              .where(CheckIn.event_id == old.id)).scalar() == 1
    assert db.session.execute(select(Feedback.overall)
                              .where(Feedback.event_id == old.id)).scalar() == 1
    assert db.session.execute(select(func.count(AuditLog.id))
                              .where(AuditLog.action == "privacy.purge")).scalar() == 1


def test_purge_respects_the_configured_retention(app, db, runner):
    old = _past_event(db, "old-open-day", days_ago=40)
    _everything(db, old, "13912345678", "wang@example.com")
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge", "--days", "60"])
    assert "Nothing due." in result.output
    assert "13912345678" in _database_text(db)


def test_masking():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_name("王秀英") == "王**"
    assert mask_name("李") == "李*"


def test_purge_masks_phones_and_emails_typed_into_comments_and_notes(app, db, runner):
    from datetime import date

    from app.models import FollowUp

    old = _past_event(db, "old-open-day", days_ago=40)
    recent = _past_event(db, "recent-open-day", days_ago=5)
    texts = {}
    for event in (old, recent):
        feedback = Feedback(event_id=event.id, overall=1,
                            comment="厕所太少。请回电 139 1234 5678 或发邮件 wang.fang@example.com 谢谢",
                            suggestions="多安排志愿者，联系+86１３９１２３４５６７８")
        db.session.add(feedback)
        db.session.flush()
        db.session.add(FollowUp(feedback_id=feedback.id, event_id=event.id, status="closed",
                                due_on=date.today(),
                                action_note="已致电13912345678说明情况，邮件抄送 wang.fang@example.com"))
        texts[event.id] = feedback.id
    db.session.commit()

    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    db.session.expire_all()
    purged = db.session.get(Feedback, texts[old.id])
    assert purged.comment == "厕所太少。请回电 139****5678 或发邮件 w***@example.com 谢谢"
    assert purged.suggestions == "多安排志愿者，联系139****5678"
    assert purged.overall == 1
    assert purged.follow_up.action_note == "已致电139****5678说明情况，邮件抄送 w***@example.com"
    assert purged.follow_up.status == "closed"
    kept = db.session.get(Feedback, texts[recent.id])
    assert "139 1234 5678" in kept.comment and "wang.fang@example.com" in kept.comment
    assert "13912345678" in kept.follow_up.action_note


def test_mask_contacts_keeps_other_numbers():
    from app.services.privacy import mask_contacts

    assert mask_contacts("第2场 10:30，共 120 人，编号 20261126") == "第2场 10:30，共 120 人，编号 20261126"
    assert mask_contacts("身份证 310101199001011234") == "身份证 310101199001011234"
    assert mask_contacts("手机13812345678。") == "手机138****5678。"


@pytest.mark.parametrize("contact, shown", [
    ("13912345678", "139****5678"),
    ("+86 139-1234-5678", "139****5678"),
    ("张先生 13912345678 下午", "张先生 139****5678 下午"),
    ("zhang.san@example.com", "z***@example.com"),
    ("021-57712345", "****2345"),                 # a landline
    ("５７７１２３４５", "****2345"),               # typed with full-width digits
    # A WeChat ID: its first 2 characters, and the word that says it is one.
    ("微信 zhang_san88", "微信 zh****"),
    ("微信号：wxid_abc123", "微信号：wx****"),
    ("WeChat: lily-2024", "WeChat: li****"),
    ("wechat ID: Lily_2024", "wechat ID: Li****"),
    ("VX abc123 下午", "VX ab**** 下午"),
    ("微信号 zs2026 张先生 13912345678", "微信号 zs**** 张先生 139****5678"),
    ("微信 13912345678", "微信 139****5678"),       # a phone as the WeChat ID: the phone rule
    ("微信：张先生", "微信：张先生"),                  # a name, not an ID
    ("", ""),
    (None, None),
])
def test_mask_contact(contact, shown):
    from app.services.privacy import mask_contact

    assert mask_contact(contact) == shown


@pytest.mark.parametrize("text, shown", [
    # Free text people typed: the WeChat ID masked as in a contact, the words kept.
    ("加我微信 abc123 聊", "加我微信 ab**** 聊"),
    ("有问题可以加微信号：wxid_abc123，谢谢", "有问题可以加微信号：wx****，谢谢"),
    ("my WeChat: lily-2024 please", "my WeChat: li**** please"),
    ("VX zs2026 或者打 13912345678", "VX zs**** 或者打 139****5678"),
    ("微信 13912345678", "微信 139****5678"),        # a phone as the ID: the phone rule
    ("希望开通微信预约，微信公众号也行", "希望开通微信预约，微信公众号也行"),  # no ID after it
    ("加微信：张先生", "加微信：张先生"),
    # Masked already (a purged comment shown to staff, a log line written twice): unchanged.
    ("加我微信 ab**** 聊", "加我微信 ab**** 聊"),
    ("微信号：wx****，电话 139****5678", "微信号：wx****，电话 139****5678"),
])
def test_mask_contacts_masks_a_wechat_id_in_free_text(text, shown):
    from app.services.privacy import mask_contacts

    assert mask_contacts(text) == shown
    assert mask_contacts(shown) == shown


def test_mask_contact_masks_a_wechat_id_once():
    """mask_contact builds on mask_contacts, which now masks WeChat IDs itself: still
    "wx****", not masked twice into "wx********"."""
    from app.services.privacy import mask_contact

    assert mask_contact("微信号：wxid_abc123") == "微信号：wx****"
    assert mask_contact(mask_contact("微信号：wxid_abc123")) == "微信号：wx****"


def test_purge_masks_a_wechat_id_typed_into_a_comment(app, db, runner):
    event = _past_event(db, "wechat-day", days_ago=40)
    registration = register(event, event.slots[0], name="王秀英", phone="13912345678",
                            party_size=1, source="staff")
    feedback = Feedback(event_id=event.id, registration_id=registration.id, overall=1,
                        comment="加我微信 abc123 聊", suggestions="VX zs2026")
    db.session.add(feedback)
    db.session.commit()
    feedback_id = feedback.id

    assert runner.invoke(args=["privacy", "purge"]).exit_code == 0
    db.session.expire_all()
    purged = db.session.get(Feedback, feedback_id)
    assert (purged.comment, purged.suggestions) == ("加我微信 ab**** 聊", "VX zs****")
