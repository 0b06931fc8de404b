"""A `staff` (not admin) user never sees a full phone number on the registrations list or a
registration's page: not in the text, an attribute, a tel: link or JSON, and the CSV
export is not theirs. A citizen who typed their number into the name box ("李四
13987654321") had it shown in full in the 姓名 column and on the detail page."""
import re
import unicodedata

import pytest

PHONE, IN_NAME, EMAIL_PHONE = "13912345678", "13987654321", "13755556666"
ORGANISATION_TEL = "02157700000"  # the enquiry line in every page's footer: not a citizen's


def _all_phones_in(body):
    """Every 11-digit run of the page, however it was typed or written (spaces, dashes,
    full-width digits) and wherever it sits (text, attributes, script)."""
    digits = re.sub(r"[\s\-+\u3000]", "", unicodedata.normalize("NFKC", body))
    return set(re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", digits))


@pytest.fixture
def people(db, make_event, make_registration):
    event = make_event(slug="phones")
    registered = [
        make_registration(event, name="张三", phone=PHONE, email=f"{EMAIL_PHONE}@qq.com"),
        make_registration(event, name=f"李四 {IN_NAME[:3]} {IN_NAME[3:7]} {IN_NAME[7:]}",
                          phone="13900001111"),
        make_registration(event, name="王五１３６００００２２２２", phone="13600003333"),
    ]
    db.session.commit()
    return event, registered


def test_staff_screens_show_no_full_phone(client, auth, people):
    event, registered = people
    auth.login("staff")
    pages = [f"/staff/events/{event.slug}/registrations",
             f"/staff/events/{event.slug}/registrations?q=李四",
             f"/staff/events/{event.slug}/registrations?q=5678",
             f"/staff/events/{event.slug}/registrations?q={registered[0].ticket_number}",
             *(f"/staff/registrations/{r.id}" for r in registered),
             f"/staff/events/{event.slug}/dashboard.json"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert _all_phones_in(body) == set(), url
        assert re.findall(r'href="tel:([^"]*)"', body) in ([], [ORGANISATION_TEL]), url
    listing = client.get(f"/staff/events/{event.slug}/registrations").get_data(as_text=True)
    assert "李四 139****4321" in listing and "139****5678" in listing
    for fmt in ("csv", "xlsx"):
        export = client.get(f"/staff/events/{event.slug}/export/registrations.{fmt}")
        assert export.status_code == 403


def test_an_admin_sees_the_name_masked_too_until_revealing(client, auth, people):
    """The number typed into the name is masked for an admin as well (the audited reveal is
    for the phone field); the name's words stay."""
    event, registered = people
    auth.login("admin")
    detail = client.get(f"/staff/registrations/{registered[1].id}").get_data(as_text=True)
    assert _all_phones_in(detail) == set()
    assert "李四 139****4321" in detail
