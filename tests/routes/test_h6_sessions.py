"""H6: what a staff member meets when their session ends while a form is open."""
import re
import time

from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _go_idle(client):
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 31 * 60


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page_not_a_405(
        client, auth, make_staff):
    """An admin opens 重置密码, is called away for 31 minutes, then presses 重置: signing in
    again must bring them back to the accounts page (the reset's own address takes only a
    POST: following it after sign-in showed 不支持的操作), told that nothing was saved."""
    door = make_staff("door", "staff")
    auth.login("admin")
    _go_idle(client)
    sent = client.post(f"/staff/accounts/{door.id}/password",
                       data={"password": "brand-new-password-1"},
                       headers={"Referer": "http://localhost/staff/accounts"})
    assert sent.status_code == 302 and "/staff/login" in sent.headers["Location"]
    login_page = client.get(sent.headers["Location"])
    assert "没有保存" in _text(login_page)
    signed_in = client.post(sent.headers["Location"],
                            data={"username": "admin", "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].endswith("/staff/accounts")
    assert client.get(signed_in.headers["Location"]).status_code == 200
    # The reset was not made: door still signs in with the old password.
    other = client.application.test_client()
    assert other.post("/staff/login", data={"username": "door",
                                            "password": STAFF_PASSWORD}).status_code == 302


def test_a_form_sent_after_the_session_ended_from_another_site_goes_to_the_workspace(
        client, auth, make_staff):
    door = make_staff("door", "staff")
    auth.login("admin")
    _go_idle(client)
    sent = client.post(f"/staff/accounts/{door.id}/deactivate",
                       headers={"Referer": "https://evil.example/staff/accounts"})
    assert sent.status_code == 302
    signed_in = client.post(sent.headers["Location"],
                            data={"username": "admin", "password": ADMIN_PASSWORD})
    assert signed_in.headers["Location"].endswith("/staff/")


def test_a_page_opened_after_the_session_ended_is_shown_after_sign_in(client, auth):
    auth.login("admin")
    _go_idle(client)
    sent = client.get("/staff/audit?action=staff.")
    assert "没有保存" not in _text(client.get(sent.headers["Location"]))
    signed_in = client.post(sent.headers["Location"],
                            data={"username": "admin", "password": ADMIN_PASSWORD})
    assert signed_in.headers["Location"].endswith("/staff/audit?action=staff.")


def _token(page):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]


def test_signing_out_in_a_second_tab_after_the_first_goes_to_the_login_page(
        make_app, app, make_staff):
    """Two tabs of the workspace; 退出登录 in one, then in the other: that second click
    showed 页面已过期或来源不明 (its token died with the session). Nobody is signed in any
    more: the login page is the answer."""
    make_staff("admin", "admin")
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    assert client.post("/staff/login", data={
        "username": "admin", "password": ADMIN_PASSWORD,
        "csrf_token": _token(client.get("/staff/login"))}).status_code == 302
    first_tab = second_tab = _token(client.get("/staff/events"))
    assert client.post("/staff/logout", data={"csrf_token": first_tab}).status_code == 302
    again = client.post("/staff/logout", data={"csrf_token": second_tab})
    assert again.status_code == 302 and again.headers["Location"].endswith("/staff/login")


def test_another_site_cannot_sign_a_steward_out(make_app, app, make_staff):
    """Signing out ends this session on the server (a steward's tablet): a request from
    another site, without the page's token, must not."""
    make_staff("door", "staff")
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    assert client.post("/staff/login", data={
        "username": "door", "password": STAFF_PASSWORD,
        "csrf_token": _token(client.get("/staff/login"))}).status_code == 302
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/events").status_code == 200
