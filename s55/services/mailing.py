"""The transactional outbox: messages are written with the decision that causes them, keyed by
(record, version, purpose, recipient), and delivered later by the route, exactly once."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy.orm import Session

from ..config import load_recipients
from ..domain import deadlines
from ..domain.record import Record
from ..domain.workflow import NOTICES, Role, Stage
from ..mail.compose import Composed, compose, compose_bilingual
from ..render import language
from ..mail.transport import Result, transport_for
from ..store import repo
from ..store.models import OutboxMessage, Publication, Review
from . import requests
from .context import LONDON, Context, as_utc, london_date, long_date


def recipients(ctx: Context, office, to: str) -> list[tuple[str, str]]:
    """(name, email) pairs for an audience of an office's review: a role's office holders, or
    the configured lists (the office's own recipients.yaml, else the shared one)."""
    config = load_recipients(ctx.config_file(office, "recipients.yaml"))
    if to == "statutory":
        return [(r["name"], r["email"]) for r in config["statutory"].values()]
    holders = office.directory.holders
    if to == "customary":
        people = holders(Role.CHIEF_OFFICER) + holders(Role.LOCAL_POLICING_BODY)
        return [(p.name, p.email) for p in people] + [(r["name"], r["email"])
                                                      for r in config["customary"]]
    return [(p.name, p.email) for p in holders(Role(to))]


def mail_context(ctx: Context, session: Session, row: Review, record: Record,
                 pub: Publication | None, lang: str = "en") -> dict:
    """Everything a message may say; the dates come with how each was worked out. In Welsh
    (`lang='cy'`, a bilingual record): the record's Welsh names and titles and items, Babel's
    dates, the rules said in Welsh, the Welsh page."""
    if lang == "cy":
        english = mail_context(ctx, session, row, record, pub)
        published_on = london_date(pub.requested_at) if pub else None
        office = ctx.office_of(row)
        today = ctx.today()
        return {**english, "force": record.cy.force, "title": record.cy.title,
                "statutory_rule": language.statutory_rule(
                    ctx.kind(row.kind).statutory_period_days, row.statutory_last_day is not None,
                    "cy"),
                "chief_officer_due_long": language.long_date(row.chief_officer_due, "cy")
                if row.chief_officer_due else "",
                "chief_officer_due_rule": language.due_rule(english["chief_officer_due_rule"],
                                                            "cy"),
                "unanswered": [language._("cy", "recommendation %(n)s: %(text)s", n=n,
                                          text=(item.cy_text or item.text)[:100])
                               for n, item in record.unanswered_recommendations()],
                "lpb_title": record.cy.local_policing_body,
                "chief_officer_title": record.cy.chief_officer,
                "office": office.name_cy or office.name,
                "report_published_long": language.long_date(row.report_published_on, "cy"),
                "statutory_last_day_long": language.long_date(row.statutory_last_day, "cy"),
                "published_on_long": language.long_date(published_on, "cy")
                if published_on else "",
                "progress": language.progress(row.report_published_on, row.statutory_last_day,
                                              published_on, "cy")
                if published_on and pub.published_at else
                language.progress_now(row.report_published_on, row.statutory_last_day, today,
                                      "cy"),
                "page_url": page_url(ctx, row, "cy")}
    today = ctx.today()
    published_on = london_date(pub.requested_at) if pub else None
    rules = ctx.kind(row.kind)
    # the chain's head as the publication left it: the statutory copies carry it, so the
    # inspectorate and the Home Office hold an anchor of the audit trail outside our database
    anchor = next((e for e in reversed(repo.audit_entries(session, row.ref, "published"))
                   if e.version == pub.version), None) if pub and pub.published_at else None
    return {
        "anchor_seq": anchor.seq if anchor else None, "anchor_hash": anchor.hash if anchor else "",
        "ref": row.ref, "force": row.force, "title": row.title, "version": row.current_version,
        "office": ctx.office_of(row).name,
        "lpb_title": record.local_policing_body.title,
        "chief_officer_title": record.chief_officer.title,
        "report_published_long": long_date(row.report_published_on),
        "statutory_last_day_long": long_date(row.statutory_last_day),
        "statutory_rule": statutory_rule(row, rules.statutory_period_days),
        "progress": deadlines.progress(row.report_published_on, row.statutory_last_day, today,
                                       done_on=published_on),
        "chief_officer_due_long": long_date(row.chief_officer_due) if row.chief_officer_due else "",
        "chief_officer_due_rule": repo.due_rule(session, row) or "",
        "unanswered": [f"recommendation {n}: {item.text[:100]}"
                       for n, item in record.unanswered_recommendations()],
        "published_on_long": long_date(published_on) if published_on else "",
        "page_url": page_url(ctx, row),
        # the version travels in the link: the page says so if it is no longer current
        "review_url": f"{ctx.settings.web_address}/reviews/{row.ref}"
                      f"?version={row.current_version}",
    }


def statutory_rule(row: Review, period_days: int | None) -> str:
    if row.statutory_last_day is None:
        return "No statutory deadline applies to this response."
    return (f"s55(5A): publication before the end of the {period_days} days beginning with the "
            f"day the report was published, so by the publication date plus {period_days - 1} "
            "calendar days.")


def page_url(ctx: Context, row: Review, lang: str = "en") -> str:
    page = "index.cy.html" if lang == "cy" else "index.html"
    return f"{ctx.site_address(ctx.office_of(row))}/responses/{row.ref}/{page}"


def cancel_superseded(session: Session, row: Review, *, keep_round: bool) -> int:
    """Unsent messages that no longer apply: another round's (after a decision moved the review),
    or a sign-off request naming a version that is no longer current. They stay on the record."""
    cancelled = 0
    for msg in repo.outbox(session, review_id=row.id, statuses=("pending", "failed")):
        other_round = not msg.purpose.endswith(f"#{row.stage_seq}")
        stale = msg.version not in ("", row.current_version)
        if (other_round and not keep_round) or stale:
            msg.status = "cancelled"
            msg.last_error = ("superseded: the review moved on before this was sent"
                              if other_round else "superseded: a newer version was sent instead")
            cancelled += 1
    return cancelled


def enqueue(ctx: Context, session: Session, row: Review, *, at: datetime,
            pub: Publication | None = None, moved: bool = False) -> int:
    """Write the messages the review's stage calls for, unless written already; returns how many."""
    cancel_superseded(session, row, keep_round=not moved)
    written = 0
    context = welsh = None  # worked out only if a message is to be written (most write none)
    office = ctx.office_of(row)
    for notice in NOTICES.get(Stage(row.stage), ()):
        version = row.current_version if notice.per_version else ""
        purpose = f"{notice.template} #{row.stage_seq}"
        attachments = _attachments(pub) if notice.template == "statutory_copy" else []
        for name, email in recipients(ctx, office, notice.to):
            if repo.outbox_has(session, row.id, version, purpose, email):
                continue
            if context is None:
                record = repo.current_record(session, row)
                context = mail_context(ctx, session, row, record, pub)
                # a Welsh office's messages go in both languages (every text of every message
                # has its Welsh in the catalogue: tests/unit/test_catalogue.py)
                welsh = mail_context(ctx, session, row, record, pub, "cy") \
                    if office.welsh and record.bilingual else None
            who = {"recipient": email, "recipient_name": name}
            if welsh is not None:
                message = compose_bilingual(notice.template, {**context, **who},
                                            {**welsh, **who}, ctx.templates(office),
                                            welsh_first=office.welsh_first)
            else:
                message = compose(notice.template, {**context, **who}, ctx.templates(office))
            session.add(outbox_row(
                review_id=row.id, key=f"{row.ref}|{version}|{purpose}|{email}", version=version,
                purpose=purpose, template=notice.template, email=email, name=name,
                message=message, at=at, attachments=attachments))
            written += 1
    return written


def outbox_row(*, review_id: int | None, key: str, version: str, purpose: str, template: str,
               email: str, name: str, message: Composed | None, at: datetime,
               attachments: list | None = None, status: str = "pending",
               error: str = "") -> OutboxMessage:
    """One outbox row; its Message-ID is derived from `key`, so a resend keeps the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return OutboxMessage(
        review_id=review_id, version=version, purpose=purpose, template=template,
        recipient=email, recipient_name=name, subject=message.subject if message else "",
        body_text=message.text if message else "", body_html=message.html if message else "",
        attachments=attachments or [], status=status, attempts=0, last_error=error,
        created_at=at, message_id=f"<{digest[:32]}@s55.invalid>")


def _attachments(pub: Publication | None) -> list[dict]:
    """The published PDF (and a bilingual response's Welsh PDF): what the copies carry."""
    files = (pub.files or {}) if pub else {}
    return [{"path": pdf["path"], "filename": Path(pdf["path"]).name, "sha256": pdf["sha256"]}
            for pdf in (files.get("pdf_cy"), files.get("pdf")) if pdf]


def build(ctx: Context, msg: OutboxMessage, office=None) -> EmailMessage:
    """The message as sent (about a review of `office`, or about none): text and HTML
    alternatives, attachments checked against their hash."""
    email = EmailMessage()
    email["From"] = (office.mail_from if office is not None else "") or ctx.settings.mail_from
    email["To"] = formataddr((msg.recipient_name, msg.recipient))
    email["Subject"] = msg.subject
    email["Message-ID"] = msg.message_id
    # local time with its real offset (+0000 or +0100); SQLite hands the time back naive
    email["Date"] = format_datetime(as_utc(msg.created_at).astimezone(LONDON))
    email.set_content(msg.body_text)
    email.add_alternative(msg.body_html, subtype="html")
    for item in msg.attachments:
        if item.get("papers"):  # an office's paper kept off its site (a board's report)
            site = ctx.papers(ctx.offices.get(item["papers"]))
        elif item.get("office"):  # a file of an office's site, in mail about no one review
            site = ctx.site(ctx.offices.get(item["office"]))
        else:
            site = ctx.site(office) if office is not None else ctx.settings.site
        data = (site / item["path"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise ValueError(f"{item['path']} no longer matches the published file's SHA-256")
        maintype, subtype = item.get("type", "application/pdf").split("/")
        email.add_attachment(data, maintype=maintype, subtype=subtype,
                             filename=item["filename"])
    return email


SENDING_LEASE = timedelta(minutes=10)  # a claim older than this is taken to be abandoned


def deliver(ctx: Context, ref: str | None, *, at: datetime | None = None) -> dict:
    """Send the review's pending (and earlier failed) messages, each once, recording each outcome
    the moment it is known. `ref=None` sends the messages about no review (sign-in links).

    Each message is claimed ("sending") in a transaction of its own before it goes to the
    transport, so any number of deliverers at once (threads, runs, sweeps, workers) send it
    once. The one window left: a message that the server accepted just before a crash is
    sent again after the claim is released, with the same Message-ID.
    """
    owner = requests.this_process()
    outcome = {"sent": [], "failed": [], "retry": [], "unreachable": False}
    tried: set[int] = set()
    with ctx.uow(read=True) as session:
        review_id = repo.review(session, ref).id if ref else None
    with transport_for(ctx.settings) as transport:
        while (claimed := _claim_next(ctx, review_id, owner, tried)) is not None:
            mid, key, email, error = claimed
            tried.add(mid)
            result = transport.send(key, email) if email is not None else Result(False, True, error)
            outcome["unreachable"] |= result.unreachable
            with ctx.uow() as session:
                _record(session, mid, at or ctx.now(), result, outcome)
    return outcome


def file_key(msg: OutboxMessage) -> str:
    """The name of a message's .eml file: its row, and a digest of its Message-ID and the
    moment the row was written. A resend of the same row finds its file (sent before); a new
    message whose row takes a number and even a Message-ID an older one had (the database
    restored from a backup beside a newer outbox folder, the decision taken again) gets a
    file of its own instead of being taken for that one, already sent."""
    seed = f"{msg.message_id}|{as_utc(msg.created_at).isoformat()}"
    return f"{msg.id:06d}-{hashlib.sha256(seed.encode()).hexdigest()[:12]}"


def _claim_next(ctx: Context, review_id: int | None, owner: str, tried: set[int]
                ) -> tuple[int, str, EmailMessage | None, str] | None:
    """Claim one message: (id, file key, message or None, why it cannot be built)."""
    now = ctx.now()
    with ctx.uow() as session:
        for msg in repo.claimable(session, review_id, exclude=tried):
            if msg.status == "sending" and not requests.abandoned(
                    msg.claimed_by, msg.claimed_at and msg.claimed_at + SENDING_LEASE, now):
                continue
            msg.status, msg.claimed_by, msg.claimed_at = "sending", owner, now
            office = (ctx.office_of(session.get(Review, msg.review_id))
                      if msg.review_id is not None else None)
            try:
                return msg.id, file_key(msg), build(ctx, msg, office), ""
            except (OSError, ValueError) as err:
                return msg.id, file_key(msg), None, str(err)
    return None


def _record(session: Session, mid: int, at: datetime, result: Result, outcome: dict) -> None:
    msg = session.get(OutboxMessage, mid)
    ref = msg.review_id and session.get(Review, msg.review_id).ref or ""
    msg.attempts += 1
    msg.claimed_by, msg.claimed_at = "", None
    line = f"{msg.template}: {msg.recipient}"
    if result.ok:
        msg.status, msg.sent_at, msg.last_error = "sent", at, ""
        outcome["sent"].append(line)
        if msg.template == "signin":  # the link itself is a secret: the trail says only that it went
            spend_link_copy(msg)
            return
        repo.append_audit(session, at=at.isoformat(), actor="s55", role="automated",
                          acting_for="", action=f"sent: {msg.template.replace('_', ' ')}",
                          ref=ref, version=msg.version,
                          details={"to": msg.recipient, "subject": msg.subject,
                                   "message_id": msg.message_id, "sent_at": at.isoformat()})
    else:
        msg.status, msg.last_error = ("failed" if result.permanent else "pending"), result.error
        outcome["failed" if result.permanent else "retry"].append(f"{line}: {result.error}")
        if msg.template == "signin" and result.permanent:
            spend_link_copy(msg)


SIGNIN_LINK = re.compile(r"/signin/[A-Za-z0-9_-]+")


def spend_link_copy(msg: OutboxMessage) -> None:
    """The stored copy of a sign-in message keeps no live token once it has gone (or never
    will): whoever reads the outbox table later finds no way in."""
    gone = "/signin/(link removed from the stored copy once sent)"
    msg.body_text = SIGNIN_LINK.sub(gone, msg.body_text)
    msg.body_html = SIGNIN_LINK.sub(gone, msg.body_html)


def outbox_rows(ctx: Context, *, status: str | None = None, office: str | None = None
                ) -> list[dict]:
    """The outbox: of one office (its reviews' messages, and its people's sign-in links), or
    of every office (office None)."""
    people = ({p.email.casefold() for p in ctx.offices.get(office).directory.people}
              if office is not None else set())
    with ctx.uow(read=True) as session:
        refs = {r.id: r.ref for r in repo.reviews(session, office=office)}
        return [{"id": m.id, "ref": refs.get(m.review_id, "?"), "template": m.template,
                 "recipient": m.recipient, "status": m.status, "attempts": m.attempts,
                 "last_error": m.last_error, "subject": m.subject,
                 "created_at": m.created_at.isoformat(),
                 "sent_at": m.sent_at.isoformat() if m.sent_at else None}
                for m in repo.outbox(session, statuses=(status,) if status else ())
                if office is None or m.review_id in refs
                or (m.review_id is None and m.recipient.casefold() in people)]
