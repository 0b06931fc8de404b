"""PIPL retention: personal data goes after the event; the counts that reports need stay."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from app.models import AuditLog, CheckIn, Event, Feedback, OutboxMessage, Registration
from app.services import audit
from app.services.privacy import ERASED_NAME, mask_name, mask_phone
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


# --- The purge keeps the report's figures, leaves nothing personal, and is quiet on re-runs --

SHANGHAI = timezone(timedelta(hours=8))
# Two drives and an open day in the fourth quarter of 2026, the report made in January 2027:
# the autumn drive 104 days before, the winter drive 41 days before (a retention of 45 days
# purges the first only, one of 30 days both).
REPORT_DAY = datetime(2027, 1, 20, 10, 0, tzinfo=SHANGHAI)
AUTUMN = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
WINTER = datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)


def _event_on(db, slug, kind, starts):
    """An event whose slots (key → start) last two hours each."""
    from app.services.events import save_event

    first = min(starts.values())
    event, _ = save_event(event_data(
        slug=slug, kind=kind, max_party_size=1 if kind == "volunteer" else 4,
        registration_opens_at=(first - timedelta(days=20)).isoformat(),
        registration_closes_at=(first - timedelta(days=1)).isoformat(),
        slots=[{"key": key, "label": key, "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 10}
               for key, start in starts.items()]))
    db.session.flush()
    return event


def _served(db, event, key, phone, name, minutes):
    """An approved volunteer's shift, checked in at its start and out ``minutes`` later."""
    slot = next(s for s in event.slots if s.key == key)
    registration = register(event, slot, name=name, phone=phone, source="staff")
    registration.status = "confirmed"
    db.session.add(CheckIn(registration_id=registration.id, event_id=event.id,
                           checked_in_at=slot.starts_at,
                           checked_out_at=slot.starts_at + timedelta(minutes=minutes)))
    db.session.flush()
    return registration


def _quarter_of_volunteers(db):
    """Autumn drive: 王芳 on both shifts, 李明 on one. Winter drive: 王芳 again and 赵敏.
    An open day: three tickets, two checked in. Three people served in the quarter."""
    autumn = _event_on(db, "autumn-drive", "volunteer",
                       {"am": AUTUMN, "pm": AUTUMN + timedelta(hours=4)})
    winter = _event_on(db, "winter-drive", "volunteer", {"am": WINTER})
    open_day = _event_on(db, "autumn-open-day", "open_day", {"am": AUTUMN + timedelta(days=1)})
    _served(db, autumn, "am", "13700000001", "王芳", 120)
    _served(db, autumn, "pm", "13700000001", "王芳", 90)
    _served(db, autumn, "am", "13700000002", "李明", 60)
    _served(db, winter, "am", "13700000001", "王芳", 120)
    _served(db, winter, "am", "13700000003", "赵敏", 30)
    for n, party in enumerate((2, 1, 3)):
        registration = register(open_day, open_day.slots[0], name=f"市民{n}",
                                phone=f"1390000000{n}", party_size=party, source="staff")
        if n < 2:
            db.session.add(CheckIn(registration_id=registration.id, event_id=open_day.id))
    db.session.commit()
    return autumn, winter


def _figures(db):
    """What the quarterly and yearly reports and the drives' hours pages count."""
    from app.models import Event
    from app.services import reports, volunteers

    db.session.expire_all()
    now = REPORT_DAY.astimezone(timezone.utc)
    figures = {}
    for period in ((2026, 4), (2026, None)):
        report = reports.build_report(*period, now=now)
        figures[period] = (report["totals"], [
            (row["event"].slug, {k: v for k, v in row.items() if k not in ("event", "volunteers")})
            for row in report["events"]])
    for slug in ("autumn-drive", "winter-drive"):
        event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one()
        drive = volunteers.drive_report(event)
        figures[slug] = (
            drive.minutes, [(slot.key, n, came, hours) for slot, n, came, hours in drive.per_shift],
            sorted((p.minutes, sorted(s.slot.key for s in p.shifts)) for p in drive.volunteers))
    return figures


@pytest.mark.parametrize("retentions", [(45, 30), (30,)], ids=["drive-by-drive", "both-at-once"])
def test_purge_keeps_the_volunteer_and_hours_figures_of_reports(app, db, retentions):
    from app.services.privacy import is_stand_in, purge_due

    _quarter_of_volunteers(db)
    phones = {r.id: (r.event.kind, r.event_id, r.phone)
              for r in db.session.execute(select(Registration)).scalars()}
    before = _figures(db)
    totals = before[(2026, 4)][0]
    assert (totals["volunteer_count"], totals["hours"]) == (3, pytest.approx(7.0))
    assert (totals["registered"], totals["attended"], totals["attended_people"]) == (3, 2, 3)
    assert before["autumn-drive"][2] == [(60, ["am"]), (210, ["am", "pm"])]

    for days in retentions:
        assert purge_due(REPORT_DAY.astimezone(timezone.utc), days)
        db.session.commit()
        assert _figures(db) == before
    # Nothing of the numbers is left: the open day's phones are blank; a volunteer's are a
    # stand-in, one per person and drive.
    after = dict(db.session.execute(select(Registration.id, Registration.phone)).all())
    assert all(after[i] == "" for i, (kind, _event, _phone) in phones.items() if kind == "open_day")
    people = {(event, phone): set() for kind, event, phone in phones.values() if kind == "volunteer"}
    for i, (kind, event, phone) in phones.items():
        if kind == "volunteer":
            assert is_stand_in(after[i])
            people[event, phone].add(after[i])
    assert all(len(stand_ins) == 1 for stand_ins in people.values())
    # 王芳 on both drives may share one (it names her, not her number); two people never do.
    owners = {}
    for (_event, phone), stand_ins in people.items():
        owners.setdefault(stand_ins.pop(), set()).add(phone)
    assert all(len(phones) == 1 for phones in owners.values())
    assert "137000000" not in _database_text(db) and "139000000" not in _database_text(db)


def test_a_stand_in_survives_the_holder_erasing_the_registration_it_points_to(app, db):
    """王芳's purged autumn shifts stand for her registration still held in the same year:
    here her spring application (made first). When she withdraws it and deletes her data, the
    autumn shifts must still count as the same person as her winter shift."""
    from app.services.privacy import erase_registration, purge_due

    spring = _event_on(db, "spring-drive", "volunteer", {"am": WINTER + timedelta(days=10)})
    withdrawn = register(spring, spring.slots[0], name="王芳", phone="13700000001",
                         source="staff")
    _quarter_of_volunteers(db)
    before = _figures(db)
    assert purge_due(REPORT_DAY.astimezone(timezone.utc), 45)  # the autumn drive
    db.session.commit()
    # 王芳's autumn shift (the autumn open day's purged phones are blank: nothing counts them).
    autumn_phone = db.session.execute(
        select(Registration.phone).join(Event, Event.id == Registration.event_id)
        .where(Event.slug == "autumn-drive", Registration.name == ERASED_NAME)
        .order_by(Registration.id)).scalars().first()
    assert autumn_phone == f"~{withdrawn.id}"
    withdrawn.status, withdrawn.active_key = "cancelled", None
    erase_registration(withdrawn, now_utc())
    db.session.commit()
    assert _figures(db) == before
    assert purge_due(REPORT_DAY.astimezone(timezone.utc), 30)  # the winter drive
    db.session.commit()
    assert _figures(db) == before


@pytest.fixture
def purged_leftovers(app, db, runner, make_staff):
    """An event 40 days past with personal data where the purge used to leave it, purged by
    the command: {what: id}."""
    from app.services.invitations import create_invitation

    event = _past_event(db, "old-open-day", days_ago=40)
    invitation = create_invitation(event, event.slots[0], label="人大代表 钱七 13500135005")
    registration = register(event, event.slots[0], name="王秀英", phone="13912345678",
                            email="bad.person@example.com", source="staff")
    failed = OutboxMessage(kind="confirmation", recipient="bad.person@example.com",
                           subject="报名成功", body_text="…", registration_id=registration.id,
                           status="failed", attempts=5, last_error=(
                               "SMTPRecipientsRefused: {'bad.person@example.com': "
                               "(550, b'5.1.1 bad.person@example.com: user unknown')}"))
    waiting = OutboxMessage(kind="feedback_invite", recipient="bad.person@example.com",
                            subject="请评价", body_text="…", registration_id=registration.id,
                            next_attempt_at=now_utc() - timedelta(minutes=1))
    checkin = CheckIn(registration_id=registration.id, event_id=event.id, gate="东门 13800000000")
    feedback = Feedback(event_id=event.id, registration_id=registration.id, overall=1,
                        comment="请回电，座机 021-57712345")
    # As requests write them: a staff member's action, and a citizen's (no staff behind it).
    staff = AuditLog(**{**audit.row_values("registration.cancel", registration, event_id=event.id,
                                           actor=make_staff()), "ip": "10.0.0.7"})
    citizen = AuditLog(**{**audit.row_values("invitation.register", invitation,
                                             event_id=event.id), "ip": "203.0.113.9"})
    # What an export left (no person in it: which file, how many records).
    export = AuditLog(**audit.row_values("export", event, event_id=event.id, actor=make_staff(
        "exporter"), detail={"export": "registrations", "format": "csv", "rows": 1,
                             "slug": event.slug}))
    db.session.add_all([failed, waiting, checkin, feedback, staff, citizen, export])
    db.session.commit()
    ids = {"invitation": invitation.id, "failed": failed.id, "waiting": waiting.id,
           "checkin": checkin.id, "feedback": feedback.id, "staff": staff.id,
           "citizen": citizen.id, "export": export.id}
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return ids


def test_purge_clears_a_mail_servers_error_quoting_the_address(db, purged_leftovers):
    assert db.session.get(OutboxMessage, purged_leftovers["failed"]).last_error == "purged"


def test_purge_stops_a_message_still_waiting_instead_of_sending_it_to_nobody(db, purged_leftovers):
    from app.services import mail

    waiting = db.session.get(OutboxMessage, purged_leftovers["waiting"])
    assert (waiting.status, waiting.recipient, waiting.last_error) == ("failed", "", "purged")
    assert mail.send_queued() == (0, 0)


def test_purge_masks_the_contacts_in_an_invitations_label(db, purged_leftovers):
    from app.models import Invitation

    label = db.session.get(Invitation, purged_leftovers["invitation"]).label
    assert label == "人大代表 钱七 135****5005"


def test_purge_clears_the_address_a_citizen_acted_from_but_not_staffs(db, purged_leftovers):
    assert db.session.get(AuditLog, purged_leftovers["citizen"]).ip is None
    assert db.session.get(AuditLog, purged_leftovers["staff"]).ip == "10.0.0.7"


def test_purge_keeps_what_an_export_took_out(db, purged_leftovers):
    """An auditor asks, years on, what left the office and how much: an export's audit row
    names no person (the file, its format, the number of records) and is kept whole."""
    export = db.session.get(AuditLog, purged_leftovers["export"])
    assert export.detail == {"export": "registrations", "format": "csv", "rows": 1,
                             "slug": "old-open-day"}
    # The other rows' details, which may name people, are cleared as before.
    assert db.session.get(AuditLog, purged_leftovers["staff"]).detail == {"purged": True}


def test_purge_masks_landlines_in_comments(db, purged_leftovers):
    assert db.session.get(Feedback, purged_leftovers["feedback"]).comment == "请回电，座机 ****2345"


def test_purge_masks_a_phone_typed_as_the_gate(db, purged_leftovers):
    assert db.session.get(CheckIn, purged_leftovers["checkin"]).gate == "东门 138****0000"


def test_purge_leaves_none_of_these_contacts_anywhere(db, purged_leftovers):
    stored = _database_text(db) + " ".join(
        str(v) for table in ("invitation", "checkin") for row in
        db.session.execute(text(f"SELECT * FROM {table}")) for v in row)
    for personal in ("bad.person", "13500135005", "13800000000", "57712345", "203.0.113.9"):
        assert personal not in stored


def test_the_holders_own_erase_clears_the_mail_servers_error_too(app, db):
    from app.services.privacy import erase_registration

    event = _past_event(db, "old-open-day", days_ago=3)
    registration = register(event, event.slots[0], name="王秀英", phone="13912345678",
                            email="bad.person@example.com", source="staff")
    db.session.add(OutboxMessage(kind="confirmation", recipient="bad.person@example.com",
                                 subject="报名成功", body_text="…", status="failed",
                                 registration_id=registration.id,
                                 last_error="SMTPRecipientsRefused: {'bad.person@example.com': 550}"))
    registration.status, registration.active_key = "cancelled", None
    erase_registration(registration, now_utc())
    db.session.commit()
    assert "bad.person" not in _database_text(db)
    assert db.session.execute(select(OutboxMessage.last_error)).scalar_one() == "erased"


def test_purge_says_nothing_and_rewrites_nothing_when_run_again(app, db, runner):
    from sqlalchemy import event as sa_event

    old = _past_event(db, "old-open-day", days_ago=40)
    _past_event(db, "older-open-day", days_ago=400)
    _everything(db, old, "13912345678", "wang@example.com")
    db.session.add(Feedback(event_id=old.id, overall=2,
                            comment="微信 abc123，手机 13912345678 1234567，座机 021-57712345"))
    db.session.commit()

    first = runner.invoke(args=["privacy", "purge"])
    assert first.exit_code == 0, first.output
    # The older event holds nothing personal: not a word about it, even the first time.
    assert first.output.strip() == "old-open-day: 1 registrations anonymised"

    def purge_rows():
        return db.session.execute(select(func.count(AuditLog.id))
                                  .where(AuditLog.action == "privacy.purge")).scalar()

    purges = purge_rows()
    assert purges == 1
    written = []

    def count_updates(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE"):
            written.append((statement.split()[1], cursor.rowcount))

    sa_event.listen(db.engine, "after_cursor_execute", count_updates)
    try:
        again = runner.invoke(args=["privacy", "purge"])
        assert again.exit_code == 0, again.output
        assert again.output.strip() == "Nothing due."
        assert purge_rows() == purges
        assert all(rowcount == 0 for _table, rowcount in written), written

        # A staff export of the purged event afterwards names no one: nothing to do.
        audit.record("export", old, event=old, detail={"export": "registrations", "rows": 1})
        db.session.commit()
        written.clear()
        assert runner.invoke(args=["privacy", "purge"]).output.strip() == "Nothing due."
        assert all(rowcount == 0 for _table, rowcount in written), written
        # A row about a person written afterwards (a note someone typed): cleared on the
        # next run, and only it.
        audit.record("event.note", old, event=old, detail={"note": "王秀英来电 13912345678"})
        db.session.commit()
        written.clear()
        later = runner.invoke(args=["privacy", "purge"])
        assert later.output.strip() == "old-open-day: 0 registrations anonymised"
        assert sum(n for table, n in written if table == "audit_log") == 1
        assert runner.invoke(args=["privacy", "purge"]).output.strip() == "Nothing due."
    finally:
        sa_event.remove(db.engine, "after_cursor_execute", count_updates)


def test_a_purged_volunteers_stand_in_is_never_taken_for_a_phone(app, db):
    """The stand-in keeps the reports' people apart; anywhere a phone is read it is none: the
    registrations CSV, the volunteer's own list of shifts, a search by the end of a number,
    a message to send again."""
    from app.models import Event
    from app.services import exports, mail, volunteers, workspace
    from app.services.errors import Conflict
    from app.services.privacy import is_stand_in, purge_due

    autumn, _winter = _quarter_of_volunteers(db)
    first = db.session.execute(select(Registration).where(Registration.event_id == autumn.id)
                               .order_by(Registration.id).limit(1)).scalar_one()
    message = OutboxMessage(kind="confirmation", recipient="wang@example.com", subject="s",
                            body_text="b", status="failed", registration_id=first.id)
    db.session.add(message)
    db.session.commit()
    assert purge_due(REPORT_DAY.astimezone(timezone.utc), 30)
    db.session.commit()
    db.session.expire_all()
    autumn = db.session.get(Event, autumn.id)
    purged = db.session.get(Registration, first.id)
    assert is_stand_in(purged.phone)
    _header, rows = exports.registration_rows(autumn)
    phones = [row[4] for row in rows]
    assert phones and all(phone == "" for phone in phones)
    assert volunteers.applications_in_drive(purged) == []
    # A stand-in's digits are an id (here made long enough to be searched for), no phone's.
    purged.phone = "~4321"
    db.session.commit()
    assert purged not in workspace.search_registrations(autumn, q="4321").items
    with pytest.raises(Conflict):
        mail.retry(db.session.get(OutboxMessage, message.id))
