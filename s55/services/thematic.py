"""A national thematic report: one review per force, opened once however often it is run.

DOMAIN.md, Scope: the s55 duty applies to any report about the force "unless a particular
force is clearly not the subject", national thematics included.
"""

from __future__ import annotations

import re
import sys
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


def open_all(ctx: Context, *, actor: str | None, title: str, published_on: date,
             kind: str = "police-s55", forces_file=None, progress=None) -> dict:
    """Every force's review of one national report, four at a time, in this process and
    without Prefect (what `s55 open-thematic` runs; the `open-thematic` deployment does the
    same under Prefect, force by force as tasks). `progress(done, total, force)` after each."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    may_open(ctx, actor)
    everyone = forces(ctx, forces_file)
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
    return outcome(results)


def outcome(results: list[dict]) -> dict:
    """The fan-out's results ({force, ref, created}) as opened now and open already, by ref."""
    results = sorted(results, key=lambda r: r["ref"])
    return {"opened": [r for r in results if r["created"]],
            "existing": [r for r in results if not r["created"]]}


def progress_bar(done: int, total: int, label: str, width: int = 30) -> None:
    """The fan-out's progress on stderr, one line redrawn."""
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                     f"{label[:40]:<40}")
    sys.stderr.flush()
