"""A phone number a volunteer typed into the name box is masked on the staff screens of a
drive (queue, record, hours, the messages after a decision), as it is on the registrations
list; the certificate, a document for the volunteer, keeps the name as written."""
import re
import unicodedata

from tests.routes.test_volunteers import (
    apply,
    auth_admin,
    drive,  # noqa: F401 - the fixture
)

IN_NAME = "13987654321"
NAME = f"李四 {IN_NAME[:3]} {IN_NAME[3:7]} {IN_NAME[7:]}"


def phones_in(body):
    digits = re.sub(r"[\s\-+\u3000]", "", unicodedata.normalize("NFKC", body))
    return set(re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", digits))


def test_staff_screens_of_a_drive_mask_a_number_typed_into_a_name(client, auth, db, drive):  # noqa: F811
    [application] = apply(db, drive, name=NAME, phone="13900001111")
    auth_admin(auth, db)
    queue = f"/staff/events/{drive.slug}/volunteers"
    decided = client.post(f"{queue}/review", data={"approve_one": application.id},
                          follow_redirects=True)
    assert decided.status_code == 200
    pages = [decided, client.get(queue), client.get(f"/staff/volunteers/{application.id}"),
             client.get(f"/staff/events/{drive.slug}/volunteers/hours")]
    for page in pages:
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert phones_in(body) == set(), page.request.path
        assert "李四 139****4321" in body, page.request.path
