"""A national thematic report: one review per force, opened once however often it is run.

DOMAIN.md, Scope: the s55 duty applies to any report about the force "unless a particular
force is clearly not the subject", national thematics included.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

from ..config import Force, load_forces
from ..domain.errors import Conflict
from ..domain.record import OfficeHolder, Record
from ..domain.workflow import Action, Role, check_role
from ..store import repo
from .context import Context
from .drafting import INSPECTORATE, open_review


def forces(ctx: Context, path=None) -> tuple[Force, ...]:
    return load_forces(Path(path) if path else ctx.settings.forces_file)


def may_open(ctx: Context, actor: str | None) -> None:
    person = ctx.actor(actor)
    check_role(Action.OPEN_THEMATIC if ctx.offices.many else Action.OPEN, person.role)


def targets(ctx: Context, actor: str | None, path=None) -> tuple[list[Force], list[Force]]:
    """(the forces whose reviews this fan-out opens, the forces it leaves to others).

    One office (the embedded default): every force in the list, in that office, as always.
    Many offices: each force's review in that force's office: every office this service
    serves for a national reader, and the person's own office for a person of one; a force
    whose office is not on this service is named, not opened."""
    everyone = forces(ctx, path)
    if not ctx.offices.many:
        return list(everyone), []
    person = ctx.actor(actor)
    served = [f for f in everyone if ctx.offices.serves(f.id) is not None
              and (not person.office or person.office == f.id)]
    return served, [f for f in everyone if f not in served]


def source_key(kind: str, published_on: date, title: str, force_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:160]
    return f"thematic:{kind}:{published_on.isoformat()}:{slug}:{force_id}"


def open_force_review(ctx: Context, *, actor: str | None, force: Force, title: str,
                      published_on: date, kind: str = "police-s55") -> tuple[str, bool]:
    """(reference, True) for a review opened now; (reference, False) if it was there already."""
    key = source_key(kind, published_on, title, force.id)
    office = ctx.offices.serves(force.id) if ctx.offices.many else None
    if office is None:  # one office: the review records the force's titles from the list
        record = Record(force=force.name, title=title, inspectorates=(INSPECTORATE,),
                        local_policing_body=OfficeHolder(force.lpb_title, ""),
                        chief_officer=OfficeHolder(force.chief_officer_title, ""))
    else:  # the force's own office: its titles, and the names of its office holders
        record = Record(force=office.force, title=title, inspectorates=(INSPECTORATE,),
                        local_policing_body=office.holder(Role.LOCAL_POLICING_BODY),
                        chief_officer=office.holder(Role.CHIEF_OFFICER))
    for _ in range(5):  # another run, or another force's task, may take the same number first
        with ctx.uow() as session:
            existing = repo.review_by_source_key(session, key)
            if existing is not None:
                return existing.ref, False
        try:
            return open_review(ctx, actor=actor, record=record, published_on=published_on,
                               kind=kind, source=f"national thematic report, {force.name}",
                               source_key=key, office=office and office.force_id), True
        except Conflict:
            continue
    raise Conflict(f"refused: could not open a review for {force.name} after five attempts")


def open_all(ctx: Context, *, actor: str | None, title: str, published_on: date,
             kind: str = "police-s55", forces_file=None, progress=None) -> dict:
    """Every force's review of one national report, four at a time, in this process and
    without Prefect (what `s55 open-thematic` runs; the `open-thematic` deployment does the
    same under Prefect, force by force as tasks). `progress(done, total, force)` after each."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    may_open(ctx, actor)
    everyone, elsewhere = targets(ctx, actor, forces_file)
    results = []
    with ThreadPoolExecutor(4, thread_name_prefix="s55-fan-out") as pool:
        running = {pool.submit(open_force_review, ctx, actor=actor, force=f, title=title,
                               published_on=published_on, kind=kind): f for f in everyone}
        for done, future in enumerate(as_completed(running), 1):
            ref, created = future.result()
            force = running[future]
            results.append({"force": force.name, "ref": ref, "created": created})
            if progress:
                progress(done, len(everyone), force.name)
    return outcome(results, elsewhere)


def outcome(results: list[dict], elsewhere: list[Force] = ()) -> dict:
    """The fan-out's results ({force, ref, created}) as opened now and open already, by ref,
    and the forces whose offices are not on this service (or not the person's)."""
    results = sorted(results, key=lambda r: r["ref"])
    return {"opened": [r for r in results if r["created"]],
            "existing": [r for r in results if not r["created"]],
            "elsewhere": [f.name for f in elsewhere]}


def progress_bar(done: int, total: int, label: str, width: int = 30) -> None:
    """The fan-out's progress on stderr, one line redrawn."""
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                     f"{label[:40]:<40}")
    sys.stderr.flush()
