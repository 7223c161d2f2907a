"""Signing in on the web: one-time links by email, sessions, CSRF tokens, and honest brakes.

- A link is single use, expires after 30 minutes, and is bound to one person in the office's
  list. It is built on S55_WEB_URL only: a request's Host header never reaches a link.
- Opening a link only shows a page with one button; pressing it (a POST) spends the link, so a
  mail scanner that opens links first spends nothing.
- Links asked for are limited per address and per client (S55_SIGNIN_LIMIT and
  S55_SIGNIN_CLIENT_LIMIT in S55_SIGNIN_WINDOW_MINUTES), counting known and unknown addresses
  alike, so the answer never says whether an address is on the list. When a request is held
  back, the page says so and until when; it never claims a link is on its way when none is.
- Failed sign-ins (a bad, used or expired link) are limited per client and put on the record.
- Only hashes of links and session cookies are stored; expired links, sessions and counted
  events are purged as new ones come.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text

from ..domain.errors import InvalidInput, NotPermitted, said
from ..mail.compose import compose, compose_bilingual
from ..render import language
from ..store import repo
from ..store.models import SignInEvent, SignInToken, WebSession
from .context import Context, as_utc, london
from . import requests
from .mailing import outbox_row

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=8)
MAX_FAILURES = 5  # failed sign-ins from one client in the window before it is held back
KEEP_SPENT = timedelta(days=1)  # a used or expired link still says so for a day, then goes


@dataclass(frozen=True)
class Asked:
    """What the person who asked for a link may be told (the same for any address)."""

    held_back: str = ""  # why no link is coming, or "" (a link is on its way if on the list)
    until: datetime | None = None  # when asking again will work

    @property
    def sent(self) -> bool:
        return not self.held_back


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def window(ctx: Context) -> timedelta:
    return timedelta(minutes=ctx.settings.signin_window_minutes)


def safe_next(path: str | None) -> str:
    """Only a path on this site: never an address elsewhere (an open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# (key prefix, kind, limit setting or number, what the person is told)
ASKING = (("email", "asked", "signin_limit",
           said("sign-in links have been asked for that address")),
          ("client", "asked", "signin_client_limit",
           said("sign-in links have been asked for from your network")),
          ("client", "failed", MAX_FAILURES, said("sign-ins have failed from your network")))
FAILING = (ASKING[2],)


def request_link(ctx: Context, *, email: str, next_path: str, client: str) -> Asked:
    """Mail a sign-in link to a person on the list, within the limits; the answer, and the
    work done before it, are the same whether or not the address is on the list."""
    at = ctx.now()
    address = email.strip()
    if len(address) > 320 or not ADDRESS.fullmatch(address):
        raise InvalidInput("email", said("give your email address, e.g. name@example.org"))
    person = ctx.offices.find(address)
    office = ctx.offices.get(person.office) if person and person.office else None
    nonce = secrets.token_urlsafe(32)
    # composed for everyone, so that a listed address takes no longer to answer
    values = {"recipient_name": person.name if person else address,
            "link": f"{ctx.settings.web_address}/signin/{nonce}",
            "expires": london(at + LINK_LIFETIME), "office": office.name if office else "s55"}
    message = compose("signin", values, ctx.templates(office))
    if any(o.welsh for o in ctx.offices):
        # a Welsh office's people get it in both languages; composed for everyone on such a
        # service, again so that no address answers sooner than another
        both = compose_bilingual("signin", values, {
            **values, "expires": language.date_time(at + LINK_LIFETIME, "cy"),
            "office": (office.name_cy or office.name) if office else "s55"},
            ctx.templates(office), welsh_first=bool(office and office.welsh_first))
        if office is not None and office.welsh:
            message = both
    with ctx.uow() as session:
        # the limits are counted and recorded in one transaction, one request at a time
        # (SQLite: its write lock; PostgreSQL: an advisory lock), so that twenty requests at
        # once get three links, not sixteen
        _one_at_a_time(session)
        held = _held_back(session, ctx, at, ASKING, email=address.casefold(), client=client)
        if held.held_back:
            return held
        _purge(session, ctx, at)
        for key in (f"email:{address.casefold()}", f"client:{client}"):
            session.add(SignInEvent(kind="asked", key=key, at=at))
        if person is None:
            repo.append_audit(session, at=at.isoformat(), actor=address[:320], role="",
                              acting_for="", action="refused: web sign-in", ref="", version="",
                              details={"client": client,
                                       "reason": "sign-in link asked for an address not on the "
                                                 "list"})
            return Asked()
        session.add(SignInToken(nonce=_digest(nonce), email=person.email,
                                next_path=safe_next(next_path), expires_at=at + LINK_LIFETIME))
        # the Message-ID comes from the hash of the link, never from the link itself
        session.add(outbox_row(
            review_id=None, key=_digest(nonce), version="",
            purpose=f"signin:{_digest(nonce)[:16]}", template="signin", email=person.email,
            name=person.name, message=message, at=at))
        # the served process delivers it; the web request never waits on a mail server
        requests.request(session, None, cause="sign-in link", by=person.email, at=at)
    return Asked()


def _one_at_a_time(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(55057)"))


def _held_back(session, ctx: Context, at: datetime, limits, *, email: str = "",
               client: str) -> Asked:
    """The first limit reached, with when it lifts; or Asked() when none is."""
    since = at - window(ctx)
    keys = {"email": f"email:{email}", "client": f"client:{client}"}
    for prefix, kind, limit, what in limits:
        limit = getattr(ctx.settings, limit) if isinstance(limit, str) else limit
        times = session.execute(
            select(SignInEvent.at).where(SignInEvent.kind == kind,
                                         SignInEvent.key == keys[prefix], SignInEvent.at >= since)
            .order_by(SignInEvent.at.desc()).limit(limit)).scalars().all()
        if len(times) >= limit:
            until = as_utc(times[-1]) + window(ctx)
            minutes = ctx.settings.signin_window_minutes
            return Asked(said("%(limit)s or more %(what)s in the last %(minutes)s minutes",
                              limit=limit, what=what, minutes=minutes), until)
    return Asked()


def link_problem(ctx: Context, nonce: str) -> str:
    """Why this link cannot sign anyone in, or "" (a look only: nothing is spent or counted)."""
    with ctx.uow(read=True) as session:
        return _problem(session.get(SignInToken, _digest(nonce)), ctx.now())


def _problem(token: SignInToken | None, at: datetime) -> str:
    return (said("this sign-in link is not valid") if token is None
            else said("this sign-in link has been used already") if token.used_at
            else said("this sign-in link has expired") if as_utc(token.expires_at) < at else "")


def use_link(ctx: Context, *, nonce: str, client: str) -> tuple[str, str, str]:
    """Spend a link: (session cookie, email, where to go next). Refused if used or expired, or
    while too many sign-ins have failed from this client."""
    at = ctx.now()
    with ctx.uow(read=True) as session:
        held = _held_back(session, ctx, at, FAILING, client=client)
    if held.held_back:
        raise NotPermitted(said("refused: %(why)s; try again after %(when)s",
                                why=held.held_back, when=london(held.until)))
    with ctx.uow() as session:
        token = session.get(SignInToken, _digest(nonce), with_for_update=True)
        problem = _problem(token, at)
        if not problem:
            token.used_at = at
            cookie = secrets.token_urlsafe(32)
            session.add(WebSession(id_hash=_digest(cookie), email=token.email,
                                   csrf=secrets.token_urlsafe(32), created_at=at,
                                   expires_at=at + SESSION_LIFETIME))
            repo.append_audit(session, at=at.isoformat(), actor=token.email, role="",
                              acting_for="", action="signed in on the web", ref="", version="",
                              details={"client": client})
            return cookie, token.email, token.next_path
    failure(ctx, "(link)", client, problem)
    raise NotPermitted(said("refused: %(problem)s; ask for a new one", problem=problem))


def current(ctx: Context, cookie: str | None) -> tuple[str, str] | None:
    """(email, csrf token) of a live session, or None."""
    if not cookie:
        return None
    with ctx.uow(read=True) as session:
        row = session.get(WebSession, _digest(cookie))
        if row is None or as_utc(row.expires_at) < ctx.now():
            return None
        return row.email, row.csrf


def sign_out(ctx: Context, cookie: str | None) -> None:
    if cookie:
        with ctx.uow() as session:
            session.execute(delete(WebSession).where(WebSession.id_hash == _digest(cookie)))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given)


def failure(ctx: Context, who: str, client: str, why: str) -> None:
    """Count a failed sign-in against the client, and put it on the record."""
    at = ctx.now()
    with ctx.uow() as session:
        session.add(SignInEvent(kind="failed", key=f"client:{client}", at=at))
        repo.append_audit(session, at=at.isoformat(), actor=who, role="", acting_for="",
                          action="refused: web sign-in", ref="", version="",
                          details={"client": client, "reason": why})


def _purge(session, ctx: Context, at: datetime) -> None:
    """Links, sessions and counted events that can no longer matter."""
    session.execute(delete(SignInToken).where(SignInToken.expires_at < at - KEEP_SPENT))
    session.execute(delete(WebSession).where(WebSession.expires_at < at))
    session.execute(delete(SignInEvent).where(SignInEvent.at < at - window(ctx)))


def purge(ctx: Context) -> None:
    """What `s55 serve` runs now and then, so a quiet office keeps nothing stale either."""
    with ctx.uow() as session:
        _purge(session, ctx, ctx.now())


def counts(ctx: Context) -> dict[str, int]:
    """How many links, sessions and counted events are kept (what the purge leaves)."""
    with ctx.uow(read=True) as session:
        return {name: session.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in (("links", SignInToken), ("sessions", WebSession),
                                    ("events", SignInEvent))}
