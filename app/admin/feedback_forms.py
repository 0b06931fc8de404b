"""Staff forms for evaluations: closing a follow-up, choosing a report's period."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms_common import LinesField, WholeNumberField
from app.models.types import FIRST_YEAR, LAST_YEAR

YEAR_MESSAGE = _l("年份应在 2000 至 2100 之间。")


class CloseFollowUpForm(FlaskForm):
    action_note = LinesField(_l("办理情况"), validators=[
        DataRequired(_l("请填写办理情况。")), Length(max=2000, message=_l("办理情况最多 2000 个字。"))])


class ReportPeriodForm(FlaskForm):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    year = WholeNumberField(_l("年份"), invalid_value_message=YEAR_MESSAGE, validators=[
        Optional(), NumberRange(min=FIRST_YEAR, max=LAST_YEAR, message=YEAR_MESSAGE)])
    quarter = SelectField(_l("期间"), choices=[SelectChoice("", _l("全年")), SelectChoice("1", _l("第一季度")),
                                               SelectChoice("2", _l("第二季度")),
                                               SelectChoice("3", _l("第三季度")),
                                               SelectChoice("4", _l("第四季度"))],
                          default="", validate_choice=True)  # not given: the whole year
