"""Form fields the staff workspace and the public pages share. Shape checks only, like
every form here; the rules live in the services."""
import functools

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from app.services.text import has_hidden_characters

HIDDEN_CHARACTERS_MESSAGE = _l("有无法显示的字符（如零宽空格、文字方向控制符），请删除后重新输入。")


class WholeNumberField(IntegerField):
    """An IntegerField that says one thing about "abc". WTForms' IntegerField refuses it,
    and NumberRange, which then sees no number, refuses it again: two messages for one slip.
    Given the range's message as ``invalid_value_message``, this field says it once.
    Full-width digits (１２) count as the number they show (int() reads them), as they
    always did in these fields."""

    def pre_validate(self, form):
        # Blank is for Optional / InputRequired to judge; something typed that is no whole
        # number has had its message already.
        if self.process_errors and self.raw_data and self.raw_data[0].strip():
            raise StopValidation()


class LinesField(TextAreaField):
    """A TextAreaField whose line breaks count as one character each: browsers send them
    as CRLF, so a comment that fits the box (and its maxlength) by what the person sees
    was refused as too long. Stored with LF."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")


def whole_number_between(low, high):
    """One message for every slip in a number field: not a number, or out of range."""
    return _l("请填写 %(low)d 到 %(high)d 之间的整数。", low=low, high=high)


def no_hidden_characters(message=HIDDEN_CHARACTERS_MESSAGE, *, multiline=False):
    """A validator refusing control and format characters (the rule of app/services/text.py):
    a bidi override flips how a title reads on the public pages, a zero-width space hides
    part of a name. ``multiline`` lets a text area keep its line breaks."""

    def validator(form, field):
        if isinstance(field.data, str) and has_hidden_characters(field.data, multiline=multiline):
            raise ValidationError(message)

    return validator


# The most people one registration may bring, whatever the event (its form stops there).
MOST_PARTY_SIZE = 20


def party_size_field(most=MOST_PARTY_SIZE):
    """The number of people coming, 1 to ``most`` (the event's own limit where the form is
    made for one event): one message for every slip, and ``max`` on the input."""
    from wtforms.validators import InputRequired, NumberRange

    most = max(1, min(int(most or 1), MOST_PARTY_SIZE))
    message = whole_number_between(1, most)
    return WholeNumberField(_l("人数"), default=1, invalid_value_message=message,
                            validators=[InputRequired(_l("请填写人数。")),
                                        NumberRange(min=1, max=most, message=message)])


def for_party_size(form_class, most):
    """``form_class`` with its ``party_size`` field limited to ``most`` (a subclass made
    once per class and limit)."""
    return _limited(form_class, max(1, min(int(most or 1), MOST_PARTY_SIZE)))


@functools.cache
def _limited(form_class, most):
    return type(f"{form_class.__name__}UpTo{most}", (form_class,),
                {"party_size": party_size_field(most)})
