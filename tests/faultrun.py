"""The random-kill fault run (issue 11): many routes served by `s55 serve`, which is
SIGKILLed again and again at a random point of its work, then left to finish; afterwards
every route must be complete with nothing lost, nothing sent twice, no half-written file and
an intact audit chain. Used by tests/e2e/test_fault_run.py (a few routes) and
bench/fault_run.py (100 routes).

The kill is a patch run first in the served process (never a switch in s55): a counter over
the places where the route leaves a mark (a transaction's commit, just before it and just
after; a file half-written; a message handed to the transport; a run's outcome) kills the
process with SIGKILL at the K-th, K drawn at random for each life.
"""

from __future__ import annotations

import hashlib
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from s55.services import publishing, reading
from s55.store.models import OutboxMessage, RouteRequest
from tests import routes
from tests.conftest import AUDITOR, OPCC
from tests.serving import Serve

KILL_AT = """
import os, signal, tempfile
KILL_AT = {k}
_calls = [0]
def _tick():
    _calls[0] += 1
    if _calls[0] >= KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)

import s55.store.db as _db
_exit = _db.UnitOfWork.__exit__
def _uow_exit(self, *exc):
    _tick()                       # before the commit
    out = _exit(self, *exc)
    _tick()                       # after it
    return out
_db.UnitOfWork.__exit__ = _uow_exit

import s55.mail.transport as _t, s55.services.publishing as _p
_write = _t.atomic_write
def _atomic_write(target, data, **how):
    _calls[0] += 1
    if _calls[0] >= KILL_AT:      # half of the file written beside it, then death
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, _tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{{target.name}}.{{os.getpid()}}.")
        os.write(fd, data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    _write(target, data, **how)
_t.atomic_write = _p.atomic_write = _atomic_write

_send = _t.FileTransport.send
def _file_send(self, key, message):
    out = _send(self, key, message)
    _tick()                       # handed over, not yet recorded as sent
    return out
_t.FileTransport.send = _file_send

import s55.services.requests as _r
_finish = _r.finish
def _finish_run(*a, **k):
    _tick()                       # the run's work done, its outcome not yet written
    return _finish(*a, **k)
_r.finish = _finish_run
"""


@dataclass
class FaultRun:
    home: Path
    env: dict
    ctx: object
    seed: int = 55
    kills_wanted: int = 10
    most: int = 120  # K is drawn from 1..most for each life
    refs: list[str] = field(default_factory=list)
    kills: int = 0
    lives: int = 0
    seconds: float = 0.0

    def prepare(self, seed_text: str, count: int) -> list[str]:
        """`count` reviews signed off and released for publication; each decision committed
        with its route request, none of them yet served."""
        for _ in range(count):
            ref = routes.signed_off(self.ctx, seed_text)
            publishing.request_publication(self.ctx, actor=OPCC, ref=ref,
                                           late_reason="held for the fault run")
            self.refs.append(ref)
        return self.refs

    def run(self, port, timeout: float = 900) -> None:
        """Serve with a random kill in each life until `kills_wanted` kills have happened,
        then once more without, until every route is done."""
        rng = random.Random(self.seed)
        started = time.monotonic()
        while not self.finished():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"not finished in {timeout:.0f} s: {self.where()}")
            killing = self.kills < self.kills_wanted
            patch = KILL_AT.format(k=rng.randint(1, self.most)) if killing else ""
            serve = Serve(self.home, port(), self.env, patch)
            self.lives += 1
            try:
                serve.start(self.ctx, wait=False)
                while serve.proc.poll() is None and not self.finished():
                    if time.monotonic() - started > timeout:
                        raise AssertionError(f"not finished in {timeout:.0f} s: {self.where()}"
                                             f"\n{serve.output()[-3000:]}")
                    time.sleep(0.2)
                if serve.proc.returncode == -signal.SIGKILL:
                    self.kills += 1
                elif serve.proc.returncode is not None:
                    raise AssertionError(f"s55 serve ended ({serve.proc.returncode}):\n"
                                         f"{serve.output()[-3000:]}")
            finally:
                serve.cleanup()
        self.seconds = time.monotonic() - started

    def finished(self) -> bool:
        with self.ctx.uow(read=True) as session:
            waiting = session.query(RouteRequest).filter(
                RouteRequest.status.in_(("pending", "running"))).count()
            unsent = session.query(OutboxMessage).filter(
                OutboxMessage.status.in_(("pending", "sending"))).count()
        if waiting or unsent:
            return False
        return all(r["stage"] == "copies sent"
                   for r in reading.list_reviews(self.ctx, actor=AUDITOR))

    def where(self) -> str:
        stages = Counter(r["stage"] for r in reading.list_reviews(self.ctx, actor=AUDITOR))
        return f"{dict(stages)}; {self.kills} kills in {self.lives} lives"

    def problems(self) -> list[str]:
        """What a user would find wrong afterwards (an empty list: nothing)."""
        ctx, found = self.ctx, []
        verdict = reading.verify_audit(ctx, actor=AUDITOR)
        if not verdict.ok:
            found.append(f"audit chain: {verdict.message}")
        with ctx.uow(read=True) as session:
            rows = [m for m in session.query(OutboxMessage) if m.status != "cancelled"]
        if any(m.status != "sent" for m in rows):
            found.append(f"messages not sent: {Counter(m.status for m in rows)}")
        ids = Counter(m.message_id for m in rows)
        found += [f"Message-ID {i} used {n} times" for i, n in ids.items() if n > 1]
        files = list(ctx.settings.outbox.glob("*.eml"))
        if len(files) != len(rows):
            found.append(f"{len(files)} .eml files for {len(rows)} messages")
        sent_ids = Counter(_message_id(f) for f in files)
        found += [f"{i} written {n} times" for i, n in sent_ids.items() if n > 1]
        for ref in self.refs:
            shown = reading.show(ctx, actor=AUDITOR, ref=ref)
            if shown["stage"] != "copies sent":
                found.append(f"{ref}: {shown['stage']}")
                continue
            trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
            actions = Counter(e["action"] for e in trail)
            # every decision taken is there, once; the route's own steps once each
            for action in ("open review", "invite chief officer", "sign off", "publish",
                           "published", "copies sent"):
                if actions[action] != 1:
                    found.append(f"{ref}: '{action}' on the trail {actions[action]} times")
            sent = sum(n for a, n in actions.items() if a.startswith("sent: "))
            messages = sum(m["status"] != "cancelled" for m in shown["messages"])
            if sent != messages:
                found.append(f"{ref}: {sent} 'sent' entries on the trail for {messages} "
                             "messages")
            for name, f in shown["publication"]["files"].items():
                data = (ctx.settings.site / f["path"]).read_bytes()
                if hashlib.sha256(data).hexdigest() != f["sha256"]:
                    found.append(f"{ref}: the published {name} is not the one recorded")
        leftovers = [p for p in list(ctx.settings.site.rglob(".*")) +
                     list(ctx.settings.outbox.glob(".*")) if p.is_file()]
        found += [f"half-written file left: {p}" for p in leftovers]
        return found


def _message_id(path: Path) -> str:
    for line in path.read_text(errors="replace").splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
    return path.name
