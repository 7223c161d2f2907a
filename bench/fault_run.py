"""The random-kill fault run at full size: 100 routes (signed off and released for
publication) served by `s55 serve`, which is SIGKILLed at a random point of its work again
and again, then left to finish. Prints how long it took, how many kills, and every problem
found afterwards (lost decisions, messages sent twice, half-written files, a broken chain).

    .venv/bin/python bench/fault_run.py [--routes 100] [--kills 15] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"


def prefect_server(home: Path, port: int) -> subprocess.Popen:
    from tests.waiting import until_up

    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_UI_ENABLED="false")
    home.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start",
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=(home / "server.log").open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    problem = until_up(f"http://127.0.0.1:{port}/api/health", server)
    if problem:
        raise SystemExit(f"the Prefect server did not start: {problem}")
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=100)
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--seed", type=int, default=55)
    parser.add_argument("--postgres", action="store_true",
                        help="the record in a throwaway PostgreSQL 15 cluster, not SQLite")
    args = parser.parse_args()
    from tests.pgcluster import Cluster, free_port
    from tests.serving import clean_env

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        cluster, url = None, ""
        if args.postgres:
            cluster = Cluster()
            cluster.start()
            url = cluster.database("faults")
        server = prefect_server(Path(tmp) / "prefect", free_port())
        try:
            api = f"http://127.0.0.1:{server.args[-1]}/api"
            env = clean_env(home, PREFECT_API_URL=api, S55_WEB_WORKERS="1",
                            **({"S55_DATABASE_URL": url} if url else {}))
            os.environ.update(S55_HOME=str(home), **({"S55_DATABASE_URL": url} if url else {}))
            from s55.services.context import Context
            from tests.faultrun import FaultRun

            ctx = Context.from_env()
            run = FaultRun(home, env, ctx, seed=args.seed, kills_wanted=args.kills,
                           most=400)
            started = time.perf_counter()
            run.prepare(SEED.read_text(encoding="utf-8"), args.routes)
            print(f"fault run: {args.routes} routes signed off and released in "
                  f"{time.perf_counter() - started:.1f} s "
                  f"({'PostgreSQL' if url else 'SQLite'})", flush=True)
            run.run(free_port, timeout=3600)
            problems = run.problems()
            print(f"  served to the end in {run.seconds:.1f} s: {run.kills} SIGKILLs in "
                  f"{run.lives} lives of s55 serve; "
                  f"{args.routes / run.seconds:.2f} routes a second overall")
            print(f"  problems found afterwards: {len(problems)}")
            for line in problems:
                print(f"    {line}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
