"""Read-only views: list, show, audit, export. Nothing here imports Prefect."""

from __future__ import annotations

import re
from datetime import date

from ..domain import audit as chain
from ..domain import deadlines
from ..domain.workflow import WAITING_FOR, Action, Stage, allowed, check_role, waiting_for
from ..domain.errors import NotFound, said
from ..domain.record import Record
from ..housestyle import format_record
from ..store import repo
from ..store.models import Review
from .context import Context, london, london_date, long_date
from .route import sign_off_blockers


def may_read(ctx: Context, actor: str | None) -> str | None:
    """Check that the actor may read; the office whose reviews they see (None: every office,
    a national reader)."""
    person = ctx.actor(actor)
    check_role(Action.READ, person.role)
    return ctx.scope(person)


def _summary(row: Review, today: date, published_at=None) -> dict:
    """One review's line. Once published, its progress is measured to the day it was published
    (s55(5A) asks only that it was published in time), never to today."""
    last = row.statutory_last_day
    done_on = london_date(published_at) if published_at is not None else None
    return {
        "ref": row.ref,
        "kind": row.kind,
        "force": row.force,
        "title": row.title,
        "stage": row.stage,
        "report_published_on": row.report_published_on.isoformat(),
        "statutory_last_day": last.isoformat() if last else None,
        "chief_officer_due": row.chief_officer_due.isoformat() if row.chief_officer_due else None,
        "current_version": row.current_version,
        "signed_off_version": row.signed_off_version,
        "unanswered_recommendations": row.unanswered_recommendations,
        "progress": deadlines.progress(row.report_published_on, last, today, done_on=done_on),
        "days_left": None if done_on else deadlines.days_left(last, today),
        "published_on": done_on.isoformat() if done_on else None,
        "waiting_for": WAITING_FOR[Stage(row.stage)],
    }


def list_reviews(ctx: Context, *, actor: str | None, stage: str | None = None) -> list[dict]:
    scope = may_read(ctx, actor)
    today = ctx.today()
    with ctx.uow(read=True) as session:
        published = repo.published_on(session, scope)
        return [_summary(row, today, published.get(row.id))
                for row in repo.reviews(session, stage=stage, office=scope)]


def show(ctx: Context, *, actor: str | None, ref: str) -> dict:
    scope = may_read(ctx, actor)
    today = ctx.today()
    with ctx.uow(read=True) as session:
        row = repo.review(session, ref, scope)
        record = repo.current_record(session, row)
        pub = repo.publication(session, row.id)
        out = _summary(row, today, pub.requested_at if pub and pub.published_at else None)
        out["waiting_for"] = waiting_for(Stage(row.stage), released=pub is not None)
        rules = ctx.kind(row.kind)
        out["statutory_rule"] = (
            f"s55(5A): to be published before the end of the {rules.statutory_period_days} "
            f"days beginning with the report's publication on "
            f"{long_date(row.report_published_on)}, so by {long_date(row.statutory_last_day)} "
            f"(publication date + {rules.statutory_period_days - 1} calendar days)"
            if row.statutory_last_day else
            "no statutory deadline for this kind of response or report date")
        out["chief_officer_due_rule"] = repo.due_rule(session, row)
        if row.chief_officer_due and row.stage == Stage.AWAITING_CHIEF_OFFICER:
            out["chief_officer_due_in"] = _due_in(row.chief_officer_due, today, ctx.holidays)
        out["outstanding"] = sign_off_blockers(record, rules.answer_every_recommendation)
        out["recommendations"] = [
            {"number": n, "text": item.text or item.cy_text,  # (an item written in Welsh first)
             "answer": {"kind": str(item.answer.kind), "text": item.answer.text}
             if item.answer else None,
             **({"cy_text": item.cy_text, "cy_answer": item.answer.cy_text if item.answer
                 else None} if record.bilingual else {})}
            for n, item in enumerate(record.recommendations, 1)]
        if record.bilingual:
            out["languages"] = ["en", "cy"]
        out["counts"] = {"recommendations": len(record.recommendations),
                         "causes_of_concern": len(record.causes_of_concern),
                         "areas_for_improvement": len(record.areas_for_improvement),
                         "grades": len(record.grades)}
        out["versions"] = [
            {"number": v.number, "hash": v.hash, "by": v.created_by, "at": london(v.created_at),
             "reason": v.reason} for v in repo.versions(session, row.id)]
        out["messages"] = [
            {"template": m.template, "recipient": m.recipient, "status": m.status,
             "attempts": m.attempts, "last_error": m.last_error,
             "sent_at": london(m.sent_at) if m.sent_at else None}
            for m in repo.outbox(session, review_id=row.id)]
        # what this person may do now, from the one table (a page offers only these)
        acts = allowed(ctx.actor(actor).role, row.stage)
        released = pub is not None and pub.published_at is None
        out["allowed"] = [str(a) for a in acts if not (released and a == Action.PUBLISH)]
        out["publication"] = None if pub is None else {
            "version": pub.version, "requested_by": pub.requested_by,
            "requested_at": london(pub.requested_at),
            "published_at": london(pub.published_at) if pub.published_at else None,
            "progress": pub.progress, "files": pub.files, "late_reason": pub.late_reason,
            "page": str(ctx.site(ctx.office_of(row)) / pub.files["page"]["path"])
            if pub.files else None}
        return out


def _due_in(due: date, today: date, holidays) -> str:
    if due < today:
        return f"overdue by {_working_days(deadlines.working_days_between(due, today, holidays))}"
    return f"due in {_working_days(deadlines.working_days_between(today, due, holidays))}"


def audit_trail(ctx: Context, *, actor: str | None, ref: str) -> list[dict]:
    scope = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        directory = ctx.directory_of(repo.review(session, ref, scope))
        entries = repo.audit_entries(session, ref)
        # a restore from a backup rewound every review's history: each trail says so
        opened = entries[0].seq if entries else 0
        entries = sorted(entries + [e for e in repo.audit_entries(session, "", RESTORED)
                                    if e.seq > opened], key=lambda e: e.seq)
    out = []
    for e in entries:
        person = directory.find(e.actor) or ctx.offices.national.find(e.actor)
        holder = directory.find(e.acting_for) if e.acting_for else None
        who = person.name if person else e.actor
        if holder:
            who += f" for {holder.name} ({holder.title or holder.role})"
        out.append({"seq": e.seq, "at": london(e.at), "actor": e.actor, "who": who,
                    "role": e.role, "acting_for": e.acting_for, "action": e.action,
                    "version": e.version, "details": e.details, "hash": e.hash})
    return out


RESTORED = "restore from backup"


def verify_audit(ctx: Context, *, actor: str | None) -> chain.Verdict:
    may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        head_seq, head_hash = repo.audit_head(session)
        return chain.verify(repo.audit_entries(session), head_seq=head_seq, head_hash=head_hash)


def export(ctx: Context, *, actor: str | None, ref: str) -> str:
    scope = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        row = repo.review(session, ref, scope)
        return format_record(repo.current_record(session, row), version=row.current_version)


def _working_days(n: int) -> str:
    return f"{n} working day" if n == 1 else f"{n} working days"


def version_text(ctx: Context, *, actor: str | None, ref: str, version: str) -> str:
    """One version of the record in the house style (for reading and comparing versions)."""
    scope = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        row = repo.review(session, ref, scope)
        match = [v for v in repo.versions(session, row.id) if v.hash.startswith(version)]
        if not version or not match:
            if re.fullmatch(r"[0-9a-f]{1,64}", version):
                raise NotFound(said("%(ref)s has no version %(version)s", ref=ref,
                                    version=version[:12]))
            raise NotFound(said("%(ref)s has no version like that", ref=ref))  # never echoed
        return format_record(Record.from_canonical(match[-1].content), version=match[-1].hash)


def diff(ctx: Context, *, actor: str | None, ref: str, old: str, new: str) -> list[tuple[str, str]]:
    """A readable line diff between two versions: (' ', '-', '+') and the line."""
    import difflib

    a = version_text(ctx, actor=actor, ref=ref, version=old).splitlines()
    b = version_text(ctx, actor=actor, ref=ref, version=new).splitlines()
    out = []
    for line in difflib.ndiff(a, b):
        if line[:1] in "+- " and not line.startswith("? "):
            out.append((line[0], line[2:]))
    # keep the changes and two lines either side of each
    keep = {i + d for i, (kind, _) in enumerate(out) if kind != " " for d in range(-2, 3)}
    return [line if i in keep else ("…", "") for i, line in enumerate(out)
            if i in keep or (i - 1 in keep)]


def record(ctx: Context, *, actor: str | None, ref: str):
    scope = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        return repo.current_record(session, repo.review(session, ref, scope))
