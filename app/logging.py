"""Logging: plain text in development, one JSON object per line in production.

No log line may hold a full phone number, an e-mail address, a password or a ticket token
(PIPL; STYLE.md). Every record made in the process, by our loggers, werkzeug's request log,
gunicorn's access log (off by default) or a library, is masked when it is created: ticket
and invitation links keep their first four characters (/tickets/AbCd…), phone numbers show
as 138****1234 and e-mail addresses as z***@example.com, also where a query string carries
them encoded (?q=138+1234+5678, zhang%40example.com). The values a failed SQL statement was
given are left out of its error (ticket tokens, names). Passwords are never logged at all.
"""
import json
import logging
import re
import sys
from urllib.parse import quote_plus, unquote_plus

from app.services.privacy import mask_contacts

# The secret part of a ticket or invitation link, wherever the path appears (request lines,
# URLs in messages). Its first four characters are enough to tell two lines apart.
SECRET_PATH = re.compile(r"(/(?:tickets|invite)/)([A-Za-z0-9_-]{4})[A-Za-z0-9_%-]*")


# A query string in a request line or a URL. A browser sends a form's "138 1234 5678" as
# 138+1234+5678, "@" as %40 and full-width digits as UTF-8 escapes: each value is masked as
# it reads decoded.
QUERY_STRING = re.compile(r"\?[^\s\"'?]+")
# What SQLAlchemy and PostgreSQL quote of a failed statement's values: the row being written
# (a ticket token, a name, a password hash), the key that clashed. The SQL and the
# constraint's name stay: they say what went wrong.
SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]")
SQL_DETAIL = re.compile(r"(DETAIL:\s*)[^\n]*")


def _masked_query(match):
    pairs = match.group(0)[1:].split("&")
    for i, pair in enumerate(pairs):
        name, equals, value = pair.partition("=")
        decoded = unquote_plus(value)
        masked = mask_contacts(decoded)
        if masked != decoded:
            pairs[i] = f"{name}{equals}{quote_plus(masked, safe='*@')}"
    return "?" + "&".join(pairs)


def mask_secrets(text):
    if not text:
        return text
    text = SECRET_PATH.sub(r"\1\2…", text)
    if "?" in text:
        text = QUERY_STRING.sub(_masked_query, text)
    if "[parameters: " in text:
        text = SQL_PARAMETERS.sub("[parameters: hidden]", text)
    if "DETAIL:" in text:
        text = SQL_DETAIL.sub(r"\1hidden", text)
    return mask_contacts(text)


def mask_record(record):
    """Rewrite a record in place so that none of its text carries a secret."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):  # malformed: logging reports it itself
        return record
    masked = mask_secrets(message)
    if masked != message or record.args:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        # A traceback may quote SQL parameters or a URL: format it now, masked.
        record.exc_text = mask_secrets(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_secrets(record.stack_info)
    return record


class SecretsFilter(logging.Filter):
    """The same masking as a filter, for handlers configured outside the app."""

    def filter(self, record):
        mask_record(record)
        return True


def install_record_factory():
    """Mask every log record the process creates, whichever logger and handler it meets
    (a filter on one logger would miss its children and the handlers tests attach)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_secrets", False):
        return

    def factory(*args, **kwargs):
        return mask_record(current(*args, **kwargs))

    factory.masks_secrets = True
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    def format(self, record):
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            payload["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(app):
    install_record_factory()
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(SecretsFilter())
    if app.config.get("LOG_JSON"):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("openday")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
