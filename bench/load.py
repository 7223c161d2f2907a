"""Load in service mode: N reviews (1,000 by default) opened and taken to publication at once,
their route runs done by two Prefect process workers, on PostgreSQL. Prints the throughput
(reviews from opening to copies sent, a second), how many flow runs the workers did, and the
median and p95 of decision commands: in-process (the services, as the web app calls them)
while the workers are busy, and through the served route (the CLI, waiting for the route's
report).

    .venv/bin/python bench/load.py [--reviews 1000] [--workers 2] [--cli 20]

Each flow run on a process worker is a new Python process (about 3 s of start-up on this
2-core machine), so `s55 serve` hands waiting reviews over in batches (`advance-many`, up to
S55_ROUTE_BATCH reviews a flow run, --batch here); --batch 1 measures one flow run a review.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"
PREFECT = Path(sys.executable).parent / "prefect"
OPCC, STAFF, LPB, AUDITOR = ("opcc.officer@example.org", "staff.officer@example.org",
                             "commissioner@example.org", "auditor@example.org")


def spread(label: str, seconds: list[float]) -> None:
    seconds = sorted(seconds)
    p95 = seconds[max(0, int(len(seconds) * 0.95) - 1)]
    print(f"  {label:<58} median {statistics.median(seconds):6.3f} s   p95 {p95:6.3f} s   "
          f"({len(seconds)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cli", type=int, default=20, help="decisions timed through the CLI")
    parser.add_argument("--batch", type=int, default=20, help="S55_ROUTE_BATCH")
    args = parser.parse_args()
    import signal

    # stopped with SIGTERM (or a timeout): stop the stack it started, as on any other exit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from tests.e2e.test_service_mode import Stack
    from tests.pgcluster import Cluster, free_port
    from tests.waiting import until_up

    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "stack", Path(tmp) / "home"
        folder.mkdir()
        cluster = Cluster()
        cluster.start()
        stack = Stack(folder)
        try:
            url = cluster.database("s55")
            prefect_db = cluster.database(f"prefect_{uuid.uuid4().hex[:8]}")
            base = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
            base.update(DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
            port = free_port()
            stack.api = f"http://127.0.0.1:{port}/api"
            server = stack.start("prefect-server", [
                str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)], {
                **base, "PREFECT_HOME": str(folder / "prefect-server"),
                "PREFECT_UI_ENABLED": "false",
                "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db.replace("+psycopg", "+asyncpg")})
            if until_up(f"{stack.api}/health", server):
                raise SystemExit(f"the Prefect server did not start\n{stack.tails()}")
            office = {**base, "S55_HOME": str(home), "S55_DATABASE_URL": url,
                      "PREFECT_API_URL": stack.api}
            deployer = {**office, "PREFECT_HOME": str(folder / "prefect-cli"),
                        "S55_CHECKOUT": str(ROOT)}
            stack.run([str(PREFECT), "work-pool", "create", "s55", "--type", "process"],
                      deployer)
            stack.run([str(PREFECT), "--no-prompt", "deploy", "--prefect-file",
                       "config/prefect.yaml", "--all"], deployer)
            for n in range(args.workers):
                stack.start(f"worker-{n}", [str(PREFECT), "worker", "start", "--pool", "s55",
                                            "--name", f"bench-{n}"], {
                    **office, "PREFECT_HOME": str(folder / f"prefect-worker-{n}"),
                    "PREFECT_WORKER_QUERY_SECONDS": "1"})
            web = free_port()
            stack.start("s55-serve", [sys.executable, "-m", "s55", "serve", "--port", str(web)], {
                **office, "S55_ORCHESTRATION": "deployment", "S55_WEB_WORKERS": "1",
                "S55_ROUTE_WORKERS": str(2 * args.workers), "S55_ROUTE_BATCH": str(args.batch),
                "S55_WEB_URL": f"http://127.0.0.1:{web}"})

            os.environ.update(S55_HOME=str(home), S55_DATABASE_URL=url)
            from s55.housestyle import parse_record
            from s55.services import drafting, publishing, reading, requests, route
            from s55.services.context import Context

            ctx = Context.from_env()
            stack.until("s55 serve serving the route", lambda: requests.served_by(ctx), 180)
            record = parse_record(SEED.read_text(encoding="utf-8"))
            published_on = date.today() - timedelta(days=3)
            timed: dict[str, list[float]] = {}

            def clock(label, call, **kw):
                start = time.perf_counter()
                result = call(ctx, **kw)
                timed.setdefault(label, []).append(time.perf_counter() - start)
                return result

            def one_review(_n: int) -> str:
                ref = clock("open", drafting.open_review, actor=OPCC, record=record,
                            published_on=published_on)
                clock("decide: add a recommendation", drafting.add_item, actor=OPCC, ref=ref,
                      kind="recommendations", text="Do A")
                clock("decide: invite", route.invite_chief_officer, actor=OPCC, ref=ref)
                clock("decide: comments", drafting.comments, actor=STAFF, ref=ref,
                      seen_version=None, text="<p>Agreed.</p>")
                clock("decide: answer", drafting.answer_recommendation, actor=LPB, ref=ref,
                      number=1, kind="action-taken", text="Done")
                clock("decide: request sign-off", route.request_sign_off, actor=OPCC, ref=ref)
                version = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
                clock("decide: sign off", route.sign_off, actor=LPB, ref=ref, version=version)
                clock("decide: publish", publishing.request_publication, actor=OPCC, ref=ref)
                return ref

            print(f"load: {args.reviews} reviews to publication, {args.workers} Prefect process "
                  f"workers, PostgreSQL 15, batches of up to {args.batch}", flush=True)
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:  # eight people at once
                refs = list(pool.map(one_review, range(args.reviews)))
            decided = time.perf_counter() - started
            print(f"  every decision of {len(refs)} reviews taken in {decided:.1f} s "
                  "(in-process, eight at once, while the workers ran the route)", flush=True)
            for label, seconds in timed.items():
                spread(f"in-process: {label}", seconds)

            shown = [time.monotonic()]

            def all_done():
                with ctx.uow(read=True) as session:
                    from sqlalchemy import text

                    sent = session.execute(text(
                        "select count(*) from reviews where stage = 'copies sent'")).scalar()
                if time.monotonic() - shown[0] > 300:  # a line every five minutes
                    shown[0] = time.monotonic()
                    print(f"  ... {sent} of {len(refs)} at 'copies sent' after "
                          f"{time.perf_counter() - started:.0f} s", flush=True)
                return sent == len(refs)

            # About 8 s a review on this 2-core machine; allow twice that, and never under 2 h.
            stack.until("every review at 'copies sent'", all_done, max(7200, 16 * len(refs)))
            took = time.perf_counter() - started
            runs = {name: stack.call("/flow_runs/count", {"deployments": {"name": {"any_": [
                name]}}}) for name in ("advance", "advance-many")}
            print(f"  all {len(refs)} at 'copies sent' {took:.1f} s after the first opening: "
                  f"{len(refs) / took:.2f} reviews a second; flow runs on the workers: "
                  f"{runs['advance']} of advance (one review), {runs['advance-many']} of "
                  "advance-many (a batch)", flush=True)

            cli_env = {**office, "S55_WAIT_SECONDS": "60"}
            waits = []
            for _ in range(args.cli):
                ref = drafting.open_review(ctx, actor=OPCC, record=record,
                                           published_on=published_on)
                start = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "s55", "invite", ref, "--as", OPCC],
                                      env=cli_env, capture_output=True, text=True, timeout=120)
                waits.append(time.perf_counter() - start)
                if done.returncode != 0 or "sent invitation" not in done.stdout:
                    print(f"  (a command did not see its route run: {done.stdout.strip()})")
            spread("through the served route: s55 invite, waiting for its report", waits)
        finally:
            strays = stack.stop()
            cluster.stop()
            if strays:
                print(f"  left running and stopped: {strays}")


if __name__ == "__main__":
    main()
