"""Review cycles at an office's full size (issue 13): 100 published reports with 2,000 actions
between them, owned by the office's people; prints the time to open a cycle (every owner asked
through the outbox), to list the actions with their marks, and to close the cycle and render
its report (the page, the PDF and the chart). Target: under 5 s for opening and reporting.

    .venv/bin/python bench/cycles.py [--reports 100] [--actions 2000] [--postgres]

The reviews are opened through the services and then set at 'copies sent' directly, with
their actions written as the route writes them: it is the cycle that is measured, not the
route that comes before it (bench/load.py measures that).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"
OPCC, OWNERS = "opcc.officer@example.org", ("staff.officer@example.org",
                                            "chief.constable@example.org",
                                            "opcc.officer@example.org")


def timed(work):
    """What `work()` gives, and the seconds it took."""
    started = time.perf_counter()
    return work(), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL 15")
    args = parser.parse_args()
    from s55.domain.record import Item
    from s55.housestyle import parse_record
    from s55.services import actions, cycles, drafting
    from s55.store.models import FollowUpAction, Review
    from tests.conftest import FixedClock, make_ctx

    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        url = ""
        if args.postgres:
            from tests.pgcluster import Cluster

            cluster = Cluster()
            cluster.start()
            url = cluster.database("s55")
        try:
            os.environ["S55_HOME"] = str(Path(tmp) / "home")
            ctx = make_ctx(Path(tmp) / "home", url)
            ctx.clock = FixedClock(datetime(2022, 10, 3, 9, tzinfo=UTC))
            seed = parse_record(SEED.read_text(encoding="utf-8"))
            per = args.actions // args.reports
            items = tuple(Item(f"Area for improvement {n}: the force should improve {n}.")
                          for n in range(1, per + 1))
            record = seed.view(recommendations=(), causes_of_concern=(),
                               areas_for_improvement=items)
            started = time.perf_counter()
            refs = [drafting.open_review(ctx, actor=OPCC, record=record,
                                         published_on=date(2022, 9, 22), again=True)
                    for _ in range(args.reports)]
            with ctx.uow() as session:
                n = 0
                for row in session.query(Review).filter(Review.ref.in_(refs)):
                    row.stage = "copies sent"
                    for number, item in enumerate(items, 1):
                        n += 1
                        session.add(FollowUpAction(
                            review_id=row.id, office=row.office, kind="areas_for_improvement",
                            number=number, text=item.text, area="", answer_kind="", answer="",
                            owner=OWNERS[n % len(OWNERS)],
                            target_on=date(2023, 1, 1) + timedelta(days=n % 300),
                            status="in progress" if n % 3 else "not started", reason="",
                            last_update_on=date(2022, 10, 3), closed_on=None, version=2,
                            opened_at=ctx.now()))
            print(f"cycles: {args.reports} reports, {n} actions on "
                  f"{'PostgreSQL 15' if url else 'SQLite'} (set up in "
                  f"{time.perf_counter() - started:.1f} s)", flush=True)

            ctx.clock = FixedClock(datetime(2023, 3, 1, 9, tzinfo=UTC))
            opened, took_open = timed(lambda: cycles.open_cycle(
                ctx, actor=OPCC, board="Accountability board", meeting=date(2023, 4, 13)))
            asked = sum(len(v) for v in opened["asked"].values())
            print(f"  open a cycle: {took_open:.2f} s ({asked} actions, "
                  f"{len(opened['asked'])} owners asked through the outbox)")
            listed, took = timed(lambda: actions.listing(ctx, actor=OPCC))
            print(f"  list every action with its mark: {took:.2f} s ({len(listed)})")
            ctx.clock = FixedClock(datetime(2023, 4, 13, 9, tzinfo=UTC))
            report, took_close = timed(lambda: cycles.sweep(ctx, today=date(2023, 4, 13)))
            print(f"  close it and render its report (page, PDF, chart): {took_close:.2f} s "
                  f"({report.get('reported')})")
            print(f"  open + close and report: {took_open + took_close:.2f} s (target: under 5 s)")

            # the next quarter: a third of the actions moved on, so the report says what
            # changed since the last meeting, action by action
            with ctx.uow() as session:
                for action in session.query(FollowUpAction).filter(FollowUpAction.id % 3 == 0):
                    action.status, action.closed_on = "complete", date(2023, 5, 1)
            ctx.clock = FixedClock(datetime(2023, 6, 1, 9, tzinfo=UTC))
            _opened, took_open = timed(lambda: cycles.open_cycle(
                ctx, actor=OPCC, board="Accountability board", meeting=date(2023, 7, 13)))
            ctx.clock = FixedClock(datetime(2023, 7, 13, 9, tzinfo=UTC))
            _report, took_close = timed(lambda: cycles.sweep(ctx, today=date(2023, 7, 13)))
            print(f"  the next quarter (a third of the actions changed): open {took_open:.2f} s, "
                  f"close and report {took_close:.2f} s; together {took_open + took_close:.2f} s")
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
