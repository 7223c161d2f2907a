"""The frame every human decision runs in: who, which review, may they, on which version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..domain.errors import (
    InvalidInput, Listed, NotPermitted, S55Error, StaleVersion, UnansweredRecommendations,
    WrongStage, said,
)
from ..domain.people import Person
from ..domain.record import Record
from ..domain.workflow import Action, Stage, transition
from ..store import repo
from ..store.models import Review
from .context import Context, london
from . import requests
from .mailing import enqueue


@dataclass
class Decision:
    session: Session
    review: Review
    person: Person
    holder: Person
    stage: Stage
    at: datetime
    details: dict = field(default_factory=dict)
    version: str = ""  # the version the decision concerns; default: the current one
    before: Record | None = field(default=None, repr=False)  # read once, by record()
    route: bool = True  # a request for the route goes with it (not for a follow-up action)

    def record(self) -> Record:
        """The review's current record, as the decision found it."""
        if self.before is None:
            self.before = repo.current_record(self.session, self.review)
        return self.before

    def save(self, record: Record, reason: str, confirmed: set[str] = frozenset()
             ) -> str | None:
        """Store a changed record as a new version; None when the content is unchanged. On a
        bilingual record a text changed in one language only leaves the other's marked stale
        (a gap at sign-off) unless given in this decision too (`confirmed`)."""
        if record.bilingual:
            record = record.with_stale_marked(self.record(), confirmed)
        new = repo.add_version(self.session, self.review, record, at=self.at,
                               by=self.person.email, reason=reason)
        if new:
            self.details["new_version"] = new
        return new


def audit(session: Session, *, at: datetime, person: Person, holder: Person, action: str,
          ref: str, version: str, details: dict) -> int:
    return repo.append_audit(
        session, at=at.isoformat(), actor=person.email, role=str(person.role),
        acting_for=holder.email if holder.email != person.email else "", action=action,
        ref=ref, version=version, details=details).seq


@contextmanager
def deciding(ctx: Context, ref: str, actor: str | None, action: Action, *,
             seen_version: str | None = None) -> Iterator[Decision]:
    """Check the actor's role and the stage, run the body, then audit and commit it all at once.

    A refusal rolls the decision back and is itself recorded, so the trail shows who tried
    what (a sign-off of a stale version, an action outside someone's role).
    """
    try:
        person = ctx.actor(actor)
    except NotPermitted as refusal:
        record_refusal(ctx, ref, Person(actor or "(nobody)", "", "unknown"), None, action, refusal)
        raise
    holder = ctx.offices.directory(person).holder_for(person)
    try:
        with _decision(ctx, ref, person, holder, action, seen_version) as decision:
            yield decision
    except REFUSALS as refusal:
        record_refusal(ctx, ref, person, holder, action, refusal)
        raise


REFUSALS = (NotPermitted, WrongStage, StaleVersion, UnansweredRecommendations, InvalidInput)


def record_refusal(ctx: Context, ref: str, person: Person, holder: Person | None, action: Action,
                   refusal: S55Error) -> None:
    with ctx.uow() as session:
        row = repo.find_review(session, ref)
        if row is None or (person.office and row.office != person.office):
            return  # nothing is said of another office's review, not even on the trail
        audit(session, at=ctx.now(), person=person, holder=holder or person,
              action=f"refused: {action}", ref=ref, version=row.current_version,
              details={"reason": str(refusal)})


@contextmanager
def _decision(ctx: Context, ref: str, person: Person, holder: Person, action: Action,
              seen_version: str | None) -> Iterator[Decision]:
    with ctx.uow() as session:
        row = repo.review(session, ref, ctx.scope(person))
        stage = transition(action, person.role, Stage(row.stage))
        seen = check_current(session, row, seen_version) if seen_version else row.current_version
        decision = Decision(session, row, person, holder, stage, ctx.now(), version=seen)
        yield decision
        moved = str(decision.stage) != row.stage
        row.stage = str(decision.stage)
        row.updated_at = decision.at
        seq = audit(session, at=decision.at, person=person, holder=holder, action=str(action),
                    ref=ref, version=decision.version, details=decision.details)
        if moved:
            row.stage_seq = seq
        # the transactional outbox: what this decision calls for is written with it, or not at all
        enqueue(ctx, session, row, at=decision.at, moved=moved)
        # and so is the request for the route that delivers it (DESIGN.md: decisions are
        # durable requests; the served process runs the route)
        if decision.route:
            ctx.last_request = requests.request(session, row.id, cause=str(action),
                                                by=person.email, at=decision.at).id


def check_current(session: Session, row: Review, given: str) -> str:
    """The full hash of `given` (a hash or a prefix of 8 or more), if it is the current version."""
    given = given.strip().lower()
    if len(given) < 8 or any(c not in "0123456789abcdef" for c in given):
        raise InvalidInput("version", said("must be a version hash (at least its first 8 "
                                           "characters)"))
    if row.current_version.startswith(given):
        return row.current_version
    later = [v for v in repo.versions(session, row.id)]
    seen = next((v.number for v in later if v.hash.startswith(given)), None)
    if seen is None:
        raise InvalidInput("version", said("%(given)s is not a version of %(ref)s",
                                           given=given, ref=row.ref))
    changes = [said("version %(n)s by %(who)s on %(when)s: %(why)s", n=v.number, who=v.created_by,
                    when=london(v.created_at), why=v.reason) for v in later if v.number > seen]
    raise StaleVersion(said(
        "refused: version %(given)s of %(ref)s is no longer current; the current version is "
        "%(current)s. Changed since: %(changes)s", given=given[:12], ref=row.ref,
        current=row.current_version[:12],
        changes=Listed(changes, "; ") if changes else said("reverted to an earlier text")))
