"""Someone who registered in English opens the link in their English mail on whatever
phone or computer is at hand: the ticket and its pages speak English until that browser
chooses otherwise. Chinese registrants are unaffected."""
import pytest


@pytest.fixture
def english_ticket(db, make_event, make_registration):
    event = make_event(slug="lang-day")
    registration = make_registration(event, email="visitor@example.com")
    registration.locale = "en"
    db.session.commit()
    return registration.token


@pytest.mark.parametrize("page", ["", "/cancel", "/feedback", "/erase"])
def test_the_ticket_pages_speak_the_language_they_registered_in(client, english_ticket, page):
    html = client.get(f"/tickets/{english_ticket}{page}").get_data(as_text=True)
    assert '<html lang="en"' in html


def test_a_browser_that_chose_chinese_keeps_chinese(client, english_ticket):
    client.set_cookie("lang", "zh")
    html = client.get(f"/tickets/{english_ticket}").get_data(as_text=True)
    assert '<html lang="zh-CN"' in html
    assert '<html lang="zh-CN"' in client.get(
        f"/tickets/{english_ticket}?lang=zh").get_data(as_text=True)


def test_a_chinese_registration_opens_in_chinese(client, make_event, make_registration):
    registration = make_registration(make_event(slug="zh-day"))
    html = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert '<html lang="zh-CN"' in html and "电子票" in html


def test_the_english_holders_language_does_not_stick_to_other_pages(client, english_ticket):
    client.get(f"/tickets/{english_ticket}")
    assert '<html lang="zh-CN"' in client.get("/").get_data(as_text=True)
