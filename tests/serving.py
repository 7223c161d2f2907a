"""`s55 serve` as a test (or a bench script) runs it: its own process group, a log file, and
waits with deadlines for it to serve the route or to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from s55.services import requests
from tests.waiting import until_up

CODE = "\nimport sys\nfrom s55.cli import main\nsys.argv = ['s55', *sys.argv[1:]]\nmain()\n"


def clean_env(home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), **extra)
    return env


class Serve:
    """One `s55 serve`; `patch` is Python run first in it (to kill it at a chosen moment)."""

    def __init__(self, home: Path, port: int, env: dict, patch: str = ""):
        self.home, self.port, self.env, self.patch = home, port, env, patch
        self.proc: subprocess.Popen | None = None
        self.log = home.parent / f"serve-{port}.log"

    def start(self, ctx, seconds: float = 180, wait: bool = True) -> Serve:
        """Start it; with `wait`, return once it serves the route (and its web app answers)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", self.patch + CODE, "serve", "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait:
            return self
        deadline = time.monotonic() + seconds
        while not any(p.owner.split(":")[1] == str(self.proc.pid)
                      for p in requests.served_by(ctx)):
            if self.proc.poll() is not None:
                raise AssertionError(f"s55 serve ended ({self.proc.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"s55 serve did not serve the route within {seconds:.0f} s:"
                                     f"\n{self.output()}")
            time.sleep(0.2)
        problem = until_up(f"http://127.0.0.1:{self.port}/health", self.proc,
                           max(1.0, deadline - time.monotonic()))
        if problem:
            raise AssertionError(f"the web app of s55 serve did not answer ({problem})")
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def children(self, of: int | None = None) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(of or self.proc.pid)], capture_output=True,
                               text=True)
        return [int(p) for p in found.stdout.split()]

    def child(self, module: str) -> int:
        """The one child process running `python -m MODULE` (s55.prefect_server, s55.web_server)."""
        [pid] = [p for p in self.children() if module in Path(f"/proc/{p}/cmdline").read_bytes()
                 .decode(errors="replace").split("\0")]
        return pid

    def tree(self) -> list[int]:
        """Every process below it: its Prefect server, its web app and the web app's workers."""
        found, todo = [], [self.proc.pid]
        while todo:
            below = self.children(todo.pop())
            found += below
            todo += below
        return found

    def wait(self, seconds: float = 60) -> int:
        return self.proc.wait(seconds)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def cleanup(self) -> None:
        """Whatever is left of its group goes (a test that failed half-way leaves nothing)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(30)


def gone_within(pid: int, seconds: float) -> bool:
    """True once `pid` has ended (or is a zombie), polling until the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if requests.gone(f"{requests.this_process().split(':')[0]}:{pid}:x"):
            return True
        time.sleep(0.2)
    return False
