"""The follow-up of published answers (s55/domain/actions.py): actions opened once a review's
copies have gone, assigned and updated through the same role table and audit trail as the
route, listed with the mark the office's rule gives them today."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.actions import (
    OPEN, RagRule, Status, action_name, is_update, order, overdue, parse_name, rag,
    status as status_of,
)
from ..domain.errors import InvalidInput, NotFound, NotPermitted, StaleVersion
from ..domain.record import ITEM_LISTS, ITEM_NAMES, Record
from ..domain.workflow import Action, Role
from ..render.sanitise import kept_text
from ..store import repo
from ..store.models import ActionUpdate, FollowUpAction, Review
from .context import Context, london_date
from .deciding import deciding
from .reading import may_read

MAX_NOTE = 20_000  # characters of one update's note or evidence
# who may own an action: a person of the office or of the chief officer's side
OWNER_ROLES = (Role.OPCC_OFFICER, Role.CHIEF_OFFICER, Role.LOCAL_POLICING_BODY)


def open_for_review(session: Session, row: Review, record: Record, at: datetime) -> int:
    """The review's actions, one per item of its published record, each starting from the
    published answer; those already open are left as they are. Returns how many were opened."""
    have = {(a.kind, a.number) for a in session.scalars(
        select(FollowUpAction).where(FollowUpAction.review_id == row.id))}
    opened = 0
    for kind in ITEM_LISTS:
        for number, item in enumerate(getattr(record, kind), 1):
            if (kind, number) in have:
                continue
            session.add(FollowUpAction(
                review_id=row.id, office=row.office, kind=kind, number=number,
                text=item.text or item.cy_text, area=item.area or item.cy_area,
                answer_kind=str(item.answer.kind) if item.answer else "",
                answer=(item.answer.text or item.answer.cy_text) if item.answer else "",
                text_cy=item.cy_text, area_cy=item.cy_area,
                answer_cy=item.answer.cy_text if item.answer else "",
                owner="", target_on=None, status=str(Status.NOT_STARTED), reason="",
                last_update_on=None, closed_on=None, version=1, opened_at=at))
            opened += 1
    session.flush()
    return opened


def open_actions(ctx: Context, *, actor: str | None, ref: str) -> int:
    """Open the follow-up of a review whose copies went before s55 opened actions itself (the
    route opens them with the copies); running it again opens none twice."""
    with deciding(ctx, ref, actor, Action.OPEN_ACTIONS) as d:
        d.route = False
        opened = open_for_review(d.session, d.review, d.record(), d.at)
        d.details["opened"] = opened
        return opened


def rule_of(ctx: Context, office_id: str) -> RagRule:
    return RagRule.load(ctx.config_file(ctx.offices.get(office_id), "actions.yaml"))


def listing(ctx: Context, *, actor: str | None, report: str | None = None,
            owner: str | None = None, overdue_only: bool = False) -> list[dict]:
    """The actions the actor may read (their office's; every office's for a national reader),
    each with its mark today; overdue first, then by report and item."""
    office = may_read(ctx, actor)
    today = ctx.today()
    with ctx.uow(read=True) as session:
        query = select(FollowUpAction, Review.ref).join(Review,
                                                        Review.id == FollowUpAction.review_id)
        if office is not None:
            query = query.where(FollowUpAction.office == office)
        if report is not None:
            query = query.where(Review.id == repo.review(session, report, office).id)
        if owner is not None:
            query = query.where(FollowUpAction.owner == owner.strip().casefold())
        rows = session.execute(query).all()
    rules: dict[str, RagRule] = {}
    out = []
    for action, ref in rows:
        if action.office not in rules:
            rules[action.office] = rule_of(ctx, action.office)
        shown = _shown(action, ref, today, rules[action.office])
        if overdue_only and not shown["overdue"]:
            continue
        out.append(shown)
    out.sort(key=lambda a: (not a["overdue"], *order(a["ref"], a["kind"], a["number"])))
    return out


def _shown(action: FollowUpAction, ref: str, today: date, rule: RagRule) -> dict:
    state = Status(action.status)
    return {
        "action": action_name(ref, action.kind, action.number), "ref": ref,
        "office": action.office, "kind": action.kind, "number": action.number,
        "item": f"{ITEM_NAMES[action.kind]} {action.number}", "text": action.text,
        "area": action.area, "answer_kind": action.answer_kind, "answer": action.answer,
        "text_cy": action.text_cy, "area_cy": action.area_cy, "answer_cy": action.answer_cy,
        "owner": action.owner, "target": action.target_on.isoformat() if action.target_on
        else None, "status": str(state), "reason": action.reason,
        "rag": rag(state, action.target_on, action.last_update_on, today, rule),
        "overdue": overdue(state, action.target_on, today),
        "days_overdue": (today - action.target_on).days
        if overdue(state, action.target_on, today) else 0,
        "last_update": action.last_update_on.isoformat() if action.last_update_on else None,
        "version": action.version}


def updates(ctx: Context, *, actor: str | None, name: str) -> list[dict]:
    """An action's dated updates, oldest first."""
    office = may_read(ctx, actor)
    ref, kind, number = parse_name(name)
    with ctx.uow(read=True) as session:
        action = _action(session, ref, kind, number, office)
        return [{"version": u.version, "at": u.at.isoformat(), "by": u.by,
                 "changes": u.changes, "note": u.note, "evidence": u.evidence}
                for u in session.scalars(select(ActionUpdate).where(
                    ActionUpdate.action_id == action.id).order_by(ActionUpdate.id))]


def latest_notes(ctx: Context, *, actor: str | None, owner: str | None = None,
                 report: str | None = None) -> dict[str, dict]:
    """The newest dated update that says what was done, of each action (an owner's, one
    report's, or every one the actor reads), by the action's name: what an owner reads before
    writing the next one, and what a plan shows was last reported."""
    office = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        query = select(ActionUpdate, FollowUpAction, Review.ref).join(
            FollowUpAction, FollowUpAction.id == ActionUpdate.action_id).join(
            Review, Review.id == FollowUpAction.review_id).where(
            (ActionUpdate.note != "") | (ActionUpdate.evidence != "")).order_by(ActionUpdate.id)
        if owner is not None:
            query = query.where(FollowUpAction.owner == owner.strip().casefold())
        if report is not None:
            query = query.where(Review.id == repo.review(session, report, office).id)
        if office is not None:
            query = query.where(FollowUpAction.office == office)
        return {action_name(ref, a.kind, a.number): {
            "version": u.version, "at": u.at.isoformat(), "by": u.by, "changes": u.changes,
            "note": u.note, "evidence": u.evidence} for u, a, ref in session.execute(query)}


def _action(session: Session, ref: str, kind: str, number: int,
            office: str | None) -> FollowUpAction:
    row = repo.review(session, ref, office)
    action = session.scalar(select(FollowUpAction).where(
        FollowUpAction.review_id == row.id, FollowUpAction.kind == kind,
        FollowUpAction.number == number))
    if action is None:
        raise NotFound(f"{ref} has no {ITEM_NAMES[kind]} {number} to follow up")
    return action


def assign(ctx: Context, *, actor: str | None, name: str, owner: str | None = None,
           target: date | None = None, note: str = "", seen_version: int | None = None) -> int:
    """Give an action its owner (a person of the office or of the chief officer's side) and its
    target date; an OPCC officer's decision. Returns the action's new version."""
    ref, kind, number = parse_name(name)
    note = _text(note, "note")
    with deciding(ctx, ref, actor, Action.ASSIGN_ACTION) as d:  # the role first
        d.route = False
        if owner is None and target is None:
            raise InvalidInput("owner", "give the owner (--owner EMAIL), the target date "
                               "(--target DATE), or both")
        action = _action(d.session, ref, kind, number, d.review.office)
        _check_version(action, seen_version, name)
        changes = {}
        if owner is not None:
            person = ctx.directory_of(d.review).find(owner.strip())
            if person is None:
                raise InvalidInput("owner", f"{owner.strip()[:320]} is not a person of the office "
                                   "or of the chief officer's side (the office's list of "
                                   "people); an action's owner answers for it in review cycles")
            if person.role not in OWNER_ROLES:
                raise InvalidInput("owner", f"{person.email} is the office's {person.role}; an "
                                   "action's owner is an OPCC officer, of the chief officer's "
                                   "side, or the local policing body, who answers for it in "
                                   "review cycles")
            changes["owner"] = [action.owner, person.email.casefold()]
        if target is not None:
            if target < london_date(action.opened_at):
                raise InvalidInput("target", f"{target.isoformat()} is before the action was "
                                   f"opened ({london_date(action.opened_at).isoformat()})")
            changes["target"] = [action.target_on.isoformat() if action.target_on else None,
                                 target.isoformat()]
        return _change(d, action, name, changes, note=note, evidence="")


def update(ctx: Context, *, actor: str | None, name: str, status: str | None = None,
           note: str = "", evidence: str = "", reason: str = "",
           seen_version: int | None = None) -> int:
    """A dated update of an action by its owner or the office: what was done (a note), the
    evidence, and a new status if it has one. Closing it for the inspectorate is the office's;
    'not accepted' needs its reason. Returns the action's new version."""
    ref, kind, number = parse_name(name)
    note, evidence, reason = (_text(note, "note"), _text(evidence, "evidence"),
                              _text(reason, "reason"))
    new = status_of(status) if status else None
    if not note and new is None:
        raise InvalidInput("note", "say what was done (an update is dated and kept), or give "
                           "a new status")
    if new == Status.NOT_ACCEPTED and not reason:
        raise InvalidInput("reason", "an action not accepted says why (--reason)")
    with deciding(ctx, ref, actor, Action.UPDATE_ACTION) as d:
        d.route = False
        action = _action(d.session, ref, kind, number, d.review.office)
        _check_version(action, seen_version, name)
        office_side = d.person.role == Role.OPCC_OFFICER
        if not office_side and action.owner != d.person.email.casefold():
            raise NotPermitted(f"refused: {name} is {action.owner or 'not yet given an owner'}'s "
                               "to update; only its owner or an OPCC officer may")
        if new == Status.CLOSED and not office_side:
            raise NotPermitted("refused: only the office (an OPCC officer) records that the "
                               "inspectorate closed an action")
        changes = {}
        if new is not None and new != Status(action.status):
            changes["status"] = [action.status, str(new)]
        if reason and reason != action.reason:
            changes["reason"] = [action.reason, reason]
        return _change(d, action, name, changes, note=note, evidence=evidence)


def _text(value: str, field: str) -> str:
    value = kept_text(value or "")
    if len(value) > MAX_NOTE:
        raise InvalidInput(field, f"is {len(value)} characters long; the most is {MAX_NOTE}")
    return value


def _check_version(action: FollowUpAction, seen: int | None, name: str) -> None:
    if seen is not None and seen != action.version:
        raise StaleVersion(f"refused: {name} is at version {action.version}, not {seen}: it "
                           "changed since you read it; read it again (`s55 actions --report "
                           f"{name.rpartition('/')[0]}`) and decide again")


def _change(d, action: FollowUpAction, name: str, changes: dict, *, note: str,
            evidence: str) -> int:
    """Apply the changes, keep the dated update, and say it on the audit trail."""
    if not changes and not note:
        raise InvalidInput("action", f"nothing to change: {name} already says that")
    for field, (_before, after) in changes.items():
        if field == "owner":
            action.owner = after
        elif field == "target":
            action.target_on = date.fromisoformat(after)
        elif field == "status":
            action.status = after
            done = Status(after) not in OPEN
            action.closed_on = london_date(d.at) if done else None
        elif field == "reason":
            action.reason = after
    action.version += 1
    if is_update(changes):  # the office giving it an owner or a date is not an update
        action.last_update_on = london_date(d.at)
    d.session.add(ActionUpdate(action_id=action.id, version=action.version, at=d.at,
                               by=d.person.email, changes=changes, note=note,
                               evidence=evidence))
    d.details.update(action=name, action_version=action.version, changes=changes)
    if note:
        d.details["note"] = note
    if evidence:
        d.details["evidence"] = evidence
    return action.version
