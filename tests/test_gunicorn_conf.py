"""gunicorn.conf.py, read by a real gunicorn."""
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import ROOT, free_port


def _serve_once(tmp_path, app_spec="app:create_app()", path="/healthz", **env):
    """Start gunicorn with gunicorn.conf.py, ask ``path`` once it answers, stop it; return
    what it wrote to stdout and to stderr."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "-w", "2",
         "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
             "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "SECRET_KEY": "x", **env})
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}{path}", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    return out, err


def _start_and_read_log(tmp_path, **env):
    return _serve_once(tmp_path, **env)[1]


def test_several_workers_without_redis_are_warned_about_their_rate_limits(tmp_path):
    assert "set REDIS_URL to share them" in _start_and_read_log(tmp_path)
    assert "set REDIS_URL" not in _start_and_read_log(tmp_path, RATELIMIT_ENABLED="0")
    assert "set REDIS_URL" not in _start_and_read_log(
        tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")


def test_production_gunicorn_logs_its_own_lines_as_json_too(tmp_path):
    """A log collector reading the production server gets one JSON object per line, from
    gunicorn as from the app, not a mix of JSON and plain text."""
    import json

    out, err = _serve_once(tmp_path, "app:create_app('production')",
                           "/no-such-page?phone=13812345678", GUNICORN_ACCESS_LOG="1")
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert any("Booting worker" in line for line in lines)
    assert any("/no-such-page" in line for line in lines)  # the access log
    for line in lines:
        record = json.loads(line)  # every line, gunicorn's own included
        assert "13812345678" not in record["message"]
