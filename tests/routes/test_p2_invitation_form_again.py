"""The invitation form brought back with the back button and filled in for the next
invitee made no link: its key had made the previous one, so the page answered 这个邀请链接
已经生成（表单提交了两次）and the second invitee had none. The same form sent twice (a double
click) still makes one link."""
from sqlalchemy import select

from app.models import Invitation


def test_the_form_again_for_another_invitee_makes_their_link(client, auth, make_event, db):
    make_event(slug="invite-day")
    auth.login("admin")
    form = {"invite-slot": "am", "invite-label": "人大代表组", "invite-max_uses": "3",
            "invite-form_key": "k" * 24}
    assert client.post("/staff/events/invite-day/invitations/new", data=form).status_code == 303
    # A double click: the same form, the same link.
    twice = client.post("/staff/events/invite-day/invitations/new", data=form)
    assert "已经生成" in client.get(twice.headers["Location"]).get_data(as_text=True)
    # The back button, then the next invitee typed into the same form.
    client.post("/staff/events/invite-day/invitations/new",
                data={**form, "invite-label": "王秀英", "invite-max_uses": "1"})
    page = client.get("/staff/events/invite-day/invitations").get_data(as_text=True)
    assert "已经生成" not in page
    labels = db.session.execute(select(Invitation.label).order_by(Invitation.id)).scalars().all()
    assert labels == ["人大代表组", "王秀英"]
