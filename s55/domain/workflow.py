"""Stages, roles and the one table that says who may do what, when."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import Listed, NotPermitted, WrongStage, said


class Stage(StrEnum):
    DRAFT = "draft"
    AWAITING_CHIEF_OFFICER = "awaiting chief officer"
    AWAITING_LOCAL_POLICING_BODY = "awaiting local policing body"
    AWAITING_SIGN_OFF = "awaiting sign-off"
    SIGNED_OFF = "signed off"
    PUBLISHED = "published"
    COPIES_SENT = "copies sent"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    OPCC_OFFICER = "opcc officer"
    # s55(4): the chief officer of police (Chief Constable; Commissioner in London)
    CHIEF_OFFICER = "chief officer"
    # the respondent: PCC, PFCC, Mayor, Deputy Mayor for Policing and Crime, ...
    LOCAL_POLICING_BODY = "local policing body"
    AUDITOR = "auditor"
    # reads every office's reviews on a service of many offices, and opens a national
    # thematic report's reviews in each force's office; decides nothing
    NATIONAL = "national"
    # runs a service of many offices: upgrades, backs up and restores its one database; reads
    # no review and decides nothing (listed in national.yaml)
    OPERATOR = "service operator"


class Action(StrEnum):
    OPEN = "open review"
    # one review per force of a national thematic report, each in its force's office
    OPEN_THEMATIC = "open a national thematic report's reviews"
    EDIT = "edit content"
    INVITE_CHIEF_OFFICER = "invite chief officer"
    MOVE_CHIEF_OFFICER_DUE = "move chief officer's due date"
    CHIEF_OFFICER_COMMENTS = "submit chief officer's comments"
    LOCAL_POLICING_BODY_COMMENTS = "submit local policing body's comments"
    ANSWER_RECOMMENDATION = "answer recommendation"
    REQUEST_SIGN_OFF = "request sign-off"
    SIGN_OFF = "sign off"
    SEND_BACK_TO_CHIEF_OFFICER = "send back to chief officer"
    SEND_BACK_TO_DRAFTING = "send back to drafting"
    WITHDRAW = "withdraw"
    PUBLISH = "publish"
    RUN_REMINDERS = "run the reminder sweep"
    READ = "read"
    # the database itself, not a review
    UPGRADE_DATABASE = "upgrade the database's schema"
    BACK_UP_DATABASE = "back up the database"
    RESTORE_DATABASE = "restore the database from a backup"
    # taken by the route (automated), never by a person
    RECORD_PUBLICATION = "record the publication"
    RECORD_COPIES_SENT = "record the copies sent"
    # after publication: each recommendation, cause of concern and area for improvement is
    # followed up as an action (s55/domain/actions.py) until it is done or closed
    OPEN_ACTIONS = "open the follow-up actions"
    ASSIGN_ACTION = "assign an action"
    UPDATE_ACTION = "update an action"
    # a review cycle asks every owner of open actions for an update before a board meets
    OPEN_CYCLE = "open a review cycle"


S = Stage
R = Role
# The one list of stages in which a person still has a decision to make.
OPEN_STAGES = frozenset({S.DRAFT, S.AWAITING_CHIEF_OFFICER, S.AWAITING_LOCAL_POLICING_BODY,
                         S.AWAITING_SIGN_OFF, S.SIGNED_OFF})
# Published: the response is out and its timeliness is settled (s55(5A)); the route may still
# owe the s55(6) copies.
PUBLISHED_STAGES = frozenset({S.PUBLISHED, S.COPIES_SENT})
# Nothing is left to do: the duty is done, or the review was withdrawn.
CLOSED_STAGES = frozenset({S.COPIES_SENT, S.WITHDRAWN})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    stages: frozenset[Stage]  # empty: the action creates the review
    to: Stage | None  # None: the stage stays as it is
    automated: bool = False  # the route takes it; no person may


def _rule(roles, stages, to=None, automated=False) -> Rule:
    return Rule(frozenset(roles), frozenset(stages), to, automated)


RULES: dict[Action, Rule] = {
    Action.OPEN: _rule({R.OPCC_OFFICER}, set(), S.DRAFT),
    Action.OPEN_THEMATIC: _rule({R.OPCC_OFFICER, R.NATIONAL}, set(), S.DRAFT),
    Action.EDIT: _rule({R.OPCC_OFFICER}, {S.DRAFT, S.AWAITING_LOCAL_POLICING_BODY}),
    Action.INVITE_CHIEF_OFFICER: _rule({R.OPCC_OFFICER}, {S.DRAFT}, S.AWAITING_CHIEF_OFFICER),
    Action.MOVE_CHIEF_OFFICER_DUE: _rule({R.OPCC_OFFICER}, {S.AWAITING_CHIEF_OFFICER}),
    Action.CHIEF_OFFICER_COMMENTS: _rule(
        {R.CHIEF_OFFICER}, {S.AWAITING_CHIEF_OFFICER}, S.AWAITING_LOCAL_POLICING_BODY),
    Action.LOCAL_POLICING_BODY_COMMENTS: _rule(
        {R.LOCAL_POLICING_BODY}, {S.AWAITING_LOCAL_POLICING_BODY}),
    # sign-off names the exact version, so an answer added while it waits is safe
    Action.ANSWER_RECOMMENDATION: _rule(
        {R.LOCAL_POLICING_BODY, R.OPCC_OFFICER},
        {S.AWAITING_LOCAL_POLICING_BODY, S.AWAITING_SIGN_OFF}),
    Action.REQUEST_SIGN_OFF: _rule(
        {R.LOCAL_POLICING_BODY, R.OPCC_OFFICER}, {S.AWAITING_LOCAL_POLICING_BODY},
        S.AWAITING_SIGN_OFF),
    Action.SIGN_OFF: _rule({R.LOCAL_POLICING_BODY}, {S.AWAITING_SIGN_OFF}, S.SIGNED_OFF),
    Action.SEND_BACK_TO_CHIEF_OFFICER: _rule(
        {R.LOCAL_POLICING_BODY, R.OPCC_OFFICER},
        {S.AWAITING_LOCAL_POLICING_BODY, S.AWAITING_SIGN_OFF}, S.AWAITING_CHIEF_OFFICER),
    Action.SEND_BACK_TO_DRAFTING: _rule(
        {R.LOCAL_POLICING_BODY, R.OPCC_OFFICER},
        {S.AWAITING_CHIEF_OFFICER, S.AWAITING_LOCAL_POLICING_BODY, S.AWAITING_SIGN_OFF,
         S.SIGNED_OFF}, S.DRAFT),
    Action.WITHDRAW: _rule({R.OPCC_OFFICER}, OPEN_STAGES, S.WITHDRAWN),
    # the stage moves to 'published' when the route has written the files, not before
    Action.PUBLISH: _rule({R.OPCC_OFFICER}, {S.SIGNED_OFF}),
    Action.RUN_REMINDERS: _rule({R.OPCC_OFFICER}, set(Stage)),
    Action.READ: _rule(set(Role) - {R.OPERATOR}, set(Stage)),
    # the database itself: an office's own staff on a service of one office; on a service of
    # many, its service operator alone (services/database.py, may_run_database)
    Action.UPGRADE_DATABASE: _rule({R.OPCC_OFFICER, R.OPERATOR}, set()),
    # a backup holds every review and the audit trail: an auditor may take one too
    Action.BACK_UP_DATABASE: _rule({R.OPCC_OFFICER, R.AUDITOR, R.OPERATOR}, set()),
    # a restore replaces the record
    Action.RESTORE_DATABASE: _rule({R.OPCC_OFFICER, R.OPERATOR}, set()),
    # the route moves a released review on once the files are written, and again once every
    # s55(6) copy has gone
    Action.RECORD_PUBLICATION: _rule(set(), {S.SIGNED_OFF}, S.PUBLISHED, automated=True),
    Action.RECORD_COPIES_SENT: _rule(set(), {S.PUBLISHED}, S.COPIES_SENT, automated=True),
    # the follow-up of a review whose copies have gone: opened by the route with the copies
    # (or by an OPCC officer, for a review that went before), given an owner and a date by
    # the office, updated by its owner (either side) or the office
    Action.OPEN_ACTIONS: _rule({R.OPCC_OFFICER}, {S.COPIES_SENT}),
    Action.ASSIGN_ACTION: _rule({R.OPCC_OFFICER}, {S.COPIES_SENT}),
    Action.UPDATE_ACTION: _rule({R.OPCC_OFFICER, R.CHIEF_OFFICER, R.LOCAL_POLICING_BODY},
                                {S.COPIES_SENT}),
    Action.OPEN_CYCLE: _rule({R.OPCC_OFFICER}, set()),  # of the office's actions, no one review
}
# What a person can do to one review (not reading, opening or sweeping).
REVIEW_ACTIONS = tuple(a for a, rule in RULES.items()
                       if rule.stages and not rule.automated
                       and a not in (Action.READ, Action.RUN_REMINDERS))


def allowed(role: Role | str, stage: Stage | str) -> tuple[Action, ...]:
    """Everything a person in `role` may do to a review in `stage`: what a page offers."""
    return tuple(a for a in REVIEW_ACTIONS if may(a, Role(role), Stage(stage)))


def route_transition(action: Action, stage: Stage | str) -> Stage:
    """The stage after an automated step, from the same table as people's actions."""
    rule = RULES[action]
    if not rule.automated:
        raise ValueError(f"{action} is taken by a person, not by the route")
    if Stage(stage) not in rule.stages:
        raise WrongStage(said("refused: the route cannot %(action)s while the review is "
                              "'%(stage)s'", action=said(str(action)), stage=said(str(stage))))
    return rule.to


def may(action: Action, role: Role, stage: Stage | None) -> bool:
    rule = RULES[action]
    return role in rule.roles and (stage in rule.stages if rule.stages else stage is None)


def check_role(action: Action, role: Role) -> None:
    rule = RULES[action]
    if role not in rule.roles:
        allowed = Listed(sorted((said("an %(role)s", role=said(str(r))) if r[0] in "aeiou"
                                 else said("a %(role)s", role=said(str(r)))
                                 for r in rule.roles), key=str),
                         said(" or ")) if rule.roles else said("the route (automated)")
        raise NotPermitted(said("refused: the role '%(role)s' may not %(action)s; only "
                                "%(allowed)s may", role=said(str(role)),
                                action=said(str(action)), allowed=allowed))


def transition(action: Action, role: Role, stage: Stage | None) -> Stage:
    """The stage after `action`, or a refusal naming the role or stage that stops it."""
    rule = RULES[action]
    check_role(action, role)
    if rule.stages and stage not in rule.stages:
        wanted = Listed((said("'%(stage)s'", stage=said(str(s))) for s in Stage
                         if s in rule.stages), said(", "))
        raise WrongStage(said("refused: cannot %(action)s while the review is '%(stage)s'; it "
                              "must be %(wanted)s", action=said(str(action)),
                              stage=said(str(stage)), wanted=wanted))
    return rule.to or stage


@dataclass(frozen=True)
class Notice:
    template: str  # the folder under templates/email/
    to: str  # a Role, or "statutory" (s55(6) copies) or "customary" (published notice)
    per_version: bool  # True: again for every new version; False: once per round of waiting


# The messages a stage calls for, written in the same transaction as the move into it.
NOTICES: dict[Stage, tuple[Notice, ...]] = {
    Stage.AWAITING_CHIEF_OFFICER: (Notice("invitation", Role.CHIEF_OFFICER, False),),
    Stage.AWAITING_LOCAL_POLICING_BODY: (
        Notice("comments_received", Role.OPCC_OFFICER, False),
        Notice("comments_requested", Role.LOCAL_POLICING_BODY, False)),
    Stage.AWAITING_SIGN_OFF: (Notice("sign_off_request", Role.LOCAL_POLICING_BODY, True),),
    Stage.PUBLISHED: (Notice("statutory_copy", "statutory", True),
                      Notice("published", "customary", True)),
}
# Whose move it is in each stage (the dashboard, status and reminders say "held by").
HELD_BY: dict[Stage, Role] = {
    Stage.DRAFT: Role.OPCC_OFFICER, Stage.AWAITING_CHIEF_OFFICER: Role.CHIEF_OFFICER,
    Stage.AWAITING_LOCAL_POLICING_BODY: Role.LOCAL_POLICING_BODY,
    Stage.AWAITING_SIGN_OFF: Role.LOCAL_POLICING_BODY, Stage.SIGNED_OFF: Role.OPCC_OFFICER,
    Stage.PUBLISHED: Role.OPCC_OFFICER,
}
WAITING_FOR: dict[Stage, str] = {
    Stage.DRAFT: "an OPCC officer to invite the chief officer",
    Stage.AWAITING_CHIEF_OFFICER: "the chief officer's comments",
    Stage.AWAITING_LOCAL_POLICING_BODY: "the local policing body's comments and answers",
    Stage.AWAITING_SIGN_OFF: "the local policing body's sign-off",
    Stage.SIGNED_OFF: "an OPCC officer to publish (s55 publish)",
    Stage.PUBLISHED: "the statutory copies to be sent",
    Stage.COPIES_SENT: "nothing: the duty is done",
    Stage.WITHDRAWN: "nothing: the review was withdrawn",
}


def waiting_for(stage: Stage, *, released: bool = False) -> str:
    """What a review waits for; once released for publication, a signed-off review waits for
    the route, not for another person to publish it."""
    if stage == Stage.SIGNED_OFF and released:
        return "the route to publish it (released for publication)"
    return WAITING_FOR[stage]
