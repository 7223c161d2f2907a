"""The web app for the people who approve: the same roles, versions and audit trail as the CLI.

Pages work without JavaScript. Every form carries a CSRF token; every action is checked
against the role table by the same service function the command line calls.
"""


import re
from urllib.parse import quote
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..domain.errors import (
    Conflict, InvalidInput, NotFound, NotPermitted, S55Error, StaleVersion,
    UnansweredRecommendations, WrongStage,
)
from ..render.environment import environment
from ..render.sanitise import html_to_text
from ..services import reading, route, signin
from ..services.compliance import status as open_reviews
from ..services.context import Context

COOKIE = "s55_session"
STATUS = {NotPermitted: 403, NotFound: 404, InvalidInput: 400, StaleVersion: 409, Conflict: 409,
          WrongStage: 409, UnansweredRecommendations: 409}


class SignInNeeded(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(title="s55", docs_url=None, redoc_url=None, openapi_url=None)
    pages = environment(ctx.settings.templates_dir)

    def page(request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
        body = pages.get_template(f"web/{name}").render(
            request=request, office=ctx.office.name, user=values.pop("user", None), **values)
        response = HTMLResponse(body, status_code=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; "
            "frame-ancestors 'none'; form-action 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def who(request: Request) -> dict:
        found = signin.current(ctx, request.cookies.get(COOKIE))
        if found is None:
            query = f"?{request.url.query}" if request.url.query else ""
            raise SignInNeeded(request.url.path + query)
        email, csrf = found
        person = ctx.office.directory.find(email)
        return {"email": email, "csrf": csrf, "name": person.name if person else email,
                "role": str(person.role) if person else ""}

    User = Annotated[dict, Depends(who)]

    def checked(user: dict, token: str | None) -> str:
        if not signin.csrf_ok(user["csrf"], token):
            raise NotPermitted("refused: the form's security token is missing or wrong; "
                               "reload the page and try again")
        return user["email"]

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        return RedirectResponse(f"/signin?next={quote(exc.next_path, safe='')}", status_code=303)

    @app.exception_handler(S55Error)
    def _refused(request: Request, exc: S55Error):  # reads the session: off the loop
        found = signin.current(ctx, request.cookies.get(COOKIE))
        return page(request, "refused.html", status=STATUS.get(type(exc), 400),
                    message=str(exc), user={"name": found[0]} if found else None)

    @app.get("/signin", response_class=HTMLResponse)
    def signin_form(request: Request, next: str = "/"):
        return page(request, "signin.html", next=signin.safe_next(next), sent=False)

    @app.post("/signin", response_class=HTMLResponse)
    def signin_request(request: Request, email: Annotated[str, Form(max_length=320)],
                       next: Annotated[str, Form(max_length=500)] = "/"):
        client = request.client.host if request.client else "?"
        # the link is committed with a request for the route; the served process mails it
        signin.request_link(ctx, email=email.strip(), next_path=next,
                            base_url=str(request.base_url), client=client)
        return page(request, "signin.html", next=signin.safe_next(next), sent=True)

    @app.get("/signin/{token}")
    def signin_link(request: Request, token: str):
        client = request.client.host if request.client else "?"
        cookie, _email, next_path = signin.use_link(ctx, nonce=token, client=client)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(COOKIE, cookie, httponly=True, secure=True, samesite="lax",
                            max_age=int(signin.SESSION_LIFETIME.total_seconds()))
        return response

    @app.post("/signout")
    def signout(request: Request, user: User, csrf: Annotated[str | None, Form()] = None):
        checked(user, csrf)
        signin.sign_out(ctx, request.cookies.get(COOKIE))
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request, user: User):
        rows = open_reviews(ctx, actor=user["email"])
        mine = {"chief officer": "awaiting chief officer",
                "local policing body": ("awaiting local policing body", "awaiting sign-off")}
        wanted = mine.get(user["role"], ("draft", "signed off"))
        rows.sort(key=lambda r: r["stage"] not in wanted)
        return page(request, "dashboard.html", user=user, rows=rows, wanted=wanted)

    def review_page(request: Request, ref: str, user: dict, status: int = 200,
                    typed: dict | None = None, problem: str = "", sent: str = "") -> HTMLResponse:
        data = reading.show(ctx, actor=user["email"], ref=ref)
        changes = []
        if sent and not data["current_version"].startswith(sent):
            changes = reading.diff(ctx, actor=user["email"], ref=ref, old=sent,
                                   new=data["current_version"])
        return page(request, "review.html", status=status, user=user, r=data,
                    record=reading.record(ctx, actor=user["email"], ref=ref),
                    trail=reading.audit_trail(ctx, actor=user["email"], ref=ref),
                    typed=typed or {}, problem=problem, sent=sent, changes=changes,
                    as_text=html_to_text)

    @app.get("/reviews/{ref}", response_class=HTMLResponse)
    def review(request: Request, ref: str, user: User, version: str = ""):
        return review_page(request, ref, user, sent=version[:64])

    @app.get("/reviews/{ref}/diff", response_class=HTMLResponse)
    def compare(request: Request, ref: str, user: User, old: str, new: str):
        lines = reading.diff(ctx, actor=user["email"], ref=ref, old=old, new=new)
        return page(request, "diff.html", user=user, ref=ref, old=old, new=new, lines=lines)

    @app.post("/reviews/{ref}/comments", response_class=HTMLResponse)
    async def comments(request: Request, ref: str, user: User):
        # the form's fields are named per recommendation, so it is read here, on the loop;
        # the decision itself is database work and runs in the thread pool
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        return await run_in_threadpool(save_comments, request, ref, user, fields)

    def save_comments(request: Request, ref: str, user: dict, fields: dict):
        actor = checked(user, fields.get("csrf"))
        for name, value in fields.items():
            if len(value) > MAX_TEXT:
                raise InvalidInput(name, f"is {len(value)} characters long; the most one field "
                                         f"may hold is {MAX_TEXT}")
        try:
            _save_comments(ctx, actor, ref, fields)
        except (StaleVersion, Conflict) as changed:
            # nothing the person typed is lost: the form comes back filled in, with the news
            return review_page(request, ref, user, status=409, typed=fields,
                               problem=f"The review changed while you were writing, so nothing "
                                       f"was saved. Your text is below; look at what changed "
                                       f"and save again. ({changed})",
                               sent=fields.get("version", ""))
        return RedirectResponse(f"/reviews/{ref}?done=saved", status_code=303)

    @app.post("/reviews/{ref}/invite")
    def invite(ref: str, user: User, due: Annotated[str, Form(max_length=10)] = "",
               csrf: Annotated[str | None, Form()] = None):
        from datetime import date

        actor = checked(user, csrf)
        try:
            day = date.fromisoformat(due) if due.strip() else None
        except ValueError:
            raise InvalidInput("due date", f"'{due}' is not a date (YYYY-MM-DD)") from None
        route.invite_chief_officer(ctx, actor=actor, ref=ref, due=day)
        return RedirectResponse(f"/reviews/{ref}?done=chief-officer-invited", status_code=303)

    @app.post("/reviews/{ref}/request-sign-off")
    def request_sign_off(ref: str, user: User, csrf: Annotated[str | None, Form()] = None):
        route.request_sign_off(ctx, actor=checked(user, csrf), ref=ref)
        return RedirectResponse(f"/reviews/{ref}?done=sign-off-requested", status_code=303)

    @app.post("/reviews/{ref}/send-back")
    def send_back(ref: str, user: User, to: Annotated[str, Form(max_length=20)],
                  reason: Annotated[str, Form(max_length=MAX_TEXT)],
                  csrf: Annotated[str | None, Form()] = None):
        route.send_back(ctx, actor=checked(user, csrf), ref=ref, to=to, reason=reason)
        return RedirectResponse(f"/reviews/{ref}?done=sent-back", status_code=303)

    @app.post("/reviews/{ref}/publish")
    def publish(ref: str, user: User, reason: Annotated[str, Form(max_length=MAX_TEXT)] = "",
                csrf: Annotated[str | None, Form()] = None):
        from ..services.publishing import request_publication

        request_publication(ctx, actor=checked(user, csrf), ref=ref, late_reason=reason)
        return RedirectResponse(f"/reviews/{ref}?done=published", status_code=303)

    @app.get("/report", response_class=HTMLResponse)
    def report(request: Request, user: User, year: int | None = None):
        from ..services.compliance import report as timeliness

        data = timeliness(ctx, actor=user["email"], year=year)
        return page(request, "report.html", user=user, data=data, year=year)

    @app.get("/report/chart.svg")
    def chart(user: User, year: int | None = None):
        from ..services.compliance import chart_svg, report as timeliness

        data = timeliness(ctx, actor=user["email"], year=year)
        return Response(chart_svg(data, ctx.office.name), media_type="image/svg+xml")

    @app.post("/reviews/{ref}/sign-off")
    def sign_off(request: Request, ref: str, user: User,
                 version: Annotated[str, Form(max_length=64)],
                 csrf: Annotated[str | None, Form()] = None):
        route.sign_off(ctx, actor=checked(user, csrf), ref=ref, version=version)
        return RedirectResponse(f"/reviews/{ref}?done=signed-off", status_code=303)

    @app.get("/accessibility", response_class=HTMLResponse)
    def accessibility(request: Request):
        found = signin.current(ctx, request.cookies.get(COOKIE))
        return page(request, "accessibility.html", user={"name": found[0]} if found else None)

    @app.get("/health")
    def health() -> Response:
        return Response("ok", media_type="text/plain")

    return app


MAX_TEXT = 50_000  # characters in one field: far more than any response needs


def _save_comments(ctx: Context, actor: str, ref: str, fields: dict) -> None:
    """Comments and answers from one form, on the version the person was shown."""
    from ..render.sanitise import plain_text, rich_text
    from ..services import drafting

    seen = fields.get("version") or None
    given = {"text": fields.get("text"), "initial_response": fields.get("initial"),
             "overall_comments": fields.get("overall")}
    given = {k: rich_text(v) for k, v in given.items() if v is not None and v.strip()}
    if given:
        drafting.comments(ctx, actor=actor, ref=ref, seen_version=seen, **given)
        seen = None  # the answers build on the version the comments just made
    numbers = sorted(int(k.split("-")[1]) for k in fields if re.fullmatch(r"answer-\d+", k))
    for n in numbers:
        text = plain_text(fields.get(f"answer-{n}", ""))
        if text:
            drafting.answer_recommendation(ctx, actor=actor, ref=ref, number=n,
                                           kind=fields.get(f"kind-{n}", "action-proposed"),
                                           text=text, seen_version=seen)
            seen = None
