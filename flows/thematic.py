"""National fan-out: one review per force for one national thematic report."""

from __future__ import annotations

import sys

from prefect import flow, unmapped
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import as_completed

from s55.services import thematic
from s55.services.context import Context
from tasks.thematic import open_force_review


@flow(name="open_thematic", log_prints=True)
def open_thematic(title: str, published_on: str, actor: str, kind: str = "police-s55",
                  forces_file: str | None = None) -> dict:
    """Open a review for every force in the list, in parallel; re-running opens none twice."""
    ctx = Context.from_env()
    thematic.may_open(ctx, actor)
    forces, elsewhere = thematic.targets(ctx, actor, forces_file)
    artifact = create_progress_artifact(progress=0.0, description=f"Fan-out: {title}")
    futures = open_force_review.map([f.id for f in forces], unmapped(title),
                                    unmapped(published_on), unmapped(kind), unmapped(actor),
                                    unmapped(forces_file))
    results = []
    for done, future in enumerate(as_completed(futures), 1):
        results.append(future.result())
        thematic.progress_bar(done, len(forces), results[-1]["force"])
        update_progress_artifact(artifact, progress=100.0 * done / len(forces))
    sys.stderr.write("\n")
    return thematic.outcome(results, elsewhere)
