"""What the audit page makes of a row's details (app/services/audit.py detail_items)."""
import pytest

from app.services.audit import detail_items


@pytest.mark.parametrize("detail, shown", [
    # A check-in: the door's words, the time in Beijing (the row holds UTC).
    ({"gate": "东门", "source": "offline", "checked_in_at": "2026-11-12T06:05:00+00:00"},
     [("签到方式", "离线签到"), ("门岗", "东门"), ("签到时间", "2026-11-12 14:05")]),
    ({"source": "manual"}, [("签到方式", "从查找结果签到")]),
    # A walk-in: codes by their labels; a full number that slipped in is masked.
    ({"ticket_number": "ABCD2345", "slot": "am", "phone": "13812345678", "party_size": 2,
      "how": "phone_in", "status": "waitlisted"},
     [("票号", "ABCD2345"), ("手机号码", "138****5678"), ("场次", "am"), ("状态", "候补"),
      ("人数", "2"), ("登记方式", "电话报名")]),
    ({"phone": "138****5678"}, [("手机号码", "138****5678")]),
    ({"username": "door1", "role": "admin"}, [("用户名", "door1"), ("角色", "管理员")]),
    ({"from": "draft", "to": "published"}, [("更改前", "草稿"), ("更改后", "已发布")]),
    ({"ticket_number": "ABCD2345", "from": "confirmed", "reason": "本人来电 13912345678 z@x.cn",
      "promoted": ["EFGH2345", "JKLM2345"]},
     [("票号", "ABCD2345"), ("更改前", "已确认"), ("原因", "本人来电 139****5678 z***@x.cn"),
      ("候补转正的票号", "EFGH2345、JKLM2345")]),
    ({"changed": ["title", "checkin_opens_minutes_before"]},
     [("更改了", "活动名称、开场前多少分钟可以签到")]),
    # A slot moved: the terms before and after, spelt out.
    ({"slot": "am", "changed": ["time"], "mailed": 3, "without_email": 0,
      "from": {"starts_at": "2026-11-12T01:00:00+00:00", "ends_at": "2026-11-12T03:00:00+00:00",
               "mode": "onsite", "place": "区行政中心"},
      "to": {"starts_at": "2026-11-12T02:00:00", "ends_at": "2026-11-12T04:00:00",
             "mode": "online", "place": None}},
     [("场次", "am"),
      ("更改前", "开始时间：2026-11-12 09:00；结束时间：2026-11-12 11:00；方式：现场；地点：区行政中心"),
      ("更改后", "开始时间：2026-11-12 10:00；结束时间：2026-11-12 12:00；方式：线上；地点：—"),
      ("更改了", "时间"), ("已发邮件通知", "3"), ("无邮箱需电话通知", "0")]),
    ({"before": {}, "after": {"checked_in_at": "2026-11-12T06:00:00+00:00",
                              "checked_out_at": None}},
     [("更改前", "—"), ("更改后", "签到时间：2026-11-12 14:00；签退时间：—")]),
    ({"kind": "slot_changed"}, [("邮件类型", "场次变更通知")]),
    ({"export": "follow_ups", "format": "xlsx"}, [("导出内容", "跟进事项"), ("文件格式", "xlsx")]),
    ({"slug": "open-day", "created": True}, [("活动网址代码", "open-day"), ("新建", "是")]),
    ({"feedback": 7, "follow_up": None}, [("评价编号", "#7"), ("跟进编号", "—")]),
    ({"purged": True}, [("详情", "到期匿名化时已清除")]),
    ({"erased": True}, [("详情", "本人删除个人信息时已清除")]),
    # A key nobody labelled yet keeps its name; an unknown code stays as it is.
    ({"zzz_new": "x", "status": "odd"}, [("状态", "odd"), ("zzz_new", "x")]),
    (None, []),
])
def test_detail_items(app, detail, shown):
    with app.test_request_context("/"):
        assert detail_items(detail) == shown


def test_detail_items_in_english(app):
    with app.test_request_context("/?lang=en"):
        items = detail_items({"source": "offline", "gate": "East",
                              "checked_in_at": "2026-11-12T06:05:00+00:00",
                              "from": {"mode": "onsite"}, "promoted": ["A", "B"]})
    assert items == [("Before", "Format: On site"), ("Promoted from the waiting list", "A, B"),
                     ("How checked in", "Checked in offline"), ("Gate", "East"),
                     ("Checked in at", "2026-11-12 14:05")]
