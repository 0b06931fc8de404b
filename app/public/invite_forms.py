"""The invitation page's form: the fields of the public registration form (CONTRACT §4)
without the slot, which the link names."""
import functools

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional

from app.forms_common import WholeNumberField, whole_number_between
from app.public.forms import UNTICKED, MaxLength, RegistrationForm

# The most any event allows; an event's own limit is set by invite_form_for().
MOST_PARTY_SIZE = 20
PARTY_SIZE_MESSAGE = whole_number_between(1, MOST_PARTY_SIZE)


class InviteRegistrationForm(FlaskForm):
    # The public form's own fields: spaces trimmed, hidden characters (bidi overrides,
    # line breaks) refused, phones checked as people type them, every message in Chinese.
    name = RegistrationForm.name
    phone = RegistrationForm.phone
    email = EmailField(_l("电子邮箱（选填，用于接收电子票）"),
                       validators=[Optional(), MaxLength(max=254), Email(_l("电子邮箱格式不正确。"))])
    party_size = WholeNumberField(
        _l("人数"), default=1, invalid_value_message=PARTY_SIZE_MESSAGE,
        validators=[InputRequired(_l("请填写人数。")),
                    NumberRange(min=1, max=MOST_PARTY_SIZE, message=PARTY_SIZE_MESSAGE)])
    consent = BooleanField(_l("我已阅读并同意《个人信息保护说明》"), false_values=UNTICKED,
                           validators=[DataRequired(_l("请先阅读并同意个人信息保护说明。"))])
    submission_key = HiddenField()


@functools.cache
def invite_form_for(max_party_size):
    """The form for an event that lets a party of at most ``max_party_size`` come: its
    number field says that range, in its message and in its ``max`` attribute, instead of
    the 1–20 that any event may allow (one class per limit, made once)."""
    most = max(1, min(int(max_party_size or 1), MOST_PARTY_SIZE))
    message = whole_number_between(1, most)
    party_size = WholeNumberField(
        _l("人数"), default=1, invalid_value_message=message,
        validators=[InputRequired(_l("请填写人数。")), NumberRange(min=1, max=most, message=message)])
    return type(f"InviteRegistrationFormUpTo{most}", (InviteRegistrationForm,),
                {"party_size": party_size})
