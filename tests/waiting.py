"""Waiting for a server we started to answer: poll with a deadline, never sleep in hope."""

from __future__ import annotations

import subprocess
import time
import urllib.request


def until_up(url: str, proc: subprocess.Popen, seconds: float = 120) -> str | None:
    """None once `url` answers; else why not (the process ended, or the deadline passed)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return None
        except OSError:
            if proc.poll() is not None:
                return f"the process ended with {proc.returncode}"
            if time.monotonic() > deadline:
                return f"{url} did not answer within {seconds:.0f} s"
            time.sleep(0.2)


def until(find, seconds: float = 60, what: str = "it"):
    """The first truthy value of `find()`, polling; AssertionError naming `what` at the deadline.
    For what the served process does just after a page or a command has answered."""
    deadline = time.monotonic() + seconds
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.1)
