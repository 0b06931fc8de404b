"""The registration form says plainly when it would only give a waiting place: the event
page's "加入候补" leads to a form that says "加入候补名单" and has a "加入候补" button, not
"提交报名"; a form sent with "提交报名" for a slot without seats comes back asking instead of
putting the person on the waiting list unawares. (The server decides: without JavaScript,
and in a browser without CSS :has(), this is what is shown.)"""
import re
from datetime import timedelta

from app.models import Registration
from tests.conftest import iso, now_utc
from tests.page_forms import form_as_shown


def _two_slots(make_event, *, am_capacity=2, waitlist=True):
    start = now_utc() + timedelta(days=1)
    return make_event(waitlist=waitlist, slots=[
        {"key": "am", "label": "上午场", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(hours=2)), "capacity": am_capacity, "mode": "onsite"},
        {"key": "pm", "label": "下午场", "starts_at": iso(start + timedelta(hours=4)),
         "ends_at": iso(start + timedelta(hours=6)), "capacity": 10, "mode": "onsite"},
    ])


def _fill(make_registration, event, slot, seats):
    make_registration(event, slot, party_size=seats)


def _shown_by_default(page):
    """The page's text as a browser without :has() shows it: the elements the page's
    own mode hides (class only-wait on a takes-seat page, only-seat on a joins-waitlist
    page) left out."""
    mode = re.search(r'class="page-narrow register-page (\S+)"', page).group(1)
    hidden = "only-wait" if mode == "takes-seat" else "only-seat"
    page = re.sub(r'<(span|button)[^>]*class="[^"]*\b' + hidden + r'\b[^"]*"[^>]*>.*?</\1>', "",
                  page, flags=re.S)
    page = re.sub(r'<div class="note ' + hidden + r'".*?</div>', "", page, flags=re.S)
    return page


def _buttons(page):
    return [re.sub(r"\s+", " ", b).strip()
            for b in re.findall(r"<button[^>]*>(.*?)</button>", page, flags=re.S)]


def test_the_form_for_a_full_slot_says_it_joins_the_waiting_list(client, make_event,
                                                                 make_registration):
    event = _two_slots(make_event)
    _fill(make_registration, event, event.slots[0], 2)
    assert "加入候补" in client.get("/events/test-open-day").get_data(as_text=True)

    page = client.get("/events/test-open-day/register?slot=am").get_data(as_text=True)
    shown = _shown_by_default(page)
    heading = re.search(r"<h1>(.*?)</h1>", shown, flags=re.S).group(1)
    assert "加入候补名单" in heading and "填写报名信息" not in heading
    assert "提交后您会进入候补名单，还不算报名成功。" in shown
    assert "加入候补" in _buttons(shown) and "提交报名" not in _buttons(shown)


def test_the_form_for_a_free_slot_says_submit_and_promises_nothing_about_waiting(
        client, make_event, make_registration):
    event = _two_slots(make_event)
    _fill(make_registration, event, event.slots[0], 2)
    page = client.get("/events/test-open-day/register?slot=pm").get_data(as_text=True)
    shown = _shown_by_default(page)
    assert "填写报名信息" in shown and "加入候补名单" not in shown
    assert "进入候补名单" not in shown
    assert "提交报名" in _buttons(shown) and "加入候补" not in _buttons(shown)
    # The full slot is marked for the stylesheet, the free one not.
    assert re.search(r'value="am"[^>]*data-wait', page)
    assert not re.search(r'value="pm"[^>]*data-wait', page)


def test_an_event_without_a_waiting_list_shows_no_waiting_words(client, make_event):
    _two_slots(make_event, waitlist=False)
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    assert "候补" not in page
    assert _buttons(page)[-1] == "提交报名"


def _post(client, slot, join, phone="13800000001", party_size=1):
    data = {"slot": slot, "name": "王芳", "phone": phone, "party_size": str(party_size),
            "consent": "y", "submission_key": "k" * 20 + phone}
    if join is not None:
        data["join"] = join
    return client.post("/events/test-open-day/register", data=data)


def test_submit_for_a_slot_that_filled_up_asks_before_putting_them_on_the_list(
        client, db, make_event, make_registration):
    event = _two_slots(make_event)
    _fill(make_registration, event, event.slots[0], 2)

    response = _post(client, "am", "book")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "还没有报名成功" in page
    assert "“上午场”的名额已经约满。" in page
    assert "如果愿意候补，请按下面的“加入候补”；也可以选择其他场次。" in page
    assert "加入候补" in _buttons(_shown_by_default(page))
    # What was typed stays, the full slot still chosen.
    assert 'value="王芳"' in page and re.search(r'value="am"\s+checked', page)
    assert db.session.query(Registration).filter_by(phone="13800000001").count() == 0

    # Pressing "加入候补" on that page takes the waiting place, and the ticket says so.
    fields = form_as_shown(page, "/events/test-open-day/register")
    fields.update(consent="y", join="wait")
    response = client.post("/events/test-open-day/register", data=fields)
    assert response.status_code == 303
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "候补中" in ticket and "报名成功" not in ticket


def test_a_party_larger_than_the_seats_left_is_asked_too(client, make_event,
                                                        make_registration):
    event = _two_slots(make_event, am_capacity=3)
    _fill(make_registration, event, event.slots[0], 2)
    response = _post(client, "am", "book", party_size=3)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "“上午场”只剩 1 个名额，不够您一行 3 人。" in page
    # The chosen slot is a waiting place for this party: the page shows "加入候补".
    assert re.search(r'value="am"[^>]*data-wait', page)
    assert "加入候补" in _buttons(_shown_by_default(page))


def test_submit_for_a_free_slot_still_books_a_seat(client, make_event, make_registration):
    event = _two_slots(make_event)
    _fill(make_registration, event, event.slots[0], 2)
    response = _post(client, "pm", "book")
    assert response.status_code == 303
    assert "报名成功" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_form_without_the_button_field_still_joins_the_waiting_list(client, make_event,
                                                                     make_registration):
    """CONTRACT §4 names no button: a script that posts its fields keeps its waiting place."""
    event = _two_slots(make_event)
    _fill(make_registration, event, event.slots[0], 2)
    response = _post(client, "am", None)
    assert response.status_code == 303
    assert "候补中" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_double_click_on_submit_that_took_the_last_seat_shows_the_ticket(
        client, make_event, make_registration):
    """The second click finds the slot full now; it is the same form, so the same ticket,
    not the question."""
    event = _two_slots(make_event)
    _fill(make_registration, event, event.slots[0], 1)
    first = _post(client, "am", "book")
    second = _post(client, "am", "book")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
