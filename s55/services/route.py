"""The human decisions that move a review along its route."""

from __future__ import annotations

from datetime import date

from ..domain import deadlines
from ..domain.errors import (
    Day, DueRule, InvalidInput, Listed, OneLanguageOnly, UnansweredRecommendations, said,
)
from ..domain.record import Record
from ..domain.workflow import Action, Stage
from ..store import repo
from ..store.models import Review
from .context import Context, long_date
from .deciding import deciding


def chief_officer_due(ctx: Context, row: Review, due: date | None, today: date) -> tuple[date, str]:
    """The chief officer's date and how it was worked out; s55(4) lets the body choose it,
    and it must fall before the statutory last day."""
    working_days = ctx.kind(row.kind).chief_officer_due_working_days
    how = f"given by the OPCC on {long_date(today)}"
    if due is None:
        due = deadlines.add_working_days(today, working_days, ctx.holidays)
        how = (f"{working_days} England and Wales working days after the invitation on "
               f"{long_date(today)}, skipping weekends and bank holidays")
    if due <= today:
        raise InvalidInput("due", said("must be after today (%(today)s), not %(due)s",
                                       today=Day(today, long_date(today)),
                                       due=Day(due, long_date(due))))
    last = row.statutory_last_day
    if last is not None and today >= last:
        # nothing can fall before a last day that has passed; the response is still owed
        return due, f"{how}; the statutory last day, {long_date(last)}, has already passed"
    if last is not None and due >= last:
        raise InvalidInput("due", said(
            "%(due)s (%(how)s) does not fall before the statutory last day, %(last)s; give an "
            "earlier date", due=Day(due, long_date(due)), how=DueRule(how),
            last=Day(last, long_date(last))))
    return due, how


def invite_chief_officer(ctx: Context, *, actor: str | None, ref: str,
                         due: date | None = None) -> date:
    """s55(4): invite the chief officer to comment "before such date as it may specify"."""
    with deciding(ctx, ref, actor, Action.INVITE_CHIEF_OFFICER) as d:
        d.review.chief_officer_due, how = chief_officer_due(ctx, d.review, due, ctx.today())
        d.details.update(chief_officer_due=d.review.chief_officer_due.isoformat(), worked_out=how)
        return d.review.chief_officer_due


def move_chief_officer_due(ctx: Context, *, actor: str | None, ref: str, due: date,
                           reason: str = "") -> date:
    with deciding(ctx, ref, actor, Action.MOVE_CHIEF_OFFICER_DUE) as d:
        before = d.review.chief_officer_due
        d.review.chief_officer_due, how = chief_officer_due(ctx, d.review, due, ctx.today())
        d.details.update(chief_officer_due=due.isoformat(), was=before and before.isoformat(),
                         reason=reason, worked_out=how)
        return due


def request_sign_off(ctx: Context, *, actor: str | None, ref: str) -> list[str]:
    """Put the current version to the local policing body; returns what still blocks sign-off."""
    with deciding(ctx, ref, actor, Action.REQUEST_SIGN_OFF) as d:
        # once sign-off is asked for, only the answers can still be written: a text in one
        # language only, but for an answer, is written first (or sign-off could never come)
        drafting_only = d.record().language_gaps(answers=False)
        if drafting_only:
            raise OneLanguageOnly(said(
                "refused: sign-off is asked for once every text is in Welsh and English, but "
                "for the answers (which can still be written while sign-off waits); write the "
                "other language of these first:\n  %(gaps)s", gaps=Listed(drafting_only, "\n  ")))
        blockers = sign_off_blockers(d.record(), ctx.kind(d.review.kind).answer_every_recommendation)
        d.details["outstanding"] = blockers
        return blockers


def sign_off(ctx: Context, *, actor: str | None, ref: str, version: str) -> str:
    """Sign off one exact version; refused if it is stale or any recommendation lacks its answer."""
    if not version:
        raise InvalidInput("version", said("sign-off must name the version hash being signed "
                                           "off"))
    with deciding(ctx, ref, actor, Action.SIGN_OFF, seen_version=version) as d:
        refuse_incomplete(d.record(), ctx.kind(d.review.kind).answer_every_recommendation,
                          "sign-off")
        d.review.signed_off_version = d.version
        return d.version


def sign_off_blockers(record: Record, answer_every_recommendation: bool) -> list[str]:
    """What stops sign-off: an unanswered recommendation (s55(5B)), and on a bilingual record
    any text written in one language only."""
    return _unanswered(record, answer_every_recommendation) + [
        said("in one language only: %(gap)s", gap=gap) for gap in record.language_gaps()]


def _unanswered(record: Record, answer_every_recommendation: bool) -> list[str]:
    if not answer_every_recommendation:
        return []
    blockers = [said("recommendation %(n)s has no answer: %(text)s", n=n,
                     text=(item.text or item.cy_text)[:90])
                for n, item in record.unanswered_recommendations()]
    if record.causes_of_concern and not record.recommendations:
        blockers.append(said(
            "%(n)s causes of concern but no recommendations recorded; a cause of concern always "
            "carries recommendations: record them (s55 add-item --kind recommendations) so that "
            "each can be answered", n=len(record.causes_of_concern)))
    return blockers


def refuse_incomplete(record: Record, answer_every_recommendation: bool, what: str) -> None:
    """Refuse `what` (sign-off, publication) while a recommendation is unanswered or, on a
    bilingual record, a text is in one language only; the message lists every one."""
    unanswered = _unanswered(record, answer_every_recommendation)
    gaps = record.language_gaps()
    if unanswered:
        raise UnansweredRecommendations(said(
            "refused: s55(5B) requires an answer to every recommendation before %(what)s:\n  "
            "%(items)s", what=said(what), items=Listed(
                unanswered + [said("in one language only: %(gap)s", gap=g) for g in gaps],
                "\n  ")))
    if gaps:
        raise OneLanguageOnly(said(
            "refused: this response is published in Welsh and English, so %(what)s waits for "
            "both; %(count)s in one language only (write the other language first; once "
            "sign-off is asked for, an answer can still be written, any other text after the "
            "review is sent back to drafting):\n  %(gaps)s", what=said(what),
            count=said("1 text is") if len(gaps) == 1 else said("%(n)s texts are", n=len(gaps)),
            gaps=Listed(gaps, "\n  ")))


def send_back(ctx: Context, *, actor: str | None, ref: str, to: str, reason: str) -> Stage:
    """Send a review back to the chief officer or to drafting, with a reason."""
    actions = {"chief-officer": Action.SEND_BACK_TO_CHIEF_OFFICER,
               "drafting": Action.SEND_BACK_TO_DRAFTING}
    if to not in actions:
        raise InvalidInput("to", said("must be chief-officer or drafting"))
    if not reason.strip():
        raise InvalidInput("reason", said("a send-back must say why"))
    with deciding(ctx, ref, actor, actions[to]) as d:
        d.details["reason"] = reason
        d.review.signed_off_version = None
        cancel_release(d)
        if d.stage == Stage.DRAFT:
            d.review.chief_officer_due = None
        return d.stage


def cancel_release(d) -> None:
    """A release for publication that the route has not carried out yet ends with the sign-off
    it rested on: after a send-back or a withdrawal, only a new decision to publish publishes."""
    pub = repo.publication(d.session, d.review.id)
    if pub is not None and pub.published_at is None:
        d.details["release_cancelled"] = {"version": pub.version, "by": pub.requested_by,
                                          "at": pub.requested_at.isoformat()}
        d.session.delete(pub)


def withdraw(ctx: Context, *, actor: str | None, ref: str, reason: str) -> Stage:
    """Withdraw a review (e.g. opened in error, or superseded by a force report)."""
    if not reason.strip():
        raise InvalidInput("reason", said("a withdrawal must say why"))
    with deciding(ctx, ref, actor, Action.WITHDRAW) as d:
        d.details["reason"] = reason
        cancel_release(d)
        return d.stage
