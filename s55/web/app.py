"""The web app for the people who approve: the same roles, versions and audit trail as the CLI.

Pages work without JavaScript. Every form carries a CSRF token; every action is checked
against the role table by the same service function the command line calls.
"""


from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..domain.errors import (
    Conflict, InvalidInput, NotFound, NotPermitted, S55Error, StaleVersion,
    UnansweredRecommendations, WrongStage,
)
from ..render.environment import environment
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
            raise SignInNeeded(request.url.path)
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
        return RedirectResponse(f"/signin?next={exc.next_path}", status_code=303)

    @app.exception_handler(S55Error)
    async def _refused(request: Request, exc: S55Error):
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
        if signin.request_link(ctx, email=email.strip(), next_path=next,
                               base_url=str(request.base_url), client=client):
            from ..services.mailing import deliver

            deliver(ctx, None)
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

    @app.get("/reviews/{ref}", response_class=HTMLResponse)
    def review(request: Request, ref: str, user: User):
        data = reading.show(ctx, actor=user["email"], ref=ref)
        trail = reading.audit_trail(ctx, actor=user["email"], ref=ref)
        return page(request, "review.html", user=user, r=data, trail=trail)

    @app.post("/reviews/{ref}/sign-off")
    def sign_off(request: Request, ref: str, user: User,
                 version: Annotated[str, Form(max_length=64)],
                 csrf: Annotated[str | None, Form()] = None):
        route.sign_off(ctx, actor=checked(user, csrf), ref=ref, version=version)
        _advance(ctx, ref)
        return RedirectResponse(f"/reviews/{ref}?done=signed-off", status_code=303)

    @app.get("/accessibility", response_class=HTMLResponse)
    def accessibility(request: Request):
        found = signin.current(ctx, request.cookies.get(COOKIE))
        return page(request, "accessibility.html", user={"name": found[0]} if found else None)

    @app.get("/health")
    def health() -> Response:
        return Response("ok", media_type="text/plain")

    return app


def _advance(ctx: Context, ref: str) -> None:
    """Each decision is committed first; the route then runs (in-process, or by deployment)."""
    from ..orchestrate import run_advance

    run_advance(ctx, ref)
