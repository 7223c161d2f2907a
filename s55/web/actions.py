"""The follow-up on the web: an owner's actions, from the link in a review cycle's message, each
with its own update form (what was done, the evidence, the status); one action's page with its
dated updates. Each form is one call of the same service the CLI's `s55 update-action` calls,
checked against the role table, the action's version and the audit trail; a refusal brings
the page back with what the person typed and why, and nothing is stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..domain.actions import CODES, Status, action_name, parse_name
from ..domain.record import ITEM_NAMES
from ..domain.errors import (
    Conflict, InvalidInput, NotFound, NotPermitted, StaleVersion, WrongStage,
)
from ..domain.workflow import Role
from ..render.language import _
from ..services import actions, cycles
from ..services.actions import OWNER_ROLES
from .common import STATUS, MAX_TEXT, Person, SignedIn, Web, WebDep, day_field, worded

router = APIRouter()
Text = Annotated[str, Form(max_length=MAX_TEXT)]


# what a form's decision may be refused for, and the page said again with the person's text
REFUSALS = (InvalidInput, StaleVersion, Conflict, WrongStage, NotPermitted)


def _refusal(request: Request, w: Web, person: Person, refused: Exception) -> tuple[str, int]:
    """Why nothing was saved, in the page's language, and the page's status."""
    lang = w.language(request, person)
    why = worded(refused, lang)
    if isinstance(refused, StaleVersion):
        why = _(lang, "The action changed while you were writing, so nothing was saved. Your "
                "text is below; look at its latest update and save again. (%(why)s)", why=why)
    else:
        why = _(lang, "Nothing was saved. %(why)s", why=why)
    return why, STATUS.get(type(refused), 400)


def _one(w: Web, person: Person, ref: str, name: str) -> dict:
    """The action as `s55 actions` lists it for the person (its mark today), or NotFound."""
    found = next((a for a in actions.listing(w.ctx, actor=person.email, report=ref)
                  if a["action"] == name), None)
    if found is None:
        raise NotFound(f"{ref} has no {name.rpartition('/')[2]} to follow up")
    return found


def _may_update(person: Person, action: dict) -> bool:
    """What the role table and the service allow: the office (an OPCC officer) any action of
    its own, an owner of the chief officer's side or the office their own."""
    if person.role == str(Role.OPCC_OFFICER):
        return bool(person.office)
    return person.role in (str(Role.CHIEF_OFFICER), str(Role.LOCAL_POLICING_BODY)) \
        and action["owner"] == person.email.casefold()


def _statuses(person: Person) -> list[str]:
    return [str(s) for s in Status
            if s != Status.CLOSED or person.role == str(Role.OPCC_OFFICER)]


def _anchor(name: str) -> str:
    return name.replace("/", "-")


def actions_page(request: Request, w: Web, person: Person, *, cycle: int | None,
                 every: bool, status: int = 200, typed: dict | None = None,
                 problem: dict | None = None, updated: str = "") -> HTMLResponse:
    office_side = person.role == str(Role.OPCC_OFFICER)
    every = every and office_side
    # the office's view of a cycle: every action it asked about, of every owner
    whole_cycle = bool(cycle) and office_side and bool(person.office)
    rows = actions.listing(w.ctx, actor=person.email,
                           owner=None if every or whole_cycle else person.email)
    asked = cycles.asked_of(w.ctx, actor=person.email, cycle_id=cycle,
                            everyone=whole_cycle) if cycle else None
    if whole_cycle:
        wanted = set(asked["asked"])
        rows = [a for a in rows if a["action"] in wanted]
    if asked is not None:  # the cycle's actions first, in the order the message gave them
        wanted = {name: i for i, name in enumerate(asked["asked"])}
        rows.sort(key=lambda a: (a["action"] not in wanted, wanted.get(a["action"], 0)))
    shown = {a["action"] for a in rows}
    latest = {} if every else actions.latest_notes(w.ctx, actor=person.email,
                                                     owner=person.email)
    return w.page(request, "actions.html", status=status, user=person, rows=rows,
                  every=every, office_side=office_side, asked=asked, cycle=cycle,
                  may_update=lambda a: _may_update(person, a), statuses=_statuses(person),
                  typed=typed or {}, problem=problem or {}, anchor=_anchor,
                  item_names=ITEM_NAMES, latest=latest,
                  # a refusal about an action not on this list (not the person's) heads it
                  elsewhere=[why for name, why in (problem or {}).items() if name not in shown],
                  updated=updated if updated in shown else "")


@router.get("/actions", response_class=HTMLResponse)
def list_actions(request: Request, w: WebDep, person: SignedIn, cycle: int | None = None,
                 all: str = "", updated: str = ""):
    return actions_page(request, w, person, cycle=cycle, every=all == "1",
                        updated=updated[:80])


@router.get("/actions/themes", response_class=HTMLResponse)
def themes(request: Request, w: WebDep, person: SignedIn):
    from ..services.followup import picture

    return w.page(request, "themes.html", user=person, data=picture(w.ctx, actor=person.email))


def action_page(request: Request, w: Web, person: Person, ref: str, code: str,
                status: int = 200, typed: dict | None = None, problem: str = "",
                updated: bool = False, assigning: bool = False) -> HTMLResponse:
    """One action's page; `assigning`: `typed` and `problem` are the assignment form's."""
    ref, kind, number = parse_name(f"{ref}/{code}")  # refused as the CLI refuses it
    name = action_name(ref, kind, number)  # 'r2' is R2
    action = _one(w, person, ref, name)
    office_side = person.role == str(Role.OPCC_OFFICER) and bool(person.office)
    owners = [p for p in w.ctx.offices.get(action["office"]).directory.people
              if p.role in OWNER_ROLES] if office_side else []
    return w.page(request, "action.html", status=status, user=person, a=action,
                  office_side=office_side, owners=owners, assigning=assigning,
                  history=actions.updates(w.ctx, actor=person.email, name=name),
                  allowed=_may_update(person, action), statuses=_statuses(person),
                  item_names=ITEM_NAMES,
                  typed=typed or {}, problem=problem, updated=updated)


@router.get("/actions/{ref}/{code}", response_class=HTMLResponse)
def one_action(request: Request, w: WebDep, ref: str, code: str, person: SignedIn,
               updated: str = ""):
    return action_page(request, w, person, ref, code, updated=updated == "1")


@router.post("/actions/{ref}/{code}", response_class=HTMLResponse)
def update_action(request: Request, w: WebDep, ref: str, code: str, person: SignedIn,
                  version: Annotated[int, Form()], status: Annotated[str, Form(max_length=40)],
                  note: Text = "", evidence: Text = "", reason: Text = "",
                  cycle: Annotated[int | None, Form()] = None,
                  back: Annotated[str, Form(max_length=10)] = "",
                  csrf: Annotated[str | None, Form()] = None):
    """One action's update, from the list of the person's actions (back=list) or from the
    action's own page."""
    name = f"{ref}/{code}"
    ref, kind, number = parse_name(name)
    name = action_name(ref, kind, number)  # 'r2' is R2
    fields = {"status": status, "note": note, "evidence": evidence, "reason": reason,
              "version": str(version)}
    try:
        current = _one(w, person, ref, name)
        actions.update(w.ctx, actor=person.checked(csrf), name=name,
                       status=status if status != current["status"] else None,
                       note=note, evidence=evidence, reason=reason, seen_version=version)
    except REFUSALS as refused:
        why, code_ = _refusal(request, w, person, refused)
        if back == "list":
            return actions_page(request, w, person, cycle=cycle, every=False, status=code_,
                                typed={name: fields}, problem={name: why})
        return action_page(request, w, person, ref, f"{CODES[kind]}{number}", status=code_,
                           typed=fields, problem=why)
    if back == "list":
        where = f"/actions?updated={name}" + (f"&cycle={cycle}" if cycle else "")
        return RedirectResponse(f"{where}#{_anchor(name)}", status_code=303)
    return RedirectResponse(f"/actions/{ref}/{CODES[kind]}{number}?updated=1", status_code=303)


@router.post("/actions/{ref}/{code}/assign", response_class=HTMLResponse)
def assign_action(request: Request, w: WebDep, ref: str, code: str, person: SignedIn,
                  version: Annotated[int, Form()], owner: Annotated[str, Form(max_length=320)] = "",
                  target: Annotated[str, Form(max_length=10)] = "", note: Text = "",
                  csrf: Annotated[str | None, Form()] = None):
    """The office gives an action its owner and target date (`s55 assign-action`)."""
    ref, kind, number = parse_name(f"{ref}/{code}")
    name, code = action_name(ref, kind, number), f"{CODES[kind]}{number}"
    fields = {"owner": owner, "target": target, "note": note, "version": str(version)}
    try:
        current = _one(w, person, ref, name)
        day = day_field("target", target)
        changed_owner = owner.strip() if owner.strip() and owner.strip().casefold() != \
            current["owner"] else None
        changed_target = day if day is not None and day.isoformat() != current["target"] \
            else None
        actions.assign(w.ctx, actor=person.checked(csrf), name=name, owner=changed_owner,
                       target=changed_target, note=note, seen_version=version)
    except REFUSALS as refused:
        why, status = _refusal(request, w, person, refused)
        return action_page(request, w, person, ref, code, status=status, typed=fields,
                           problem=why, assigning=True)
    return RedirectResponse(f"/actions/{ref}/{code}?updated=1", status_code=303)
