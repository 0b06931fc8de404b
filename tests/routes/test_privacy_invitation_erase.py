"""An invitee who cancels and erases their data: the invitation's own audit row (the link
was used) keeps no ticket number and no address of theirs, and their own actions' rows
keep no address either. Another invitee's row through the same link is left alone."""
from sqlalchemy import select

from app.models import AuditLog, Registration
from tests.conftest import event_data


def _register(client, token, name, phone, key):
    response = client.post(f"/invite/{token}", data={
        "name": name, "phone": phone, "party_size": "1", "consent": "y", "submission_key": key},
        environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_erasing_an_invitees_data_clears_the_invitation_rows_that_name_them(
        app, client, db, make_event):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slug="invite-day", slots=[dict(event_data()["slots"][0], capacity=4)])
    reserve_seats(event.slots[0], 2)
    invitation = create_invitation(event, event.slots[0], label="市民代表", max_uses=2)
    db.session.commit()
    mine = _register(client, invitation.token, "代表甲", "13700000001", "k1")
    other = _register(client, invitation.token, "代表乙", "13700000002", "k2")
    numbers = dict(db.session.execute(select(Registration.token, Registration.ticket_number)).all())
    assert client.post(f"/tickets/{mine}/cancel",
                       environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 303
    # A row of something the holder did themselves (no staff actor), with their address.
    from app.services import audit

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        registration = db.session.execute(select(Registration).where(
            Registration.token == mine)).scalar_one()
        audit.record("registration.resend", registration, event=event, actor=None, detail={})
        db.session.commit()
    assert client.post(f"/tickets/{mine}/erase").status_code == 303

    rows = db.session.execute(select(AuditLog).where(
        AuditLog.action == "invitation.register").order_by(AuditLog.id)).scalars().all()
    assert len(rows) == 2  # the link was used twice: that stays
    assert rows[0].detail == {"erased": True} and rows[0].ip is None
    assert rows[1].detail["ticket_number"] == numbers[other] and rows[1].ip == "203.0.113.7"
    registration_id = db.session.execute(select(Registration.id).where(
        Registration.token == mine)).scalar_one()
    own = db.session.execute(select(AuditLog).where(
        AuditLog.target_type == "registration", AuditLog.target_id == str(registration_id),
        AuditLog.actor_id.is_(None), AuditLog.action != "registration.erase")).scalars().all()
    assert own and all(row.ip is None for row in own)
    dump = " ".join(f"{r.detail} {r.ip}" for r in db.session.execute(select(AuditLog)).scalars()
                    if r is not rows[1])
    assert numbers[mine] not in dump
