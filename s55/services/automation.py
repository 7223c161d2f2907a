"""What the route reads before it acts: plain values, never ORM objects."""

from __future__ import annotations

from ..domain.workflow import WAITING_FOR, Stage
from ..store import repo
from .context import Context


def open_refs(ctx: Context) -> list[str]:
    """Every review the route may still have work for: all but withdrawn and finished ones,
    and finished ones too while any of their mail is unsent (a failed notice is never dropped)."""
    with ctx.uow() as session:
        unsent = repo.review_ids_with_unsent_mail(session)
        return [r.ref for r in repo.reviews(session)
                if r.stage not in (Stage.WITHDRAWN, Stage.COPIES_SENT) or r.id in unsent]


def route_state(ctx: Context, ref: str) -> dict:
    """Where a review stands, whether publication is due, and how much mail is waiting."""
    with ctx.uow() as session:
        row = repo.review(session, ref)
        pub = repo.publication(session, row.id)
        unsent = repo.outbox(session, review_id=row.id, statuses=("pending", "failed"))
        return {
            "ref": ref,
            "stage": row.stage,
            "waiting_for": WAITING_FOR[Stage(row.stage)],
            "publish_due": row.stage == Stage.SIGNED_OFF and pub is not None
            and pub.published_at is None,
            "unsent": len(unsent),
        }
