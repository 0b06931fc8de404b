"""The language and large-text switches are a plain POST form whose hidden ``next`` says
where to go back to. That must be an address a GET can show: a page that answered a POST
to a POST-only route (the "请查收邮箱" page, a 429 from it) sends the reader to the event's
page instead of a 405."""
import re

from tests.routes.test_rate_limits import assert_chinese_429


def next_of(response):
    page = response.get_data(as_text=True)
    return re.search(r'<form class="prefs"[^>]*>.*?name="next" value="([^"]*)"', page, re.S).group(1)


def switch_and_follow(client, target, **choice):
    switched = client.post("/preferences", data={"next": target, **choice})
    assert switched.status_code == 303
    return client.get(switched.headers["Location"])


def test_after_the_ticket_is_mailed_again_the_switch_leads_to_the_event_page(client, make_event):
    make_event()
    answer = client.post("/events/test-open-day/resend-ticket", data={"phone": "13900001111"})
    assert answer.status_code == 200 and "请查收邮箱" in answer.get_data(as_text=True)
    assert next_of(answer) == "/events/test-open-day"
    page = switch_and_follow(client, next_of(answer), lang="en")
    assert page.status_code == 200 and 'lang="en"' in page.get_data(as_text=True)
    page = switch_and_follow(client, next_of(answer), elder="1")
    assert page.status_code == 200 and 'class="elder"' in page.get_data(as_text=True)


def test_a_429_from_a_post_only_route_switches_to_the_event_page(limits_on, db, make_event):
    make_event()
    client = limits_on().test_client()
    for i in range(3):
        assert client.post("/events/test-open-day/resend-ticket", data={"phone": "13900001111"},
                           environ_base={"REMOTE_ADDR": f"10.6.0.{i}"}).status_code == 200
    refused = client.post("/events/test-open-day/resend-ticket", data={"phone": "13900001111"},
                          environ_base={"REMOTE_ADDR": "10.6.1.1"})
    assert_chinese_429(refused)
    assert next_of(refused) == "/events/test-open-day"
    assert switch_and_follow(client, next_of(refused), lang="en").status_code == 200


def test_pages_a_get_shows_again_keep_their_own_address(client, make_event):
    make_event()
    form = client.get("/events/test-open-day/register?slot=am")
    assert next_of(form) == "/events/test-open-day/register?slot=am"
    # A form sent back for correction: the route takes GET too, so the same address.
    corrected = client.post("/events/test-open-day/register", data={"slot": "am", "name": ""})
    assert corrected.status_code == 400
    assert next_of(corrected) == "/events/test-open-day/register"
    assert next_of(client.get("/no-such-page")) == "/no-such-page"


def test_a_405_page_switches_to_the_home_page(client, make_event):
    make_event()
    response = client.get("/events/test-open-day/resend-ticket")
    assert response.status_code == 405
    assert next_of(response) == "/"
