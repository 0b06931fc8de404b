"""No staff page or JSON shows a full phone number (only 138****5678) or a citizen's
e-mail address: every GET route of the staff workspace and the check-in API is requested,
as a staff member and as an admin, for events whose people's numbers are known. Only the
admin's export files (which carry full numbers on purpose) and the admin's explicit
"reveal" action (a POST, recorded in the audit log) show them."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import AuditLog
from app.services import feedback as feedback_service
from app.services import volunteers
from tests.conftest import event_data, now_utc
from tests.feedback_factories import answers, check_in, started_slots
from tests.services.test_volunteers import FIELDS, shift
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


# Free text typed by staff and citizens: reasons, invitation labels, the application's own
# fields, a gate. People write their numbers into it.
TYPED_PHONE = "13812345678"
TYPED_EMAIL = "zhang.san@example.com"
TYPED = f"联系 {TYPED_PHONE} 或 {TYPED_EMAIL}"


@pytest.fixture
def typed(client, auth, db, make_event, make_registration):
    """Everything typed through the staff screens (as an admin), with a phone and e-mail in it."""
    day = make_event(slug="typed-day", slots=[dict(event_data()["slots"][0], capacity=4)])
    cancelled = make_registration(day, name="赵六", phone="13900001111")
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    drive = make_event(slug="typed-drive", kind="volunteer", max_party_size=1,
                       slots=[shift("am", "早班", start)])
    fields = {**FIELDS, "organisation": f"岳阳街道 {TYPED_PHONE}",
              "experience": f"督导两年，{TYPED}", "availability": f"周末，{TYPED_EMAIL}"}
    [rejected] = volunteers.apply(drive, drive.slots, name="钱七", phone="13900002222", **fields)
    [served] = volunteers.apply(drive, drive.slots, name="孙八", phone="13900003333", **fields)
    db.session.commit()
    auth.login("admin")
    base = "/staff"
    assert client.post(f"{base}/registrations/{cancelled.id}/cancel",
                       data={"reason": f"本人来电取消，{TYPED}"}).status_code == 303
    assert client.post(f"{base}/events/{drive.slug}/volunteers/review",
                       data={"reject_one": rejected.id,
                             f"reason_{rejected.id}": f"不符合条件，{TYPED}"}).status_code == 303
    assert client.post(f"{base}/volunteers/{served.id}/decision",
                       data={"action": "approve"}).status_code == 303
    in_at = (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")  # Beijing time
    assert client.post(f"{base}/volunteers/{served.id}/times",
                       data={"checked_in_at": in_at, "reason": f"补录，{TYPED}"}).status_code == 303
    assert client.post("/api/checkout", json={"event": drive.slug, "code": served.ticket_number,
                                              "gate": f"东门 {TYPED_PHONE}"}).status_code == 200
    assert client.post(f"{base}/events/{day.slug}/invitations/new",
                       data={"invite-slot": "am", "invite-label": f"居民代表 {TYPED}",
                             "invite-max_uses": "1"}).status_code == 303
    auth.logout()
    return {"registration": cancelled.id, "rejected": rejected.id, "served": served.id,
            "drive": drive.slug, "day": day.slug}


def _typed_leaks(text):
    return [secret for secret in (TYPED_PHONE, TYPED_EMAIL) if secret in text]


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_free_text_typed_into_reasons_and_labels_is_shown_masked(client, auth, typed, role):
    auth.login(role)
    pages = [f"/staff/registrations/{typed['registration']}",
             f"/staff/events/{typed['drive']}/volunteers",
             f"/staff/volunteers/{typed['rejected']}",
             f"/staff/volunteers/{typed['served']}",
             f"/staff/events/{typed['drive']}/volunteers/hours",
             "/staff/audit"]
    if role == "admin":
        pages.append(f"/staff/events/{typed['day']}/invitations")
    for url in pages:
        response = client.get(url)
        if response.status_code == 403:  # a page for admins only
            continue
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert not _typed_leaks(text), f"{role} GET {url} shows {_typed_leaks(text)}"
    registration = client.get(pages[0]).get_data(as_text=True)
    assert "本人来电取消，联系 138****5678 或 z***@example.com" in registration
    record = client.get(f"/staff/volunteers/{typed['served']}").get_data(as_text=True)
    assert "补录，联系 138****5678 或 z***@example.com" in record  # the correction's reason
    assert "东门 138****5678" in record and "岳阳街道 138****5678" in record
    queue = client.get(pages[1]).get_data(as_text=True)
    assert "不符合条件，联系 138****5678 或 z***@example.com" in queue


def test_free_text_is_masked_before_it_goes_into_the_audit_log(db, typed):
    rows = db.session.execute(select(AuditLog)).scalars().all()
    stored = {row.action: json.dumps(row.detail, ensure_ascii=False) for row in rows}
    for action in ("registration.cancel", "volunteer.reject", "volunteer.correct_times",
                   "volunteer.checkout", "invitation.create"):
        assert action in stored, action
        assert not _typed_leaks(stored[action]), f"{action}: {stored[action]}"
        assert "138****5678" in stored[action], action
    assert "z***@example.com" in stored["registration.cancel"]
