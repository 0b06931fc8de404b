"""A mail written in English says so to the mail client (screen readers pick their voice,
and phones their fonts and line breaking, by the HTML's lang)."""
import re

from app.services.mail import queue_registration_mail


def html_lang(body):
    return re.search(r'<html lang="([^"]+)"', body).group(1)


def test_an_english_mail_is_marked_english_and_a_chinese_one_chinese(
        app, db, make_event, make_registration):
    event = make_event()
    english = make_registration(event, email="en@example.com")
    english.locale = "en"
    chinese = make_registration(event, email="zh@example.com")
    for kind in ("confirmation", "reminder", "cancelled"):
        assert html_lang(queue_registration_mail(english, kind).body_html) == "en", kind
        assert html_lang(queue_registration_mail(chinese, kind).body_html) == "zh-CN", kind


def test_a_staff_members_chinese_page_does_not_mark_an_english_registrants_mail_chinese(
        app, db, make_event, make_registration):
    registration = make_registration(make_event(), email="en@example.com")
    registration.locale = "en"
    with app.test_request_context("/staff/?lang=zh"):
        mail = queue_registration_mail(registration, "slot_changed", before=None, after=None,
                                       changed=[])
    assert html_lang(mail.body_html) == "en"
