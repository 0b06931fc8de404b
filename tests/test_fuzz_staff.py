"""Bad input never answers 500 on the staff side either, and never costs stored data:
generated field values thrown at every staff form and API (POST), nasty query strings at
every staff page (GET), and nasty path parameters (a slug, a volunteer's key, an id past
the database's range) at both, signed in as an admin and, where the route lets them in,
as door staff.

The routes are discovered from ``app.url_map`` and their URL parameters filled with real
records, so forms added later are swept too. The field names come from the forms' own
WTForms classes. After every request the stored data is checked:

* a refused request (4xx) has written nothing: events, slots, registrations, check-ins,
  staff accounts, invitations, evaluations and follow-ups read exactly as before;
* whatever the answer, nothing stored before is gone or rewritten behind the staff's back:
  every event, registration and staff account is still there under its own name, ticket and
  phone; every slot's ``booked`` is the seats its confirmed registrations hold and never
  passes its capacity.
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from wtforms import BooleanField, DateTimeField, FieldList, FormField, IntegerField, SelectField

from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, now_utc
from tests.feedback_factories import answers, check_in, started_slots

LOCAL = ZoneInfo("Asia/Shanghai")

NASTY_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "a\x00b", "😀" * 30,
                     "１３９００００２２２２", "+86 139 0000 1111", "=HYPERLINK(\"x\")", "",
                     " ", "a" * 20000, "\u202e", "abc\u202edef", "%s%n", "{{7*7}}",
                     "../../etc/passwd", "\r\n", "\ud7ff", "\U0010ffff", "null", "[]"]),
)
NASTY_NUMBER = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.integers(-2, 1001).map(str),  # around the fields' limits (1, 20, 1000)
    st.sampled_from(["100000", "100001", "1440", "1441", "21"]),
    st.sampled_from(["-1", "0", "1", "2147483647", "2147483648", "-2147483649",
                     "9223372036854775808", "99999999999999999999999999", "１２", "٣",
                     "1e5", "0x10", "3.5", "-0", " 5 ", "NaN", "inf", "∞", "+7", "1_000",
                     "²", "①", "١٢", "𝟙"]),  # digits to str.isdigit(), not all to int()
    NASTY_TEXT,
)
NASTY_DATETIME = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.sampled_from(["2026-02-30T10:00", "2026-13-01T10:00", "2026-06-28T24:00",
                     "2026-06-28T25:61", "2026-06-28T23:59", "0001-01-01T00:00",
                     "0000-01-01T00:00", "9999-12-31T23:59", "10000-01-01T00:00",
                     "1900-01-01T00:00", "1970-01-01T00:00", "2100-12-31T23:59",
                     "2026-06-28", "２０２６-０６-２８T１０:００", "2026-06-28T09:30:00+08:00",
                     "2026-06-28 09:30", "2026-06-28T09:30:61", "-2026-06-28T09:30", ""]),
    NASTY_TEXT,
)
NASTY_FLAG = st.sampled_from(["y", "n", "", "on", "off", "0", "false", "😀", "\x00"])
OUT_OF_RANGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999"]
NASTY_ID = st.one_of(st.integers(-10**20, 10**20).map(str), NASTY_TEXT,
                     st.sampled_from([*OUT_OF_RANGE_IDS, "-1", "0", "007", "²", "①", "١٢"]))

GET_QUERIES = st.fixed_dictionaries({}, optional={
    "q": NASTY_TEXT, "page": NASTY_NUMBER, "slot": NASTY_TEXT,
    "status": st.one_of(NASTY_TEXT, st.sampled_from(["confirmed", "pending", "cancelled"])),
    "sort": NASTY_TEXT, "show": st.one_of(NASTY_TEXT, st.sampled_from(["overdue", "all"])),
    "year": NASTY_NUMBER, "quarter": NASTY_NUMBER, "action": NASTY_TEXT, "event": NASTY_TEXT,
    "next": NASTY_TEXT,
})

FUZZ = settings(max_examples=15, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# Signing out ends the session the sweep runs in: its own tests cover it.
NOT_SWEPT = {"auth.logout"}


# --- the forms behind each POST route -------------------------------------------------

def _form_classes():
    """endpoint -> (WTForms class, prefix) for the routes that read a form class."""
    from app.admin.feedback_forms import CloseFollowUpForm
    from app.admin.forms import (
        CancelForm,
        EventForm,
        InvitationForm,
        PasswordResetForm,
        SeatsForm,
        StaffCreateForm,
        WalkInForm,
    )
    from app.admin.volunteer_forms import TimeCorrectionForm
    from app.auth.forms import LoginForm

    return {
        "auth.login": (LoginForm, ""),
        "admin.event_new": (EventForm, ""),
        "admin.event_edit": (EventForm, ""),
        "admin.registration_cancel": (CancelForm, ""),
        "admin.walk_in": (WalkInForm, ""),
        "admin.accounts_create": (StaffCreateForm, ""),
        "admin.accounts_password": (PasswordResetForm, ""),
        "admin.invitations_reserve": (SeatsForm, "reserve"),
        "admin.invitations_release": (SeatsForm, "release"),
        "admin.invitations_new": (InvitationForm, "invite"),
        "admin.close_follow_up": (CloseFollowUpForm, ""),
        "admin.volunteer_times": (TimeCorrectionForm, ""),
    }


# Views that read request.form by hand (no form class): their field names.
RAW_FIELDS = {
    "admin.volunteer_review": {"approve_one": "id", "reject_one": "id", "ids": "ids",
                               "action": "text", "reason": "text", "reason_{application}": "text"},
    "admin.volunteer_decision": {"action": "text", "reason": "text"},
    "checkin.checkout_form": {"code": "text", "gate": "text"},
}
# Bodies of the JSON API.
API_FIELDS = {"event": "text", "code": "text", "gate": "text", "nonce": "text",
              "scanned_at": "datetime", "source": "text"}


def _kind(field):
    if isinstance(field, BooleanField):
        return "flag"
    if isinstance(field, IntegerField):
        return "number"
    if isinstance(field, DateTimeField) or "DateTime" in type(field).__name__:
        return "datetime"
    if isinstance(field, SelectField):
        return "select"
    return "text"


def _flatten(fields):
    for field in fields:
        if isinstance(field, FieldList):
            while len(field.entries) < 2:
                field.append_entry()
            yield from _flatten(field)
        elif isinstance(field, FormField):
            yield from _flatten(field)
        else:
            yield field


def form_fields(app, endpoint, names):
    """The field names (and kinds) a POST to ``endpoint`` reads."""
    if endpoint in RAW_FIELDS:
        return {k.format(**names): v for k, v in RAW_FIELDS[endpoint].items()}
    if endpoint.startswith("checkin.api_"):
        return dict(API_FIELDS)
    found = _form_classes().get(endpoint)
    if found is None:  # a form added later and not listed above: every field we know of
        fields = {}
        for other in _form_classes():
            fields.update(form_fields(app, other, names))
        return fields
    form_class, prefix = found
    with app.test_request_context():
        form = form_class(formdata=None, prefix=prefix)
        return {f.name: _kind(f) for f in _flatten(form) if f.name != "csrf_token"}


VALUES = {"text": NASTY_TEXT, "number": NASTY_NUMBER, "datetime": NASTY_DATETIME,
          "flag": NASTY_FLAG, "id": NASTY_ID,
          "ids": st.lists(NASTY_ID, max_size=4),
          "select": st.one_of(NASTY_TEXT, st.sampled_from(["am", "pm", "onsite", "online",
                                                            "admin", "staff", "volunteer"]))}


def payloads(fields, base):
    """A form made wholly of nasty values, or a valid one (``base``) with a few of its
    fields made nasty: the second gets past the shape checks into the services."""
    nasty = st.fixed_dictionaries({}, optional={k: VALUES[v] for k, v in fields.items()})
    names = sorted(fields)

    @st.composite
    def spoiled(draw):
        data = dict(base)
        for name in draw(st.sets(st.sampled_from(names), min_size=1, max_size=3)):
            data[name] = draw(VALUES[fields[name]])
        if data and draw(st.booleans()):  # and one field left out
            del data[draw(st.sampled_from(sorted(data)))]
        return data

    return st.one_of(nasty, spoiled()) if base and names else nasty


# --- the records every URL parameter points at ----------------------------------------

def _local(dt):
    return dt.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def world(app, db, make_event, make_registration, make_staff):
    from app.models import OutboxMessage
    from app.services import feedback as feedback_service
    from app.services import volunteers as volunteer_service
    from app.services.invitations import create_invitation, reserve_seats
    from app.services.mail import queue

    start = now_utc() + timedelta(days=1)
    slots = [{"key": key, "label": label, "starts_at": (start + timedelta(hours=h)).isoformat(),
              "ends_at": (start + timedelta(hours=h + 2)).isoformat(), "capacity": 6,
              "mode": "onsite"} for key, label, h in (("am", "上午场", 0), ("pm", "下午场", 4))]
    event = make_event(slug="fuzz-staff-day", waitlist=True, slots=slots)
    registrations = [make_registration(event, party_size=2, email="a@example.com"),
                     make_registration(event),
                     make_registration(event, slot=event.slots[1])]
    reserve_seats(event.slots[0], 1)
    invitation = create_invitation(event, event.slots[0], label="市民代表", max_uses=1)

    shift_start = now_utc() - timedelta(minutes=30)
    drive = make_event(slug="fuzz-staff-drive", kind="volunteer", slots=[
        {"key": "s1", "label": "第一班", "starts_at": shift_start.isoformat(),
         "ends_at": (shift_start + timedelta(hours=3)).isoformat(), "capacity": 5,
         "mode": "onsite", "location": "一号点"}])
    admin = make_staff("admin", "admin")
    make_staff("staff", "staff")
    spare = make_staff("spare-user", "staff", password="spare-user-password")
    pending, approved = (volunteer_service.apply(
        drive, [drive.slots[0]], name=name, phone=phone, code_agreed=True,
        consent_version="test")[0] for name, phone in (("王五", "13700001111"),
                                                       ("赵六", "13700002222")))
    volunteer_service.approve(approved, admin)
    db.session.commit()
    check_in(approved)

    past = make_event(slug="fuzz-staff-past", slots=started_slots())
    feedback = feedback_service.submit(past, answers(1, comment="指示牌不清楚", wants_reply=True,
                                                     contact="13900001234"),
                                       browser_key="poster")
    queue("test", "a@example.com", "测试", "正文", registration=registrations[0])
    db.session.commit()
    message = db.session.execute(select(OutboxMessage)).scalars().first()

    names = {
        "slug": event.slug, "drive": drive.slug, "past": past.slug,
        "registration": registrations[1].id, "application": pending.id,
        "approved": approved.id, "user": spare.id, "invitation": invitation.id,
        "feedback": feedback.id, "follow_up": feedback.follow_up.id, "message": message.id,
        "person": volunteer_service.phone_key(approved.phone),
        "ticket": registrations[0].ticket_number, "drive_ticket": approved.ticket_number,
        "slot_starts": _local(event.slots[0].starts_at),
        "slot_ends": _local(event.slots[0].ends_at),
        "pm_starts": _local(event.slots[1].starts_at), "pm_ends": _local(event.slots[1].ends_at),
        "shift_starts": _local(drive.slots[0].starts_at),
        "opens": _local(event.registration_opens_at),
        "closes": _local(event.registration_closes_at),
    }
    assert_consistent(snapshot(db))
    return names


def _url(app, rule, names, *, ids=None, **overrides):
    """The rule's URL with real records: the drive for the volunteer routes, the event with
    evaluations for the evaluation routes, the open day for the others. ``ids``: every
    integer parameter instead; ``overrides``: parameters by name."""
    path = rule.rule
    if "volunteer" in path or "checkout" in path or "hours" in path:
        slug = names["drive"]
    elif "feedback" in path or "results" in path or "follow-ups" in path:
        slug = names["past"]
    else:
        slug = names["slug"]
    values = {"slug": slug, "user_id": names["user"], "invitation_id": names["invitation"],
              "feedback_id": names["feedback"], "follow_up_id": names["follow_up"],
              "message_id": names["message"], "person": names["person"], "fmt": "csv",
              "registration_id": names["application"] if "/volunteers/" in path
              else names["registration"]}
    if path.endswith("/times"):
        values["registration_id"] = names["approved"]
    if ids is not None:
        values.update((name, ids) for name in rule.arguments
                      if isinstance(values.get(name), int))
    values.update(overrides)
    args = {}
    for name in rule.arguments:
        assert name in values, f"no record for <{name}> in {rule.rule}: add one to world()"
        args[name] = values[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def _base(endpoint, names):
    """A valid form for the route (or nothing where a valid one would end the sweep)."""
    slot = {"slots-0-key": "am", "slots-0-label": "上午场", "slots-0-starts_at": names["slot_starts"],
            "slots-0-ends_at": names["slot_ends"], "slots-0-capacity": "6",
            "slots-0-mode": "onsite"}
    event = {"title": "测试开放日", "kind": "open_day", "registration_opens_at": names["opens"],
             "registration_closes_at": names["closes"], "max_party_size": "4", "waitlist": "y",
             "feedback_topics": "公共机构节能\n垃圾分类", **slot,
             "slots-1-key": "pm", "slots-1-label": "下午场", "slots-1-starts_at": names["pm_starts"],
             "slots-1-ends_at": names["pm_ends"], "slots-1-capacity": "6",
             "slots-1-mode": "onsite"}
    return {
        "admin.event_new": {**event, "slug": "fuzz-staff-new"},
        "admin.event_edit": event,
        "admin.registration_cancel": {"reason": "本人来电取消"},
        "admin.walk_in": {"slot": "am", "name": "现场登记", "phone": "13800001111",
                          "party_size": "1", "source": "walk_in"},
        "admin.accounts_create": {"username": "fuzz-new", "password": "a-long-password-1",
                                  "role": "staff", "display_name": "新同事"},
        "admin.accounts_password": {"password": "a-long-password-2"},
        "admin.invitations_reserve": {"reserve-slot": "am", "reserve-seats": "1"},
        "admin.invitations_release": {"release-slot": "am", "release-seats": "1"},
        "admin.invitations_new": {"invite-slot": "am", "invite-label": "代表",
                                  "invite-max_uses": "1"},
        "admin.close_follow_up": {"action_note": "已电话回访"},
        "admin.volunteer_times": {"checked_in_at": names["shift_starts"], "reason": "补记"},
        "admin.volunteer_review": {"ids": [str(names["application"])], "action": "approve"},
        "admin.volunteer_decision": {"action": "reject", "reason": "名额已满"},
        "checkin.checkout_form": {"code": names["drive_ticket"], "gate": "1"},
        "checkin.api_checkin": {"event": names["slug"], "code": names["ticket"], "gate": "1"},
        "checkin.api_checkout": {"event": names["drive"], "code": names["drive_ticket"],
                                 "gate": "1"},
        "auth.login": {"username": "admin", "password": "wrong-password"},
    }.get(endpoint, {})


def _sweep(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(("/staff", "/api")) and rule.endpoint not in NOT_SWEPT:
            yield rule


def _signed_in(app, role):
    client = app.test_client()
    password = ADMIN_PASSWORD if role == "admin" else STAFF_PASSWORD
    response = client.post("/staff/login", data={"username": role, "password": password})
    assert response.status_code == 302, response.data[:300]
    return client


def _allowed(app, rule, role):
    return role == "admin" or getattr(app.view_functions[rule.endpoint], "access", None) != "admin"


# --- what stored data must keep --------------------------------------------------------

KEPT_TABLES = ("event", "slot", "registration", "checkin", "staff_user", "invitation",
               "feedback", "follow_up")


def snapshot(db):
    """Every row of the tables people's data lives in, as {table: {id: {column: value}}}
    (not the audit log or the outbox: a refusal may well be logged)."""
    rows = {}
    for name in KEPT_TABLES:
        table = db.metadata.tables[name]
        rows[name] = {row.id: row._asdict() for row in db.session.execute(select(table))}
    db.session.commit()
    return rows


def assert_consistent(now, before=None):
    """Seats add up, and nothing stored ``before`` is gone or rewritten (snapshots)."""
    slots, registrations = now["slot"], now["registration"]
    for slot in slots.values():
        held = sum(r["party_size"] for r in registrations.values()
                   if r["slot_id"] == slot["id"] and r["status"] == "confirmed")
        assert slot["booked"] == held, ("booked", slot, held)
        assert 0 <= slot["booked"] and slot["booked"] + slot["reserved"] <= slot["capacity"]
    for registration in registrations.values():
        assert registration["slot_id"] in slots and registration["event_id"] in now["event"]
    if before is None:
        return
    kept = {"event": ("slug",), "staff_user": ("username", "role"),
            "registration": ("token", "ticket_number", "name", "phone", "party_size",
                             "event_id")}
    for table in KEPT_TABLES:
        gone = set(before[table]) - set(now[table])
        assert not gone, f"{table} rows {sorted(gone)} were deleted"
        for row_id, row in before[table].items():
            for column in kept.get(table, ()):
                assert now[table][row_id][column] == row[column], (table, row_id, column)


def _check(db, before, url, response, sent):
    """After one request: below 500; a refusal wrote nothing; what was stored holds.
    Returns the new snapshot (the next request's ``before``)."""
    assert response.status_code < 500, (url, sent, response.status_code,
                                        response.get_data(as_text=True)[:300])
    after = snapshot(db)
    if response.status_code >= 400:
        for table in KEPT_TABLES:
            assert after[table] == before[table], (f"{url} answered {response.status_code} "
                                                   f"but changed {table}", sent)
    assert_consistent(after, before)
    return after


def _post(client, url, endpoint, payload):
    if endpoint.startswith("checkin.api_"):
        return client.post(url, json=payload)
    return client.post(url, data=payload)


# --- the sweeps ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "staff"])
def test_staff_forms_never_answer_500_nor_lose_data(app, db, client, world, role):
    user = _signed_in(app, role)
    targets = []
    for rule in _sweep(app):
        if "POST" in rule.methods and _allowed(app, rule, role):
            fields = form_fields(app, rule.endpoint, world)
            targets.append((_url(app, rule, world), rule.endpoint,
                            payloads(fields, _base(rule.endpoint, world))))
    assert len(targets) >= (20 if role == "admin" else 5), [t[0] for t in targets]

    @FUZZ
    @given(data=st.data())
    def run(data):
        before = snapshot(db)
        for url, endpoint, strategy in targets:
            payload = data.draw(strategy, label=url)
            response = _post(user, url, endpoint, payload)
            before = _check(db, before, url, response, payload)

    run()


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_staff_pages_never_answer_500_to_nasty_query_strings(app, db, client, world, role):
    user = _signed_in(app, role)
    urls = [_url(app, rule, world) for rule in _sweep(app)
            if "GET" in rule.methods and _allowed(app, rule, role)
            and rule.endpoint != "auth.login"]
    assert len(urls) >= (20 if role == "admin" else 8), urls

    @FUZZ
    @given(query=GET_QUERIES)
    @example(query={"q": "", "page": "-1", "slot": "", "status": "", "sort": ""})
    @example(query={"page": "99999999999999999999", "year": "99999999999999999999"})
    @example(query={"page": "²", "quarter": "①"})  # digits to isdigit(), not to int()
    @example(query={"q": "a" * 20000, "slot": "😀", "status": "\u202e", "sort": "-id"})
    def run(query):
        before = snapshot(db)
        for url in urls:
            response = user.get(url, query_string=query)
            assert response.status_code < 500, (url, query, response.status_code)
        assert_consistent(snapshot(db), before)

    run()


NASTY_SEGMENT = st.one_of(
    NASTY_TEXT.filter(lambda text: 0 < len(text) < 500),
    st.sampled_from(["²", "①", "١٢", "..", ".", "%", "%00", "a/b", "😀", "csv", "xlsx",
                     "CSV", "json", "-1", "0", *OUT_OF_RANGE_IDS]),
)


def _string_arguments(rule):
    return [name for name in rule.arguments
            if type(rule._converters[name]).__name__ not in ("IntegerConverter",)]


def test_staff_urls_with_nasty_path_parameters_never_answer_500(app, db, client, world):
    """A slug, a person's key or a format typed or pasted wrong (a link cut short in a
    chat, a full-width digit): a 404 or a 400, never a 500, and nothing changes."""
    user = _signed_in(app, "admin")
    rules = [rule for rule in _sweep(app) if _string_arguments(rule)]
    assert len(rules) >= 10, [rule.rule for rule in rules]

    @FUZZ
    @given(value=NASTY_SEGMENT)
    def run(value):
        before = snapshot(db)
        for rule in rules:
            overrides = {name: value for name in _string_arguments(rule)}
            url = _url(app, rule, world, **overrides)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = user.open(url, method=method)
                assert response.status_code < 500, (method, url, response.status_code)
        after = snapshot(db)
        for table in KEPT_TABLES:  # POSTs without a form: all refused
            assert after[table] == before[table], table

    run()


def test_ids_no_record_can_have_are_not_found(app, db, client, world):
    """An id past the database's integer range (a link typed wrong, a probe) is a 404: it
    was a 500 on both databases (PostgreSQL: integer out of range; SQLite: the number
    cannot even be sent)."""
    user = _signed_in(app, "admin")
    rules = [rule for rule in _sweep(app) if len(_string_arguments(rule)) < len(rule.arguments)]
    assert len(rules) >= 10, [rule.rule for rule in rules]
    before = snapshot(db)
    for rule in rules:
        for big in OUT_OF_RANGE_IDS:
            url = _url(app, rule, world, ids=int(big))
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = user.open(url, method=method)
                assert response.status_code == 404, (method, url, response.status_code)
                assert "没有找到" in response.get_data(as_text=True)
    assert snapshot(db) == before
    # The largest id the database holds is still looked up (and simply not found).
    response = user.get(f"/staff/registrations/{2**31 - 1}")
    assert response.status_code == 404 and "没有找到这条报名记录" in response.get_data(as_text=True)


# --- volunteer ids and keys no row can have ---------------------------------------------

@pytest.mark.parametrize("field", ["ids", "approve_one"])
@pytest.mark.parametrize("value", ["²", "99999999999999999999"])
def test_volunteer_review_with_ids_no_application_can_have(app, db, client, world, field, value):
    user = _signed_in(app, "admin")
    before = snapshot(db)
    response = user.post(f"/staff/events/{world['drive']}/volunteers/review",
                         data={field: value, "action": "approve"})
    assert response.status_code == 303, response.status_code
    assert snapshot(db) == before


@pytest.mark.parametrize("person", ["²", "①"])
def test_volunteer_certificate_of_a_key_no_one_has(app, db, client, world, person):
    user = _signed_in(app, "admin")
    response = user.get(f"/staff/volunteers/{person}/certificate")
    assert response.status_code == 404, response.status_code
