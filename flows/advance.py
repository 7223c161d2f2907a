"""The review route: one short, re-entrant flow that does what is due and returns at a human wait.

It reads the review's stage from our database, publishes when a signed-off review has
been released for publication, delivers whatever mail is waiting (each message once),
closes the review when the statutory copies have gone, and returns a state naming what
it waits for. Running it again on any review changes nothing (DESIGN.md, The route).
"""

from __future__ import annotations

from prefect import flow

from tasks.route import deliver_mail, finish_copies, publish_site, route_state


@flow(name="advance", flow_run_name="advance {ref}", log_prints=True)
def advance(ref: str, at: str | None = None) -> dict:
    """Take the review as far as it can go without a person, then say whom it waits for."""
    done: list[str] = []
    state = route_state(ref)
    if state["publish_due"]:
        files = publish_site(ref, at)
        if files:
            done.append(f"published: {files['page']['path']}")
    if state["unsent"] or state["publish_due"]:
        mail = deliver_mail(ref, at, return_state=True)
        if mail.is_completed():
            outcome = mail.result()
            done += [f"sent {line}" for line in outcome["sent"]]
            done += [f"FAILED {line} (kept; retried by the next run)" for line in outcome["failed"]]
        else:
            done.append(f"mail not yet delivered, kept for the next run: {mail.message}")
    if finish_copies(ref, at):
        done.append("statutory copies sent to HMICFRS and the Home Office")
    state = route_state(ref)
    return {"ref": ref, "stage": state["stage"], "waiting_for": state["waiting_for"],
            "done": done, "unsent": state["unsent"]}
