"""gunicorn settings; override with GUNICORN_* environment variables or the command line."""
import os

from gunicorn.glogging import Logger

workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 10
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
# The app logs by itself, so the access log stays off by default. When switched on
# (GUNICORN_ACCESS_LOG=1) its lines go through the app's masking like every log record
# (app/logging.py): ticket links show as /tickets/AbCd…, phones and e-mails masked.
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Without Redis each worker keeps its own rate-limit counts: N workers let up to N
    times the configured number through. Say so where the operator looks."""
    limits_on = os.environ.get("RATELIMIT_ENABLED", "1").lower() not in ("0", "false", "no", "off")
    if server.cfg.workers > 1 and limits_on and not os.environ.get("REDIS_URL"):
        server.log.warning("rate limits are counted by each of the %d workers on its own; "
                           "set REDIS_URL to share them", server.cfg.workers)



def _json_logs(cfg):
    """The production app logs one JSON object per line (app/logging.py); gunicorn's own
    lines (start, worker boot and exit, the access log) must read the same, or the log
    collector gets a mix. Production: the app spec names it, or LOG_JSON=1."""
    spec = getattr(cfg, "default_proc_name", None) or ""
    return "production" in spec or os.environ.get("LOG_JSON", "").lower() in ("1", "true", "yes")


class JsonWhenProductionLogger(Logger):
    """gunicorn's logger, its handlers given the app's JSON format and masking in
    production. A logger class, not a server hook: the first line is logged before any hook."""

    def setup(self, cfg):
        super().setup(cfg)
        if not _json_logs(cfg):
            return
        from app.logging import JsonFormatter, SecretsFilter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
                handler.addFilter(SecretsFilter())


logger_class = JsonWhenProductionLogger
