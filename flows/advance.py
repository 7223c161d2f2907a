"""The review route: one short, re-entrant flow that does what is due and returns at a human wait.

It reads the review's stage from our database, takes every automated step that is due
and not yet in the ledger, and returns a state naming what it waits for. Running it
again on any review changes nothing (DESIGN.md, The route).
"""

from __future__ import annotations

from prefect import flow

from tasks.route import notify, route_state


@flow(name="advance", flow_run_name="advance {ref}", log_prints=True)
def advance(ref: str, at: str | None = None) -> dict:
    """Take the review as far as it can go without a person, then say whom it waits for."""
    state = route_state(ref)
    done = []
    for notice in state["notices"]:
        if notify(ref, state["version"], state["round"], notice["purpose"], notice["recipient"],
                  notice["per_version"], state["details"], at):
            on = f" (version {state['version'][:12]})" if notice["per_version"] else ""
            done.append(f"{notice['purpose']}: {notice['recipient']}{on}")
    return {"ref": ref, "stage": state["stage"], "waiting_for": state["waiting_for"], "done": done}
