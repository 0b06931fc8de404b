"""The evaluation speaks one language from the form to the thanks: a ticket made in English
(its link opened on a phone without a language cookie) and the English venue poster both
lead to English pages, up to the thank-you page after the form."""
from urllib.parse import parse_qs, urlsplit

from tests.feedback_factories import started_slots

FORM = {"overall": "3", "comment": "Clear guide, thank you."}


def test_an_english_ticket_is_thanked_in_english(client, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    registration = make_registration(event)
    registration.locale = "en"  # registered on the English pages
    db.session.commit()
    url = f"/tickets/{registration.token}/feedback"
    assert "Event evaluation" in client.get(url).get_data(as_text=True)

    response = client.post(url, data=FORM)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your evaluation" in thanks and "感谢您的评价" not in thanks
    assert 'lang="en"' in thanks


def test_a_chinese_ticket_and_a_chosen_language_are_left_as_they_are(
        client, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    chinese = make_registration(event)
    response = client.post(f"/tickets/{chinese.token}/feedback", data=FORM)
    assert response.headers["Location"].endswith(f"/events/{event.slug}/feedback/thanks")
    assert "感谢您的评价" in client.get(response.headers["Location"]).get_data(as_text=True)

    english = make_registration(event)
    english.locale = "en"
    db.session.commit()
    client.set_cookie("lang", "zh")  # this phone chose Chinese: the cookie speaks for it
    response = client.post(f"/tickets/{english.token}/feedback", data=FORM)
    assert "lang=" not in response.headers["Location"]
    assert "感谢您的评价" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_english_poster_opens_the_english_form(app, client, make_event):
    """Its QR code carries ?lang=en (a phone that scans it has no language cookie), and the
    form's answer is thanked in English too. The Chinese poster's code stays as it was."""
    from app.services.tickets import qr_png

    event = make_event(slots=started_slots())
    base = f"{app.config['BASE_URL']}/events/{event.slug}/feedback"
    poster = client.get(f"/events/{event.slug}/poster?lang=en").get_data(as_text=True)
    assert f"{base}?lang=en" in poster  # the address printed under the code
    english_qr = client.get(f"/events/{event.slug}/feedback/qr.png?lang=en").get_data()
    assert english_qr == qr_png(f"{base}?lang=en", box_size=12)
    assert f"/events/{event.slug}/feedback/qr.png?lang=en" in poster

    chinese = client.get(f"/events/{event.slug}/poster").get_data(as_text=True)
    assert "?lang=en" not in chinese
    assert client.get(f"/events/{event.slug}/feedback/qr.png?lang=zh").get_data() == qr_png(
        base, box_size=12)

    # What the phone does with the code: the form, then the thanks, in English.
    form = client.get(f"{urlsplit(base).path}?lang=en").get_data(as_text=True)
    assert "Event evaluation" in form
    response = client.post(f"{urlsplit(base).path}?lang=en", data=FORM)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert parse_qs(urlsplit(location).query) == {"lang": ["en"]}
    assert "Thank you for your evaluation" in client.get(location).get_data(as_text=True)
