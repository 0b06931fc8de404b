"""Configuration classes.

Nothing here reads the environment at import time: ``Config.from_env`` is called by
``create_app`` so that tests and several app servers can each build their own settings.
"""
import os
import secrets
from pathlib import Path


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(name, value, minimum=0):
    """An environment setting that must be a whole number: a wrong one stops the app at
    start with a message naming it (not a ValueError from deep inside)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {number}")
    return number


def normalise_database_url(url):
    """A plain ``postgresql://`` URL means psycopg 3, the only driver we ship."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    return url


def load_or_create_secret_key(instance_path):
    """Generate the secret once and keep it in ``instance/secret_key`` (mode 600)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A pooled PostgreSQL connection that sat unused this long is pinged before it serves a
    # request (app/database.py): a restart or a dropped link is caught there. One in
    # constant use is not: the ping would be one more round trip per request.
    DATABASE_PING_AFTER_IDLE_SECONDS = 1.0
    SQLITE_BUSY_TIMEOUT_MS = 5000
    WTF_CSRF_TIME_LIMIT = None  # a citizen may take a while; the token is tied to the session
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 12 * 3600  # absolute limit for a staff session
    # The cookie's expiry is set at sign-in to the absolute limit; re-sending it with every
    # answer would only cost a signature per request (the idle clock is in the session).
    SESSION_REFRESH_EACH_REQUEST = False
    STAFF_IDLE_TIMEOUT_SECONDS = 30 * 60
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Where `flask demo` keeps the demo admin's password (None: instance/demo-admin-password).
    DEMO_ADMIN_PASSWORD_FILE = None
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    # Redis down must not take registration, sign-in and check-in down with it (every
    # limited route answered 500): each worker counts in memory until Redis is back, and a
    # storage error is logged instead of raised. /healthz still reports Redis as down.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    PRIVACY_RETENTION_DAYS = 30
    PRIVACY_NOTICE_VERSION = "2026-11"
    ORGANISATION_NAME = "松江区机关事务管理局"
    ORGANISATION_CONTACT = "021-57700000"
    # Which overall levels count as satisfied: 4 非常满意, 3 满意, 2 基本满意.
    SATISFIED_LEVELS = (4, 3, 2)
    FOLLOW_UP_WORKING_DAYS = 15
    # Anonymous evaluations (venue poster) per client address. Generous on purpose: a whole
    # audience may share the venue's Wi-Fi address; a repeat from one browser is refused by
    # its cookie instead.
    FEEDBACK_ANONYMOUS_LIMIT = "30 per 10 minutes;300 per day"
    # Registration forms (public, volunteer, invitation): per client address, generous
    # because a family or an office may share one address; per phone number, counted only
    # for submissions that pass the form's checks.
    REGISTRATION_IP_LIMIT = "20 per minute;200 per hour"
    REGISTRATION_PHONE_LIMIT = "5 per hour"
    # The check-in API, per signed-in staff member: only stops a runaway script.
    CHECKIN_API_LIMIT = "600 per minute"
    # Seconds any one exchange with the SMTP server may take (connect, greeting, each
    # command): a server that accepts and never answers must not hang the mail worker.
    MAIL_TIMEOUT = 10
    # A worker claims a message for this long while it sends; should the worker die, the
    # message is sent once the claim lapses. Far beyond a send's dozen exchanges.
    MAIL_CLAIM_SECONDS = 300
    # Retries after a failure: 30 s, doubling. A refusal of the message counts towards
    # MAIL_MAX_ATTEMPTS (a 5xx refusal fails it at once); an unreachable server does not,
    # and is tried again after at most MAIL_RETRY_MAX_SECONDS, however long it is down.
    MAIL_RETRY_BASE_SECONDS = 30
    MAIL_RETRY_MAX_SECONDS = 15 * 60
    MAIL_MAX_ATTEMPTS = 8
    HSTS = False
    LOG_JSON = False
    TESTING = False
    DEBUG = False

    @classmethod
    def from_env(cls, instance_path, environ=None):
        """Return a dict of settings: the class defaults overlaid with the environment."""
        env = os.environ if environ is None else environ
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        default_db = "sqlite:///" + str(Path(instance_path) / "openday.db")
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            env.get("DATABASE_URL") or settings.get("SQLALCHEMY_DATABASE_URI") or default_db
        )
        settings["SECRET_KEY"] = env.get("SECRET_KEY") or settings.get("SECRET_KEY") or \
            load_or_create_secret_key(instance_path)
        settings["BASE_URL"] = (env.get("BASE_URL") or settings.get("BASE_URL")
                                or "http://127.0.0.1:5000").rstrip("/")
        for name in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER"):
            if env.get(name):
                settings[name] = env[name]
        if env.get("MAIL_PORT"):
            settings["MAIL_PORT"] = _whole_number("MAIL_PORT", env["MAIL_PORT"], 1)
        if env.get("MAIL_TIMEOUT"):
            settings["MAIL_TIMEOUT"] = float(env["MAIL_TIMEOUT"])
        for name in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
            if env.get(name) is not None:
                settings[name] = _bool(env[name])
        settings.setdefault("MAIL_DEFAULT_SENDER", "openday@localhost")
        if env.get("REDIS_URL"):
            settings["REDIS_URL"] = env["REDIS_URL"]
            settings["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
        if env.get("RATELIMIT_ENABLED") is not None:  # benchmarks switch limits off
            settings["RATELIMIT_ENABLED"] = _bool(env["RATELIMIT_ENABLED"], True)
        if env.get("RATELIMIT_KEY_PREFIX"):
            settings["RATELIMIT_KEY_PREFIX"] = env["RATELIMIT_KEY_PREFIX"]
        settings["PROXY_COUNT"] = _whole_number(
            "PROXY_COUNT", env.get("PROXY_COUNT", settings.get("PROXY_COUNT", 0)) or 0)
        for name in ("REGISTRATION_IP_LIMIT", "REGISTRATION_PHONE_LIMIT", "CHECKIN_API_LIMIT",
                     "FEEDBACK_ANONYMOUS_LIMIT"):
            if env.get(name):
                settings[name] = env[name]
        # Who runs the open days: the header, the footer, the privacy notice, the mail and
        # the volunteer certificates name them.
        for name in ("ORGANISATION_NAME", "ORGANISATION_CONTACT"):
            if env.get(name):
                settings[name] = env[name].strip()
        if env.get("PRIVACY_RETENTION_DAYS"):
            settings["PRIVACY_RETENTION_DAYS"] = _whole_number(
                "PRIVACY_RETENTION_DAYS", env["PRIVACY_RETENTION_DAYS"])
        settings["MAIL_OUTBOX_DIR"] = (env.get("MAIL_OUTBOX_DIR") or settings.get("MAIL_OUTBOX_DIR")
                                       or str(Path(instance_path) / "mail"))
        return settings


class DevelopmentConfig(Config):
    DEBUG = False  # `flask run --debug` turns it on; the demo runs as a user sees it


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on explicitly
    RATELIMIT_ENABLED = False  # tests of limits switch it back on explicitly
    MAIL_RETRY_BASE_SECONDS = 0
    SERVER_NAME = None
    # The suite's own thread reads between live-server requests; it must not hold the lock.
    SQLITE_IMMEDIATE_OUTSIDE_REQUESTS = False


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    HSTS = True
    LOG_JSON = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
