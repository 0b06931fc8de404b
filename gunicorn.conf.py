"""gunicorn settings; override with GUNICORN_* environment variables or the command line."""
import os

workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 10
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") else None
# The app logs by itself; the access log would print ticket URLs, so it stays off by default.
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
