"""What people type (a name, a title) reaches every mail as typed, and never as markup;
times are Beijing time whatever the server's clock."""
from datetime import datetime, timedelta, timezone

from app.services.mail import SUBJECTS, queue_registration_mail, send_queued
from tests.conftest import iso
from tests.services.test_mail_registration import smtp_sink  # noqa: F401 - a fixture

NAME = "<script>alert(1)</script>=1+1😀"
TITLE = "<b>节能</b> & =SUM(A1) 🌱" + "长" * 170


def test_every_mail_escapes_a_hostile_name_and_title_in_html_and_keeps_them_in_text(
        app, db, make_event, make_registration):
    start = datetime(2030, 6, 28, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai
    event = make_event(title=TITLE, slots=[{
        "key": "am", "label": "上午<场>", "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=2)), "capacity": 10, "mode": "onsite"}],
        registration_closes_at=iso(start - timedelta(days=1)))
    registration = make_registration(event, name=NAME, email="a@example.com")
    for kind in SUBJECTS:
        extra = {"previous_status": "confirmed", "reason": "<i>名额已满</i>"}
        if kind == "slot_changed":
            from app.services.slot_changes import SlotTerms

            terms = SlotTerms.of(registration.slot, event)
            extra.update(before=terms, after=terms, changed=["time"])
        row = queue_registration_mail(registration, kind, **extra)
        assert "<script>" not in row.body_html and "<b>节能" not in row.body_html, kind
        assert "&lt;script&gt;alert(1)&lt;/script&gt;=1+1😀" in row.body_html, kind
        assert NAME in row.body_text, kind
        assert row.subject.endswith(TITLE), kind
        if kind not in ("pending", "rejected", "feedback_invite"):
            assert "2030-06-28" in row.body_text and "09:30" in row.body_text, kind


def test_an_emoji_and_a_long_title_arrive_intact_through_smtp(
        app, db, make_event, make_registration, smtp_sink):  # noqa: F811
    event = make_event(title=TITLE)
    queue_registration_mail(make_registration(event, name=NAME, email="b@example.com"),
                            "confirmation")
    db.session.commit()
    assert send_queued() == (1, 0)
    [message] = smtp_sink.messages
    assert str(message["Subject"]) == f"报名成功：{TITLE}"
    assert message.get_body(("plain",)).get_content().startswith(f"{NAME}，您好：")
