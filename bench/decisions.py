"""How long a person waits: decision commands with and without `s55 serve`, the read floor, the
time from a decision to its first message, and a web sign-off under 20 concurrent clients
beside a bare FastAPI endpoint. Prints medians and p95; asserts nothing.

    ./dev bench      (or: .venv/bin/python bench/decisions.py [--runs 20] [--clients 20]
                      [--web-only: just the web sign-off beside the bare endpoint])

Targets on this machine (issue 8): a decision command returns with --no-wait in under 0.8 s
and reports its outcome in under 3 s at p95; the web sign-off's p95 is within 3x the bare
endpoint's. `s55 serve` runs as the embedded default: it starts and owns its Prefect server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"
S55 = [sys.executable, "-m", "s55"]
OPCC = "opcc.officer@example.org"
PER_CLIENT = 5  # requests each concurrent web client makes, one after another


def drained(ctx) -> None:
    """Wait until the served route has run every request (the --no-wait decisions leave theirs
    behind): a timing taken meanwhile would measure that backlog."""
    from s55.services import requests

    deadline = time.monotonic() + 300
    while (q := requests.queue(ctx))["pending"] or q["running"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the served route did not drain its requests: {q}")
        time.sleep(0.2)


def report(label: str, times: list[float], errors: int = 0) -> None:
    times = sorted(times)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(f"{label:<58} median {statistics.median(times) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms"
          f"   ({len(times)} runs{f', {errors} errors' if errors else ''})", flush=True)


def timed(argv: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr}")
    return took, done.stdout


def decisions(refs: list[str], env: dict, *extra: str) -> tuple[list[float], list[str]]:
    """`s55 move-due` on each review in turn (a decision whose route run has nothing to send)."""
    times, outputs = [], []
    for n, ref in enumerate(refs):
        due = (date.today() + timedelta(days=10 + n % 2)).isoformat()
        took, out = timed([*S55, "move-due", ref, "--due", due, "--reason", "bench", *extra,
                           "--as", OPCC], env)
        times.append(took)
        outputs.append(out)
    return times, outputs


def first_message(refs: list[str], env: dict, outbox: Path) -> list[float]:
    """From starting `s55 invite --no-wait` to the invitation's .eml file in the outbox."""
    times = []
    for ref in refs:
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        start = time.perf_counter()
        subprocess.run([*S55, "invite", ref, "--no-wait", "--as", OPCC], env=env, check=True,
                       capture_output=True, timeout=120)
        deadline = start + 60
        while not (set(outbox.glob("*.eml")) - before if outbox.exists() else set()):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no message for {ref} within 60 s")
            time.sleep(0.005)
        times.append(time.perf_counter() - start)
    return times


def route_times(ctx, last: int) -> list[float]:
    """From a decision's commit to its outcome, for the newest `last` route requests."""
    from sqlalchemy import select

    from s55.services.context import as_utc
    from s55.store.models import RouteRequest

    with ctx.uow(read=True) as session:
        rows = session.execute(select(RouteRequest.requested_at, RouteRequest.finished_at)
                               .order_by(RouteRequest.id.desc()).limit(last)).all()
    return [(as_utc(done) - as_utc(asked)).total_seconds() for asked, done in rows if done]


def concurrently(clients: int, job) -> tuple[list[float], int]:
    times, errors, lock = [], [0], threading.Lock()

    def run(n):
        for took, ok in job(n):
            with lock:
                times.append(took)
                errors[0] += not ok

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors[0]


def wait_for(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--web-only", action="store_true",
                        help="only the web sign-off beside the bare endpoint")
    args = parser.parse_args()
    from tests.pgcluster import free_port

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
        env.update(S55_HOME=str(home))
        os.environ.update(S55_HOME=str(home))
        from s55.housestyle import parse_record
        from s55.services import drafting, requests, route, signin
        from s55.services.automation import run_here
        from s55.services.context import Context
        from tests.routes import awaiting_sign_off

        # one person signs in 20 times at once here: lift the per-address limit for the bench
        ctx = Context.from_env(signin_limit=1000, signin_client_limit=1000)
        record = parse_record(SEED.read_text(encoding="utf-8"))
        recent = date.today() - timedelta(days=3)

        def opened(n: int, invite: bool) -> list[str]:
            refs = [drafting.open_review(ctx, actor=OPCC, record=record, published_on=recent)
                    for _ in range(n)]
            for ref in refs if invite else []:
                route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
                run_here(ctx, ref)
            return refs

        invited, drafts = opened(args.runs, True), opened(args.runs, False)
        print(f"s55 bench: {args.runs} runs each; home {home}", flush=True)
        if not args.web_only:
            report("decision, nothing served, --no-wait",
                   decisions(invited, env, "--no-wait")[0])
            report("read floor: s55 list --json", [timed([*S55, "list", "--json", "--as", OPCC],
                                                          env)[0] for _ in range(args.runs)])
            report("decision, nothing served (the route runs in the command)",
                   decisions(invited, env)[0])

        ctx.clock = lambda: datetime(2022, 9, 23, 9, tzinfo=UTC)
        seed = SEED.read_text(encoding="utf-8")
        # each client signs off 5 reviews in turn, as each floor client makes 5 requests
        to_sign = [awaiting_sign_off(ctx, seed) for _ in range(args.clients * PER_CLIENT)]
        for ref in to_sign:
            run_here(ctx, ref)
        ctx.clock = lambda: datetime.now(UTC)
        cookies = []
        for _ in range(args.clients):
            assert signin.request_link(ctx, email="commissioner@example.org", next_path="/",
                                       client="bench").sent
            from s55.store.models import OutboxMessage

            with ctx.uow() as session:
                body = session.query(OutboxMessage).filter_by(template="signin").order_by(
                    OutboxMessage.id.desc()).first().body_text
            cookies.append(signin.use_link(ctx, nonce=body.split("/signin/")[1].split()[0],
                                           client="bench")[0])

        port, floor_port = free_port(), free_port()
        started = time.perf_counter()
        serve = subprocess.Popen([*S55, "serve", "--port", str(port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        floor_app = Path(tmp) / "floor.py"
        floor_app.write_text(textwrap.dedent("""
            from fastapi import FastAPI
            app = FastAPI()
            @app.post("/ping")
            def ping():
                return {"ok": True}
        """))
        floor = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor:app", "--port",
                                  str(floor_port), "--log-level", "warning"], cwd=tmp,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not requests.served_by(ctx):
                if serve.poll() is not None or time.perf_counter() - started > 300:
                    raise RuntimeError("s55 serve did not serve the route")
                time.sleep(0.2)
            wait_for(f"http://127.0.0.1:{port}/health")
            wait_for(f"http://127.0.0.1:{floor_port}/docs")
            print(f"s55 serve took {time.perf_counter() - started:.1f} s to serve the route "
                  "(its own Prefect server, a new database)", flush=True)

            decisions(invited[:3], env)  # the first runs after a start warm Prefect up
            if not args.web_only:
                report("decision with s55 serve, --no-wait, first minute",
                       decisions(invited, env, "--no-wait")[0])
                drained(ctx)
                times, outputs = decisions(invited, env)
                reported = sum("still working" not in out for out in outputs)
                report(f"... waiting for the report, first minute ({reported} reported)", times)
                # a new Prefect server is busy for a minute or so after it starts (its scheduler
                # plans the sweep's runs, its services start); an office's runs for days
                time.sleep(max(0.0, 90 - (time.perf_counter() - started)))
                report("decision with s55 serve, --no-wait, steady",
                       decisions(invited, env, "--no-wait")[0])
                drained(ctx)  # the route runs those decisions asked for, before the next timings
                times, outputs = decisions(invited, env)
                reported = sum("still working" not in out for out in outputs)
                report(f"... waiting for the report, steady ({reported} reported)", times)
                report("... of which the served route (request to outcome)", route_times(ctx, 20))
                report("decision to its first message written (served)",
                       first_message(drafts, env, home / "outbox"))
            else:  # steady, as above
                time.sleep(max(0.0, 90 - (time.perf_counter() - started)))

            import httpx

            base, floor_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"

            def bare(n):
                with httpx.Client(timeout=120) as client:
                    for _ in range(PER_CLIENT):
                        start = time.perf_counter()
                        ok = client.post(f"{floor_base}/ping").status_code == 200
                        yield time.perf_counter() - start, ok

            def sign_off(n):
                with httpx.Client(cookies={"s55_session": cookies[n]}, timeout=300) as client:
                    for ref, csrf, version in forms[n]:
                        start = time.perf_counter()
                        response = client.post(f"{base}/reviews/{ref}/sign-off",
                                               data={"csrf": csrf, "version": version})
                        yield time.perf_counter() - start, response.status_code in (200, 303)

            forms = []  # each person's pages are open before anyone signs off
            for n in range(args.clients):
                with httpx.Client(cookies={"s55_session": cookies[n]}, timeout=300) as client:
                    mine = []
                    for ref in to_sign[n * PER_CLIENT:(n + 1) * PER_CLIENT]:
                        page = client.get(f"{base}/reviews/{ref}").text
                        mine.append((ref, page.split('name="csrf" value="')[1].split('"')[0],
                                     page.split('name="version" value="')[1].split('"')[0]))
                    forms.append(mine)
            report(f"bare FastAPI POST /ping (floor), {args.clients} clients, {PER_CLIENT} each",
                   *concurrently(args.clients, bare))
            report(f"web sign-off POST, {args.clients} clients at once, {PER_CLIENT} each",
                   *concurrently(args.clients, sign_off))
        finally:
            serve.terminate()
            floor.terminate()
            serve.wait(60)
            floor.wait(30)


if __name__ == "__main__":
    main()
