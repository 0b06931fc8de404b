"""Forms of the volunteer review pages (shape only)."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.models.types import FIRST_YEAR, LAST_YEAR


class LocalDateTimeField(StringField):
    """A ``datetime-local`` input read in the office's time zone (Asia/Shanghai) and
    handed over as an aware UTC datetime."""

    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        for fmt in self.FORMATS:
            try:
                naive = datetime.strptime(self.raw[:19], fmt)
            except ValueError:
                continue
            # A slipped year (0001 from a date picker) is refused here: year 1 in Beijing
            # time does not convert to UTC at all (OverflowError, a 500).
            if not FIRST_YEAR <= naive.year <= LAST_YEAR:
                raise ValueError(_l("时间不正确。"))
            zone = ZoneInfo(current_app.config["TIMEZONE"])
            self.data = naive.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
            return
        raise ValueError(_l("时间格式应为 年-月-日 时:分。"))

    def _value(self):
        if self.data is None:
            return getattr(self, "raw", "") or ""
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return self.data.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


class TimeCorrectionForm(FlaskForm):
    checked_in_at = LocalDateTimeField(_l("签到时间"), validators=[Optional()])
    checked_out_at = LocalDateTimeField(_l("签退时间"), validators=[Optional()])
    extended_until = LocalDateTimeField(_l("班次延长至（选填）"), validators=[Optional()])
    clear_checkout = BooleanField(_l("清除签退时间"))
    clear_extension = BooleanField(_l("取消延长"))
    reason = StringField(_l("更正原因"), validators=[
        DataRequired(_l("请填写更正原因，它会记入操作日志。")),
        Length(max=500, message=_l("原因最多 500 个字。"))])

    def validate_checked_in_at(self, field):
        if field.data and field.data.year < 2000:
            raise ValidationError(_l("时间不正确。"))
