"""An invitee whose phone is already registered for the event: their own browser is
taken to their ticket; anyone else's is given a way to it that shows it to nobody (the
ticket mailed again to the e-mail given when registering), and the form to correct a
mistyped number, instead of a bare error."""
import pytest
from sqlalchemy import select

from app.models import Invitation, OutboxMessage, Registration
from tests.conftest import event_data


@pytest.fixture
def invitation(make_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slug="invite-day", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=6)])
    reserve_seats(event.slots[0], 3)
    invitation = create_invitation(event, event.slots[0], label="市民代表组", max_uses=3)
    db.session.commit()
    return invitation


def invitee_form(phone="13700000001", key="k" * 22, name="代表甲"):
    return {"name": name, "phone": phone, "party_size": "1", "consent": "y",
            "submission_key": key}


def test_someone_elses_registration_is_not_shown_but_can_be_mailed_to_its_holder(
        client, invitation, make_registration, db):
    held = make_registration(invitation.slot.event, phone="13700000001", name="王秀英",
                             email="wang@example.com")
    held_token = held.token
    db.session.commit()
    response = client.post(f"/invite/{invitation.token}", data=invitee_form())
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert held_token not in page and "王秀英" not in page
    assert "已经报名了本次活动" in page
    # The way to the ticket: mailed again to the address given then; the phone stays
    # in a form for correcting a slip of the finger.
    assert "把电子票再发到我的邮箱" in page
    assert 'name="phone"' in page and 'value="13700000001"' in page
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).used == 0
    resend = client.post("/events/invite-day/resend-ticket", data={"phone": "13700000001"})
    assert resend.status_code == 200
    mailed = db.session.execute(select(OutboxMessage)
                                .where(OutboxMessage.dedupe_key.startswith("resend:"))).scalars().all()
    assert [m.recipient for m in mailed] == ["wang@example.com"]


def test_the_invitees_own_browser_is_taken_to_their_ticket(client, invitation, db):
    """Registered through the public form a while ago in this browser, then invited."""
    event = invitation.slot.event
    first = client.post(f"/events/{event.slug}/register", data={
        "slot": "am", "name": "代表甲", "phone": "13700000001", "party_size": "1",
        "consent": "y", "submission_key": "p" * 22})
    assert first.status_code in (302, 303)
    response = client.post(f"/invite/{invitation.token}", data=invitee_form(key="q" * 22))
    assert response.status_code == 303
    assert response.headers["Location"] == first.headers["Location"]
    assert "不用再报一次" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(db.session.execute(select(Registration)).scalars().all()) == 1


def test_an_invitee_on_the_waiting_list_is_told_how_to_take_the_invitation_instead(
        client, invitation, make_registration, db):
    """Not "registered": they hold a waiting place, which the invitation's seat would beat."""
    event = invitation.slot.event
    make_registration(event, phone="13900000009", party_size=3)  # the public seats are gone
    db.session.commit()
    first = client.post(f"/events/{event.slug}/register", data={
        "slot": "am", "name": "代表甲", "phone": "13700000001", "party_size": "1",
        "consent": "y", "submission_key": "p" * 22})
    assert first.status_code in (302, 303)
    assert db.session.execute(select(Registration.status).where(
        Registration.phone == "13700000001")).scalar_one() == "waitlisted"
    response = client.post(f"/invite/{invitation.token}", data=invitee_form(key="q" * 22))
    assert response.headers["Location"] == first.headers["Location"]
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "候补名单上" in ticket and "不用再报一次" not in ticket


def test_a_used_up_link_opened_elsewhere_offers_to_find_the_ticket(client, app, invitation, db):
    """The invitee opening their used-up link on another phone (or in WeChat after the
    system browser) met only 这个邀请链接已经用完 and 返回首页."""
    used = client.post(f"/invite/{invitation.token}", data=invitee_form())
    assert used.status_code == 303
    from app.services.invitations import find_by_token

    link = find_by_token(invitation.token)
    link.max_uses = 1
    db.session.commit()
    elsewhere = app.test_client()
    page = elsewhere.get(f"/invite/{invitation.token}")
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "已经用完" in text and "/events/invite-day/resend-ticket" in text
    assert "代表甲" not in text and "/tickets/" not in text  # nobody's ticket shown
    # A form sent to the used-up link is still refused as before.
    assert elsewhere.post(f"/invite/{invitation.token}",
                          data=invitee_form(phone="13700000002", key="z" * 22)).status_code == 409
