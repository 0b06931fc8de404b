"""A registration form sent after its session was lost (WeChat's browser dropped the
cookie; the phone slept overnight with the form open). Before: an error page told the
person to go back, refresh and type everything again. Now the form comes back as it was
sent, under a fresh token, and one more tap registers."""
import re

from sqlalchemy import func, select

from app.models import Registration
from tests.conftest import now_utc
from tests.services.test_volunteers import shift

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def test_the_registration_form_comes_back_filled_in_and_registers_on_the_next_tap(
        make_app, app, db, make_event):
    make_event()
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    page = client.get("/events/test-open-day/register").get_data(as_text=True)
    old_token = TOKEN.search(page).group(1)
    client.delete_cookie("session")  # the browser lost its session cookie
    sent = {"slot": "am", "name": "王秀英", "phone": "+86 139 0000 1111", "email": "wang@example.com",
            "party_size": "2", "consent": "y", "submission_key": "k" * 24, "csrf_token": old_token}
    response = client.post("/events/test-open-day/register", data=sent)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "页面已过期，刚才填写的内容还没有提交。请核对下面的内容，再提交一次。" in page
    assert 'value="王秀英"' in page and 'value="+86 139 0000 1111"' in page
    assert 'value="wang@example.com"' in page
    assert db.session.execute(select(func.count()).select_from(Registration)).scalar_one() == 0
    db.session.rollback()
    fresh = TOKEN.search(page).group(1)
    assert fresh != old_token
    # The next tap sends the page as it stands, with its fresh token: registered.
    again = client.post("/events/test-open-day/register", data={**sent, "csrf_token": fresh})
    assert again.status_code == 303 and "/tickets/" in again.headers["Location"], again.headers.get("Location")
    db.session.rollback()  # a fresh read: the app's request wrote through its own connection
    [registration] = db.session.execute(select(Registration)).scalars().all()
    assert (registration.name, registration.phone, registration.party_size) == ("王秀英", "13900001111", 2)


def test_a_volunteer_application_comes_back_filled_in(make_app, app, db, make_event):
    from datetime import timedelta

    make_event(slug="drive", kind="volunteer", max_party_size=1,
               slots=[shift("am", "1号楼投放点 早班", now_utc() + timedelta(days=2))])
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    old_token = TOKEN.search(client.get("/events/drive/register").get_data(as_text=True)).group(1)
    client.delete_cookie("session")
    response = client.post("/events/drive/register", data={
        "slots": "am", "name": "李建国", "phone": "13700000001", "age_group": "46-60",
        "organisation": "岳阳街道龙潭居委会", "code": "y", "consent": "y", "csrf_token": old_token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请核对下面的内容，再提交一次" in page
    assert 'value="李建国"' in page and "岳阳街道龙潭居委会" in page
    assert TOKEN.search(page).group(1) != old_token


def test_other_forms_still_say_the_page_expired(make_app, app, make_event):
    """A staff form (or the ticket's cancel) is not refilled: the generic answer, 400."""
    make_event()
    strict = make_app(WTF_CSRF_ENABLED=True)
    response = strict.test_client().post("/staff/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "页面已过期，刚才填写的内容没有提交" in response.get_data(as_text=True)
