"""What every area of the web app shares: the office's context, the signed-in person, the
client's address, pages, security headers, and the wording of refusals for people on the web."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from ..domain.errors import (
    Conflict, InvalidInput, NotFound, NotPermitted, OneLanguageOnly, S55Error, StaleVersion,
    UnansweredRecommendations, WrongStage, said,
)
from ..render.environment import environment
from ..render.language import HTML_LANG, LANGS, NAMES, say
from ..services import signin
from ..services.context import Context

COOKIE = "s55_session"
LANGUAGE_COOKIE = "s55_language"  # the page language a person chose on this browser
MAX_TEXT = 50_000  # characters in one field: far more than any response needs
STATUS = {NotPermitted: 403, NotFound: 404, InvalidInput: 400, StaleVersion: 409, Conflict: 409,
          WrongStage: 409, UnansweredRecommendations: 409, OneLanguageOnly: 409}
# Every response, pages, errors, the chart and JSON alike, carries these.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
# What a page may say was done: the query string names one of these, never free text.
DONE = {
    "saved": "saved",
    "chief-officer-invited": "chief officer invited",
    "sign-off-requested": "sign-off requested",
    "sent-back": "sent back",
    "published": "released for publication (the route writes the files and sends the copies)",
    "signed-off": "signed off",
}
# The services name fields; people on the web see the words on the form.
FIELD_WORDS = {
    "text": said("Your comments"), "initial_response": said("The comments on the report"),
    "overall_comments": said("The response to the chief officer's comments"),
    "due": said("The due date"), "reason": said("Why"), "version": said("The version"),
    "to": said("Send back to"), "recommendation": said("The recommendation"),
    "email": said("Your email address"), "target": said("The target date"),
    "owner": said("The owner"), "note": said("What was done"), "evidence": said("Evidence"),
    "status": said("Status"),
}


def worded(err: S55Error, lang: str = "en") -> str:
    """A refusal in the words of the web form (fields by their labels, never CLI flags), in
    the page's language where the refusal is one the catalogue holds."""
    if not isinstance(err, InvalidInput):
        return say(err.args[0] if err.args else str(err), lang)
    field = err.field
    if m := re.fullmatch(r"kind-(\d+)", field):
        label = said("The kind of answer to recommendation %(n)s", n=m[1])
    elif m := re.fullmatch(r"answer-(\d+)", field):
        label = said("The answer to recommendation %(n)s", n=m[1])
    else:
        label = FIELD_WORDS.get(field, field.replace("_", " ").capitalize())
    return f"{say(label, lang)}: {say(err.rule, lang)}"


def day_field(field: str, text: str):
    """A form's date field (YYYY-MM-DD, as a browser's date input sends it), None if empty;
    InvalidInput naming the field otherwise."""
    from datetime import date

    try:
        return date.fromisoformat(text) if text.strip() else None
    except ValueError:
        raise InvalidInput(field, said("'%(due)s' is not a date (YYYY-MM-DD)",
                                       due=text)) from None


def in_language(row: dict, lang: str, today) -> dict:
    """A review's summary (reading.show, list_reviews) said in the page's language: where it
    stands against the 56 days, its dates, and the rules that give them (the English as the
    services say it)."""
    if lang == "en":
        return row
    from datetime import date

    from ..render import language

    def day(iso):
        return language.long_date(date.fromisoformat(iso), lang) if iso else iso

    published = date.fromisoformat(row["report_published_on"])
    last = date.fromisoformat(row["statutory_last_day"]) if row.get("statutory_last_day") \
        else None
    done = date.fromisoformat(row["published_on"]) if row.get("published_on") else None
    out = {**row, "progress": language.progress(published, last, done, lang) if done
           else language.progress_now(published, last, today, lang),
           "statutory_last_day": day(row.get("statutory_last_day"))}
    if "chief_officer_due" in row:
        out["chief_officer_due"] = day(row["chief_officer_due"])
    if "statutory_rule" in row:
        out["statutory_rule"] = language.statutory_rule(
            (last - published).days + 1 if last else None, last is not None, lang)
    if row.get("chief_officer_due_rule"):
        out["chief_officer_due_rule"] = language.due_rule(row["chief_officer_due_rule"], lang)
    return out


class SignInNeeded(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


@dataclass(frozen=True)
class Web:
    """The office this app serves and its page templates (held on app.state)."""

    ctx: Context
    pages: Environment

    @classmethod
    def for_office(cls, ctx: Context) -> Web:
        return cls(ctx, environment(ctx.settings.templates_dir))

    @property
    def welsh(self) -> bool:
        """Whether any office of this service keeps its responses in Welsh too."""
        return any(office.welsh for office in self.ctx.offices)

    def language(self, request: Request, user: Person | None) -> str:
        """The language a page is read in: the person's choice on this browser (the switch on
        every page), else their own setting (`language` in the office's list), else their
        office's first language; English where no office of the service is Welsh."""
        if not self.welsh:
            return "en"
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGS:
            return chosen
        person = self.ctx.offices.find(user.email) if user else None
        if person is not None and person.language in LANGS:
            return person.language
        if person is None:  # before anyone signs in: Welsh where every office puts it first
            return "cy" if all(o.welsh_first for o in self.ctx.offices) else "en"
        office = self.ctx.offices.serves(person.office) if person.office else None
        return "cy" if office is not None and office.welsh_first else "en"

    @property
    def name(self) -> str:
        """What the app is called before anyone signs in: the office's name, or on a
        service of many offices, s55's."""
        return "s55" if self.ctx.offices.many else self.ctx.office.name

    def page(self, request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
        user = values.pop("user", None)
        lang = self.language(request, user)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        shown = user.office if user and user.office else self.name
        if lang == "cy":  # the office's own Welsh name
            office = next((o for o in self.ctx.offices if o.name == shown), None)
            shown = (office.name_cy or office.name) if office is not None else shown
        body = environment(self.ctx.settings.templates_dir, lang).get_template(
            f"web/{name}").render(
            request=request, office=shown,
            user=user, switch=[{"lang": other, "hreflang": HTML_LANG[other],
                                "name": NAMES[other],
                                "href": f"/language/{other}?next={quote(here, safe='')}"}
                               for other in LANGS if other != lang] if self.welsh else [],
            **values)
        return HTMLResponse(body, status_code=status)


@dataclass(frozen=True)
class Person:
    """The person signed in on this request."""

    email: str
    name: str
    role: str
    csrf: str
    office: str = ""  # the name of their office ("" for a national reader)

    def checked(self, token: str | None) -> str:
        """The person's email, once the form's CSRF token is theirs."""
        if not signin.csrf_ok(self.csrf, token):
            raise NotPermitted(said("refused: the form's security token is missing or wrong; "
                                    "reload the page and try again"))
        return self.email


async def web(request: Request) -> Web:
    # async: a lookup needs no hop to the thread pool (a sync dependency costs one each)
    return request.app.state.web


def signed_in(request: Request, w: Annotated[Web, Depends(web)]) -> Person:
    found = signin.current(w.ctx, request.cookies.get(COOKIE))
    if found is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInNeeded(request.url.path + query)
    email, csrf = found
    person = w.ctx.offices.find(email)
    office = w.ctx.offices.get(person.office).name if person and person.office else ""
    return Person(email, person.name if person else email, str(person.role) if person else "",
                  csrf, office)


def maybe_signed_in(request: Request, w: Web) -> Person | None:
    try:
        return signed_in(request, w)
    except SignInNeeded:
        return None


def client_address(request: Request, trusted: tuple[str, ...]) -> str:
    """The client's address: the peer's, or, only when the peer is a proxy named in
    S55_TRUSTED_PROXIES, the nearest address in X-Forwarded-For that is not one of them."""
    peer = _address(request.client.host) if request.client else None
    if peer is None:
        return "?"
    if not trusted or not _within(peer, trusted):
        return str(peer)
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return str(peer)  # a forged or garbled header: believe the proxy itself
        if not _within(address, trusted):
            return str(address)
    return str(peer)


def _address(text: str):
    """An IP address as proxies write it: '1.2.3.4', '1.2.3.4:555', '[::1]:555', or an
    IPv4-mapped IPv6 address (taken as the IPv4 one)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def _within(ip, networks: tuple[str, ...]) -> bool:
    return any(ip in ipaddress.ip_network(n) for n in networks)


class SecurityHeaders:
    """Pure ASGI middleware (no per-request thread or buffering): adds SECURITY_HEADERS."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in have)]
            await send(message)

        await self.app(scope, receive, with_headers)


WebDep = Annotated[Web, Depends(web)]
SignedIn = Annotated[Person, Depends(signed_in)]
