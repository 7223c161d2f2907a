"""Every row of the role table, written out here by hand so the code cannot grade itself."""

import pytest

from s55.domain.errors import NotPermitted, WrongStage
from s55.domain.workflow import (
    Action, Role, Stage, allowed, check_role, route_transition, transition,
)

OPCC, CO, LPB, AUD = "opcc officer", "chief officer", "local policing body", "auditor"
DRAFT, ACO, ALPB, ASO, SO = ("draft", "awaiting chief officer", "awaiting local policing body",
                             "awaiting sign-off", "signed off")

# action: (roles allowed, {stage: stage after})
EXPECTED = {
    "edit content": ({OPCC}, {DRAFT: DRAFT, ALPB: ALPB}),
    "invite chief officer": ({OPCC}, {DRAFT: ACO}),
    "move chief officer's due date": ({OPCC}, {ACO: ACO}),
    "submit chief officer's comments": ({CO}, {ACO: ALPB}),
    "submit local policing body's comments": ({LPB}, {ALPB: ALPB}),
    "answer recommendation": ({LPB, OPCC}, {ALPB: ALPB, ASO: ASO}),
    "request sign-off": ({LPB, OPCC}, {ALPB: ASO}),
    "sign off": ({LPB}, {ASO: SO}),
    "send back to chief officer": ({LPB, OPCC}, {ALPB: ACO, ASO: ACO}),
    "send back to drafting": ({LPB, OPCC}, {ACO: DRAFT, ALPB: DRAFT, ASO: DRAFT, SO: DRAFT}),
    "withdraw": ({OPCC}, {s: "withdrawn" for s in (DRAFT, ACO, ALPB, ASO, SO)}),
    "publish": ({OPCC}, {SO: SO}),  # 'published' only once the files are written
    # the follow-up, once the copies have gone (the stage stays: the duty is done)
    "open the follow-up actions": ({OPCC}, {"copies sent": "copies sent"}),
    "assign an action": ({OPCC}, {"copies sent": "copies sent"}),
    "update an action": ({OPCC, CO, LPB}, {"copies sent": "copies sent"}),
}

CASES = [(a, r, s) for a in EXPECTED for r in Role for s in Stage]


@pytest.mark.parametrize("action, role, stage", CASES, ids=lambda v: str(v).replace(" ", "_"))
def test_role_table(action, role, stage):
    roles, moves = EXPECTED[action]
    if role not in roles:
        with pytest.raises(NotPermitted, match=f"the role '{role}' may not {action}"):
            transition(Action(action), role, stage)
    elif stage not in moves:
        with pytest.raises(WrongStage, match=f"while the review is '{stage}'"):
            transition(Action(action), role, stage)
    else:
        assert transition(Action(action), role, stage) == Stage(moves[stage])


def test_only_an_opcc_officer_opens_a_review():
    assert transition(Action.OPEN, Role.OPCC_OFFICER, None) == Stage.DRAFT
    for role in (Role.CHIEF_OFFICER, Role.LOCAL_POLICING_BODY, Role.AUDITOR):
        with pytest.raises(NotPermitted):
            transition(Action.OPEN, role, None)


def test_a_national_thematic_is_opened_by_an_opcc_officer_or_a_national_reader_only():
    for role in Role:
        if role in (Role.OPCC_OFFICER, Role.NATIONAL):
            assert transition(Action.OPEN_THEMATIC, role, None) == Stage.DRAFT
        else:
            with pytest.raises(NotPermitted):
                transition(Action.OPEN_THEMATIC, role, None)
    # a national reader reads, and opens nothing else
    with pytest.raises(NotPermitted):
        transition(Action.OPEN, Role.NATIONAL, None)
    check_role(Action.READ, Role.NATIONAL)
    # a service operator runs the database and reads no review
    with pytest.raises(NotPermitted):
        check_role(Action.READ, Role.OPERATOR)


def test_the_refusal_says_who_may_act_instead():
    with pytest.raises(NotPermitted) as refusal:
        transition(Action.SIGN_OFF, Role.CHIEF_OFFICER, Stage.AWAITING_SIGN_OFF)
    assert "only a local policing body may" in str(refusal.value)


def test_every_action_is_in_the_expected_table():
    assert {str(a) for a in Action} - {"open review", "read", "run the reminder sweep",
                                       "open a national thematic report's reviews",
                                       "open a review cycle"} \
        - set(DATABASE) == set(EXPECTED) | set(AUTOMATED)


# the database's own actions: no review, no stage; who may take them
DATABASE = {"upgrade the database's schema": {"opcc officer", "service operator"},
            "back up the database": {"opcc officer", "auditor", "service operator"},
            "restore the database from a backup": {"opcc officer", "service operator"}}


@pytest.mark.parametrize("action", DATABASE)
def test_who_may_upgrade_or_back_up_the_database(action):
    for role in Role:
        if role in DATABASE[action]:
            check_role(Action(action), role)
        else:
            with pytest.raises(NotPermitted, match=f"may not {action}"):
                check_role(Action(action), role)


AUTOMATED = {"record the publication": {SO: "published"},
             "record the copies sent": {"published": "copies sent"}}


@pytest.mark.parametrize("action", AUTOMATED)
def test_the_routes_own_moves_are_in_the_table_and_no_person_may_take_them(action):
    for stage in Stage:
        if stage in AUTOMATED[action]:
            assert route_transition(Action(action), stage) == Stage(AUTOMATED[action][stage])
        else:
            with pytest.raises(WrongStage):
                route_transition(Action(action), stage)
        for role in Role:
            with pytest.raises(NotPermitted, match="only the route"):
                transition(Action(action), role, stage)
    with pytest.raises(ValueError):
        route_transition(Action.SIGN_OFF, ASO)


@pytest.mark.parametrize("role", list(Role))
def test_what_a_page_may_offer_is_read_from_the_table(role):
    for stage in Stage:
        offered = {str(a) for a in allowed(role, stage)}
        assert offered == {a for a, (roles, moves) in EXPECTED.items()
                           if role in roles and stage in moves}, (role, stage)


def test_only_an_opcc_officer_runs_the_reminder_sweep_by_hand():
    from s55.domain.workflow import check_role

    check_role(Action.RUN_REMINDERS, Role.OPCC_OFFICER)
    for role in (Role.CHIEF_OFFICER, Role.LOCAL_POLICING_BODY, Role.AUDITOR):
        with pytest.raises(NotPermitted):
            check_role(Action.RUN_REMINDERS, role)
