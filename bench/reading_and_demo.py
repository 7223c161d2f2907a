"""Wall time of `s55 list` over 1,000 reviews, `s55 show`, and `s55 demo`, beside a bare
`python -c 'import sqlalchemy'` as the floor. Prints numbers; asserts nothing.

    ./dev bench            (or: .venv/bin/python bench/reading_and_demo.py [--runs N])
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"


def timed(cmd: list[str], env: dict, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def fill(home: Path, count: int) -> None:
    from s55.housestyle import parse_record
    from s55.services import drafting
    from s55.services.context import Context

    ctx = Context.from_env(home=home)
    ctx.clock = lambda: datetime(2026, 1, 5, 9, tzinfo=UTC)
    record = parse_record(SEED.read_text(encoding="utf-8"))
    for n in range(count):
        drafting.open_review(ctx, actor="opcc.officer@example.org", record=record,
                             published_on=date(2025, 1, 1) + timedelta(days=n % 365))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reviews", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
        env.update(S55_HOME=str(home), S55_USER="auditor@example.org")
        start = time.perf_counter()
        fill(home, args.reviews)
        print(f"setup: opened {args.reviews} reviews in {time.perf_counter() - start:.1f} s")
        s55 = [sys.executable, "-m", "s55"]
        rows = [
            ("python -c 'import sqlalchemy' (floor)", [sys.executable, "-c", "import sqlalchemy"]),
            (f"s55 list ({args.reviews} reviews)", s55 + ["list"]),
            (f"s55 list --json ({args.reviews} reviews)", s55 + ["list", "--json"]),
            ("s55 show S55-2025-0001", s55 + ["show", "S55-2025-0001"]),
        ]
        for label, cmd in rows:
            median, best = timed(cmd, env, args.runs)
            print(f"{label:<42} median {median:6.3f} s   best {best:6.3f} s   ({args.runs} runs)")
        demo_env = dict(env, S55_HOME=str(Path(tmp) / "demo"))
        median, best = timed(s55 + ["demo"], demo_env, 1)
        print(f"{'s55 demo (fresh home, Prefect ephemeral)':<42} {median:6.3f} s   (1 run)")


if __name__ == "__main__":
    main()
