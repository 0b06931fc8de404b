"""A reject sent without a reason decides nothing. The staff member used to land on the
unfiltered queue with every reason typed in other rows gone and a red box far from the row;
now the queue comes back under the same filter, with what was typed and ticked, and the
message beside the reason box it is about."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Registration
from tests.conftest import now_utc
from tests.routes.test_volunteers import apply, auth_admin, field_error
from tests.services.test_volunteers import shift


@pytest.fixture
def drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="waste-volunteers", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募",
                      slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=5)])


@pytest.fixture
def three(db, drive):
    return [apply(db, drive, name=name, phone=f"1390000000{n}")[0]
            for n, name in enumerate(("甲", "乙", "丙"))]


def input_value(page, input_id):
    tag = re.search(rf'<input[^>]*id="{input_id}"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else ""


def statuses(db, registrations):
    db.session.expire_all()
    return [db.session.get(Registration, r.id).status for r in registrations]


def test_a_row_rejected_without_a_reason_keeps_the_filter_and_the_other_rows_reasons(
        client, auth, db, drive, three):
    a, b, c = three
    auth_admin(auth, db)
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review", data={
        "status": "pending", "reject_one": b.id, f"reason_{a.id}": "年龄不符 <script>alert(1)</script>",
        f"reason_{b.id}": "   ", f"reason_{c.id}": "已满员 🙏"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert statuses(db, three) == ["pending", "pending", "pending"]
    # The same filter: the pending tab is the current one, and the form keeps it.
    assert re.search(r'href="[^"]*status=pending"[^>]*aria-current="true"', page)
    assert 'name="status" value="pending"' in page
    # What was typed in the other rows is still there (escaped, not run).
    assert input_value(page, f"reason-{a.id}") == "年龄不符 &lt;script&gt;alert(1)&lt;/script&gt;"
    assert input_value(page, f"reason-{c.id}") == "已满员 🙏"
    assert "<script>alert(1)" not in page
    # The message is tied to the row's reason box, and the summary links to it.
    assert "请填写不通过的原因" in field_error(page, f"reason-{b.id}")
    box = re.search(rf'<input[^>]*id="reason-{b.id}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in box and f'aria-describedby="reason-{b.id}-error"' in box
    assert f'href="#reason-{b.id}"' in page
    assert field_error(page, f"reason-{a.id}") is None


def test_a_bulk_reject_without_a_reason_keeps_the_ticks_and_the_row_reasons(
        client, auth, db, drive, three):
    a, b, c = three
    auth_admin(auth, db)
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review", data={
        "ids": [a.id, c.id], "action": "reject", "reason": "", f"reason_{b.id}": "另行联系"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert statuses(db, three) == ["pending", "pending", "pending"]
    assert 'aria-current="true">全部' in page  # no filter before, none now
    ticked = set(re.findall(r'<input type="checkbox" name="ids" value="(\d+)"[^>]*checked', page))
    assert ticked == {str(a.id), str(c.id)}
    assert input_value(page, f"reason-{b.id}") == "另行联系"
    assert "请填写不通过的原因" in field_error(page, "bulk-reason")


def test_a_reason_past_the_limit_is_refused_once_and_kept(client, auth, db, drive, three):
    a, b, _c = three
    auth_admin(auth, db)
    long_reason = "长" * 20000
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review", data={
        "ids": [a.id, b.id], "action": "reject", "reason": long_reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert statuses(db, three) == ["pending", "pending", "pending"]
    assert "原因最多 500 个字" in field_error(page, "bulk-reason")
    assert page.count("原因最多 500 个字") == 2  # the summary and the box: not once per row


def test_a_decision_goes_back_to_the_queue_under_its_filter(client, auth, db, drive, three):
    a, b, _c = three
    auth_admin(auth, db)
    url = f"/staff/events/{drive.slug}/volunteers/review"
    approved = client.post(url, data={"status": "pending", "approve_one": a.id})
    assert approved.status_code == 303
    assert approved.headers["Location"].endswith(f"/staff/events/{drive.slug}/volunteers?status=pending")
    rejected = client.post(url, data={"status": "pending", "reject_one": b.id, f"reason_{b.id}": "不符合"})
    assert rejected.headers["Location"].endswith("?status=pending")
    unfiltered = client.post(url, data={"ids": [], "action": "approve"})
    assert unfiltered.headers["Location"].endswith(f"/staff/events/{drive.slug}/volunteers")
    assert statuses(db, three) == ["confirmed", "rejected", "pending"]


def test_a_reject_without_a_reason_for_a_row_decided_meanwhile_says_so(client, auth, db, drive, three):
    """Another tab approved it meanwhile: no reason box to show the message beside; the
    message comes as before, above the queue."""
    from app.services import volunteers

    a, _b, _c = three
    admin = auth_admin(auth, db)
    volunteers.approve(a, admin)
    db.session.commit()
    response = client.post(f"/staff/events/{drive.slug}/volunteers/review",
                           data={"reject_one": a.id, f"reason_{a.id}": ""}, follow_redirects=True)
    assert response.status_code == 200
    assert "请填写不通过的原因" in response.get_data(as_text=True)
    assert statuses(db, [a]) == ["confirmed"]


def test_an_empty_filter_says_what_is_empty(client, auth, db, drive, three):
    auth_admin(auth, db)
    page = client.get(f"/staff/events/{drive.slug}/volunteers?status=rejected").get_data(as_text=True)
    assert "还没有申请" not in page and "没有“未通过”的申请" in page
    assert db.session.execute(select(Registration)).scalars().all()


def test_a_reject_on_the_record_page_without_a_reason_says_so_beside_the_box(client, auth, db, drive, three):
    """The record page put the refusal in a box above the page and emptied the reason box
    (a reason too long for it, typed elsewhere and pasted, was lost)."""
    a, _b, _c = three
    auth_admin(auth, db)
    url = f"/staff/volunteers/{a.id}/decision"
    for typed, message in (("  ", "请填写不通过的原因"), ("太长" * 300, "原因最多 500 个字")):
        response = client.post(url, data={"action": "reject", "reason": typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert message in field_error(page, "decision-reason")
        box = re.search(r'<input[^>]*id="decision-reason"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in box and f'value="{typed}"' in box
    assert statuses(db, [a]) == ["pending"]
