"""The route's script and what it reads before it acts: plain values, never ORM objects.

`advance` is written once; the Prefect flow (flows/advance.py) runs it with each step a
task with retries, and `run_here` runs it with plain calls where no process serves the route.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from ..domain.workflow import CLOSED_STAGES, Stage, waiting_for
from ..store import repo
from . import mailing, publishing, requests
from .context import Context


def open_refs(ctx: Context, office: str | None = None) -> list[str]:
    """Every review (of one office, or all) the route may still have work for: all but
    withdrawn and finished ones, and finished ones too while any of their mail is unsent (a
    failed notice is never dropped)."""
    with ctx.uow(read=True) as session:
        unsent = repo.review_ids_with_unsent_mail(session)
        return [r.ref for r in repo.reviews(session, office=office)
                if r.stage not in CLOSED_STAGES or r.id in unsent]


def route_state(ctx: Context, ref: str) -> dict:
    """Where a review stands, whether publication is due, and how much mail is waiting."""
    with ctx.uow(read=True) as session:
        row = repo.review(session, ref)
        pub = repo.publication(session, row.id)
        unsent = repo.outbox(session, review_id=row.id, statuses=repo.UNSENT)
        return {
            "ref": ref,
            "stage": row.stage,
            "waiting_for": waiting_for(Stage(row.stage), released=pub is not None),
            "publish_due": row.stage == Stage.SIGNED_OFF and pub is not None
            and pub.published_at is None,
            "unsent": len(unsent),
        }


class Steps(Protocol):
    """The route's automated steps: Prefect tasks in a flow (flows/advance.py), or plain calls."""

    def route_state(self, ref: str) -> dict: ...
    def publish_site(self, ref: str, at: str | None) -> dict | None: ...
    def deliver_mail(self, ref: str, at: str | None) -> tuple[dict | None, str]: ...
    def finish_copies(self, ref: str, at: str | None) -> bool: ...


def advance(steps: Steps, ref: str, at: str | None = None) -> dict:
    """The route, once: publish when released, deliver waiting mail (each message once), close
    the review when the statutory copies have gone; then say whom it waits for."""
    done: list[str] = []
    state = steps.route_state(ref)
    if state["publish_due"]:
        files = steps.publish_site(ref, at)
        if files:
            done.append(f"published: {files['page']['path']}")
    if state["unsent"] or state["publish_due"]:
        outcome, problem = steps.deliver_mail(ref, at)
        if outcome is None:
            done.append(f"mail not yet delivered, kept for the next run: {problem}")
        else:
            done += [f"sent {line}" for line in outcome["sent"]]
            done += [f"FAILED {line} (kept; retried by the next run)" for line in outcome["failed"]]
            done += [f"NOT YET SENT {line} (kept; retried by the next run)"
                     for line in outcome["retry"]]
    if steps.finish_copies(ref, at):
        done.append("statutory copies sent to HMICFRS and the Home Office")
    state = steps.route_state(ref)
    return {"ref": ref, "stage": state["stage"], "waiting_for": state["waiting_for"],
            "done": done, "unsent": state["unsent"]}


INTERACTIVE_SMTP_TIMEOUT = 5.0


class Here:
    """The steps as plain calls in this process: one attempt each, no Prefect (a command with no
    served process, the demo). What a step leaves undone waits for the next run."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def route_state(self, ref: str) -> dict:
        return route_state(self.ctx, ref)

    def publish_site(self, ref: str, at: str | None) -> dict | None:
        return publishing.publish_site(self.ctx, ref, at=at_time(at))

    def deliver_mail(self, ref: str, at: str | None) -> tuple[dict | None, str]:
        # a person may be waiting on this: a mail server that does not answer gets a few seconds
        settings = self.ctx.settings.replace(
            smtp_timeout=min(self.ctx.settings.smtp_timeout, INTERACTIVE_SMTP_TIMEOUT))
        return mailing.deliver(replace(self.ctx, settings=settings), ref, at=at_time(at)), ""

    def finish_copies(self, ref: str, at: str | None) -> bool:
        return publishing.finish_copies(self.ctx, ref, at=at_time(at))


def at_time(at: str | None) -> datetime | None:
    """A step's time as passed between tasks (ISO text) back into a datetime."""
    return datetime.fromisoformat(at) if at else None


def run_here(ctx: Context, ref: str, *, at: datetime | None = None) -> dict | None:
    """Run the route on `ref` in this process, without Prefect, for its waiting requests.
    None when another process holds the review's route right now."""
    claim = requests.claim_review(ctx, ref, cause="run in the command")
    if claim is None:
        return None
    try:
        result = advance(Here(ctx), ref, at.isoformat() if at else None)
    except BaseException as err:
        requests.fail(ctx, claim.run, f"{type(err).__name__}: {err}")
        raise
    requests.finish(ctx, claim.run, result)
    return result
