"""The reviews: the dashboard, one review's page, and its forms.

Each form is one service call and one transaction. When the service refuses it (a bad field,
a version that moved on, a stage that changed), the page comes back with everything the
person typed and the reason, and nothing is stored.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..domain.errors import Conflict, InvalidInput, NotFound, StaleVersion, WrongStage, said
from ..render.language import _
from ..render.sanitise import html_to_text, plain_text, rich_text
from ..services import drafting, reading, route
from ..services.compliance import finished, status as open_reviews
from ..services.publishing import request_publication
from .common import (
    DONE, MAX_TEXT, STATUS, Person, SignedIn, Web, WebDep, day_field, in_language, worded,
)

router = APIRouter()
Text = Annotated[str, Form(max_length=MAX_TEXT)]
Csrf = Annotated[str | None, Form()]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, w: WebDep, person: SignedIn):
    rows = open_reviews(w.ctx, actor=person.email)
    rows.sort(key=lambda r: r["held_by_role"] != person.role)  # the person's own first
    lang, today = w.language(request, person), w.ctx.today()
    return w.page(request, "dashboard.html", user=person,
                  rows=[in_language(r, lang, today) for r in rows],
                  done=[in_language(r, lang, today) for r in finished(w.ctx,
                                                                       actor=person.email)])


def review_page(request: Request, w: Web, ref: str, person: Person, status: int = 200,
                typed: dict | None = None, problem: str = "", sent: str = "") -> HTMLResponse:
    data = reading.show(w.ctx, actor=person.email, ref=ref)
    changes = []
    if sent and not data["current_version"].startswith(sent):
        try:
            changes = reading.diff(w.ctx, actor=person.email, ref=ref, old=sent,
                                   new=data["current_version"])
        except (NotFound, InvalidInput):
            changes = []  # not a version of this review: nothing to compare
    record = reading.record(w.ctx, actor=person.email, ref=ref)
    lang = w.language(request, person)
    return w.page(request, "review.html", status=status, user=person,
                  r=in_language(data, lang, w.ctx.today()),
                  allowed=set(data["allowed"]),
                  # a bilingual review reads in the page's language; its forms take both
                  record=record.in_language(lang), bilingual=record.bilingual,
                  english=record, welsh=record.in_language("cy") if record.bilingual else None,
                  trail=reading.audit_trail(w.ctx, actor=person.email, ref=ref),
                  typed=typed or {}, problem=problem, sent=sent, changes=changes,
                  done=DONE.get(request.query_params.get("done", ""), ""),
                  as_text=html_to_text)


def decided(request: Request, w: Web, ref: str, person: Person, fields: dict, decide,
            done: str):
    """Run one decision; on a refusal the person can act on, the page with their text."""
    try:
        decide(person.checked(fields.get("csrf")))
    except (InvalidInput, StaleVersion, Conflict, WrongStage) as refused:
        lang = w.language(request, person)
        why = worded(refused, lang)
        if isinstance(refused, (StaleVersion, Conflict)):
            why = _(lang, "The review changed while you were writing, so nothing was saved. "
                    "Your text is below; look at what changed and save again. (%(why)s)",
                    why=why)
        else:
            why = _(lang, "Nothing was saved. %(why)s", why=why)
        return review_page(request, w, ref, person, status=STATUS[type(refused)],
                           typed={k: v for k, v in fields.items() if k != "csrf"},
                           problem=why, sent=fields.get("version", ""))
    return RedirectResponse(f"/reviews/{ref}?done={done}", status_code=303)


@router.get("/reviews/{ref}", response_class=HTMLResponse)
def review(request: Request, w: WebDep, ref: str, person: SignedIn, version: str = ""):
    return review_page(request, w, ref, person, sent=version[:64])


@router.get("/reviews/{ref}/diff", response_class=HTMLResponse)
def compare(request: Request, w: WebDep, ref: str, person: SignedIn, old: str, new: str):
    lines = reading.diff(w.ctx, actor=person.email, ref=ref, old=old, new=new)
    return w.page(request, "diff.html", user=person, ref=ref, old=old, new=new, lines=lines)


@router.post("/reviews/{ref}/comments", response_class=HTMLResponse)
async def comments(request: Request, w: WebDep, ref: str, person: SignedIn):
    # the form's fields are named per recommendation, so it is read here, on the loop;
    # the decision itself is database work and runs in the thread pool
    form = await request.form()
    fields = {k: str(v) for k, v in form.items()}
    return await run_in_threadpool(save_comments, request, w, ref, person, fields)


def save_comments(request: Request, w: Web, ref: str, person: Person, fields: dict):
    def decide(actor: str) -> None:
        for name, value in fields.items():
            if len(value) > MAX_TEXT:
                raise InvalidInput(name, said("is %(n)s characters long; the most one "
                                              "field may hold is %(most)s", n=len(value),
                                              most=MAX_TEXT))
        given = {"text": fields.get("text"), "initial_response": fields.get("initial"),
                 "overall_comments": fields.get("overall")}
        numbers = sorted(int(k.split("-")[1]) for k in fields if re.fullmatch(r"answer-\d+", k))
        # a bilingual review's form: the Welsh of each text in a field of its own ('-cy')
        welsh = {"text": fields.get("text-cy"), "initial_response": fields.get("initial-cy"),
                 "overall_comments": fields.get("overall-cy")}
        welsh = {k: rich_text(v) for k, v in welsh.items() if v is not None and v.strip()}
        drafting.comments_and_answers(
            w.ctx, actor=actor, ref=ref, seen_version=fields.get("version") or None,
            **{k: rich_text(v) for k, v in given.items() if v is not None and v.strip()},
            answers={n: (fields.get(f"kind-{n}", ""), plain_text(fields.get(f"answer-{n}", "")))
                     for n in numbers},
            welsh=welsh or None,
            answers_cy={n: plain_text(fields.get(f"answer-{n}-cy", "")) for n in numbers
                        if f"answer-{n}-cy" in fields} or None,
            confirm={k.removeprefix("confirm-") for k, v in fields.items()
                     if k.startswith("confirm-") and v == "yes"})

    return decided(request, w, ref, person, fields, decide, "saved")


@router.post("/reviews/{ref}/invite", response_class=HTMLResponse)
def invite(request: Request, w: WebDep, ref: str, person: SignedIn,
           due: Annotated[str, Form(max_length=10)] = "", csrf: Csrf = None):
    def decide(actor: str) -> None:
        day = day_field("due", due)
        route.invite_chief_officer(w.ctx, actor=actor, ref=ref, due=day)

    return decided(request, w, ref, person, {"csrf": csrf, "due": due}, decide,
                   "chief-officer-invited")


@router.post("/reviews/{ref}/request-sign-off", response_class=HTMLResponse)
def request_sign_off(request: Request, w: WebDep, ref: str, person: SignedIn, csrf: Csrf = None):
    return decided(request, w, ref, person, {"csrf": csrf},
                   lambda actor: route.request_sign_off(w.ctx, actor=actor, ref=ref),
                   "sign-off-requested")


@router.post("/reviews/{ref}/send-back", response_class=HTMLResponse)
def send_back(request: Request, w: WebDep, ref: str, person: SignedIn,
              to: Annotated[str, Form(max_length=20)], reason: Text = "", csrf: Csrf = None):
    return decided(request, w, ref, person, {"csrf": csrf, "to": to, "reason": reason},
                   lambda actor: route.send_back(w.ctx, actor=actor, ref=ref, to=to,
                                                 reason=reason), "sent-back")


@router.post("/reviews/{ref}/publish", response_class=HTMLResponse)
def publish(request: Request, w: WebDep, ref: str, person: SignedIn, reason: Text = "",
            csrf: Csrf = None):
    return decided(request, w, ref, person, {"csrf": csrf, "reason": reason},
                   lambda actor: request_publication(w.ctx, actor=actor, ref=ref,
                                                     late_reason=reason), "published")


@router.post("/reviews/{ref}/sign-off", response_class=HTMLResponse)
def sign_off(request: Request, w: WebDep, ref: str, person: SignedIn,
             version: Annotated[str, Form(max_length=64)], csrf: Csrf = None):
    return decided(request, w, ref, person, {"csrf": csrf, "version": version},
                   lambda actor: route.sign_off(w.ctx, actor=actor, ref=ref, version=version),
                   "signed-off")

