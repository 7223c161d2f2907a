"""Route requests: a decision commits one with itself; the served process claims and runs them.

A claim takes every due request of one review at once (they coalesce into one run of
`advance`), and only for a review that no other run holds, so a review has at most one
run at a time while several reviews run in parallel. A claim is a lease: a process that
dies holding one (SIGKILL, a lost machine) lets it go when the lease ends, or at once
when it ran on this machine and its process is gone. Every step the route takes is safe
to repeat, so a run that is repeated after a crash does nothing twice.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from ..store import repo
from ..store.models import OutboxMessage, Review, RouteRequest, ServedProcess
from .context import Context, as_utc

LEASE = timedelta(minutes=5)  # renewed while a run goes on; a dead holder's lease runs out
HEARTBEAT_FRESH = timedelta(seconds=10)  # a served process writes one every 2 s
BACKOFF = (2, 10, 30, 120, 600)  # seconds before a failed run is tried again
_NONCE = secrets.token_hex(4)


def this_process() -> str:
    """Who holds a claim: host, pid and a nonce (a reused pid is not the same process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_NONCE}"


def gone(owner: str) -> bool:
    """True when `owner` was a process on this machine that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if owner == this_process():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _exited(int(pid))


def _exited(pid: int) -> bool:
    """A zombie (killed, not yet reaped by its parent) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


@dataclass(frozen=True)
class Claim:
    run: str
    ref: str | None  # None: mail about no review
    requests: tuple[int, ...]


def request(session: Session, review_id: int | None, *, cause: str, by: str, at: datetime
            ) -> RouteRequest:
    """Ask for the route, in the caller's transaction (committed with the decision or not at all)."""
    row = RouteRequest(review_id=review_id, cause=cause[:80], requested_by=by, requested_at=at,
                       status="pending", not_before=at, outcome={}, attempts=0)
    session.add(row)
    session.flush()
    return row


def ask(ctx: Context, ref: str | None, *, cause: str, by: str = "") -> int:
    """A request on its own (`s55 advance`, the served process's retry of waiting mail)."""
    with ctx.uow() as session:
        review_id = repo.review(session, ref).id if ref else None
        return request(session, review_id, cause=cause, by=by, at=ctx.now()).id


def _serialise_claims(session: Session) -> None:
    # SQLite's BEGIN IMMEDIATE already makes claims one at a time; PostgreSQL needs a lock
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(55055)"))


def claim(ctx: Context, *, owner: str, limit: int = 1, ref: str | None = None) -> list[Claim]:
    """Claim the due requests of up to `limit` reviews that no run holds (or of `ref` only)."""
    now = ctx.now()
    if not _anything_to_claim(ctx, now):  # the usual answer, found without a write lock
        return []
    with ctx.uow() as session:
        _serialise_claims(session)
        release_dead(session, now)
        held = set(session.scalars(select(RouteRequest.review_id).distinct()
                                   .where(RouteRequest.status == "running")))
        query = (select(RouteRequest.review_id, func.min(RouteRequest.id))
                 .where(RouteRequest.status == "pending", RouteRequest.not_before <= now)
                 .group_by(RouteRequest.review_id).order_by(func.min(RouteRequest.id)))
        if ref is not None:
            query = query.where(RouteRequest.review_id == repo.review(session, ref).id)
        claims = []
        for review_id, _first in session.execute(query).all():  # read all before writing
            if review_id in held or len(claims) >= limit:
                continue
            claims.append(_take(session, review_id, owner, now))
        return claims


def claim_review(ctx: Context, ref: str, *, cause: str, by: str = "") -> Claim | None:
    """Claim `ref`'s waiting requests for a run in this process, asking first if none waits;
    None when another run holds the review right now."""
    owner = this_process()
    claims = claim(ctx, owner=owner, ref=ref)
    if not claims:
        ask(ctx, ref, cause=cause, by=by)
        claims = claim(ctx, owner=owner, ref=ref)
    return claims[0] if claims else None


def _take(session: Session, review_id: int | None, owner: str, now: datetime) -> Claim:
    run = secrets.token_hex(8)
    where = (RouteRequest.review_id == review_id if review_id is not None
             else RouteRequest.review_id.is_(None))
    ids = list(session.scalars(select(RouteRequest.id).where(
        where, RouteRequest.status == "pending", RouteRequest.not_before <= now)))
    session.execute(update(RouteRequest).where(RouteRequest.id.in_(ids)).values(
        status="running", run=run, owner=owner, lease_until=now + LEASE))
    ref = session.get(Review, review_id).ref if review_id is not None else None
    return Claim(run, ref, tuple(ids))


def _anything_to_claim(ctx: Context, now: datetime) -> bool:
    with ctx.uow(read=True) as session:
        if session.scalar(select(RouteRequest.id).where(
                RouteRequest.status == "pending", RouteRequest.not_before <= now).limit(1)):
            return True
        running = session.execute(select(RouteRequest.owner, RouteRequest.lease_until).where(
            RouteRequest.status == "running")).all()
    return any(abandoned(owner, lease, now) for owner, lease in running)


def abandoned(owner: str, until: datetime | None, now: datetime) -> bool:
    """A claim whose holder died on this machine, or whose lease ran out."""
    return gone(owner) or (until is not None and as_utc(until) < now)


def release_dead(session: Session, now: datetime) -> int:
    """Running requests whose holder died or whose lease ran out go back to pending."""
    released = 0
    for row in session.scalars(select(RouteRequest).where(RouteRequest.status == "running")):
        if abandoned(row.owner, row.lease_until, now):
            died = gone(row.owner)
            row.status, row.run, row.owner, row.lease_until = "pending", "", "", None
            row.last_error = ("the process running it stopped before it finished; run again"
                              if died else "its run did not finish in time; run again")
            released += 1
    return released


def renew(ctx: Context, runs: list[str]) -> None:
    """Extend the leases of runs still going on."""
    if not runs:
        return
    with ctx.uow() as session:
        session.execute(update(RouteRequest).where(
            RouteRequest.status == "running", RouteRequest.run.in_(runs)).values(
            lease_until=ctx.now() + LEASE))


def still_running(ctx: Context, run: str) -> bool:
    with ctx.uow(read=True) as session:
        return session.scalar(select(func.count()).where(
            RouteRequest.run == run, RouteRequest.status == "running")) > 0


def running(ctx: Context, runs: list[str]) -> set[str]:
    """Which of these runs still hold requests (have not reported, nor been handed back)."""
    with ctx.uow(read=True) as session:
        return set(session.scalars(select(RouteRequest.run).distinct().where(
            RouteRequest.run.in_(runs), RouteRequest.status == "running")))


def finish(ctx: Context, run: str, outcome: dict) -> int:
    """Record the outcome for every request the run served; returns how many."""
    with ctx.uow() as session:
        return session.execute(update(RouteRequest).where(
            RouteRequest.run == run, RouteRequest.status == "running").values(
            status="done", finished_at=ctx.now(), outcome=outcome, last_error="",
            lease_until=None)).rowcount


def fail(ctx: Context, run: str, error: str) -> int:
    """The run failed: its requests wait, then are tried again (nothing is dropped)."""
    now = ctx.now()
    with ctx.uow() as session:
        rows = list(session.scalars(select(RouteRequest).where(
            RouteRequest.run == run, RouteRequest.status == "running")))
        for row in rows:
            row.attempts += 1
            wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
            row.status, row.run, row.owner, row.lease_until = "pending", "", "", None
            row.not_before = now + timedelta(seconds=wait)
            row.last_error = error[:2000]
        return len(rows)


def wake(ctx: Context) -> int:
    """Requests waiting out a back-off may run now (what failed them has been put right)."""
    now = ctx.now()
    with ctx.uow() as session:
        return session.execute(update(RouteRequest).where(
            RouteRequest.status == "pending", RouteRequest.not_before > now).values(
            not_before=now)).rowcount


def outcome(ctx: Context, request_id: int) -> RouteRequest | None:
    with ctx.uow(read=True) as session:
        return session.get(RouteRequest, request_id)


def wait(ctx: Context, request_id: int, seconds: float) -> RouteRequest | None:
    """Poll until the request is done or `seconds` pass; the row as last seen."""
    deadline = time.monotonic() + seconds
    while True:
        row = outcome(ctx, request_id)
        if row is None or row.status == "done" or time.monotonic() >= deadline:
            return row
        time.sleep(0.05)


def retry_unsent(ctx: Context, *, by: str) -> int:
    """A request for each review whose mail waits after a temporary failure, unless one waits."""
    with ctx.uow() as session:
        waiting = set(session.scalars(select(RouteRequest.review_id).distinct().where(
            RouteRequest.status.in_(("pending", "running")))))
        unsent = set(session.scalars(select(OutboxMessage.review_id).distinct().where(
            OutboxMessage.status == "pending", OutboxMessage.attempts > 0)))
        for review_id in unsent - waiting:
            request(session, review_id, cause="retry waiting mail", by=by, at=ctx.now())
        return len(unsent - waiting)


def heartbeat(ctx: Context, owner: str, *, mode: str, web_url: str = "", prefect_api: str = ""
              ) -> None:
    now = ctx.now()
    with ctx.uow() as session:
        row = session.get(ServedProcess, owner)
        if row is None:
            session.add(ServedProcess(owner=owner, started_at=now, heartbeat_at=now, mode=mode,
                                      web_url=web_url, prefect_api=prefect_api))
        else:
            row.heartbeat_at = now


def goodbye(ctx: Context, owner: str) -> None:
    with ctx.uow() as session:
        session.execute(delete(ServedProcess).where(ServedProcess.owner == owner))


def served_by(ctx: Context) -> list[ServedProcess]:
    """The served processes alive now: a fresh heartbeat and, on this machine, a live process."""
    fresh = ctx.now() - HEARTBEAT_FRESH
    with ctx.uow(read=True) as session:
        rows = session.scalars(select(ServedProcess).order_by(ServedProcess.started_at))
        return [r for r in rows if as_utc(r.heartbeat_at) >= fresh and not gone(r.owner)]


def queue(ctx: Context) -> dict:
    """How many requests wait and run, the oldest waiting one, and the newest error."""
    with ctx.uow(read=True) as session:
        counts = dict(session.execute(select(RouteRequest.status, func.count())
                                      .group_by(RouteRequest.status)).all())
        oldest = session.scalar(select(func.min(RouteRequest.requested_at))
                                .where(RouteRequest.status == "pending"))
        error = session.scalar(select(RouteRequest.last_error).where(
            RouteRequest.status == "pending", RouteRequest.last_error != "")
            .order_by(RouteRequest.id.desc()).limit(1))
        # a claim whose process died is waiting again, though no claim has released it yet
        orphaned = sum(gone(owner) for owner in session.scalars(
            select(RouteRequest.owner).where(RouteRequest.status == "running")))
    return {"pending": counts.get("pending", 0) + orphaned,
            "running": counts.get("running", 0) - orphaned,
            "done": counts.get("done", 0),
            "oldest_pending": as_utc(oldest).isoformat() if oldest else None,
            "last_error": error or ""}
