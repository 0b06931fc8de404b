"""The evaluation form: shape checks only (the ranges are re-checked in services.feedback).

The event's ``feedback_topics`` become fields ``topic_0``, ``topic_1``… in their order,
each on the same 4-level scale as ``overall`` and optional.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from app.forms_common import LinesField

SCALE = [SelectChoice("4", _l("非常满意")), SelectChoice("3", _l("满意")),
         SelectChoice("2", _l("基本满意")), SelectChoice("1", _l("不满意"))]
COME_AGAIN = [SelectChoice("yes", _l("愿意")), SelectChoice("no", _l("不愿意"))]


def _level(value):
    """'1'…'4' → int; anything else → None, caught by the validator with a Chinese message."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text in ("1", "2", "3", "4") else -1


class OnScale:
    def __init__(self, required=False):
        self.required = required
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form, field):
        if field.data is None:
            if self.required:
                raise ValidationError(_l("请选择一项评价。"))
            return
        if field.data not in (1, 2, 3, 4):
            raise ValidationError(_l("评价只能是非常满意、满意、基本满意或不满意。"))


class ComeAgain:
    def __call__(self, form, field):
        if field.data not in (None, "", "yes", "no"):
            raise ValidationError(_l("请选择“愿意”或“不愿意”。"))


class FeedbackFormBase(FlaskForm):
    overall = RadioField(_l("总体满意度"), choices=SCALE, coerce=_level, validate_choice=False,
                         validators=[OnScale(required=True)])
    comment = LinesField(_l("您的意见"), validators=[
        Optional(), Length(max=2000, message=_l("意见最多 2000 个字。"))])
    suggestions = LinesField(_l("您的建议"), validators=[
        Optional(), Length(max=2000, message=_l("建议最多 2000 个字。"))])
    come_again = RadioField(_l("以后还愿意来参加开放日吗？"), choices=COME_AGAIN,
                            validate_choice=False, validators=[ComeAgain()])
    wants_reply = BooleanField(_l("我希望得到回复"))
    # No Optional(): it would stop the checks of an empty box before validate_contact, and
    # the contact a reply needs was asked for only after every other slip was put right
    # (a second round of errors for someone who had made both at once).
    contact = StringField(_l("联系方式（电话或电子邮箱）"), validators=[
        Length(max=200, message=_l("联系方式最多 200 个字。"))])

    def validate_contact(self, field):
        if self.wants_reply.data and not (field.data or "").strip():
            raise ValidationError(_l("需要回复时，请留下联系方式。"))

    def topic_fields(self):
        return [getattr(self, name) for name in self._topic_names]

    def answers(self):
        """The answers as keyword arguments for services.feedback.submit."""
        return {
            "overall": self.overall.data,
            "topic_ratings": {f.label.text: f.data for f in self.topic_fields()},
            "comment": self.comment.data or "",
            "suggestions": self.suggestions.data or "",
            "come_again": {"yes": True, "no": False}.get(self.come_again.data),
            "wants_reply": bool(self.wants_reply.data),
            "contact": self.contact.data if self.wants_reply.data else None,
        }


def feedback_form_for(event, **kwargs):
    """A form class with one rating field per topic of ``event``."""
    topics = list(event.feedback_topics or [])

    class FeedbackForm(FeedbackFormBase):
        pass

    names = []
    for index, topic in enumerate(topics):
        name = f"topic_{index}"
        setattr(FeedbackForm, name, RadioField(topic, choices=SCALE, coerce=_level,
                                               validate_choice=False, validators=[OnScale()]))
        names.append(name)
    FeedbackForm._topic_names = names
    return FeedbackForm(**kwargs)
