"""The registration form and the ticket pages, through the Flask test client."""
import re
import threading
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select, text, update

from app.models import OutboxMessage, Registration, Slot
from tests.conftest import event_data, iso, now_utc


def form_data(**overrides):
    data = {"slot": "am", "name": "张三", "phone": "13900001111", "email": "",
            "party_size": "1", "consent": "y", "submission_key": "k" * 24}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def registrations(db):
    return db.session.execute(select(Registration)).scalars().all()


def booked(db, event):
    db.session.expire_all()
    return db.session.get(Slot, event.slots[0].id).booked


def token_of(response):
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    path = urlparse(response.headers["Location"]).path
    match = re.fullmatch(r"/tickets/([A-Za-z0-9_-]+)", path)
    assert match, path
    return match.group(1)


def test_form_shows_fields_of_the_contract(client, make_event):
    make_event()
    response = client.get("/events/test-open-day/register")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("slot", "name", "phone", "email", "party_size", "consent", "submission_key",
                 "website"):
        assert f'name="{name}"' in page
    # consent is unticked by default and links to the notice
    assert re.search(r'<input[^>]*name="consent"[^>]*>', page).group(0).count("checked") == 0
    assert "/privacy" in page


def test_registration_confirms_and_redirects_to_the_ticket(client, db, make_event):
    event = make_event()
    response = client.post("/events/test-open-day/register",
                           data=form_data(party_size="3", email="zhang@example.com"))
    assert response.status_code == 303
    token = token_of(response)
    [registration] = registrations(db)
    assert registration.token == token and registration.status == "confirmed"
    assert registration.party_size == 3 and booked(db, event) == 3
    assert registration.consent_version == client.application.config["PRIVACY_NOTICE_VERSION"]
    assert registration.consented_at is not None
    ticket = client.get(f"/tickets/{token}")
    assert ticket.status_code == 200
    assert ticket.headers["Cache-Control"] == "no-store"
    page = ticket.get_data(as_text=True)
    assert "报名成功" in page and registration.ticket_number in page
    assert f"/tickets/{token}/qr.png" in page


@pytest.mark.parametrize("typed", ["+86 139 0000 1111", "１３９００００１１１１", "139-0000-1111",
                                   "0086 13900001111", "(139) 0000 1111"])
def test_phone_is_stored_as_eleven_digits(client, db, make_event, typed):
    make_event()
    response = client.post("/events/test-open-day/register", data=form_data(phone=typed))
    assert response.status_code == 303
    assert registrations(db)[0].phone == "13900001111"


def test_full_width_phone_with_other_digits(client, db, make_event):
    make_event()
    client.post("/events/test-open-day/register", data=form_data(phone="１３９００００２２２２"))
    assert registrations(db)[0].phone == "13900002222"


@pytest.mark.parametrize("field,value,message", [
    ("phone", "12345", "11 位中国大陆手机号码"),
    ("phone", "12900001111", "11 位中国大陆手机号码"),
    ("phone", "", "请填写手机号码"),
    ("name", "", "请填写姓名"),
    ("name", "   ", "请填写姓名"),
    ("name", "张" * 20000, "姓名最多 50 个字"),
    ("name", "张\x07三", "无法显示的字符"),
    ("name", "张\u202e三", "无法显示的字符"),
    ("email", "not-an-email", "邮箱地址格式不对"),
    ("party_size", "5", "请从列表中选择"),
    ("party_size", "0", "请从列表中选择"),
    ("party_size", "两", "请从列表中选择"),
    ("slot", "nope", "请选择一个场次"),
    ("slot", None, "请选择一个场次"),
    ("consent", None, "勾选同意"),
])
def test_invalid_input_is_400_with_the_form_and_a_chinese_message(
        client, db, make_event, field, value, message):
    event = make_event(slots=None)
    response = client.post("/events/test-open-day/register", data=form_data(**{field: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'name="phone"' in page  # the form is shown again
    assert registrations(db) == [] and booked(db, event) == 0


def test_form_keeps_what_was_typed_and_escapes_it(client, make_event):
    make_event()
    response = client.post("/events/test-open-day/register",
                           data=form_data(name="<script>alert(1)</script>", phone="123"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_script_name_is_escaped_on_the_ticket(client, make_event):
    make_event()
    token = token_of(client.post("/events/test-open-day/register",
                                 data=form_data(name="<script>x</script>")))
    page = client.get(f"/tickets/{token}").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_emoji_name_is_accepted(client, db, make_event):
    make_event()
    assert client.post("/events/test-open-day/register",
                       data=form_data(name="王小明👨‍👩‍👧")).status_code == 303
    assert registrations(db)[0].name == "王小明👨‍👩‍👧"


def test_honeypot_turns_bots_away(client, db, make_event):
    event = make_event()
    response = client.post("/events/test-open-day/register",
                           data=form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert registrations(db) == [] and booked(db, event) == 0


@pytest.mark.parametrize("unticked", ["n", "no", "0", "false", ""])
def test_consent_must_be_given_not_assumed(client, db, make_event, unticked):
    make_event()
    response = client.post("/events/test-open-day/register", data=form_data(consent=unticked))
    assert response.status_code == 400
    assert "请阅读个人信息保护说明并勾选同意" in response.get_data(as_text=True)
    assert registrations(db) == []


def test_an_over_long_email_gets_one_message_not_two(client, db, make_event):
    make_event()
    response = client.post("/events/test-open-day/register",
                           data=form_data(email="a" * 300 + "@example.com"))
    assert response.status_code == 400
    error = re.search(r'id="email-error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
    assert error.group(1).strip() == "邮箱地址太长了。"


def test_same_phone_twice_is_409(app, client, db, make_event):
    event = make_event()
    token_of(client.post("/events/test-open-day/register", data=form_data(submission_key="a" * 24)))
    response = app.test_client().post("/events/test-open-day/register",  # another browser
                           data=form_data(phone="+86 139-0000-1111", name="李四",
                                          submission_key="b" * 24))
    assert response.status_code == 409
    assert "已经报名" in response.get_data(as_text=True)
    assert len(registrations(db)) == 1 and booked(db, event) == 1


def test_the_back_button_or_a_second_tab_leads_back_to_the_ticket(app, client, db, make_event):
    """A new form (the back button reloads it, or a second tab) from the browser that got the
    ticket: the person is shown their ticket, not a refusal. Another browser is refused."""
    event = make_event()
    first = token_of(client.post("/events/test-open-day/register",
                                 data=form_data(submission_key="a" * 24)))
    again = client.post("/events/test-open-day/register",
                        data=form_data(phone="139 0000 1111", submission_key="b" * 24))
    assert token_of(again) == first
    assert "您已经报名成功，不用再报一次" in client.get(f"/tickets/{first}").get_data(as_text=True)
    stranger = app.test_client().post("/events/test-open-day/register",
                                      data=form_data(submission_key="c" * 24))
    assert stranger.status_code == 409
    assert len(registrations(db)) == 1 and booked(db, event) == 1


def test_resubmitted_form_gives_the_same_ticket(client, db, make_event):
    event = make_event()
    first = token_of(client.post("/events/test-open-day/register", data=form_data()))
    again = token_of(client.post("/events/test-open-day/register", data=form_data()))
    assert first == again
    assert len(registrations(db)) == 1 and booked(db, event) == 1


def test_each_form_carries_a_fresh_submission_key(client, make_event):
    make_event()
    keys = set()
    for _ in range(2):
        page = client.get("/events/test-open-day/register").get_data(as_text=True)
        keys.add(re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1))
    assert len(keys) == 2 and all(len(k) >= 16 for k in keys)


def test_full_slot_without_waitlist_is_409(client, db, make_event, make_registration):
    event = make_event()
    for _ in range(5):
        make_registration(event, party_size=2)
    assert booked(db, event) == 10
    response = client.post("/events/test-open-day/register", data=form_data())
    assert response.status_code == 409
    assert "约满" in response.get_data(as_text=True)
    assert booked(db, event) == 10


def test_full_slot_keeps_the_form_when_another_slot_has_room(client, db, make_event,
                                                             make_registration):
    start = now_utc() + timedelta(days=1)
    slots = [{"key": key, "label": label, "starts_at": iso(start + timedelta(hours=h)),
              "ends_at": iso(start + timedelta(hours=h + 2)), "capacity": 2, "mode": "onsite"}
             for key, label, h in (("am", "上午场", 0), ("pm", "下午场", 4))]
    event = make_event(slots=slots)
    make_registration(event, party_size=2)
    response = client.post("/events/test-open-day/register", data=form_data(name="赵六"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "约满" in page and 'value="赵六"' in page and 'value="pm"' in page
    token_of(client.post("/events/test-open-day/register", data=form_data(name="赵六", slot="pm")))


def test_party_larger_than_the_seats_left_is_refused(client, db, make_event, make_registration):
    event = make_event()
    for _ in range(4):
        make_registration(event, party_size=2)
    response = client.post("/events/test-open-day/register",
                           data=form_data(party_size="3", name="赵六"))
    assert response.status_code == 409
    assert booked(db, event) == 8
    # Two seats are left, not none: the page says so and keeps the form to change the party.
    page = response.get_data(as_text=True)
    assert "只剩 2 个名额" in page and "约满" not in page
    assert 'value="赵六"' in page and 'name="party_size"' in page
    token_of(client.post("/events/test-open-day/register", data=form_data(party_size="2")))
    assert booked(db, event) == 10


def test_full_slot_with_waitlist_offers_it_and_waitlists(client, db, make_event, make_registration):
    event = make_event(waitlist=True)
    for _ in range(5):
        make_registration(event, party_size=2)
    assert "已满，可候补" in client.get("/events/test-open-day").get_data(as_text=True)
    token = token_of(client.post("/events/test-open-day/register", data=form_data()))
    page = client.get(f"/tickets/{token}").get_data(as_text=True)
    assert "候补中" in page and "qr.png" not in page
    number = db.session.execute(select(Registration.ticket_number)
                                .where(Registration.token == token)).scalar_one()
    assert number in page  # a reference to quote when calling the office
    assert client.get(f"/tickets/{token}/qr.png").status_code == 404
    assert booked(db, event) == 10


def test_a_party_larger_than_the_slot_is_refused_not_put_on_its_waiting_list(
        client, db, make_event):
    """No cancellation ever frees four seats of a slot of three: such a party would wait
    forever. Refused beside the party size, as without a waiting list, and nothing kept."""
    from app.services.invitations import reserve_seats

    event = make_event(waitlist=True, slots=[dict(event_data()["slots"][0], capacity=3)])
    response = client.post("/events/test-open-day/register",
                           data=form_data(party_size="4", name="赵六"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "这个场次最多 3 人" in page and 'value="赵六"' in page and 'name="party_size"' in page
    assert registrations(db) == [] and booked(db, event) == 0
    # The invitees' reserve is not the public's: two of five seats held back leave three.
    db.session.execute(update(Slot).where(Slot.id == event.slots[0].id).values(capacity=5))
    reserve_seats(db.session.get(Slot, event.slots[0].id), 2)
    db.session.commit()
    response = client.post("/events/test-open-day/register", data=form_data(party_size="4"))
    assert response.status_code == 409 and "这个场次最多 3 人" in response.get_data(as_text=True)
    assert registrations(db) == []
    # A party that fits the slot, only not the seats left, still joins the waiting list.
    token_of(client.post("/events/test-open-day/register",
                         data=form_data(party_size="2", phone="13900002222",
                                        submission_key="a" * 24)))
    token_of(client.post("/events/test-open-day/register",
                         data=form_data(party_size="3", phone="13900003333",
                                        submission_key="b" * 24)))
    assert sorted(r.status for r in registrations(db)) == ["confirmed", "waitlisted"]


def test_full_slot_without_waitlist_is_marked_and_not_offered(client, make_event, make_registration):
    event = make_event()
    for _ in range(5):
        make_registration(event, party_size=2)
    page = client.get("/events/test-open-day").get_data(as_text=True)
    assert "已满" in page and "候补" not in page
    assert "register?slot=am" not in page
    form = client.get("/events/test-open-day/register").get_data(as_text=True)
    assert "所有场次的名额都已约满" in form and 'name="phone"' not in form


def test_a_full_slot_cannot_be_picked_while_another_has_room(client, make_event,
                                                             make_registration):
    start = now_utc() + timedelta(days=1)
    event = make_event(slots=[
        {"key": key, "label": key, "starts_at": iso(start + timedelta(hours=h)),
         "ends_at": iso(start + timedelta(hours=h + 1)), "capacity": 1, "mode": "onsite"}
        for key, h in (("am", 0), ("pm", 3))])
    make_registration(event)
    form = client.get("/events/test-open-day/register").get_data(as_text=True)
    assert re.search(r'<input[^>]*value="am"[^>]*disabled', form)
    assert not re.search(r'<input[^>]*value="pm"[^>]*disabled', form)


def test_event_page_shows_seats_left_time_and_place(client, make_event, make_registration):
    event = make_event(what_to_bring="请携带身份证")
    make_registration(event, party_size=3)
    page = client.get("/events/test-open-day").get_data(as_text=True)
    assert "剩余 7 个名额" in page and "区行政中心" in page and "请携带身份证" in page
    local = event.slots[0].starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%H:%M") in page


@pytest.mark.parametrize("opens,closes,message", [
    (1, 2, "报名尚未开始"),
    (-3, -1, "报名已经截止"),
])
def test_outside_the_window_the_page_says_why_and_accepts_nothing(
        client, db, make_event, opens, closes, message):
    make_event(registration_opens_at=(now_utc() + timedelta(hours=opens)).isoformat(),
               registration_closes_at=(now_utc() + timedelta(hours=closes)).isoformat())
    page = client.get("/events/test-open-day/register")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert 'name="phone"' not in page.get_data(as_text=True)
    response = client.post("/events/test-open-day/register", data=form_data())
    assert response.status_code == 409
    assert registrations(db) == []


def test_an_event_closed_early_says_so_without_a_deadline_still_to_come(client, db, make_event):
    make_event(status="closed")  # the deadline is days away; the office closed it
    for url in ("/events/test-open-day", "/events/test-open-day/register"):
        page = client.get(url).get_data(as_text=True)
        assert "本次活动的报名已经结束" in page
        assert "截止时间" not in page and "剩余" not in page


def test_unknown_and_draft_events_are_404(client, make_event):
    make_event(slug="draft-day", status="draft")
    assert client.get("/events/no-such/register").status_code == 404
    assert client.post("/events/draft-day/register", data=form_data()).status_code == 404


def test_volunteer_event_renders_the_application_form(client, make_event):
    make_event(slug="vol-drive", kind="volunteer", max_party_size=1)
    page = client.get("/events/vol-drive/register")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="phone"' in html and 'name="slots"' in html and 'name="age_group"' in html


def test_csrf_is_required_when_enabled(make_app, app, db, make_event):
    event = make_event()
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    response = client.post("/events/test-open-day/register", data=form_data())
    assert response.status_code == 400
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/events/test-open-day/register", data=form_data(csrf_token=token))
    assert response.status_code == 303
    assert booked(db, event) == 1


def test_lock_timeout_answers_503_with_retry_after_and_writes_nothing(make_app, app, db, make_event):
    """Another connection holds SQLite's write lock longer than the busy timeout."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's busy timeout; PostgreSQL has no lock on this path")
    event = make_event()
    quick = make_app(SQLITE_BUSY_TIMEOUT_MS=100)
    holder_ready, release = threading.Event(), threading.Event()

    def hold_lock():
        with app.test_request_context(method="POST"), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # BEGIN IMMEDIATE holds the write lock
            holder_ready.set()
            release.wait(10)
            conn.rollback()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    assert holder_ready.wait(5)
    try:
        with quick.app_context():
            response = quick.test_client().post("/events/test-open-day/register",
                                                data=form_data())
            from app.extensions import db as quick_db
            quick_db.engine.dispose()
    finally:
        release.set()
        thread.join()
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "系统繁忙" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(Registration.id))).scalar() == 0
    assert booked(db, event) == 0
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar() == 0


def test_pages_that_only_read_do_not_wait_for_the_write_lock(make_app, app, db, make_event,
                                                            make_registration):
    """While a booking holds SQLite's write lock, the form, the event page, a ticket and a
    refusal for a full slot still answer (they read without BEGIN IMMEDIATE)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    event = make_event(slots=None)
    token = make_registration(event).token
    make_event(slug="full-day", slots=[{
        "key": "am", "label": "上午场", "starts_at": iso(now_utc() + timedelta(days=1)),
        "ends_at": iso(now_utc() + timedelta(days=1, hours=2)), "capacity": 0, "mode": "onsite"}])
    db.session.rollback()
    quick = make_app(SQLITE_BUSY_TIMEOUT_MS=100)
    holder_ready, release = threading.Event(), threading.Event()

    def hold_lock():
        with app.test_request_context(method="POST"), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            holder_ready.set()
            release.wait(10)
            conn.rollback()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    assert holder_ready.wait(5)
    try:
        client = quick.test_client()
        assert client.get("/events/test-open-day/register").status_code == 200
        assert client.get("/events/test-open-day").status_code == 200
        assert client.get(f"/tickets/{token}").status_code == 200
        assert client.post("/events/full-day/register", data=form_data()).status_code == 409
        assert client.post("/events/test-open-day/register",
                           data=form_data(phone="13800002222")).status_code == 503
    finally:
        release.set()
        thread.join()
        with quick.app_context():
            from app.extensions import db as quick_db
            quick_db.engine.dispose()


def test_postgres_lock_timeout_answers_503_and_writes_nothing(make_app, app, db, make_event):
    """PostgreSQL with a lock_timeout: a booking that waits too long for the slot row (held
    by another transaction) answers 503 with Retry-After, and nothing is written."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout")
    event = make_event()
    slot_id = event.slots[0].id
    db.session.rollback()
    quick = make_app(SQLALCHEMY_ENGINE_OPTIONS={
        "pool_pre_ping": True, "connect_args": {"options": "-c lock_timeout=200"}})
    with db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM slot WHERE id = :id FOR UPDATE"), {"id": slot_id})
        response = quick.test_client().post("/events/test-open-day/register",
                                            data=form_data())
        holder.rollback()
    with quick.app_context():
        from app.extensions import db as quick_db
        quick_db.engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert db.session.execute(select(func.count(Registration.id))).scalar() == 0
    assert booked(db, event) == 0
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar() == 0


@pytest.mark.parametrize("email", ["", "zhang@example.com"])
def test_the_seat_update_is_the_last_statement_before_the_commit(client, db, make_event, email):
    """The conditional UPDATE locks the slot's row (PostgreSQL) until the commit, and every
    booking of that slot waits for it: the registration row and its confirmation mail go in
    first (the mail's templates rendered before), the seats last."""
    from sqlalchemy import event as sa_event

    event = make_event()
    db.session.commit()
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()[:3]).upper())

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        token_of(client.post("/events/test-open-day/register", data=form_data(email=email)))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)
    statements = [s for s in statements if s not in ("COMMIT", "BEGIN IMMEDIATE")]
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes[0] == "INSERT INTO REGISTRATION", writes
    assert statements[-1] == "UPDATE SLOT SET", statements
    assert ("INSERT INTO OUTBOX_MESSAGE" in writes) == bool(email), writes
    assert not any("SAVEPOINT" in s for s in statements), statements
    assert booked(db, event) == 1
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [m.kind for m in messages] == (["confirmation"] if email else [])


def test_on_postgresql_pages_read_in_autocommit_and_a_booking_writes_in_one_transaction(
        client, db, make_event):
    """A page that only reads sends no BEGIN and no ROLLBACK (read_only); a booking reads
    the same way and then writes its rows in one transaction (begin_writing)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from sqlalchemy import event as sa_event

    event = make_event()
    db.session.commit()
    seen = []

    def remember(conn, cursor, statement, *args):
        seen.append((statement.split()[0].upper(), conn.connection.dbapi_connection.autocommit))

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert client.get("/events/test-open-day").status_code == 200
        page_reads = list(seen)
        db.session.rollback()  # the test client shares this session between requests
        seen.clear()
        response = client.post("/events/test-open-day/register",
                               data=form_data(email="zhang@example.com"))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)
    token_of(response)
    assert page_reads and all(autocommit for _, autocommit in page_reads), page_reads
    first_write = next(i for i, (verb, _) in enumerate(seen) if verb in ("INSERT", "UPDATE"))
    assert all(autocommit for _, autocommit in seen[:first_write]), seen
    assert not any(autocommit for _, autocommit in seen[first_write:]), seen
    assert {verb for verb, _ in seen[first_write:]} >= {"INSERT", "UPDATE"}
    assert booked(db, event) == 1 and len(registrations(db)) == 1
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 1


def _slot(key, label, starts_in, hours=2, capacity=10):
    start = now_utc() + starts_in
    return {"key": key, "label": label, "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=hours)), "capacity": capacity, "mode": "onsite"}


def test_a_slot_that_has_started_takes_no_more_bookings(client, db, make_event):
    """The registration window may close after a slot starts: that slot stops taking
    bookings at its start, the others go on."""
    make_event(slots=[_slot("am", "上午场", -timedelta(minutes=10)),
                      _slot("pm", "下午场", timedelta(hours=4))])
    page = client.get("/events/test-open-day").get_data(as_text=True)
    assert "已开始，不再报名" in page
    assert "/events/test-open-day/register?slot=am" not in page
    assert "/events/test-open-day/register?slot=pm" in page
    form = client.get("/events/test-open-day/register?slot=am").get_data(as_text=True)
    assert re.search(r'<input[^>]*value="am"[^>]*disabled', form)
    assert 'checked' not in re.search(r'<input[^>]*value="am"[^>]*>', form).group(0)
    refused = client.post("/events/test-open-day/register", data=form_data(slot="am"))
    assert refused.status_code == 400 and registrations(db) == []
    # A form opened before the slot began says why, not just "choose a slot".
    assert "这个场次已经开始，不能再报名" in refused.get_data(as_text=True)
    token_of(client.post("/events/test-open-day/register",
                         data=form_data(slot="pm", phone="13900002222", submission_key="p" * 24)))
    assert [r.slot.key for r in registrations(db)] == ["pm"]


def test_when_every_slot_has_started_the_pages_say_booking_is_over(client, db, make_event):
    make_event(slots=[_slot("am", "上午场", -timedelta(minutes=10))])
    for path in ("/events/test-open-day", "/events/test-open-day/register"):
        assert "所有场次都已开始，报名已经结束。" in client.get(path).get_data(as_text=True)
    response = client.post("/events/test-open-day/register", data=form_data())
    assert response.status_code == 409 and registrations(db) == []


def test_an_invitation_to_a_slot_that_has_started_takes_no_booking(client, db, make_event):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event(slots=[_slot("am", "上午场", -timedelta(minutes=10))])
    reserve_seats(event.slots[0], 2)
    invitation = create_invitation(event, event.slots[0], label="市民代表", max_uses=2)
    db.session.commit()
    assert "这个场次已经开始" in client.get(f"/invite/{invitation.token}").get_data(as_text=True)
    response = client.post(f"/invite/{invitation.token}", data={
        "name": "代表甲", "phone": "13700000001", "party_size": "1", "consent": "y",
        "submission_key": "k1"})
    assert response.status_code == 409 and registrations(db) == []
