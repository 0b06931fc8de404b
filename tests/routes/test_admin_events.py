"""Admin event set-up: create, edit, publish, close, export; the same rules as import."""
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.models import AuditLog, Event
from tests.conftest import event_data, now_utc

TZ = ZoneInfo("Asia/Shanghai")


def local(dt):
    return dt.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def form_data(slug="new-day", slots=2, **overrides):
    start = now_utc() + timedelta(days=10)
    data = {
        "slug": slug, "kind": "open_day", "title": "节能宣传周开放日", "description": "参观",
        "location": "区行政中心", "what_to_bring": "身份证",
        "registration_opens_at": local(now_utc() - timedelta(days=1)),
        "registration_closes_at": local(now_utc() + timedelta(days=9)),
        "max_party_size": "3", "waitlist": "y", "feedback_topics": "公共机构节能\n垃圾分类\n",
    }
    for i in range(slots):
        begin = start + timedelta(hours=3 * i)
        data.update({f"slots-{i}-key": f"s{i}", f"slots-{i}-label": f"第{i + 1}场",
                     f"slots-{i}-starts_at": local(begin),
                     f"slots-{i}-ends_at": local(begin + timedelta(hours=2)),
                     f"slots-{i}-capacity": "30", f"slots-{i}-mode": "onsite",
                     f"slots-{i}-location": "", f"slots-{i}-join_url": ""})
    # A blank row, as the page shows one, is ignored.
    data.update({f"slots-{slots}-key": "", f"slots-{slots}-label": "",
                 f"slots-{slots}-starts_at": "", f"slots-{slots}-ends_at": "",
                 f"slots-{slots}-capacity": "", f"slots-{slots}-mode": "onsite"})
    data.update(overrides)
    return data


def audit_actions(db):
    return db.session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()


def test_admin_creates_an_event_with_two_slots_as_a_draft(client, auth, db):
    auth.login("admin")
    page = client.get("/staff/events/new")
    assert page.status_code == 200
    assert 'name="slots-2-key"' in page.get_data(as_text=True)  # three rows to fill
    response = client.post("/staff/events/new", data=form_data())
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith("/staff/events/new-day")
    event = db.session.execute(select(Event).where(Event.slug == "new-day")).scalar_one()
    assert event.status == "draft"
    assert [s.key for s in event.slots] == ["s0", "s1"]
    assert event.slots[0].capacity == 30
    assert event.max_party_size == 3 and event.waitlist is True
    assert event.feedback_topics == ["公共机构节能", "垃圾分类"]
    # Times typed in Beijing time are stored in UTC.
    assert local(event.slots[0].starts_at) == form_data()["slots-0-starts_at"]
    assert "event.create" in audit_actions(db)
    detail = client.get("/staff/events/new-day").get_data(as_text=True)
    assert "第1场" in detail and "第2场" in detail and "草稿" in detail
    # A draft is not public.
    assert client.get("/events/new-day").status_code == 404


def test_invalid_event_form_shows_the_errors_and_saves_nothing(client, auth, db):
    auth.login("admin")
    data = form_data(slug="Bad Slug!")
    data["slots-1-ends_at"] = data["slots-1-starts_at"]
    response = client.post("/staff/events/new", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "请修改以下内容" in body and "slug" in body
    assert db.session.execute(select(Event)).first() is None


def test_form_uses_the_same_rules_as_import(client, auth, db):
    """A slot ending before it starts is refused by services.events.validate_event_data,
    and the message lands on that slot's field."""
    auth.login("admin")
    data = form_data()
    data["slots-1-ends_at"] = data["slots-1-starts_at"]
    response = client.post("/staff/events/new", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="slots-1-ends_at-error"' in body
    assert "应晚于开始时间" in body
    # Beside its field the message does not name the field again (nor by the import's JSON
    # path); the summary at the top puts the label in front, once.
    error = re.search(r'id="slots-1-ends_at-error"[^>]*>(.*?)</p>', body).group(1)
    assert error == "应晚于开始时间。"
    assert "场次 2 结束时间：应晚于开始时间。" in body and "结束时间 应晚于" not in body
    data = form_data(registration_closes_at=form_data()["registration_opens_at"])
    response = client.post("/staff/events/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "报名截止时间" in body
    error = re.search(r'id="registration_closes_at-error"[^>]*>(.*?)</p>', body).group(1)
    assert "报名截止时间" in error and "registration_closes_at" not in error
    duplicate = form_data()
    duplicate["slots-1-key"] = "s0"
    response = client.post("/staff/events/new", data=duplicate)
    assert response.status_code == 400 and "场次代码不能重复" in response.get_data(as_text=True)
    assert db.session.execute(select(Event)).first() is None


def test_event_without_slots_is_refused(client, auth, db):
    auth.login("admin")
    response = client.post("/staff/events/new", data=form_data(slots=0))
    assert response.status_code == 400
    assert "至少要有一个场次" in response.get_data(as_text=True)


def test_taken_slug_is_refused(client, auth, make_event):
    make_event(slug="taken-slug")
    auth.login("admin")
    response = client.post("/staff/events/new", data=form_data(slug="taken-slug"))
    assert response.status_code == 400
    assert "已被其他活动使用" in response.get_data(as_text=True)


def test_hostile_text_is_escaped(client, auth, db):
    auth.login("admin")
    client.post("/staff/events/new", data=form_data(title="<script>alert(1)</script>"))
    body = client.get("/staff/events/new-day").get_data(as_text=True)
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


def test_admin_edits_an_event_and_adds_a_slot(client, auth, make_event, db):
    event = make_event(slug="edit-me")
    auth.login("admin")
    page = client.get("/staff/events/edit-me/edit").get_data(as_text=True)
    assert 'value="am"' in page and 'name="slots-2-key"' in page
    data = form_data(slug="ignored", title="改过的标题", slots=1)
    data.update({"slots-0-key": "am", "slots-0-capacity": "12",
                 "slots-1-key": "pm", "slots-1-label": "下午场",
                 "slots-1-starts_at": data["slots-0-starts_at"],
                 "slots-1-ends_at": data["slots-0-ends_at"], "slots-1-capacity": "5"})
    response = client.post("/staff/events/edit-me/edit", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.slug == "edit-me" and event.title == "改过的标题"
    assert {s.key: s.capacity for s in event.slots} == {"am": 12, "pm": 5}
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "event.update")).scalar_one()
    assert "title" in row.detail["changed"] and "slots" in row.detail["changed"]


def test_two_tabs_editing_one_event_do_not_silently_undo_each_other(client, auth, make_event, db):
    event = make_event(slug="two-tabs")
    auth.login("admin")
    tab_a = _form_values(client.get("/staff/events/two-tabs/edit").get_data(as_text=True))
    tab_b = _form_values(client.get("/staff/events/two-tabs/edit").get_data(as_text=True))
    assert tab_a["edited_version"] == tab_b["edited_version"] != ""
    assert client.post("/staff/events/two-tabs/edit",
                       data={**tab_a, "title": "甲改的标题", "location": "新址"}).status_code == 303
    # The second tab still shows the old title: its save is refused, and says why.
    stale = client.post("/staff/events/two-tabs/edit", data={**tab_b, "slots-0-capacity": "15"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "这个活动刚被修改过，您的修改没有保存" in page
    assert 'value="15"' in page  # what was typed is still there
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.title, event.location, event.slots[0].capacity) == ("甲改的标题", "新址", 10)
    # Saved again from that page, knowingly: it is taken.
    again = client.post("/staff/events/two-tabs/edit", data=_form_values(page))
    assert again.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).slots[0].capacity == 15
    # Publishing meanwhile (the form does not edit the status) is no conflict.
    fresh = _form_values(client.get("/staff/events/two-tabs/edit").get_data(as_text=True))
    assert client.post("/staff/events/two-tabs/publish").status_code == 303
    assert client.post("/staff/events/two-tabs/edit",
                       data={**fresh, "title": "再改"}).status_code == 303


def test_the_event_page_shows_who_is_waiting_per_slot(client, auth, make_event,
                                                     make_registration):
    from tests.conftest import event_data

    event = make_event(slug="queue-day", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=2)])
    make_registration(event, party_size=2)
    make_registration(event, party_size=2)  # waits: 2 people
    auth.login("admin")
    page = client.get("/staff/events/queue-day").get_data(as_text=True)
    header = re.search(r'<table class="data[^"]*" id="slots">.*?</thead>', page, re.S).group(0)
    assert "候补" in header
    row = re.search(r"<tbody>(.*?)</tbody>", page.split('id="slots"')[1], re.S).group(1)
    assert re.findall(r'<td[^>]*class="num">(\d+)</td>', row) == ["2", "2", "0", "0", "2"]
    # The invitations page names its event, as the other pages of an event do.
    invitations = client.get("/staff/events/queue-day/invitations").get_data(as_text=True)
    assert re.search(r"<h1>[^<]*· " + re.escape(event.title) + "</h1>", invitations)


def test_capacity_cannot_drop_below_seats_taken(client, auth, make_event, make_registration, db):
    event = make_event(slug="busy")
    make_registration(event, party_size=3)
    auth.login("admin")
    page = client.get("/staff/events/busy/edit")
    assert page.status_code == 200
    data = form_data(slots=1)
    data.update({"slots-0-key": "am", "slots-0-capacity": "2"})
    response = client.post("/staff/events/busy/edit", data=data)
    assert response.status_code == 400
    assert "容量不能减少" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).slots[0].capacity == 10


def test_publish_and_close(client, auth, make_event, db):
    event = make_event(slug="lifecycle", status="draft")
    auth.login("admin")
    assert client.post("/staff/events/lifecycle/publish").status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"
    assert client.get("/events/lifecycle").status_code == 200
    assert client.post("/staff/events/lifecycle/close").status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "closed"
    # Closing again (another tab, the back button): back to the event with the reason, and
    # nothing changes.
    again = client.post("/staff/events/lifecycle/close", follow_redirects=True)
    assert again.status_code == 200 and 'class="flash flash-error"' in again.get_data(as_text=True)
    assert "活动已经关闭，无需再次关闭。" in again.get_data(as_text=True)
    assert client.post("/staff/events/lifecycle/publish").status_code == 303
    again = client.post("/staff/events/lifecycle/publish", follow_redirects=True)
    assert "活动已经发布，无需再次发布。" in again.get_data(as_text=True)
    actions = audit_actions(db)
    assert actions.count("event.publish") == 2 and actions.count("event.close") == 1


def test_export_json_round_trips_through_import(client, auth, make_event, runner, tmp_path, db):
    make_event(slug="round-trip", title="往返测试")
    auth.login("admin")
    response = client.get("/staff/events/round-trip/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["slug"] == "round-trip" and data["slots"][0]["key"] == "am"
    assert "event.export_json" in audit_actions(db)
    data["slug"] = "round-trip-copy"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["events", "import", str(path)])
    assert result.exit_code == 0, result.output


def test_staff_see_events_but_cannot_change_them(client, auth, make_event):
    make_event(slug="look-only")
    auth.login("staff")
    page = client.get("/staff/events").get_data(as_text=True)
    assert "look-only" in page and "新建活动" not in page
    assert client.get("/staff/events/new").status_code == 403
    assert client.post("/staff/events/look-only/publish").status_code == 403
    assert client.get("/staff/events/look-only/export.json").status_code == 403


def test_unknown_event_is_404(client, auth):
    auth.login("admin")
    assert client.get("/staff/events/nope/edit").status_code == 404
    assert client.get("/staff/events/nope/registrations").status_code == 404


def test_messages_of_slot_rows_are_in_chinese(client, auth):
    auth.login("admin")
    data = form_data()
    data["slots-0-capacity"] = "很多"
    data["slots-1-starts_at"] = "明天"
    body = client.post("/staff/events/new", data=data).get_data(as_text=True)
    # The capacity has a message of its own; the date is WTForms', in Chinese.
    assert "请填写 0 到 100000 之间的整数。" in body and "不是有效的日期与时间值" in body
    assert "Not a valid" not in body


def _edit_slot_am(event, **overrides):
    """The edit form as the page shows it for ``event``'s one slot, with overrides."""
    slot = event.slots[0]
    data = form_data(slots=1)
    data.update({"slots-0-key": "am", "slots-0-starts_at": local(slot.starts_at),
                 "slots-0-ends_at": local(slot.ends_at), "slots-0-capacity": str(slot.capacity)})
    data.update(overrides)
    return data


def test_moving_a_slot_mails_its_holders_and_says_who_to_phone(
        client, auth, make_event, make_registration, db):
    from app.models import OutboxMessage

    event = make_event(slug="moved")
    make_registration(event, email="a@example.com")
    make_registration(event, email="b@example.com")
    make_registration(event)  # no e-mail
    auth.login("admin")
    new_start = event.slots[0].starts_at + timedelta(days=1)
    data = _edit_slot_am(event, **{"slots-0-starts_at": local(new_start),
                                   "slots-0-ends_at": local(new_start + timedelta(hours=2))})
    response = client.post("/staff/events/moved/edit", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已向 2 位报名人发送变更邮件" in page and "1 位未留邮箱，需电话通知" in page
    assert 'href="/staff/events/moved/registrations?slot=am"' in page
    mails = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "slot_changed")).scalars().all()
    assert sorted(m.recipient for m in mails) == ["a@example.com", "b@example.com"]
    assert "slot.change" in audit_actions(db)


def test_changing_only_the_capacity_mails_nobody(client, auth, make_event, make_registration, db):
    from app.models import OutboxMessage

    event = make_event(slug="roomier")
    make_registration(event, email="a@example.com")
    auth.login("admin")
    response = client.post("/staff/events/roomier/edit",
                           data=_edit_slot_am(event, **{"slots-0-capacity": "40"}))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "活动已保存" in page and "变更邮件" not in page
    db.session.expire_all()
    assert db.session.get(Event, event.id).slots[0].capacity == 40
    assert db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "slot_changed")).first() is None
    assert "slot.change" not in audit_actions(db)


def _form_values(page):
    """What a browser submits for the page's event form, untouched: every input's value,
    each select's chosen option, each textarea's text, ticked checkboxes only."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.values, self._select, self._textarea = {}, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and (
                    a.get("type") != "checkbox" or "checked" in a):
                self.values[a["name"]] = a.get("value", "")
            elif tag == "select":
                self._select = a.get("name")
            elif tag == "option" and self._select and ("selected" in a
                                                       or self._select not in self.values):
                self.values[self._select] = a.get("value", "")
            elif tag == "textarea":
                self._textarea = a.get("name")
                self.values[self._textarea] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self._select = None
            elif tag == "textarea":
                self._textarea = None

        def handle_data(self, data):
            if self._textarea:
                self.values[self._textarea] += data.lstrip("\n") if not self.values[
                    self._textarea] else data

    reader = Reader()
    reader.feed(page[page.index('class="event-form"'):])
    return reader.values


def test_saving_the_edit_page_unchanged_keeps_what_only_an_import_could_set_before(
        client, auth, make_event, db):
    """Slot descriptions and the check-in window are on the form: an admin who edits an
    imported event loses neither."""
    event = make_event(slug="imported", checkin_opens_minutes_before=30,
                       checkin_closes_minutes_after_end=15, slots=[dict(
                           event_data()["slots"][0], description="请从东门进入，携带身份证。")])
    auth.login("admin")
    page = client.get("/staff/events/imported/edit").get_data(as_text=True)
    assert "请从东门进入，携带身份证。" in page
    values = _form_values(page)
    assert values["checkin_opens_minutes_before"] == "30"
    response = client.post("/staff/events/imported/edit", data=values)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.slots[0].description == "请从东门进入，携带身份证。"
    assert (event.checkin_opens_minutes_before, event.checkin_closes_minutes_after_end) == (30, 15)


def test_the_form_sets_the_check_in_window_and_blank_is_the_usual_one(client, auth, db):
    auth.login("admin")
    response = client.post("/staff/events/new", data=form_data(
        slug="window-day", checkin_opens_minutes_before="90",
        checkin_closes_minutes_after_end="20"))
    assert response.status_code == 303
    blank = client.post("/staff/events/new", data=form_data(slug="usual-day"))
    assert blank.status_code == 303
    too_long = client.post("/staff/events/new", data=form_data(
        slug="bad-window", checkin_opens_minutes_before="5000"))
    assert too_long.status_code == 400
    windows = dict(db.session.execute(select(
        Event.slug, Event.checkin_opens_minutes_before + Event.checkin_closes_minutes_after_end
        * 10000)).all())
    assert windows == {"window-day": 90 + 20 * 10000, "usual-day": 60}


def _field_error(page, field_id):
    match = re.search(rf'<p class="error" id="{field_id}-error" role="alert">(.*?)</p>', page, re.S)
    return match and match.group(1)


def test_a_check_in_window_that_is_no_whole_number_gets_one_message(client, auth, db):
    auth.login("admin")
    one = "请填写 0 到 1440 之间的整数（分钟），或留空。"
    for name in ("checkin_opens_minutes_before", "checkin_closes_minutes_after_end"):
        for typed in ("abc", "1.5", "5000"):
            response = client.post("/staff/events/new", data=form_data(slug="bad-window",
                                                                       **{name: typed}))
            assert response.status_code == 400, (name, typed)
            page = response.get_data(as_text=True)
            assert _field_error(page, name) == one, (name, typed)
            assert page.count(one) == 2  # beside the field and in the summary at the top
            assert "不是有效的整数" not in page and "数值大小" not in page
    # Full-width digits, as an input method types them, are the number they say.
    response = client.post("/staff/events/new", data=form_data(
        slug="full-width", checkin_opens_minutes_before="１２",
        checkin_closes_minutes_after_end="３０"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    event = db.session.execute(select(Event).where(Event.slug == "full-width")).scalar_one()
    assert (event.checkin_opens_minutes_before, event.checkin_closes_minutes_after_end) == (12, 30)


def test_party_size_and_capacity_that_are_no_whole_number_get_one_message(client, auth):
    auth.login("admin")
    page = client.post("/staff/events/new", data=form_data(
        max_party_size="abc", **{"slots-0-capacity": "十"})).get_data(as_text=True)
    assert _field_error(page, "max_party_size") == "请填写 1 到 20 之间的整数。"
    assert _field_error(page, "slots-0-capacity") == "请填写 0 到 100000 之间的整数。"
    assert "不是有效的整数" not in page and "数值大小" not in page
    blank = client.post("/staff/events/new", data=form_data(max_party_size=""))
    assert _field_error(blank.get_data(as_text=True), "max_party_size") == "请填写人数。"


def test_saving_says_what_looks_like_a_slip_without_refusing_it(client, auth, db):
    auth.login("admin")
    data = form_data(slug="slips", slots=2)
    data.update({"slots-0-capacity": "0", "slots-1-mode": "online", "slots-1-join_url": ""})
    response = client.post("/staff/events/new", data=data, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("flash-warning") == 2
    assert "名额是 0" in page and "还没有参与链接" in page
    assert db.session.execute(select(Event.slug)).scalar_one() == "slips"  # saved all the same
    clean = client.post("/staff/events/new", data=form_data(slug="no-slips"),
                        follow_redirects=True)
    assert "flash-warning" not in clean.get_data(as_text=True)



def test_saving_from_a_browser_changes_no_line_breaks(client, auth, make_event, db):
    """Text areas post CRLF: an unchanged page saved as a browser sends it changes nothing."""
    event = make_event(slug="lines", description="第一行\n第二行", what_to_bring="身份证\n雨伞")
    auth.login("admin")
    values = _form_values(client.get("/staff/events/lines/edit").get_data(as_text=True))
    for name in ("description", "what_to_bring"):
        values[name] = values[name].replace("\n", "\r\n")
    assert client.post("/staff/events/lines/edit", data=values).status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.description, event.what_to_bring) == ("第一行\n第二行", "身份证\n雨伞")
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "event.update")).scalar_one()
    # (the fixture's times carry seconds, which the form's minute fields do not)
    assert not {"description", "what_to_bring"} & set(row.detail["changed"])


def test_a_repeated_slot_code_is_shown_beside_the_repeat(client, auth, db):
    auth.login("admin")
    data = form_data(slots=2)
    data["slots-1-key"] = "S0"  # the first row's is "s0"
    response = client.post("/staff/events/new", data=data)
    assert response.status_code == 400
    error = re.search(r'id="slots-1-key-error"[^>]*>(.*?)</p>', response.get_data(as_text=True))
    assert error and "场次代码不能重复" in error.group(1)


def test_a_year_out_of_range_is_refused_beside_its_field_not_a_500(client, auth, db):
    """A date picker takes any year: 0001 at +08:00 does not even convert to UTC."""
    auth.login("admin")
    for field, typed in (("registration_opens_at", "0001-01-01T00:00"),
                         ("slots-0-starts_at", "9999-12-12T09:00")):
        response = client.post("/staff/events/new", data=form_data(**{field: typed}))
        assert response.status_code == 400, (field, response.status_code)
        assert _field_error(response.get_data(as_text=True), field) == \
            "年份应在 2000 至 2100 之间。"
    assert db.session.execute(select(Event)).first() is None


def test_a_slot_starting_before_registration_opens_is_pointed_out(client, auth, db):
    auth.login("admin")
    data = form_data(slug="late-opening", slots=1,
                     registration_opens_at=local(now_utc() + timedelta(days=11)),
                     registration_closes_at=local(now_utc() + timedelta(days=12)))
    page = client.post("/staff/events/new", data=data, follow_redirects=True).get_data(
        as_text=True)
    assert "场次“第1场”在报名开始之前就开始了" in page
    assert "该场次开始后就不再接受报名" not in page  # booking never runs at all


def test_hidden_characters_are_refused_beside_their_field(client, auth, db):
    """A bidi override would flip the title on the public pages; a zero-width space hides
    part of a text. The public form's rule for names (app/services/text.py)."""
    auth.login("admin")
    response = client.post("/staff/events/new", data=form_data(
        title="\u202e日放开能节", location="区行政\u200b中心", description="第一行\r\n\u2067第二行",
        **{"slots-1-label": "第二\u200e场", "slots-0-location": "东门\ufeff"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field_id in ("title", "location", "description", "slots-1-label", "slots-0-location"):
        error = _field_error(page, field_id)
        assert error and "无法显示的字符" in error, field_id
    assert _field_error(page, "what_to_bring") is None
    assert db.session.execute(select(Event)).first() is None


def test_a_description_pasted_from_a_document_keeps_its_tabs(client, auth, db):
    """Word and spreadsheets put tabs in what staff paste ("时间：<tab>上午九点"): a text over
    several lines takes them; a one-line title still refuses one."""
    auth.login("admin")
    response = client.post("/staff/events/new", data=form_data(
        description="时间：\t上午九点\r\n地点：\t东门", what_to_bring="身份证\t水杯"))
    assert response.status_code == 303, _field_error(response.get_data(as_text=True), "description")
    event = db.session.execute(select(Event)).scalar_one()
    assert event.description == "时间：\t上午九点\n地点：\t东门"
    assert event.what_to_bring == "身份证\t水杯"
    response = client.post(f"/staff/events/{event.slug}/edit", data=form_data(
        slug=event.slug, title="节能\t开放日", description=event.description))
    assert response.status_code == 400
    assert "无法显示的字符" in _field_error(response.get_data(as_text=True), "title")


def test_event_texts_keep_line_breaks_chinese_and_emoji(client, auth, db):
    """Emoji pass as in a citizen's name: a family's zero-width joiners and ❤️'s variation
    selector are part of what shows."""
    auth.login("admin")
    title = "亲子开放日 👨\u200d👩\u200d👧 ❤\ufe0f"
    response = client.post("/staff/events/new", data=form_data(
        title=title, description="第一行\r\n第二行", what_to_bring="身份证\r\n水杯",
        **{"slots-0-label": "上午场 🌞"}))
    assert response.status_code == 303, _field_error(response.get_data(as_text=True), "title")
    event = db.session.execute(select(Event)).scalar_one()
    assert event.title == title and event.description == "第一行\n第二行"
    assert event.slots[0].label == "上午场 🌞"


def test_raising_the_capacity_moves_the_waiting_list_up_before_the_public(
        client, auth, make_event, make_registration, db):
    from app.models import OutboxMessage, Registration
    from app.services.registration import register

    event = make_event(slug="wider", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    make_registration(event)
    first = make_registration(event, email="first@example.com")
    second = make_registration(event, email="second@example.com")
    assert {first.status, second.status} == {"waitlisted"}
    auth.login("admin")
    response = client.post("/staff/events/wider/edit",
                           data=_edit_slot_am(event, **{"slots-0-capacity": "3"}))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "活动已保存" in page and "候补名单中有 2 条报名递补成功，已通知本人" in page
    db.session.expire_all()
    assert [db.session.get(Registration, r.id).status for r in (first, second)] == \
        ["confirmed", "confirmed"]
    assert sorted(db.session.execute(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "promoted")).scalars()) == ["first@example.com", "second@example.com"]
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "event.update")).scalar_one()
    assert row.detail["promoted"] == [first.ticket_number, second.ticket_number]
    # The seats went to the people waiting: the next registrant waits behind them.
    event = db.session.get(Event, event.id)
    assert register(event, event.slots[0], name="后来", phone="13900009999").status == "waitlisted"


def test_the_event_menu_marks_the_page_open(client, auth, make_event, make_registration):
    """Twelve alike pills said nothing of where one was; a registration's page belongs to
    the list it was opened from."""
    event = make_event(slug="menu-day")
    registration = make_registration(event)
    auth.login("admin")

    def current(path):
        page = client.get(path).get_data(as_text=True)
        nav = re.search(r'<nav class="event-nav".*?</nav>', page, re.S).group(0)
        return re.findall(r'aria-current="page">([^<]+)</a>', nav)

    assert current("/staff/events/menu-day") == ["概览"]
    assert current("/staff/events/menu-day/dashboard") == ["看板"]
    assert current("/staff/events/menu-day/registrations?slot=am") == ["报名名单"]
    assert current(f"/staff/registrations/{registration.id}") == ["报名名单"]
    assert current("/staff/events/menu-day/walk-in") == ["现场/电话登记"]
    assert current("/staff/events/menu-day/edit") == ["编辑"]


def test_a_slot_row_left_incomplete_asks_for_the_missing_field_by_name(client, auth, db):
    """A row with a name and times but no capacity: the message beside the field asks for
    it, and the summary names the row and the field (it read "场次 2 名额：缺少。")."""
    auth.login("admin")
    data = form_data(slug="half-row")
    data["slots-1-capacity"] = ""
    response = client.post("/staff/events/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写。" in body and "缺少。" not in body
    assert db.session.execute(select(Event).where(Event.slug == "half-row")).first() is None
