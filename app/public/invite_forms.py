"""The invitation page's form: the fields of the public registration form (CONTRACT §4)
without the slot, which the link names."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional

from app.public.forms import UNTICKED, MaxLength, RegistrationForm


class InviteRegistrationForm(FlaskForm):
    # The public form's own fields: spaces trimmed, hidden characters (bidi overrides,
    # line breaks) refused, phones checked as people type them, every message in Chinese.
    name = RegistrationForm.name
    phone = RegistrationForm.phone
    email = EmailField(_l("电子邮箱（选填，用于接收电子票）"),
                       validators=[Optional(), MaxLength(max=254), Email(_l("电子邮箱格式不正确。"))])
    party_size = IntegerField(_l("人数"), default=1,
                              validators=[InputRequired(_l("请填写人数。")),
                                          NumberRange(min=1, max=20, message=_l("人数不正确。"))])
    consent = BooleanField(_l("我已阅读并同意《个人信息保护说明》"), false_values=UNTICKED,
                           validators=[DataRequired(_l("请先阅读并同意个人信息保护说明。"))])
    submission_key = HiddenField()
