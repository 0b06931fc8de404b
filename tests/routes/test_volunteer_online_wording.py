"""A drive with online shifts does not promise scanning at a door for them: the volunteer
code on the application form and the certificate's note say how online hours are kept."""
from datetime import timedelta

from app.models import CheckIn
from app.services import volunteers
from tests.conftest import now_utc
from tests.routes.test_v6_volunteer_online_shift import online_drive  # noqa: F401 - fixture
from tests.routes.test_volunteers import apply, auth_admin
from tests.services.test_volunteers import shift

ONSITE_RULE = "按时到岗，到岗和离开时各扫码一次"
ONSITE_NOTE = "根据现场签到、签退记录计算"


def test_the_volunteer_code_of_a_drive_with_online_shifts_says_who_records_them(
        client, online_drive):  # noqa: F811
    form = client.get(f"/events/{online_drive.slug}/apply").get_data(as_text=True)
    assert ONSITE_RULE not in form
    assert "线上班次由工作人员记录签到、签退时间" in form


def test_the_volunteer_code_of_an_onsite_drive_is_unchanged(client, make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    drive = make_event(slug="onsite-volunteers", kind="volunteer", max_party_size=1,
                       slots=[shift("d1-am", "1号楼投放点 早班", start)])
    form = client.get(f"/events/{drive.slug}/apply").get_data(as_text=True)
    assert ONSITE_RULE in form and "线上班次" not in form


def test_the_certificate_of_online_service_does_not_claim_on_site_records(
        client, auth, db, online_drive):  # noqa: F811
    [registration] = apply(db, online_drive)
    volunteers.approve(registration, auth_admin(auth, db))
    slot = online_drive.slots[0]
    db.session.add(CheckIn(registration_id=registration.id, event_id=online_drive.id,
                           checked_in_at=slot.starts_at, checked_out_at=slot.ends_at,
                           source="manual"))
    db.session.commit()
    page = client.get(f"/staff/volunteers/{registration.id}/certificate").get_data(as_text=True)
    assert ONSITE_NOTE not in page and "线上班次由组织方记录" in page
