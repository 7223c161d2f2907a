"""Running the route by hand (`s55 advance`): ask the served process, or run the flow here."""

from __future__ import annotations

from .services import requests
from .services.context import Context


def advance_by_hand(ctx: Context, ref: str, *, by: str = "") -> dict | None:
    """The route's report on `ref`, or None if it did not finish while we waited."""
    if requests.served_by(ctx):
        row = requests.wait(ctx, requests.ask(ctx, ref, cause="advance by hand", by=by),
                            max(ctx.settings.wait_seconds, 30))
        return row.outcome if row is not None and row.status == "done" else None
    claim = requests.claim_review(ctx, ref, cause="advance by hand", by=by)
    if claim is None:
        return None  # another process holds this review's route right now
    from prefect import tags

    from flows.advance import advance

    with tags(f"review:{ref}", "s55"):
        return advance(ref, None, claim.run)
