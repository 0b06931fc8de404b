"""Registrations list (search, filters, paging), detail, cancel on behalf, walk-ins."""
import re

from sqlalchemy import select

from app.models import AuditLog, Registration, Slot


def audit_rows(db, action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action)).scalars().all()


def test_list_shows_masked_phones_to_staff(client, auth, make_event, make_registration):
    event = make_event(slug="list")
    make_registration(event, name="王小明", phone="13812345678")
    auth.login("staff")
    body = client.get("/staff/events/list/registrations").get_data(as_text=True)
    assert "王小明" in body
    assert "138****5678" in body
    assert "13812345678" not in body


def test_search_by_name_phone_tail_and_ticket_number(client, auth, make_event, make_registration):
    event = make_event(slug="search")
    first = make_registration(event, name="王小明", phone="13812345678")
    make_registration(event, name="李四", phone="13900001111")
    auth.login("admin")

    def found(**args):
        body = client.get("/staff/events/search/registrations", query_string=args).get_data(
            as_text=True)
        return {name for name in ("王小明", "李四") if name in body}

    assert found(q="小明") == {"王小明"}
    assert found(q="5678") == {"王小明"}
    assert found(q="１１１１") == {"李四"}  # full-width digits
    assert found(q="１３８１２３４５６７８") == {"王小明"}  # the whole number, full-width
    assert found(q="+86 138-1234-5678") == {"王小明"}  # as people write it
    assert found(q="138****5678") == {"王小明"}  # as the list shows it
    assert found(q="139****5678") == set()
    assert found(q=first.ticket_number.lower()) == {"王小明"}
    assert found(q="没有这个人") == set()
    assert found(q="%") == set()  # a wildcard is text, not a pattern
    assert found(q="王" * 60) == set()  # too long to search: nothing, not everyone



def test_a_search_copied_with_invisible_marks_still_finds_the_person(client, auth, make_event,
                                                                       make_registration):
    """A number copied from a phone's contacts comes wrapped in direction marks, a name
    copied from a chat may carry a zero-width space: the list found no one."""
    event = make_event(slug="pasted")
    make_registration(event, name="王小明", phone="13812345678")
    make_registration(event, name="李四", phone="13900001111")
    auth.login("staff")

    def found(q):
        response = client.get("/staff/events/pasted/registrations", query_string={"q": q})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        return {name for name in ("王小明", "李四") if name in body}

    assert found("\u202d+86 138 1234 5678\u202c") == {"王小明"}  # iOS contacts
    assert found("\u2066138-1234-5678\u2069") == {"王小明"}
    assert found("王小\u200b明") == {"王小明"}  # from a chat message
    assert found("\ufeff1111") == {"李四"}  # a byte order mark in front of a tail
    assert found("\u200b\u200b") == {"王小明", "李四"}  # nothing visible: as an empty box


def test_a_search_of_twenty_thousand_characters_is_refused_in_chinese(client, auth, make_event,
                                                                      make_registration, db):
    event = make_event(slug="long-search")
    make_registration(event, name="王小明", phone="13812345678")
    auth.login("staff")
    response = client.get("/staff/events/long-search/registrations",
                          query_string={"q": "王" * 20000})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="error"[^>]*>(.*?)</p>', body)
    assert error and error.group(1) == "最多输入 50 个字：请只输入姓名、手机尾号或票号。"
    assert "王小明" not in body  # nothing listed, not everyone
    assert db.session.execute(select(Registration)).scalar_one().status == "confirmed"


def test_filters_by_slot_and_status(client, auth, make_event, make_registration, db):
    from tests.conftest import event_data

    data = event_data(slug="filters")
    extra = dict(data["slots"][0], key="pm", label="下午场")
    event = make_event(slug="filters", slots=[data["slots"][0], extra])
    am = make_registration(event, name="上午甲")
    make_registration(event, slot=event.slots[1], name="下午乙")
    from app.services.registration import cancel

    cancel(am, reason="test")
    db.session.commit()
    auth.login("admin")
    body = client.get("/staff/events/filters/registrations?slot=pm").get_data(as_text=True)
    assert "下午乙" in body and "上午甲" not in body
    body = client.get("/staff/events/filters/registrations?status=cancelled").get_data(as_text=True)
    assert "上午甲" in body and "下午乙" not in body
    # Nonsense in the query string (a stale bookmark) is not an error, and filters nothing:
    # the list matches the selects, which show "all slots" and "all statuses".
    response = client.get("/staff/events/filters/registrations?slot=zz&status=x&page=-3")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "上午甲" in body and "下午乙" in body


def test_paging(client, auth, make_event, make_registration, db):
    from app.services import workspace
    from tests.conftest import event_data

    event = make_event(slug="paging", slots=[dict(event_data()["slots"][0], capacity=200)])
    for i in range(workspace.PER_PAGE + 3):
        make_registration(event, name=f"人{i:03d}", phone=f"137{i:08d}")
    auth.login("staff")
    first = client.get("/staff/events/paging/registrations").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "下一页" in first
    second = client.get("/staff/events/paging/registrations?page=2").get_data(as_text=True)
    assert second.count('class="phone"') == 3
    assert "人000" in second  # oldest last
    # A page past the end (a bookmark; a list that shrank) shows the last page, not an
    # empty "page 9 of 2" saying no registration matches.
    past = client.get("/staff/events/paging/registrations?page=9").get_data(as_text=True)
    assert "第 2 / 2 页" in past and past.count('class="phone"') == 3
    assert "没有符合条件的报名" not in past


def test_detail_masks_phone_and_admin_can_reveal_with_audit(client, auth, make_event,
                                                            make_registration, db):
    event = make_event(slug="detail")
    registration = make_registration(event, phone="13812345678", email="wang@example.com")
    auth.login("staff")
    body = client.get(f"/staff/registrations/{registration.id}").get_data(as_text=True)
    assert "138****5678" in body and "13812345678" not in body
    assert "wang@example.com" not in body
    assert client.post(f"/staff/registrations/{registration.id}/reveal").status_code == 403
    auth.logout()
    auth.login("admin")
    body = client.post(f"/staff/registrations/{registration.id}/reveal").get_data(as_text=True)
    assert "13812345678" in body
    row = audit_rows(db, "registration.reveal_phone")[0]
    assert row.actor_name == "admin" and "13812345678" not in str(row.detail)


def test_admin_cancels_on_behalf_with_a_reason(client, auth, make_event, make_registration, db):
    event = make_event(slug="cancel")
    registration = make_registration(event, party_size=2)
    auth.login("admin")
    response = client.post(f"/staff/registrations/{registration.id}/cancel", data={"reason": ""})
    assert response.status_code == 400 and "请填写取消原因" in response.get_data(as_text=True)
    # The reason is kept in the audit log: it must read as it was typed.
    response = client.post(f"/staff/registrations/{registration.id}/cancel",
                           data={"reason": "本人\u200b来电取消"})
    assert response.status_code == 400 and "无法显示的字符" in response.get_data(as_text=True)
    response = client.post(f"/staff/registrations/{registration.id}/cancel",
                           data={"reason": "本人来电取消"})
    assert response.status_code == 303
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.status == "cancelled" and registration.cancel_reason == "本人来电取消"
    assert db.session.get(Slot, registration.slot_id).booked == 0
    row = audit_rows(db, "registration.cancel")[0]
    assert row.detail["reason"] == "本人来电取消" and row.actor_name == "admin"
    # Twice is harmless.
    again = client.post(f"/staff/registrations/{registration.id}/cancel", data={"reason": "再次"})
    assert again.status_code == 303
    assert len(audit_rows(db, "registration.cancel")) == 1


def test_a_cancellation_on_someones_behalf_is_mailed_to_them(client, auth, make_event,
                                                              make_registration, db):
    """Cancelled by staff (a call, a mistake put right), the holder is told at once, not at
    the door with a QR code that no longer admits them. The reason staff typed is for the
    office's records and is not mailed; a second press mails nothing more."""
    from app.models import OutboxMessage

    event = make_event(slug="cancel-mail")
    registration = make_registration(event, email="holder@example.com")
    auth.login("admin")
    for reason in ("本人来电取消，备注：家属代办", "再次"):
        response = client.post(f"/staff/registrations/{registration.id}/cancel",
                               data={"reason": reason})
        assert response.status_code == 303
    [mail] = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "cancelled")).scalars().all()
    assert mail.recipient == "holder@example.com" and "报名已取消" in mail.subject
    assert "您的报名已取消" in mail.body_text and "工作人员" in mail.body_text
    assert "家属代办" not in mail.body_text and "家属代办" not in (mail.body_html or "")
    assert mail.qr_content is None


def test_cancelling_a_waiting_place_on_behalf_says_so(client, auth, make_event,
                                                      make_registration, db):
    from tests.conftest import event_data

    event = make_event(slug="wait-cancel", waitlist=True,
                       slots=[dict(event_data()["slots"][0], capacity=1)])
    make_registration(event)
    waiting = make_registration(event)
    assert waiting.status == "waitlisted"
    auth.login("admin")
    page = client.post(f"/staff/registrations/{waiting.id}/cancel", data={"reason": "来电取消"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已代为取消候补" in page and "名额已释放" not in page


def test_cancel_promotes_the_waiting_list(client, auth, make_event, make_registration, db):
    from tests.conftest import event_data

    slot = dict(event_data()["slots"][0], capacity=1)
    event = make_event(slug="promote", waitlist=True, slots=[slot])
    first = make_registration(event)
    waiting = make_registration(event)
    assert waiting.status == "waitlisted"
    auth.login("admin")
    page = client.post(f"/staff/registrations/{first.id}/cancel", data={"reason": "让位"},
                       follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    # Promoted without an e-mail address: nobody was told yet, and staff are asked to phone.
    assert "1 位未留邮箱，需电话通知" in page and "已通知本人" not in page


def test_staff_cannot_cancel(client, auth, make_event, make_registration):
    event = make_event(slug="no-cancel")
    registration = make_registration(event)
    auth.login("staff")
    response = client.post(f"/staff/registrations/{registration.id}/cancel", data={"reason": "x"})
    assert response.status_code == 403


# --- walk-ins ------------------------------------------------------------------------------

def test_staff_register_a_walk_in_outside_the_window(client, auth, make_event, db):
    from datetime import timedelta

    from tests.conftest import now_utc

    make_event(slug="walk", registration_closes_at=(now_utc() - timedelta(minutes=5)).isoformat(),
               registration_opens_at=(now_utc() - timedelta(days=2)).isoformat())
    auth.login("staff")
    assert client.get("/staff/events/walk/walk-in").status_code == 200
    response = client.post("/staff/events/walk/walk-in", data={
        "slot": "am", "name": "现场来宾", "phone": "+86 138-0013-8000", "party_size": "2",
        "source": "walk_in"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.source == "staff" and registration.status == "confirmed"
    assert registration.entered_by_id is not None and registration.phone == "13800138000"
    assert db.session.get(Slot, registration.slot_id).booked == 2
    row = audit_rows(db, "registration.walk_in")[0]
    assert row.actor_name == "staff" and row.detail["phone"] == "138****8000"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert registration.ticket_number in page and "13800138000" not in page



def test_a_phone_in_number_copied_from_the_call_log_is_registered(client, auth, make_event, db):
    """Staff taking a call copy the caller's number from the phone's call log or contacts,
    which wraps it in invisible direction marks: it was refused as not 11 digits."""
    make_event(slug="walk-copied")
    auth.login("staff")
    response = client.post("/staff/events/walk-copied/walk-in", data={
        "slot": "am", "name": "来电市民", "phone": "\u202d+86 138 0013 8000\u202c",
        "party_size": "1", "source": "phone_in"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    assert db.session.execute(select(Registration)).scalar_one().phone == "13800138000"


def test_walk_in_respects_capacity_and_reserved_seats(client, auth, make_event, db):
    from app.services.invitations import reserve_seats
    from tests.conftest import event_data

    event = make_event(slug="walk-full", slots=[dict(event_data()["slots"][0], capacity=3)])
    reserve_seats(event.slots[0], 2)
    db.session.commit()
    auth.login("staff")
    ok = client.post("/staff/events/walk-full/walk-in", data={
        "slot": "am", "name": "甲", "phone": "13800000001", "party_size": "1"})
    assert ok.status_code == 303
    full = client.post("/staff/events/walk-full/walk-in", data={
        "slot": "am", "name": "乙", "phone": "13800000002", "party_size": "1"})
    assert full.status_code == 409
    assert "名额不足" in full.get_data(as_text=True)
    slot = db.session.get(Slot, event.slots[0].id)
    assert (slot.booked, slot.reserved) == (1, 2)


def test_a_full_slot_with_a_waiting_list_refuses_a_walk_in_but_waitlists_a_phone_in(
        client, auth, make_event, db):
    from tests.conftest import event_data

    make_event(slug="walk-wait", waitlist=True,
               slots=[dict(event_data()["slots"][0], capacity=1)])
    auth.login("staff")
    seated = client.post("/staff/events/walk-wait/walk-in", data={
        "slot": "am", "name": "甲", "phone": "13800000001", "party_size": "1",
        "source": "walk_in"})
    assert seated.status_code == 303
    at_the_door = client.post("/staff/events/walk-wait/walk-in", data={
        "slot": "am", "name": "乙", "phone": "13800000002", "party_size": "1",
        "source": "walk_in"})
    assert at_the_door.status_code == 409 and "名额不足" in at_the_door.get_data(as_text=True)
    on_the_phone = client.post("/staff/events/walk-wait/walk-in", data={
        "slot": "am", "name": "丙", "phone": "13800000003", "party_size": "1",
        "source": "phone_in"})
    assert on_the_phone.status_code == 303
    statuses = dict(db.session.execute(select(Registration.name, Registration.status)).all())
    assert statuses == {"甲": "confirmed", "丙": "waitlisted"}


def test_staff_registrations_are_mailed_what_they_hold(client, auth, make_event, db):
    """A seat is mailed as 报名成功 with its QR code; a place on the waiting list is mailed
    as 候补, without a QR code: a confirmation would send them to the door for nothing."""
    from app.models import OutboxMessage
    from tests.conftest import event_data

    make_event(slug="walk-mail", waitlist=True,
               slots=[dict(event_data()["slots"][0], capacity=1)])
    auth.login("staff")
    for name, phone, email in (("甲", "13800000001", "jia@example.com"),
                               ("丙", "13800000003", "bing@example.com")):
        response = client.post("/staff/events/walk-mail/walk-in", data={
            "slot": "am", "name": name, "phone": phone, "email": email, "party_size": "1",
            "source": "phone_in"})
        assert response.status_code == 303
    mails = {m.recipient: m for m in db.session.execute(select(OutboxMessage)).scalars()}
    assert set(mails) == {"jia@example.com", "bing@example.com"}
    assert (mails["jia@example.com"].kind, mails["jia@example.com"].qr_content is not None) == (
        "confirmation", True)
    waiting = mails["bing@example.com"]
    assert waiting.kind == "waitlisted" and waiting.qr_content is None
    assert "候补" in waiting.subject and "报名成功" not in waiting.subject


def test_a_phone_in_larger_than_the_slot_is_not_put_on_its_waiting_list(
        client, auth, make_event, db):
    from tests.conftest import event_data

    make_event(slug="phone-big", waitlist=True,
               slots=[dict(event_data()["slots"][0], capacity=3)])
    auth.login("staff")
    response = client.post("/staff/events/phone-big/walk-in", data={
        "slot": "am", "name": "甲", "phone": "13800000001", "party_size": "4",
        "source": "phone_in"})
    assert response.status_code == 409
    assert "这个场次最多 3 人" in response.get_data(as_text=True)
    assert db.session.execute(select(Registration)).first() is None
    assert audit_rows(db, "registration.walk_in") == []


def test_walk_in_refuses_bad_phone_and_duplicates(client, auth, make_event, make_registration):
    event = make_event(slug="walk-bad")
    make_registration(event, phone="13811112222")
    auth.login("staff")
    bad = client.post("/staff/events/walk-bad/walk-in", data={
        "slot": "am", "name": "甲", "phone": "12345", "party_size": "1"})
    assert bad.status_code == 400 and "11 位" in bad.get_data(as_text=True)
    dup = client.post("/staff/events/walk-bad/walk-in", data={
        "slot": "am", "name": "乙", "phone": "138 1111 2222", "party_size": "1"})
    assert dup.status_code == 409 and "已经报名" in dup.get_data(as_text=True)
    # beside the phone typed, not the slot chosen
    phone_error = re.search(r'id="phone-error"[^>]*>(.*?)</p>', dup.get_data(as_text=True))
    assert phone_error and "已经报名" in phone_error.group(1)
    assert 'id="slot-error"' not in dup.get_data(as_text=True)
    # A name of nothing visible (zero-width spaces) is refused, as on the public form.
    hidden = client.post("/staff/events/walk-bad/walk-in", data={
        "slot": "am", "name": "\u200b\u200b", "phone": "13811114444", "party_size": "1"})
    assert hidden.status_code == 400 and "无法显示的字符" in hidden.get_data(as_text=True)
    big = client.post("/staff/events/walk-bad/walk-in", data={
        "slot": "am", "name": "丙", "phone": "13811113333", "party_size": "9"})
    assert big.status_code == 400 and "请填写 1 到 4 之间的整数" in big.get_data(as_text=True)
    empty = client.post("/staff/events/walk-bad/walk-in", data={"slot": "zz"})
    assert empty.status_code == 400



def test_a_walk_in_who_already_holds_a_ticket_is_shown_it(client, auth, make_event,
                                                          make_registration):
    """Someone at the door registered online and lost the ticket, or the steward's 登记 went
    twice on a slow network: "already registered" was a dead end, with no ticket number."""
    event = make_event(slug="walk-holder")
    online = make_registration(event, name="王阿姨", phone="13811112222")
    auth.login("staff")
    response = client.post("/staff/events/walk-holder/walk-in", data={
        "slot": "am", "name": "王阿姨", "phone": "138 1111 2222", "party_size": "1",
        "source": "walk_in"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    box = re.search(r'id="existing-registration">(.*?)</div>', body, re.S).group(1)
    assert f"票号 {online.ticket_number}，上午场，已确认" in box
    assert f'href="/staff/registrations/{online.id}"' in box
    assert "13811112222" not in body
    # The same form sent twice: the second answer leads to the first's registration.
    first = client.post("/staff/events/walk-holder/walk-in", data={
        "slot": "am", "name": "李伯", "phone": "13933334444", "party_size": "1",
        "source": "walk_in"})
    assert first.status_code == 303
    again = client.post("/staff/events/walk-holder/walk-in", data={
        "slot": "am", "name": "李伯", "phone": "13933334444", "party_size": "1",
        "source": "walk_in"})
    assert again.status_code == 409
    assert first.headers["Location"] in again.get_data(as_text=True)


def test_someone_who_has_come_in_cannot_be_cancelled(client, auth, make_event, make_registration, db):
    """Their seat was used: cancelling would free it for somebody else and promote the
    waiting list into a slot that is already full of people."""
    from app.services.checkin import check_in

    event = make_event(slug="arrived")
    registration = make_registration(event, party_size=2)
    check_in(registration, gate="东门")
    db.session.commit()
    auth.login("admin")
    page = client.get(f"/staff/registrations/{registration.id}").get_data(as_text=True)
    assert "代为取消报名" not in page
    response = client.post(f"/staff/registrations/{registration.id}/cancel",
                           data={"reason": "误操作"}, follow_redirects=True)
    assert "已经签到入场" in response.get_data(as_text=True)
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.status == "confirmed"
    assert db.session.get(Slot, registration.slot_id).booked == 2
    assert audit_rows(db, "registration.cancel") == []


def test_a_walk_in_already_registered_is_told_so_even_when_the_slot_is_full(
        client, auth, make_event, make_registration):
    from tests.conftest import event_data

    event = make_event(slug="walk-full", slots=[dict(event_data()["slots"][0], capacity=1)])
    make_registration(event, phone="13811112222")
    auth.login("staff")
    again = client.post("/staff/events/walk-full/walk-in", data={
        "slot": "am", "name": "乙", "phone": "13811112222", "party_size": "1"})
    assert again.status_code == 409
    assert "已经报名" in again.get_data(as_text=True)
    assert "剩余名额不足" not in again.get_data(as_text=True)


def test_no_walk_in_for_a_slot_that_has_ended(client, auth, make_event, db):
    from datetime import timedelta

    from tests.conftest import iso, now_utc

    start = now_utc() - timedelta(hours=5)
    make_event(slug="over", slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                                    "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                                    "mode": "onsite"}])
    auth.login("staff")
    response = client.post("/staff/events/over/walk-in", data={
        "slot": "am", "name": "来晚了", "phone": "13800138000", "party_size": "1",
        "source": "walk_in"})
    assert response.status_code == 409 and "已经结束" in response.get_data(as_text=True)
    assert db.session.execute(select(Registration)).first() is None
