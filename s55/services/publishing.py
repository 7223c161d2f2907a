"""Publication: a person asks for it; the route renders, writes the site, and sends the copies.

s55(5): the body arranges for publication of its comments, the chief officer's comments
and its response to them. s55(6): a copy goes to the inspectors and the Secretary of State.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from ..domain import deadlines
from ..domain.errors import Day, InvalidInput, WrongStage, said
from ..domain.people import acting_phrase
from ..domain.workflow import Action, Stage, route_transition
from ..mail.transport import atomic_write
from ..housestyle import format_part
from ..render import language
from ..render.language import HTML_LANG
from ..render.record import render_html, render_pdf, render_text
from ..render.environment import environment
from ..render.site import render_feed, render_index
from ..store import repo
from ..store.models import OutboxMessage, Publication, Review
from . import anchoring
from .actions import open_for_review
from .context import Context, as_utc, london, london_date, long_date
from .deciding import deciding
from .mailing import enqueue, page_url
from .route import refuse_incomplete


def request_publication(ctx: Context, *, actor: str | None, ref: str, late_reason: str = "") -> str:
    """Publish the signed-off version; refused unless the current text is exactly what was signed.
    After the statutory last day it also needs the reason, which the compliance report shows."""
    with deciding(ctx, ref, actor, Action.PUBLISH) as d:
        row = d.review
        released = repo.publication(d.session, row.id)
        if released is not None and released.version == row.current_version:
            raise WrongStage(said(
                "refused: version %(version)s of %(ref)s was released for publication by "
                "%(who)s on %(when)s; the route is publishing it (`s55 show %(ref)s`; `s55 "
                "advance %(ref)s` runs it now)", version=released.version[:12], ref=ref,
                who=released.requested_by, when=london(released.requested_at)))
        late = deadlines.days_left(row.statutory_last_day, ctx.today())
        if late is not None and late <= 0 and not late_reason.strip():
            raise InvalidInput("reason", said(
                "%(ref)s is late by %(days)s days (the statutory last day was %(last)s): say "
                "why", ref=ref, days=1 - late, last=Day(row.statutory_last_day,
                                                       long_date(row.statutory_last_day))))
        if row.current_version != row.signed_off_version:
            raise WrongStage(said(
                "refused: the current version %(current)s is not the signed-off version "
                "%(signed)s; only signed-off text is published",
                current=row.current_version[:12], signed=(row.signed_off_version or "none")[:12]))
        refuse_incomplete(d.record(), ctx.kind(row.kind).answer_every_recommendation,
                          "publication")
        if released is not None:  # an earlier release never carried out (cannot stand now)
            d.session.delete(released)
            d.session.flush()
        d.session.add(Publication(review_id=row.id, version=row.current_version,
                                  requested_by=d.person.email, requested_at=d.at, files={},
                                  progress="", late_reason=late_reason.strip()))
        d.details["published_version"] = row.current_version
        if late_reason.strip():
            d.details["late_reason"] = late_reason.strip()
        return row.current_version


def _meta(ctx: Context, session, row: Review, pub: Publication, *, welsh: bool = False
          ) -> tuple[dict, dict]:
    """What the published files say of the publication, in English, and (`welsh`) the same
    facts in Welsh: Babel's dates and numbers, the catalogue's words ({} when not asked)."""
    published_on = london_date(pub.requested_at)
    office = ctx.office_of(row)
    directory = office.directory
    entry = next(e for e in reversed(repo.audit_entries(session, row.ref))
                 if e.action == str(Action.SIGN_OFF) and e.version == pub.version)
    person = directory.find(entry.actor)
    holder = directory.find(entry.acting_for) if entry.acting_for else person
    meta = {
        "ref": row.ref, "version": pub.version, "office": office.name,
        "published_at_iso": as_utc(pub.requested_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "published_on_long": long_date(published_on),
        "progress": deadlines.progress(row.report_published_on, row.statutory_last_day,
                                       published_on, done_on=published_on),
        "signed_off_by": acting_phrase(person, holder) if person else entry.actor,
        "signed_off_at": london(entry.at),
        "report_published_long": long_date(row.report_published_on),
        "statutory_last_day_long": long_date(row.statutory_last_day),
        "page_url": page_url(ctx, row),
    }
    if not welsh:
        return meta, {}
    return meta, {
        **meta, "office": office.name_cy or office.name,
        "published_on_long": language.long_date(published_on, "cy"),
        "progress": language.progress(row.report_published_on, row.statutory_last_day,
                                      published_on, "cy"),
        "progress_short": language.progress(row.report_published_on, row.statutory_last_day,
                                            published_on, "cy", short=True),
        "signed_off_by": (language._("cy", "%(who)s for %(holder)s", who=person.name,
                                     holder=holder.name)
                          if person and holder is not person else
                          person.name if person else entry.actor),
        "signed_off_at": language.date_time(as_utc(entry.at), "cy"),
        "report_published_long": language.long_date(row.report_published_on, "cy"),
        "statutory_last_day_long": language.long_date(row.statutory_last_day, "cy"),
        "page_url": page_url(ctx, row, "cy"),
    }


def publish_site(ctx: Context, ref: str, *, at: datetime | None = None) -> dict | None:
    """Render and write the record's files and the site's index and feed, then mark it published.

    Every file is written whole (temporary file, then rename), every run writes all of
    them and records the hashes of what it wrote, and the review is marked published only
    after the last file: after a crash anywhere in between, running this again finishes.
    """
    with ctx.uow() as session:
        row = repo.review(session, ref)
        pub = repo.publication(session, row.id)
        if row.stage != Stage.SIGNED_OFF or pub is None or pub.published_at is not None:
            return None
        record = repo.record_at(session, row, pub.version)
        meta, meta_cy = _meta(ctx, session, row, pub, welsh=record.bilingual)
        office = ctx.office_of(row)
        done = [(r, p) for r, p in repo.publications_done(session, office.force_id)
                if r.id != row.id]
        listing = [_listing(r, p, session) for r, p in done]
    templates, site = ctx.templates(office), ctx.site(office)
    if record.bilingual:  # each page names the other, in its own language
        meta["alternates"] = [
            {"lang": lang, "hreflang": HTML_LANG[lang], "name": language.NAMES[lang],
             "href": page_url(ctx, row, lang)} for lang in ("en", "cy")]
    page = render_html(record, meta, templates)
    outputs = {"page": (f"responses/{ref}/index.html", page.encode()),
               "text": (f"responses/{ref}/{ref}.txt", render_text(record, meta, templates).encode()),
               "pdf": (f"responses/{ref}/{ref}.pdf", render_pdf(page, meta))}
    if record.bilingual:
        # Welsh Language Standards: the Welsh record published as the English is, beside it
        # (names of their own, so that a bundle's files/ holds both)
        meta_cy["alternates"] = meta["alternates"]
        welsh = render_html(record.in_language("cy"), meta_cy, templates, lang="cy")
        outputs |= {
            "page_cy": (f"responses/{ref}/index.cy.html", welsh.encode()),
            "text_cy": (f"responses/{ref}/{ref}.cy.txt",
                        format_part(record.in_language("cy"), pub.version, "cy").encode()),
            "pdf_cy": (f"responses/{ref}/{ref}.cy.pdf", render_pdf(welsh, meta_cy))}
    files = {}
    for name, (path, data) in outputs.items():
        atomic_write(site / path, data, public=True)
        files[name] = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    listing.insert(0, _listing_from(row, meta, files, record, pub))
    _write_index(ctx, office, listing)
    with ctx.uow() as session:
        row = repo.review(session, ref)
        pub = repo.publication(session, row.id)
        if row.stage != Stage.SIGNED_OFF or pub.published_at is not None:
            return None  # another run finished it first
        at = at or ctx.now()
        pub.published_at, pub.files, pub.progress = at, files, meta["progress"]
        row.stage, row.updated_at = str(route_transition(Action.RECORD_PUBLICATION, row.stage)), at
        entry = repo.append_audit(
            session, at=at.isoformat(), actor="s55", role="automated", acting_for="",
            action="published", ref=ref, version=pub.version,
            details={"page_url": meta["page_url"], "progress": meta["progress"],
                     "files": files})
        row.stage_seq = entry.seq
        enqueue(ctx, session, row, at=at, pub=pub, moved=True)  # the copies carry this entry
    refresh_site(ctx, office)  # after the commit, so that it counts this publication
    anchoring.record(ctx, office, seq=entry.seq, digest=entry.hash, why=f"published {ref}", at=at)
    return files


def refresh_site(ctx: Context, office, timeliness: bool = True) -> None:
    """An office's index, feed and (unless `timeliness` is False: nothing it shows changed)
    timeliness page from the database, one writer at a time: two publications at once would
    otherwise each leave the other out of the index."""
    import fcntl

    lock = ctx.settings.home / "locks" / f"site-{office.force_id}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with ctx.uow(read=True) as session:
            listing = [_listing(r, p, session)
                       for r, p in repo.publications_done(session, office.force_id)]
        _write_index(ctx, office, listing)
        if timeliness:
            write_compliance_page(ctx, office)


def write_compliance_page(ctx: Context, office, year: int | None = None) -> dict:
    """An office's timeliness page and its chart on its site, regenerated from the database;
    a Welsh office's in Welsh too (compliance.cy.html: the Welsh titles, dates and words),
    each page linking the other."""
    from .compliance import chart_svg, describe_year, report

    data = report(ctx, actor=None, year=year, check=False, office=office.force_id)
    site, templates = ctx.site(office), ctx.templates(office)
    pages = [("en", "", office.name, data)]
    alternates = []
    if office.welsh:
        alternates = [{"lang": lang, "hreflang": HTML_LANG[lang], "name": language.NAMES[lang],
                       "href": f"{ctx.site_address(office)}/{name}"}
                      for lang, name in (("en", "compliance.html"), ("cy", "compliance.cy.html"))]
        pages.append(("cy", ".cy", office.name_cy or office.name, _in_welsh(ctx, office, data)))
    for lang, suffix, name, shown in pages:
        atomic_write(site / f"compliance{suffix}.svg", chart_svg(shown, name, lang),
                     public=True)
        page = environment(templates, lang).get_template("site/compliance.html").render(
            office=name, data=shown, scope=describe_year(year, lang), suffix=suffix,
            alternates=alternates)
        atomic_write(site / f"compliance{suffix}.html", page.encode(), public=True)
    return data


def _in_welsh(ctx: Context, office, data: dict) -> dict:
    """The timeliness rows as the Welsh page gives them: a bilingual response's Welsh title,
    force and page; every date in Welsh."""
    from datetime import date as day

    with ctx.uow(read=True) as session:
        welsh = {row.ref: _listing(row, pub, session).get("cy", {})
                 for row, pub in repo.publications_done(session, office.force_id)}
    rows = []
    for row in data["rows"]:
        cy = welsh.get(row["ref"], {})
        rows.append({**row, "title": cy.get("title", row["title"]),
                     "force": cy.get("force", row["force"]),
                     "page": cy.get("page", f"responses/{row['ref']}/index.html"),
                     "report_published_on": language.long_date(
                         day.fromisoformat(row["report_published_on"]), "cy"),
                     "published_on": language.long_date(
                         day.fromisoformat(row["published_on"]), "cy")})
    return {**data, "rows": rows}


def _listing_from(row: Review, meta: dict, files: dict, record=None, pub=None) -> dict:
    return {"ref": row.ref, "title": row.title, "force": row.force,
            "report_published": long_date(row.report_published_on),
            "published": meta["published_on_long"], "updated": meta["published_at_iso"],
            "progress": meta["progress"], "page": files["page"]["path"],
            "pdf": files["pdf"]["path"], **_welsh_listing(
                files, row, record, london_date(pub.requested_at) if pub else None)}


def _listing(row: Review, pub: Publication, session=None) -> dict:
    published_on = london_date(pub.requested_at)
    record = repo.record_at(session, row, pub.version) \
        if session is not None and "page_cy" in (pub.files or {}) else None
    return {"ref": row.ref, "title": row.title, "force": row.force,
            "report_published": long_date(row.report_published_on),
            "published": long_date(published_on),
            "updated": as_utc(pub.requested_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "progress": pub.progress, "page": pub.files["page"]["path"],
            "pdf": pub.files["pdf"]["path"], **_welsh_listing(pub.files, row, record,
                                                              published_on)}


def _welsh_listing(files: dict, row: Review | None = None, record=None,
                   published_on=None) -> dict:
    """A bilingual response's Welsh page and PDF, for the index and the feed; with its record,
    what the Welsh index says of it (its Welsh title and force, dates in Welsh)."""
    if "page_cy" not in files:
        return {}
    out = {"page_cy": files["page_cy"]["path"], "pdf_cy": files["pdf_cy"]["path"]}
    if record is not None and record.bilingual:
        out["cy"] = {"title": record.cy.title or row.title, "force": record.cy.force or row.force,
                     "page": out["page_cy"], "pdf": out["pdf_cy"],
                     "report_published": language.long_date(row.report_published_on, "cy"),
                     "published": language.long_date(published_on, "cy"),
                     "progress": language.progress(row.report_published_on,
                                                   row.statutory_last_day, published_on, "cy")}
    return out


def _board_reports(ctx: Context, office, lang: str) -> list[dict]:
    """The reports of the office's review cycles that are on its site (issue 13), the newest
    meeting first, for its index."""
    from ..store.models import Cycle

    suffix = ".cy" if lang == "cy" else ""
    with ctx.uow(read=True) as session:
        cycles = session.scalars(select(Cycle).where(
            Cycle.office == office.force_id, Cycle.closed_at.is_not(None)).order_by(
            Cycle.meeting_on.desc(), Cycle.id.desc())).all()
        return [{"board": c.board, "meeting": language.long_date(c.meeting_on, lang),
                 "page": f"cycles/{c.id}/index{suffix}.html",
                 "pdf": f"cycles/{c.id}/report{suffix}.pdf"}
                for c in cycles if c.summary.get("report") and c.summary.get("on_site", True)]


def _write_index(ctx: Context, office, listing: list[dict]) -> None:
    site, templates = ctx.site(office), ctx.templates(office)
    if office.welsh:  # its site in Welsh too: the Welsh pages, titles and dates
        alternates = [{"lang": lang, "hreflang": HTML_LANG[lang], "name": language.NAMES[lang],
                       "href": f"{ctx.site_address(office)}/{name}"}
                      for lang, name in (("en", "index.html"), ("cy", "index.cy.html"))]
        welsh = [{**item, **item.get("cy", {}), "page_cy": None} for item in listing]
        atomic_write(site / "index.cy.html", render_index(
            office.name_cy or office.name, welsh, templates, "cy", alternates,
            _board_reports(ctx, office, "cy")).encode(), public=True)
        atomic_write(site / "index.html", render_index(
            office.name, listing, templates, "en", alternates,
            _board_reports(ctx, office, "en")).encode(), public=True)
    else:
        atomic_write(site / "index.html", render_index(
            office.name, listing, templates, reports=_board_reports(ctx, office, "en")).encode(),
            public=True)
    atomic_write(site / "feed.atom", render_feed(office.name, ctx.site_address(office),
                                                 listing, templates).encode(), public=True)


def finish_copies(ctx: Context, ref: str, *, at: datetime | None = None) -> bool:
    """Once every s55(6) copy has gone, the review is done: stage 'copies sent'."""
    with ctx.uow() as session:
        row = repo.review(session, ref)
        if row.stage != Stage.PUBLISHED:
            return False
        copies = [m for m in repo.outbox(session, review_id=row.id)
                  if m.template == "statutory_copy" and m.purpose.endswith(f"#{row.stage_seq}")]
        if not copies or any(m.status != "sent" for m in copies):
            return False
        at = at or ctx.now()
        row.stage, row.updated_at = str(route_transition(Action.RECORD_COPIES_SENT, row.stage)), at
        # the duty is done and the follow-up begins: an action per item, from its published
        # answer, in the same transaction (DOMAIN.md, After publication: follow-up)
        opened = open_for_review(session, row, repo.current_record(session, row), at)
        entry = repo.append_audit(
            session, at=at.isoformat(), actor="s55", role="automated", acting_for="",
            action="copies sent", ref=ref, version=row.current_version,
            details={"copies": [{"to": m.recipient, "name": m.recipient_name,
                                 "sent_at": _iso(m)} for m in copies],
                     "actions_opened": opened})
        row.stage_seq = entry.seq
        office = ctx.office_of(row)
    anchoring.record(ctx, office, seq=entry.seq, digest=entry.hash, why=f"copies sent {ref}",
                     at=at)
    return True


def _iso(msg: OutboxMessage) -> str:
    return msg.sent_at.isoformat() if msg.sent_at else ""
