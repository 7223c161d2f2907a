"""Tasks of the review route: one side effect each, with retries. They pass references and
plain values, never ORM objects; each builds its own context from the environment."""

from __future__ import annotations

from prefect import task
from prefect.context import TaskRunContext

from s55.services import automation, mailing, publishing, requests
from s55.services.automation import at_time
from s55.services.context import Context


class MailNotDelivered(Exception):
    """Some messages met a temporary failure; raising lets Prefect retry with backoff."""


@task(retries=2, retry_delay_seconds=[1, 5], task_run_name="state of {ref}")
def route_state(ref: str) -> dict:
    """Read where the review stands from our database (the system of record)."""
    return automation.route_state(Context.from_env(), ref)


@task(retries=2, retry_delay_seconds=[2, 10], task_run_name="publish {ref}")
def publish_site(ref: str, at: str | None = None) -> dict | None:
    """Render the signed-off record, write the site's files whole, mark the review published."""
    return publishing.publish_site(Context.from_env(), ref, at=at_time(at))


_SENT_BY_EARLIER_TRIES: dict = {}  # task run id -> lines sent by the tries before this one


@task(retries=3, retry_delay_seconds=[1, 4, 16], task_run_name="deliver mail for {ref}")
def deliver_mail(ref: str, at: str | None = None) -> dict:
    """Send the review's pending messages once each; retry temporary failures with backoff."""
    outcome = mailing.deliver(Context.from_env(), ref, at=at_time(at))
    run = TaskRunContext.get().task_run.id
    outcome["sent"] = _SENT_BY_EARLIER_TRIES.pop(run, []) + outcome["sent"]
    # a 4xx answer is worth another try soon; a server that does not answer is left to the
    # served process's retry of waiting mail, so that it never holds a run (or a person) up
    if outcome["retry"] and not outcome["unreachable"]:
        _SENT_BY_EARLIER_TRIES[run] = outcome["sent"]
        raise MailNotDelivered("; ".join(outcome["retry"]))
    return outcome


@task(retries=2, retry_delay_seconds=[1, 5], task_run_name="close {ref} once the copies are sent")
def finish_copies(ref: str, at: str | None = None) -> bool:
    return publishing.finish_copies(Context.from_env(), ref, at=at_time(at))


@task(retries=3, retry_delay_seconds=[1, 2, 5], task_run_name="report the outcome of run {run}")
def report_outcome(run: str, result: dict) -> int:
    """Write the outcome to the route requests this run served (someone may be waiting)."""
    return requests.finish(Context.from_env(), run, result)


def release_requests(run: str, why: str) -> int:
    """Hand a failed run's requests back; they are tried again after a pause."""
    return requests.fail(Context.from_env(), run, why)


class _TaskSteps:
    """The route's steps as Prefect tasks (see s55.services.automation.advance)."""

    route_state = staticmethod(route_state)
    publish_site = staticmethod(publish_site)
    finish_copies = staticmethod(finish_copies)

    @staticmethod
    def deliver_mail(ref: str, at: str | None) -> tuple[dict | None, str]:
        state = deliver_mail(ref, at, return_state=True)
        if state.is_completed():
            return state.result(), ""
        sent = _SENT_BY_EARLIER_TRIES.pop(state.state_details.task_run_id, [])
        return {"sent": sent, "failed": [], "retry": [state.message or "not delivered"]}, ""


STEPS = _TaskSteps()
