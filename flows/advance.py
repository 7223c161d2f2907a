"""The review route: one short, re-entrant flow that does what is due and returns at a human wait.

It reads the review's stage from our database, publishes when a signed-off review has
been released for publication, delivers whatever mail is waiting (each message once),
closes the review when the statutory copies have gone, and returns a state naming what
it waits for. Running it again on any review changes nothing (DESIGN.md, The route).
The script itself is `s55.services.automation.advance`; here each step is a Prefect task.
When the served process claimed route requests for this run (`run`), the outcome is
written back to them for whoever waits; a failed or crashed run hands them back.

`advance_many` is the same route for several reviews in one flow run, one after another: on
process workers each flow run is a new Python process (seconds of start-up), so a served
process with many reviews waiting hands them over in batches (S55_ROUTE_BATCH). Each review's
outcome is reported as it is reached; a review whose route fails hands back its own requests
and the others go on; a run that fails or crashes hands back every request not yet reported.
"""

from __future__ import annotations

import logging

from prefect import flow
from prefect.context import TagsContext
from prefect.runtime import flow_run as this_run

from s55.services.automation import advance as route
from tasks.route import STEPS, release_requests, report_outcome


def _hand_back(flow, flow_run, state) -> None:
    run = (flow_run.parameters or {}).get("run")
    if run:
        release_requests(run, f"the advance flow run ended {state.type.value}: {state.message}")


@flow(name="advance", flow_run_name="advance {ref}", log_prints=True,
      on_failure=[_hand_back], on_crashed=[_hand_back])
def advance(ref: str, at: str | None = None, run: str | None = None) -> dict:
    """Take the review as far as it can go without a person, then say whom it waits for."""
    # The run carries the review's tag; its tasks do not: a tagged task takes a slot of each
    # tag's concurrency limit through the API, two writes per task that queue behind each
    # other on a Prefect server on SQLite (2 s back-offs), and we set no limits on tags
    with TagsContext(current_tags=set()):
        result = route(STEPS, ref, at)
        if run:
            report_outcome(run, result)
    return result


def _hand_back_all(flow, flow_run, state) -> None:
    why = f"the advance-many flow run ended {state.type.value}: {state.message}"
    for claim in (flow_run.parameters or {}).get("claims") or []:
        release_requests(claim["run"], why)  # only requests still running: not those reported


def _batch_name() -> str:
    claims = this_run.parameters.get("claims") or []
    first = claims[0]["ref"] if claims else "nothing"
    return f"advance {len(claims)} reviews from {first}"


@flow(name="advance-many", flow_run_name=_batch_name, log_prints=True,
      on_failure=[_hand_back_all], on_crashed=[_hand_back_all])
def advance_many(claims: list[dict], at: str | None = None) -> dict:
    """Take each claimed review ({"ref", "run"}) as far as it can go, one after another; return
    each review's outcome, or why its route failed (its requests are then tried again)."""
    outcomes: dict[str, dict] = {}
    with TagsContext(current_tags=set()):  # as in `advance`: no tag slots for the tasks
        for claim in claims:
            ref, run = claim["ref"], claim["run"]
            try:
                result = route(STEPS, ref, at)
                report_outcome(run, result)
            except Exception as err:  # noqa: BLE001 - this review waits and is tried again
                why = f"the route of {ref} failed: {type(err).__name__}: {err}"
                logging.getLogger("s55.route").warning(why)
                try:
                    release_requests(run, why)
                except Exception:  # noqa: BLE001 - s55 serve hands it back when the run ends
                    logging.getLogger("s55.route").exception("could not hand back %s", ref)
                outcomes[ref] = {"failed": why}
                continue
            outcomes[ref] = {"stage": result.get("stage", ""),
                             "waiting_for": result.get("waiting_for", "")}
    return outcomes
