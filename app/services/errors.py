"""Domain errors. Each carries the message a person reads (Chinese, through Babel) and the
HTTP status a view should answer with."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    default_message = _l("请求无法处理。")

    def __init__(self, message=None, *, field=None, **context):
        self.message = message or self.default_message
        self.field = field
        self.context = context
        super().__init__(str(self.message))


class NotFound(DomainError):
    status = 404
    default_message = _l("没有找到。")


class Conflict(DomainError):
    status = 409
    default_message = _l("与已有记录冲突。")


class SlotFull(Conflict):
    default_message = _l("该场次已约满。")


class AlreadyRegistered(Conflict):
    default_message = _l("这个手机号已经报名了本次活动，每个手机号只能报名一次。")

    def __init__(self, message=None, *, existing=None, **context):
        super().__init__(message, **context)
        self.existing = existing


class RegistrationClosed(Conflict):
    default_message = _l("现在不在报名时间内。")


class NotAllowed(DomainError):
    status = 403
    default_message = _l("没有权限进行此操作。")


class InvalidData(DomainError):
    """Bad input that a form could not catch (for example an imported JSON file)."""

    status = 400
