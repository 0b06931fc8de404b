"""Invitations: reserved seats are never sold to the public; invitees get them through
their link even when the public seats are gone, and public seats once the reserve runs
short; a link past its use limit is refused."""
import pytest
from sqlalchemy import select, update

from app.models import AuditLog, Invitation, Registration, Slot
from app.services.errors import Conflict, SlotFull
from tests.conftest import event_data


@pytest.fixture
def small_event(make_event):
    return make_event(slug="invite-day", slots=[dict(event_data()["slots"][0], capacity=4)])


def slot_counts(db, slot_id):
    db.session.expire_all()
    slot = db.session.get(Slot, slot_id)
    return slot.booked, slot.reserved


def actions(db):
    return db.session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()


def test_admin_reserves_seats_and_issues_a_link(client, auth, small_event, db):
    auth.login("admin")
    assert client.get("/staff/events/invite-day/invitations").status_code == 200
    response = client.post("/staff/events/invite-day/invitations/reserve",
                           data={"reserve-slot": "am", "reserve-seats": "2"})
    assert response.status_code == 303
    assert slot_counts(db, small_event.slots[0].id) == (0, 2)
    response = client.post("/staff/events/invite-day/invitations/new",
                           data={"invite-slot": "am", "invite-label": "人大代表组",
                                 "invite-max_uses": "2"})
    assert response.status_code == 303
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.max_uses == 2 and len(invitation.token) >= 22
    page = client.get("/staff/events/invite-day/invitations").get_data(as_text=True)
    assert f"/invite/{invitation.token}" in page and "人大代表组" in page
    assert {"invitation.reserve", "invitation.create"} <= set(actions(db))


def test_reserving_more_than_the_free_seats_is_refused(client, auth, small_event,
                                                       make_registration, db):
    make_registration(small_event, party_size=3)
    auth.login("admin")
    response = client.post("/staff/events/invite-day/invitations/reserve",
                           data={"reserve-slot": "am", "reserve-seats": "2"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "无法预留" in page and "场次 场次" not in page
    # The invitations page again, the reason beside the field, not a dead end.
    assert 'name="reserve-seats"' in page and 'class="error"' in page
    assert slot_counts(db, small_event.slots[0].id) == (3, 0)
    response = client.post("/staff/events/invite-day/invitations/release",
                           data={"release-slot": "am", "release-seats": "5"})
    assert response.status_code == 409 and 'name="release-seats"' in response.get_data(as_text=True)


def test_reserved_seats_are_never_sold_to_the_public(small_event, make_registration, db):
    from app.services.invitations import reserve_seats

    reserve_seats(small_event.slots[0], 2)
    db.session.commit()
    make_registration(small_event, party_size=2)
    with pytest.raises(SlotFull):
        make_registration(small_event, party_size=1)
    db.session.rollback()
    assert slot_counts(db, small_event.slots[0].id) == (2, 2)


def test_invitee_registers_into_reserved_seats_when_public_seats_are_gone(
        client, small_event, make_registration, db):
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 2)
    invitation = create_invitation(small_event, small_event.slots[0], label="市民代表",
                                   max_uses=2)
    db.session.commit()
    make_registration(small_event, party_size=2)  # the public seats are now gone
    page = client.get(f"/invite/{invitation.token}")
    assert page.status_code == 200 and "市民代表" in page.get_data(as_text=True)
    response = client.post(f"/invite/{invitation.token}", data={
        "name": "代表甲", "phone": "13700000001", "party_size": "1", "consent": "y",
        "submission_key": "k1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    registration = db.session.execute(
        select(Registration).where(Registration.name == "代表甲")).scalar_one()
    assert response.headers["Location"].endswith(f"/tickets/{registration.token}")
    assert registration.status == "confirmed" and registration.source == "invitation"
    assert registration.invitation_id == invitation.id
    assert slot_counts(db, small_event.slots[0].id) == (3, 1)
    # The same form sent again (double click) gives the same ticket, not a second one.
    again = client.post(f"/invite/{invitation.token}", data={
        "name": "代表甲", "phone": "13700000001", "party_size": "1", "consent": "y",
        "submission_key": "k1"})
    assert again.headers["Location"] == response.headers["Location"]
    assert slot_counts(db, small_event.slots[0].id) == (3, 1)
    assert "invitation.register" in actions(db)


def test_link_past_its_use_limit_is_refused(client, small_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 3)
    invitation = create_invitation(small_event, small_event.slots[0], label="一人", max_uses=1)
    db.session.commit()
    first = client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "13700000001", "party_size": "1", "consent": "y"})
    assert first.status_code == 303
    second = client.post(f"/invite/{invitation.token}", data={
        "name": "乙", "phone": "13700000002", "party_size": "1", "consent": "y"})
    assert second.status_code == 409
    assert "用完" in second.get_data(as_text=True)
    # (This browser, opening the link again, is shown 甲's ticket: see the test below.)
    assert client.application.test_client().get(f"/invite/{invitation.token}").status_code == 409
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).used == 1
    assert slot_counts(db, small_event.slots[0].id) == (1, 2)


def test_an_invitee_beyond_the_reserve_takes_public_seats_while_the_slot_has_room(
        client, small_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    slot_id = small_event.slots[0].id  # 4 seats
    reserve_seats(small_event.slots[0], 1)
    invitation = create_invitation(small_event, small_event.slots[0], label="团体", max_uses=5)
    db.session.commit()
    response = client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "13700000001", "party_size": "2", "consent": "y"})
    assert response.status_code == 303  # the reserved seat, then one of the public's
    assert slot_counts(db, slot_id) == (2, 0)
    # The public takes the last two seats; the next invitee finds the slot full.
    db.session.execute(update(Slot).where(Slot.id == slot_id).values(booked=4))
    db.session.commit()
    full = client.post(f"/invite/{invitation.token}", data={
        "name": "乙", "phone": "13700000002", "party_size": "1", "consent": "y"})
    assert full.status_code == 409
    assert "名额（含为受邀代表预留的）已经用完" in full.get_data(as_text=True)
    # The link's page says so before anyone types anything, and shows no form.
    page = client.get(f"/invite/{invitation.token}").get_data(as_text=True)
    assert "名额（含为受邀代表预留的）已经用完" in page and 'name="phone"' not in page
    assert "此链接还可报名" not in page
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).used == 1
    assert slot_counts(db, slot_id) == (4, 0)


def test_an_invitee_uses_the_reserve_before_the_public_seats(client, small_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 3)
    invitation = create_invitation(small_event, small_event.slots[0], label="团体", max_uses=5)
    db.session.commit()
    response = client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "13700000001", "party_size": "2", "consent": "y"})
    assert response.status_code == 303
    assert slot_counts(db, small_event.slots[0].id) == (2, 1)  # one public seat still free


def test_a_draft_events_link_waits_for_publication(client, auth, make_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    draft = make_event(slug="draft-day", status="draft")
    reserve_seats(draft.slots[0], 2)
    invitation = create_invitation(draft, draft.slots[0], label="代表", max_uses=2)
    db.session.commit()
    page = client.get(f"/invite/{invitation.token}")
    assert page.status_code == 409 and "还没有发布" in page.get_data(as_text=True)
    posted = client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "13700000001", "party_size": "1", "consent": "y"})
    assert posted.status_code == 409
    assert db.session.execute(select(Registration)).first() is None
    auth.login("admin")
    admin_page = client.get("/staff/events/draft-day/invitations").get_data(as_text=True)
    assert 'id="draft-invitations"' in admin_page
    # Once published, the same link takes the invitee.
    draft.status = "published"
    db.session.commit()
    assert client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "13700000001", "party_size": "1",
        "consent": "y"}).status_code == 303


def test_unknown_and_revoked_links(client, auth, small_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    assert client.get("/invite/not-a-real-token").status_code == 404
    reserve_seats(small_event.slots[0], 1)
    invitation = create_invitation(small_event, small_event.slots[0], label="甲", max_uses=1)
    db.session.commit()
    auth.login("admin")
    response = client.post(
        f"/staff/events/invite-day/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    # A second click (another tab) changes nothing and records nothing more.
    assert client.post(f"/staff/events/invite-day/invitations/{invitation.id}/revoke").status_code == 303
    auth.logout()
    assert client.get(f"/invite/{invitation.token}").status_code == 409
    assert actions(db).count("invitation.revoke") == 1


def test_invite_form_needs_consent_and_a_valid_phone(client, small_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 1)
    invitation = create_invitation(small_event, small_event.slots[0], label="甲", max_uses=1)
    db.session.commit()
    no_consent = client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "13700000001", "party_size": "1"})
    assert no_consent.status_code == 400 and "同意" in no_consent.get_data(as_text=True)
    bad_phone = client.post(f"/invite/{invitation.token}", data={
        "name": "甲", "phone": "123", "party_size": "1", "consent": "y"})
    assert bad_phone.status_code == 400 and "11 位" in bad_phone.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).used == 0


def test_invite_form_checks_names_and_phones_like_the_public_form(client, small_event, db):
    """A name with hidden characters (a bidi override, a zero-width space, a line break) is
    refused as on the public form; a phone typed with +86 and spaces is taken."""
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 1)
    invitation = create_invitation(small_event, small_event.slots[0], label="甲", max_uses=1)
    db.session.commit()
    hidden = client.post(f"/invite/{invitation.token}", data={
        "name": "\u202e王\u200b五\n", "phone": "13700000001", "party_size": "1", "consent": "y"})
    assert hidden.status_code == 400
    assert "姓名里有无法显示的字符" in hidden.get_data(as_text=True)
    too_long = client.post(f"/invite/{invitation.token}", data={
        "name": "王" * 20000, "phone": "1" * 41, "party_size": "1", "consent": "y"})
    page = too_long.get_data(as_text=True)
    assert too_long.status_code == 400
    assert "姓名最多 50 个字" in page and "11 位中国大陆手机号码" in page
    response = client.post(f"/invite/{invitation.token}", data={
        "name": "  王五 ", "phone": "+86 137 0000 0001", "party_size": "1", "consent": "y"})
    assert response.status_code == 303
    registration = db.session.execute(select(Registration)).scalar_one()
    assert (registration.name, registration.phone) == ("王五", "13700000001")


def test_the_invitee_opening_a_used_up_link_again_is_shown_their_ticket(client, app, small_event, db):
    """The back button, or the link in the chat tapped again to find the ticket: this
    browser's ticket, not "this link is used up"; another browser still gets the refusal."""
    from app.services.invitations import create_invitation, reserve_seats

    reserve_seats(small_event.slots[0], 1)
    invitation = create_invitation(small_event, small_event.slots[0], label="甲", max_uses=1)
    db.session.commit()
    response = client.post(f"/invite/{invitation.token}", data={
        "name": "王五", "phone": "13700000001", "party_size": "1", "consent": "y",
        "submission_key": "k" * 22})
    assert response.status_code == 303
    again = client.get(f"/invite/{invitation.token}")
    assert again.status_code == 303 and again.headers["Location"] == response.headers["Location"]
    assert "不用再报一次" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert app.test_client().get(f"/invite/{invitation.token}").status_code == 409


def test_release_gives_unused_reserved_seats_back(client, auth, small_event, make_registration,
                                                  db):
    from app.services.invitations import reserve_seats

    reserve_seats(small_event.slots[0], 3)
    db.session.commit()
    make_registration(small_event, party_size=1)
    auth.login("admin")
    too_many = client.post("/staff/events/invite-day/invitations/release",
                           data={"release-slot": "am", "release-seats": "4"})
    assert too_many.status_code == 409
    response = client.post("/staff/events/invite-day/invitations/release",
                           data={"release-slot": "am", "release-seats": "2"})
    assert response.status_code == 303
    assert slot_counts(db, small_event.slots[0].id) == (1, 1)
    make_registration(small_event, party_size=2)  # the public may take them now
    assert slot_counts(db, small_event.slots[0].id) == (3, 1)
    assert "invitation.release" in actions(db)


def test_reserve_service_keeps_booked_plus_reserved_within_capacity(small_event, db):
    from app.services.invitations import release_seats, reserve_seats

    slot = small_event.slots[0]
    reserve_seats(slot, 4)
    with pytest.raises(Conflict):
        reserve_seats(slot, 1)
    assert release_seats(slot).seats == 4
    assert slot.reserved == 0


def test_staff_cannot_manage_invitations(client, auth, small_event):
    auth.login("staff")
    assert client.get("/staff/events/invite-day/invitations").status_code == 403
    assert client.post("/staff/events/invite-day/invitations/reserve",
                       data={"reserve-slot": "am", "reserve-seats": "1"}).status_code == 403


def test_reserving_and_public_registrations_at_once_never_oversell(app, make_event, db):
    """Threads registering the public and threads reserving seats race for 10 seats: the
    conditional UPDATEs keep booked + reserved within the capacity, and nobody gets a 500."""
    import threading

    from app.services.errors import DomainError
    from app.services.invitations import reserve_seats
    from app.services.registration import register

    event = make_event(slug="race", slots=[dict(event_data()["slots"][0], capacity=10)])
    event_id, slot_id = event.id, event.slots[0].id
    db.session.rollback()  # reading the ids opened a (SQLite: write-locking) transaction
    outcomes = []
    lock = threading.Lock()

    # Each thread acts like a POST request: on SQLite its transaction begins IMMEDIATE.
    def public(i):
        with app.test_request_context(method="POST"):
            from app.models import Event

            try:
                ev = db.session.get(Event, event_id)
                register(ev, db.session.get(Slot, slot_id), name=f"市民{i}",
                         phone=f"1360000{i:04d}", party_size=1)
                db.session.commit()
                result = "registered"
            except DomainError:
                db.session.rollback()
                result = "refused"
            except Exception as error:  # noqa: BLE001 - recorded, asserted below
                db.session.rollback()
                result = f"error: {error!r}"
            with lock:
                outcomes.append(result)

    def reserve():
        with app.test_request_context(method="POST"):
            try:
                reserve_seats(db.session.get(Slot, slot_id), 2)
                db.session.commit()
                result = "reserved"
            except DomainError:
                db.session.rollback()
                result = "refused"
            except Exception as error:  # noqa: BLE001
                db.session.rollback()
                result = f"error: {error!r}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=public, args=(i,)) for i in range(10)]
    threads += [threading.Thread(target=reserve) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    booked, reserved = slot_counts(db, slot_id)
    registered = outcomes.count("registered")
    assert booked == registered and reserved == 2 * outcomes.count("reserved")
    assert booked + reserved <= 10
    assert booked + reserved >= 9  # the seats were not lost either


def test_an_invitation_label_with_hidden_characters_is_refused(client, auth, small_event, db):
    auth.login("admin")
    response = client.post("/staff/events/invite-day/invitations/new",
                           data={"invite-slot": "am", "invite-label": "\u202e组表代大人",
                                 "invite-max_uses": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="error" id="invite-label-error" role="alert">' in page
    assert "无法显示的字符" in page
    assert db.session.execute(select(Invitation)).first() is None
    ok = client.post("/staff/events/invite-day/invitations/new",
                     data={"invite-slot": "am", "invite-label": "人大代表组 🎗\ufe0f",
                           "invite-max_uses": "1"})
    assert ok.status_code == 303


def test_the_service_refuses_a_hidden_character_in_an_invitation_label(small_event, db):
    from app.services.errors import InvalidData
    from app.services.invitations import create_invitation

    with pytest.raises(InvalidData) as refused:
        create_invitation(small_event, small_event.slots[0], label="代表\u200b")
    assert refused.value.field == "label"


def test_releasing_reserved_seats_moves_the_waiting_list_up_before_the_public(
        client, auth, make_event, make_registration, db):
    from app.services.invitations import reserve_seats
    from app.services.registration import register

    event = make_event(slug="held-back", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=3)])
    reserve_seats(event.slots[0], 2)
    db.session.commit()
    make_registration(event)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event)  # no e-mail: to be phoned
    assert {first.status, second.status} == {"waitlisted"}
    auth.login("admin")
    response = client.post("/staff/events/held-back/invitations/release",
                           data={"release-slot": "am", "release-seats": "2"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已将 2 个预留名额释放给公众" in page
    assert "候补名单中有 2 条报名递补成功：已向 1 位发送邮件，1 位未留邮箱，需电话通知" in page
    db.session.expire_all()
    assert [db.session.get(Registration, r.id).status for r in (first, second)] == \
        ["confirmed", "confirmed"]
    assert slot_counts(db, event.slots[0].id) == (3, 0)
    row = db.session.execute(
        select(AuditLog).where(AuditLog.action == "invitation.release")).scalar_one()
    assert row.detail["promoted"] == [first.ticket_number, second.ticket_number]
    slot = db.session.get(Slot, event.slots[0].id)
    assert register(slot.event, slot, name="后来", phone="13900009999").status == "waitlisted"
