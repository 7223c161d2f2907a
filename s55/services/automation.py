"""The automated steps `advance` takes; each is recorded once in the ledger, then skipped."""

from __future__ import annotations

from datetime import datetime

from ..domain.people import Person
from ..domain.workflow import NOTICES, WAITING_FOR, Stage
from ..store import repo
from ..store.models import LedgerEntry
from .context import Context, long_date

SYSTEM = Person(email="s55", name="s55 (automated)", role="automated")  # type: ignore[arg-type]


def open_refs(ctx: Context) -> list[str]:
    """Every review the route may still have work for (all but withdrawn and finished ones)."""
    with ctx.uow() as session:
        return [r.ref for r in repo.reviews(session)
                if r.stage not in (Stage.WITHDRAWN, Stage.COPIES_SENT)]


def route_state(ctx: Context, ref: str) -> dict:
    """Where a review stands and which automated step its stage calls for (plain values)."""
    with ctx.uow() as session:
        row = repo.review(session, ref)
        stage = Stage(row.stage)
        state = {"ref": ref, "stage": str(stage), "version": row.current_version,
                 "round": row.stage_seq, "waiting_for": WAITING_FOR[stage], "notices": []}
        if stage in NOTICES:
            notice = NOTICES[stage]
            for holder in ctx.office.directory.holders(notice.to):
                state["notices"].append({"purpose": notice.purpose, "recipient": holder.email,
                                         "per_version": notice.per_version})
        state["details"] = {
            "version_given": row.current_version,
            "chief_officer_due": long_date(row.chief_officer_due),
            "statutory_last_day": long_date(row.statutory_last_day),
        }
        return state


def record_notice(ctx: Context, *, ref: str, version: str, round: int, purpose: str,
                  recipient: str, per_version: bool, details: dict,
                  at: datetime | None = None) -> bool:
    """Record that `recipient` is due `purpose` in this round (and version); False if done already.

    Mail delivery of these notices comes with the outbox; the ledger key is already the
    outbox's key (record, version, purpose, recipient), so nothing is ever sent twice.
    A notice that is not per version is keyed on the round alone, so edits made while
    someone works on a review do not send them the same request again.
    """
    at = at or ctx.now()
    key = f"{purpose} #{round}"
    with ctx.uow() as session:
        row = repo.review(session, ref)
        if row.current_version != version or row.stage_seq != round:
            return False  # the review moved on since this step was planned: nothing to do
        keyed_version = version if per_version else ""
        if repo.ledger_has(session, row.id, keyed_version, key, recipient):
            return False
        session.add(LedgerEntry(review_id=row.id, version=keyed_version, purpose=key,
                                recipient=recipient, status="recorded", details=details,
                                created_at=at))
        repo.append_audit(session, at=at.isoformat(), actor=SYSTEM.email, role="automated",
                          acting_for="", action=f"notice: {purpose}", ref=ref, version=version,
                          details={"recipient": recipient, **details})
        return True
