"""The append-only audit log of staff changes, check-ins and exports."""
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import db
from app.models import AuditLog
from app.models.types import utcnow


def record(action, target=None, *, event=None, detail=None, actor=None):
    """Add an audit row to the current transaction. ``detail`` must hold no phone number,
    e-mail, password or ticket token: callers pass masked values."""
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
        detail=detail or {},
        ip=request.remote_addr if has_request_context() else None,
    )


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
TARGET_LABELS = {
    "registration": _l("报名"),
    "staffuser": _l("账号"),
    "event": _l("活动"),
    "slot": _l("场次"),
    "invitation": _l("邀请"),
    "feedback": _l("评价"),
    "followup": _l("跟进事项"),
    "outboxmessage": _l("邮件"),
}


def action_label(action):
    return ACTION_LABELS.get(action, action)


def target_label(target_type):
    return TARGET_LABELS.get(target_type, target_type)
