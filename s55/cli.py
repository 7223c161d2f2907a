"""The `s55` command. Each command parses input, calls one service, prints the result.

Commands that decide commit their decision with a request for the route; `s55 serve` runs it
(or, with none running, the command runs it here once). Commands that only read (list, show,
audit, export) never import Prefect, and no command imports pydantic or a CLI framework: a
person waits for every import.

Exit codes: 0 done; 1 `audit verify` found a broken chain, or `serve --status` found nothing
serving; 2 bad input, a bad setting or a bad command line; 3 not found; 4 not permitted;
5 wrong stage; 6 stale version; 7 unanswered recommendations; 8 a conflicting change;
70 an unexpected error (one line here, the traceback in $S55_HOME/logs/errors.log);
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .domain.errors import InvalidInput, S55Error

UNEXPECTED = 70  # EX_SOFTWARE: not a refusal, a fault; see the log
TEMPORARY = 75  # EX_TEMPFAIL: the database is busy or away; the same command may succeed later
INTERRUPTED = 130
BROKEN_PIPE = 141  # 128 + SIGPIPE, as a program killed by the signal would report


class Exit(Exception):
    """Leave with this exit code (after printing whatever the command had to say)."""

    def __init__(self, code: int):
        self.code = code


def echo(text: str = "", err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=err)


# --- declaring commands -------------------------------------------------------------------

class Arg:
    """One argument or option, as argparse takes it."""

    def __init__(self, *flags: str, **options):
        self.flags, self.options = flags, options

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(*self.flags, **self.options)


def option(flag: str, help: str = "", **options) -> Arg:
    return Arg(flag, help=help, **options)


COMMANDS: dict[str, tuple[Callable, tuple[Arg, ...], str]] = {}
# the flag each service field is given with, for messages in the command line's own words
FLAGS = {"published_on": "--published-on", "text": "--text", "kind": "--kind", "due": "--due",
         "version": "--version", "to": "--to", "reason": "--reason", "output": "--output",
         "initial_response": "--initial", "overall_comments": "--overall", "ref": "REF",
         "title": "--title", "today": "--today", "field": "--field", "stage": "--stage",
         "file": "FILE", "forces": "--forces", "lang": "--lang", "number": "NUMBER",
         "status": "--status", "year": "--year", "area": "--area", "rest_to": "--rest-to",
         "answer_kind": "--answer-kind", "owner": "--owner", "target": "--target",
         "note": "--note", "evidence": "--evidence", "action": "ACTION", "board": "--board",
         "meeting": "--meeting", "what": "open|N"}


def command(name: str, *args: Arg) -> Callable[[Callable], Callable]:
    def register(function: Callable) -> Callable:
        COMMANDS[name] = (function, args, function.__doc__ or "")
        return function
    return register


Actor = option("--as", "Who is acting (an email in the office's people list; default $S55_USER).",
               dest="actor", metavar="EMAIL")
AsJson = option("--json", "Print JSON.", dest="as_json", action="store_true")
Ref = Arg("ref", metavar="REF", help="The review's reference, e.g. S55-2022-0001.")
Version = option("--version", "The version hash you were given (at least its first 8 characters).",
                 metavar="HASH")
NoWait = option("--no-wait", "Return once the decision is saved; the route reports in `s55 show`.",
                action="store_true")
Kind = option("--kind", "The kind of response (config/response_kinds.yaml).", default="police-s55")
WelshOption = option(
    "--welsh", "The Welsh of the document, as a document of its own (a Welsh office's two "
    "documents: house style, free text, Markdown or .docx, its headings in Welsh); the two "
    "are made one record in both languages, item for item, or refused naming what differs.",
    type=Path, metavar="DOCUMENT")
AnswerKindOption = option(
    "--answer-kind", "The kind of every answer written under an item as a bare 'Response:' "
    "(action-taken, action-proposed or no-action); without it such an import is refused, "
    "naming each. 'Action taken:', 'Proposed action:', 'No action:' say their own kind.",
    metavar="KIND")


def whole_number(name: str) -> Callable[[str], int]:
    def read(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not '{value}'") from None
    read.__name__ = name
    return read


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="s55", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (function, args, doc) in COMMANDS.items():
        summary = doc.strip().split("\n")[0]
        one = sub.add_parser(name, help=summary, description=doc.strip(),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        for arg in args:
            arg.add_to(one)
        one.set_defaults(run=function)
    return top


def app(argv: list[str] | None = None) -> int:
    """Parse `argv`, run the command; its exit code (refusals are raised as S55Error)."""
    top = parser()
    given = top.parse_args(argv)
    if not getattr(given, "run", None):
        top.print_help()
        return 2
    values = {k: v for k, v in vars(given).items() if k not in ("command", "run")}
    if "actor" in values and not values["actor"]:
        values["actor"] = os.environ.get("S55_USER") or None
    try:
        return given.run(**values) or 0
    except Exit as done:
        return done.code


def main() -> None:
    try:
        code = app()
    except InvalidInput as err:
        echo(f"s55: {FLAGS.get(err.field, err.field)}: {err.rule}", err=True)
        code = err.exit_code
    except S55Error as err:
        echo(f"s55: {err}", err=True)
        code = err.exit_code
    except KeyboardInterrupt:
        echo("s55: interrupted", err=True)
        code = INTERRUPTED
    except BrokenPipeError:  # `s55 show REF | head`: the reader left; nothing went wrong here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = BROKEN_PIPE
    except Exception as err:  # a fault, not a refusal: one line here, the rest in the log
        if unavailable(err):  # the database: busy for long, or not reachable; try again
            echo(f"s55: the database {unavailable(err)}; nothing was saved, try again "
                 f"({logged(err).split(';')[0]})", err=True)
            sys.exit(TEMPORARY)
        first = (str(err).strip().splitlines() or [""])[0][:200]
        echo(f"s55: unexpected error: {type(err).__name__}: {first}", err=True)
        echo(f"  {logged(err)}", err=True)
        code = UNEXPECTED
    sys.stdout.flush()
    sys.exit(code)


def unavailable(err: BaseException) -> str:
    """What is wrong when the database cannot be used just now ('' for any other error)."""
    if type(err).__name__ != "OperationalError" or not type(err).__module__.startswith(
            "sqlalchemy"):
        return ""
    said = str(getattr(err, "orig", err)).strip().splitlines()[0][:160] if str(err) else ""
    if "database is locked" in said:
        return ("is busy: another process held its write lock for longer than the 30 s this "
                "command waits")
    return f"cannot be reached or refused the connection ({said})"


def logged(err: BaseException) -> str:
    """Write the traceback to $S55_HOME/logs/errors.log; say where, with a reference."""
    import secrets
    import traceback
    from datetime import UTC, datetime

    reference = secrets.token_hex(4)
    home = Path(os.environ.get("S55_HOME") or Path.home() / ".s55").expanduser()
    log = home / "logs" / "errors.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write(f"--- {datetime.now(UTC).isoformat()} ref {reference} argv {sys.argv[1:]}\n")
            out.write("".join(traceback.format_exception(err)))
        return f"the details are in {log} (ref {reference}); the exit code is {UNEXPECTED}"
    except OSError:
        return "".join(traceback.format_exception(err))


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
        echo(f"  the route takes it from here: `s55 show {ref}` shows where it stands"
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
            echo(f"  the route is still working on {ref}{error}: `s55 show {ref}` or "
                       "`s55 outbox` shows where it stands")
        return
    echo("  no `s55 serve` is running for this office: the route runs here, once")
    result = run_here(context, ref)
    if result is None:
        echo(f"  another process is running the route on {ref} at this moment")
    else:
        print_route(result)


def print_route(result: dict) -> None:
    for step in result["done"]:
        echo(f"  done: {step}")
    if result.get("unsent"):
        echo(f"  {result['unsent']} message(s) not yet delivered: see `s55 outbox`")
    echo(f"  {result['ref']} is {result['stage']}; waiting for {result['waiting_for']}")


DEPLOYMENT_WAIT_SECONDS = 20.0


@command("import", Arg("file", metavar="FILE", type=Path,
                       help="The response: the house style, or free text or Markdown with "
                            "headings (config/headings.yaml)."),
         option("--published-on", "The day HMICFRS published the report (YYYY-MM-DD).",
                required=True, metavar="DATE"), Kind, Actor,
         option("--dry-run", "Read it and say where every word would go; store nothing.",
                action="store_true"),
         option("--again", "Open a review even though one holds the same content already.",
                action="store_true"),
         option("--title", "The report's title, when the document does not give it."),
         option("--force", "The force, when the document does not say (default: the "
                "office's own)."),
         option("--inspectorate", "The inspectorate(s), ';'-separated (default: HMICFRS)."),
         option("--rest-to", "Put text under no recognised heading into this field (summary, "
                "initial_response, chief_officer_response, overall_comments); otherwise it "
                "is reported and nothing is imported.", metavar="FIELD"),
         AnswerKindOption, WelshOption)
def import_(file: Path, published_on: str, kind: str = "police-s55", actor: str | None = None,
            dry_run: bool = False, again: bool = False, title: str | None = None,
            force: str | None = None, inspectorate: str | None = None,
            rest_to: str | None = None, answer_kind: str | None = None,
            welsh: Path | None = None):
    """Open a review from a response document; prints its reference and where every word went.
    Nothing is lost: a record that would not keep every word of the file is refused, with the
    passages it could not place."""
    from .services.drafting import open_review
    from .services.importing import read_record, summary

    day = parse_date(published_on, "published_on")
    context = ctx()
    record, notes, warnings = read_record(context, file, title=title, force=force,
                                          inspectorate=inspectorate, rest_to=rest_to,
                                          answer_kind=answer_kind, actor=actor, welsh=welsh)
    for line in notes + warnings:
        echo(f"note: {line}", err=True)
    if dry_run:
        echo(f"{file}: would open a review of {record.force}: {record.title}")
        for line in summary(record, detail=True):
            echo(line)
        echo("nothing stored (--dry-run)")
        return
    ref = open_review(context, actor=actor, record=record, published_on=day, kind=kind,
                      source=file.name + (f" + {welsh.name}" if welsh else ""), again=again)
    echo(ref)  # alone on stdout, for scripts; where the words went is for the person
    for line in summary(record):
        echo(line, err=True)


@command("open", option("--title", "The report's title.", required=True),
         option("--published-on", "The day HMICFRS published the report (YYYY-MM-DD).",
                required=True, metavar="DATE"), Kind, Actor)
def open_(title: str, published_on: str, kind: str = "police-s55", actor: str | None = None):
    """Register a newly published report for the office's force; opens an empty draft."""
    from .render.sanitise import plain_text
    from .services.drafting import open_review, blank_record

    context = ctx()
    day = parse_date(published_on, "published_on")
    record = blank_record(context, plain_text(title), actor)
    echo(open_review(context, actor=actor, record=record, published_on=day, kind=kind))


@command("open-thematic", option("--title", "The national report's title.", required=True),
         option("--published-on", "The day HMICFRS published it (YYYY-MM-DD).",
                required=True, metavar="DATE"), Kind,
         option("--forces", "The forces list (default config/forces.csv).", type=Path), Actor)
def open_thematic(title: str, published_on: str, kind: str = "police-s55",
                  forces: Path | None = None, actor: str | None = None):
    """Open one review per force for a national thematic report; safe to run again. Runs here,
    without Prefect (s55 serve also serves it as the `open-thematic` deployment)."""
    from .render.sanitise import plain_text
    from .services import thematic

    context = ctx()
    thematic.may_open(context, actor)
    day = parse_date(published_on, "published_on")
    clean = plain_text(title)
    if not clean:
        raise InvalidInput("--title", "must not be empty")
    context.kind(kind)
    thematic.forces(context, forces)  # refuse a bad list before anything starts

    # in this process, without Prefect: a person does not wait for a Prefect server to start
    result = thematic.open_all(context, actor=actor, title=clean, published_on=day, kind=kind,
                               forces_file=forces, progress=thematic.progress_bar)
    sys.stderr.write("\n")
    for r in result["opened"]:
        echo(f"opened  {r['ref']}  {r['force']}")
    for r in result["existing"]:
        echo(f"exists  {r['ref']}  {r['force']}")
    if result["elsewhere"]:
        echo(f"not opened here ({len(result['elsewhere'])} forces whose offices are not yours "
             f"or not on this service): {', '.join(result['elsewhere'])}")
    echo(f"{len(result['opened'])} opened, {len(result['existing'])} already open")


@command("export", Ref, Actor, Arg("-o", "--output", type=Path,
                                   help="Write it to this file (a Word document if it ends "
                                        ".docx: a line a paragraph, each language a section)."))
def export(ref: str, actor: str | None = None, output: Path | None = None):
    """Write the current version back in the house style (import it again, edited, with
    `s55 edit REF --from FILE`)."""
    from .services.reading import export as export_record

    text = export_record(ctx(), actor=actor, ref=ref)
    if output:
        data = text.encode("utf-8")
        if output.suffix.lower() == ".docx":
            from .worddoc import house_style_docx

            data = house_style_docx(text, title=f"{ref}: response record")
        partial = output.with_name(f".{output.name}.partial")
        try:
            partial.write_bytes(data)  # whole, or not at all: never half a file where it was
            os.replace(partial, output)
        except OSError as err:
            partial.unlink(missing_ok=True)
            raise InvalidInput("--output", f"{output} cannot be written ({err.strerror})") \
                from None
        echo(f"wrote {output}")
    else:
        sys.stdout.write(text)


# --- the follow-up of published answers ------------------------------------------------------

ActionName = Arg("name", metavar="ACTION", help="The action, as `s55 actions` names it: "
                 "REF/R2 (recommendation 2), REF/C1 (cause of concern 1), REF/A3 (area for "
                 "improvement 3).")
ActionVersion = option("--version", "The action's version you read (`s55 actions`); refused if "
                       "it changed since.", type=whole_number("version"), metavar="N")


@command("actions", Arg("what", nargs="?", choices=["export", "import", "themes"],
                        metavar="export|import|themes",
                        help="`export` the plan to a spreadsheet, or `import` one (FILE); "
                        "`themes`: the open actions of every report by inspection theme and "
                        "age, the overdue ones oldest first, and the follow-up measures."),
         Arg("file", nargs="?", type=Path, metavar="FILE", help="With `import`: the plan, "
             ".xlsx or .csv."),
         option("--report", "Only this review's actions.", metavar="REF"),
         option("--owner", "Only this owner's actions.", metavar="EMAIL"),
         option("--overdue", "Only open actions past their target date.", action="store_true"),
         option("--xlsx", "With `export`: write the plan to this .xlsx file.", type=Path,
                metavar="FILE"),
         option("--csv", "With `export`: write the plan to this .csv file.", type=Path,
                dest="csv_file", metavar="FILE"),
         option("--dry-run", "With `import`: check every cell and say what would change; "
                "change nothing.", action="store_true"),
         Actor, AsJson)
def actions(what: str | None = None, file: Path | None = None, report: str | None = None,
            owner: str | None = None, overdue: bool = False, xlsx: Path | None = None,
            csv_file: Path | None = None, dry_run: bool = False, actor: str | None = None,
            as_json: bool = False):
    """The follow-up of published answers: every action with its owner, target date, status
    and RAG mark today (config/actions.yaml), overdue first; or the plan to and from a
    spreadsheet (`s55 actions export --xlsx PLAN.xlsx`, `s55 actions import PLAN.xlsx`)."""
    from .services.actions import listing

    if what == "export":
        from .services.plans import export as write_plan

        target = xlsx or csv_file
        if target is None:
            raise InvalidInput("--xlsx/--csv", "name the file to write the plan to")
        count = write_plan(ctx(), actor=actor, path=target, report=report)
        echo(f"wrote {target}: {count} actions")
        return
    if what == "import":
        from .services.plans import apply_plan, read_plan

        if file is None:
            raise InvalidInput("FILE", "name the spreadsheet to import (.xlsx or .csv)")
        context = ctx()
        plan = read_plan(context, actor=actor, path=file)
        for line in plan.notes:
            echo(f"note: {line}", err=True)
        if dry_run:
            for change in plan.changes:
                echo(f"would change {change.name} ({change.where})")
            echo(f"{len(plan.changes)} actions would change, {plan.unchanged} as they are; "
                 "nothing stored (--dry-run)")
            return
        for line in apply_plan(context, actor=actor, plan=plan, source=file.name):
            echo(line)
        echo(f"{len(plan.changes)} actions changed, {plan.unchanged} as they were")
        return
    if what == "themes":
        return themes(actor, as_json)
    rows = listing(ctx(), actor=actor, report=report, owner=owner, overdue_only=overdue)
    if as_json:
        echo(json.dumps(rows, indent=2))
        return
    if not rows:
        echo("no actions" + (" overdue" if overdue else "") + ": a review's actions open "
             "once its copies have gone (`s55 open-actions REF` for one that went before)")
    for a in rows:
        late = f", {a['days_overdue']} days overdue" if a["overdue"] else ""
        echo(f"{a['action']:<18} {a['rag']:<6} {a['status']:<27} "
             f"{(a['target'] or 'no target'):<10} {a['owner'] or '(no owner)'}{late}")
        echo(f"    {a['item']}: {a['text'][:100]}")


def themes(actor: str | None, as_json: bool) -> None:
    """`s55 actions themes`: the picture across reports (of every office, nationally)."""
    from .services.followup import picture

    data = picture(ctx(), actor=actor)
    if as_json:
        echo(json.dumps(data, indent=2))
        return
    echo(f"open actions by inspection theme and age, {data['today']}"
         + ("" if data["office"] else ", every office"))
    if not data["themes"]:
        echo("  no open actions")
    bands = data["ages"]
    for t in data["themes"]:
        ages = ", ".join(f"{t['ages'][b]} {b}" for b in bands if t["ages"][b])
        echo(f"  {t['theme'][:70]}: {t['open']} open, {t['overdue']} overdue ({ages})"
             + (f"; {t['offices']} offices" if not data["office"] else ""))
    echo(f"overdue, the longest first: {len(data['overdue'])}")
    for a in data["overdue"]:
        echo(f"  {a['action']:<18} {a['days_overdue']:>4} days overdue (target {a['target']}) "
             f"{a['owner'] or '(no owner)'}: {a['theme'][:50]}")
    echo(follow_up_line(data["measures"]))
    for office, m in data.get("offices", {}).items():
        echo(f"  {office}: {follow_up_line(m)}")


def follow_up_line(m: dict) -> str:
    share = "n/a (no action opened a year ago)" if m["closed_within_a_year_share"] is None \
        else f"{m['closed_within_a_year_share']}% ({m['closed_within_a_year']} of " \
             f"{m['opened_a_year_ago']} opened a year ago or more)"
    median = "n/a (none done yet)" if m["median_days_to_close"] is None \
        else f"{m['median_days_to_close']:g} days (of {m['done']} done)"
    return (f"follow-up: {m['actions']} actions, {m['open']} open ({m['overdue']} overdue), "
            f"{m['not_accepted']} not accepted; done within a year: {share}; median time to "
            f"done: {median}")


@command("action", ActionName, Actor, AsJson)
def action(name: str, actor: str | None = None, as_json: bool = False):
    """One action: the item, its published answer, and every dated update."""
    from .domain.actions import parse_name
    from .services.actions import listing, updates

    ref = parse_name(name)[0]
    context = ctx()
    found = [a for a in listing(context, actor=actor, report=ref) if a["action"] == name]
    history = updates(context, actor=actor, name=name)
    if as_json:
        echo(json.dumps({**found[0], "updates": history}, indent=2))
        return
    a = found[0]
    echo(f"{a['action']}: {a['item']} of {a['ref']} (version {a['version']})")
    echo(f"  {a['text']}")
    if a["answer"]:
        echo(f"  published answer ({a['answer_kind']}): {a['answer']}")
    echo(f"  owner {a['owner'] or '(none)'}; target {a['target'] or '(none)'}; {a['status']}; "
         f"{a['rag']}" + (f"; not accepted: {a['reason']}" if a["reason"] else ""))
    for u in history:
        changed = "; ".join(f"{k} {v[0] or '-'} -> {v[1]}" for k, v in u["changes"].items())
        echo(f"  {u['at'][:16]} {u['by']} (version {u['version']})"
             + (f": {changed}" if changed else ""))
        for label in ("note", "evidence"):
            if u[label]:
                echo(f"      {label}: {u[label]}")


@command("open-actions", Ref, Actor)
def open_actions(ref: str, actor: str | None = None):
    """Open the follow-up of a review whose copies went before actions were opened with them
    (safe to run again: none is opened twice)."""
    from .services.actions import open_actions as opening

    echo(f"{ref}: {opening(ctx(), actor=actor, ref=ref)} actions opened")


@command("assign-action", ActionName,
         option("--owner", "Who answers for it: a person of the office or of the chief "
                "officer's side.", metavar="EMAIL"),
         option("--target", "The date it is to be done by (YYYY-MM-DD).", metavar="DATE"),
         option("--note", "Why, for the record.", default=""), ActionVersion, Actor)
def assign_action(name: str, owner: str | None = None, target: str | None = None,
                  note: str = "", version: int | None = None, actor: str | None = None):
    """Give an action its owner and target date (an OPCC officer)."""
    from .services.actions import assign

    new = assign(ctx(), actor=actor, name=name, owner=owner,
                 target=parse_date(target, "target"), note=note, seen_version=version)
    echo(f"{name}: version {new}")


@command("update-action", ActionName,
         option("--status", "not-started, in-progress, complete, closed (by the inspectorate: "
                "the office only), not-accepted (with --reason)."),
         option("--note", "What was done since the last update.", default=""),
         option("--evidence", "Where the evidence is (a document, a link, a meeting).",
                default=""),
         option("--reason", "Why it is not accepted.", default=""), ActionVersion, Actor)
def update_action(name: str, status: str | None = None, note: str = "", evidence: str = "",
                  reason: str = "", version: int | None = None, actor: str | None = None):
    """A dated update of an action, by its owner or the office."""
    from .services.actions import update

    new = update(ctx(), actor=actor, name=name, status=status, note=note, evidence=evidence,
                 reason=reason, seen_version=version)
    echo(f"{name}: version {new}")


@command("cycle", Arg("what", metavar="open|N", help="`open` a cycle for a board's meeting, "
                                                 "or show cycle N."),
         option("--board", "The board the updates are for, e.g. \"Accountability board\"."),
         option("--meeting", "The day it meets (YYYY-MM-DD).", metavar="DATE"), Actor, AsJson)
def cycle(what: str, board: str | None = None, meeting: str | None = None,
          actor: str | None = None, as_json: bool = False):
    """Open a review cycle (each owner of open actions asked for an update, by a day counted
    back from the meeting in working days), or show one: what was asked of whom, and what
    came in."""
    from .services import cycles

    context = ctx()
    if what == "open":
        if not board or not meeting:
            raise InvalidInput("--meeting" if board else "--board",
                               "`s55 cycle open` needs --board NAME and --meeting DATE")
        out = cycles.open_cycle(context, actor=actor, board=board,
                                meeting=parse_date(meeting, "meeting"))
    elif what.isascii() and what.isdigit():
        if len(what) > 12:
            from .domain.errors import NotFound

            raise NotFound(f"there is no cycle {what[:20]}...")
        out = cycles.show(context, actor=actor, cycle_id=int(what))
    else:
        raise InvalidInput("what", f"'{what[:40]}' is neither `open` nor a cycle's number")
    if what == "open" and out["asked"]:
        from .services import mailing, requests

        if not requests.served_by(context):  # as a decision's route would, here, once
            sent = mailing.deliver(context, None)
            out["delivered_here"] = {"sent": len(sent["sent"]), "not_sent": len(
                sent["failed"]) + len(sent["retry"])}
    if as_json:
        echo(json.dumps(out, indent=2))
        return
    if "delivered_here" in out:
        done = out["delivered_here"]
        echo(f"  no `s55 serve` is running for this office: the requests went from here "
             f"({done['sent']} sent" + (f", {done['not_sent']} not yet: see `s55 outbox`"
                                         if done["not_sent"] else "") + ")")
    echo(f"cycle {out['cycle']}: {out['board']} on {out['meeting']}; updates due by "
         f"{out['due']}" + ("" if out.get("open", True) else f"; closed {out['closed_on']}"))
    for owner, names in out["asked"].items():
        echo(f"  asked {owner}: {', '.join(names)}")
    if out["no_owner"]:
        echo(f"  no owner to ask (assign them): {', '.join(out['no_owner'])}")
    if "came_in" in out:
        echo(f"  came in: {', '.join(out['came_in']) or 'nothing'}")
        for owner, names in out["not_in"].items():
            echo(f"  did not come in from {owner}: {', '.join(names)}")
    elif out.get("waiting_for"):
        echo(f"  still waiting for: {', '.join(out['waiting_for'])}")
    if out.get("report"):
        kept = "on the site" if out.get("on_site", True) else \
            "kept off the site, in $S55_HOME/board-papers"
        echo(f"  report: {out['report']} ({kept})"
             + (f"; sent to {out['sent_to']}" if out.get("sent_to") else ""))


@command("cycles", Actor, AsJson)
def cycles_(actor: str | None = None, as_json: bool = False):
    """Every review cycle, the newest meeting first."""
    from .services.cycles import listing

    rows = listing(ctx(), actor=actor)
    if as_json:
        echo(json.dumps(rows, indent=2))
        return
    if not rows:
        echo("no review cycles yet: `s55 cycle open --board NAME --meeting DATE`")
    for c in rows:
        echo(f"{c['cycle']:>4} {c['meeting']} {c['board']}: "
             + ("open, updates due " + c["due"] if c["open"] else
                f"closed, {len(c.get('came_in', []))} came in, "
                f"{sum(map(len, c.get('not_in', {}).values()))} did not"))


@command("list", Actor, AsJson, option("--stage", "Only reviews in this stage."))
def list_(actor: str | None = None, as_json: bool = False, stage: str | None = None):
    """Every review with its stage and deadlines, soonest deadline first."""
    from .services.reading import list_reviews

    rows = list_reviews(ctx(), actor=actor, stage=stage)
    if as_json:
        echo(json.dumps(rows, indent=2))
        return
    if not rows:
        echo("no reviews yet: `s55 import FILE --published-on DATE` opens one")
    for r in rows:
        echo(f"{r['ref']:<15} {r['stage']:<30} last day {r['statutory_last_day'] or '-':<10}"
                   f"  {r['progress']:<22} {r['force']}: {r['title'][:50]}")


@command("show", Ref, Actor, AsJson)
def show(ref: str, actor: str | None = None, as_json: bool = False):
    """One review: stage, deadlines and their arithmetic, versions, what is outstanding."""
    from .services.reading import show as show_review
    from .views import show_text

    data = show_review(ctx(), actor=actor, ref=ref)
    echo(json.dumps(data, indent=2) if as_json else show_text(data))


Lang = option("--lang", "The language of the text given: en (English, the default) or cy "
              "(Welsh), on a review its office keeps in both.", default="en", metavar="en|cy")


@command("add-item", Ref, option("--text", "The item's text; give --text again for each further "
                                  "item of the same kind (one version for all).", required=True,
                                  action="append"),
         option("--kind", "recommendations, causes_of_concern or areas_for_improvement",
                required=True),
         option("--area", "The area of the report they fall under.", default=""), Lang, Actor,
         NoWait)
def add_item(ref: str, text: list[str], kind: str, area: str = "", lang: str = "en",
             actor: str | None = None, no_wait: bool = False):
    """Record recommendations, causes of concern or areas for improvement from the report."""
    from .render.sanitise import plain_text
    from .services.drafting import add_items

    context = ctx()
    new = add_items(context, actor=actor, ref=ref, kind=kind.replace("-", "_"),
                    texts=[plain_text(t) for t in text], area=plain_text(area), lang=lang)
    echo(f"{ref}: {len(text)} added; version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@command("edit", Ref, option("--field", "e.g. summary, initial_response, or an item as "
                             "recommendations.2 (causes_of_concern.N, areas_for_improvement.N)"),
         option("--text", "The new text."), option("--file", "Read the new text from a file.",
                                                   type=Path),
         option("--from", "Replace the draft's content from a document (as `s55 import` reads "
                "it: house style, free text, Markdown or .docx) and show what changed.",
                dest="source", type=Path, metavar="DOCUMENT"),
         option("--rest-to", "With --from: where text under no heading goes.", metavar="FIELD"),
         AnswerKindOption, WelshOption, Lang, Version, Actor, NoWait)
def edit(ref: str, field: str | None = None, text: str | None = None, file: Path | None = None,
         source: Path | None = None, rest_to: str | None = None, answer_kind: str | None = None,
         welsh: Path | None = None, lang: str = "en", version: str | None = None,
         actor: str | None = None, no_wait: bool = False):
    """Replace one field of the draft (HTML is sanitised), or all of it from a document."""
    from .render.sanitise import plain_text, rich_text
    from .services.drafting import edit_text

    context = ctx()
    if source is not None:
        if field or text is not None or file is not None:
            raise InvalidInput("--from", "replaces the whole draft: give it without --field, "
                               "--text or --file")
        return edit_from(context, ref, source, rest_to, answer_kind, version, actor, no_wait,
                         welsh)
    if welsh is not None:
        raise InvalidInput("--welsh", "goes with --from (the Welsh of that document); to "
                           "replace one field's Welsh, give --lang cy")
    if not field:
        raise InvalidInput("--field", "name the field to replace (or give --from DOCUMENT)")
    value = read_text(text, file, "--text/--file")
    if value is None:
        raise InvalidInput("--text/--file", "give the new text")
    plain = field in ("force", "title", "local_policing_body", "chief_officer") or "." in field
    value = plain_text(value) if plain else rich_text(value)
    new = edit_text(context, actor=actor, ref=ref, field_name=field, value=value,
                    seen_version=version, lang=lang)
    echo(f"{ref}: version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


def edit_from(context, ref: str, source: Path, rest_to: str | None, answer_kind: str | None,
              version: str | None, actor: str | None, no_wait: bool,
              welsh: Path | None = None) -> None:
    from .services.drafting import replace_content
    from .services.importing import read_record
    from .services.reading import diff, record as current

    now = current(context, actor=actor, ref=ref)
    found: dict = {}
    record, notes, warnings = read_record(context, source, title=now.title, force=now.force,
                                          inspectorate="; ".join(now.inspectorates),
                                          rest_to=rest_to, answer_kind=answer_kind,
                                          actor=actor, welsh=welsh, found=found)
    for line in notes + warnings:
        echo(f"note: {line}", err=True)
    # a document `s55 export` wrote names its version: an older one (a translator's copy, say)
    # must not undo what changed since (refused as a stale version), unless --version says
    # which version the person means to replace
    before, new = replace_content(context, actor=actor, ref=ref, record=record,
                                  source=source.name + (f" + {welsh.name}" if welsh else ""),
                                  seen_version=version,
                                  exported_from=found.get("version") if version is None else None)
    if new is None:
        echo(f"{ref}: {source.name} holds the draft as it is; nothing changed")
        return
    echo(f"{ref}: version {new[:12]} from {source.name}; what changed:")
    for kind, line in diff(context, actor=actor, ref=ref, old=before, new=new):
        if not line.startswith("Version:\t"):  # each version names itself: not a change
            echo(f"  {kind} {line}" if kind != "…" else "  …")
    after_decision(context, ref, no_wait)


@command("invite", Ref, option("--due", "The chief officer's date (default: from config, in "
                                "working days).", metavar="DATE"), Actor, NoWait)
def invite(ref: str, due: str | None = None, actor: str | None = None, no_wait: bool = False):
    """Invite the chief officer's comments before a date (s55(4))."""
    from .services.route import invite_chief_officer

    context = ctx()
    day = invite_chief_officer(context, actor=actor, ref=ref, due=parse_date(due, "due"))
    echo(f"{ref}: chief officer invited; comments due {day.isoformat()}")
    after_decision(context, ref, no_wait)


@command("move-due", Ref, option("--due", "The new date (YYYY-MM-DD).", required=True,
                                  metavar="DATE"),
         option("--reason", "Why it moves.", default=""), Actor, NoWait)
def move_due(ref: str, due: str, reason: str = "", actor: str | None = None,
             no_wait: bool = False):
    """Move the chief officer's due date."""
    from .services.route import move_chief_officer_due

    context = ctx()
    day = move_chief_officer_due(context, actor=actor, ref=ref, due=parse_date(due, "due"),
                                 reason=reason)
    echo(f"{ref}: chief officer's comments now due {day.isoformat()}")
    after_decision(context, ref, no_wait)


@command("comment", Ref, Version, option("--text", "Chief officer: your comments."),
         option("--file", "Chief officer: your comments, from a file.", type=Path),
         option("--initial", "Local policing body: its comments on the report (s55(5)(a)), "
                "from a file.", type=Path),
         option("--overall", "Local policing body: its response to the chief officer "
                "(s55(5)(c)), from a file.", type=Path), Lang,
         option("--cy-file", "Your comments in Welsh, from a file, given with the English (a "
                "review kept in both languages).", type=Path, metavar="FILE"), Actor, NoWait)
def comment(ref: str, version: str | None = None, text: str | None = None,
            file: Path | None = None, initial: Path | None = None, overall: Path | None = None,
            lang: str = "en", cy_file: Path | None = None, actor: str | None = None,
            no_wait: bool = False):
    """Submit comments: the chief officer's (s55(5)(b)) or the local policing body's."""
    from .render.sanitise import rich_text
    from .services.drafting import comments

    context = ctx()
    given = {"text": read_text(text, file, "--text/--file"),
             "initial_response": read_text(None, initial, "--initial") if initial else None,
             "overall_comments": read_text(None, overall, "--overall") if overall else None}
    fields = {k: rich_text(v) for k, v in given.items() if v is not None}
    welsh = {"text": rich_text(read_text(None, cy_file, "--cy-file"))} if cy_file else None
    new = comments(context, actor=actor, ref=ref, seen_version=version, lang=lang, welsh=welsh,
                   **fields)
    echo(f"{ref}: comments recorded; version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@command("answer", Ref, Arg("number", metavar="NUMBER", type=whole_number("NUMBER"),
                             help="The recommendation's number."),
         option("--kind", "action-taken, action-proposed or no-action", required=True),
         option("--text", "The action, or why there is none.", required=True),
         Lang, Version, Actor, NoWait)
def answer(ref: str, number: int, kind: str, text: str, lang: str = "en",
           version: str | None = None, actor: str | None = None, no_wait: bool = False):
    """Answer one recommendation (s55(5B))."""
    from .render.sanitise import plain_text
    from .services.drafting import answer_recommendation

    context = ctx()
    new = answer_recommendation(context, actor=actor, ref=ref, number=number, kind=kind,
                                text=plain_text(text), seen_version=version, lang=lang)
    echo(f"{ref}: recommendation {number} answered; version {new[:12] if new else 'unchanged'}")
    after_decision(context, ref, no_wait)


@command("request-sign-off", Ref, Actor, NoWait)
def request_sign_off(ref: str, actor: str | None = None, no_wait: bool = False):
    """Put the current version to the local policing body for sign-off."""
    from .services.reading import show
    from .services.route import request_sign_off as request

    context = ctx()
    outstanding = request(context, actor=actor, ref=ref)
    version = show(context, actor=actor, ref=ref)["current_version"]
    echo(f"{ref}: sign-off requested on version {version} (sign-off names it: "
               f"s55 sign-off {ref} --version {version[:12]})")
    for line in outstanding:
        echo(f"  outstanding before sign-off: {line}")
    after_decision(context, ref, no_wait)


@command("sign-off", Ref, option("--version", "The exact version you are signing off (its hash).",
                                  required=True, metavar="HASH"), Actor, NoWait)
def sign_off(ref: str, version: str, actor: str | None = None, no_wait: bool = False):
    """Sign off one exact version of the response."""
    from .services.route import sign_off as sign

    context = ctx()
    digest = sign(context, actor=actor, ref=ref, version=version)
    echo(f"{ref}: version {digest} signed off")
    after_decision(context, ref, no_wait)


@command("send-back", Ref, option("--to", "chief-officer or drafting", required=True),
         option("--reason", "Why it goes back.", required=True), Actor, NoWait)
def send_back(ref: str, to: str, reason: str, actor: str | None = None, no_wait: bool = False):
    """Send a review back to the chief officer or to drafting, with a reason."""
    from .services.route import send_back as back

    context = ctx()
    stage = back(context, actor=actor, ref=ref, to=to, reason=reason)
    echo(f"{ref}: sent back; now {stage}")
    after_decision(context, ref, no_wait)


@command("publish", Ref, Actor, NoWait,
         option("--reason", "Why it is late (needed after the statutory last day).", default=""))
def publish(ref: str, actor: str | None = None, no_wait: bool = False, reason: str = ""):
    """Publish the signed-off version: the page, text and PDF, the site index, the copies."""
    from .services.publishing import request_publication

    context = ctx()
    version = request_publication(context, actor=actor, ref=ref, late_reason=reason)
    echo(f"{ref}: version {version[:12]} released for publication")
    after_decision(context, ref, no_wait)


@command("outbox", option("--status", "pending, sending, sent or failed"), Actor, AsJson)
def outbox(status: str | None = None, actor: str | None = None, as_json: bool = False):
    """Messages: pending, sent and failed, with their last error."""
    from .services.mailing import outbox_rows
    from .services.reading import may_read

    context = ctx()
    rows = outbox_rows(context, status=status, office=may_read(context, actor))
    if as_json:
        echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        error = f"  last error: {r['last_error']}" if r["last_error"] else ""
        echo(f"{r['id']:>5} {r['status']:<8} {r['ref']:<15} {r['template']:<20} "
                   f"{r['recipient']:<40} attempts {r['attempts']}{error}")
    if not rows:
        echo("no messages")


@command("withdraw", Ref, option("--reason", "Why.", required=True), Actor, NoWait)
def withdraw(ref: str, reason: str, actor: str | None = None, no_wait: bool = False):
    """Withdraw a review."""
    from .services.route import withdraw as withdraw_review

    context = ctx()
    stage = withdraw_review(context, actor=actor, ref=ref, reason=reason)
    echo(f"{ref}: {stage}")
    after_decision(context, ref, no_wait)


@command("advance", Arg("ref", metavar="REF", nargs="?", help="The review (or --all)."),
         option("--all", "Every review.", dest="all_", action="store_true"), Actor)
def advance(ref: str | None = None, all_: bool = False, actor: str | None = None):
    """Run the route on a review (or all) by hand: takes every automated step that is due, once.

    With `s55 serve` running, it asks the served process and waits for its report; with none,
    it runs the `advance` flow here under Prefect (with its retries)."""
    from .orchestrate import advance_by_hand
    from .services.automation import open_refs

    from .services import requests

    context = ctx()
    if not ref and not all_:
        raise InvalidInput("REF", "name a review, or give --all")
    # on a service of many offices a person runs the route of their own office's reviews
    scope = context.scope(context.actor(actor)) if context.offices.many else None
    refs = [ref] if ref else open_refs(context, scope)
    if ref and scope:
        from .services.reading import show
        show(context, actor=actor, ref=ref)  # another office's review is answered as unknown
    if not refs:
        echo("no review has work for the route")
    elif not requests.served_by(context):
        echo("no `s55 serve` is running: the advance flow runs here, under Prefect "
                   "(its start-up takes 10-20 s)")
    for one in refs:
        result = advance_by_hand(context, one, by=actor or "")
        if result is None:
            echo(f"  the route is still working on {one}: `s55 show {one}` shows where it "
                       "stands")
        else:
            print_route(result)


@command("audit", Arg("target", metavar="REF|verify|export",
                      help="A review's reference for its trail; 'verify' to check the whole "
                           "chain; 'export REF' for a bundle an outsider can check."),
         Arg("ref", metavar="REF", nargs="?", help="With export: the review."),
         Arg("-o", "--output", type=Path, help="With export: a new folder (default ./audit-REF)."),
         Arg("--anchors", action="append", metavar="FILE_OR_URL",
             help="With verify: also check the chain against the anchors in this file or at "
                  "this address (an office's audit/anchors.txt); may be given more than once."),
         Actor, AsJson)
def audit(target: str, ref: str | None = None, output: Path | None = None,
          anchors: list[str] | None = None, actor: str | None = None, as_json: bool = False):
    """A review's trail (who did what to which version, when), `audit verify [--anchors
    FILE_OR_URL]`, `audit export REF`."""
    from .services.reading import audit_trail, verify_audit
    from .views import audit_text

    if anchors and target != "verify":
        raise InvalidInput("--anchors", "goes with `s55 audit verify`")

    if target == "export":
        from .services.bundle import export_bundle

        if not ref:
            raise InvalidInput("REF", "name the review to export: s55 audit export REF")
        folder = export_bundle(ctx(), actor=actor, ref=ref, out=output or Path(f"audit-{ref}"))
        echo(f"wrote {folder}: check it with `python3 {folder / 'verify.py'} {folder}`")
        disagree = json.loads((folder / "manifest.json").read_text())["anchors_disagree"]
        if disagree:
            echo(f"WARNING: the audit trail does not hold the site's anchors: {disagree}",
                 err=True)
        return
    if target == "verify":
        if anchors:
            from .services.anchoring import verify

            verdict = verify(ctx(), actor=actor, sources=anchors)
        else:
            verdict = verify_audit(ctx(), actor=actor)
        if not verdict.ok:
            echo(f"audit chain BROKEN: {verdict.message}", err=True)
            raise Exit(1)
        echo(f"audit chain {verdict.message}")
        return
    rows = audit_trail(ctx(), actor=actor, ref=target)
    echo(json.dumps(rows, indent=2) if as_json else audit_text(rows))


@command("remind", option("--today", "Sweep as of this day (YYYY-MM-DD); default today in "
                          "Europe/London.", metavar="DATE"), Actor)
def remind(today: str | None = None, actor: str | None = None):
    """Run the reminder sweep by hand: what the daily schedule runs."""
    from .domain.workflow import Action, check_role

    context = ctx()
    person = context.actor(actor)
    check_role(Action.RUN_REMINDERS, person.role)
    day = parse_date(today, "today")
    from prefect import tags

    from flows.reminders import reminder_sweep

    with tags("reminders"):  # a person's sweep is their office's; the schedule's, every office's
        report = reminder_sweep(day.isoformat() if day else None, person.office or None)
    echo(f"reminder sweep for {report['today']}")
    if report.get("quiet"):
        echo(f"  {report['today']} is {report['quiet']}")
    for key, label in (("planned", "planned"), ("sent", "sent"), ("skipped", "skipped"),
                       ("not_sent", "NOT SENT (kept, retried by the next sweep)")):
        for line in report[key]:
            echo(f"  {label}: {line}")
    if not any(report[k] for k in ("planned", "sent", "skipped", "not_sent")):
        echo("  nothing due")
    for key, label in (("opened", "review cycle opened (the board's schedule)"),
                       ("missed", "review cycle NOT OPENED (its due day passed)"),
                       ("reminded", "review cycle reminder"),
                       ("escalated", "review cycle escalation"), ("closed", "review cycle closed"),
                       ("reported", "review cycle report")):
        for line in report.get("cycles", {}).get(key, []):
            echo(f"  {label}: {line}")
    for line in report.get("anchored", []):
        echo(f"  audit trail anchored on the site: {line}")
    refused = report.get("cycles", {}).get("refused", [])
    if refused:  # everything else ran; this is what did not
        raise InvalidInput("config/actions.yaml", "review cycles not run: " + "; ".join(refused))


@command("status", Actor, AsJson)
def status(actor: str | None = None, as_json: bool = False):
    """Every open review: stage, who holds it, days left, and a red/amber/green mark; then
    what was published in the last 90 days and how it ended (--json: the open reviews)."""
    from .services.compliance import finished, status as open_reviews

    context = ctx()
    rows = open_reviews(context, actor=actor)
    if as_json:
        echo(json.dumps(rows, indent=2))
        return
    done = finished(context, actor=actor)
    if not rows:
        echo("no open reviews")
    for r in rows:
        left = r["progress"] if r["published_on"] else "no deadline" if r["days_left"] is None \
            else r["progress"] if r["days_left"] <= 0 else f"{r['days_left']} days left"
        echo(f"{r['rag'].upper():<6} {r['ref']:<15} {r['stage']:<30} {left:<18} "
             f"held by {r['held_by']} ({r['held_by_role']})  {r['force']}")
    if done:
        echo("published in the last 90 days:")
    for r in done:
        echo(f"       {r['ref']:<15} {r['published_on']:<30} {r['progress']}  {r['force']}")


@command("report", option("--year", "Responses published in this year.",
                          type=whole_number("--year")),
         option("--chart", "Also write the chart here (.svg); the site always gets one.",
                type=Path), Actor, AsJson)
def report(year: int | None = None, chart: Path | None = None, actor: str | None = None,
           as_json: bool = False):
    """Published responses: the day each was published on against the 56-day line, the on-time
    rate, the reasons for lateness; also written to the site as compliance.html and .svg."""
    from .services.compliance import chart_svg, report as timeliness
    from .services.publishing import write_compliance_page

    from .services.followup import picture

    context = ctx()
    data = timeliness(context, actor=actor, year=year)
    data["follow_up"] = picture(context, actor=actor)["measures"]
    person = context.actor(actor)
    office = context.offices.get(person.office) if person.office else None
    if office is not None:  # a national reader's report is of every office: no one site
        write_compliance_page(context, office, year)
    if chart:
        chart.write_bytes(chart_svg(data, office.name if office else "Every office"))
    if as_json:
        echo(json.dumps(data, indent=2))
        return
    echo(f"{'response':<15} {'force':<34} {'report':<10}  {'published':<10}  day")
    for r in data["rows"]:
        day = "no deadline" if not r["period"] else f"{r['day']} of {r['period']}" \
            if r["on_time"] else f"{r['day']}"
        late = f"  published {r['late_by']} day{'s' if r['late_by'] != 1 else ''} late: " \
            f"{r['late_reason']}" if not r["on_time"] else ""
        echo(f"{r['ref']:<15} {r['force'][:34]:<34} {r['report_published_on']}  "
                   f"{r['published_on']}  {day}{late}")
    rate = "n/a" if data["on_time_rate"] is None else f"{data['on_time_rate']}%"
    written = chart or (context.site(office) / "compliance.svg" if office else None)
    echo(f"{data['on_time']} of {data['with_deadline']} on time ({rate})"
         + (f"; chart: {written}" if written else ""))
    echo(follow_up_line(data["follow_up"]))


@command("serve", option("--host", "Where the web app listens (beyond loopback, S55_WEB_URL "
                                   "must be set).", default="127.0.0.1"),
         option("--port", "Its port.", default=8055, type=whole_number("--port")),
         option("--status", "Say whether the route is served and how many requests wait; exit 1 "
                "when it is not served.", dest="status_", action="store_true"), AsJson)
def serve(host: str = "127.0.0.1", port: int = 8055, status_: bool = False,
          as_json: bool = False):
    """The office's long-running process: the web app, and the route served under Prefect."""
    if status_:
        return serve_status(ctx(), as_json)
    from .served import serve as run

    run(ctx(), host=host, port=port)


def serve_status(context, as_json: bool) -> int:
    from .services import requests

    served = requests.served_by(context)
    queue = requests.queue(context)
    if as_json:
        echo(json.dumps({"served": [
            {"owner": p.owner, "mode": p.mode, "since": p.started_at.isoformat(),
             "web_url": p.web_url, "prefect_api": p.prefect_api} for p in served], **queue},
            indent=2))
        return 0 if served else 1
    for p in served:
        echo(f"served by {p.owner} ({p.mode}) since {london(p.started_at)}; "
                   f"web {p.web_url}; Prefect {p.prefect_api}")
    if not served:
        echo("the route is NOT served: no `s55 serve` is running for this office")
    oldest = f", the oldest since {london(queue['oldest_pending'])}" if queue["oldest_pending"] \
        else ""
    echo(f"route requests: {queue['pending']} waiting{oldest}, {queue['running']} running")
    if queue["last_error"]:
        echo(f"  last error: {queue['last_error']}")
    return 0 if served else 1


@command("db", Arg("action", metavar="status|upgrade|backup", choices=["status", "upgrade", "backup"],
                   help="status: the schema the database holds and the one this s55 needs; "
                        "upgrade: apply the migrations (stop `s55 serve` and back up first); "
                        "backup FILE: a consistent copy of a SQLite database, taken live."),
         Arg("file", metavar="FILE", nargs="?", type=Path, help="With backup: a new file."),
         Actor, AsJson)
def db(action: str, file: Path | None = None, actor: str | None = None, as_json: bool = False):
    """The database: its schema, its upgrade and its backup."""
    from .services import database

    context = ctx()
    if action == "status":
        found = database.status(context)
        if as_json:
            echo(json.dumps(found, indent=2))
        else:
            echo(f"{found['database']}: schema {found['schema'] or 'none yet'}; this s55 needs "
                 f"{found['needs']}" + ("" if found["up_to_date"] or found["schema"] is None
                                       else ": run `s55 db upgrade`"))
        return 0 if found["up_to_date"] or found["schema"] is None else 1
    if action == "upgrade":
        before, after = database.upgrade(context, actor=actor)
        echo(f"schema {before or 'none'} -> {after}" if before != after
             else f"schema {after}: up to date, nothing to do")
        return 0
    if file is None:
        raise InvalidInput("FILE", "name the new file: s55 db backup FILE")
    echo(f"backed up to {database.backup(context, actor=actor, to=file)}")
    return 0


@command("backup", Arg("dest", metavar="DEST", type=Path,
                       help="A new folder for the backup."), Actor, AsJson)
def backup(dest: Path, actor: str | None = None, as_json: bool = False):
    """A consistent copy of the database (taken live), the site and the outbox, in a new
    folder with a manifest of SHA-256 sums; on the audit trail."""
    from .services import backup as backups

    made = backups.backup(ctx(), actor=actor, to=dest)
    if as_json:
        echo(json.dumps(made, indent=2))
        return 0
    head = made["audit_head"]
    echo(f"backed up to {made['to']}: {made['database']} database at schema {made['schema']}, "
         f"audit entry {head['seq']} ({head['hash'][:12]}), {made['files']} files")
    return 0


@command("restore", Arg("source", metavar="SRC", type=Path,
                        help="A folder made by `s55 backup`."), Actor, AsJson)
def restore(source: Path, actor: str | None = None, as_json: bool = False):
    """Bring a backup back (stop `s55 serve` first): checked against its manifest and its
    audit chain, the database replaced (SQLite's files moved aside, never deleted), missing
    site and outbox files put back (none removed), the restore on the audit trail."""
    from .services import backup as backups

    done = backups.restore(ctx(), actor=actor, source=source)
    if as_json:
        echo(json.dumps(done, indent=2))
        return 0
    echo(f"restored from {done['from']} (made {done['made_at']})")
    echo(f"  the database it replaced is kept in {done['replaced']}")
    if done["sessions_ended"]:
        echo(f"  {done['sessions_ended']} web sessions ended: everyone signs in again")
    echo(f"  files put back: {done['files_put_back']['site']} in the site, "
         f"{done['files_put_back']['outbox']} in the outbox")
    echo(f"  audit chain: {done['audit']}")
    for lost in done["anchors_lost"]:
        echo(f"  WARNING: the entries made after this backup are lost, and the site's public "
             f"anchors show it (`s55 audit verify --anchors` will fail, and the trail records "
             f"why): {lost}", err=True)
    return 0


@command("people")
def people():
    """The office's people, their roles and whom delegates act for (every office's on a
    service of many offices, with the national readers)."""
    offices = ctx().offices
    everyone = [p for o in offices for p in o.directory.people] + list(offices.national.people)
    for p in everyone:
        extra = f" (acts for {p.acting_for})" if p.acting_for else ""
        where = f" [{p.office or 'national'}]" if offices.many else ""
        echo(f"{p.email:<34} {p.role:<20} {p.name}, {p.title}{extra}{where}")


@command("demo", Arg("file", metavar="FILE", nargs="?", type=Path,
                     help="A house-style record (default: the Staffordshire PEEL 2022 response)."),
         option("--published-on", "The report's publication date (default for Staffordshire: "
                "2022-09-22).", metavar="DATE"))
def demo(file: Path | None = None, published_on: str | None = None):
    """Take a record through the whole route, printing each step, and end with the audit verdict."""
    from .demo import run_demo

    return run_demo(file, parse_date(published_on, "published_on"))
