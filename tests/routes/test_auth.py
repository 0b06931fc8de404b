"""Staff login: same answer for unknown user and wrong password, limits, sessions."""
import re
import time
import uuid

import pytest
from sqlalchemy import select

from app.extensions import limiter
from app.models import AuditLog
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD


def _login(client, username, password, **kw):
    return client.post("/staff/login", data={"username": username, "password": password}, **kw)


def test_login_success_redirects_to_staff_home(client, make_staff):
    make_staff("admin", "admin")
    response = _login(client, "admin", ADMIN_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/")
    assert client.get("/staff/events").status_code == 200


def test_a_tablet_capitalising_the_user_name_still_signs_in(client, make_staff):
    """Names are unique whatever their case (create_staff), so "Door1" is door1."""
    make_staff("door1", "staff")
    page = client.get("/staff/login").get_data(as_text=True)
    assert 'autocapitalize="none"' in page  # and the login form asks the keyboard not to
    response = _login(client, "Door1", STAFF_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    client.post("/staff/logout")
    assert _login(client, "Door1", "not-the-password-at-all").status_code == 400


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_staff):
    make_staff("admin", "admin")
    wrong = _login(client, "admin", "not-the-password-at-all")
    unknown = _login(client, "nobody-here", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    # The same page apart from the username echoed back into its field (and the CSRF
    # tokens, which carry the second they were signed in).
    def page(response, username):
        html = response.get_data(as_text=True).replace(f'value="{username}"', "")
        return re.sub(r'name="csrf_token"([^>]*)value="[^"]*"', r'name="csrf_token"\1', html)

    assert page(wrong, "admin") == page(unknown, "nobody-here")


def test_deactivated_account_gets_the_same_answer(client, make_staff, db):
    user = make_staff("gone", "staff")
    user.active = False
    db.session.commit()
    response = _login(client, "gone", STAFF_PASSWORD)
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_password_is_hashed_with_scrypt_and_needs_12_characters(make_staff):
    from app.services.errors import InvalidData
    from app.services.staff import create_staff

    user = make_staff("admin", "admin")
    assert user.password_hash.startswith("scrypt:")
    assert ADMIN_PASSWORD not in user.password_hash
    with pytest.raises(InvalidData):
        create_staff("short", "elevenchars", "staff")


def test_login_starts_a_new_session(client, make_staff):
    make_staff("admin", "admin")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    _login(client, "admin", ADMIN_PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["login_at"] > 0
        assert session.permanent


def test_next_parameter_only_goes_to_staff_pages(client, make_staff):
    make_staff("admin", "admin")
    response = _login(client, "admin", ADMIN_PASSWORD, query_string={"next": "//evil.example/"})
    assert response.headers["Location"].endswith("/staff/")
    client.post("/staff/logout")
    response = _login(client, "admin", ADMIN_PASSWORD,
                      query_string={"next": "/staff/accounts"})
    assert response.headers["Location"].endswith("/staff/accounts")


def test_logout_ends_the_session_on_the_server(app, client, make_staff):
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    stolen = client.get_cookie("session").value
    assert client.get("/staff/events").status_code == 200
    client.post("/staff/logout")
    # A copy of the cookie taken before logout no longer signs anyone in.
    other = app.test_client()
    other.set_cookie("session", stolen)
    response = other.get("/staff/events")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_idle_for_30_minutes_ends_the_session(client, make_staff):
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 31 * 60
    response = client.get("/staff/events")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_activity_keeps_the_session_alive(client, make_staff):
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    assert client.get("/staff/events").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 60


def test_activity_within_a_minute_does_not_resign_the_session_cookie(client, make_staff):
    # A door screen scans every second: the idle clock counts minutes, so the session
    # (and its signed cookie) changes at most once a minute.
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    client.get("/staff/events")  # the first page after sign-in adds its CSRF token
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 10
    response = client.get("/staff/events")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 61
    assert "Set-Cookie" in client.get("/staff/events").headers


def test_twelve_hours_after_login_the_session_ends_however_active(client, make_staff):
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    with client.session_transaction() as session:
        session["login_at"] = time.time() - 12 * 3600 - 60
        session["seen_at"] = time.time()
    response = client.get("/staff/events")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_login_and_logout_are_audited(client, make_staff, db):
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    client.post("/staff/logout")
    actions = db.session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
    assert actions[-2:] == ["staff.login", "staff.logout"]


def test_csrf_is_required_on_login_when_enabled(make_app, app, make_staff):
    make_staff("admin", "admin")
    strict = make_app(WTF_CSRF_ENABLED=True)
    with strict.app_context():
        response = strict.test_client().post(
            "/staff/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 400


# --- limits --------------------------------------------------------------------------------

LIMITER_STATE = ("enabled", "initialized", "_storage", "_limiter", "_key_prefix",
                 "_storage_dead", "_fallback_limiter")


@pytest.fixture
def limited_app(make_app, app):
    """An app with the login limits switched on. The limiter object is shared by every
    app in the process, so its state is put back afterwards."""
    saved = {name: getattr(limiter, name, None) for name in LIMITER_STATE}
    built = []

    def build(**overrides):
        limited = make_app(RATELIMIT_ENABLED=True, **overrides)
        built.append(limited)
        return limited

    yield build
    for name, value in saved.items():
        setattr(limiter, name, value)


def _fail(client, username="admin", ip="10.0.0.1"):
    return client.post("/staff/login", data={"username": username, "password": "wrong-password-x"},
                       environ_base={"REMOTE_ADDR": ip})


def test_sixth_failure_from_one_address_gets_429(limited_app, make_staff):
    make_staff("admin", "admin")
    limited = limited_app(RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    client = limited.test_client()
    for i in range(5):
        assert _fail(client, username=f"user{i}").status_code == 400
    response = _fail(client, username="someone-else")
    assert response.status_code == 429
    assert "操作太频繁" in response.get_data(as_text=True)
    assert response.headers.get("Retry-After")
    # Even the right password waits: the address is locked out for the window.
    right = client.post("/staff/login", data={"username": "admin", "password": ADMIN_PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert right.status_code == 429
    # Another address is not affected.
    other = client.post("/staff/login", data={"username": "admin", "password": ADMIN_PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 302


def test_sixth_failure_on_one_account_gets_429_from_any_address(limited_app, make_staff):
    make_staff("admin", "admin")
    limited = limited_app(RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    client = limited.test_client()
    for i in range(5):
        assert _fail(client, username="admin", ip=f"10.1.0.{i + 1}").status_code == 400
    assert _fail(client, username="ADMIN ", ip="10.1.0.99").status_code == 429
    # Other accounts from fresh addresses still sign in.
    assert _fail(client, username="other", ip="10.1.0.100").status_code == 400


def test_successful_logins_do_not_count_as_failures(limited_app, make_staff):
    make_staff("admin", "admin")
    limited = limited_app(RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    client = limited.test_client()
    for _ in range(7):
        response = client.post("/staff/login", data={"username": "admin",
                                                     "password": ADMIN_PASSWORD},
                               environ_base={"REMOTE_ADDR": "10.2.0.1"})
        assert response.status_code == 302
    assert client.get("/staff/login", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 200


def test_limits_are_off_in_an_app_that_switches_them_off(limited_app, client, make_staff):
    """The shared limiter follows each app's own setting."""
    make_staff("admin", "admin")
    limited_app(RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    for _ in range(7):
        assert _fail(client, ip="10.3.0.1").status_code == 400


def _redis_up(url):
    try:
        import redis

        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


REDIS_URL = "redis://127.0.0.1:6379"


@pytest.mark.skipif(not _redis_up(REDIS_URL), reason="Redis is not running on 127.0.0.1:6379")
def test_limits_are_shared_through_redis(limited_app, make_staff, monkeypatch):
    """REDIS_URL in the environment puts the counts in Redis: two app servers (two apps)
    on one Redis share the count of failures."""
    import redis
    from limits.storage import RedisStorage

    make_staff("admin", "admin")
    prefix = f"openday-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    first = limited_app(RATELIMIT_KEY_PREFIX=prefix)
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert isinstance(limiter.storage, RedisStorage)
    limiter._key_prefix = prefix  # the shared limiter keeps the first prefix it saw
    for i in range(5):
        assert _fail(first.test_client(), ip="10.4.0.1", username=f"u{i}").status_code == 400
    server = redis.Redis.from_url(REDIS_URL)
    try:
        assert server.keys(f"*{prefix}*"), "the failures were not counted in Redis"
        second = limited_app(RATELIMIT_KEY_PREFIX=prefix)
        assert _fail(second.test_client(), ip="10.4.0.1", username="u9").status_code == 429
    finally:
        keys = server.keys(f"*{prefix}*")
        if keys:
            server.delete(*keys)


def test_redis_url_in_the_environment_selects_redis_storage(tmp_path):
    from config import Config

    settings = Config.from_env(str(tmp_path), {"REDIS_URL": REDIS_URL, "SECRET_KEY": "x"})
    assert settings["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert Config.from_env(str(tmp_path), {"SECRET_KEY": "x"})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_background_refreshes_do_not_keep_an_idle_session_alive(client, make_staff, make_event):
    make_event(slug="idle-board")
    make_staff("admin", "admin")
    _login(client, "admin", ADMIN_PASSWORD)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 20 * 60
    poll = {"Accept": "application/json", "X-Background-Refresh": "1"}
    assert client.get("/staff/events/idle-board/dashboard.json", headers=poll).status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] > 19 * 60  # not counted as activity
        session["seen_at"] = time.time() - 31 * 60
    assert client.get("/staff/events/idle-board/dashboard.json", headers=poll).status_code == 401


def test_csrf_protects_staff_actions_when_enabled(make_app, app, make_staff, make_event):
    make_event(slug="csrf-day", status="draft")
    make_staff("admin", "admin")
    strict = make_app(WTF_CSRF_ENABLED=True)
    # No app context pushed here: each request gets its own, as in production.
    client = strict.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/staff/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                             "csrf_token": token}).status_code == 302
    assert client.post("/staff/events/csrf-day/publish").status_code == 400
    page = client.get("/staff/events/csrf-day").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/staff/events/csrf-day/publish",
                       data={"csrf_token": token}).status_code == 303


def test_a_name_typed_full_width_signs_in(client, make_staff):
    """A Chinese keyboard in full-width mode types ｄｏｏｒ１: it is door1 (NFKC), and the
    other case still signs in as before."""
    make_staff("door1", "staff")
    for typed in ("ｄｏｏｒ１", "Ｄｏｏｒ１ ", "\u3000door1"):
        response = _login(client, typed, STAFF_PASSWORD)
        assert response.status_code == 302, typed
        client.post("/staff/logout")
    assert _login(client, "ｄｏｏｒ１", "not-the-password-at-all").status_code == 400


def test_full_width_and_ascii_tries_count_against_one_account(limited_app, make_staff):
    """Read as the login reads it, or each mix of full-width letters would be five more tries."""
    make_staff("admin", "admin")
    limited = limited_app(RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    client = limited.test_client()
    for i, typed in enumerate(["admin", "ａｄｍｉｎ", "ａdmin", "aｄmin", "adｍin"]):
        assert _fail(client, username=typed, ip=f"10.3.0.{i + 1}").status_code == 400
    assert _fail(client, username="admiｎ", ip="10.3.0.99").status_code == 429
