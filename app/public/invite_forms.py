"""The invitation page's form: the fields of the public registration form (CONTRACT §4)
without the slot, which the link names."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField
from wtforms.validators import DataRequired, Email, Optional

from app.forms_common import for_party_size, party_size_field
from app.public.forms import UNTICKED, MaxLength, RegistrationForm


class InviteRegistrationForm(FlaskForm):
    # The public form's own fields: spaces trimmed, hidden characters (bidi overrides,
    # line breaks) refused, phones checked as people type them, every message in Chinese.
    name = RegistrationForm.name
    phone = RegistrationForm.phone
    email = EmailField(_l("电子邮箱（选填，用于接收电子票）"),
                       validators=[Optional(), MaxLength(max=254), Email(_l("电子邮箱格式不正确。"))])
    party_size = party_size_field()  # the event's own limit: invite_form_for()
    consent = BooleanField(_l("我已阅读并同意《个人信息保护说明》"), false_values=UNTICKED,
                           validators=[DataRequired(_l("请先阅读并同意个人信息保护说明。"))])
    submission_key = HiddenField()

    @property
    def normalised_phone(self):
        return getattr(self.phone, "normalised", None)


def invite_form_for(max_party_size):
    """The form for an event that lets a party of at most ``max_party_size`` come: its
    number field says that range, in its message and its ``max`` attribute."""
    return for_party_size(InviteRegistrationForm, max_party_size)
