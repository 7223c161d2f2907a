"""Signing in on the web: one-time links by email, sessions, CSRF tokens, and a brake on guessing.

A link is single use, expires, and is bound to one person in the office's list. Only
hashes of session cookies are stored. Failed attempts are limited and recorded in the
audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select

from ..domain.errors import NotPermitted
from ..mail.compose import compose
from ..store import repo
from ..store.models import SignInFailure, SignInToken, WebSession
from .context import Context, as_utc, london
from . import requests
from .mailing import outbox_row

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=8)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def safe_next(path: str | None) -> str:
    """Only a path on this site: never an address elsewhere (an open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def request_link(ctx: Context, *, email: str, next_path: str, base_url: str, client: str) -> bool:
    """Mail a sign-in link to a person on the list; say nothing either way to the asker."""
    if too_many_failures(ctx, email, client):
        return False
    person = ctx.office.directory.find(email)
    if person is None:
        failure(ctx, email, client, "sign-in link asked for an address not on the list")
        return False
    nonce = secrets.token_urlsafe(32)
    at = ctx.now()
    link = f"{base_url.rstrip('/')}/signin/{nonce}"
    message = compose("signin", {"recipient_name": person.name, "link": link,
                                 "expires": london(at + LINK_LIFETIME), "office": ctx.office.name},
                      ctx.settings.templates_dir)
    with ctx.uow() as session:
        session.add(SignInToken(nonce=_digest(nonce), email=person.email,
                                next_path=safe_next(next_path), expires_at=at + LINK_LIFETIME))
        # the Message-ID comes from the hash of the link, never from the link itself
        session.add(outbox_row(
            review_id=None, key=_digest(nonce), version="",
            purpose=f"signin:{_digest(nonce)[:16]}", template="signin", email=person.email,
            name=person.name, message=message, at=at))
        # the served process delivers it; the web request never waits on a mail server
        requests.request(session, None, cause="sign-in link", by=person.email, at=at)
    return True


def use_link(ctx: Context, *, nonce: str, client: str) -> tuple[str, str, str]:
    """Spend a link: (session cookie, email, where to go next). Refused if used or expired."""
    at = ctx.now()
    with ctx.uow() as session:
        token = session.get(SignInToken, _digest(nonce), with_for_update=True)
        problem = ("this sign-in link is not valid" if token is None
                   else "this sign-in link has been used already" if token.used_at
                   else "this sign-in link has expired" if as_utc(token.expires_at) < at else "")
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
    raise NotPermitted(f"refused: {problem}; ask for a new one")


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
    """Count a failed attempt against the address and the client, and put it on the record."""
    at = ctx.now()
    with ctx.uow() as session:
        for key in (f"email:{who.casefold()}", f"client:{client}"):
            session.add(SignInFailure(key=key, at=at))
        repo.append_audit(session, at=at.isoformat(), actor=who, role="", acting_for="",
                          action="refused: web sign-in", ref="", version="",
                          details={"client": client, "reason": why})


def too_many_failures(ctx: Context, email: str, client: str) -> bool:
    """Too many recent failures for this address, or from this client, each counted alone."""
    since = ctx.now() - FAILURE_WINDOW
    with ctx.uow(read=True) as session:
        counts = session.execute(
            select(SignInFailure.key, func.count()).where(
                SignInFailure.key.in_((f"email:{email.casefold()}", f"client:{client}")),
                SignInFailure.at >= since).group_by(SignInFailure.key)).all()
    return any(count >= MAX_FAILURES for _key, count in counts)
