"""Tasks of the national fan-out."""

from __future__ import annotations

from datetime import date

from prefect import task

from s55.services import thematic
from s55.services.context import Context


@task(retries=2, retry_delay_seconds=[1, 5], task_run_name="open review: {force_id}")
def open_force_review(force_id: str, title: str, published_on: str, kind: str,
                      actor: str, forces_file: str | None = None) -> dict:
    """Open (or find) the review of one force's response; safe to run again."""
    ctx = Context.from_env()
    force = next(f for f in thematic.forces(ctx, forces_file) if f.id == force_id)
    ref, created = thematic.open_force_review(
        ctx, actor=actor, force=force, title=title, published_on=date.fromisoformat(published_on),
        kind=kind)
    return {"force": force.name, "ref": ref, "created": created}
