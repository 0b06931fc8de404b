"""Foundation pages: the home page, error pages in Chinese."""


def test_home_lists_the_published_demo_events(client, runner):
    runner.invoke(args=["demo"])
    page = client.get("/").get_data(as_text=True)
    for title in ("公共机构节能宣传周开放日", "后勤管家开放日", "垃圾分类检查志愿者招募"):
        assert title in page


def test_draft_events_are_not_listed(client, make_event):
    make_event(slug="secret-draft", status="draft", title="内部草稿活动")
    assert "内部草稿活动" not in client.get("/").get_data(as_text=True)
    assert client.get("/events/secret-draft").status_code == 404


def test_404_page_is_in_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_english_is_available(client, make_event):
    make_event()
    response = client.get("/?lang=en")
    assert response.status_code == 200
    assert '<html lang="en"' in response.get_data(as_text=True)


def test_pages_name_no_icon_to_fetch(client):
    """Without an icon link a browser asks /favicon.ico on every visit and gets a 404."""
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="data:,">' in page
    assert client.get("/favicon.ico").status_code == 404  # nothing there to ask for


def test_an_error_inside_the_workspace_leads_back_to_the_workspace(client, auth, make_event):
    """Door staff sent to an admin page (403), or to an event that is gone (404), are
    offered the way back to their workspace, not the citizens' home page."""
    make_event(slug="open-day")
    auth.login(role="staff", username="door")
    for path, status in (("/staff/accounts", 403), ("/staff/events/no-such-event/checkin", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        page = response.get_data(as_text=True)
        assert 'href="/staff/">返回工作台</a>' in page, path
        assert "返回首页" not in page, path
    public = client.get("/events/no-such-event").get_data(as_text=True)
    assert 'href="/">返回首页</a>' in public and "返回工作台" not in public
