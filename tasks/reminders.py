"""Tasks of the reminder sweep."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task

from s55.services import anchoring, cycles, reminding
from s55.services.context import Context
from s55.store import repo


@task(retries=2, retry_delay_seconds=[2, 10], task_run_name="plan reminders")
def plan_reminders(today: str | None = None, office: str | None = None) -> dict:
    """Write today's reminders to the outbox, once each; report what was skipped and why."""
    return reminding.sweep(Context.from_env(), today=date.fromisoformat(today) if today else None,
                           office=office)


@task(retries=2, retry_delay_seconds=[2, 10], task_run_name="review cycles")
def step_cycles(today: str | None = None, office: str | None = None) -> dict:
    """Each open review cycle's step today: a reminder, an escalation, or its close (each once).
    An office whose follow-up config cannot be read is said (and logged as an error); the
    sweep's other steps, the mail and the anchors, go on."""
    report = cycles.sweep(Context.from_env(), today=date.fromisoformat(today) if today else None,
                          office=office)
    for line in report.get("refused", []):
        get_run_logger().error("review cycles not run: %s", line)
    return report


@task(task_run_name="reviews with mail to send")
def refs_with_unsent_mail(office: str | None = None) -> list[str]:
    ctx = Context.from_env()
    with ctx.uow() as session:
        return repo.refs_with_unsent_mail(session, office)


@task(task_run_name="anchor the audit trail")
def anchor_head(office: str | None = None) -> list[str]:
    """The chain's head, written to each office's public anchors file (or the one office's)."""
    made = anchoring.record_head(Context.from_env(), why="daily sweep", office=office)
    return [f"{office_id}: entry {a.seq} ({a.hash[:12]})" for office_id, a in made]
