"""Several app servers on one PostgreSQL and one Redis (issue 10).

Two gunicorn instances on different ports share the database and the rate-limit store: a
registration burst split across both admits exactly the capacity, a login limit reached on
one holds on the other, and two mail workers deliver every message exactly once.
"""
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.models import OutboxMessage, Registration, Slot
from tests.conftest import ROOT, SMTPSink, free_port

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="runs on PostgreSQL (TEST_DATABASE_URL)")


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _wait_for(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture
def cluster(database_url, tmp_path, app):
    """Two gunicorn instances (2 workers each) on the session's PostgreSQL and Redis."""
    if not _redis_up():
        pytest.skip("Redis is not running")
    # A fresh Redis database number would be shared state; a unique key prefix isolates us.
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": f"openday-test-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "shared-secret-for-both-instances",
        "GUNICORN_WORKERS": "2",
        # The burst's 60 citizens all come from 127.0.0.1: lift the per-address limit.
        "REGISTRATION_IP_LIMIT": "1000 per minute",
    }
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        env_one = {**env, "BASE_URL": f"http://127.0.0.1:{port}"}
        processes.append(subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=ROOT, env=env_one, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            _wait_for(url + "/healthz")
        yield urls, env
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


def _register(base, slug, n):
    session = requests.Session()
    form = session.get(f"{base}/events/{slug}/register", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    key = re.search(r'name="submission_key"[^>]*value="([^"]*)"', form.text)
    data = {"slot": "am", "name": f"市民{n}", "phone": f"139{n:08d}", "party_size": "1",
            "consent": "y", "csrf_token": token.group(1) if token else ""}
    if key:
        data["submission_key"] = key.group(1)
    response = session.post(f"{base}/events/{slug}/register", data=data,
                            allow_redirects=False, timeout=30)
    return response.status_code


def test_registration_burst_across_two_instances_admits_exactly_capacity(cluster, make_event,
                                                                        db):
    urls, _ = cluster
    event_id = make_event(slug="rush", slots=None).id
    db.session.remove()
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: _register(urls[n % 2], "rush", n), range(60)))
    assert statuses.count(303) + statuses.count(302) == 10, statuses
    assert statuses.count(409) == 50, statuses
    assert not [s for s in statuses if s >= 500]
    db.session.expire_all()
    assert db.session.execute(select(Slot.booked).where(Slot.event_id == event_id)).scalar() == 10
    assert db.session.execute(select(func.count(Registration.id))
                              .where(Registration.status == "confirmed")).scalar() == 10


def test_a_login_limit_reached_on_one_instance_holds_on_the_other(cluster, make_staff):
    urls, _ = cluster
    make_staff("limited", "admin")

    def attempt(base):
        session = requests.Session()
        page = session.get(f"{base}/staff/login", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        return session.post(f"{base}/staff/login", timeout=10, allow_redirects=False,
                            data={"username": "limited", "password": "wrong-password-123",
                                  "csrf_token": token.group(1) if token else ""}).status_code

    first = [attempt(urls[0]) for _ in range(5)]
    assert 429 not in first, first
    assert attempt(urls[1]) == 429


def test_two_mail_workers_deliver_every_message_exactly_once(cluster, db, tmp_path):
    _, env = cluster
    for n in range(40):
        db.session.add(OutboxMessage(kind="test", recipient=f"r{n}@example.com",
                                     subject=f"消息 {n}", body_text=f"正文 {n}"))
    db.session.commit()
    port = free_port()
    sink = SMTPSink(port)
    sink.start()
    worker_env = {**env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}
    workers = [subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "app",
                                 "mail", "worker", "--poll", "0.2"], cwd=ROOT, env=worker_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(sink.messages) < 40:
            time.sleep(0.2)
        time.sleep(1.0)  # a duplicate, if any, would arrive now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(10)
        sink.stop()
    subjects = sorted(m["Subject"] for m in sink.messages)
    assert len(subjects) == 40, len(subjects)
    assert len(set(subjects)) == 40
    db.session.expire_all()
    assert db.session.execute(select(func.count(OutboxMessage.id))
                              .where(OutboxMessage.status == "sent")).scalar() == 40
