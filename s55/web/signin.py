"""Signing in and out: a link by email, a page with one button, a session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from ..domain.errors import InvalidInput
from ..render.language import date_time, say
from ..services import signin
from ..services.context import london
from .common import COOKIE, SignedIn, WebDep, client_address, maybe_signed_in

router = APIRouter()


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, w: WebDep, next: str = "/"):
    return w.page(request, "signin.html", next=signin.safe_next(next), asked=None)


@router.post("/signin", response_class=HTMLResponse)
def signin_request(request: Request, w: WebDep, email: Annotated[str, Form(max_length=320)],
                   next: Annotated[str, Form(max_length=500)] = "/"):
    # the link is committed with a request for the route; the served process mails it
    try:
        asked = signin.request_link(
            w.ctx, email=email, next_path=next,
            client=client_address(request, w.ctx.settings.trusted_proxies))
    except InvalidInput as bad:
        problem = say(bad.rule, w.language(request, None))
        return w.page(request, "signin.html", status=400, next=signin.safe_next(next),
                      asked=None, problem=problem[:1].upper() + problem[1:])
    lang = w.language(request, None)
    return w.page(request, "signin.html", status=200 if asked.sent else 429,
                  next=signin.safe_next(next), asked=asked,
                  until=(london(asked.until) if lang == "en" else date_time(asked.until, lang))
                  if asked.until else "",
                  minutes=int(signin.LINK_LIFETIME.total_seconds() // 60))


@router.get("/signin/{token}", response_class=HTMLResponse)
def signin_link(request: Request, w: WebDep, token: str):
    """Opening the link spends nothing (mail scanners open links first): one button does."""
    problem = signin.link_problem(w.ctx, token[:100])
    return w.page(request, "signin_link.html", status=403 if problem else 200, token=token,
                  problem=problem)


@router.post("/signin/{token}")
def signin_use(request: Request, w: WebDep, token: str):
    client = client_address(request, w.ctx.settings.trusted_proxies)
    cookie, _email, next_path = signin.use_link(w.ctx, nonce=token[:100], client=client)
    response = RedirectResponse(next_path, status_code=303)
    # Secure only where the address people use is https: on plain http a browser would drop it
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax",
                        secure=w.ctx.settings.web_address.startswith("https://"),
                        max_age=int(signin.SESSION_LIFETIME.total_seconds()))
    return response


@router.post("/signout")
def signout(request: Request, w: WebDep, person: SignedIn,
            csrf: Annotated[str | None, Form()] = None):
    person.checked(csrf)
    signin.sign_out(w.ctx, request.cookies.get(COOKIE))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request, w: WebDep):
    return w.page(request, "accessibility.html", user=maybe_signed_in(request, w))


@router.get("/language/{lang}")
def choose_language(request: Request, w: WebDep, lang: str, next: str = "/"):
    """The switch on every page: read the pages in this language on this browser, then go back
    to the page it was chosen on (only ever a page of this app: never another site)."""
    from ..render.language import LANGS
    from .common import LANGUAGE_COOKIE

    if lang not in LANGS:
        raise HTTPException(404)
    back = next if next.startswith("/") and not next.startswith(("//", "/\\")) else "/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, lang, httponly=True, samesite="lax",
                        secure=w.ctx.settings.web_address.startswith("https://"),
                        max_age=365 * 24 * 3600)
    return response
