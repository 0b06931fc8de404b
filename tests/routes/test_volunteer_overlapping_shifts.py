"""One person cannot stand at two posts at once: a volunteer may apply for several shifts
of a drive, but not for two that overlap in time (both would be certified, and the hours
counted twice on the volunteer's record)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Registration
from tests.conftest import now_utc
from tests.routes.test_volunteers import form_data
from tests.services.test_volunteers import shift


@pytest.fixture
def busy_drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="busy-drive", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募", slots=[
                          shift("east", "东门投放点 早班", start),
                          shift("west", "西门投放点 早班", start + timedelta(hours=1)),
                          # Starts as the east shift ends: back to back is fine.
                          shift("canteen", "食堂投放点 午班", start + timedelta(hours=2))])


def test_two_overlapping_shifts_in_one_form_are_refused_with_both_names(client, db, busy_drive):
    response = client.post("/events/busy-drive/apply", data=form_data(slots=["east", "west"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "东门投放点 早班" in page and "西门投放点 早班" in page and "时间重叠" in page
    assert db.session.execute(select(Registration)).first() is None
    # What was typed is still there to send again with one shift.
    assert "王芳" in page and "岳阳街道" in page


def test_back_to_back_shifts_are_accepted(client, db, busy_drive):
    response = client.post("/events/busy-drive/apply", data=form_data(slots=["east", "canteen"]))
    assert response.status_code == 303
    slots = db.session.execute(select(Registration.slot_id)).scalars().all()
    assert len(slots) == 2


def test_a_later_application_overlapping_one_still_standing_is_refused(client, db, busy_drive):
    first = client.post("/events/busy-drive/apply", data=form_data(slots=["east"]))
    assert first.status_code == 303
    later = client.post("/events/busy-drive/apply",
                        data=form_data(slots=["west"], submission_key="k-2"))
    page = later.get_data(as_text=True)
    assert later.status_code == 409
    assert "东门投放点 早班" in page and "时间重叠" in page
    assert [r.slot.key for r in db.session.execute(select(Registration)).scalars()] == ["east"]


def test_after_withdrawing_the_overlapping_shift_the_other_can_be_chosen(client, db, busy_drive):
    from app.services.registration import cancel

    client.post("/events/busy-drive/apply", data=form_data(slots=["east"]))
    [east] = db.session.execute(select(Registration)).scalars().all()
    cancel(east)
    db.session.commit()
    again = client.post("/events/busy-drive/apply",
                        data=form_data(slots=["west"], submission_key="k-3"))
    assert again.status_code == 303


def test_another_person_may_take_the_overlapping_shift(client, db, busy_drive):
    assert client.post("/events/busy-drive/apply", data=form_data(slots=["east"])).status_code == 303
    other = client.post("/events/busy-drive/apply", data=form_data(
        slots=["west"], phone="13900001111", name="李强", submission_key="k-4"))
    assert other.status_code == 303


def test_the_same_form_sent_twice_still_opens_its_application(client, db, busy_drive):
    first = client.post("/events/busy-drive/apply", data=form_data(slots=["east", "canteen"]))
    again = client.post("/events/busy-drive/apply", data=form_data(slots=["east", "canteen"]))
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
