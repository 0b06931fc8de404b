"""Benchmark: the staff workspace's registrations search and the dashboard figures on an
event with many registrations. Writes its figures into bench/RESULTS.md.

    .venv/bin/python bench/staff_workspace.py [--rows 20000] [--database-url URL]

Without --database-url a temporary SQLite file is used; with a PostgreSQL URL a fresh
database is created next to it and dropped afterwards.
"""
import argparse
import re
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, scratch_database, write_section  # noqa: E402

SECTION = "## Staff workspace (issue 5)"


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def build(database_url, rows):
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app import create_app
    from app.extensions import db
    from app.models import CheckIn, Registration
    from app.services.events import save_event
    from app.services.registration import new_ticket_number, new_token
    from app.services.staff import create_staff

    app = create_app("testing", {"DATABASE_URL": database_url, "SECRET_KEY": "bench",
                                 "BASE_URL": "http://bench", "MAIL_SERVER": None})
    with app.app_context():
        upgrade()
        now = datetime.now(timezone.utc)
        start = now + timedelta(days=3)
        event, _ = save_event({
            "slug": "bench-day", "title": "压测开放日", "registration_opens_at": (now - timedelta(days=1)).isoformat(),
            "registration_closes_at": (now + timedelta(days=2)).isoformat(), "max_party_size": 4,
            "slots": [{"key": k, "label": k, "starts_at": (start + timedelta(hours=3 * i)).isoformat(),
                       "ends_at": (start + timedelta(hours=3 * i + 2)).isoformat(), "capacity": rows}
                      for i, k in enumerate(("am", "pm"))]})
        create_staff("bench-admin", "bench-admin-password", "admin")
        db.session.commit()
        slots = [s.id for s in event.slots]
        batch = []
        for i in range(rows):
            batch.append({
                "event_id": event.id, "slot_id": slots[i % 2], "token": new_token(),
                "ticket_number": f"{new_ticket_number()}"[:7] + "ABCDEFGHJKMNPQRSTUVWXYZ"[i % 23],
                "name": f"市民{i:05d}", "phone": f"13{i % 10}{i:08d}", "party_size": 1 + i % 3,
                "status": "confirmed" if i % 10 else "waitlisted",
                "active_key": f"{event.id}:{i}", "source": "online",
                "created_at": now - timedelta(seconds=rows - i), "updated_at": now})
            if len(batch) == 2000:
                db.session.execute(insert(Registration), batch)
                batch = []
        if batch:
            db.session.execute(insert(Registration), batch)
        ids = db.session.execute(db.select(Registration.id, Registration.event_id)
                                 .where(Registration.status == "confirmed")).all()
        db.session.execute(insert(CheckIn), [
            {"registration_id": rid, "event_id": eid, "gate": "1", "checked_in_at": now,
             "recorded_at": now} for rid, eid in ids[::3]])
        db.session.commit()
    return app


def run(database_url, rows, repeat):
    from app.extensions import db
    from app.models import Registration
    from app.services import dashboard, workspace
    from app.services.events import get_event

    app = build(database_url, rows)
    figures = {}
    with app.app_context():
        event = get_event("bench-day")
        sample = db.session.execute(db.select(Registration).limit(1).offset(rows // 2)).scalar_one()
        cases = {
            "list, page 1 (50 rows)": lambda: workspace.search_registrations(event),
            "list, last page": lambda: workspace.search_registrations(event, page=rows // 50),
            "search by phone tail (4 digits)": lambda: workspace.search_registrations(event, q=sample.phone[-4:]),
            "search by name": lambda: workspace.search_registrations(event, q=sample.name),
            "search by ticket number": lambda: workspace.search_registrations(event, q=sample.ticket_number),
            "filter slot + status": lambda: workspace.search_registrations(
                event, slot_id=event.slots[0].id, status="waitlisted"),
            "dashboard figures": lambda: dashboard.event_figures(event),
        }
        for name, fn in cases.items():
            fn()
            figures[name] = timed(fn, repeat)
            db.session.rollback()
    client = app.test_client()
    client.post("/staff/login", data={"username": "bench-admin", "password": "bench-admin-password"})
    for name, path in (("GET dashboard.json (HTTP, test client)", "/staff/events/bench-day/dashboard.json"),
                       ("GET registrations page (HTTP, test client)", "/staff/events/bench-day/registrations"),
                       ("GET registrations ?q=phone tail (HTTP)", "/staff/events/bench-day/registrations?q=1234")):
        assert client.get(path).status_code == 200
        figures[name] = timed(lambda p=path: client.get(p), repeat)
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url, label, drop = scratch_database(args.database_url)
    try:
        figures = run(url, args.rows, args.repeat)
    finally:
        drop()
    lines = [f"### {label}, {args.rows} registrations, median / max of {args.repeat} runs "
             f"({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)", "",
             "| operation | median ms | max ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {median:.1f} | {worst:.1f} |" for name, (median, worst) in figures.items()]
    text_block = "\n".join(lines) + "\n"
    print(text_block)
    write_results(label, text_block)


def write_results(label, block):
    """Keep one block per database in this script's section; other sections stay."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    start, end = "<!-- bench:staff-workspace:start -->", "<!-- bench:staff-workspace:end -->"
    current = text.split(start, 1)[1].split(end, 1)[0] if start in text and end in text else ""
    blocks = [b for b in re.split(r"(?=^### )", current, flags=re.M)
              if b.startswith("### ") and not b.startswith(f"### {label},")]
    blocks = sorted([*blocks, block], key=lambda b: not b.startswith("### SQLite"))
    write_section("staff-workspace", "\n".join(
        [SECTION, "", "From `bench/staff_workspace.py`.", "", *(b.strip() + "\n" for b in blocks)]))


if __name__ == "__main__":
    main()
