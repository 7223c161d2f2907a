"""The review route: one short, re-entrant flow that does what is due and returns at a human wait.

It reads the review's stage from our database, publishes when a signed-off review has
been released for publication, delivers whatever mail is waiting (each message once),
closes the review when the statutory copies have gone, and returns a state naming what
it waits for. Running it again on any review changes nothing (DESIGN.md, The route).
The script itself is `s55.services.automation.advance`; here each step is a Prefect task.
When the served process claimed route requests for this run (`run`), the outcome is
written back to them for whoever waits; a failed or crashed run hands them back.
"""

from __future__ import annotations

from prefect import flow
from prefect.context import TagsContext

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
