"""What the ticket page says under the QR code, and about the page's link, in each state.
Before: a visitor already inside still read 入场时请出示此二维码; a volunteer, who shows it
to check in and to check out, read the same; an application not yet decided was called an
e-ticket (本页链接就是您的电子票)."""
from datetime import timedelta

from app.services.checkin import check_in
from tests.conftest import now_utc
from tests.services.test_volunteers import shift


def caption(client, registration):
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    return page.split("<figcaption>", 1)[1].split("<br>", 1)[0].strip(), page


def test_an_open_day_ticket_says_it_admitted_its_holder_once_they_are_in(client, db, make_event,
                                                                          make_registration):
    visitor = make_registration(make_event())
    assert caption(client, visitor)[0] == "入场时请出示此二维码"
    check_in(visitor, gate="东门")
    db.session.commit()
    assert caption(client, visitor)[0] == "已签到入场"


def test_a_volunteer_shows_the_code_to_check_in_and_out(client, db, make_event, make_staff):
    from app.services import volunteers

    drive = make_event(slug="drive", kind="volunteer", max_party_size=1,
                       slots=[shift("am", "1号楼投放点 早班", now_utc() + timedelta(days=1))])
    [application] = volunteers.apply(drive, drive.slots, name="王芳", phone="13700000001",
                                     age_group="46-60", organisation="岳阳街道",
                                     code_agreed=True, consent_version="test")
    db.session.commit()
    page = client.get(f"/tickets/{application.token}").get_data(as_text=True)
    assert "<figcaption>" not in page  # no code before approval
    assert "本页链接就是您的电子票" not in page
    assert "请收藏本页，随时查看审核结果；通过后本页就是您的电子票。" in page
    volunteers.approve(application, make_staff("lead", "admin"))
    db.session.commit()
    assert caption(client, application)[0] == "签到、签退时请出示此二维码"
    check_in(application, gate="东门")
    db.session.commit()
    assert caption(client, application)[0] == "签退时请出示此二维码"
