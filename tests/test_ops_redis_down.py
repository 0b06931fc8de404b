"""Redis, which shares the rate limits between app servers, goes down: registration,
sign-in and check-in must go on (each worker counts in memory until Redis is back), not
answer 500 on every limited route. /healthz is what reports Redis as down."""
from tests.conftest import free_port
from tests.routes.test_rate_limits import assert_chinese_429, post


def test_with_redis_down_citizens_register_and_the_login_limit_still_holds(limits_on, make_event):
    make_event()
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    limited = limits_on(RATELIMIT_STORAGE_URI=dead_redis, REDIS_URL=dead_redis)
    client = limited.test_client()
    assert post(client, phone="13900001111").status_code == 303  # a ticket, not a 500
    for _ in range(5):
        failed = client.post("/staff/login", data={"username": "admin", "password": "wrong-password-1"})
        assert failed.status_code < 500
    assert_chinese_429(client.post("/staff/login",
                                   data={"username": "admin", "password": "wrong-password-1"}))
    assert client.get("/healthz").status_code == 503  # the operator still learns of it
