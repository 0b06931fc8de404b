"""Many citizens open their ticket inside WeChat's own browser, which downloads no files:
the ticket page tells them how to put the slot into their calendar from there."""

WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) "
          "NetType/WIFI Language/zh_CN")
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
HINT = "在微信里不能直接加入日历：请点右上角“···”，选“在浏览器打开”"


def ticket_page(client, token, user_agent):
    response = client.get(f"/tickets/{token}", headers={"User-Agent": user_agent})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_in_wechat_the_calendar_button_says_to_open_the_page_in_the_browser(
        client, make_event, make_registration):
    token = make_registration(make_event()).token
    page = ticket_page(client, token, WECHAT)
    assert HINT in page
    assert page.index(HINT) < page.index("加入手机日历")


def test_outside_wechat_the_calendar_button_needs_no_explaining(client, make_event,
                                                               make_registration):
    token = make_registration(make_event()).token
    page = ticket_page(client, token, SAFARI)
    assert "加入手机日历" in page and HINT not in page


def test_a_waiting_ticket_in_wechat_offers_no_calendar_and_no_hint(client, make_event,
                                                                  make_registration):
    event = make_event(waitlist=True)
    for _ in range(10):
        make_registration(event)
    waiting = make_registration(event)
    assert waiting.status == "waitlisted"
    page = ticket_page(client, waiting.token, WECHAT)
    assert "加入手机日历" not in page and HINT not in page
