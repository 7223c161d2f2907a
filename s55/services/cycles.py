"""Review cycles (DOMAIN.md, After publication: follow-up): before a board meets, the office
asks each owner of open actions for an update, by a day counted back from the meeting in
working days; the daily sweep reminds each owner once before that day and tells the chief
executive once after it, on working days only; on the meeting day the cycle closes with what
came in and what did not. Every message goes through the outbox, written in the same
transaction as the step that calls for it, so each goes once."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import deadlines
from ..domain.actions import (
    MARKS, OPEN, RagRule, action_name, board_key, is_update, order, order_of, report_to,
)
from ..domain.errors import InvalidInput, NotFound
from ..domain.workflow import Action, check_role
from ..mail.compose import compose, compose_bilingual
from ..render import language
from ..render.sanitise import strip_controls
from ..store import repo
from ..store.models import ActionUpdate, Cycle, CycleRequest, FollowUpAction, Review
from . import requests
from .actions import _shown, rule_of
from .context import Context
from .mailing import outbox_row
from .reading import may_read


def open_cycle(ctx: Context, *, actor: str | None, board: str, meeting: date) -> dict:
    """Open a cycle for a board's meeting: each owner of the office's open actions is asked,
    through the outbox, for an update by the due day; returns what was asked of whom."""
    person = ctx.actor(actor)
    check_role(Action.OPEN_CYCLE, person.role)
    office = ctx.home_office(actor)
    board = " ".join(strip_controls(board or "").split())
    if not board or len(board) > 200 or "<" in board or ">" in board:
        raise InvalidInput("board", "name the board the updates are for, as text (up to 200 "
                           "characters, no < or >), e.g. \"Accountability board\"")
    with ctx.uow() as session:
        return _open(ctx, session, office, board, meeting, person.email, str(person.role))


def _open(ctx: Context, session: Session, office, board: str, meeting: date, by: str,
          role: str) -> dict:
    """Open the cycle in the caller's transaction: its requests, its messages, its audit entry
    and the request that the served process send them."""
    rule = rule_of(ctx, office.force_id)
    today, at = ctx.today(), ctx.now()
    due = deadlines.working_days_before(meeting, rule.cycle_due_working_days, ctx.holidays)
    if due <= today:
        raise InvalidInput("meeting", f"{meeting.isoformat()}: updates would be due by "
                           f"{due.isoformat()} ({rule.cycle_due_working_days} working days "
                           "before the meeting, config/actions.yaml), which is not after today; "
                           "give a later meeting")
    twice = _cycle_for(session, office.force_id, board, meeting)
    if twice is not None:
        raise InvalidInput("meeting", f"the {twice.board} on {meeting.isoformat()} has its "
                           f"cycle already (cycle {twice.id})")
    cycle = Cycle(office=office.force_id, board=board, meeting_on=meeting, due_on=due,
                  opened_at=at, opened_by=by, closed_at=None, summary={})
    try:
        with session.begin_nested():  # another opening of the same meeting at this moment
            session.add(cycle)
            session.flush()
    except IntegrityError:
        raise InvalidInput("meeting", f"the {board} on {meeting.isoformat()} has its cycle "
                           "already (opened at this moment by another)") from None
    owners: dict[str, list[dict]] = {}
    no_owner = []
    for action, ref in _open_actions(session, office.force_id):
        shown = _shown(action, ref, today, rule)
        if action.owner:
            owners.setdefault(action.owner, []).append({**shown, "id": action.id})
        else:
            no_owner.append(shown["action"])
    for owner, mine in sorted(owners.items()):
        session.add(CycleRequest(cycle_id=cycle.id, owner=owner,
                                 actions=[a["id"] for a in mine]))
        _message(ctx, session, cycle, office, owner, owner, mine, "ask", at)
    asked = {owner: [a["action"] for a in mine] for owner, mine in sorted(owners.items())}
    cycle.summary = {"asked": asked, "no_owner": no_owner}
    repo.append_audit(session, at=at.isoformat(), actor=by, role=role, acting_for="",
                      action=str(Action.OPEN_CYCLE), ref="", version="",
                      details={"cycle": cycle.id, "office": office.force_id, "board": board,
                               "meeting": meeting.isoformat(), "due": due.isoformat(),
                               "asked": asked, "no_owner": no_owner})
    if owners:  # the served process sends them at once
        requests.request(session, None, cause="review cycle", by=by, at=at)
    return {"cycle": cycle.id, "board": board, "meeting": meeting.isoformat(),
            "due": due.isoformat(), "asked": asked, "no_owner": no_owner}


def _cycle_for(session: Session, office: str, board: str, meeting: date) -> Cycle | None:
    """The cycle of a board's meeting, however the board's name was typed (board_key)."""
    return next((c for c in session.scalars(select(Cycle).where(
        Cycle.office == office, Cycle.meeting_on == meeting))
        if board_key(c.board) == board_key(board)), None)


def scheduled(ctx: Context, *, today: date | None = None, office: str | None = None) -> dict:
    """Open the cycles the offices' schedules call for (`meetings:` in config/actions.yaml):
    each meeting's cycle once, from `cycle_open_working_days` working days before it until the
    day its updates are due; a meeting whose due day passed with no cycle is said, not opened."""
    today = today or ctx.today()
    report = {"opened": [], "missed": [], "refused": []}
    for home in ctx.offices:
        if office is not None and home.force_id != office:
            continue
        try:
            rule = rule_of(ctx, home.force_id)
        except InvalidInput as bad:  # said; the other offices' cycles go on
            report["refused"].append(f"{home.force_id}: {bad}")
            continue
        for board, days in sorted(rule.meetings.items()):
            for meeting in days:
                opens = deadlines.working_days_before(meeting, rule.cycle_open_working_days,
                                                      ctx.holidays)
                due = deadlines.working_days_before(meeting, rule.cycle_due_working_days,
                                                    ctx.holidays)
                if today < opens or meeting < today:
                    continue
                with ctx.uow() as session:
                    if _cycle_for(session, home.force_id, board, meeting) is not None:
                        continue
                    if due <= today:
                        report["missed"].append(
                            f"{home.force_id}: the {board} on {meeting.isoformat()} (updates "
                            f"were due by {due.isoformat()}; no cycle was opened)")
                        continue
                    try:
                        out = _open(ctx, session, home, board, meeting, "s55", "automated")
                    except InvalidInput:  # opened by another at this moment
                        continue
                report["opened"].append(f"cycle {out['cycle']} ({board}, "
                                        f"{meeting.isoformat()}; updates due by {out['due']})")
    return report


def _open_actions(session: Session, office: str):
    rows = session.execute(
        select(FollowUpAction, Review.ref).join(Review, Review.id == FollowUpAction.review_id)
        .where(FollowUpAction.office == office,
               FollowUpAction.status.in_([str(s) for s in OPEN]))).all()
    return sorted(rows, key=lambda r: order(r[1], r[0].kind, r[0].number))


def sweep(ctx: Context, *, today: date | None = None, office: str | None = None) -> dict:
    """Today's step of every cycle (of one office, or all): the cycles the schedules call for
    opened; an owner's reminder, once, a few working days before the due day; the chief
    executive told, once about each owner, after it; on the meeting day, the cycle closed with
    what came in. Nothing on a weekend or bank holiday. An office whose config/actions.yaml
    cannot be read is said in `refused`, and the rest goes on."""
    today = today or ctx.today()
    report = {"opened": [], "missed": [], "reminded": [], "escalated": [], "closed": [],
              "refused": []}
    if not deadlines.is_working_day(today, ctx.holidays):
        return report
    report.update(scheduled(ctx, today=today, office=office))
    broken = {line.partition(":")[0] for line in report["refused"]}
    at = ctx.now()
    with ctx.uow() as session:
        query = select(Cycle).where(Cycle.closed_at.is_(None)).order_by(Cycle.id)
        if office is not None:
            query = query.where(Cycle.office == office)
        # two sweeps at once: the second waits here, then finds what the first did
        for cycle in session.scalars(query.with_for_update()):
            home = ctx.offices.get(cycle.office)
            try:
                rule = rule_of(ctx, cycle.office)
            except InvalidInput as bad:  # an office whose config is broken: said once
                if cycle.office not in broken:
                    broken.add(cycle.office)
                    report["refused"].append(f"{cycle.office}: {bad}")
                continue
            wanted = session.scalars(select(CycleRequest).where(
                CycleRequest.cycle_id == cycle.id).order_by(CycleRequest.owner)).all()
            came_in = _came_in(session, cycle)
            if today >= cycle.meeting_on:
                _close(session, cycle, wanted, came_in, at, today,
                       _snapshot(session, cycle.office, today, rule))
                report["closed"].append(f"cycle {cycle.id} ({cycle.board}, "
                                        f"{cycle.meeting_on.isoformat()})")
                continue
            remind_from = deadlines.working_days_before(cycle.due_on,
                                                        rule.cycle_remind_working_days,
                                                        ctx.holidays)
            for request in wanted:
                if request.answered_at is not None:
                    continue
                if set(request.actions) <= came_in:
                    request.answered_at = at
                    continue
                mine = _owed(session, request, came_in, today, rule)
                if request.reminded_on is None and remind_from <= today <= cycle.due_on:
                    _message(ctx, session, cycle, home, request.owner, request.owner, mine,
                             "reminder", at)
                    request.reminded_on = today
                    report["reminded"].append(f"cycle {cycle.id}: {request.owner}")
                if request.escalated_on is None and today > cycle.due_on and \
                        home.chief_executive and \
                        home.chief_executive.casefold() != request.owner.casefold():
                    _message(ctx, session, cycle, home, home.chief_executive, request.owner,
                             mine, "escalation", at)
                    request.escalated_on = today
                    report["escalated"].append(f"cycle {cycle.id}: {request.owner} (to "
                                               f"{home.chief_executive})")
        if report["reminded"] or report["escalated"]:
            requests.request(session, None, cause="review cycle", by="s55", at=at)
    # each closed cycle's report, written after the close commits; one whose writing was cut
    # short (a killed process) is written by the next sweep
    with ctx.uow(read=True) as session:
        query = select(Cycle.id).where(Cycle.closed_at.is_not(None))
        if office is not None:
            query = query.where(Cycle.office == office)
        unpublished = [c.id for c in session.scalars(select(Cycle).where(
            Cycle.id.in_(query))) if not c.summary.get("report")]
    for cycle_id in unpublished:
        try:
            report.setdefault("reported", []).append(publish_report(ctx, cycle_id))
        except InvalidInput as bad:  # written by the next sweep, once its config is mended
            report["refused"].append(f"cycle {cycle_id}'s report: {bad}")
    return report


def _snapshot(session: Session, office: str, today: date, rule: RagRule) -> dict:
    rows = session.execute(select(FollowUpAction, Review.ref).join(
        Review, Review.id == FollowUpAction.review_id).where(FollowUpAction.office == office)
    ).all()
    out = {}
    for action, ref in rows:
        shown = _shown(action, ref, today, rule)
        out[shown["action"]] = {k: shown[k] for k in (
            "ref", "item", "text", "text_cy", "owner", "target", "status", "rag", "overdue",
            "days_overdue")}
    return out


def report_data(session: Session, cycle: Cycle) -> dict:
    """What a board reads of a closed cycle: its actions by report and by mark, what changed
    since the board's last cycle, the overdue actions with their owners, and the marks over
    the board's cycles."""
    snap = cycle.summary.get("snapshot", {})
    earlier = session.scalars(select(Cycle).where(
        Cycle.office == cycle.office, Cycle.board == cycle.board, Cycle.closed_at.is_not(None),
        Cycle.meeting_on <= cycle.meeting_on).order_by(Cycle.meeting_on, Cycle.id)).all()
    before = next((c.summary.get("snapshot", {}) for c in reversed(earlier)
                   if c.meeting_on < cycle.meeting_on), None)

    def counts(snapshot: dict) -> dict:
        return {mark: sum(1 for a in snapshot.values() if a["rag"] == mark) for mark in MARKS}

    by_report: dict[str, dict] = {}
    for name, a in sorted(snap.items(), key=lambda kv: order_of(kv[0])):
        by_report.setdefault(a["ref"], {m: 0 for m in MARKS})[a["rag"]] += 1
    changed = []
    if before is not None:
        for name, a in sorted(snap.items(), key=lambda kv: order_of(kv[0])):
            was = before.get(name)
            if was is None or (was["rag"], was["status"]) != (a["rag"], a["status"]):
                changed.append({"action": name, "item": a["item"], "text": a["text"],
                                "text_cy": a.get("text_cy", ""),
                                "was": was["rag"] if was else None,
                                "was_status": was["status"] if was else None,
                                "rag": a["rag"], "status": a["status"]})
    overdue = sorted(({"action": name, **a} for name, a in snap.items() if a["overdue"]),
                     key=lambda a: (-a["days_overdue"], order_of(a["action"])))
    moves: dict[tuple, dict] = {}  # the changes by what they were and are (the paper's)
    for a in changed:
        move = moves.setdefault((a["was"], a["was_status"], a["rag"], a["status"]), {
            "was": a["was"], "was_status": a["was_status"], "rag": a["rag"],
            "status": a["status"], "actions": []})
        move["actions"].append(a["action"])
    by_owner: dict[str, dict] = {}
    for a in overdue:  # (longest overdue first, so each owner's first is their longest)
        mine = by_owner.setdefault(a["owner"], {"owner": a["owner"], "count": 0,
                                                "longest": a["days_overdue"], "actions": []})
        mine["count"] += 1
        mine["actions"].append(a["action"])
    return {"cycle": cycle.id, "board": cycle.board, "meeting": cycle.meeting_on,
            "closed_on": cycle.summary.get("closed_on"), "counts": counts(snap),
            "changes_by_move": sorted(moves.values(), key=lambda m: -len(m["actions"])),
            "overdue_by_owner": sorted(by_owner.values(),
                                       key=lambda o: (-o["count"], o["owner"])),
            "by_report": by_report, "changed": changed, "first": before is None,
            "overdue": overdue, "came_in": cycle.summary.get("came_in", []),
            "not_in": cycle.summary.get("not_in", {}),
            "history": [(c.meeting_on, counts(c.summary.get("snapshot", {}))) for c in earlier]}


def publish_report(ctx: Context, cycle_id: int) -> str:
    """Write a closed cycle's report on its office's site (cycles/N/: the page, its PDF and
    its chart, each file whole; a Welsh office's in Welsh too, `.cy`, each page linking the
    other), and mail it to the board's address if the office gives one; then mark it
    reported. Running it again writes the same files and mails nothing twice."""
    from ..mail.transport import atomic_write
    from ..render.environment import environment
    from ..render.language import HTML_LANG, NAMES
    from ..render.record import render_pdf

    with ctx.uow(read=True) as session:
        cycle = session.get(Cycle, cycle_id)
        data = report_data(session, cycle)
        office = ctx.offices.get(cycle.office)
    folder = f"cycles/{cycle_id}"
    # on the office's site, or (a board the office sends it only) kept off it, in S55_HOME
    on_site, to = report_to(rule_of(ctx, cycle.office), cycle.board)
    site = ctx.site(office) if on_site else ctx.papers(office)
    (site / folder).mkdir(parents=True, exist_ok=True)
    address = f"{ctx.site_address(office)}/{folder}" if on_site else None
    langs = [("en", "")] + ([("cy", ".cy")] if office.welsh else [])
    alternates = [{"lang": lang, "hreflang": HTML_LANG[lang], "name": NAMES[lang],
                   "href": f"index{suffix}.html"} for lang, suffix in langs] \
        if len(langs) > 1 else []
    papers, pages = {}, {}
    for lang, suffix in langs:
        chart = f"rag{suffix}.svg"
        drawn = rag_chart(data["history"], cycle.board, lang)
        atomic_write(site / folder / chart, drawn, public=on_site)
        template = environment(ctx.templates(office), lang).get_template("cycle/report.html")
        shown = {"office": office.name_cy or office.name if lang == "cy" else office.name,
                 "c": data, "url": f"{address}/index{suffix}.html" if address else None,
                 "chart": chart, "alternates": alternates if on_site else []}
        page = template.render(**shown, paper=False)
        if not on_site:  # the page goes by mail: its chart within it
            page = page.replace(f'src="{chart}"', 'src="data:image/svg+xml;base64,'
                                + base64.b64encode(drawn).decode() + '"')
        atomic_write(site / folder / f"index{suffix}.html", page.encode(), public=on_site)
        pages[lang] = {"path": f"{folder}/index{suffix}.html", "papers": office.force_id,
                       "type": "text/html", "filename": f"{cycle.board} {cycle.meeting_on}"
                       f"{suffix}.html", "sha256": hashlib.sha256(page.encode()).hexdigest()}
        # the board's paper: the overdue actions by owner and the changes by change, by name
        # (the page lists each with its text; at hundreds, a list of them all is tens of pages)
        paper = template.render(**shown, paper=True)
        pdf = render_pdf(paper.replace(f'src="{chart}"',
                                       f'src="{(site / folder / chart).as_uri()}"'),
                         {"version": f"cycle-{cycle_id}".ljust(32, "0")})
        atomic_write(site / folder / f"report{suffix}.pdf", pdf, public=on_site)
        papers[lang] = {"path": f"{folder}/report{suffix}.pdf",
                        "office" if on_site else "papers": office.force_id,
                        "filename": f"{cycle.board} {cycle.meeting_on}{suffix}.pdf",
                        "sha256": hashlib.sha256(pdf).hexdigest()}
    at = ctx.now()
    with ctx.uow() as session:
        cycle = session.get(Cycle, cycle_id, with_for_update=True)
        if cycle.summary.get("report"):
            return f"cycle {cycle_id}: {folder}/index.html"
        if to:
            def values(lang: str, suffix: str) -> dict:
                return {"recipient_name": cycle.board, "board": cycle.board,
                        "meeting": language.long_date(cycle.meeting_on, lang),
                        "office": office.name_cy or office.name if lang == "cy"
                        else office.name,
                        "url": f"{address}/index{suffix}.html" if address else None,
                        "counts": data["counts"], "overdue": len(data["overdue"])}

            if office.welsh:
                message = compose_bilingual("cycle_report", values("en", ""),
                                            values("cy", ".cy"), ctx.templates(office),
                                            welsh_first=office.welsh_first)
            else:
                message = compose("cycle_report", values("en", ""), ctx.templates(office))
            purpose = f"cycle:{cycle_id}:report:{to}"
            session.add(outbox_row(
                review_id=None, key=purpose, version="", purpose=purpose[:80],
                template="cycle_report", email=to, name=cycle.board, message=message,
                at=at, attachments=list(papers.values())
                + ([] if on_site else list(pages.values()))))
            requests.request(session, None, cause="review cycle report", by="s55", at=at)
        cycle.summary = {**cycle.summary, "report": f"{folder}/index.html",
                         "on_site": on_site, "sent_to": to or ""}
        repo.append_audit(session, at=at.isoformat(), actor="s55", role="automated",
                          acting_for="", action="review cycle report published", ref="",
                          version="", details={
                              "cycle": cycle_id, "page": f"{folder}/index.html",
                              "on_site": on_site,
                              "pdf_sha256": papers["en"]["sha256"],
                              **({"pdf_cy_sha256": papers["cy"]["sha256"]}
                                 if "cy" in papers else {}),
                              "sent_to": to or ""})
    if on_site:  # the site's index lists it
        from .publishing import refresh_site

        refresh_site(ctx, office, timeliness=False)  # (no publication changed)
    return f"cycle {cycle_id}: {folder}/index.html" + ("" if on_site else " (off the site)") \
        + (f", sent to {to}" if to else "")


def rag_chart(history: list, board: str, lang: str = "en") -> bytes:
    """The marks over the board's cycles: a stacked bar a cycle, its words in `lang`."""
    from ..render.charts import figure, svg

    fig, ax = figure(8, 3.5)
    labels = [language.long_date(day, lang) for day, _counts in history]
    bottom = [0] * len(history)
    for mark, colour in (("green", "#00703c"), ("amber", "#f47738"), ("red", "#d4351c")):
        values = [counts[mark] for _day, counts in history]
        ax.bar(labels, values, bottom=bottom, color=colour, label=language._(lang, mark))
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel(language._(lang, "actions"))
    ax.set_title(language._(lang, "%(board)s: red, amber and green at each meeting",
                            board=board))
    ax.legend(loc="upper left")
    return svg(fig)


def _came_in(session: Session, cycle: Cycle) -> set[int]:
    """The actions updated since the cycle opened (or no longer open). An update is what was
    done or a new status; the office giving an action its owner or target date is not one."""
    updated = {action_id for action_id, changes in session.execute(
        select(ActionUpdate.action_id, ActionUpdate.changes).where(
            ActionUpdate.at >= cycle.opened_at))
        if is_update(changes)}
    done = set(session.scalars(select(FollowUpAction.id).where(
        FollowUpAction.office == cycle.office,
        FollowUpAction.status.not_in([str(s) for s in OPEN]))))
    return updated | done


def _owed(session: Session, request: CycleRequest, came_in: set[int], today: date,
          rule: RagRule) -> list[dict]:
    rows = session.execute(select(FollowUpAction, Review.ref).join(
        Review, Review.id == FollowUpAction.review_id).where(
        FollowUpAction.id.in_(request.actions))).all()
    return [_shown(action, ref, today, rule) for action, ref in rows
            if action.id not in came_in]


def _close(session: Session, cycle: Cycle, wanted: list[CycleRequest], came_in: set[int],
           at: datetime, today: date, snapshot: dict) -> None:
    """Close the cycle: what came in, what did not, and every action of the office as the
    board sees it today (the snapshot the next cycle's report compares with)."""
    names = {a.id: action_name(ref, a.kind, a.number) for a, ref in session.execute(
        select(FollowUpAction, Review.ref).join(Review, Review.id == FollowUpAction.review_id)
        .where(FollowUpAction.id.in_([i for r in wanted for i in r.actions])))}
    summary = {**cycle.summary, "closed_on": today.isoformat(), "snapshot": snapshot,
               "came_in": sorted(names[i] for r in wanted for i in r.actions if i in came_in),
               "not_in": {r.owner: sorted(names[i] for i in r.actions if i not in came_in)
                          for r in wanted if not set(r.actions) <= came_in}}
    cycle.summary, cycle.closed_at = summary, at
    repo.append_audit(session, at=at.isoformat(), actor="s55", role="automated", acting_for="",
                      action="review cycle closed", ref="", version="",
                      details={"cycle": cycle.id, "office": cycle.office, "board": cycle.board,
                               "came_in": summary["came_in"], "not_in": summary["not_in"]})


def _message(ctx: Context, session: Session, cycle: Cycle, office, to: str, owner: str,
             actions: list[dict], step: str, at: datetime) -> None:
    """One message of the cycle to `to` about `owner`'s actions: the ask, the reminder or the
    escalation; its purpose names the cycle, the step and the owner, so it is written once."""
    directory = office.directory
    person, about = directory.find(to), directory.find(owner)
    name = person.name if person else to
    values = {"recipient_name": name, "owner": owner,
              "owner_name": about.name if about else owner, "board": cycle.board,
              "office": office.name, "reminder": step == "reminder",
              # the owner's actions, each with its form; for the chief executive, the office's
              "url": f"{ctx.settings.web_address}/actions?" + (
                  "all=1" if step == "escalation" else f"cycle={cycle.id}"),
              "escalation": step == "escalation"}

    def values_in(lang: str) -> dict:
        return {**values, "meeting": language.long_date(cycle.meeting_on, lang),
                "due": language.long_date(cycle.due_on, lang),
                "actions": [{**a, "rag": language._(lang, a["rag"]),
                             "status": language._(lang, a["status"]),
                             "text": a["text_cy"] if lang == "cy" and a.get("text_cy")
                             else a["text"]} for a in actions]}

    english = values_in("en")
    if office.welsh:
        message = compose_bilingual("update_request", english,
                                    {**values_in("cy"), "office": office.name_cy or office.name},
                                    ctx.templates(office), welsh_first=office.welsh_first)
    else:
        message = compose("update_request", english, ctx.templates(office))
    purpose = f"cycle:{cycle.id}:{step}:{owner}"
    session.add(outbox_row(review_id=None, key=purpose, version="", purpose=purpose[:80],
                           template="update_request", email=to, name=name, message=message,
                           at=at))


def listing(ctx: Context, *, actor: str | None) -> list[dict]:
    """The cycles the actor may read, newest meeting first."""
    office = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        query = select(Cycle).order_by(Cycle.meeting_on.desc(), Cycle.id.desc())
        if office is not None:
            query = query.where(Cycle.office == office)
        return [_cycle(c) for c in session.scalars(query)]


def show(ctx: Context, *, actor: str | None, cycle_id: int) -> dict:
    office = may_read(ctx, actor)
    with ctx.uow(read=True) as session:
        cycle = session.get(Cycle, cycle_id) if 0 < cycle_id < 2**31 else None
        if cycle is None or (office is not None and cycle.office != office):
            raise NotFound(f"there is no cycle {cycle_id}")
        out = _cycle(cycle)
        if cycle.closed_at is None:  # what has come in so far
            came_in = _came_in(session, cycle)
            wanted = session.scalars(select(CycleRequest).where(
                CycleRequest.cycle_id == cycle.id)).all()
            out["waiting_for"] = sorted(r.owner for r in wanted
                                        if not set(r.actions) <= came_in)
        return out


def asked_of(ctx: Context, *, actor: str | None, cycle_id: int,
             everyone: bool = False) -> dict:
    """What a cycle asks of the actor (the page its message links to): the board, the
    meeting, the day updates are due, the actions the actor was asked about, and which of
    them have come in; `everyone`: of every owner (the office's view of the cycle)."""
    office = may_read(ctx, actor)
    email = ctx.actor(actor).email.casefold()
    with ctx.uow(read=True) as session:
        cycle = session.get(Cycle, cycle_id) if 0 < cycle_id < 2**31 else None
        if cycle is None or (office is not None and cycle.office != office):
            raise NotFound(f"there is no cycle {cycle_id}")
        query = select(CycleRequest).where(CycleRequest.cycle_id == cycle.id)
        if not everyone:
            query = query.where(CycleRequest.owner == email)
        ids = [i for request in session.scalars(query) for i in request.actions]
        came_in = _came_in(session, cycle) if cycle.closed_at is None else set()
        names = {a.id: action_name(ref, a.kind, a.number) for a, ref in session.execute(
            select(FollowUpAction, Review.ref).join(Review, Review.id == FollowUpAction.review_id)
            .where(FollowUpAction.id.in_(ids)))}
        if cycle.closed_at is not None:
            done = set(cycle.summary.get("came_in", []))
        else:
            done = {names[i] for i in ids if i in came_in}
        return {"cycle": cycle.id, "board": cycle.board, "meeting": cycle.meeting_on,
                "due": cycle.due_on, "open": cycle.closed_at is None,
                "asked": sorted(names.values(), key=order_of),
                "came_in": sorted((n for n in names.values() if n in done), key=order_of)}


def _cycle(cycle: Cycle) -> dict:
    return {"cycle": cycle.id, "office": cycle.office, "board": cycle.board,
            "meeting": cycle.meeting_on.isoformat(), "due": cycle.due_on.isoformat(),
            "opened_by": cycle.opened_by, "open": cycle.closed_at is None,
            **{k: v for k, v in cycle.summary.items() if k != "snapshot"}}

