"""A form sent with a token that no longer fits (cookies cleared by WeChat, a page left
open across a sign-out): the page says nothing was sent and how to send it again. Not
"刷新页面", which on this page sends the same refused form once more. (The registration
form itself comes back filled in: tests/routes/test_form_expired_refill.py.)"""


def test_an_expired_public_form_says_go_back_and_send_again(make_app, make_event):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_event(slug="stale-day")
    client = app.test_client()
    response = client.post("/events/stale-day/register", data={
        "csrf_token": "an-old-token", "slot": "am", "name": "王芳", "phone": "13800138000",
        "party_size": "1", "consent": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "没有提交" in page and "再提交一次" in page and 'value="王芳"' in page
    assert "请刷新页面后重新提交" not in page


def test_another_expired_public_form_says_go_back(make_app, make_event, make_registration):
    app = make_app(WTF_CSRF_ENABLED=True)
    registration = make_registration(make_event(slug="stale-day"))
    response = app.test_client().post(f"/tickets/{registration.token}/cancel",
                                      data={"csrf_token": "an-old-token"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "没有提交" in page and "返回" in page
    assert "请刷新页面后重新提交" not in page
