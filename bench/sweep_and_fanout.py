"""Wall time of the reminder sweep over an archive of 100,000 reviews, on SQLite and on a
throwaway PostgreSQL 15 cluster, and of the national fan-out for 43 forces. Prints numbers.

    ./dev bench      (or: .venv/bin/python bench/sweep_and_fanout.py [--reviews N])
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"
TODAY = date(2026, 3, 2)  # a Monday


def fill(ctx, count: int) -> int:
    """An archive: mostly finished reviews over ten years, and about 1% still open near a date.
    Rows go in with bulk inserts: the bench measures the sweep, not the set-up."""
    from sqlalchemy import insert

    from s55.housestyle import parse_record
    from s55.store.models import REPLAN, Review, Version

    record = parse_record(SEED.read_text(encoding="utf-8"))
    content, digest = record.to_canonical(), record.content_hash()
    stages = ["awaiting chief officer", "awaiting local policing body", "awaiting sign-off",
              "signed off"]
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    open_count = 0
    with ctx.uow() as session:
        for start in range(0, count, 5000):
            rows = []
            for n in range(start, min(count, start + 5000)):
                is_open = n % 100 == 0
                published = TODAY - timedelta(days=(n % 40) if is_open else 60 + n % 3600)
                rows.append({
                    "id": n + 1, "ref": f"S55-{published.year}-{n + 1:06d}", "kind": "police-s55",
                    "office": "staffordshire",
                    "force": "Staffordshire", "title": record.title,
                    "stage": stages[n % 4] if is_open else "copies sent", "stage_seq": 0,
                    "report_published_on": published,
                    "statutory_last_day": published + timedelta(days=55),
                    "chief_officer_due": published + timedelta(days=21),
                    "current_version": digest, "unanswered_recommendations": 0,
                    "created_at": now, "updated_at": now, "row_version": 1,
                    # as migration 0010 leaves an archive: open reviews to be planned
                    "next_reminder_on": REPLAN if is_open else None})
                open_count += is_open
            session.execute(insert(Review.__table__), rows)  # core: None stays NULL
            session.execute(insert(Version), [{"review_id": r["id"], "number": 1, "hash": digest,
                                               "content": content, "created_at": now,
                                               "created_by": "bench", "reason": "bench"}
                                              for r in rows])
    if ctx.settings.db_url.startswith("postgresql"):
        from sqlalchemy import text

        with ctx.uow() as session:  # what autovacuum does soon after a load this size
            for table in ("reviews", "versions", "outbox", "audit"):
                session.execute(text(f"ANALYZE {table}"))
    return open_count


def sweep_time(db_url: str, home: Path, count: int) -> None:
    from s55.services import reminding
    from s55.services.context import Context

    ctx = Context.from_env(home=home, database_url=db_url)
    ctx.clock = lambda: datetime(2026, 3, 2, 7, tzinfo=UTC)
    start = time.perf_counter()
    open_count = fill(ctx, count)
    print(f"  set-up: {count} reviews ({open_count} open) in {time.perf_counter() - start:.1f} s")
    for label in ("first sweep (plans the open ones, writes today's)",
                  "second sweep (nothing new)", "third sweep (nothing new)"):
        start = time.perf_counter()
        report = reminding.sweep(ctx, today=TODAY)
        took = time.perf_counter() - start
        rate = f", {len(report['planned']) / took:.0f} a second" if report["planned"] else ""
        print(f"  {label:<50} {took * 1000:8.1f} ms   planned {len(report['planned'])}, "
              f"skipped {len(report['skipped'])}{rate}")
    from s55.store import repo

    start = time.perf_counter()
    with ctx.uow(read=True) as session:
        found = repo.reviews_to_remind(session, TODAY)
    print(f"  {'floor: the indexed query alone':<50} {(time.perf_counter() - start) * 1000:8.1f} "
          f"ms   {len(found)} reviews")
    insert_floor(ctx)


def insert_floor(ctx) -> None:
    """The same rows as the first sweep wrote, inserted again as they are (Core, batches of 50
    as the sweep commits them): what the database alone costs, with no planning, no reading
    and no templates."""
    from sqlalchemy import insert, select

    from s55.store.models import OutboxMessage

    table = OutboxMessage.__table__
    with ctx.uow(read=True) as session:
        rows = [dict(r._mapping) for r in session.execute(
            select(table).where(table.c.purpose.startswith("reminder:")))]
    for n, row in enumerate(rows):
        row.pop("id")
        row["purpose"] = f"floor:{n}"
    start = time.perf_counter()
    for first in range(0, len(rows), 50):
        with ctx.uow() as session:
            session.execute(insert(table), rows[first:first + 50])
    took = time.perf_counter() - start
    print(f"  {'floor: the same outbox rows, inserted alone':<50} {took * 1000:8.1f} ms   "
          f"{len(rows)} rows, {len(rows) / took:.0f} a second")


def fan_out_time(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), S55_USER="opcc.officer@example.org")
    cmd = [sys.executable, "-m", "s55", "open-thematic", "--title", "Bench thematic",
           "--published-on", "2026-02-20"]
    for label in ("first run (opens 43)", "second run (opens none)"):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        took = time.perf_counter() - start
        print(f"  {label:<42} {took:7.3f} s   {done.stdout.strip().splitlines()[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"reminder sweep over {args.reviews} reviews, SQLite:")
        sweep_time(f"sqlite:///{tmp}/sweep.db", Path(tmp) / "sqlite-home", args.reviews)
        from tests.pgcluster import Cluster, Unavailable

        print(f"reminder sweep over {args.reviews} reviews, PostgreSQL 15:")
        try:
            cluster = Cluster()
            cluster.start()
        except Unavailable as why:
            print(f"  skipped: {why}")
        else:
            try:
                sweep_time(cluster.database("bench"), Path(tmp) / "pg-home", args.reviews)
            finally:
                cluster.stop()
        print("national fan-out, 43 forces (the command, without Prefect; SQLite):")
        fan_out_time(Path(tmp) / "fanout-home")


if __name__ == "__main__":
    main()
