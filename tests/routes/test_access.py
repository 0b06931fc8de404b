"""Walk app.url_map: every staff and admin route refuses the public (login redirect, or
401 for the API), refuses staff on admin routes (403) and lets admins through."""
import pytest

from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD

# Routes under /staff/ or /api/ that anyone may reach.
PUBLIC_STAFF_ENDPOINTS = {"auth.login", "auth.logout"}


def _staff_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if not (rule.rule.startswith("/staff") or rule.rule.startswith("/api/")):
            continue
        if rule.endpoint in PUBLIC_STAFF_ENDPOINTS:
            continue
        yield rule


@pytest.fixture
def world(make_event, make_registration, make_staff, db):
    """Real records for every URL converter, so that a request reaches its view."""
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slug="access-test")
    registration = make_registration(event)
    spare = make_staff("spare-user", "staff", password="spare-user-password")
    reserve_seats(event.slots[0], 1)
    invitation = create_invitation(event, event.slots[0], label="代表", max_uses=1)
    db.session.commit()
    return {"slug": event.slug, "registration_id": registration.id, "user_id": spare.id,
            "invitation_id": invitation.id, "id": registration.id, "token": registration.token,
            "key": event.slots[0].key, "slot_key": event.slots[0].key}


def _url(app, rule, values):
    args = {}
    for name in rule.arguments:
        if name in values:
            args[name] = values[name]
        elif rule._converters[name].__class__.__name__ == "IntegerConverter":
            args[name] = 1
        else:
            args[name] = "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def _requests(app, world):
    for rule in _staff_rules(app):
        url = _url(app, rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, url


def _client_for(app, role):
    client = app.test_client()
    if role is not None:
        password = ADMIN_PASSWORD if role == "admin" else STAFF_PASSWORD
        response = client.post("/staff/login", data={"username": role, "password": password})
        assert response.status_code == 302
    return client


def test_every_staff_route_is_marked_with_an_access_decorator(app):
    unmarked = [rule.endpoint for rule in _staff_rules(app)
                if getattr(app.view_functions[rule.endpoint], "access", None) not in
                ("staff", "admin")]
    assert unmarked == []


def test_the_url_map_has_the_staff_workspace(app):
    endpoints = {rule.endpoint for rule in _staff_rules(app)}
    for expected in ("admin.events", "admin.event_new", "admin.event_edit",
                     "admin.registrations", "admin.walk_in", "admin.invitations_page",
                     "admin.event_dashboard", "admin.accounts", "admin.audit_log"):
        assert expected in endpoints


def test_anonymous_users_are_sent_to_the_login(app, world):
    client = app.test_client()
    checked = 0
    for rule, method, url in _requests(app, world):
        response = client.open(url, method=method)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert "/staff/login" in response.headers["Location"], (method, url)
        checked += 1
    assert checked >= 20


def test_staff_are_refused_admin_routes_and_reach_staff_routes(app, world, make_staff):
    make_staff("staff", "staff")
    client = _client_for(app, "staff")
    for rule, method, url in _requests(app, world):
        access = app.view_functions[rule.endpoint].access
        response = client.open(url, method=method)
        if access == "admin":
            assert response.status_code == 403, (method, url, response.status_code)
        else:
            assert response.status_code not in (401, 403, 500), (method, url,
                                                                 response.status_code)
            if response.status_code == 302:
                assert "/staff/login" not in response.headers["Location"], (method, url)


def test_admins_reach_every_route(app, world, make_staff):
    make_staff("admin", "admin")
    client = _client_for(app, "admin")
    for rule, method, url in _requests(app, world):
        response = client.open(url, method=method)
        assert response.status_code not in (401, 403, 500), (method, url, response.status_code)
        if response.status_code == 302:
            assert "/staff/login" not in response.headers["Location"], (method, url)
