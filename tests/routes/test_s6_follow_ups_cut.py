"""The follow-up list stops at FOLLOW_UPS_SHOWN items (a year's closed ones may be more).
It stopped without a word, so the list read as all there was; now it says it lists only the
first ones, and an admin is pointed to the export for the rest."""
import re
from datetime import timedelta

from app.services import feedback
from tests.conftest import now_utc


def _follow_ups(db, make_event, make_registration, how_many):
    start = now_utc() - timedelta(hours=3)
    event = make_event(slug="cut", slots=[
        {"key": "am", "label": "上午场", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 50, "mode": "onsite"}])
    for n in range(how_many):
        person = make_registration(event, phone=f"139000022{n:02d}")
        feedback.submit(event, {"overall": 1, "comment": f"第 {n} 条"}, registration=person)
    db.session.commit()


def test_a_cut_list_says_so(client, auth, db, make_event, make_registration, monkeypatch):
    monkeypatch.setattr(feedback, "FOLLOW_UPS_SHOWN", 2)
    _follow_ups(db, make_event, make_registration, 3)
    auth.login("staff")
    page = client.get("/staff/follow-ups?show=all").get_data(as_text=True)
    assert len(re.findall(r'<li class="card follow-up', page)) == 2
    assert "只列出前 2 条。" in page and "导出" not in page.split('id="follow-ups-cut"')[1][:200]
    auth.logout()
    auth.login("admin")
    page = client.get("/staff/follow-ups?show=all").get_data(as_text=True)
    assert "只列出前 2 条。全部跟进事项请导出 CSV 或 Excel 查看。" in page


def test_a_whole_list_says_nothing_more(client, auth, db, make_event, make_registration,
                                        monkeypatch):
    monkeypatch.setattr(feedback, "FOLLOW_UPS_SHOWN", 2)
    _follow_ups(db, make_event, make_registration, 2)
    auth.login("staff")
    page = client.get("/staff/follow-ups?show=all").get_data(as_text=True)
    assert len(re.findall(r'<li class="card follow-up', page)) == 2
    assert "只列出前" not in page
