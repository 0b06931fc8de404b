"""Bad input never answers 500: generated names, phones, emails, party sizes, tokens and
JSON bodies thrown at every public form and the check-in API.

The routes are discovered from ``app.url_map``, so forms added later are covered too.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NASTY_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "😀" * 30,
                     "１３９００００２２２２", "+86 139 0000 1111", "=HYPERLINK(\"x\")", "",
                     " ", "a" * 20000, "\u202e", "%s%n", "{{7*7}}", "../../etc/passwd"]),
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "slot": NASTY_TEXT, "name": NASTY_TEXT, "phone": NASTY_TEXT, "email": NASTY_TEXT,
        "party_size": st.one_of(NASTY_TEXT, st.integers(-10**12, 10**12).map(str)),
        "consent": st.sampled_from(["y", "n", "", "on", "😀"]),
        "overall": st.one_of(NASTY_TEXT, st.integers(-5, 10).map(str)),
        "comment": NASTY_TEXT, "suggestions": NASTY_TEXT, "contact": NASTY_TEXT,
        "submission_key": NASTY_TEXT, "website": NASTY_TEXT, "reason": NASTY_TEXT,
        "slots": NASTY_TEXT, "age_group": NASTY_TEXT, "code": NASTY_TEXT,
    },
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              NASTY_TEXT),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(NASTY_TEXT, children, max_size=4)),
    max_leaves=10,
)
CHECKIN_BODIES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({}, optional={"event": JSON_VALUES, "code": JSON_VALUES,
                                        "gate": JSON_VALUES, "nonce": JSON_VALUES,
                                        "scanned_at": JSON_VALUES}),
)

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def public_post_urls(app, make_event, make_registration):
    event = make_event(slug="fuzz-day", waitlist=True)
    drive = make_event(slug="fuzz-drive", kind="volunteer")
    registration = make_registration(event)
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(("/staff", "/api")):
            continue
        for slug in (event.slug, drive.slug):
            url = rule.rule.replace("<slug>", slug).replace("<token>", registration.token)
            if "<" not in url:
                urls.append(url)
    return sorted(set(urls))


def test_public_forms_never_answer_500(client, public_post_urls):
    assert public_post_urls, "no public form found"

    @FUZZ
    @given(fields=FIELDS)
    def run(fields):
        for url in public_post_urls:
            response = client.post(url, data=fields)
            assert response.status_code < 500, (url, fields, response.status_code)

    run()


@FUZZ
@given(token=NASTY_TEXT)
def test_ticket_urls_with_any_token_never_answer_500(client, token):
    from urllib.parse import quote

    for suffix in ("", "/qr.png", "/calendar.ics", "/feedback"):
        response = client.get(f"/tickets/{quote(token, safe='')}{suffix}")
        assert response.status_code < 500


def test_checkin_api_never_answers_500(app, client, auth, make_event):
    if "/api/checkin" not in {r.rule for r in app.url_map.iter_rules()}:
        pytest.skip("no check-in API yet")
    make_event(slug="fuzz-day")
    auth.login("staff")

    @FUZZ
    @given(body=CHECKIN_BODIES)
    def run(body):
        response = client.post("/api/checkin", json=body)
        assert response.status_code < 500, (body, response.status_code)
        raw = client.post("/api/checkin", data=b"\xff\xfe not json",
                          content_type="application/json")
        assert raw.status_code < 500

    run()
