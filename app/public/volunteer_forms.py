"""The volunteer application form: shape checks only (the rules are in services/volunteers)."""
import secrets

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms_common import LinesField
from app.public.forms import (
    NAME_MAX,
    UNTICKED,
    MaxLength,
    mainland_mobile,
    no_control_characters,
    strip_text,
)

AGE_GROUP_CHOICES = [
    SelectChoice("", _l("请选择")),
    SelectChoice("18-30", _l("18–30 岁")),
    SelectChoice("31-45", _l("31–45 岁")),
    SelectChoice("46-60", _l("46–60 岁")),
    SelectChoice("60+", _l("60 岁以上")),
]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (WTForms' documented recipe)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("选择的班次不存在，请重新选择。"))


class VolunteerApplicationForm(FlaskForm):
    slots = MultiCheckboxField(_l("选择班次（可多选）"), choices=[],
                               validators=[DataRequired(_l("请至少选择一个班次。"))])
    # The same checks as the open-day form (app/public/forms.py): spaces trimmed, hidden
    # characters refused, phones as people type them.
    name = StringField(_l("姓名"), filters=[strip_text],
                       validators=[DataRequired(_l("请填写姓名。")),
                                   Length(max=NAME_MAX, message=_l("姓名最多 %(max)d 个字。")),
                                   no_control_characters])
    phone = StringField(_l("手机号码"), filters=[strip_text],
                        validators=[DataRequired(_l("请填写手机号码。")),
                                    MaxLength(max=40, message=_l("请输入 11 位中国大陆手机号码，例如 139 0000 1111。")),
                                    mainland_mobile])
    email = StringField(_l("电子邮箱（选填，用于接收审核结果）"), filters=[strip_text],
                        validators=[Optional(), MaxLength(max=254, message=_l("邮箱地址太长了。")),
                                    Email(_l("电子邮箱格式不正确。"))])
    age_group = SelectField(_l("年龄段"), choices=AGE_GROUP_CHOICES,
                            invalid_choice_message=_l("请选择年龄段。"),
                            validators=[DataRequired(_l("请选择年龄段。"))])
    organisation = StringField(_l("所在社区或单位"),
                               validators=[DataRequired(_l("请填写所在社区或单位。")),
                                           Length(max=200, message=_l("最多 200 个字。"))])
    experience = LinesField(_l("志愿服务或垃圾分类经验（选填）"),
                               validators=[Optional(), Length(max=2000, message=_l("最多 2000 个字。"))])
    availability = LinesField(_l("时间安排说明（选填）"),
                                 validators=[Optional(), Length(max=1000, message=_l("最多 1000 个字。"))])
    code = BooleanField(_l("我已阅读并遵守志愿者守则"), false_values=UNTICKED,
                        validators=[DataRequired(_l("请阅读并同意志愿者守则。"))])
    consent = BooleanField(_l("我同意主办方为组织志愿服务、记录服务时长处理我的上述个人信息"),
                           false_values=UNTICKED,
                           validators=[DataRequired(_l("请阅读个人信息保护说明并勾选同意。"))])
    submission_key = HiddenField()

    def __init__(self, *args, event=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.render_kw = {"value": "y"}
        self.consent.render_kw = {"value": "y"}
        if self.is_submitted() and not self.slots.data and request.form.getlist("slot"):
            # CONTRACT §4 names the registration form's shift field ``slot``; take it too.
            self.slots.data = request.form.getlist("slot")
        if event is not None:
            self.slots.choices = [SelectChoice(slot.key, slot.label) for slot in event.slots
                                  if not slot.has_started]
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(16)

    def validate_submission_key(self, field):
        if field.data and len(field.data) > 64:
            raise ValidationError(_l("页面已过期，请刷新后重新提交。"))
