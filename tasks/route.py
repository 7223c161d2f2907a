"""Tasks of the review route: one side effect each, with retries. They pass references and
plain values, never ORM objects; each builds its own context from the environment."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from s55.services import automation, mailing, publishing
from s55.services.context import Context


class MailNotDelivered(Exception):
    """Some messages met a temporary failure; raising lets Prefect retry with backoff."""


def _at(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at) if at else None


@task(retries=2, retry_delay_seconds=[1, 5], task_run_name="state of {ref}")
def route_state(ref: str) -> dict:
    """Read where the review stands from our database (the system of record)."""
    return automation.route_state(Context.from_env(), ref)


@task(retries=2, retry_delay_seconds=[2, 10], task_run_name="publish {ref}")
def publish_site(ref: str, at: str | None = None) -> dict | None:
    """Render the signed-off record, write the site's files whole, mark the review published."""
    return publishing.publish_site(Context.from_env(), ref, at=_at(at))


@task(retries=3, retry_delay_seconds=[1, 4, 16], task_run_name="deliver mail for {ref}")
def deliver_mail(ref: str, at: str | None = None) -> dict:
    """Send the review's pending messages once each; retry temporary failures with backoff."""
    outcome = mailing.deliver(Context.from_env(), ref, at=_at(at))
    if outcome["retry"]:
        raise MailNotDelivered("; ".join(outcome["retry"]))
    return outcome


@task(retries=2, retry_delay_seconds=[1, 5], task_run_name="close {ref} once the copies are sent")
def finish_copies(ref: str, at: str | None = None) -> bool:
    return publishing.finish_copies(Context.from_env(), ref, at=_at(at))
