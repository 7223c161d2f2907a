"""A national thematic report: one review per force, opened once however often it is run.

DOMAIN.md, Scope: the s55 duty applies to any report about the force "unless a particular
force is clearly not the subject", national thematics included.
"""

from __future__ import annotations

import re
from datetime import date

from ..config import Force, load_forces
from ..domain.errors import Conflict
from ..domain.record import OfficeHolder, Record
from ..domain.workflow import Action, check_role
from ..store import repo
from .context import Context
from .drafting import INSPECTORATE, open_review


def forces(ctx: Context, path=None) -> list[Force]:
    return load_forces(path or ctx.settings.config_dir / "forces.csv")


def may_open(ctx: Context, actor: str | None) -> None:
    check_role(Action.OPEN, ctx.office.directory.actor(actor).role)


def source_key(kind: str, published_on: date, title: str, force_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:160]
    return f"thematic:{kind}:{published_on.isoformat()}:{slug}:{force_id}"


def open_force_review(ctx: Context, *, actor: str | None, force: Force, title: str,
                      published_on: date, kind: str = "police-s55") -> tuple[str, bool]:
    """(reference, True) for a review opened now; (reference, False) if it was there already."""
    key = source_key(kind, published_on, title, force.id)
    record = Record(force=force.name, title=title, inspectorates=(INSPECTORATE,),
                    local_policing_body=OfficeHolder(force.lpb_title, ""),
                    chief_officer=OfficeHolder(force.chief_officer_title, ""))
    for _ in range(5):  # another run, or another force's task, may take the same number first
        with ctx.uow() as session:
            existing = repo.review_by_source_key(session, key)
            if existing is not None:
                return existing.ref, False
        try:
            return open_review(ctx, actor=actor, record=record, published_on=published_on,
                               kind=kind, source=f"national thematic report, {force.name}",
                               source_key=key), True
        except Conflict:
            continue
    raise Conflict(f"refused: could not open a review for {force.name} after five attempts")
