"""No staff page or JSON shows a full phone number (only 138****5678) or a citizen's
e-mail address: every GET route of the staff workspace and the check-in API is requested,
as a staff member and as an admin, for events whose people's numbers are known. Only the
admin's export files (which carry full numbers on purpose) and the admin's explicit
"reveal" action (a POST, recorded in the audit log) show them."""
import re

import pytest

from app.services import feedback as feedback_service
from app.services import volunteers
from tests.feedback_factories import answers, check_in, started_slots
from tests.services.test_volunteers import FIELDS
from tests.test_security import _rules, _url_values

PHONE = "13812345678"
PHONE_SPACED = re.compile(r"138[\s-]?1234[\s-]?5678")
EMAIL = "citizen.private@example.com"
VOLUNTEER_PHONE = "13698765432"
VOLUNTEER_EMAIL = "volunteer.private@example.com"
WALK_IN_PHONE = "13755556666"
CONTACT_PHONE = "13544443333"
SECRETS = (PHONE, EMAIL, VOLUNTEER_PHONE, VOLUNTEER_EMAIL, WALK_IN_PHONE, CONTACT_PHONE)
# Admin files that carry full numbers on purpose (CONTRACT: exports are for admins).
EXPORTS = re.compile(r"^admin\.(export_|event_export$)")


@pytest.fixture
def people(db, make_event, make_registration):
    event = make_event(slug="masked-day", slots=started_slots(hours_ago=1))
    registration = make_registration(event, name="张三丰", phone=PHONE, email=EMAIL, party_size=2)
    check_in(registration)
    make_registration(event, name="李四", phone=WALK_IN_PHONE, source="staff")
    feedback_service.submit(event, answers(overall=1, comment="太挤了", wants_reply=True,
                                           contact=CONTACT_PHONE),
                            registration=registration)
    db.session.commit()
    drive = make_event(slug="masked-drive", kind="volunteer", max_party_size=1,
                       slots=started_slots(hours_ago=1))
    applied = volunteers.apply(drive, [drive.slots[0]], name="王芳", phone=VOLUNTEER_PHONE,
                               email=VOLUNTEER_EMAIL, **FIELDS)
    db.session.commit()
    return [
        {"slug": event.slug, "token": registration.token, "registration_id": str(registration.id),
         "id": str(registration.id), "fmt": "csv",
         "person": volunteers.phone_key(PHONE)},
        {"slug": drive.slug, "token": applied[0].token, "registration_id": str(applied[0].id),
         "id": str(applied[0].id), "fmt": "csv",
         "person": volunteers.phone_key(VOLUNTEER_PHONE)},
    ]


def _leaks(text, typed=None, echoes=0):
    """Secrets on the page. A number the staff member typed into a search box comes back in
    the box and in "results for ..." (``echoes`` times, counted on a page searched for a
    number nobody has); only more occurrences than that are a leak."""
    found = [secret for secret in SECRETS
             if text.count(secret) > (echoes if secret == typed else 0)]
    if len(PHONE_SPACED.findall(text)) > (echoes if typed == PHONE else 0):
        found.append("spaced phone")
    return found


NOBODY = "10000000000"  # a number of the same shape that matches no one


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_no_staff_page_or_json_shows_a_full_phone_or_email(app, client, auth, people, role):
    auth.login(role)
    seen = []
    for rule in _rules(app, "GET"):
        if not (rule.rule.startswith("/staff") or rule.rule.startswith("/api/")):
            continue
        if EXPORTS.match(rule.endpoint) or rule.endpoint == "auth.login":
            continue
        for values in people:
            url = _url_values(app, rule, values)
            echoes = client.get(f"{url}?q={NOBODY}").get_data(as_text=True).count(NOBODY)
            for query, typed in (("", None), (f"?q={PHONE}", PHONE), ("?q=5678", None),
                                 (f"?q={VOLUNTEER_PHONE}", VOLUNTEER_PHONE),
                                 (f"?q={EMAIL}", EMAIL), (f"?event={values['slug']}", None)):
                response = client.get(url + query)
                assert response.status_code < 500, f"{url}{query}: {response.status_code}"
                text = response.get_data(as_text=True)
                leaks = _leaks(text, typed, echoes)
                assert not leaks, f"{role} GET {url}{query} shows {leaks}"
                if response.status_code == 200:
                    seen.append(rule.endpoint)
    # The pages that list people were really seen with them on it.
    for endpoint in ("admin.registrations", "admin.registration_detail", "checkin.api_search",
                     "admin.volunteer_queue", "admin.follow_ups", "admin.event_results"):
        assert endpoint in seen, endpoint


def test_masked_numbers_are_what_staff_see(app, client, auth, people):
    auth.login("staff")
    page = client.get("/staff/events/masked-day/registrations").get_data(as_text=True)
    assert "138****5678" in page
    found = client.get(f"/api/events/masked-day/search?q={PHONE}").get_json()["results"]
    assert found and found[0]["phone"] == "138****5678"


def test_admin_exports_and_reveal_do_show_the_full_number(app, client, auth, people, db):
    auth.login("admin")
    export = client.get("/staff/events/masked-day/export/registrations.csv")
    assert export.status_code == 200 and PHONE in export.get_data(as_text=True)
    revealed = client.post(f"/staff/registrations/{people[0]['registration_id']}/reveal")
    assert PHONE in revealed.get_data(as_text=True) or revealed.status_code in (302, 303)
