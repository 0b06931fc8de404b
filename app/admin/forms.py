"""Forms of the staff workspace. They check shape only; the rules (the same as
``flask events import``) live in the services."""
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app import labels
from app.forms_common import (
    LinesField,
    WholeNumberField,
    no_hidden_characters,
    party_size_field,
    whole_number_between,
)
from app.models.event import CHECKIN_CLOSES_MINUTES_AFTER_END, CHECKIN_OPENS_MINUTES_BEFORE
from app.public.forms import RegistrationForm
from app.services import staff as staff_service
from app.services.errors import InvalidData
from app.services.staff import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.services.text import has_hidden_characters

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DT_FORMAT = "%Y-%m-%dT%H:%M"
# What a datetime-local input sends, first (and shows); then what people type into the plain
# text box that a browser without a date picker shows instead (a space, or seconds).
DT_FORMATS = [DT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def options(pairs):
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


KIND_CHOICES = options([("open_day", _l("开放日")), ("volunteer", _l("志愿者招募"))])
MODE_CHOICES = options([("onsite", _l("现场")), ("online", _l("线上"))])
STATUS_CHOICES = options([("", _l("全部状态")), *labels.REGISTRATION_STATUS.items()])
EXTRA_SLOT_ROWS = 2


def _iso(value):
    """A datetime-local value (read as Beijing time) in the import format."""
    return value.replace(tzinfo=LOCAL_TZ).isoformat() if value else None


def local_input(dt):
    """An aware datetime as the naive Beijing time a datetime-local input shows."""
    return dt.astimezone(LOCAL_TZ).replace(tzinfo=None) if dt else None


class TranslatedForm(Form):
    """A plain (CSRF-less) form whose built-in messages speak Chinese, like FlaskForm's."""

    class Meta:
        def get_translations(self, form):
            from flask import current_app
            from flask_wtf.i18n import translations

            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return translations


MINUTES_MAX = 24 * 60
PARTY_SIZE_MESSAGE = whole_number_between(1, 20)
CAPACITY_MESSAGE = whole_number_between(0, 100000)
SEATS_MESSAGE = whole_number_between(1, 100000)
MAX_USES_MESSAGE = whole_number_between(1, 1000)
WINDOW_MESSAGE = _l("请填写 0 到 %(n)d 之间的整数（分钟），或留空。", n=MINUTES_MAX)


class SlotForm(TranslatedForm):
    key = StringField(_l("场次代码"), validators=[Optional(), Length(max=40)])
    label = StringField(_l("场次名称"), validators=[Optional(), Length(max=200), no_hidden_characters()])
    starts_at = DateTimeLocalField(_l("开始时间"), format=DT_FORMATS, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("结束时间"), format=DT_FORMATS, validators=[Optional()])
    capacity = WholeNumberField(_l("名额"), invalid_value_message=CAPACITY_MESSAGE, validators=[
        Optional(), NumberRange(min=0, max=100000, message=CAPACITY_MESSAGE)])
    mode = SelectField(_l("方式"), choices=MODE_CHOICES, default="onsite")
    join_url = StringField(_l("线上参与链接"), validators=[Optional(), Length(max=500)])
    location = StringField(_l("场次地点"), validators=[Optional(), Length(max=300), no_hidden_characters()])
    description = StringField(_l("场次说明"), validators=[Optional(), Length(max=2000),
                                                      no_hidden_characters(multiline=True)])

    def is_blank(self):
        return not ((self.key.data or "").strip() or (self.label.data or "").strip()
                    or self.starts_at.data or self.ends_at.data or self.capacity.data is not None)

    def to_data(self):
        return {
            "key": (self.key.data or "").strip(),
            "label": (self.label.data or "").strip(),
            "starts_at": _iso(self.starts_at.data),
            "ends_at": _iso(self.ends_at.data),
            "capacity": self.capacity.data,
            "mode": self.mode.data,
            "join_url": (self.join_url.data or "").strip() or None,
            "location": (self.location.data or "").strip() or None,
            "description": (self.description.data or "").strip(),
        }


class EventForm(FlaskForm):
    slug = StringField(_l("网址代码（slug）"), validators=[DataRequired(_l("请填写网址代码。")),
                                                     Length(max=80)])
    kind = SelectField(_l("类型"), choices=KIND_CHOICES, default="open_day")
    # Hidden characters are refused in what citizens read: a bidi override flips a title.
    title = StringField(_l("活动名称"), validators=[DataRequired(_l("请填写活动名称。")),
                                                 Length(max=200), no_hidden_characters()])
    description = LinesField(_l("活动介绍"), validators=[Optional(), Length(max=5000),
                                                        no_hidden_characters(multiline=True)])
    location = StringField(_l("地点"), validators=[Optional(), Length(max=300), no_hidden_characters()])
    what_to_bring = LinesField(_l("参加须知"), validators=[Optional(), Length(max=2000),
                                                          no_hidden_characters(multiline=True)])
    registration_opens_at = DateTimeLocalField(
        _l("报名开始（北京时间）"), format=DT_FORMATS,
        validators=[InputRequired(_l("请填写报名开始时间。"))])
    registration_closes_at = DateTimeLocalField(
        _l("报名截止（北京时间）"), format=DT_FORMATS,
        validators=[InputRequired(_l("请填写报名截止时间。"))])
    max_party_size = WholeNumberField(
        _l("每次最多报名人数"), default=1, invalid_value_message=PARTY_SIZE_MESSAGE,
        validators=[InputRequired(_l("请填写人数。")),
                    NumberRange(min=1, max=20, message=PARTY_SIZE_MESSAGE)])
    waitlist = BooleanField(_l("约满后开放候补"))
    # Blank is the contract's window: from 60 minutes before a slot until its end.
    checkin_opens_minutes_before = WholeNumberField(
        _l("开场前多少分钟可以签到"), invalid_value_message=WINDOW_MESSAGE,
        validators=[Optional(), NumberRange(min=0, max=MINUTES_MAX, message=WINDOW_MESSAGE)])
    checkin_closes_minutes_after_end = WholeNumberField(
        _l("结束后多少分钟内仍可签到"), invalid_value_message=WINDOW_MESSAGE,
        validators=[Optional(), NumberRange(min=0, max=MINUTES_MAX, message=WINDOW_MESSAGE)])
    feedback_topics = LinesField(_l("评价项目（每行一项）"), validators=[
        Optional(), Length(max=1000), no_hidden_characters(multiline=True)])
    slots = FieldList(FormField(SlotForm), min_entries=1, max_entries=50)
    # The event's version (services.events.version_of) when the form was opened.
    edited_version = HiddenField()
    general_errors = None  # service refusals that name no single field

    def to_data(self, status):
        """The form as import-format JSON, for services.events.validate_event_data."""
        topics = [t.strip() for t in (self.feedback_topics.data or "").splitlines() if t.strip()]
        opens, closes = (self.checkin_opens_minutes_before.data,
                         self.checkin_closes_minutes_after_end.data)
        return {
            "slug": (self.slug.data or "").strip(),
            "kind": self.kind.data,
            "status": status,
            "title": (self.title.data or "").strip(),
            "description": self.description.data or "",
            "location": self.location.data or "",
            "what_to_bring": self.what_to_bring.data or "",
            "registration_opens_at": _iso(self.registration_opens_at.data),
            "registration_closes_at": _iso(self.registration_closes_at.data),
            "max_party_size": self.max_party_size.data,
            "waitlist": bool(self.waitlist.data),
            "feedback_topics": topics,
            "checkin_opens_minutes_before": CHECKIN_OPENS_MINUTES_BEFORE if opens is None else opens,
            "checkin_closes_minutes_after_end":
                CHECKIN_CLOSES_MINUTES_AFTER_END if closes is None else closes,
            "slots": [row.form.to_data() for row in self.slots if not row.form.is_blank()],
        }

    def slot_row_for(self, index):
        """The form row behind ``slots[index]`` of to_data() (blank rows are skipped)."""
        rows = [row for row in self.slots if not row.form.is_blank()]
        return rows[index] if 0 <= index < len(rows) else None


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CancelForm(FlaskForm):
    reason = StringField(_l("取消原因"), validators=[DataRequired(_l("请填写取消原因。")),
                                                 Length(max=500), no_hidden_characters()])


class SearchForm(TranslatedForm):
    """The registrations list's query string (GET, no CSRF)."""

    q = StringField(_l("姓名、手机尾号或票号"), validators=[Optional(), Length(
        max=50, message=_l("最多输入 %(max)d 个字：请只输入姓名、手机尾号或票号。"))])
    slot = SelectField(_l("场次"), choices=[], validate_choice=False, default="")
    status = SelectField(_l("状态"), choices=STATUS_CHOICES, validate_choice=False, default="")
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


def without_hidden_characters(value):
    if not isinstance(value, str):
        return value
    return "".join(char for char in value if not has_hidden_characters(char))


class WalkInForm(FlaskForm):
    slot = SelectField(_l("场次"), choices=[], validators=[DataRequired(_l("请选择场次。"))])
    # The public form's name: spaces trimmed, hidden characters (zero-width spaces, bidi
    # overrides) refused; a name of nothing visible would be a blank line on every list.
    name = RegistrationForm.name
    # A number copied from a phone's contacts or call log comes wrapped in invisible
    # direction marks (U+202D … U+202C): they go, the digits stay.
    phone = StringField(_l("手机号码"), filters=[without_hidden_characters],
                        validators=[DataRequired(_l("请填写手机号码。")), Length(max=30)])
    email = EmailField(_l("电子邮箱（选填）"), validators=[Optional(), Length(max=254),
                                                     Email(_l("电子邮箱格式不正确。"))])
    party_size = party_size_field()  # the event's own limit: for_party_size() in the view
    source = SelectField(_l("来源"), choices=options([("walk_in", _l("现场登记")),
                                                     ("phone_in", _l("电话报名"))]), default="walk_in")
    # A fresh key per form: "登记" tapped twice registers once (workspace.walk_in_made_by_form).
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])


def staff_username(form, field):
    """The service's rule for user names (app/services/staff.py), beside the field with any
    other slip of the form; the name as it will be stored stays in the field."""
    try:
        field.data = staff_service.validate_username(field.data)
    except InvalidData as error:
        raise ValidationError(str(error.message)) from None


class StaffCreateForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")),
                                                  staff_username])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=50),
                                                     no_hidden_characters()])
    role = SelectField(_l("角色"), choices=options([("staff", _l("工作人员（签到、现场登记）")),
                                                   ("admin", _l("管理员"))]), default="staff")
    password = PasswordField(_l("初始密码"), validators=[
        DataRequired(_l("请填写密码。")),
        Length(min=MIN_PASSWORD_LENGTH,
               message=_l("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH)),
        Length(max=MAX_PASSWORD_LENGTH,
               message=_l("密码最多 %(n)d 个字符。", n=MAX_PASSWORD_LENGTH))])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[
        DataRequired(_l("请填写密码。")),
        Length(min=MIN_PASSWORD_LENGTH,
               message=_l("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH)),
        Length(max=MAX_PASSWORD_LENGTH,
               message=_l("密码最多 %(n)d 个字符。", n=MAX_PASSWORD_LENGTH))])


class SeatsForm(FlaskForm):
    """Hold back (or release) seats of a slot for invitees."""

    slot = SelectField(_l("场次"), choices=[], validators=[DataRequired(_l("请选择场次。"))])
    seats = WholeNumberField(_l("名额数"), invalid_value_message=SEATS_MESSAGE, validators=[
        InputRequired(_l("请填写名额数。")), NumberRange(min=1, max=100000, message=SEATS_MESSAGE)])


class InvitationForm(FlaskForm):
    slot = SelectField(_l("场次"), choices=[], validators=[DataRequired(_l("请选择场次。"))])
    # A fresh key per form: "生成链接" pressed twice gives one link (services.invitations).
    form_key = HiddenField()
    label = StringField(_l("受邀人或团体"), validators=[DataRequired(_l("请填写受邀人或团体。")),
                                                   Length(max=200), no_hidden_characters()])
    max_uses = WholeNumberField(
        _l("可报名次数"), default=1, invalid_value_message=MAX_USES_MESSAGE,
        validators=[InputRequired(_l("请填写可报名次数。")),
                    NumberRange(min=1, max=1000, message=MAX_USES_MESSAGE)])
