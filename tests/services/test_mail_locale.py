"""Mail is written in the language the person registered in, whoever sends it later."""
import re

from sqlalchemy import select

from app.models import OutboxMessage, Registration
from app.services.mail import queue_registration_mail

CJK = re.compile(r"[\u4e00-\u9fff]")


def _register(client, slug, lang, phone, email):
    from flask_babel import refresh

    refresh()  # the suite keeps one app context, where Babel caches the locale
    client.set_cookie("lang", lang)
    response = client.post(f"/events/{slug}/register", data={
        "slot": "am", "name": "Wang", "phone": phone, "email": email, "party_size": "1",
        "consent": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_later_mail_follows_the_registrants_language(app, client, db, make_event):
    make_event(slug="lang-day", title="Open day", description="Energy saving",
               location="Civic Centre", feedback_topics=["Energy"],
               slots=[dict(key="am", label="Morning", starts_at="2030-06-28T09:30:00+08:00",
                           ends_at="2030-06-28T11:30:00+08:00", capacity=10)],
               registration_closes_at="2030-06-27T17:00:00+08:00")
    _register(client, "lang-day", "en", "13900001111", "en@example.com")
    _register(client, "lang-day", "zh", "13900002222", "zh@example.com")
    english, chinese = (db.session.execute(select(Registration).where(Registration.phone == p))
                        .scalar_one() for p in ("13900001111", "13900002222"))
    assert (english.locale, chinese.locale) == ("en", "zh_Hans_CN")
    # The mail worker has no request and no reader: it writes in each person's language.
    with app.app_context():
        reminder_en = queue_registration_mail(english, "reminder", dedupe_key="t-en")
        reminder_zh = queue_registration_mail(chinese, "reminder", dedupe_key="t-zh")
    db.session.commit()
    assert not CJK.search(reminder_en.subject + reminder_en.body_text), reminder_en.body_text
    assert CJK.search(reminder_zh.subject) and CJK.search(reminder_zh.body_text)
    confirmation = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == "en@example.com", OutboxMessage.kind == "confirmation")).scalar_one()
    assert not CJK.search(confirmation.subject)
