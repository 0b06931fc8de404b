"""Every kind of mail, made the way the app makes it (registration, waiting list, staff,
volunteer review, evaluation invitation), read as a citizen reads it: the contact line
under every one, sentences that do not run into each other, times written as the pages
write them."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import OutboxMessage
from tests.conftest import iso, now_utc

# A deployment's real address is longer than the tests' http://testserver: its ticket
# links are what must fit on a phone.
BASE_URL = "https://openday.jgswglj.songjiang.gov.cn"
JOIN_URL = "https://meeting.tencent.com/dm/AbCdEfGhIjKl?rs=25&from=openday-songjiang"

@pytest.fixture(autouse=True)
def base_url_put_back(app, monkeypatch):
    """every_mail() writes a real-length BASE_URL into the session's app config: put the
    old one back afterwards, or later tests' links read https://openday…"""
    monkeypatch.setitem(app.config, "BASE_URL", app.config.get("BASE_URL"))



def every_mail(app, db, make_event, make_registration, make_staff, lang="zh"):
    """Queue every kind of message through the services that send it, for registrants who
    used the pages in ``lang``; returns the outbox rows, oldest first."""
    from app.services import registration as registrations
    from app.services import volunteers
    from app.services.feedback import invite_due
    from app.services.mail import queue_registration_mail
    from app.services.slot_changes import SlotTerms

    app.config["BASE_URL"] = BASE_URL
    start = now_utc().replace(second=0, microsecond=0) + timedelta(days=3)
    event = make_event(slug=f"mail-{lang}", title="后勤管家开放日", waitlist=True, slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 1, "mode": "onsite",
         "location": "松江区园中路 1 号区行政中心 3 楼"},
        {"key": "web", "label": "线上场", "starts_at": iso(start + timedelta(hours=5)),
         "ends_at": iso(start + timedelta(hours=6)), "capacity": 1, "mode": "online",
         "join_url": JOIN_URL}])
    drive = make_event(slug=f"drive-{lang}", kind="volunteer", title="垃圾分类检查志愿者招募",
                       slots=[
        {"key": "s1", "label": "早班检查", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": 5, "mode": "onsite",
         "location": "小区 A 投放点"},
        {"key": "s2", "label": "线上宣传", "starts_at": iso(start + timedelta(hours=5)),
         "ends_at": iso(start + timedelta(hours=6)), "capacity": 5, "mode": "online",
         "join_url": JOIN_URL}])
    staff = make_staff(username=f"reviewer-{lang}")
    holders = {}
    with app.test_request_context(f"/?lang={lang}"):
        for n, slot in enumerate(event.slots):
            for who in ("first", "second"):
                registration = make_registration(
                    event, slot, name=f"{who}-{slot.key}", email=f"{who}{n}@example.com")
                registrations.queue_new_registration_mail(registration)
                holders[(who, slot.key)] = registration
        db.session.commit()
        applied = volunteers.apply(drive, drive.slots, name="王五", phone="13900003333",
                                   email="v@example.com", code_agreed=True)
        refused = volunteers.apply(drive, drive.slots[:1], name="赵六", phone="13900004444",
                                   email="w@example.com", code_agreed=True)
        db.session.commit()
    first = holders[("first", "am")]
    queue_registration_mail(first, "reminder")
    terms = SlotTerms.of(first.slot, event)
    queue_registration_mail(first, "slot_changed", before=terms, after=terms,
                            changed=["time", "place"])
    registrations.cancel_by_holder(first)  # promotes the second, who is then cancelled by staff
    registrations.cancel_by_staff(holders[("second", "am")], reason="重复报名")
    registrations.cancel_by_holder(holders[("first", "web")])  # promotes the online one
    for approved in applied:
        volunteers.approve(approved, staff)
    volunteers.reject(refused[0], staff, "名额已满")
    db.session.commit()
    invite_due(now=start + timedelta(days=1))
    db.session.commit()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


@pytest.fixture
def mails(app, db, make_event, make_registration, make_staff):
    def made(lang="zh"):
        rows = every_mail(app, db, make_event, make_registration, make_staff, lang)
        kinds = {row.kind for row in rows}
        assert kinds == {"confirmation", "waitlisted", "promoted", "cancelled", "reminder",
                         "slot_changed", "pending", "approved", "rejected",
                         "feedback_invite"}, kinds
        return rows
    return made


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_mail_ends_with_whom_to_call_in_both_parts(app, mails, lang):
    """A rejected volunteer, an invited evaluator: everyone may have a question."""
    contact = app.config["ORGANISATION_CONTACT"]
    for row in mails(lang):
        assert contact in row.body_text, (row.kind, row.body_text)
        assert contact in row.body_html, (row.kind, row.body_html)
        assert row.body_html.lstrip().lower().startswith("<!doctype html>"), row.kind


def test_an_english_staff_cancellation_does_not_run_two_sentences_together(mails):
    [by_staff] = [row for row in mails("en") if row.kind == "cancelled"
                  and "staff" in row.body_text]
    assert not re.search(r"[a-z][.!?][A-Z][a-z]", by_staff.body_text), by_staff.body_text
    assert "\nThis was done for you by our staff." in by_staff.body_text


def test_a_rejection_writes_the_shift_time_as_the_pages_write_it(app, mails):
    from app.i18n import local_span

    rows = mails("zh")
    [rejected] = [row for row in rows if row.kind == "rejected"]
    [pending] = [row for row in rows if row.kind == "pending" and "赵六" in row.body_text]
    from app.extensions import db
    from app.models import Registration

    registration = db.session.get(Registration, rejected.registration_id)
    with app.test_request_context("/"):
        span = local_span(registration.slot.starts_at, registration.slot.ends_at)
    assert span in pending.body_text  # as the application's own mail wrote it
    assert span in rejected.body_text and span in rejected.body_html
