from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.services.staff import normalise_username


class LoginForm(FlaskForm):
    # A tablet's keyboard would capitalise the name and "correct" it into a word; a Chinese
    # keyboard may type it full-width (ａｄｍｉｎ), read as the name it shows.
    username = StringField(_l("用户名"), filters=[normalise_username],
                           validators=[DataRequired(_l("请输入用户名。")), Length(max=50)],
                           render_kw={"autocapitalize": "none", "autocorrect": "off",
                                      "spellcheck": "false"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")),
                                                   Length(max=200)])
