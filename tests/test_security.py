"""Security across every route: headers on every response, CSRF on every POST.

Both tests walk ``app.url_map``, so a route added later is covered without editing them.
"""
import re

import pytest
from sqlalchemy import func, select

CONVERTER_DEFAULTS = {"int": "1", "string": "x", "path": "x", "any": "x", "uuid":
                      "00000000-0000-0000-0000-000000000000"}


def _url_values(app, rule, fixtures):
    values = {}
    for name in rule.arguments:
        if name in fixtures:
            values[name] = fixtures[name]
        else:
            converter = type(rule._converters[name]).__name__.lower().replace("converter", "")
            values[name] = CONVERTER_DEFAULTS.get(
                {"integer": "int", "unicode": "string"}.get(converter, converter), "1")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


@pytest.fixture
def fixtures(db, make_event, make_registration):
    event = make_event(slug="energy-week-open-day", waitlist=True)
    registration = make_registration(event, email="citizen@example.com")
    return {"slug": event.slug, "token": registration.token,
            "registration_id": str(registration.id), "id": str(registration.id)}


def _rules(app, method):
    return [r for r in app.url_map.iter_rules()
            if method in r.methods and r.endpoint != "static"]


def _check_headers(response, where):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "object-src 'none'" in csp, where
    assert "base-uri 'none'" in csp, where
    assert "frame-ancestors 'none'" in csp, where
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'unsafe-inline'" not in script_src.group(1), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy"), where


@pytest.mark.parametrize("who", ["anonymous", "staff", "admin"])
def test_every_route_sends_the_security_headers(app, client, auth, fixtures, who):
    if who != "anonymous":
        auth.login(who)
    seen = 0
    for rule in _rules(app, "GET"):
        url = _url_values(app, rule, fixtures)
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        _check_headers(response, f"{who} GET {url} -> {response.status_code}")
        # HEAD (a link checker, a proxy) answers as GET does, without the body.
        head = client.head(url)
        assert head.status_code == response.status_code, f"{who} HEAD {url}: {head.status_code}"
        assert head.data == b"", url
        seen += 1
    # Error pages too.
    _check_headers(client.get("/definitely-not-here"), "404 page")
    assert seen >= 5


def test_a_method_not_allowed_says_which_are(client, fixtures):
    response = client.delete(f"/events/{fixtures['slug']}/register")
    assert response.status_code == 405 and "不支持" in response.get_data(as_text=True)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert set(client.put("/api/checkin").headers["Allow"].split(", ")) == {"OPTIONS", "POST"}


def test_static_files_send_the_headers_too(client):
    _check_headers(client.get("/static/css/app.css"), "static")


def test_every_post_route_refuses_a_request_without_a_csrf_token(make_app, fixtures, db):
    from tests.conftest import ADMIN_PASSWORD

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    # Sign in properly (with a token) so that only the missing token can refuse what follows.
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    from app.services.staff import create_staff

    create_staff("csrf-admin", ADMIN_PASSWORD, "admin")
    db.session.commit()
    response = client.post("/staff/login", data={"username": "csrf-admin",
                                                 "password": ADMIN_PASSWORD,
                                                 "csrf_token": token})
    assert response.status_code in (302, 303)
    checked = []
    for rule in _rules(app, "POST"):
        url = _url_values(app, rule, fixtures)
        response = client.post(url, data={"name": "x"})
        assert response.status_code in (400, 403), f"POST {url} without CSRF: {response.status_code}"
        json_response = client.post(url, json={"event": fixtures["slug"], "code": "x"})
        assert json_response.status_code in (400, 403), f"POST {url} JSON without CSRF"
        checked.append(url)
    assert "/staff/logout" in checked and any(u.startswith("/events/") for u in checked) \
        or len(checked) >= 2, checked


def test_no_get_route_changes_anything(app, client, auth, fixtures, db):
    """GET is safe: requesting every GET route as an admin writes no row."""
    from sqlalchemy import func

    from app.extensions import db as _db

    def counts():
        _db.session.expire_all()
        result = {t.name: _db.session.execute(select(func.count()).select_from(t)).scalar()
                  for t in _db.metadata.sorted_tables if t.name not in ("audit_log",)}
        _db.session.rollback()
        return result

    auth.login("admin")
    before = counts()
    for rule in _rules(app, "GET"):
        client.get(_url_values(app, rule, fixtures))
    assert counts() == before


def test_session_cookie_flags(make_app):
    app = make_app()
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_citizens_pages_set_no_cookie_after_the_first(client, make_event):
    """The first page gives the visitor a session for its CSRF token; later pages leave it
    alone: no re-signed session, no cookie-deleting header from the staff sign-in."""
    make_event()
    first = client.get("/events/test-open-day/register")
    assert any(c.startswith("session=") for c in first.headers.getlist("Set-Cookie"))
    for path in ("/", "/events/test-open-day", "/events/test-open-day/register"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == [], path
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_a_staff_session_survives_a_key_rotation_only_through_the_fallback_keys(
        make_app, client, auth):
    """The session cookie is signed as Flask signs it: after SECRET_KEY changes, a cookie
    signed with the old key is accepted while the old key is in SECRET_KEY_FALLBACKS, and
    only then. (The serializer is made once per set of keys, not once per request.)"""
    auth.login("staff")
    cookie = client.get_cookie("session").value
    for fallbacks, status in ((["test-secret-key"], 200), ([], 302)):
        rotated = make_app(SECRET_KEY="a-new-secret-key", SECRET_KEY_FALLBACKS=fallbacks)
        other = rotated.test_client()
        other.set_cookie("session", cookie)
        assert other.get("/staff/events").status_code == status, fallbacks
        interface = rotated.session_interface
        assert interface.get_signing_serializer(rotated) is interface.get_signing_serializer(rotated)


def test_staff_pages_are_not_stored(client, auth):
    auth.login("staff")
    assert client.get("/staff/events").headers["Cache-Control"] == "no-store"


def test_production_sets_secure_cookies_and_hsts(tmp_path, monkeypatch, database_url):
    from app import create_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "production-test-key")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")


def test_a_nul_character_is_refused_with_400_everywhere(client, fixtures):
    """PostgreSQL cannot store NUL; no route may let one reach a query (it would be a 500)."""
    assert client.get("/tickets/%00").status_code == 400
    assert client.get("/?q=a%00b").status_code == 400
    assert client.post(f"/events/{fixtures['slug']}/register", data={"name": "a\x00b"}).status_code == 400
    assert client.post(f"/events/{fixtures['slug']}/register", data={"name": "a\x00b"},
                       content_type="multipart/form-data").status_code == 400
    assert client.post("/api/checkin", json={"code": "a\u0000"}).status_code == 400


def test_a_file_sent_in_place_of_a_text_is_refused_with_400_everywhere(app, client, auth,
                                                                          fixtures, db):
    """No form takes a file: one sent as a text field (a hand-made request, a confused app)
    is refused clearly on every POST route instead of reaching a length check (a 500)."""
    import io

    from app.models import Registration

    auth.login("admin")
    before = db.session.execute(select(func.count(Registration.id))).scalar()
    checked = []
    for rule in _rules(app, "POST"):
        url = _url_values(app, rule, fixtures)
        data = {field: (io.BytesIO("张三".encode()), "name.txt")
                for field in ("name", "phone", "username", "title", "action_note", "reason")}
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, f"POST {url} with files: {response.status_code}"
        text = response.get_json()["message"] if response.is_json else response.get_data(as_text=True)
        assert "不接受上传文件" in text, url
        checked.append(url)
    assert f"/events/{fixtures['slug']}/register" in checked and "/staff/login" in checked
    assert db.session.execute(select(func.count(Registration.id))).scalar() == before


def test_error_pages_carry_the_headers(limits_on, app, client, auth, make_event, make_registration,
                                       monkeypatch):
    """404, 405, 413, 429 and 500 answers (pages, and JSON under /api/) carry them too."""
    from app.services import checkin, tickets

    event = make_event()
    registration = make_registration(event)
    answers = {
        "404": client.get("/no-such-page"),
        "405": client.delete("/"),
        "413": client.post("/events/test-open-day/register", data={"name": "x" * (2 * 1024 * 1024)}),
    }

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(tickets, "qr_png", broken)
    monkeypatch.setattr(checkin, "counts", broken)
    answers["500"] = client.get(f"/tickets/{registration.token}/qr.png")
    auth.login("staff")
    answers["404 api"] = client.get("/api/events/nope/stats")
    answers["500 api"] = client.get(f"/api/events/{event.slug}/stats")
    other = limits_on(REGISTRATION_IP_LIMIT="1 per minute", CHECKIN_API_LIMIT="1 per minute").test_client()
    other.post("/events/test-open-day/register", data={"name": ""})
    answers["429"] = other.post("/events/test-open-day/register", data={"name": ""})
    other.post("/api/checkin", json={})
    answers["429 api"] = other.post("/api/checkin", json={})
    for where, response in answers.items():
        assert response.status_code == int(where.split()[0]), (where, response.status_code)
        _check_headers(response, where)
        assert response.is_json == where.endswith("api"), where
    assert answers["429"].headers.get("Retry-After") and answers["429 api"].headers.get("Retry-After")


def test_production_error_pages_and_cookies(monkeypatch, database_url, make_staff):
    from app import create_app
    from tests.conftest import ADMIN_PASSWORD

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "production-test-key")
    production = create_app("production")
    client = production.test_client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "max-age=" in missing.headers.get("Strict-Transport-Security", "")
    _check_headers(missing, "production 404")
    make_staff("cookie-admin", "admin")
    page = client.get("/staff/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed_in = client.post("/staff/login", base_url="https://localhost",
                            headers={"Referer": "https://localhost/staff/login"},
                            data={"username": "cookie-admin", "password": ADMIN_PASSWORD,
                                  "csrf_token": token})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


@pytest.mark.parametrize("target", ["//evil.example/x", "/\t/evil.example/x", "/\n/evil.example",
                                    "/\\evil.example", " //evil.example", "https://evil.example/",
                                    "javascript:alert(1)", "evil.example", "/\\/evil.example"])
def test_the_preference_switch_never_sends_anyone_to_another_site(client, target):
    response = client.post("/preferences", data={"elder": "1", "next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location in ("/", "http://localhost/"), location


def test_the_preference_switch_goes_back_to_the_same_page(client):
    response = client.post("/preferences", data={"elder": "1", "next": "/events/x?slot=am&lang=en"})
    assert response.headers["Location"].endswith("/events/x?slot=am&lang=en")
    # Choosing a language drops the address's ?lang=, which would outvote the choice.
    response = client.post("/preferences", data={"lang": "zh", "next": "/events/x?lang=en&slot=am"})
    assert response.headers["Location"].endswith("/events/x?slot=am")
    assert "lang=zh" in response.headers.get("Set-Cookie", "")
