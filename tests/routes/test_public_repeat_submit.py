"""Citizens' and volunteers' actions tapped twice, sent from two tabs, or from a page the back
button brought back (often an old phone inside WeChat, on a slow network).

A double tap sends the same form twice in a row; a stale page sends a form about a ticket
that has changed since (cancelled in another tab or by staff, promoted from the waiting
list, an application decided). Either way the answer is a clear one in Chinese (the ticket,
or a page or message saying what happened), never a 500, and nothing is stored twice: no
second registration, no seat counted twice, no second e-mail, no second audit row.

Where two requests can both read the same state before either writes (PostgreSQL, READ
COMMITTED), the second request is played by giving a fresh copy of the row the state the
first one saw (``set_committed_value``), as tests/routes/test_staff_repeat_submit.py does.

Covered elsewhere, and not repeated here: a registration double-clicked through a real
server (test_registration_concurrency), the same form sent again once the last seat or the
window has gone (test_citizen_resubmission), a volunteer application sent again from this
browser (test_volunteers), erasing twice in a row (test_ticket_erase), an evaluation tapped
twice through a real server (test_evaluation_double_submit), a link past its use limit and
an invitee opening a used-up link again (test_admin_invitations), the resend interval
(test_resend_ticket).
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from app.models import Feedback, Invitation, OutboxMessage, Registration, Slot
from app.services import volunteers
from app.services.errors import Conflict
from tests.conftest import event_data, now_utc
from tests.page_forms import form_as_shown
from tests.routes.test_staff_repeat_submit import audit_count, flashes, fresh, mails, text
from tests.services.test_volunteers import FIELDS, shift


def count(db, model, *where):
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def booked(db, slot_id):
    return fresh(db, Slot, slot_id).booked


def registration_form(client, slug, **typed):
    """The registration form as the page gives it (its submission key), filled in."""
    data = form_as_shown(text(client.get(f"/events/{slug}/register")),
                         f"/events/{slug}/register")
    data.update({"slot": "am", "name": "张三", "phone": "13800138000",
                 "email": "zhang@example.com", "party_size": "1", "consent": "y", **typed})
    data.pop("website", None)
    return data


# --- registering ----------------------------------------------------------------------------

def test_a_double_tap_on_register_gives_one_ticket_one_seat_and_one_mail(client, db,
                                                                          make_event):
    event = make_event(slug="tap-register")
    data = registration_form(client, event.slug, party_size="2")
    first = client.post(f"/events/{event.slug}/register", data=data)
    second = client.post(f"/events/{event.slug}/register", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Registration) == 1
    assert booked(db, event.slots[0].id) == 2
    assert mails(db, "confirmation") == ["zhang@example.com"]


def test_a_double_tap_onto_the_waiting_list_waits_once(client, db, make_event,
                                                       make_registration):
    event = make_event(slug="tap-wait", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    make_registration(event)
    data = registration_form(client, event.slug)
    first = client.post(f"/events/{event.slug}/register", data=data)
    second = client.post(f"/events/{event.slug}/register", data=data, follow_redirects=True)
    assert first.status_code == 303 and second.status_code == 200
    assert "候补" in text(second)
    assert count(db, Registration, Registration.status == "waitlisted") == 1
    assert mails(db, "waitlisted") == ["zhang@example.com"]


def test_registering_from_a_form_opened_before_staff_closed_the_event_stores_nothing(
        client, db, make_event):
    event = make_event(slug="stale-closed")
    data = registration_form(client, event.slug)  # the page opened while registration was open
    event.status = "closed"  # staff close registration early meanwhile
    db.session.commit()
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 409
    assert "报名已截止" in text(response) or "不在报名时间内" in text(response)
    assert count(db, Registration) == 0
    assert mails(db, "confirmation") == []


def test_registering_from_a_form_opened_before_the_slot_filled_is_told_it_is_full(
        client, db, make_event, make_registration):
    event = make_event(slug="stale-full", slots=[dict(event_data()["slots"][0], capacity=1)])
    data = registration_form(client, event.slug)
    make_registration(event, phone="13900000001")  # someone else takes the last seat
    response = client.post(f"/events/{event.slug}/register", data=data)
    assert response.status_code == 409
    assert "约满" in text(response)
    assert count(db, Registration) == 1 and booked(db, event.slots[0].id) == 1
    assert mails(db, "confirmation") == []


# --- cancelling a ticket --------------------------------------------------------------------

@pytest.fixture
def full_day(make_event, make_registration):
    """One seat, held by someone with an e-mail; one person with an e-mail waiting for it."""
    event = make_event(slug="public-repeat", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    holder = make_registration(event, name="持票人", email="holder@example.com")
    waiting = make_registration(event, name="候补人", email="wait@example.com")
    assert (holder.status, waiting.status) == ("confirmed", "waitlisted")
    return event, holder, waiting


def cancel_form(client, registration):
    url = f"/tickets/{registration.token}/cancel"
    return url, form_as_shown(text(client.get(url)), url)


def test_a_double_tap_on_cancel_frees_the_seat_once_and_says_it_is_done(client, db, full_day):
    event, holder, waiting = full_day
    url, data = cancel_form(client, holder)
    first = client.post(url, data=data, follow_redirects=True)
    second = client.post(url, data=data, follow_redirects=True)
    assert flashes(text(first), "success") == ["已取消报名，名额已释放。"]
    assert second.status_code == 200
    assert flashes(text(second), "info") == ["这张票已经取消了，不用再取消。"]
    assert "已取消" in text(second)
    assert booked(db, event.slots[0].id) == 1  # the promoted one's seat, once
    assert fresh(db, Registration, waiting.id).status == "confirmed"
    assert mails(db, "cancelled") == ["holder@example.com"]
    assert mails(db, "promoted") == ["wait@example.com"]


def test_cancelling_from_a_tab_opened_before_staff_cancelled_changes_nothing(
        client, auth, db, full_day):
    event, holder, waiting = full_day
    url, data = cancel_form(client, holder)  # the holder's tab, while the ticket was valid
    auth.login("admin")
    assert client.post(f"/staff/registrations/{holder.id}/cancel",
                       data={"reason": "本人来电取消"}).status_code == 303
    auth.logout()
    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(text(response), "info") == ["这张票已经取消了，不用再取消。"]
    holder = fresh(db, Registration, holder.id)
    assert (holder.status, holder.cancel_reason) == ("cancelled", "本人来电取消")
    assert booked(db, event.slots[0].id) == 1
    # One message, staff's: the holder's cancellation did not run again.
    assert mails(db, "cancelled") == [holder.email]
    assert mails(db, "promoted") == ["wait@example.com"]


def test_leaving_the_waiting_list_from_a_page_opened_before_promotion_keeps_the_seat(
        client, db, full_day):
    """The waiting person opened "取消候补" on the bus; meanwhile the holder cancelled and
    the seat went to them. The old page's button must not give up a seat the person has
    not seen: they are told, and asked again."""
    event, holder, waiting = full_day
    url, data = cancel_form(client, waiting)
    assert client.post(f"/tickets/{holder.token}/cancel").status_code == 303  # promotion
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "您刚刚候补成功，已经有了名额。如仍要取消，请再按一次“确定取消”。" in text(response)
    waiting = fresh(db, Registration, waiting.id)
    assert waiting.status == "confirmed" and booked(db, event.slots[0].id) == 1
    assert mails(db, "cancelled") == ["holder@example.com"]
    # Pressed again from the page that said so, it cancels.
    again = client.post(url, data=form_as_shown(text(response), url), follow_redirects=True)
    assert flashes(text(again), "success") == ["已取消报名，名额已释放。"]
    assert fresh(db, Registration, waiting.id).status == "cancelled"
    assert booked(db, event.slots[0].id) == 0


def test_a_cancel_form_without_the_status_it_showed_still_cancels(client, db, full_day):
    """CONTRACT §4: the cancel POST needs only the CSRF token (scripts, a page from before)."""
    event, holder, _waiting = full_day
    assert client.post(f"/tickets/{holder.token}/cancel").status_code == 303
    assert fresh(db, Registration, holder.id).status == "cancelled"


def test_a_cancellation_that_read_the_waiting_place_before_a_promotion_cancels_nothing(
        client, db, full_day):
    """On PostgreSQL the holder's request reads the ticket as waiting, the promotion then
    commits, and only then does the request write. It must not cancel the seat it never
    saw (it used to claim whatever status it found on a second try)."""
    from app.services.registration import cancel_by_holder

    event, holder, waiting = full_day
    assert client.post(f"/tickets/{holder.token}/cancel").status_code == 303  # promotion
    stale = fresh(db, Registration, waiting.id)
    set_committed_value(stale, "status", "waitlisted")  # as the holder's request read it
    with pytest.raises(Conflict):
        cancel_by_holder(stale, expected="waitlisted")
    db.session.rollback()
    assert fresh(db, Registration, waiting.id).status == "confirmed"
    assert booked(db, event.slots[0].id) == 1


def test_two_cancellations_that_read_the_ticket_as_valid_cancel_and_mail_once(
        client, db, full_day):
    """A double tap on a slow network: both requests read the ticket as confirmed. The
    second cancels nothing, and says so instead of "cancelled, seats freed"."""
    from app.services.registration import cancel_by_holder

    event, holder, waiting = full_day
    assert client.post(f"/tickets/{holder.token}/cancel").status_code == 303
    stale = fresh(db, Registration, holder.id)
    set_committed_value(stale, "status", "confirmed")
    assert cancel_by_holder(stale, expected="confirmed") is None  # it did nothing
    db.session.commit()
    assert booked(db, event.slots[0].id) == 1
    assert mails(db, "cancelled") == ["holder@example.com"]
    assert mails(db, "promoted") == ["wait@example.com"]


# --- volunteers: applying and withdrawing -----------------------------------------------------

@pytest.fixture
def drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="public-repeat-drive", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募",
                      slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=2),
                             shift("d1-pm", "食堂投放点 午班", start + timedelta(hours=4),
                                   capacity=2)])


def application_form(client, drive):
    url = f"/events/{drive.slug}/apply"
    data = form_as_shown(text(client.get(url)), url)
    data.update({"slots": ["d1-am", "d1-pm"], "name": "王芳", "phone": "13800138000",
                 "email": "wangfang@example.com", "age_group": "46-60", "organisation": "岳阳街道",
                 "code": "y",
                 "consent": "y"})
    return url, data


def test_a_double_tap_on_apply_sends_one_application_and_one_mail(client, db, drive):
    url, data = application_form(client, drive)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Registration) == 2  # one per shift
    assert mails(db, "pending") == ["wangfang@example.com"]


def test_applying_from_a_form_opened_before_the_drive_closed_stores_nothing(client, db,
                                                                            drive):
    url, data = application_form(client, drive)
    drive.status = "closed"
    db.session.commit()
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert count(db, Registration) == 0 and mails(db, "pending") == []


def volunteer(db, drive, email="lisi@example.com"):
    [registration] = volunteers.apply(drive, [drive.slots[0]], name="李四",
                                      phone="13900009999", email=email, **FIELDS)
    db.session.commit()
    return registration


def test_withdrawing_from_a_page_opened_before_the_approval_asks_again(client, auth, db,
                                                                       drive):
    registration = volunteer(db, drive)
    url, data = cancel_form(client, registration)  # "撤回申请", while it was pending
    auth.login("admin")
    assert client.post(f"/staff/volunteers/{registration.id}/decision",
                       data={"action": "approve"}).status_code == 303
    auth.logout()
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "您的申请刚刚已通过审核。如仍要退出这个班次，请再按一次“确定取消”。" in text(response)
    assert fresh(db, Registration, registration.id).status == "confirmed"
    assert booked(db, drive.slots[0].id) == 1
    assert mails(db, "cancelled") == []


def test_withdrawing_from_a_page_opened_before_a_refusal_changes_nothing(client, auth, db,
                                                                        drive):
    registration = volunteer(db, drive)
    url, data = cancel_form(client, registration)
    auth.login("admin")
    assert client.post(f"/staff/volunteers/{registration.id}/decision",
                       data={"action": "reject", "reason": "班次时间不合适"}).status_code == 303
    auth.logout()
    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(text(response), "info") == ["这份申请未通过，不需要再退出。"]
    registration = fresh(db, Registration, registration.id)
    assert (registration.status, registration.review_reason) == ("rejected", "班次时间不合适")
    assert mails(db, "cancelled") == []


# --- erasing my data ------------------------------------------------------------------------

def test_two_erasures_that_read_the_ticket_before_either_wrote_audit_once(
        client, db, make_event, make_registration):
    """A double tap on "确定删除" on PostgreSQL: both requests read the data as still there.
    The second erases nothing more and writes no second audit row."""
    from app.services import privacy

    registration = make_registration(make_event(slug="erase-race"), email="a@example.com")
    assert client.post(f"/tickets/{registration.token}/cancel").status_code == 303
    assert client.post(f"/tickets/{registration.token}/erase").status_code == 303
    assert audit_count(db, "registration.erase") == 1
    stale = fresh(db, Registration, registration.id)
    set_committed_value(stale, "anonymised_at", None)  # as the second request read it
    assert privacy.erase_by_holder(stale, now_utc()) is False
    db.session.commit()
    assert audit_count(db, "registration.erase") == 1
    assert fresh(db, Registration, registration.id).name == "（已删除）"


def test_erasing_from_a_page_opened_before_erasing_in_another_tab_says_it_is_done(
        client, db, make_event, make_registration):
    registration = make_registration(make_event(slug="erase-tabs"))
    assert client.post(f"/tickets/{registration.token}/cancel").status_code == 303
    url = f"/tickets/{registration.token}/erase"
    data = form_as_shown(text(client.get(url)), url)  # the other tab
    assert client.post(url, data=data).status_code == 303
    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(text(response), "info") == ["您的个人信息已经删除。"]
    assert audit_count(db, "registration.erase") == 1


# --- finding my ticket (mailing it again) ----------------------------------------------------

def test_a_double_tap_on_mail_my_ticket_again_mails_it_once(client, db, make_event,
                                                            make_registration):
    event = make_event(slug="tap-resend")
    make_registration(event, phone="13812345678", email="z@example.com")
    first = client.post(f"/events/{event.slug}/resend-ticket", data={"phone": "13812345678"})
    second = client.post(f"/events/{event.slug}/resend-ticket", data={"phone": "13812345678"})
    assert first.status_code == second.status_code == 200
    assert text(first) == text(second)  # the same page: it tells nothing either way
    assert count(db, OutboxMessage, OutboxMessage.dedupe_key.startswith("resend:")) == 1


def test_two_taps_on_mail_my_ticket_again_in_different_seconds_mail_it_once(
        make_app, db, make_event, make_registration):
    """On PostgreSQL the second tap (a second later, so under another dedupe key) used to
    look for a recent resend before the first tap's message was committed, and queue a
    second one. It now waits for the first tap; here, where the first tap's transaction is
    held open, its wait runs into a short lock_timeout instead (503, nothing written)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's writers queue one behind the other")
    from app.services.registration import resend_ticket

    event = make_event(slug="resend-race")
    make_registration(event, phone="13812345678", email="z@example.com")
    quick = make_app(SQLALCHEMY_ENGINE_OPTIONS={
        "pool_pre_ping": True, "connect_args": {"options": "-c lock_timeout=200"}})
    # The first tap, a second earlier, not yet committed.
    assert resend_ticket(event, "13812345678", now=now_utc() - timedelta(seconds=1)) is True
    db.session.flush()
    second = quick.test_client().post(f"/events/{event.slug}/resend-ticket",
                                      data={"phone": "13812345678"})
    db.session.commit()  # the first tap's message
    with quick.app_context():
        from app.extensions import db as quick_db
        quick_db.engine.dispose()
    assert second.status_code == 503 and second.headers["Retry-After"].isdigit()
    assert count(db, OutboxMessage, OutboxMessage.dedupe_key.startswith("resend:")) == 1


# --- evaluating -----------------------------------------------------------------------------

@pytest.fixture
def under_way(make_event, make_registration):
    start = now_utc() - timedelta(minutes=30)
    event = make_event(slug="repeat-feedback", slots=[dict(
        event_data()["slots"][0], starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat())])
    return event, make_registration(event)


def test_evaluating_from_a_form_opened_before_staff_cancelled_the_ticket_stores_nothing(
        client, auth, db, under_way):
    event, registration = under_way
    url = f"/tickets/{registration.token}/feedback"
    assert 'name="overall"' in text(client.get(url))
    auth.login("admin")
    assert client.post(f"/staff/registrations/{registration.id}/cancel",
                       data={"reason": "未到场"}).status_code == 303
    auth.logout()
    response = client.post(url, data={"overall": "1", "comment": "很差"})
    assert response.status_code == 403
    assert "这张票目前不能评价（未确认或已取消）。" in text(response)
    assert count(db, Feedback) == 0


def test_a_ticket_evaluation_tapped_twice_is_thanked_and_stored_once(client, db, under_way):
    event, registration = under_way
    url = f"/tickets/{registration.token}/feedback"
    data = {"overall": "1", "comment": "排队太久", "reply_wanted": "y",
            "contact": "13812345678"}
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data)
    assert again.status_code == 409
    assert "这张票已经评价过了" in text(again)
    assert count(db, Feedback) == 1


# --- invitations ----------------------------------------------------------------------------

@pytest.fixture
def invitation(make_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slug="repeat-invitation",
                       slots=[dict(event_data()["slots"][0], capacity=4)])
    reserve_seats(event.slots[0], 2)
    invitation = create_invitation(event, event.slots[0], label="代表", max_uses=2)
    db.session.commit()
    return invitation


def invite_form(client, invitation, **typed):
    url = f"/invite/{invitation.token}"
    data = form_as_shown(text(client.get(url)), url)
    data.update({"name": "钱七", "phone": "13700000001", "email": "qian@example.com",
                 "party_size": "1", "consent": "y", **typed})
    return url, data


def test_a_double_tap_on_an_invitation_registers_and_counts_the_link_once(client, db,
                                                                         invitation):
    url, data = invite_form(client, invitation)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Registration) == 1
    assert fresh(db, Invitation, invitation.id).used == 1
    assert audit_count(db, "invitation.register") == 1
    assert mails(db, "confirmation") == ["qian@example.com"]


def test_an_invitation_form_sent_after_the_link_was_used_up_meanwhile_is_refused(
        client, db, invitation):
    url, data = invite_form(client, invitation)  # this invitee's page, open
    for n, phone in enumerate(("13700000002", "13700000003")):  # two others use the link
        other = client.application.test_client()
        assert other.post(url, data=dict(data, phone=phone, submission_key=f"other-key-{n}-abcdef")
                          ).status_code == 303
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "这个邀请链接已经用完。" in text(response)
    assert count(db, Registration, Registration.phone == "13700000001") == 0
    assert fresh(db, Invitation, invitation.id).used == 2


def test_an_invitation_registration_whose_twin_committed_first_is_audited_once(
        client, db, invitation):
    """A double tap on PostgreSQL: both requests look for the form's ticket before either
    commits, and both register. The second finds the first's ticket (the unique submission
    key) and must not log a second use of the link nor mail the ticket again."""
    from app.services.registration import register_through_invitation

    url, data = invite_form(client, invitation)
    assert client.post(url, data=data).status_code == 303
    invitation = fresh(db, Invitation, invitation.id)
    slot = invitation.slot
    # The second request, which found no ticket for its form when it looked.
    registration, created = register_through_invitation(
        slot.event, slot, invitation, name="钱七", phone="13700000001",
        email="qian@example.com", party_size=1, submission_key=data["submission_key"],
        consent_version="test")
    assert created is False
    db.session.commit()
    assert count(db, Registration) == 1
    assert fresh(db, Invitation, invitation.id).used == 1
    assert audit_count(db, "invitation.register") == 1
    assert mails(db, "confirmation") == ["qian@example.com"]


# --- the language and large-text switches ------------------------------------------------------

def test_the_language_switch_pressed_twice_lands_on_the_same_page_in_english(client, db,
                                                                           make_event):
    event = make_event(slug="tap-lang")
    data = {"lang": "en", "next": f"/events/{event.slug}"}
    first = client.post("/preferences", data=data)
    second = client.post("/preferences", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == f"/events/{event.slug}"
    page = client.get(f"/events/{event.slug}")
    assert re.search(r'<html[^>]*lang="en"', text(page))
