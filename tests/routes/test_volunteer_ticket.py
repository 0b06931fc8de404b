"""A volunteer's ticket page reads cleanly: each fact once, in the volunteer's words."""
import re
from datetime import timedelta

import pytest

from app.services import volunteers
from tests.conftest import now_utc
from tests.routes.test_volunteers import apply
from tests.services.test_volunteers import shift


@pytest.fixture
def drive(make_event):
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    return make_event(slug="waste-volunteers", kind="volunteer", max_party_size=1,
                      title="垃圾分类检查志愿者招募",
                      slots=[shift("d1-am", "1号楼投放点 早班", start, capacity=2)])


@pytest.mark.parametrize("decision,status_word,explained", [
    (None, "待审核", "工作人员正在审核您的申请"),
    ("reject", "未通过", "这个班次的申请未能通过"),
    ("approve", "已通过", "您的申请已通过"),
])
def test_the_status_and_the_shift_appear_once(client, db, drive, make_staff, decision, status_word,
                                              explained):
    """Issue 4: a pending ticket said 待审核 at its top and again in "志愿者申请：待审核", with the
    shift's name, date and place printed a second time under it."""
    [reg] = apply(db, drive)
    if decision == "approve":
        volunteers.approve(reg, make_staff())
    elif decision == "reject":
        volunteers.reject(reg, make_staff(), "本班次人员已满")
    db.session.commit()
    page = client.get(f"/tickets/{reg.token}").get_data(as_text=True)
    # The status is said once, at the top, in the words the queue and the mail use (an
    # approved application said 报名成功 there); the explanation may repeat it in a sentence.
    [badge] = re.findall(r'<p class="ticket-status[^"]*"[^>]*>([^<]*)</p>', page)
    assert badge == status_word
    assert page.count(status_word) == 1 + explained.count(status_word), page
    assert "报名成功" not in page
    assert page.count("1号楼投放点 早班") == 1
    assert page.count("1号楼东侧垃圾厢房") == 1
    assert "志愿者申请：" not in page
    assert explained in page
    assert ("本班次人员已满" in page) == (decision == "reject")
