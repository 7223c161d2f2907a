"""Hand a review to the `advance` flow: in-process (embedded) or to a Prefect deployment."""

from __future__ import annotations

from datetime import datetime

from .services.context import Context


def run_advance(ctx: Context, ref: str, *, at: datetime | None = None) -> dict:
    """Run the route on `ref` after a decision has been committed; Prefect is imported here only."""
    stamp = at.isoformat() if at else None
    if ctx.settings.orchestration == "deployment":
        from prefect.deployments import run_deployment

        run = run_deployment("advance/advance", parameters={"ref": ref, "at": stamp}, timeout=0,
                             tags=[f"review:{ref}"])
        return {"ref": ref, "stage": "queued", "waiting_for": f"flow run {run.id}", "done": []}
    from prefect import tags

    from flows.advance import advance

    with tags(f"review:{ref}"):
        return advance(ref, stamp)
