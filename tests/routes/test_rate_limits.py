"""Rate limits on the registration forms (per address and per phone) and the check-in API;
429 answers in Chinese (a page, or JSON under /api/) with Retry-After."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import limiter
from app.models import Registration
from tests.conftest import STAFF_PASSWORD, iso, now_utc


def form_data(phone="13900001111", **overrides):
    data = {"slot": "am", "name": "张三", "phone": phone, "email": "", "party_size": "1",
            "consent": "y", "submission_key": uuid.uuid4().hex}
    data.update(overrides)
    return data


def post(client, slug="test-open-day", ip="10.9.0.1", **fields):
    return client.post(f"/events/{slug}/register", data=form_data(**fields),
                       environ_base={"REMOTE_ADDR": ip})


def assert_chinese_429(response):
    assert response.status_code == 429
    assert "操作太频繁" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    wait = response.headers.get("Retry-After")
    import re
    seconds = re.search(r"请 (\d+) 秒后再试", response.get_data(as_text=True))
    minutes = re.search(r"请约 (\d+) 分钟后再试", response.get_data(as_text=True))
    assert wait and (seconds or minutes), wait  # how long, in words
    if seconds:
        assert int(wait) < 121 and abs(int(seconds[1]) - int(wait)) <= 1
    else:
        assert abs(int(minutes[1]) - int(wait) / 60) <= 1
    assert "返回" in response.get_data(as_text=True)


def test_one_address_gets_429_after_twenty_posts_a_minute(limits_on, make_event):
    make_event()
    client = limits_on().test_client()
    for i in range(20):
        # Each one a different person (phone), all refused for a missing name: the address
        # limit counts every POST.
        assert post(client, phone=f"1390000{i:04d}", name="").status_code == 400
    response = post(client, phone="13900009999")
    assert_chinese_429(response)
    assert int(response.headers["Retry-After"]) <= 60 or "GMT" in response.headers["Retry-After"]
    # Another address still registers; reading the form is never limited.
    assert post(client, ip="10.9.0.2", phone="13900009999").status_code == 303
    assert client.get("/events/test-open-day/register",
                      environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code == 200


def test_one_phone_gets_429_after_five_submissions_from_any_address(limits_on, db, make_event):
    make_event()
    limited = limits_on()
    client = limited.test_client()
    assert post(client, ip="10.8.0.1", phone="139 0000 1111").status_code == 303
    for i in range(4):  # the same number, typed differently, from other browsers: 409 each
        assert post(limited.test_client(), ip=f"10.8.1.{i}",
                    phone="+86 13900001111").status_code == 409
    assert_chinese_429(post(limited.test_client(), ip="10.8.2.1", phone="１３９００００１１１１"))
    # Another phone from the same addresses is not affected.
    assert post(client, ip="10.8.2.1", phone="13900002222").status_code == 303
    assert db.session.execute(select(func.count(Registration.id))).scalar() == 2


def test_forms_sent_back_for_correction_do_not_count_against_the_phone(limits_on, make_event):
    make_event()
    client = limits_on().test_client()
    for i in range(8):
        assert post(client, ip=f"10.7.0.{i}", name="").status_code == 400
    assert post(client, ip="10.7.1.1").status_code == 303


def test_nobody_locks_a_strangers_phone_out_with_refusals_that_say_nothing_of_it(
        limits_on, db, make_event):
    """Sent again and again to an event that is closed, or full, a phone number books
    nothing and learns nothing: that does not count against the number's owner."""
    make_event()
    make_event(slug="closed-day", registration_opens_at=iso(now_utc() - timedelta(days=5)),
               registration_closes_at=iso(now_utc() - timedelta(days=2)))
    make_event(slug="full-day", slots=[{"key": "am", "label": "上午场", "starts_at": iso(
        now_utc() + timedelta(days=2)), "ends_at": iso(now_utc() + timedelta(days=2, hours=2)),
        "capacity": 1, "mode": "onsite"}])
    limited = limits_on()
    assert post(limited.test_client(), slug="full-day", ip="10.5.0.1",
                phone="13900003333").status_code == 303
    for i in range(6):
        for slug in ("closed-day", "full-day"):
            assert post(limited.test_client(), slug=slug, ip=f"10.5.1.{i}",
                        phone="13900001111").status_code == 409
    # The owner of the number still registers where there is room.
    assert post(limited.test_client(), ip="10.5.2.1", phone="13900001111").status_code == 303


def test_limits_come_from_the_configuration(limits_on, make_event):
    make_event()
    client = limits_on(REGISTRATION_IP_LIMIT="2 per minute").test_client()
    assert post(client, phone="13900000001").status_code == 303
    assert post(client, phone="13900000002").status_code == 303
    assert_chinese_429(post(client, phone="13900000003"))


def test_limits_are_off_when_the_app_switches_them_off(limits_on, client, make_event):
    make_event()
    limits_on()  # another app with limits on shares the limiter object
    for i in range(25):
        assert post(client, phone=f"1390000{i:04d}", name="").status_code == 400


def test_volunteer_application_is_limited_per_phone(limits_on, make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    make_event(slug="drive", kind="volunteer", max_party_size=1,
               slots=[{"key": "am", "label": "早班", "starts_at": iso(start),
                       "ends_at": iso(start + timedelta(hours=2)), "capacity": 5,
                       "mode": "onsite"}])
    client = limits_on().test_client()
    data = {"slots": ["am"], "name": "王芳", "phone": "13800138000", "email": "",
            "age_group": "46-60", "organisation": "岳阳街道", "code": "y", "consent": "y"}
    statuses = [client.post("/events/drive/apply", data={**data, "submission_key": f"k{i}"},
                            environ_base={"REMOTE_ADDR": f"10.6.0.{i}"}).status_code
                for i in range(6)]
    assert statuses[0] == 303 and 429 not in statuses[:5], statuses
    assert statuses[5] == 429


def test_invitation_form_is_limited_per_address(limits_on, make_event, db):
    from app.services.invitations import create_invitation, reserve_seats

    event = make_event()
    reserve_seats(event.slots[0], 2)
    invitation = create_invitation(event, event.slots[0], label="代表", max_uses=2)
    db.session.commit()
    client = limits_on(REGISTRATION_IP_LIMIT="3 per minute").test_client()
    for i in range(3):
        client.post(f"/invite/{invitation.token}", data={"name": "", "phone": f"1370000000{i}"},
                    environ_base={"REMOTE_ADDR": "10.5.0.1"})
    assert_chinese_429(client.post(f"/invite/{invitation.token}", data={"name": "代表甲"},
                                   environ_base={"REMOTE_ADDR": "10.5.0.1"}))


def _staff_client(limited, make_staff, username="door"):
    make_staff(username, "staff")
    client = limited.test_client()
    response = client.post("/staff/login", data={"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    return client


def test_checkin_api_answers_json_429_per_staff_member(limits_on, make_event, make_staff):
    make_event()
    limited = limits_on(CHECKIN_API_LIMIT="3 per minute")
    door, other = _staff_client(limited, make_staff), _staff_client(limited, make_staff, "door2")
    body = {"event": "test-open-day", "code": "NOSUCH00", "gate": "东门"}
    for _ in range(2):
        assert door.post("/api/checkin", json=body).status_code == 200
    assert door.get("/api/events/test-open-day/stats").status_code == 200  # shared count
    response = door.post("/api/checkin", json=body)
    assert response.status_code == 429
    assert response.is_json and "操作太频繁" in response.get_json()["message"]
    assert response.headers.get("Retry-After")
    # A colleague at the other gate scans on.
    assert other.post("/api/checkin", json=body).status_code == 200


def test_checkin_api_default_is_generous(limits_on, make_event, make_staff):
    make_event()
    limited = limits_on()
    assert limited.config["CHECKIN_API_LIMIT"] == "600 per minute"
    door = _staff_client(limited, make_staff)
    for _ in range(30):
        assert door.get("/api/events/test-open-day/stats").status_code == 200


def _redis_up(url):
    try:
        import redis

        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


REDIS_URL = "redis://127.0.0.1:6379"


@pytest.mark.skipif(not _redis_up(REDIS_URL), reason="Redis is not running on 127.0.0.1:6379")
def test_phone_limit_is_shared_by_two_app_servers_through_redis(limits_on, make_event, monkeypatch):
    import redis

    make_event()
    prefix = f"openday-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    first = limits_on(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    limiter._key_prefix = prefix  # the shared limiter keeps the first prefix it saw
    server = redis.Redis.from_url(REDIS_URL)
    try:
        assert post(first.test_client(), ip="10.4.0.1").status_code == 303
        for i in range(4):
            assert post(first.test_client(), ip=f"10.4.1.{i}").status_code == 409
        assert server.keys(f"*{prefix}*"), "the submissions were not counted in Redis"
        second = limits_on(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
        limiter._key_prefix = prefix
        assert_chinese_429(post(second.test_client(), ip="10.4.2.1"))
    finally:
        keys = server.keys(f"*{prefix}*")
        if keys:
            server.delete(*keys)


def test_the_429_page_in_english_has_no_chinese(limits_on, make_event):
    import re

    make_event()
    client = limits_on(REGISTRATION_IP_LIMIT="1 per hour").test_client()
    client.set_cookie("lang", "en")
    post(client, phone="13900000001")
    response = post(client, phone="13900000002")
    assert response.status_code == 429
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    assert "Back" in text and "minutes" in text  # an hour's limit is told in minutes
    assert not re.search(r"[\u4e00-\u9fff]", text.replace("中文", "")), text
