"""Public forms: shape checks only (the rules live in app/services/registration.py).

Field names are fixed by CONTRACT §4: slot, name, phone, email, party_size, consent,
csrf_token. Volunteer drives subclass ``RegistrationForm`` and register the subclass in
``FORMS_BY_KIND`` (see ``registration_form_for``).
"""
import re
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, StopValidation, ValidationError

from app.forms_common import no_hidden_characters
from app.services.registration import normalise_phone

NAME_MAX = 50
SUBMISSION_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


# A name with bidi overrides or zero-width spaces hides what it says (app/services/text.py).
no_control_characters = no_hidden_characters(_l("姓名里有无法显示的字符，请重新输入。"))


def mainland_mobile(form, field):
    if field.errors:  # too long already said it: one message, not the same one twice
        return
    normalised = normalise_phone(field.data)
    if normalised is None:
        raise ValidationError(_l("请输入 11 位中国大陆手机号码，例如 139 0000 1111。"))
    field.normalised = normalised



class MaxLength(Length):
    """Length that ends the field's checks when it fails: a 300-character e-mail needs one
    message ("too long"), not a second one about its format."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except ValidationError as error:
            raise StopValidation(str(error)) from None

# A tick box posted with one of these was not ticked (a browser sends "y" or nothing; a
# script may send "n"): consent must be given, not assumed.
UNTICKED = (False, "false", "", "0", "n", "no", "off")


class ChoiceField(SelectField):
    """A select whose refusal is in Chinese (WTForms' own message is English)."""

    invalid_message = _l("请从列表中选择。")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None

    def pre_validate(self, form):
        if self.data is None or self.data not in [value for value, _label in self.choices]:
            raise ValidationError(self.invalid_message)


class SlotField(RadioField):
    def pre_validate(self, form):
        if self.data not in [value for value, _label in self.choices]:
            event = getattr(form, "event", None)
            chosen = event.slot_by_key(self.data) if event is not None and self.data else None
            if chosen is not None and chosen.has_started:
                # The form was opened before the slot began: say so, not "choose one".
                raise ValidationError(_l("这个场次已经开始，不能再报名，请选择其他场次。"))
            raise ValidationError(_l("请选择一个场次。"))


def new_submission_key():
    return secrets.token_urlsafe(18)


class RegistrationForm(FlaskForm):
    slot = SlotField(_l("场次"), choices=[])
    name = StringField(
        _l("姓名"), filters=[strip_text],
        validators=[DataRequired(message=_l("请填写姓名。")),
                    Length(max=NAME_MAX, message=_l("姓名最多 %(max)d 个字。")),
                    no_control_characters],
    )
    phone = StringField(
        _l("手机号码"), filters=[strip_text],
        validators=[DataRequired(message=_l("请填写手机号码。")),
                    MaxLength(max=40, message=_l("请输入 11 位中国大陆手机号码，例如 139 0000 1111。")),
                    mainland_mobile],
    )
    email = StringField(
        _l("电子邮箱（选填）"), filters=[strip_text],
        validators=[Optional(), MaxLength(max=254, message=_l("邮箱地址太长了。")),
                    Email(message=_l("邮箱地址格式不对，例如 name@example.com；不需要可以留空。"))],
    )
    party_size = ChoiceField(_l("参加人数（含本人）"), coerce=int, default=1)
    consent = BooleanField(
        _l("我已阅读并同意《个人信息保护说明》"), false_values=UNTICKED,
        validators=[DataRequired(message=_l("请阅读个人信息保护说明并勾选同意，否则无法报名。"))],
    )
    # Bots fill every field; people never see this one (hidden with CSS, not type=hidden).
    website = StringField(_l("请勿填写此项"))
    # A fresh key per form: submitting the same form twice finds the first ticket.
    submission_key = HiddenField()

    # Fields a subclass adds (rendered after the common ones, in this order).
    extra_field_names = ()

    class Meta:
        def get_translations(self, form):
            # Every message here is our own Chinese text (through Flask-Babel); skipping
            # WTForms' catalogue saves loading its .mo file on every request.
            return None

    def __init__(self, event, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.slot.choices = [(s.key, s.label) for s in event.slots if not s.has_started]
        self.party_size.choices = [(n, str(n)) for n in range(1, event.max_party_size + 1)]
        if not self.submission_key.data or not SUBMISSION_KEY_RE.match(self.submission_key.data):
            self.submission_key.data = new_submission_key()
        if not self.is_submitted() and not self.slot.data and len(event.slots) == 1:
            self.slot.data = event.slots[0].key

    @property
    def is_bot(self):
        return bool((self.website.data or "").strip())

    @property
    def normalised_phone(self):
        return getattr(self.phone, "normalised", None) or normalise_phone(self.phone.data)

    def extra_data(self):
        """Model fields a subclass collects, passed to register(extra=...)."""
        return {}


# Which form an event kind uses; the volunteer drive replaces its entry with a subclass.
FORMS_BY_KIND = {"open_day": RegistrationForm, "volunteer": RegistrationForm}


def registration_form_for(event, **kwargs):
    form_class = FORMS_BY_KIND.get(event.kind, RegistrationForm)
    return form_class(event, **kwargs)


class ResendTicketForm(FlaskForm):
    """The refusal page's "mail my ticket again" button: the phone typed a moment ago."""
    phone = HiddenField()


class FindTicketForm(FlaskForm):
    """The event page's "find my ticket": the phone registered with, typed again. Its
    ticket is mailed again to the e-mail given then (the same route as ResendTicketForm)."""
    phone = StringField(
        _l("报名时填写的手机号码"), filters=[strip_text],
        validators=[DataRequired(message=_l("请填写手机号码。")),
                    MaxLength(max=40, message=_l("请输入 11 位中国大陆手机号码，例如 139 0000 1111。")),
                    mainland_mobile],
    )

    @property
    def normalised_phone(self):
        return getattr(self.phone, "normalised", None)


class CancelForm(FlaskForm):
    """The confirmation page's button: the CSRF token, and the status the page showed
    (``seen``), so that a page opened before a promotion or an approval does not give up a
    place its reader has not seen. CONTRACT §4 asks only for the token: without ``seen``
    (or with a value no ticket has) it cancels whatever the ticket holds."""
    seen = HiddenField()

    @property
    def seen_status(self):
        from app.models.registration import ACTIVE_STATUSES

        return self.seen.data if self.seen.data in ACTIVE_STATUSES else None
