"""The invitation page's form: the fields of the public registration form (CONTRACT §4)
without the slot, which the link names."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional

from app.forms_common import WholeNumberField, whole_number_between
from app.public.forms import UNTICKED, MaxLength, RegistrationForm

PARTY_SIZE_MESSAGE = whole_number_between(1, 20)


class InviteRegistrationForm(FlaskForm):
    # The public form's own fields: spaces trimmed, hidden characters (bidi overrides,
    # line breaks) refused, phones checked as people type them, every message in Chinese.
    name = RegistrationForm.name
    phone = RegistrationForm.phone
    email = EmailField(_l("电子邮箱（选填，用于接收电子票）"),
                       validators=[Optional(), MaxLength(max=254), Email(_l("电子邮箱格式不正确。"))])
    # The most any event allows (its form stops at 20); a smaller limit of this event is
    # the service's to say ("每次最多为 4 人报名。").
    party_size = WholeNumberField(
        _l("人数"), default=1, invalid_value_message=PARTY_SIZE_MESSAGE,
        validators=[InputRequired(_l("请填写人数。")),
                    NumberRange(min=1, max=20, message=PARTY_SIZE_MESSAGE)])
    consent = BooleanField(_l("我已阅读并同意《个人信息保护说明》"), false_values=UNTICKED,
                           validators=[DataRequired(_l("请先阅读并同意个人信息保护说明。"))])
    submission_key = HiddenField()
