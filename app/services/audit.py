"""The append-only audit log of staff changes, check-ins and exports."""
import re
from datetime import datetime, timezone

from flask import has_request_context, request
from flask_babel import format_datetime, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import labels
from app.extensions import db
from app.models import AuditLog
from app.models.types import utcnow
from app.services.privacy import mask_contacts, mask_phone


def record(action, target=None, *, event=None, detail=None, actor=None):
    """Add an audit row to the current transaction. ``detail`` must hold no phone number,
    e-mail, password or ticket token: callers pass masked values, and the free text in it
    (a reason, a label, a gate) is masked here as well."""
    row = AuditLog(**row_values(action, target, event_id=getattr(event, "id", None),
                                detail=detail, actor=actor))
    db.session.add(row)
    return row


def row_values(action, target=None, *, event_id=None, detail=None, actor=None,
               target_type=None, target_id=None):
    """The columns of an audit row, for record() or for a plain INSERT on a hot path (which
    names its target by ``target_type`` and ``target_id`` instead of passing an object)."""
    if actor is None and has_request_context() and getattr(current_user, "is_authenticated", False):
        actor = current_user
    if target_type is None and target is not None:
        target_type, target_id = type(target).__name__.lower(), getattr(target, "id", "")
    return dict(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        target_type=target_type or "",
        target_id=str(target_id or ""),
        event_id=event_id,
        detail=masked_detail(detail or {}),
        ip=request.remote_addr if has_request_context() else None,
    )


def masked_detail(value):
    """The detail with every phone number, e-mail address and WeChat ID in its texts masked,
    at any depth: callers mask the phone they pass, but a reason or a label is what someone
    typed, and people type their numbers into it."""
    if isinstance(value, str):
        return mask_contacts(value)
    if isinstance(value, dict):
        return {key: masked_detail(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked_detail(item) for item in value]
    return value


# What the audit page calls each action and kind of record (the codes stay in the rows).
ACTION_LABELS = {
    "checkin": _l("签到"),
    "volunteer.checkout": _l("志愿者签退"),
    "volunteer.approve": _l("通过志愿者申请"),
    "volunteer.reject": _l("未通过志愿者申请"),
    "volunteer.correct_times": _l("更正服务时间"),
    "staff.create": _l("创建账号"),
    "staff.reset_password": _l("重置密码"),
    "staff.login": _l("登录"),
    "staff.logout": _l("退出登录"),
    "staff.activate": _l("启用账号"),
    "staff.deactivate": _l("停用账号"),
    "slot.change": _l("场次变更"),
    "registration.walk_in": _l("现场或电话登记"),
    "registration.reveal_phone": _l("查看完整手机号"),
    "registration.erase": _l("删除个人信息"),
    "registration.cancel": _l("代为取消报名"),
    "privacy.purge": _l("到期匿名化"),
    "mail.retry": _l("重发邮件"),
    "invitation.create": _l("生成邀请链接"),
    "invitation.revoke": _l("作废邀请链接"),
    "invitation.reserve": _l("预留名额"),
    "invitation.release": _l("释放预留名额"),
    "invitation.register": _l("受邀报名"),
    "follow_up.close": _l("办结跟进事项"),
    "feedback.reveal_contact": _l("查看评价联系方式"),
    "export": _l("导出"),
    "export.hours_csv": _l("导出服务时长"),
    "event.create": _l("新建活动"),
    "event.update": _l("修改活动"),
    "event.import": _l("导入活动"),
    "event.export_json": _l("导出活动 JSON"),
    "event.publish": _l("发布活动"),
    "event.close": _l("关闭报名"),
}
# One record each ("Registration #3"), hence a context of their own in English.
TARGET_LABELS = {
    "registration": lazy_pgettext("one record", "报名"),
    "staffuser": lazy_pgettext("one record", "账号"),
    "event": lazy_pgettext("one record", "活动"),
    "slot": lazy_pgettext("one record", "场次"),
    "invitation": lazy_pgettext("one record", "邀请"),
    "feedback": lazy_pgettext("one record", "评价"),
    "followup": lazy_pgettext("one record", "跟进事项"),
    "outboxmessage": lazy_pgettext("one record", "邮件"),
}
# The audit page's filter: kinds of action, each the prefix of the codes it covers.
ACTION_GROUPS = (
    ("checkin", _l("签到")),
    ("volunteer.", _l("志愿者审核、签退和时间更正")),
    ("registration.", _l("报名：登记、取消、查看手机号、删除")),
    ("event.", _l("活动：新建、修改、发布、关闭")),
    ("slot.", _l("场次变更")),
    ("invitation.", _l("邀请和预留名额")),
    ("export", _l("导出")),
    ("follow_up.", _l("评价跟进")),
    ("feedback.", _l("查看评价联系方式")),
    ("staff.", _l("账号和登录")),
    ("mail.", _l("邮件")),
    ("privacy.", _l("到期匿名化")),
)


def action_label(action):
    return ACTION_LABELS.get(action, action)


def target_label(target_type):
    return TARGET_LABELS.get(target_type, target_type)


# --- What the audit page shows of a row's details ------------------------------------------
# The details keep the codes the code wrote; staff read them as label and value. The keys,
# in the order the page lists them (JSON columns do not keep the order they were written in).
DETAIL_LABELS = {
    "ticket_number": _l("票号"),
    "ticket": _l("票号"),
    "name": _l("姓名"),
    "phone": _l("手机号码"),
    "username": _l("用户名"),
    "role": _l("角色"),
    "slug": _l("活动网址代码"),
    "created": _l("新建"),
    "slot": _l("场次"),
    "shift": _l("班次"),
    "slots": _l("场次"),
    "label": _l("受邀人或团体"),
    "feedback": _l("评价编号"),
    "follow_up": _l("跟进编号"),
    "status": _l("状态"),
    "from": _l("更改前"),
    "to": _l("更改后"),
    "before": _l("更改前"),
    "after": _l("更改后"),
    "changed": _l("更改了"),
    "reason": _l("原因"),
    "promoted": _l("候补转正的票号"),
    "party_size": _l("人数"),
    "how": _l("登记方式"),
    "source": _l("签到方式"),
    "gate": _l("门岗"),
    "checked_in_at": _l("签到时间"),
    "checked_out_at": _l("签退时间"),
    "extended_until": _l("延长至"),
    "hours": _l("服务时长"),
    "starts_at": _l("开始时间"),
    "ends_at": _l("结束时间"),
    "mode": _l("方式"),
    "place": _l("地点"),
    "seats": _l("名额数"),
    "reserved": _l("现预留名额"),
    "max_uses": _l("可报名次数"),
    "mailed": _l("已发邮件通知"),
    "without_email": _l("无邮箱需电话通知"),
    "kind": _l("邮件类型"),
    "export": _l("导出内容"),
    "format": _l("文件格式"),
    "rows": _l("记录条数"),
    "volunteers": _l("志愿者人数"),
    "registrations": _l("匿名化的报名数"),
}
# Codes shown by the label the rest of the staff pages give them.
STATUS_LABELS = {**labels.REGISTRATION_STATUS, **labels.EVENT_STATUS}  # no code is both
ROLE_LABELS = labels.ROLE
HOW_LABELS = {"walk_in": _l("现场登记"), "phone_in": _l("电话报名")}
CHECKIN_SOURCE_LABELS = {"scan": _l("扫码或输入票号"), "manual": _l("从查找结果签到"),
                         "offline": _l("离线签到")}
MODE_LABELS = {"onsite": _l("现场"), "online": _l("线上")}
EXPORT_LABELS = {"registrations": _l("报名名单"), "feedback": _l("评价"),
                 "follow_ups": _l("跟进事项"), "report": _l("工作报告")}
# What event.update lists as changed: the event form's own labels.
EVENT_FIELD_LABELS = {
    "slug": _l("网址代码（slug）"), "kind": _l("类型"), "status": _l("状态"),
    "title": _l("活动名称"), "description": _l("活动介绍"), "location": _l("地点"),
    "what_to_bring": _l("参加须知"), "registration_opens_at": _l("报名开始（北京时间）"),
    "registration_closes_at": _l("报名截止（北京时间）"), "max_party_size": _l("每次最多报名人数"),
    "waitlist": _l("约满后开放候补"), "feedback_topics": _l("评价项目"),
    "checkin_opens_minutes_before": _l("开场前多少分钟可以签到"),
    "checkin_closes_minutes_after_end": _l("结束后多少分钟内仍可签到"), "slots": _l("场次"),
}
# Rows whose details the privacy rules wiped say so instead.
CLEARED = {"purged": _l("到期匿名化时已清除"), "erased": _l("本人删除个人信息时已清除")}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _value_labels(key):
    from app.services.mail import KIND_LABELS
    from app.services.slot_changes import CHANGE_LABELS  # it imports this module

    return {"status": STATUS_LABELS, "from": STATUS_LABELS, "to": STATUS_LABELS,
            "role": ROLE_LABELS, "how": HOW_LABELS, "source": CHECKIN_SOURCE_LABELS,
            "mode": MODE_LABELS, "export": EXPORT_LABELS, "kind": KIND_LABELS,
            "changed": {**EVENT_FIELD_LABELS, **CHANGE_LABELS}}.get(key, {})


def detail_items(detail):
    """A row's details as (label, value) texts for the audit page: keys by their labels
    (an unknown key by its own name, after the known ones), codes by the labels the staff
    pages use, times in Beijing time, lists and nested details spelt out. Details hold no
    phone number or e-mail address (record() asks callers to mask them); one that slipped
    in anyway is masked here."""
    items = []
    for key, value in _in_order(detail or {}):
        if key in CLEARED and value is True:
            items.append((_("详情"), str(CLEARED[key])))
        else:
            items.append((str(DETAIL_LABELS.get(key, key)), _detail_value(key, value)))
    return items


def _in_order(detail):
    order = {key: i for i, key in enumerate(DETAIL_LABELS)}
    return sorted(detail.items(), key=lambda item: (order.get(item[0], len(order)), str(item[0])))


def _detail_value(key, value):
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict):  # a slot's terms before and after, a volunteer's times
        return _("；").join(f"{label}{_('：')}{text}" for label, text in detail_items(value))
    if isinstance(value, (list, tuple)):
        return _("、").join(_detail_value(key, item) for item in value)
    if key in ("feedback", "follow_up"):
        return f"#{value}"
    if not isinstance(value, str):
        return str(value)
    labels = _value_labels(key)
    if value in labels:
        return str(labels[value])
    if _ISO_DATETIME.match(value):
        return _beijing_time(value)
    if key == "phone" and "*" not in value:
        return mask_phone(value)
    return mask_contacts(value)


def _beijing_time(text):
    """An ISO time as the time column shows times (Asia/Shanghai); a time written without
    its zone is UTC, as every stored time is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return mask_contacts(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment, "yyyy-MM-dd HH:mm")
