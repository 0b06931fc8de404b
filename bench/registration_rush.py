"""Registration rush: a burst of registrants against gunicorn, compared with a bare endpoint.

500 registrants (each a GET of the form, then a POST with its CSRF token and submission
key) at concurrency 50 for 100 seats, against gunicorn with 4 workers, on SQLite and on
PostgreSQL. In the same run the same load (a GET, then a POST doing one INSERT+COMMIT) goes
to a bare Flask app on the same database, as the yardstick. Each concurrent registrant is a
wrk client (bench/loadgen.py). The figures go into bench/RESULTS.md (the "Registration rush"
section is replaced on each run).

    .venv/bin/python bench/registration_rush.py [--registrants 500] [--concurrency 50]
        [--seats 100] [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--no-pg]
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402 - after the path is set
from bench.common import bare_engine, scratch_postgres, write_section  # noqa: E402

BIN = Path(sys.executable).parent


# --- the yardstick: a bare Flask app doing one INSERT + COMMIT per POST ---------------------

def bare_app():
    """gunicorn "bench.registration_rush:bare_app()" with BENCH_DB_URL set."""
    from flask import Flask
    from sqlalchemy import text

    engine = bare_engine(os.environ["BENCH_DB_URL"])
    app = Flask(__name__)

    @app.get("/form")
    def form():
        return "<form method=post><input name=name></form>"

    @app.post("/insert")
    def insert():
        from flask import request

        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_hit (name) VALUES (:n)"),
                         {"n": request.form.get("name", "")})
        return "", 201

    return app


def create_bare_table(url):
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    ddl = ("CREATE TABLE bench_hit (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(50))"
           if engine.dialect.name == "sqlite" else
           "CREATE TABLE bench_hit (id SERIAL PRIMARY KEY, name VARCHAR(50))")
    with engine.begin() as conn:
        conn.execute(text(ddl))
    engine.dispose()


# --- databases --------------------------------------------------------------------------------

def sqlite_database(folder):
    return f"sqlite:///{folder / 'bench.db'}", lambda: None


def postgres_database(base_url):
    (url,), drop = scratch_postgres(base_url)
    return url, drop


def prepare_app_database(db_url, seats, env, rounds):
    """Migrate, then import one open day per round, each with `seats` seats in one slot."""
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    for n in range(rounds):
        import_event(f"rush-{n}", seats, env)
    import_event("rush-warm-up", 10, env)


def import_event(slug, seats, env):
    start = datetime.now(timezone.utc) + timedelta(days=2)
    event = {
        "slug": slug, "kind": "open_day", "title": "压力测试开放日", "description": "",
        "location": "区行政中心",
        "registration_opens_at": (start - timedelta(days=5)).isoformat(),
        "registration_closes_at": (start - timedelta(hours=1)).isoformat(),
        "max_party_size": 1, "waitlist": False, "feedback_topics": [],
        "slots": [{"key": "am", "label": "上午场", "starts_at": start.isoformat(),
                   "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": seats,
                   "mode": "onsite"}],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(event, f, ensure_ascii=False)
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "events", "import", f.name], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    os.unlink(f.name)


def seats_booked(db_url, slug):
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(db_url))
    with engine.connect() as conn:
        booked, capacity = conn.execute(text(
            "SELECT booked, capacity FROM slot JOIN event ON event.id = slot.event_id "
            "WHERE event.slug = :s"), {"s": slug}).one()
        confirmed = conn.execute(text(
            "SELECT count(*) FROM registration JOIN event ON event.id = registration.event_id "
            "WHERE event.slug = :s AND registration.status = 'confirmed'"), {"s": slug}).scalar()
    engine.dispose()
    return booked, capacity, confirmed


def count_bare_rows(db_url):
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(db_url))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM bench_hit")).scalar()
    engine.dispose()
    return rows


# --- gunicorn -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, target, env, workers=4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers",
             str(workers), "--bind", f"127.0.0.1:{self.port}", target],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + path, timeout=5).status_code < 500:
                    return
            except requests.RequestException:  # a worker still booting
                pass
            time.sleep(0.2)
        self.log.flush()
        raise RuntimeError(f"gunicorn did not start: {Path(self.log.name).read_text()[-2000:]}")

    def cpu_seconds(self):
        """CPU time used so far by the master and its workers (Linux /proc)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


# --- load -----------------------------------------------------------------------------------

def run_load(urls, registrants, concurrency, mode, slug=None):
    """``registrants`` registrants, ``concurrency`` at a time (bench/loadgen.py, one wrk
    client each); ``mode`` "register" (the app, event ``slug``) or "register-bare"."""
    result = loadgen.run(mode, urls, concurrency, registrants=registrants, slug=slug)
    requests = result["requests"]
    # Each client's requests in order: a GET, then (if the form came) its POST.
    outcomes, registrant_times = [], []
    for n, (kind, seconds, status, _ok, client) in enumerate(requests):
        if kind == "G" and status == 200:
            continue  # the POST that follows ends this registrant
        outcomes.append(status)
        before = requests[n - 1] if n else None
        paired = kind == "P" and before and before[0] == "G" and before[4] == client
        registrant_times.append(seconds + (before[1] if paired else 0))
    assert len(outcomes) == registrants, (len(outcomes), registrants)
    latencies = [seconds for _kind, seconds, *_rest in requests]
    return {
        "registrants": registrants, "elapsed_s": result["wall"],
        "throughput": registrants / result["wall"],
        "p50_ms": 1000 * loadgen.percentile(latencies, 50),
        "p99_ms": 1000 * loadgen.percentile(latencies, 99),
        "registrant_p50_ms": 1000 * loadgen.percentile(registrant_times, 50),
        "registrant_p99_ms": 1000 * loadgen.percentile(registrant_times, 99),
        "statuses": {s: outcomes.count(s) for s in sorted(set(outcomes))},
        "errors": result["socket_errors"] + sum(1 for s in outcomes if s >= 500),
        "error_samples": [f"{result['socket_errors']} socket errors"] if result["socket_errors"] else [],
    }


def bench_database(label, db_url, args):
    """Both servers up; then per round the bare load and the registration load, back to
    back, so that whatever else the machine does weighs on both alike."""
    # Rate limits off: every simulated registrant comes from 127.0.0.1, which a real rush
    # does not; the limits themselves are tested in tests/.
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench-secret",
           "RATELIMIT_ENABLED": "false",
           "BASE_URL": "http://127.0.0.1", "BENCH_DB_URL": db_url, "PYTHONPATH": str(ROOT)}
    env.pop("MAIL_SERVER", None)
    prepare_app_database(db_url, args.seats, env, args.rounds)
    create_bare_table(db_url)

    bare = Gunicorn("bench.registration_rush:bare_app()", env)
    instances = args.instances
    if instances > 1:
        # Several app servers share the database and the rate-limit store (Redis), as in
        # production; together they get the same 4 workers as the single server.
        env = {**env, "REDIS_URL": args.redis, "RATELIMIT_KEY_PREFIX": f"bench-{os.getpid()}"}
    servers = [Gunicorn("app:create_app()", env, workers=max(4 // instances, 1))
               for _ in range(instances)]
    rounds = []
    try:
        bare.wait_ready("/form")
        for one_server in servers:
            one_server.wait_ready("/")
        urls = [one_server.url for one_server in servers]
        run_load(bare.url, 50, 10, "register-bare")  # warm up the workers
        # Warm every worker up (templates compiled, connections open) on every path: form,
        # booking, refusal.
        run_load(urls, 80, 8, "register", "rush-warm-up")
        for n in range(args.rounds):
            slug = f"rush-{n}"
            cpu = bare.cpu_seconds()
            bare_result = run_load(bare.url, args.registrants, args.concurrency, "register-bare")
            bare_result["cpu_ms"] = 1000 * (bare.cpu_seconds() - cpu) / args.registrants
            cpu = sum(one_server.cpu_seconds() for one_server in servers)
            app_result = run_load(urls, args.registrants, args.concurrency, "register", slug)
            app_result["cpu_ms"] = 1000 * (sum(one_server.cpu_seconds() for one_server in servers)
                                           - cpu) / args.registrants
            booked, capacity, confirmed = seats_booked(db_url, slug)
            statuses = app_result["statuses"]
            app_result.update(booked=booked, capacity=capacity, confirmed=confirmed,
                              admitted=statuses.get(303, 0) + statuses.get(302, 0),
                              oversold=max(booked - capacity, 0, confirmed - capacity))
            rounds.append({"app": app_result, "bare": bare_result,
                           "ratio": app_result["throughput"] / bare_result["throughput"]})
            print(f"{label} round {n + 1}: registration {app_result['throughput']:.1f}/s, "
                  f"bare {bare_result['throughput']:.1f}/s", file=sys.stderr)
    finally:
        bare.stop()
        for one_server in servers:
            one_server.stop()
    rows = count_bare_rows(db_url)
    # Best of N, as timeit does: whatever else runs on the machine only ever slows a round
    # down, so each side's fastest round is the closest to what it can do.
    best_app = max((r["app"] for r in rounds), key=lambda a: a["throughput"])
    best_bare = max((r["bare"] for r in rounds), key=lambda b: b["throughput"])
    best = {"app": best_app, "bare": best_bare,
            "ratio": best_app["throughput"] / best_bare["throughput"]}
    return {"label": label, "rounds": rounds, "best": best, "bare_rows": rows}


def render(results, args, load_before):
    lines = [
        "## Registration rush (`bench/registration_rush.py`"
        + (f" --instances {args.instances})" if args.instances > 1 else ")"),
        "",
        f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on "
        f"{os.cpu_count()} CPU(s), shared with the load generator, wrk (and with whatever else ran: "
        f"load average {load_before:.1f} at the start). Per round: {args.registrants} "
        f"registrants (GET the form, then POST it with its CSRF token; one wrk client each) at concurrency "
        f"{args.concurrency} for {args.seats} seats, against "
        + (f"{args.instances} gunicorn instances ({max(4 // args.instances, 1)} sync workers each, "
           "sharing PostgreSQL and Redis; registrants alternate between them); "
           if args.instances > 1 else "gunicorn with 4 sync workers; ") +
        "then the same load against a bare Flask app on the same database (a GET returning a "
        "line of text, then a POST doing one INSERT+COMMIT). "
        f"{args.rounds} rounds, each pair back to back; the table shows each side's fastest "
        "round (best of N, as timeit does: other work on the machine only slows a round "
        "down), the oversold/error columns count every round. Latencies are per HTTP "
        "request (GETs and POSTs together); \"registrant\" is both requests; server CPU is "
        "the gunicorn master and workers' user+system time divided by the registrants.",
        "",
        "| database | endpoint | registrants/s | p50 ms | p99 ms | registrant p99 ms | "
        "server CPU ms / registrant | admitted / capacity | booked | oversold (all rounds) | 409 | "
        "errors (all rounds) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        a, b = r["best"]["app"], r["best"]["bare"]
        oversold = sum(x["app"]["oversold"] for x in r["rounds"])
        app_errors = sum(x["app"]["errors"] for x in r["rounds"])
        bare_errors = sum(x["bare"]["errors"] for x in r["rounds"])
        lines.append(
            f"| {r['label']} | registration | {a['throughput']:.1f} | {a['p50_ms']:.1f} | "
            f"{a['p99_ms']:.1f} | {a['registrant_p99_ms']:.1f} | {a['cpu_ms']:.2f} | "
            f"{a['admitted']} / {a['capacity']} | "
            f"{a['booked']} | {oversold} | {a['statuses'].get(409, 0)} | {app_errors} |")
        lines.append(
            f"| {r['label']} | bare INSERT+COMMIT | {b['throughput']:.1f} | {b['p50_ms']:.1f} | "
            f"{b['p99_ms']:.1f} | {b['registrant_p99_ms']:.1f} | {b['cpu_ms']:.2f} | – | – | – | – | "
            f"{bare_errors} |")
    lines += ["", "| database | ratio registration / bare, best of N — aim ≥ 0.5 | "
              "ratio per round | registration p99 (fastest round) — aim ≤ 150 ms |",
              "|---|---|---|---|"]
    for r in results:
        ratios = ", ".join(f"{x['ratio']:.2f}" for x in r["rounds"])
        p99 = r["best"]["app"]["p99_ms"]
        ratio = r["best"]["ratio"]
        lines.append(f"| {r['label']} | {ratio:.2f}, {'met' if ratio >= 0.5 else 'not met'} | {ratios} | "
                     f"{p99:.0f} ms, {'met' if p99 <= 150 else 'not met'} |")
    samples = [s for r in results for x in r["rounds"]
               for s in x["app"]["error_samples"] + x["bare"]["error_samples"]]
    if samples:
        lines += ["", "Error samples: " + "; ".join(samples[:5])]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrants", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get(
        "BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--instances", type=int, default=1,
                        help="app servers sharing PostgreSQL and Redis (>1: PostgreSQL only)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = []
    if args.instances == 1:
        with tempfile.TemporaryDirectory() as tmp:
            url, _ = sqlite_database(Path(tmp))
            results.append(bench_database("SQLite", url, args))
    if not args.no_pg:
        url, drop = postgres_database(args.pg)
        try:
            label = "PostgreSQL" if args.instances == 1 else \
                f"PostgreSQL, {args.instances} instances"
            results.append(bench_database(label, url, args))
        finally:
            drop()
    section = render(results, args, load_before)
    print(section)
    if not args.no_write:
        write_section("rush" if args.instances == 1 else f"rush-{args.instances}-instances", section)


if __name__ == "__main__":
    main()
