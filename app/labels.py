"""What the staff pages, the audit log and the exports call each stored code: one place, so
that a list, a select and an export never name the same status two ways.

Lazy strings: each shows in the reader's language. The exports are always in Chinese and
read them with in_chinese(). A volunteer's own ticket words its statuses for the volunteer
(app.services.volunteers.STATUS_LABELS: 已通过, 已退出), on purpose."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

REGISTRATION_STATUS = {
    "confirmed": _l("已确认"), "waitlisted": _l("候补"), "pending": _l("待审核"),
    "cancelled": _l("已取消"), "rejected": _l("未通过"),
}
EVENT_STATUS = {"draft": _l("草稿"), "published": _l("已发布"), "closed": _l("已关闭")}
ROLE = {"admin": _l("管理员"), "staff": _l("工作人员")}
REGISTRATION_SOURCE = {"online": _l("网上"), "staff": _l("工作人员登记"), "invitation": _l("邀请")}


def in_chinese(labels):
    """``labels`` as plain Chinese strings, whatever the reader's language."""
    with force_locale("zh_Hans_CN"):
        return {code: str(label) for code, label in labels.items()}
