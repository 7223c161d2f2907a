"""Tasks of the review route. They pass references and plain values, never ORM objects."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from s55.services import automation
from s55.services.context import Context


@task(retries=2, retry_delay_seconds=[1, 5], task_run_name="state of {ref}")
def route_state(ref: str) -> dict:
    """Read where the review stands from our database (the system of record)."""
    return automation.route_state(Context.from_env(), ref)


@task(retries=3, retry_delay_seconds=[1, 5, 20], task_run_name="{purpose} for {recipient}")
def notify(ref: str, version: str, round: int, purpose: str, recipient: str, per_version: bool,
           details: dict, at: str | None = None) -> bool:
    """Record the notice once in the ledger (delivered by the outbox once mail lands)."""
    return automation.record_notice(
        Context.from_env(), ref=ref, version=version, round=round, purpose=purpose,
        recipient=recipient, per_version=per_version, details=details,
        at=datetime.fromisoformat(at) if at else None)
