"""How fast staff approvals go when several admins approve the same drive at once, and
that they never pass a shift's capacity.

    .venv/bin/python bench/volunteer_approvals.py [--database-url postgresql://...]
        [--applicants 300] [--capacity 100] [--threads 4]

Builds a fresh database (a temporary SQLite file by default), a drive with one shift, many
pending applications, then lets N threads (each its own app context, session and connection,
like N admins' requests) approve them all at once. Appends the figures to bench/RESULTS.md.
"""
import argparse
import re
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, write_section  # noqa: E402 - after the path is set


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--applicants", type=int, default=300)
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import Registration, Slot, StaffUser
    from app.services import volunteers
    from app.services.errors import Conflict
    from app.services.events import save_event
    from app.services.staff import create_staff

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    drop = None
    if url.startswith("postgres"):
        from bench.common import scratch_postgres

        (url,), drop = scratch_postgres(url)
    app = create_app("testing", {"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_OUTBOX_DIR": tmp.name,
                                 "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": True})
    now = datetime.now(timezone.utc)
    with app.app_context():
        upgrade()
        start = now + timedelta(days=3)
        event, _ = save_event({
            "slug": "bench-drive", "kind": "volunteer", "title": "bench", "max_party_size": 1,
            "registration_opens_at": (now - timedelta(days=1)).isoformat(),
            "registration_closes_at": (now + timedelta(days=1)).isoformat(),
            "slots": [{"key": "s", "label": "班次", "starts_at": start.isoformat(),
                       "ends_at": (start + timedelta(hours=2)).isoformat(),
                       "capacity": args.capacity, "mode": "onsite"}]})
        staff_ids = [create_staff(f"admin{i}", "bench-password-123", "admin").id
                     for i in range(args.threads)]
        db.session.commit()
        t0 = time.perf_counter()
        ids = []
        for i in range(args.applicants):
            [reg] = volunteers.apply(event, event.slots, name=f"志愿者{i}", phone=f"137{i:08d}",
                                     email=f"v{i}@example.com", code_agreed=True, age_group="31-45")
            db.session.commit()
            ids.append(reg.id)
        apply_seconds = time.perf_counter() - t0
        slot_id = event.slots[0].id
        db.session.remove()

    outcomes = {"approved": 0, "full": 0, "other": 0}
    lock = threading.Lock()

    def admin(index):
        mine = ids[index::args.threads]
        with app.app_context():
            staff = db.session.get(StaffUser, staff_ids[index])
            for reg_id in mine:
                try:
                    volunteers.approve(db.session.get(Registration, reg_id), staff)
                    db.session.commit()
                    key = "approved"
                except Conflict:
                    db.session.rollback()
                    key = "full"
                except Exception:  # noqa: BLE001 - counted and reported
                    db.session.rollback()
                    key = "other"
                with lock:
                    outcomes[key] += 1
            db.session.remove()

    threads = [threading.Thread(target=admin, args=(i,)) for i in range(args.threads)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    approve_seconds = time.perf_counter() - t0
    with app.app_context():
        booked = db.session.get(Slot, slot_id).booked
        db.engine.dispose()
    if drop:
        drop()
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    ok = booked == args.capacity == outcomes["approved"] and outcomes["other"] == 0
    line = (f"| {datetime.now(timezone.utc):%Y-%m-%d} | {backend} | {args.applicants} | {args.capacity} | "
            f"{args.threads} | {args.applicants / apply_seconds:.0f}/s | "
            f"{args.applicants / approve_seconds:.0f}/s | {outcomes['approved']} / {outcomes['full']} / "
            f"{outcomes['other']} | {booked} | {'yes' if ok else 'NO'} |")
    print(line)
    # One row per database, the latest run's (a run on one database keeps the other's row).
    rows = {backend: line}
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    for match in re.finditer(r"^(\| \d{4}-\d\d-\d\d \| (SQLite|PostgreSQL) \|.*)$",
                             _section_of(previous), flags=re.M):
        rows.setdefault(match.group(2), match.group(1))
    write_section("volunteer-approvals", "\n".join([
        "## Volunteer approvals under concurrency (bench/volunteer_approvals.py)", "",
        "Each thread is one admin approving its share of the pending applications as fast as it "
        "can; all threads run at once against one shift (a shared 2-core machine). "
        "`approved / refused full / errors` must be `capacity / rest / 0` and `booked` must equal "
        "the capacity.", "",
        "| date | database | applications | capacity | admins (threads) | applications stored "
        "| approval decisions | approved / refused full / errors | booked | never oversold |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(rows[name] for name in ("SQLite", "PostgreSQL") if name in rows)]))
    return 0 if ok else 1


def _section_of(text):
    start, end = "<!-- bench:volunteer-approvals:start -->", "<!-- bench:volunteer-approvals:end -->"
    return text.split(start, 1)[1].split(end, 1)[0] if start in text and end in text else ""


if __name__ == "__main__":
    sys.exit(main())
