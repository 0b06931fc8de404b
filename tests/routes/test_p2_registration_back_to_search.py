"""A registration opened from a search of the list (a phone's last digits, a name, a
filter, a page) leads back to that search, also after cancelling it on the holder's
behalf; its page had only the 报名名单 tab, which opens the whole list, the search to be
typed again."""
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from tests.conftest import event_data


def back_link(page):
    found = re.search(r'id="back-to-list" href="([^"]+)"', page)
    assert found, "the registration's page links back to the list"
    return unescape(found[1])


def test_back_to_the_search_after_cancelling(client, auth, make_event, make_registration, db):
    event = make_event(slug="busy-day", slots=[dict(event_data()["slots"][0], capacity=80)])
    for n in range(60):
        make_registration(event, name=f"王秀英{n}", phone=f"1390000{n:04d}")
    auth.login("admin")
    listing = client.get("/staff/events/busy-day/registrations?q=王秀英&status=confirmed&page=2")
    assert listing.status_code == 200
    detail_url = unescape(re.search(r'class="ticket-link" href="([^"]+)"',
                                    listing.get_data(as_text=True))[1])
    detail = client.get(detail_url).get_data(as_text=True)
    back = urlsplit(back_link(detail))
    assert back.path == "/staff/events/busy-day/registrations"
    assert parse_qs(back.query) == {"q": ["王秀英"], "status": ["confirmed"], "page": ["2"]}
    assert "返回搜索结果" in detail
    # Cancelling on the holder's behalf keeps the way back.
    action = unescape(re.search(r'action="([^"]*/cancel[^"]*)"', detail)[1])
    done = client.post(action, data={"reason": "本人来电取消"})
    assert done.status_code == 303
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已代为取消报名" in after
    assert urlsplit(back_link(after)).query == back.query


def test_opened_without_a_search_it_leads_to_the_whole_list(client, auth, make_event,
                                                           make_registration):
    event = make_event(slug="busy-day")
    registration = make_registration(event)
    auth.login("staff")
    page = client.get(f"/staff/registrations/{registration.id}").get_data(as_text=True)
    assert back_link(page) == "/staff/events/busy-day/registrations"
    assert "返回报名名单" in page


def test_cancelling_a_waiting_place_does_not_promise_a_seat_released(
        client, auth, make_event, make_registration):
    """The form said 取消后名额会释放，候补名单中的人会按顺序递补 above a waiting place too,
    which holds no seat."""
    event = make_event(slug="busy-day", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    seated = make_registration(event)
    waiting = make_registration(event)
    assert (seated.status, waiting.status) == ("confirmed", "waitlisted")
    auth.login("admin")
    page = client.get(f"/staff/registrations/{waiting.id}").get_data(as_text=True)
    assert "名额会释放" not in page and "不会有人递补" in page
    page = client.get(f"/staff/registrations/{seated.id}").get_data(as_text=True)
    assert "名额会释放" in page


def test_a_whole_phone_searched_for_travels_masked(client, auth, make_event, make_registration):
    """The way back carries the search, but a whole number only as staff pages show it (the
    list finds 138****5678 as well), not repeated in every row's link."""
    event = make_event(slug="busy-day")
    make_registration(event, name="王秀英", phone="13812345678")
    auth.login("staff")
    listing = client.get("/staff/events/busy-day/registrations?q=138 1234 5678")
    text = listing.get_data(as_text=True)
    assert "13812345678" not in text
    detail_url = unescape(re.search(r'class="ticket-link" href="([^"]+)"', text)[1])
    back = back_link(client.get(detail_url).get_data(as_text=True))
    assert parse_qs(urlsplit(back).query) == {"q": ["138****5678"]}
    assert "王秀英" in client.get(back).get_data(as_text=True)
