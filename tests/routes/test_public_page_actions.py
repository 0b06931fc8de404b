"""What the public pages offer, and when: the ticket page's actions once the slot has started,
a volunteer's ticket after check-out, the event page's evaluation link, the help line as a
link that dials it."""
import re
from datetime import timedelta

from app.models import CheckIn
from tests.conftest import iso, now_utc

CALENDAR = "加入手机日历"
CANCEL = "取消报名"


def one_slot(start, hours=2):
    return [{"key": "am", "label": "上午场", "starts_at": iso(start),
             "ends_at": iso(start + timedelta(hours=hours)), "capacity": 10, "mode": "onsite"}]


def test_before_the_slot_starts_the_ticket_offers_calendar_and_cancelling(
        client, make_event, make_registration):
    registration = make_registration(make_event())
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert CALENDAR in page and CANCEL in page


def test_once_the_slot_has_started_the_ticket_offers_neither(client, make_event,
                                                            make_registration):
    event = make_event(slots=one_slot(now_utc() - timedelta(minutes=30)))
    registration = make_registration(event)
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "入场时请出示此二维码" in page  # still a ticket for the door
    assert CALENDAR not in page and f"/tickets/{registration.token}/calendar.ics" not in page
    assert CANCEL not in page and f"/tickets/{registration.token}/cancel" not in page
    assert f"/tickets/{registration.token}/feedback" in page


def test_after_evaluating_the_ticket_offers_neither(client, db, make_event, make_registration):
    from app.services import feedback

    event = make_event(slots=one_slot(now_utc() - timedelta(hours=1)))
    registration = make_registration(event)
    feedback.submit(event, {"overall": 3}, registration=registration)
    db.session.commit()
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "感谢您的评价" in page
    assert CALENDAR not in page and CANCEL not in page


def _volunteer_on_shift(db, make_event, make_registration, *, checked_out):
    start = now_utc() - timedelta(hours=3)
    event = make_event(slug="waste-volunteers", kind="volunteer", max_party_size=1,
                       slots=one_slot(start))
    registration = make_registration(event)
    registration.status = "confirmed"
    db.session.add(CheckIn(registration_id=registration.id, event_id=event.id, gate="东门",
                           checked_in_at=start + timedelta(minutes=5),
                           checked_out_at=start + timedelta(hours=2) if checked_out else None))
    db.session.commit()
    return registration


def test_a_volunteer_who_has_checked_out_is_told_the_time_is_recorded(
        client, db, make_event, make_registration):
    registration = _volunteer_on_shift(db, make_event, make_registration, checked_out=True)
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert "入场时请出示此二维码" not in page
    # Checked in 5 minutes after the start, out at 2 hours: 1 hour 55 minutes certified.
    assert "您的服务时间已记录：本班次 1.92 小时。" in page
    assert f"/tickets/{registration.token}/qr.png" not in page
    assert registration.ticket_number in page  # still there, to quote on the phone


def test_a_volunteer_still_on_shift_keeps_the_code_to_check_out_with(
        client, db, make_event, make_registration):
    registration = _volunteer_on_shift(db, make_event, make_registration, checked_out=False)
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert f"/tickets/{registration.token}/qr.png" in page
    assert "您的服务时间已记录" not in page


def test_the_event_page_links_to_the_evaluation_once_a_slot_has_started(client, make_event):
    make_event(slots=one_slot(now_utc() - timedelta(minutes=10)))
    page = client.get("/events/test-open-day").get_data(as_text=True)
    link = re.search(r'<a class="btn[^"]*" href="/events/test-open-day/feedback">([^<]+)</a>', page)
    assert link is not None and link.group(1) == "评价本次活动"
    assert client.get("/events/test-open-day/feedback").status_code == 200  # and it is open


def test_the_event_page_has_no_evaluation_link_before_the_event(client, make_event):
    make_event()
    page = client.get("/events/test-open-day").get_data(as_text=True)
    assert "/events/test-open-day/feedback" not in page


TEL = '<a class="tel-link" href="tel:02157700000">021-57700000</a>'


def test_the_help_line_dials_from_the_refusal_the_resend_page_and_the_footer(
        app, client, make_event, make_registration):
    app.config["ORGANISATION_CONTACT"] = "021-57700000"
    event = make_event()
    make_registration(event, phone="13900001111")
    refused = client.post("/events/test-open-day/register", data={
        "slot": "am", "name": "张三", "phone": "13900001111", "party_size": "1", "consent": "y",
        "submission_key": "k" * 24})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert page.count(TEL) == 2  # in the help sentence and in the footer
    resent = client.post("/events/test-open-day/resend-ticket", data={"phone": "13900001111"})
    assert resent.get_data(as_text=True).count(TEL) == 2
    assert TEL in client.get("/privacy").get_data(as_text=True)
    registration = make_registration(event)
    assert TEL in client.get(f"/tickets/{registration.token}").get_data(as_text=True)


def test_the_dialled_number_stops_at_an_extension(app, client, make_event):
    app.config["ORGANISATION_CONTACT"] = "+86 21 5770 0000 转 8001"
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        app.config["ORGANISATION_CONTACT"] = "021-57700000"
    assert 'href="tel:+862157700000">+86 21 5770 0000 转 8001</a>' in page
