"""The daily reminder sweep (deployed with a cron in config/prefect.yaml, Europe/London)."""

from __future__ import annotations

from prefect import flow

from tasks.reminders import (
    anchor_head, plan_reminders, refs_with_unsent_mail, step_cycles,
)
from tasks.route import deliver_mail


@flow(name="reminder_sweep", log_prints=True)
def reminder_sweep(today: str | None = None, office: str | None = None) -> dict:
    """Plan today's reminders, deliver every review's waiting mail (each message once), then
    anchor the audit trail's head on the site: of every office, or of one (`office`, a sweep
    run by hand by a person of it)."""
    report = plan_reminders(today, office)
    report["cycles"] = step_cycles(today, office)  # the follow-up's review cycles
    report["sent"], report["not_sent"] = [], []
    for ref in [*refs_with_unsent_mail(office), None]:  # None: mail about no one review
        state = deliver_mail(ref, None, return_state=True)
        if state.is_completed():
            outcome = state.result()
            report["sent"] += [f"{ref or '(no review)'}: {line}" for line in outcome["sent"]]
            report["not_sent"] += [f"{ref or '(no review)'}: {line}"
                                   for line in outcome["failed"]]
        else:
            report["not_sent"].append(f"{ref or '(no review)'}: {state.message}")
    # last, so that the anchor covers what this sweep sent: each day's head, outside the
    # database (a quiet day's too: it is the trail that is anchored, not the reminders)
    report["anchored"] = anchor_head(office)
    return report
