"""Every mail's HTML part as a phone's mail app shows it: 390 px wide, no <style> (QQ Mail,
163 and WeChat's mail view drop it), images blocked. Nothing may run off the right edge
(a ticket link is one long word), and the details' labels (活动, 场次 …) read on one line,
not one character above the other."""
import re

import pytest

from tests.services.test_m7_mail_words import every_mail


@pytest.fixture(autouse=True)
def base_url_put_back(app, monkeypatch):
    """every_mail() writes a real-length BASE_URL into the session's app config: put the
    old one back afterwards, or later tests' links read https://openday…"""
    monkeypatch.setitem(app.config, "BASE_URL", app.config.get("BASE_URL"))



def _as_a_phone_shows_it(phone_page, html):
    """A fresh page in the phone's context (nothing kept from the mail before)."""
    page = phone_page.context.new_page()
    page.route("**/*", lambda route: route.abort())  # images (and anything else) blocked
    page.set_content(re.sub(r"<style.*?</style>", "", html, flags=re.S))
    return page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_mail_runs_off_a_phone_screen(app, db, make_event, make_registration, make_staff,
                                         phone_page, lang):
    rows = every_mail(app, db, make_event, make_registration, make_staff, lang)
    too_wide = {}
    for row in rows:
        page = _as_a_phone_shows_it(phone_page, row.body_html)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.close()
        if width > 390:
            too_wide[f"{row.id} {row.kind}"] = width
    assert not too_wide, too_wide


def test_the_details_labels_read_on_one_line(app, db, make_event, make_registration,
                                             make_staff, phone_page):
    rows = every_mail(app, db, make_event, make_registration, make_staff, "zh")
    checked = 0
    for row in rows:
        page = _as_a_phone_shows_it(phone_page, row.body_html)
        lines = page.evaluate("""() => [...document.querySelectorAll('table tr')].map(tr => {
            const label = tr.cells[0], range = document.createRange();
            range.selectNodeContents(label);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return [label.textContent.trim(), tops.size];
        })""")
        page.close()
        broken = [label for label, count in lines if count > 1]
        assert not broken, (row.kind, broken)
        checked += len(lines)
    assert checked > 50


def test_the_enquiry_number_is_not_split_over_two_lines(app, db, make_event, make_registration,
                                                        make_staff, phone_page):
    """021-\\n57700000 is two numbers to someone who dials what they read."""
    rows = every_mail(app, db, make_event, make_registration, make_staff, "zh")
    contact = app.config["ORGANISATION_CONTACT"]
    for row in rows:
        page = _as_a_phone_shows_it(phone_page, row.body_html)
        lines = page.evaluate("""(contact) => {
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                const at = node.data.indexOf(contact);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + contact.length);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
            }
            return 0;
        }""", contact)
        page.close()
        assert lines == 1, (row.kind, lines)


def test_a_long_unbroken_name_title_or_place_stays_on_the_screen(
        app, db, make_event, make_registration, phone_page):
    """Typed by people: a title with a long English word, a name pasted without spaces."""
    from datetime import timedelta

    from app.services.mail import SUBJECTS, queue_registration_mail
    from app.services.slot_changes import SlotTerms
    from tests.conftest import iso, now_utc

    start = now_utc() + timedelta(days=2)
    event = make_event(title="PublicInstitutionEnergySavingWeekOpenDay2026" * 2,
                       location="SongjiangDistrictAdministrativeCentreBuildingNo1" * 2, slots=[
        {"key": "am", "label": "MorningSessionForCitizenRepresentatives" * 2,
         "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)),
         "capacity": 10, "mode": "onsite"}])
    # 50 characters, the most a name may have (PostgreSQL holds the column to it).
    registration = make_registration(event, name=("Wolfeschlegelsteinhausenbergerdorff" * 2)[:50],
                                     email="long@example.com")
    terms = SlotTerms.of(registration.slot, event)
    too_wide = {}
    for kind in SUBJECTS:
        row = queue_registration_mail(
            registration, kind, previous_status="confirmed", reason="Fully" * 30,
            before=terms, after=terms, changed=["time", "place"])
        page = _as_a_phone_shows_it(phone_page, row.body_html)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.close()
        if width > 390:
            too_wide[kind] = width
    assert not too_wide, too_wide
