"""The `s55` command. Each command parses input, calls one service, prints the result.

Commands that change a review commit their decision first, then run the `advance` route.
Commands that only read (list, show, audit, export) never import Prefect.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from .domain.errors import InvalidInput, S55Error

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help=__doc__.splitlines()[0])

Actor = Annotated[Optional[str], typer.Option(
    "--as", envvar="S55_USER", help="Who is acting (an email in the office's people list).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Ref = Annotated[str, typer.Argument(help="The review's reference, e.g. S55-2022-0001.")]
Version = Annotated[Optional[str], typer.Option(
    "--version", help="The version hash you were given (at least its first 8 characters).")]


def ctx():
    from .services.context import Context

    return Context.from_env()


def london(value) -> str:
    from .services.context import london as shown

    return shown(value)


def parse_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, f"'{value}' is not a date; use YYYY-MM-DD, e.g. 2022-09-22") from None


def read_text(text: str | None, file: Path | None, field: str) -> str | None:
    if text is not None and file is not None:
        raise InvalidInput(field, "give the text or a file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidInput(str(file), f"cannot be read as UTF-8 text ({err})") from None
    return text


def after_decision(context, ref: str, no_wait: bool) -> None:
    """The decision is saved with a request for the route: say what the route did with it.

    With `s55 serve` running, wait a few seconds for its report; with none, run the route
    here, once, without Prefect (a decision command never imports it)."""
    from .services import requests
    from .services.automation import run_here

    served = requests.served_by(context)
    if no_wait:
        typer.echo(f"  the route takes it from here: `s55 show {ref}` shows where it stands"
                   if served else "  no `s55 serve` is running: the route runs when one starts, "
                   f"or run `s55 advance {ref}`")
        return
    if served:
        # a worker of service mode starts a process per run: give it longer than the in-process
        # route of the embedded default
        seconds = context.settings.wait_seconds
        if served[0].mode == "deployment":
            seconds = max(seconds, DEPLOYMENT_WAIT_SECONDS)
        row = requests.wait(context, context.last_request, seconds)
        if row is not None and row.status == "done":
            print_route(row.outcome)
        else:
            error = f" (last try: {row.last_error})" if row is not None and row.last_error else ""
            typer.echo(f"  the route is still working on {ref}{error}: `s55 show {ref}` or "
                       "`s55 outbox` shows where it stands")
        return
    typer.echo("  no `s55 serve` is running for this office: the route runs here, once")
    result = run_here(context, ref)
    if result is None:
        typer.echo(f"  another process is running the route on {ref} at this moment")
    else:
        print_route(result)


def print_route(result: dict) -> None:
    for step in result["done"]:
        typer.echo(f"  done: {step}")
    if result.get("unsent"):
        typer.echo(f"  {result['unsent']} message(s) not yet delivered: see `s55 outbox`")
    typer.echo(f"  {result['ref']} is {result['stage']}; waiting for {result['waiting_for']}")


DEPLOYMENT_WAIT_SECONDS = 20.0
NoWait = Annotated[bool, typer.Option(
    "--no-wait", help="Return once the decision is saved; the route reports in `s55 show`.")]


@app.command("import")
def import_(file: Path, published_on: Annotated[str, typer.Option(
                help="The day HMICFRS published the report (YYYY-MM-DD).")],
            kind: str = "police-s55", actor: Actor = None) -> None:
    """Open a review from a house-style record; prints its reference."""
    from .housestyle import parse_record
    from .services.drafting import open_review

    day = parse_date(published_on, "--published-on")
    record = parse_record(read_text(None, file, "FILE"))
    context = ctx()
    ref = open_review(context, actor=actor, record=record, published_on=day, kind=kind,
                      source=file.name)
    typer.echo(ref)


@app.command("open")
def open_(title: Annotated[str, typer.Option(help="The report's title.")],
          published_on: Annotated[str, typer.Option(
              help="The day HMICFRS published the report (YYYY-MM-DD).")],
          kind: str = "police-s55", actor: Actor = None) -> None:
    """Register a newly published report for the office's force; opens an empty draft."""
    from .render.sanitise import plain_text
    from .services.drafting import open_review, blank_record

    context = ctx()
    day = parse_date(published_on, "--published-on")
    record = blank_record(context, plain_text(title))
    typer.echo(open_review(context, actor=actor, record=record, published_on=day, kind=kind))


@app.command("open-thematic")
def open_thematic(title: Annotated[str, typer.Option(help="The national report's title.")],
                  published_on: Annotated[str, typer.Option(
                      help="The day HMICFRS published it (YYYY-MM-DD).")],
                  kind: str = "police-s55",
                  forces: Annotated[Optional[Path], typer.Option(
                      help="The forces list (default config/forces.csv).")] = None,
                  actor: Actor = None) -> None:
    """Open one review per force for a national thematic report; safe to run again."""
    from .render.sanitise import plain_text
    from .services import thematic

    context = ctx()
    thematic.may_open(context, actor)
    day = parse_date(published_on, "--published-on")
    clean = plain_text(title)
    if not clean:
        raise InvalidInput("--title", "must not be empty")
    context.kind(kind)
    thematic.forces(context, forces)  # refuse a bad list before anything starts
    from flows.thematic import open_thematic as fan_out

    result = fan_out(clean, day.isoformat(), actor, kind, str(forces) if forces else None)
    for r in result["opened"]:
        typer.echo(f"opened  {r['ref']}  {r['force']}")
    for r in result["existing"]:
        typer.echo(f"exists  {r['ref']}  {r['force']}")
    typer.echo(f"{len(result['opened'])} opened, {len(result['existing'])} already open")


@app.command()
def export(ref: Ref, actor: Actor = None,
           output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None) -> None:
    """Write the current version back in the house style."""
    from .services.reading import export as export_record

    text = export_record(ctx(), actor=actor, ref=ref)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        sys.stdout.write(text)


@app.command("list")
def list_(actor: Actor = None, as_json: AsJson = False,
          stage: Annotated[Optional[str], typer.Option(help="Only reviews in this stage.")] = None
          ) -> None:
    """Every review with its stage and deadlines, soonest deadline first."""
    from .services.reading import list_reviews

    rows = list_reviews(ctx(), actor=actor, stage=stage)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no reviews yet: `s55 import FILE --published-on DATE` opens one")
    for r in rows:
        typer.echo(f"{r['ref']:<15} {r['stage']:<30} last day {r['statutory_last_day'] or '-':<10}"
                   f"  {r['progress']:<22} {r['force']}: {r['title'][:50]}")


@app.command()
def show(ref: Ref, actor: Actor = None, as_json: AsJson = False) -> None:
    """One review: stage, deadlines and their arithmetic, versions, what is outstanding."""
    from .services.reading import show as show_review
    from .views import show_text

    data = show_review(ctx(), actor=actor, ref=ref)
    typer.echo(json.dumps(data, indent=2) if as_json else show_text(data))


@app.command("add-item")
def add_item(ref: Ref, text: Annotated[str, typer.Option(help="The item's text.")],
             kind: Annotated[str, typer.Option(
                 help="recommendations, causes_of_concern or areas_for_improvement")],
             area: str = "", actor: Actor = None, no_wait: NoWait = False) -> None:
    """Record a recommendation, cause of concern or area for improvement from the report."""
    from .render.sanitise import plain_text
    from .services.drafting import add_item as add

    context = ctx()
    new = add(context, actor=actor, ref=ref, kind=kind.replace("-", "_"), text=plain_text(text),
              area=plain_text(area))
    typer.echo(f"{ref}: version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@app.command()
def edit(ref: Ref, field: Annotated[str, typer.Option(help="e.g. summary, initial_response")],
         text: Optional[str] = None, file: Optional[Path] = None, version: Version = None,
         actor: Actor = None, no_wait: NoWait = False) -> None:
    """Replace one field of the draft (HTML is sanitised)."""
    from .render.sanitise import plain_text, rich_text
    from .services.drafting import edit_text

    value = read_text(text, file, "--text/--file")
    if value is None:
        raise InvalidInput("--text/--file", "give the new text")
    value = plain_text(value) if field in ("force", "title") else rich_text(value)
    context = ctx()
    new = edit_text(context, actor=actor, ref=ref, field_name=field, value=value,
                    seen_version=version)
    typer.echo(f"{ref}: version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@app.command()
def invite(ref: Ref, due: Annotated[Optional[str], typer.Option(
               help="The chief officer's date (default: from config, in working days).")] = None,
           actor: Actor = None, no_wait: NoWait = False) -> None:
    """Invite the chief officer's comments before a date (s55(4))."""
    from .services.route import invite_chief_officer

    context = ctx()
    day = invite_chief_officer(context, actor=actor, ref=ref, due=parse_date(due, "--due"))
    typer.echo(f"{ref}: chief officer invited; comments due {day.isoformat()}")
    after_decision(context, ref, no_wait)


@app.command("move-due")
def move_due(ref: Ref, due: Annotated[str, typer.Option(help="The new date (YYYY-MM-DD).")],
             reason: str = "", actor: Actor = None, no_wait: NoWait = False) -> None:
    """Move the chief officer's due date."""
    from .services.route import move_chief_officer_due

    context = ctx()
    day = move_chief_officer_due(context, actor=actor, ref=ref, due=parse_date(due, "--due"),
                                 reason=reason)
    typer.echo(f"{ref}: chief officer's comments now due {day.isoformat()}")
    after_decision(context, ref, no_wait)


@app.command()
def comment(ref: Ref, version: Version = None,
            text: Annotated[Optional[str], typer.Option(help="Chief officer: your comments.")] = None,
            file: Optional[Path] = None,
            initial: Annotated[Optional[Path], typer.Option(
                help="Local policing body: its comments on the report (s55(5)(a)).")] = None,
            overall: Annotated[Optional[Path], typer.Option(
                help="Local policing body: its response to the chief officer (s55(5)(c)).")] = None,
            actor: Actor = None, no_wait: NoWait = False) -> None:
    """Submit comments: the chief officer's (s55(5)(b)) or the local policing body's."""
    from .render.sanitise import rich_text
    from .services.drafting import comments

    context = ctx()
    given = {"text": read_text(text, file, "--text/--file"),
             "initial_response": read_text(None, initial, "--initial") if initial else None,
             "overall_comments": read_text(None, overall, "--overall") if overall else None}
    fields = {k: rich_text(v) for k, v in given.items() if v is not None}
    new = comments(context, actor=actor, ref=ref, seen_version=version, **fields)
    typer.echo(f"{ref}: comments recorded; version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@app.command()
def answer(ref: Ref, number: Annotated[int, typer.Argument(help="The recommendation's number.")],
           kind: Annotated[str, typer.Option(help="action-taken, action-proposed or no-action")],
           text: Annotated[str, typer.Option(help="The action, or why there is none.")],
           version: Version = None, actor: Actor = None, no_wait: NoWait = False) -> None:
    """Answer one recommendation (s55(5B))."""
    from .render.sanitise import plain_text
    from .services.drafting import answer_recommendation

    context = ctx()
    new = answer_recommendation(context, actor=actor, ref=ref, number=number, kind=kind,
                                text=plain_text(text), seen_version=version)
    typer.echo(f"{ref}: recommendation {number} answered; version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@app.command("request-sign-off")
def request_sign_off(ref: Ref, actor: Actor = None, no_wait: NoWait = False) -> None:
    """Put the current version to the local policing body for sign-off."""
    from .services.reading import show
    from .services.route import request_sign_off as request

    context = ctx()
    outstanding = request(context, actor=actor, ref=ref)
    version = show(context, actor=actor, ref=ref)["current_version"]
    typer.echo(f"{ref}: sign-off requested on version {version} (sign-off names it: "
               f"s55 sign-off {ref} --version {version[:12]})")
    for line in outstanding:
        typer.echo(f"  outstanding before sign-off: {line}")
    after_decision(context, ref, no_wait)


@app.command("sign-off")
def sign_off(ref: Ref, version: Annotated[str, typer.Option(
                 help="The exact version you are signing off (its hash).")],
             actor: Actor = None, no_wait: NoWait = False) -> None:
    """Sign off one exact version of the response."""
    from .services.route import sign_off as sign

    context = ctx()
    digest = sign(context, actor=actor, ref=ref, version=version)
    typer.echo(f"{ref}: version {digest} signed off")
    after_decision(context, ref, no_wait)


@app.command("send-back")
def send_back(ref: Ref, to: Annotated[str, typer.Option(help="chief-officer or drafting")],
              reason: Annotated[str, typer.Option(help="Why it goes back.")],
              actor: Actor = None, no_wait: NoWait = False) -> None:
    """Send a review back to the chief officer or to drafting, with a reason."""
    from .services.route import send_back as back

    context = ctx()
    stage = back(context, actor=actor, ref=ref, to=to, reason=reason)
    typer.echo(f"{ref}: sent back; now {stage}")
    after_decision(context, ref, no_wait)


@app.command()
def publish(ref: Ref, actor: Actor = None, no_wait: NoWait = False,
            reason: Annotated[str, typer.Option(
                help="Why it is late (needed after the statutory last day).")] = "") -> None:
    """Publish the signed-off version: the page, text and PDF, the site index, the copies."""
    from .services.publishing import request_publication

    context = ctx()
    version = request_publication(context, actor=actor, ref=ref, late_reason=reason)
    typer.echo(f"{ref}: version {version[:12]} released for publication")
    after_decision(context, ref, no_wait)


@app.command()
def outbox(status: Annotated[Optional[str], typer.Option(
               help="pending, sent or failed")] = None,
           actor: Actor = None, as_json: AsJson = False) -> None:
    """Messages: pending, sent and failed, with their last error."""
    from .services.mailing import outbox_rows
    from .services.reading import may_read

    context = ctx()
    may_read(context, actor)
    rows = outbox_rows(context, status=status)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        error = f"  last error: {r['last_error']}" if r["last_error"] else ""
        typer.echo(f"{r['id']:>5} {r['status']:<8} {r['ref']:<15} {r['template']:<20} "
                   f"{r['recipient']:<40} attempts {r['attempts']}{error}")
    if not rows:
        typer.echo("no messages")


@app.command()
def withdraw(ref: Ref, reason: Annotated[str, typer.Option(help="Why.")],
             actor: Actor = None, no_wait: NoWait = False) -> None:
    """Withdraw a review."""
    from .services.route import withdraw as withdraw_review

    context = ctx()
    stage = withdraw_review(context, actor=actor, ref=ref, reason=reason)
    typer.echo(f"{ref}: {stage}")
    after_decision(context, ref, no_wait)


@app.command()
def advance(ref: Annotated[Optional[str], typer.Argument()] = None,
            all_: Annotated[bool, typer.Option("--all", help="Every review.")] = False,
            actor: Actor = None) -> None:
    """Run the route on a review (or all) by hand: takes every automated step that is due, once.

    With `s55 serve` running, it asks the served process and waits for its report; with none,
    it runs the `advance` flow here under Prefect (with its retries)."""
    from .orchestrate import advance_by_hand
    from .services.automation import open_refs

    from .services import requests

    context = ctx()
    if not ref and not all_:
        raise InvalidInput("REF", "name a review, or give --all")
    refs = [ref] if ref else open_refs(context)
    if not refs:
        typer.echo("no review has work for the route")
    elif not requests.served_by(context):
        typer.echo("no `s55 serve` is running: the advance flow runs here, under Prefect "
                   "(its start-up takes 10-20 s)")
    for one in refs:
        result = advance_by_hand(context, one, by=actor or "")
        if result is None:
            typer.echo(f"  the route is still working on {one}: `s55 show {one}` shows where it "
                       "stands")
        else:
            print_route(result)


@app.command()
def audit(target: Annotated[str, typer.Argument(
              help="A review's reference for its trail; 'verify' to check the whole chain; "
                   "'export REF' for a bundle an outsider can check.")],
          ref: Annotated[Optional[str], typer.Argument(help="With export: the review.")] = None,
          output: Annotated[Optional[Path], typer.Option("-o", "--output",
                            help="With export: a new folder (default ./audit-REF).")] = None,
          actor: Actor = None, as_json: AsJson = False) -> None:
    """A review's trail (who did what to which version, when), `audit verify`, `audit export REF`."""
    from .services.reading import audit_trail, verify_audit
    from .views import audit_text

    if target == "export":
        from .services.bundle import export_bundle

        if not ref:
            raise InvalidInput("REF", "name the review to export: s55 audit export REF")
        folder = export_bundle(ctx(), actor=actor, ref=ref, out=output or Path(f"audit-{ref}"))
        typer.echo(f"wrote {folder}: check it with `python3 {folder / 'verify.py'} {folder}`")
        return
    if target == "verify":
        verdict = verify_audit(ctx(), actor=actor)
        if not verdict.ok:
            typer.echo(f"audit chain BROKEN: {verdict.message}", err=True)
            raise typer.Exit(1)
        typer.echo(f"audit chain {verdict.message}")
        return
    rows = audit_trail(ctx(), actor=actor, ref=target)
    typer.echo(json.dumps(rows, indent=2) if as_json else audit_text(rows))


@app.command()
def remind(today: Annotated[Optional[str], typer.Option(
               help="Sweep as of this day (YYYY-MM-DD); default today in Europe/London.")] = None,
           actor: Actor = None) -> None:
    """Run the reminder sweep by hand: what the daily schedule runs."""
    from .domain.workflow import Action, check_role

    context = ctx()
    check_role(Action.RUN_REMINDERS, context.office.directory.actor(actor).role)
    day = parse_date(today, "--today")
    from prefect import tags

    from flows.reminders import reminder_sweep

    with tags("reminders"):
        report = reminder_sweep(day.isoformat() if day else None)
    typer.echo(f"reminder sweep for {report['today']}")
    if report.get("quiet"):
        typer.echo(f"  {report['today']} is {report['quiet']}")
    for key, label in (("planned", "planned"), ("sent", "sent"), ("skipped", "skipped"),
                       ("not_sent", "NOT SENT (kept, retried by the next sweep)")):
        for line in report[key]:
            typer.echo(f"  {label}: {line}")
    if not any(report[k] for k in ("planned", "sent", "skipped", "not_sent")):
        typer.echo("  nothing due")


@app.command()
def status(actor: Actor = None, as_json: AsJson = False) -> None:
    """Every open review: stage, who holds it, days left, and a red/amber/green mark."""
    from .services.compliance import status as open_reviews

    rows = open_reviews(ctx(), actor=actor)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no open reviews")
    for r in rows:
        left = "no deadline" if r["days_left"] is None else (
            r["progress"] if r["days_left"] <= 0 else f"{r['days_left']} days left")
        typer.echo(f"{r['rag'].upper():<6} {r['ref']:<15} {r['stage']:<30} {left:<18} "
                   f"held by {r['held_by']} ({r['held_by_role']})  {r['force']}")


@app.command()
def report(year: Annotated[Optional[int], typer.Option(help="Responses published in this year.")]
           = None,
           chart: Annotated[Optional[Path], typer.Option(
               help="Also write the chart here (.svg); the site always gets one.")] = None,
           actor: Actor = None, as_json: AsJson = False) -> None:
    """Published responses: the day each was published on against the 56-day line, the on-time
    rate, the reasons for lateness; also written to the site as compliance.html and .svg."""
    from .services.compliance import chart_svg, report as timeliness
    from .services.publishing import write_compliance_page

    context = ctx()
    data = timeliness(context, actor=actor, year=year)
    write_compliance_page(context, year)
    if chart:
        chart.write_bytes(chart_svg(data, context.office.name))
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"{'response':<15} {'force':<34} {'report':<10}  {'published':<10}  day")
    for r in data["rows"]:
        day = f"{r['day']} of {r['period']}" if r["period"] else "no deadline"
        late = f"  LATE by {r['late_by']}: {r['late_reason']}" if not r["on_time"] else ""
        typer.echo(f"{r['ref']:<15} {r['force'][:34]:<34} {r['report_published_on']}  "
                   f"{r['published_on']}  {day}{late}")
    rate = "n/a" if data["on_time_rate"] is None else f"{data['on_time_rate']}%"
    typer.echo(f"{data['on_time']} of {data['with_deadline']} on time ({rate}); "
               f"chart: {context.settings.site / 'compliance.svg'}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8055,
          status_: Annotated[bool, typer.Option(
              "--status", help="Say whether the route is served and how many requests wait; "
                               "exit 1 when it is not served.")] = False,
          as_json: AsJson = False) -> None:
    """The office's long-running process: the web app, and the route served under Prefect."""
    if status_:
        raise typer.Exit(serve_status(ctx(), as_json))
    from .served import serve as run

    run(ctx(), host=host, port=port)


def serve_status(context, as_json: bool) -> int:
    from .services import requests

    served = requests.served_by(context)
    queue = requests.queue(context)
    if as_json:
        typer.echo(json.dumps({"served": [
            {"owner": p.owner, "mode": p.mode, "since": p.started_at.isoformat(),
             "web_url": p.web_url, "prefect_api": p.prefect_api} for p in served], **queue},
            indent=2))
        return 0 if served else 1
    for p in served:
        typer.echo(f"served by {p.owner} ({p.mode}) since {london(p.started_at)}; "
                   f"web {p.web_url}; Prefect {p.prefect_api}")
    if not served:
        typer.echo("the route is NOT served: no `s55 serve` is running for this office")
    oldest = f", the oldest since {london(queue['oldest_pending'])}" if queue["oldest_pending"] \
        else ""
    typer.echo(f"route requests: {queue['pending']} waiting{oldest}, {queue['running']} running")
    if queue["last_error"]:
        typer.echo(f"  last error: {queue['last_error']}")
    return 0 if served else 1


@app.command()
def people() -> None:
    """The office's people, their roles and whom delegates act for."""
    for p in ctx().office.directory.people:
        extra = f" (acts for {p.acting_for})" if p.acting_for else ""
        typer.echo(f"{p.email:<34} {p.role:<20} {p.name}, {p.title}{extra}")


@app.command()
def demo(file: Annotated[Optional[Path], typer.Argument(
             help="A house-style record (default: the Staffordshire PEEL 2022 response).")] = None,
         published_on: Annotated[Optional[str], typer.Option(
             help="The report's publication date (default for Staffordshire: 2022-09-22).")] = None
         ) -> None:
    """Take a record through the whole route, printing each step, and end with the audit verdict."""
    from .demo import run_demo

    raise typer.Exit(run_demo(file, parse_date(published_on, "--published-on")))


def main() -> None:
    try:
        app()
    except S55Error as err:
        typer.echo(f"s55: {err}", err=True)
        sys.exit(err.exit_code)
