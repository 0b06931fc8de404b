"""Staff actions pressed twice, from two tabs, or from a page the back button brought back.

A double click sends the same form twice in a row; a stale tab sends a form about something
another tab (or a colleague, or the citizen) has changed since. Either way the second answer
is a clear one in Chinese (the page with a message, or a redirect with a flash), never a
500, and nothing is stored twice: no second audit row for something that did not run again,
no second e-mail, no seat or hour counted twice.

Covered elsewhere, and not repeated here: closing or publishing an event twice
(test_admin_events), editing an event in two tabs (test_admin_events), a walk-in form sent
twice (test_admin_registrations), deactivating an account and revoking an invitation twice
(test_admin_accounts, test_admin_invitations), the check-out form twice (test_volunteers),
closing a follow-up twice at once (test_evaluation_follow_up_close), a check-in scanned
twice (test_checkin_api).
"""
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from app.models import AuditLog, CheckIn, OutboxMessage, Registration, Slot
from app.services import volunteers
from app.services.errors import Conflict
from tests.conftest import event_data, now_utc
from tests.page_forms import form_as_shown
from tests.services.test_volunteers import FIELDS, shift

# --- helpers ------------------------------------------------------------------------------

def audit_count(db, action):
    db.session.expire_all()
    return db.session.execute(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == action)).scalar_one()


def mails(db, kind):
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id)).scalars().all()


def fresh(db, model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def text(response):
    return response.get_data(as_text=True)


def flashes(page, category):
    """The messages of one category the page shows (base.html: class="flash flash-<c>")."""
    parser = _FlashParser(category)
    parser.feed(page)
    return [" ".join(m.split()) for m in parser.messages]


class _FlashParser(HTMLParser):
    def __init__(self, category):
        super().__init__()
        self.wanted = f"flash-{category}"
        self.depth = 0
        self.messages = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += 1
        elif self.wanted in classes:
            self.depth = 1
            self.messages.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.messages[-1] += data


def beijing(moment):
    """A datetime-local field's value: the time in Beijing."""
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture
def drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="repeat-volunteers", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募",
                      slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=2)])


def application(db, drive, name="李四", phone="13900009999", email="lisi@example.com"):
    [registration] = volunteers.apply(drive, [drive.slots[0]], name=name, phone=phone,
                                      email=email, **FIELDS)
    db.session.commit()
    return registration


def admin_user(auth):
    from app.services.staff import get_by_username

    auth.login("admin")
    return get_by_username("admin")


@pytest.fixture
def full_slot_with_a_waiting_list(make_event, make_registration):
    """One seat, held; one person waiting for it (with an e-mail, so promotion mails)."""
    event = make_event(slug="repeat-day", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    holder = make_registration(event, name="持票人", email="holder@example.com")
    waiting = make_registration(event, name="候补人", email="wait@example.com")
    assert (holder.status, waiting.status) == ("confirmed", "waitlisted")
    return event, holder, waiting


# --- cancelling on someone's behalf -------------------------------------------------------

def test_a_double_click_on_cancel_frees_the_seat_and_promotes_once(
        client, auth, db, full_slot_with_a_waiting_list):
    event, holder, waiting = full_slot_with_a_waiting_list
    auth.login("admin")
    url = f"/staff/registrations/{holder.id}/cancel"
    first = client.post(url, data={"reason": "电话来取消"}, follow_redirects=True)
    second = client.post(url, data={"reason": "电话来取消"}, follow_redirects=True)
    assert first.status_code == 200
    assert flashes(text(first), "success") == ["已代为取消报名，名额已释放。"]
    assert second.status_code == 200
    assert flashes(text(second), "info") == ["这条报名已经取消。"]
    assert fresh(db, Slot, event.slots[0].id).booked == 1  # the promoted one's seat, once
    assert fresh(db, Registration, waiting.id).status == "confirmed"
    assert audit_count(db, "registration.cancel") == 1
    assert mails(db, "promoted") == ["wait@example.com"]


def test_cancelling_from_a_stale_page_after_the_holder_cancelled_changes_nothing(
        client, auth, db, full_slot_with_a_waiting_list):
    """The staff page was opened while the ticket was valid; the holder cancelled from the
    ticket page meanwhile: the holder's own cancellation stays as they made it."""
    event, holder, waiting = full_slot_with_a_waiting_list
    auth.login("admin")
    page = client.get(f"/staff/registrations/{holder.id}")
    assert "代为取消报名" in text(page)
    assert client.post(f"/tickets/{holder.token}/cancel").status_code in (302, 303)
    booked = fresh(db, Slot, event.slots[0].id).booked
    response = client.post(f"/staff/registrations/{holder.id}/cancel",
                           data={"reason": "旧页面"}, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(text(response), "info") == ["这条报名已经取消。"]
    holder = fresh(db, Registration, holder.id)
    assert (holder.status, holder.cancel_reason) == ("cancelled", "holder")
    assert fresh(db, Slot, event.slots[0].id).booked == booked == 1
    assert audit_count(db, "registration.cancel") == 0
    assert mails(db, "promoted") == ["wait@example.com"]


def test_cancelling_a_refused_application_says_it_was_refused(client, auth, db, drive):
    registration = application(db, drive)
    auth.login("admin")
    volunteers.reject(registration, admin_user(auth), "班次已满")
    db.session.commit()
    response = client.post(f"/staff/registrations/{registration.id}/cancel",
                           data={"reason": "旧页面"}, follow_redirects=True)
    assert flashes(text(response), "info") == ["这份申请未通过审核，没有名额可取消。"]
    assert fresh(db, Registration, registration.id).status == "rejected"
    assert audit_count(db, "registration.cancel") == 0


def test_two_cancellations_that_read_the_ticket_before_either_wrote_free_its_seats_once(
        client, auth, db, make_event, make_registration):
    """A double click on a slow network: both requests load the registration while it is
    still confirmed (on PostgreSQL neither waits for the other to read). The one that
    writes second must not give the seats back again: the slot would count seats nobody
    freed and sell them twice."""
    from app.services.registration import cancel_by_staff

    event = make_event(slug="repeat-race", slots=[dict(event_data()["slots"][0], capacity=3)])
    holder = make_registration(event, party_size=2)
    make_registration(event, party_size=1)
    auth.login("admin")
    assert client.post(f"/staff/registrations/{holder.id}/cancel",
                       data={"reason": "双击"}).status_code == 303
    assert fresh(db, Slot, event.slots[0].id).booked == 1
    # The second request of the double click, as it read the ticket: still confirmed.
    stale = fresh(db, Registration, holder.id)
    set_committed_value(stale, "status", "confirmed")
    with pytest.raises(Conflict) as refused:
        cancel_by_staff(stale, reason="双击")
    assert str(refused.value.message) == "这条报名已经取消。"
    db.session.rollback()
    assert fresh(db, Slot, event.slots[0].id).booked == 1
    assert fresh(db, Registration, holder.id).cancel_reason == "双击"


# --- volunteer decisions ------------------------------------------------------------------

def test_a_double_click_on_approve_says_it_is_approved_on_the_record_page(
        client, auth, db, drive):
    registration = application(db, drive)
    admin_user(auth)
    url = f"/staff/volunteers/{registration.id}/decision"
    assert client.post(url, data={"action": "approve"}).status_code == 303
    again = client.post(url, data={"action": "approve"})
    page = text(again)
    assert again.status_code == 409
    assert "这份申请已经处理过了（已通过）。" in " ".join(flashes(page, "info"))
    assert "签到与服务时长" in page and "无法完成" not in page  # the record, not an error page
    assert fresh(db, Registration, registration.id).status == "confirmed"
    assert fresh(db, Slot, drive.slots[0].id).booked == 1
    assert audit_count(db, "volunteer.approve") == 1
    assert mails(db, "approved") == ["lisi@example.com"]


def test_approving_from_a_stale_tab_after_a_rejection_keeps_the_rejection(
        client, auth, db, drive):
    registration = application(db, drive)
    admin_user(auth)
    url = f"/staff/volunteers/{registration.id}/decision"
    assert client.post(url, data={"action": "reject", "reason": "班次时间不合适"}).status_code == 303
    stale = client.post(url, data={"action": "approve"})
    page = text(stale)
    assert stale.status_code == 409
    assert "这份申请已经处理过了（未通过）。" in " ".join(flashes(page, "error"))
    assert "无法完成" not in page
    registration = fresh(db, Registration, registration.id)
    assert (registration.status, registration.review_reason) == ("rejected", "班次时间不合适")
    assert fresh(db, Slot, drive.slots[0].id).booked == 0
    assert audit_count(db, "volunteer.approve") == 0
    assert mails(db, "approved") == []
    assert mails(db, "rejected") == ["lisi@example.com"]


def test_rejecting_an_application_the_volunteer_withdrew_meanwhile_changes_nothing(
        client, auth, db, drive):
    registration = application(db, drive)
    admin_user(auth)
    page = text(client.get(f"/staff/volunteers/{registration.id}"))
    assert 'value="reject"' in page
    assert client.post(f"/tickets/{registration.token}/cancel").status_code in (302, 303)
    response = client.post(f"/staff/volunteers/{registration.id}/decision",
                           data={"action": "reject", "reason": "名额已满"})
    assert response.status_code == 409
    assert "这份申请已经处理过了（已退出）。" in " ".join(flashes(text(response), "error"))
    registration = fresh(db, Registration, registration.id)
    assert (registration.status, registration.review_reason) == ("cancelled", None)
    assert audit_count(db, "volunteer.reject") == 0
    assert mails(db, "rejected") == []


def test_the_queue_sent_twice_decides_each_application_once(client, auth, db, drive):
    first = application(db, drive, name="甲", phone="13900000001", email="a@example.com")
    second = application(db, drive, name="乙", phone="13900000002", email="b@example.com")
    admin_user(auth)
    url = f"/staff/events/{drive.slug}/volunteers/review"
    data = {"ids": [str(first.id), str(second.id)], "action": "approve"}
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data, follow_redirects=True)
    assert again.status_code == 200
    # Already done as asked: said as news, not in red.
    assert flashes(text(again), "info") == ["甲、乙：这份申请已经处理过了（已通过）。"]
    assert flashes(text(again), "error") == []
    assert fresh(db, Slot, drive.slots[0].id).booked == 2
    assert audit_count(db, "volunteer.approve") == 2
    assert sorted(mails(db, "approved")) == ["a@example.com", "b@example.com"]


# --- volunteer service times --------------------------------------------------------------

@pytest.fixture
def on_duty(auth, db, drive):
    """An approved volunteer whom the door checked in five minutes after the shift began."""
    registration = application(db, drive)
    volunteers.approve(registration, admin_user(auth))
    db.session.commit()
    slot = drive.slots[0]
    db.session.add(CheckIn(registration_id=registration.id, event_id=registration.event_id,
                           checked_in_at=slot.starts_at + timedelta(minutes=5), gate="东门"))
    db.session.commit()
    return registration, slot


def test_a_time_correction_sent_twice_is_recorded_once(client, db, on_duty):
    registration, slot = on_duty
    url = f"/staff/volunteers/{registration.id}/times"
    data = form_as_shown(text(client.get(f"/staff/volunteers/{registration.id}")), url)
    data.update(checked_in_at=beijing(slot.starts_at),
                checked_out_at=beijing(slot.ends_at - timedelta(minutes=10)), reason="补录签退")
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data, follow_redirects=True)
    assert again.status_code == 200
    assert flashes(text(again), "info") == ["服务时间与所填一致，没有重复更正。"]
    checkin = fresh(db, Registration, registration.id).checkin
    assert (checkin.checked_in_at, checkin.checked_out_at) == (
        slot.starts_at, slot.ends_at - timedelta(minutes=10))
    assert audit_count(db, "volunteer.correct_times") == 1


def test_a_stale_tab_does_not_undo_the_correction_made_in_another(client, db, on_duty):
    """Two tabs show the record. In one, the check-in is corrected; in the other, still
    showing the door's check-in time, only the check-out is filled in: saving it keeps the
    other tab's check-in instead of writing back the time that tab still shows."""
    registration, slot = on_duty
    url = f"/staff/volunteers/{registration.id}/times"
    stale_tab = form_as_shown(text(client.get(f"/staff/volunteers/{registration.id}")), url)
    assert stale_tab["checked_in_at"] == beijing(slot.starts_at + timedelta(minutes=5))
    assert client.post(url, data={"checked_in_at": beijing(slot.starts_at),
                                  "reason": "门岗扫码晚了"}).status_code == 303
    stale_tab.update(checked_out_at=beijing(slot.ends_at), reason="补录签退")
    assert client.post(url, data=stale_tab).status_code == 303
    checkin = fresh(db, Registration, registration.id).checkin
    assert (checkin.checked_in_at, checkin.checked_out_at) == (slot.starts_at, slot.ends_at)
    assert audit_count(db, "volunteer.correct_times") == 2


def test_a_first_check_in_entered_twice_at_once_is_recorded_once(client, auth, db, drive):
    """The volunteer has no check-in yet and the correction form is sent twice on a slow
    network: both requests read the record without one (on PostgreSQL neither waits for the
    other to read). The second is told, rather than answered with a server error, and the
    first one's check-in stands alone."""
    registration = application(db, drive)
    admin = admin_user(auth)
    volunteers.approve(registration, admin)
    db.session.commit()
    slot = drive.slots[0]
    url = f"/staff/volunteers/{registration.id}/times"
    data = form_as_shown(text(client.get(f"/staff/volunteers/{registration.id}")), url)
    data.update(checked_in_at=beijing(slot.starts_at), reason="补录签到")
    assert client.post(url, data=data).status_code == 303
    stale = fresh(db, Registration, registration.id)
    set_committed_value(stale, "checkin", None)  # as the second request read it
    with pytest.raises(Conflict) as refused:
        volunteers.correct_times(stale, admin, reason="补录签到",
                                 checked_in_at=slot.starts_at + timedelta(minutes=3))
    assert "刚刚有了签到记录" in str(refused.value.message)
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1
    assert fresh(db, Registration, registration.id).checkin.checked_in_at == slot.starts_at
    assert audit_count(db, "volunteer.correct_times") == 1


def test_times_sent_for_a_volunteer_who_withdrew_meanwhile_are_refused(client, db, drive,
                                                                        auth):
    registration = application(db, drive)
    volunteers.approve(registration, admin_user(auth))
    db.session.commit()
    url = f"/staff/volunteers/{registration.id}/times"
    shown = form_as_shown(text(client.get(f"/staff/volunteers/{registration.id}")), url)
    assert client.post(f"/tickets/{registration.token}/cancel").status_code in (302, 303)
    shown.update(checked_in_at=beijing(drive.slots[0].starts_at), reason="补录签到")
    response = client.post(url, data=shown)
    assert response.status_code == 409
    assert "只有已通过的志愿者才能记录服务时间。" in text(response)
    assert fresh(db, Registration, registration.id).checkin is None
    assert audit_count(db, "volunteer.correct_times") == 0


# --- the e-mail outbox ----------------------------------------------------------------------

def failed_confirmation(db, registration):
    """The registration's confirmation, as the worker leaves it after giving up."""
    from app.services.mail import queue_registration_mail

    message = queue_registration_mail(registration, "confirmation")
    message.status, message.attempts = "failed", 5
    message.last_error = "SMTPRecipientsRefused: 450 mailbox unavailable"
    db.session.commit()
    return message


def test_a_double_click_on_resend_queues_the_message_once(client, auth, db, make_event,
                                                          make_registration):
    event = make_event(slug="repeat-mail")
    registration = make_registration(event, email="zhang@example.com")
    message = failed_confirmation(db, registration)
    auth.login("admin")
    url = f"/staff/mail/{message.id}/retry"
    assert client.post(url).status_code == 303
    again = client.post(url)
    page = text(again)
    assert again.status_code == 409
    assert flashes(page, "info") == ["这封邮件已重新排队，正在等待发送，无需再次重发。"]
    assert 'id="mail-counts"' in page and "无法完成" not in page  # the outbox, not an error page
    assert audit_count(db, "mail.retry") == 1
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 1
    message = fresh(db, OutboxMessage, message.id)
    assert (message.status, message.attempts) == ("queued", 0)
    assert message.registration_id == registration.id


def test_two_resends_that_read_the_message_as_failed_queue_it_once(client, auth, db,
                                                                  make_event, make_registration):
    """A double click on a slow network: both requests load the message while it is still
    failed (on PostgreSQL neither waits for the other to read). The second must not count
    as a second resend in the audit log."""
    from app.services.mail import retry

    event = make_event(slug="repeat-mail-race")
    message = failed_confirmation(db, make_registration(event, email="zhang@example.com"))
    auth.login("admin")
    assert client.post(f"/staff/mail/{message.id}/retry").status_code == 303
    stale = fresh(db, OutboxMessage, message.id)
    set_committed_value(stale, "status", "failed")  # as the second request read it
    with pytest.raises(Conflict) as refused:
        retry(stale)
    assert str(refused.value.message) == "这封邮件已重新排队，正在等待发送，无需再次重发。"
    db.session.rollback()
    assert fresh(db, OutboxMessage, message.id).status == "queued"
    assert audit_count(db, "mail.retry") == 1


def test_resending_from_a_stale_outbox_page_after_the_message_went_out_sends_nothing(
        client, auth, db, make_event, make_registration):
    event = make_event(slug="repeat-mail-sent")
    message = failed_confirmation(db, make_registration(event, email="zhang@example.com"))
    auth.login("admin")
    assert "重新发送" in text(client.get("/staff/mail"))  # the page this admin keeps open
    message = fresh(db, OutboxMessage, message.id)
    message.status, message.sent_at = "sent", now_utc()  # a colleague's resend went out
    db.session.commit()
    response = client.post(f"/staff/mail/{message.id}/retry")
    assert response.status_code == 409
    assert flashes(text(response), "info") == ["这封邮件已经发出，无需重发。"]
    assert fresh(db, OutboxMessage, message.id).status == "sent"
    assert audit_count(db, "mail.retry") == 0


# --- invitations: reserving and releasing add or take seats ---------------------------------

def _seen(page):
    """The held counts the invitations page sends back with its seat forms."""
    import re

    found = set(re.findall(r'name="seen" value="([^"]*)"', page))
    assert len(found) == 1, found
    return found.pop()


def test_a_double_click_on_reserve_reserves_the_seats_once(client, auth, db, make_event):
    event = make_event(slug="repeat-invite", slots=[dict(event_data()["slots"][0], capacity=10)])
    auth.login("admin")
    url = f"/staff/events/{event.slug}/invitations"
    data = {"reserve-slot": "am", "reserve-seats": "3", "seen": _seen(text(client.get(url)))}
    assert client.post(f"{url}/reserve", data=data).status_code == 303
    second = client.post(f"{url}/reserve", data=data)
    assert second.status_code == 409
    assert "的预留名额刚刚有了变化" in text(second) and "现在预留 3 个" in text(second)
    assert fresh(db, Slot, event.slots[0].id).reserved == 3
    assert audit_count(db, "invitation.reserve") == 1
    # The refusal shows the counts as they are now: sent again from it, knowingly, it adds.
    data["seen"] = _seen(text(second))
    assert client.post(f"{url}/reserve", data=data).status_code == 303
    assert fresh(db, Slot, event.slots[0].id).reserved == 6


def test_a_double_click_on_release_releases_the_seats_once(client, auth, db, make_event):
    from app.services.invitations import reserve_seats

    event = make_event(slug="repeat-release", slots=[dict(event_data()["slots"][0], capacity=10)])
    reserve_seats(event.slots[0], 4)
    db.session.commit()
    auth.login("admin")
    url = f"/staff/events/{event.slug}/invitations"
    data = {"release-slot": "am", "release-seats": "2", "seen": _seen(text(client.get(url)))}
    assert client.post(f"{url}/release", data=data).status_code == 303
    second = client.post(f"{url}/release", data=data)
    assert second.status_code == 409 and "现在预留 2 个" in text(second)
    assert fresh(db, Slot, event.slots[0].id).reserved == 2
    assert audit_count(db, "invitation.release") == 1


def test_reserving_from_a_stale_tab_after_a_colleague_did_changes_nothing(
        client, auth, db, make_event):
    from app.services.invitations import reserve_seats

    event = make_event(slug="stale-invite", slots=[
        dict(event_data()["slots"][0], capacity=10),
        dict(event_data()["slots"][0], key="pm", label="下午场", capacity=10)])
    auth.login("admin")
    url = f"/staff/events/{event.slug}/invitations"
    seen = _seen(text(client.get(url)))  # this tab shows nothing held
    reserve_seats(event.slot_by_key("am"), 5)  # a colleague holds 5 meanwhile
    db.session.commit()
    refused = client.post(f"{url}/reserve",
                          data={"reserve-slot": "am", "reserve-seats": "5", "seen": seen})
    assert refused.status_code == 409 and "现在预留 5 个" in text(refused)
    assert fresh(db, Slot, event.slot_by_key("am").id).reserved == 5
    # The other slot did not change since the page was opened: its form still works.
    assert client.post(f"{url}/reserve", data={"reserve-slot": "pm", "reserve-seats": "2",
                                               "seen": seen}).status_code == 303
    assert fresh(db, Slot, event.slot_by_key("pm").id).reserved == 2


def test_a_double_click_on_make_link_makes_one_link(client, auth, db, make_event):
    import re

    from app.models import Invitation

    event = make_event(slug="repeat-link")
    auth.login("admin")
    url = f"/staff/events/{event.slug}/invitations"
    page = text(client.get(url))
    key = re.search(r'name="invite-form_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"invite-slot": "am", "invite-label": "人大代表", "invite-max_uses": "2",
            "invite-form_key": key}
    assert client.post(f"{url}/new", data=data, follow_redirects=True).status_code == 200
    second = client.post(f"{url}/new", data=data, follow_redirects=True)
    assert second.status_code == 200
    assert flashes(text(second), "info") == ["这个邀请链接已经生成（表单提交了两次），没有再生成新的链接。"]
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert audit_count(db, "invitation.create") == 1
    # The page offers a new form, with a key of its own: the next link is made.
    new_key = re.search(r'name="invite-form_key" type="hidden" value="([^"]+)"',
                        text(second)).group(1)
    assert new_key != key
    assert client.post(f"{url}/new", data={**data, "invite-form_key": new_key}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 2


def test_two_clicks_that_both_find_no_link_yet_make_one(client, auth, db, make_event, monkeypatch):
    """Both requests look before either has written (PostgreSQL, at the same moment): the
    unique key stops the second."""
    from app.models import Invitation
    from app.services import invitations

    event = make_event(slug="race-link")
    auth.login("admin")
    data = {"invite-slot": "am", "invite-label": "市民代表", "invite-max_uses": "1",
            "invite-form_key": "k" * 24}
    assert client.post(f"/staff/events/{event.slug}/invitations/new", data=data).status_code == 303
    looked = []
    real = invitations._made_by_form

    def found_nothing_at_first(*args):
        looked.append(1)
        return None if len(looked) == 1 else real(*args)

    monkeypatch.setattr(invitations, "_made_by_form", found_nothing_at_first)
    second = client.post(f"/staff/events/{event.slug}/invitations/new", data=data)
    assert second.status_code == 303 and len(looked) == 2
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert audit_count(db, "invitation.create") == 1
