"""The web app for the people who approve: the same roles, versions and audit trail as the CLI.

Pages work without JavaScript. Every form carries a CSRF token; every action is checked
against the role table by the same service function the command line calls, and a page
offers only what that table allows (`reading.show` returns it). Routes live by area:
`signin.py`, `reviews.py`, `reports.py`; what they share is in `common.py`.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from ..domain.errors import S55Error
from ..render.language import _
from ..services.context import Context
from . import actions, reports, reviews, signin
from .common import STATUS, SecurityHeaders, SignInNeeded, Web, maybe_signed_in, worded


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(title="s55", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web = Web.for_office(ctx)
    for area in (signin, reviews, reports, actions):
        app.include_router(area.router)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        return RedirectResponse(f"/signin?next={quote(exc.next_path, safe='')}", status_code=303)

    @app.exception_handler(S55Error)
    def _refused(request: Request, exc: S55Error):  # reads the session: off the loop
        user = maybe_signed_in(request, web)
        return web.page(request, "refused.html", status=STATUS.get(type(exc), 400),
                        message=worded(exc, web.language(request, user)), user=user)

    @app.exception_handler(RequestValidationError)
    def _malformed(request: Request, exc: RequestValidationError):
        # a form a browser of ours would never send: said in words, not as JSON
        user = maybe_signed_in(request, web)
        lang = web.language(request, user)
        fields = ", ".join(sorted({str(e["loc"][-1]) for e in exc.errors()})) or "?"
        long = [e for e in exc.errors() if e.get("type") == "string_too_long"]
        if long:  # a text longer than a field takes: say which, and the most it takes
            return web.page(request, "refused.html", status=400, user=user, message=_(
                lang, "Nothing was saved: %(fields)s is longer than the form takes (at most "
                "%(most)s characters). Go back: your text is still on the page you came from; "
                "shorten it and save again.", fields=", ".join(
                    sorted({str(e["loc"][-1]) for e in long})),
                most=long[0].get("ctx", {}).get("max_length", "?")))
        return web.page(request, "refused.html", status=400, user=user, message=_(
            lang, "The form was not filled in as expected "
            "(%(fields)s); go back, reload the page and try again.", fields=fields))

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException):
        user = maybe_signed_in(request, web)
        lang = web.language(request, user)
        message = {404: _(lang, "There is no such page."),
                   405: _(lang, "That page cannot be used that way.")}
        return web.page(request, "refused.html", status=exc.status_code, user=user,
                        message=message.get(exc.status_code, str(exc.detail)))

    return app
