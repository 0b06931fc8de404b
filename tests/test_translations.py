"""Chinese first, English complete: every string a person reads is marked for translation,
the English catalogue translates all of them, and pages rendered in either language show
no text left in the other one (issue 9)."""
import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# Besides Babel's defaults (_, gettext, ngettext, pgettext, …).
KEYWORDS = ["_l", "lazy_gettext", "lazy_pgettext:1c,2"]
IGNORE_DIRS = ".* __pycache__"

IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")
# Ideographs plus CJK and full-width punctuation (：，（）、。), none of which English uses.
CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")

# Language names are written in their own language on the switch, whichever page they are on.
SWITCH_LABELS = ("中文",)


def _catalogue(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    """Extract the messages from the code now, as `make babel-extract` does."""
    pot = tmp_path_factory.mktemp("babel") / "messages.pot"
    # Babel skips folders whose name starts with "_" unless told otherwise (templates/_macros).
    argv = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--ignore-dirs", IGNORE_DIRS,
            "-o", str(pot)]
    for keyword in KEYWORDS:
        argv += ["-k", keyword]
    CommandLineInterface().run(argv + [str(ROOT)])
    with open(pot, "rb") as f:
        return read_po(f)


def _ids(catalogue):
    return [m.id for m in catalogue if m.id]


def _key(msgid):
    return msgid[0] if isinstance(msgid, tuple) else msgid


def test_makefile_extracts_with_the_same_keywords():
    makefile = (ROOT / "Makefile").read_text()
    line = makefile.split("pybabel extract", 1)[1].split("\n\n", 1)[0]
    assert f'--ignore-dirs="{IGNORE_DIRS}"' in line
    for keyword in KEYWORDS:
        assert f"-k {keyword}" in line
    assert "-F babel.cfg" in line
    assert "pybabel compile" in makefile and "babel-compile" in makefile.split("test:")[1].splitlines()[0]


def test_every_message_has_an_english_translation(fresh_template):
    english = _catalogue("en")
    missing, empty, fuzzy = [], [], []
    for msgid in _ids(fresh_template):
        message = english.get(msgid)
        if message is None:
            missing.append(_key(msgid))
        elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            empty.append(_key(msgid))
        elif message.fuzzy:
            fuzzy.append(_key(msgid))
    assert not missing, f"not in translations/en (run `make babel-update`, then translate): {missing}"
    assert not empty, f"untranslated in translations/en: {empty}"
    assert not fuzzy, f"fuzzy (unchecked) in translations/en: {fuzzy}"


def test_english_translations_are_english_and_keep_their_placeholders():
    english = _catalogue("en")
    chinese_left = [m.id for m in english if m.id and m.string and IDEOGRAPH.search(str(m.string))]
    assert not chinese_left, f"English msgstr still holds Chinese: {chinese_left}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in english.check()]
    assert not problems, problems


def test_no_message_without_chinese_is_left_untranslated_in_chinese(fresh_template):
    chinese = _catalogue("zh_Hans_CN")
    untranslated = []
    for msgid in _ids(fresh_template):
        if CJK.search(_key(msgid)):
            continue  # a Chinese msgid is its own Chinese text
        message = chinese.get(msgid)
        if message is None or not message.string:
            untranslated.append(_key(msgid))
    assert not untranslated, f"give these a Chinese msgstr in translations/zh_Hans_CN: {untranslated}"


def test_no_catalogue_entry_is_fuzzy():
    for locale in ("en", "zh_Hans_CN"):
        assert not [m.id for m in _catalogue(locale) if m.id and m.fuzzy], locale


# ---- nothing a person reads is written outside a translation call -------------------------

_TEMPLATE_NOISE = [
    re.compile(r"\{#.*?#\}", re.S),  # Jinja comments
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"\{%\s*trans\b.*?\{%\s*endtrans\s*%\}", re.S),
    # ngettext("…", "…", n): both strings (the same Chinese; English has two forms)
    re.compile(r'''\bngettext\(\s*"(?:[^"\\]|\\.)*"\s*,\s*"(?:[^"\\]|\\.)*"'''),
    # a translation call's first (string) argument: what gets extracted
    re.compile(r"""\b(?:_|gettext|ngettext|_l|lazy_gettext)\(\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""),
    # pgettext("context", "…"): one Chinese word read two ways (报名时间: a period, a moment)
    re.compile(r"""\bpgettext\(\s*(?:"[^"]*"|'[^']*')\s*,\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)"""),
]


def _untranslated_in_template(text):
    for pattern in _TEMPLATE_NOISE:
        text = pattern.sub("", text)
    for label in SWITCH_LABELS:
        text = text.replace(f">{label}<", "><")
    return [line.strip() for line in text.splitlines() if IDEOGRAPH.search(line)]


def test_the_template_scan_finds_raw_chinese():
    assert _untranslated_in_template('<p>{{ _("地点：") }}{{ x }}</p>') == []
    assert _untranslated_in_template("{# 注释 #}<p>报名</p>") == ["<p>报名</p>"]
    assert _untranslated_in_template('{{ "、" }}{{ "中国" }}') == ['{{ "、" }}{{ "中国" }}']


def test_templates_have_no_chinese_outside_translation_calls():
    found = {}
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            lines = _untranslated_in_template(path.read_text(encoding="utf-8"))
            if lines:
                found[str(path.relative_to(ROOT))] = lines
    assert not found, f"wrap these in {{{{ _(\"…\") }}}}: {found}"


TRANSLATION_CALLS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext",
                     "pgettext", "lazy_pgettext"}

# Chinese written into Python on purpose: (file, enclosing function or assigned name).
PYTHON_ALLOWED = {
    # Export files keep Chinese headers and values whatever the page language: a stable
    # file format for spreadsheets and scripts (CONTRACT.md, exports).
    ("app/services/exports.py", "*"),
    ("app/services/reports.py", "report_rows"),
    ("app/admin/volunteer_routes.py", "HOURS_HEADER"),
    ("app/admin/feedback_routes.py", "export_*"),
    ("app/models/feedback.py", "OVERALL_LEVELS"),
    # Stored in the database (data, not interface): the name left after erasure, a reason.
    ("app/services/privacy.py", "ERASED_NAME"),
    ("app/services/volunteers.py", "withdraw"),
    # The default organisation name; shown through _(config.ORGANISATION_NAME), its
    # translation marked in app/i18n.py.
    ("config.py", "Config"),
    # Demonstration content, like events staff would type.
    ("app/services/demo.py", "*"),
    # A pattern that finds the import's field names in its Chinese messages, to relabel them.
    ("app/admin/routes.py", "_FIELD_PATH"),
    ("app/admin/routes.py", "_beside_its_field"),
    # A pattern that finds the words people write before a WeChat ID (微信号：…), to mask it.
    ("app/services/privacy.py", "WECHAT_IN_TEXT"),
}


def _python_untranslated(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def inside_translation(node):
        while node in parents:
            parent = parents[node]
            if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                    and parent.func.id in TRANSLATION_CALLS and node in parent.args):
                return True
            node = parent
        return False

    def owner(node):
        name = "*module*"
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                return node.name
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
        return name

    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not IDEOGRAPH.search(node.value) or isinstance(parents.get(node), ast.Expr):
            continue  # no Chinese, or a docstring
        if not inside_translation(node):
            yield owner(node), node.lineno, node.value


def test_python_has_no_chinese_outside_translation_calls():
    from fnmatch import fnmatch

    found = []
    for path in sorted([*(ROOT / "app").rglob("*.py"), ROOT / "config.py"]):
        rel = str(path.relative_to(ROOT))
        for where, line, text in _python_untranslated(path):
            if any(rel == f and (p == "*" or fnmatch(where, p)) for f, p in PYTHON_ALLOWED):
                continue
            found.append(f"{rel}:{line} ({where}): {text[:60]!r}")
    assert not found, "wrap these in _() / _l(), or allow them with a reason: " + "\n".join(found)


def test_static_javascript_reads_its_words_from_the_page():
    for path in (ROOT / "static" / "js").glob("*.js"):
        assert not IDEOGRAPH.search(path.read_text(encoding="utf-8")), path.name


# ---- rendered pages ------------------------------------------------------------------------

class _VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes outside script/style, and the attributes
    screen readers and browsers show."""

    SKIP = {"script", "style"}
    ATTRS = {"aria-label", "title", "placeholder", "alt", "content"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        attrs = dict(attrs)
        for name in self.ATTRS:
            if attrs.get(name) and (name != "content" or tag == "meta" and attrs.get("name") == "description"):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html):
    parser = _VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for label in SWITCH_LABELS:
        text = text.replace(label, "")
    return text


def _cjk_lines(text):
    return [line for line in text.splitlines() if CJK.search(line)]


def _english_event(make_event, **overrides):
    """An event whose own content is English, so any Chinese on its pages is ours."""
    from tests.conftest import event_data

    slots = [dict(slot, label="Morning") for slot in event_data()["slots"]]
    return make_event(title="Energy Open Day", description="See the solar roof.",
                      location="District Centre", what_to_bring="ID card",
                      feedback_topics=["Energy saving", "Waste sorting"], slots=slots, **overrides)


def _public_pages(event, registration):
    return [
        "/", f"/events/{event.slug}", f"/events/{event.slug}/register", f"/tickets/{registration.token}",
        f"/tickets/{registration.token}/cancel", "/privacy", "/staff/login", "/no-such-page",
        f"/events/{event.slug}/feedback", f"/events/{event.slug}/poster", "/tickets/not-a-token",
    ]


def test_visible_text_helper_sees_attributes_and_skips_scripts():
    text = visible_text('<p title="标题">文字</p><script>var a = "脚本";</script><input type="submit" value="提交">')
    assert "标题" in text and "文字" in text and "提交" in text and "脚本" not in text


def test_public_pages_in_english_show_no_chinese(client, make_event, make_registration):
    event = _english_event(make_event)
    registration = make_registration(event, name="Alice Smith", email="alice@example.com")
    drive = _english_event(make_event, slug="sorting-drive", kind="volunteer")
    application = make_registration(drive, name="Bob Lee", phone="13900000099")
    client.set_cookie("lang", "en")
    leaks = {}
    urls = _public_pages(event, registration) + [
        f"/events/{drive.slug}", f"/events/{drive.slug}/apply", f"/events/{drive.slug}/register",
        f"/tickets/{application.token}", f"/tickets/{registration.token}/feedback"]
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        lines = _cjk_lines(visible_text(response.get_data(as_text=True)))
        if lines:
            leaks[url] = lines
    assert not leaks, leaks


def test_form_errors_in_english_and_in_chinese(client, make_event):
    from flask_babel import refresh

    event = _english_event(make_event)
    # An empty submission and a malformed one: our messages and WTForms' own defaults.
    bad = {"slot": "nope", "name": "", "phone": "12", "party_size": "many", "email": "x@"}
    response = client.post(f"/events/{event.slug}/register?lang=en", data=bad)
    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    assert not _cjk_lines(text), _cjk_lines(text)
    assert "mobile number" in text

    refresh()  # the test's app context outlives requests; Babel caches the locale there
    response = client.post(f"/events/{event.slug}/register?lang=zh", data=bad)
    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    assert "手机号码" in text
    assert not _english_ui(text, allowed=("Energy Open Day", "Morning", "District Centre",
                                          "See the solar roof.", "ID card")), text


def test_wtforms_built_in_messages_follow_the_language(app):
    from flask_babel import refresh
    from flask_wtf import FlaskForm
    from wtforms import IntegerField
    from wtforms.validators import InputRequired

    class Probe(FlaskForm):
        number = IntegerField(validators=[InputRequired()])

    for lang, expected in (("zh", "该字段是必填字段"), ("en", "This field is required")):
        with app.test_request_context(f"/?lang={lang}", method="POST", data={"number": ""}):
            refresh()  # the test's app context outlives requests; Babel caches the locale there
            form = Probe(meta={"csrf": False})
            assert not form.validate()
            assert expected in " ".join(form.number.errors)
        with app.test_request_context(f"/?lang={lang}", method="POST", data={"number": "x"}):
            refresh()
            form = Probe(meta={"csrf": False})
            form.validate()
            message = " ".join(form.number.errors)
            assert ("整数" in message) if lang == "zh" else ("integer" in message), message


# English words that only show up when a string escaped translation (or WTForms spoke English).
ENGLISH_UI_WORDS = ["Submit", "Cancel", "Not a valid", "This field is required", "Invalid", "Field must",
                    "Please", "Register", "Sign in", "Sign out", "Search", "Save", "Back", "Ticket",
                    "Event", "Error", "Page not found", "required"]


def _english_ui(text, allowed=()):
    for item in allowed:
        text = text.replace(item, "")
    text = text.replace("English", "")  # the language switch, in its own language
    return [word for word in ENGLISH_UI_WORDS if re.search(rf"\b{re.escape(word)}\b", text)]


def test_public_pages_in_chinese_show_no_english_ui(client, make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    leaks = {}
    for url in _public_pages(event, registration):
        response = client.get(url)
        assert response.status_code < 500, url
        words = _english_ui(visible_text(response.get_data(as_text=True)))
        if words:
            leaks[url] = words
    assert not leaks, leaks


def _staff_pages(app, event):
    pages = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or "GET" not in rule.methods:
            continue
        if any(part in rule.rule for part in ("export", ".json", "<int:", "<person>", "login")):
            continue
        pages.append(rule.rule.replace("<slug>", event.slug))
    return sorted(pages)


def test_staff_pages_in_english_show_no_chinese(app, client, auth, make_event, make_registration):
    event = _english_event(make_event)
    registration = make_registration(event, name="Alice Smith")
    drive = _english_event(make_event, slug="sorting-drive", kind="volunteer")
    auth.login("admin")
    client.set_cookie("lang", "en")
    urls = (_staff_pages(app, event) + _staff_pages(app, drive)
            + [f"/staff/registrations/{registration.id}"])
    leaks = {}
    for url in sorted(set(urls)):
        response = client.get(url)
        assert response.status_code < 500, url
        lines = _cjk_lines(visible_text(response.get_data(as_text=True)))
        if lines:
            leaks[url] = lines
    assert not leaks, leaks


def test_staff_pages_in_chinese_show_no_english_ui(app, client, auth, make_event, make_registration):
    event = make_event()
    make_registration(event)
    auth.login("admin")
    leaks = {}
    for url in _staff_pages(app, event):
        response = client.get(url)
        assert response.status_code < 500, url
        words = _english_ui(visible_text(response.get_data(as_text=True)), allowed=("CSV", "Excel", "JSON"))
        if words:
            leaks[url] = words
    assert not leaks, leaks


def test_the_language_switch_changes_the_page(client, make_event):
    from flask_babel import refresh

    make_event()
    assert "开放日活动" in client.get("/").get_data(as_text=True)
    response = client.post("/preferences", data={"lang": "en", "next": "/"})
    assert response.status_code in (302, 303)
    refresh()  # the test's app context outlives requests; Babel caches the locale there
    page = client.get("/").get_data(as_text=True)
    assert "Open day events" in page and "中文" in page
    client.post("/preferences", data={"lang": "zh", "next": "/"})
    refresh()
    assert "开放日活动" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("kind", ["confirmation", "waitlisted", "promoted", "cancelled", "reminder", "pending",
                                  "approved", "rejected", "feedback_invite", "slot_changed"])
def test_emails_in_english_show_no_chinese(app, db, make_event, make_registration, kind):
    """Mail to someone who registered in English is English, whoever queues it (here a
    request read in Chinese, as a staff member's decision would be)."""
    from flask_babel import refresh

    from app.models import OutboxMessage
    from app.services.mail import queue_registration_mail

    event = _english_event(make_event)
    registration = make_registration(event, name="Alice Smith", email="alice@example.com")
    registration.locale = "en"  # registered on the English pages
    context = {"reason": "All places taken"} if kind == "rejected" else {}
    if kind == "slot_changed":
        from dataclasses import replace
        from datetime import timedelta

        from app.services.slot_changes import SlotTerms

        after = SlotTerms.of(registration.slot, event)
        before = replace(after, starts_at=after.starts_at - timedelta(hours=1), place="Old Hall")
        context = {"before": before, "after": after, "changed": before.changes_to(after)}
    with app.test_request_context("/?lang=zh"):
        refresh()
        message = queue_registration_mail(registration, kind, dedupe_key=f"test:{kind}", **context)
        db.session.flush()
    assert isinstance(message, OutboxMessage)
    leaks = _cjk_lines("\n".join([message.subject, message.body_text, visible_text(message.body_html or "")]))
    assert not leaks, leaks


def test_pages_and_mail_switch_language_within_one_request(app):
    """Templates look the catalogue up once per request (app/i18n.py), yet a message sent
    in the registrant's language from a Chinese page (force_locale) is in that language,
    and the page around it stays Chinese."""
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    with app.test_request_context("/"):
        refresh()
        assert render_template_string("{{ _('开放日') }}") == "开放日"
        with force_locale("en"):
            assert render_template_string("{{ _('开放日') }}") == "Open day"
        assert render_template_string("{{ _('开放日') }}") == "开放日"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert render_template_string("{{ _('开放日') }}") == "Open day"


def test_one_word_read_as_one_or_many_in_english(client, auth, make_event, make_registration):
    """活动, 场次 and 班次 are one word in Chinese for one or many; English says which."""
    event = _english_event(make_event)
    registration = make_registration(event)
    drive = _english_event(make_event, slug="drive", kind="volunteer", max_party_size=1)
    public = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    assert "<h2>Sessions</h2>" in public
    assert "<h2>Shifts</h2>" in client.get(f"/events/{drive.slug}?lang=en").get_data(as_text=True)
    auth.login("admin")
    detail = client.get(f"/staff/registrations/{registration.id}?lang=en").get_data(as_text=True)
    assert ">Events</a>" in detail  # the menu: the list of them
    assert "<dt>Event</dt>" in detail  # this registration's one event
