"""p50 and p95 latency of the review page and of a sign-off under 20 concurrent clients, beside a
bare FastAPI endpoint on the same machine as the floor. Prints numbers; asserts nothing.

    ./dev bench      (or: .venv/bin/python bench/web_latency.py [--clients 20] [--requests 10])

The sign-off includes what the app does after every decision: it runs the `advance` route
(in-process, Prefect ephemeral mode, the embedded default).
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"


def wait(url: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def measure(clients: int, job) -> tuple[list[float], int]:
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


def report(label: str, times: list[float], errors: int) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label:<46} p50 {statistics.median(times) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"
          f"   ({len(times)} requests, {errors} errors)")


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    from tests.pgcluster import free_port

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
        env["S55_HOME"] = str(home)
        os.environ.update({"S55_HOME": str(home)})
        from s55.services import signin
        from s55.services.context import Context
        from tests.routes import awaiting_sign_off

        ctx = Context.from_env()
        ctx.clock = lambda: datetime(2022, 9, 23, 9, tzinfo=UTC)
        seed = SEED.read_text(encoding="utf-8")
        refs = [awaiting_sign_off(ctx, seed) for _ in range(args.clients)]
        ctx.clock = lambda: datetime.now(UTC)
        cookies = []
        for _ in range(args.clients):
            signin.request_link(ctx, email="commissioner@example.org", next_path="/",
                                base_url="http://bench", client="bench")
            from s55.store.models import OutboxMessage

            with ctx.uow() as session:
                body = session.query(OutboxMessage).filter_by(template="signin").order_by(
                    OutboxMessage.id.desc()).first().body_text
            nonce = body.split("/signin/")[1].split()[0]
            cookies.append(signin.use_link(ctx, nonce=nonce, client="bench")[0])

        port, floor_port = free_port(), free_port()
        server = subprocess.Popen([sys.executable, "-m", "s55", "serve", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        floor_app = Path(tmp) / "floor.py"
        floor_app.write_text(textwrap.dedent("""
            from fastapi import FastAPI
            app = FastAPI()
            @app.get("/ping")
            def ping():
                return {"ok": True}
        """))
        floor = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor:app", "--port",
                                  str(floor_port), "--log-level", "warning"], cwd=tmp,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base, floor_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
            wait(f"{base}/health")
            wait(f"{floor_base}/ping")

            def get(url, cookie=None):
                def job(n):
                    with httpx.Client(cookies={"s55_session": cookie(n)} if cookie else None,
                                      timeout=120) as client:
                        for _ in range(args.requests):
                            start = time.perf_counter()
                            ok = client.get(url(n)).status_code == 200
                            yield time.perf_counter() - start, ok
                return job

            report(f"bare FastAPI GET /ping (floor), {args.clients} clients",
                   *measure(args.clients, get(lambda n: f"{floor_base}/ping")))
            report(f"review page GET /reviews/REF, {args.clients} clients",
                   *measure(args.clients, get(lambda n: f"{base}/reviews/{refs[n]}",
                                              cookie=lambda n: cookies[n])))

            # prime the route's Prefect engine once, so the numbers are of steady state
            def sign_off(n):
                with httpx.Client(cookies={"s55_session": cookies[n]}, timeout=300) as client:
                    page = client.get(f"{base}/reviews/{refs[n]}").text
                    csrf = page.split('name="csrf" value="')[1].split('"')[0]
                    version = page.split('name="version" value="')[1].split('"')[0]
                    start = time.perf_counter()
                    response = client.post(f"{base}/reviews/{refs[n]}/sign-off",
                                           data={"csrf": csrf, "version": version})
                    yield time.perf_counter() - start, response.status_code in (200, 303)

            list(sign_off(0))
            times, errors = measure(args.clients - 1, lambda n: sign_off(n + 1))
            report(f"sign-off POST (with its route run), {args.clients - 1} clients",
                   times, errors)
        finally:
            server.terminate()
            floor.terminate()
            server.wait(30)
            floor.wait(30)


if __name__ == "__main__":
    main()
