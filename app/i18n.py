"""Locale and time zone: Simplified Chinese first, English available; times shown in
Asia/Shanghai whatever the server's clock says."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import format_datetime, get_locale, get_translations
from flask_babel import lazy_gettext as _l

LOCALE_COOKIE = "lang"
# Parsed once: Flask-Babel would parse the selector's answer again for every request.
CHINESE = Locale.parse("zh_Hans_CN")
ENGLISH = Locale.parse("en")


def select_locale():
    if not has_request_context():
        return CHINESE  # CLI commands and the mail worker speak Chinese
    wanted = request.args.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if wanted is None:
        return getattr(request, "holder_locale", CHINESE)
    return ENGLISH if wanted == "en" else CHINESE


def speak_as_holder(registration):
    """A page about one registration (its ticket, cancel, erase and evaluation pages)
    speaks the language it was made in, unless this browser chose one: the link in an
    English mail may be opened on any phone. Only this request: the next page, not about
    them, is in Chinese again."""
    if registration.locale != "en" or request.args.get("lang") or request.cookies.get(LOCALE_COOKIE):
        return
    request.holder_locale = ENGLISH
    from flask_babel import refresh

    refresh()  # in case something asked for the locale before the registration was read


def select_timezone():
    return current_app.config["TIMEZONE"]


def local(dt):
    """An aware datetime in the app's time zone (Asia/Shanghai)."""
    if dt is None:
        return None
    return dt.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def local_moment(dt, day=None):
    """``dt`` in local time, as short as it stays unambiguous: the time alone on the same day
    as ``day`` (a date the reader sees beside it, such as the shift's), else with its date,
    and with its year too when that is not the current year. (A time shown without its date
    next to another day's reads as that day's: 01:00–23:00 for a span of years.)"""
    if dt is None:
        return ""
    moment = local(dt)
    if day is not None and moment.date() == local(day).date():
        return format_datetime(dt, "HH:mm")
    if moment.year == local(datetime.now(timezone.utc)).year:
        return format_datetime(dt, "MM-dd HH:mm")
    return format_datetime(dt, "yyyy-MM-dd HH:mm")


def local_span(starts, ends, with_date=True):
    """A slot's time as people read it: "2026-12-02 周三 09:30–11:30" (without its date:
    "09:30–11:30"). An end on another day carries its date ("22:00–12-03 01:00"), except
    midnight, which reads "24:00" of the first day, as a timetable writes it."""
    if starts is None or ends is None:
        return ""
    start, end = local(starts), local(ends)
    if end.date() == start.date() + timedelta(days=1) and (end.hour, end.minute) == (0, 0):
        until = "24:00"
    else:
        until = local_moment(ends, starts)
    begins = format_datetime(starts, "yyyy-MM-dd EEE HH:mm" if with_date else "HH:mm")
    return f"{begins}–{until}"


def _catalogue():
    """The translations for the current locale, looked up once per request and locale.
    Flask-Babel looks the locale and the catalogue up again for every string (about 6 µs);
    a page translates some thirty, and a registration rush serves pages by the thousand.
    The catalogue is kept with the locale object it was made for, so force_locale (mail in
    the registrant's language) still switches it."""
    locale = get_locale()
    kept = g.get("_openday_catalogue")
    if kept is None or kept[0] is not locale:
        kept = g._openday_catalogue = (locale, get_translations())
    return kept[1]


def install_template_gettext(app):
    """Jinja's _() and friends through _catalogue() (the i18n extension's new style, as
    Flask-Babel installs it: autoescaping and %-formatting unchanged)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )


def register_filters(app):
    @app.template_filter("local_dt")
    def local_dt(dt, fmt="yyyy-MM-dd HH:mm"):
        if dt is None:
            return ""
        return format_datetime(dt, fmt)

    @app.template_filter("local_time")
    def local_time(dt):
        return format_datetime(dt, "HH:mm") if dt else ""

    @app.template_filter("local_date")
    def local_date(dt):
        return format_datetime(dt, "yyyy-MM-dd EEE") if dt else ""

    app.add_template_filter(local_moment, "local_moment")
    app.add_template_filter(local_span, "local_span")

    # "{% if slot.ends_at is past %}": whether a moment has come, as the page is made.
    app.add_template_test(lambda dt: dt is not None and dt <= datetime.now(timezone.utc), "past")

    # What each stored code is called (app/labels.py); a global, so that imported macros
    # (admin/_status.html) see it too.
    from app import labels

    app.jinja_env.globals["labels"] = labels

    @app.context_processor
    def inject_globals():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale())}


# The default organisation name from config.py, shown through _(config.ORGANISATION_NAME):
# marked here so that it is extracted and gets its English name. A deployment that sets
# another name shows that name as it is.
DEFAULT_NAMES = (_l("松江区机关事务管理局"),)
