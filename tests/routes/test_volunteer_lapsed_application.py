"""An application nobody decided before its shift ended can no longer be approved: its
ticket page stops promising a review and a check-in code."""
from datetime import timedelta

from app.services import volunteers
from tests.conftest import now_utc
from tests.services.test_volunteers import FIELDS, shift


def test_an_application_whose_shift_ended_undecided_says_so(client, db, make_event):
    start = now_utc() - timedelta(hours=5)
    drive = make_event(slug="past-drive", kind="volunteer", max_party_size=1,
                       title="垃圾分类检查志愿者招募",
                       slots=[shift("past", "1号楼投放点 早班", start),
                              shift("next", "2号楼投放点 早班", now_utc() + timedelta(days=2))])
    [over, coming] = volunteers.apply(drive, drive.slots, name="李四", phone="13900009999",
                                      email="lisi@example.com", **FIELDS)
    db.session.commit()
    page = client.get(f"/tickets/{over.token}").get_data(as_text=True)
    assert "没有来得及审核" in page and "未审核" in page
    assert "正在审核" not in page and "签到二维码" not in page
    # A shift still to come is reviewed as before.
    page = client.get(f"/tickets/{coming.token}").get_data(as_text=True)
    assert "正在审核" in page and "没有来得及审核" not in page
