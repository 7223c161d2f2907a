"""Action plans as spreadsheets (issue 13): offices hold their follow-up in spreadsheets and
governance systems already. `s55 actions export` writes the plan (.xlsx with openpyxl, the
maintained library for the format, or .csv); `s55 actions import` reads one back, or an
office's own, matching each row to an action, with the record import's rules: every cell is
used or the import is refused naming it, nothing is half-written, and no cell is ever taken as
a formula either way.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..domain.actions import Status, action_name, parse_name, status as status_of
from ..domain.errors import InvalidInput, NotFound, NotPermitted
from ..domain.workflow import Action, Role, Stage, check_role
from ..render.sanitise import kept_text
from ..store import repo
from .actions import MAX_NOTE, _action, _change, latest_notes, listing
from .context import Context
from .deciding import Decision, audit

COLUMNS = ("Action", "Report", "Item", "Text", "Area", "Published answer (kind)",
           "Published answer", "Owner", "Target date", "Status", "Reason not accepted", "RAG",
           "Days overdue", "Last update", "Last note", "Last evidence", "Update", "Evidence")
# the columns an import reads, by the names plans give them (matched without regard to case,
# spaces or punctuation); the rest describe the action and are checked, not changed
READ = {
    "action": ("action", "ref", "reference", "id"),
    "owner": ("owner", "lead", "action owner", "responsible", "owner email"),
    "target": ("target date", "target", "due date", "due", "deadline", "completion date"),
    "status": ("status", "progress status"),
    "reason": ("reason not accepted", "reason", "why not accepted"),
    "note": ("update", "progress", "progress update", "latest update", "note", "notes",
             "commentary"),
    "evidence": ("evidence", "evidence of completion"),
}
DESCRIBE = ("report", "item", "text", "area", "published answer kind", "published answer",
            "rag", "days overdue", "last update", "recommendation", "area for improvement",
            "cause of concern", "description", "rag status", "last note", "last evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20_000


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(name).casefold()).split())


# --- out --------------------------------------------------------------------------------------

def export(ctx: Context, *, actor: str | None, path: Path, report: str | None = None) -> int:
    """Write the plan (every action the actor may read, or one report's) to `path`, .xlsx or
    .csv by its name; returns how many rows. Text is always text: a cell that begins like a
    formula is written as a string (.xlsx) or with a leading apostrophe (.csv)."""
    said = latest_notes(ctx, actor=actor, report=report)  # what owners last reported
    rows = [_row(a, said.get(a["action"], {})) for a in listing(ctx, actor=actor, report=report)]
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = _xlsx(rows)
    elif suffix == ".csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_csv_safe(v) for v in row])
        data = out.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 with its mark
    else:
        raise InvalidInput("--xlsx/--csv", f"{path.name}: give a file ending .xlsx or .csv")
    from ..mail.transport import atomic_write

    try:
        atomic_write(path, data, public=True)
    except OSError as err:
        raise InvalidInput("output", f"{path} cannot be written ({err.strerror})") from None
    return len(rows)


def _row(a: dict, last: dict) -> list:
    return [a["action"], a["ref"], a["item"], a["text"], a["area"], a["answer_kind"],
            a["answer"], a["owner"], date.fromisoformat(a["target"]) if a["target"] else None,
            a["status"], a["reason"], a["rag"], a["days_overdue"] or None,
            date.fromisoformat(a["last_update"]) if a["last_update"] else None,
            last.get("note", ""), last.get("evidence", ""), "", ""]


def _csv_safe(value) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Action plan"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([None] * len(COLUMNS))
        for col, value in enumerate(row, 1):
            cell = sheet.cell(row=sheet.max_row, column=col)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it begins with
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJKLMNOPQR", (18, 15, 22, 60, 25, 18, 50, 30, 12, 26, 30,
                                                   8, 8, 12, 40, 30, 40, 30)):
        sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- in ---------------------------------------------------------------------------------------

@dataclass
class Change:
    name: str
    where: str  # "row 4"
    owner: str | None = None
    target: date | None = None
    status: Status | None = None
    reason: str = ""
    note: str = ""
    evidence: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def read_plan(ctx: Context, *, actor: str | None, path: Path) -> Plan:
    """A spreadsheet as the changes it asks for, every cell checked: refused, naming each
    cell, if a row names no action of the actor's office, a column is not one a plan has, a
    date is not a date, a status is not one, an owner is not a person of the office, a text
    is too long, or a cell holds a formula."""
    person = ctx.actor(actor)
    check_role(Action.ASSIGN_ACTION, person.role)
    table, sheet_notes = _cells(path)
    if not table:
        raise InvalidInput(path.name, "has no rows")
    header, body = table[0], table[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput(path.name, f"has {len(body)} rows; the most an import takes is "
                           f"{MAX_ROWS}")
    columns: dict[int, str] = {}
    problems: list[str] = []
    for col, name in enumerate(header):
        key = _key(name or "")
        found = next((field_ for field_, names in READ.items() if key in names), None)
        if found is not None and found in columns.values():
            problems.append(f"{_cell(1, col)}: a second '{name}' column")
        elif found is not None:
            columns[col] = found
        elif key and key not in DESCRIBE:
            problems.append(f"{_cell(1, col)}: '{str(name)[:40]}' is not a column s55 reads or "
                            "writes (rename it, or move what it holds into 'Update')")
    if "action" not in columns.values():
        raise InvalidInput(path.name, "has no 'Action' column naming each row's action "
                           "(REF/R2, as `s55 actions export` writes it)")
    office = ctx.scope(person)
    plan = Plan(notes=sheet_notes)
    seen: dict[str, str] = {}
    directory = ctx.offices.get(office).directory if office else None
    # what each action's owner last reported: a plan imported again does not say it twice
    said_last = latest_notes(ctx, actor=actor) if {"note", "evidence"} & set(
        columns.values()) else {}
    with ctx.uow(read=True) as session:
        for number, row in enumerate(body, 2):
            if not any(v not in (None, "") for v in row):
                continue
            given = {columns[c]: (c, v) for c, v in enumerate(row) if c in columns
                     and v not in (None, "")}
            if "action" not in given:
                problems.append(f"row {number}: no action named (column "
                                f"{_letter(_col_of(columns, 'action'))})")
                continue
            col, raw = given["action"]
            try:
                ref, kind, item = parse_name(str(raw))
                action = _action(session, ref, kind, item, office)
            except (InvalidInput, NotFound) as err:  # named, with its cell
                problems.append(f"{_cell(number, col)}: {getattr(err, 'rule', None) or err}")
                continue
            name = str(raw).strip()
            if name in seen:
                problems.append(f"row {number}: {name} again (first on {seen[name]})")
                continue
            seen[name] = f"row {number}"
            change = Change(name, f"row {number}")
            for field_, (col, value) in given.items():
                where = _cell(number, col)
                try:
                    _read(change, field_, value, action, directory)
                except InvalidInput as bad:
                    problems.append(f"{where}: {bad.rule}")
            if change.note or change.evidence:  # the plan imported again: said once
                latest = said_last.get(action_name(ref, kind, item), {})
                if (latest.get("note"), latest.get("evidence")) == (change.note,
                                                                    change.evidence):
                    change.note = change.evidence = ""
                    plan.notes.append(f"{name} ({change.where}): its update is the action's "
                                      "latest already; not recorded again")
            if _is_change(change, action):
                plan.changes.append(change)
            else:
                plan.unchanged += 1
    if problems:
        raise InvalidInput(path.name, f"{len(problems)} cell{'s' if len(problems) > 1 else ''} "
                           "could not be used, so nothing was imported:\n  "
                           + "\n  ".join(problems[:50])
                           + ("\n  ..." if len(problems) > 50 else ""))
    return plan


def _read(change: Change, field_: str, value, action, directory) -> None:
    if field_ == "owner":
        email = str(value).strip()
        person = directory.find(email) if directory else None
        if person is None or person.role not in (Role.OPCC_OFFICER, Role.CHIEF_OFFICER,
                                                 Role.LOCAL_POLICING_BODY):
            raise InvalidInput("owner", f"'{email[:60]}' is not a person of the office or of "
                               "the chief officer's side (give their email address)")
        change.owner = person.email.casefold()
    elif field_ == "target":
        change.target = _date(value)
    elif field_ == "status":
        change.status = _status(str(value))
    elif field_ in ("reason", "note", "evidence"):
        text = kept_text(str(value))
        if len(text) > MAX_NOTE:
            raise InvalidInput(field_, f"is {len(text)} characters long; the most is {MAX_NOTE}")
        setattr(change, field_, text)
    if change.status == Status.NOT_ACCEPTED and not (change.reason or action.reason):
        raise InvalidInput("reason", "an action not accepted says why ('Reason not accepted')")


STATUS_WORDS = {"open": Status.NOT_STARTED, "not yet started": Status.NOT_STARTED,
                "ongoing": Status.IN_PROGRESS, "started": Status.IN_PROGRESS,
                "completed": Status.COMPLETE, "done": Status.COMPLETE,
                "closed": Status.CLOSED, "discharged": Status.CLOSED,
                "rejected": Status.NOT_ACCEPTED}


def _status(said: str) -> Status:
    key = " ".join(said.casefold().split())
    if key in STATUS_WORDS:
        return STATUS_WORDS[key]
    return status_of(said)


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
                           (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy")):
        m = re.fullmatch(pattern, text)
        if m:
            parts = dict(zip(order, map(int, m.groups())))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                break
    raise InvalidInput("target", f"'{text[:40]}' is not a date (31/03/2023, 2023-03-31, or a "
                       "date cell)")


def _is_change(change: Change, action) -> bool:
    return bool(change.note or change.evidence
                or (change.owner is not None and change.owner != action.owner)
                or (change.target is not None and change.target != action.target_on)
                or (change.status is not None and str(change.status) != action.status)
                or (change.reason and change.reason != action.reason))


def _cells(path: Path) -> tuple[list[list], list[str]]:
    from .importing import MAX_BYTES, read_document

    suffix = path.suffix.lower()
    if suffix == ".csv":  # read as any document is: its encoding found, and said
        text, notes, _where = read_document(path, max_bytes=MAX_BYTES)
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
        formula = [f"{_cell(n, c)}" for n, r in enumerate(rows, 1) for c, v in enumerate(r)
                   if n > 1 and v.startswith("=")]
        if formula:
            raise InvalidInput(path.name, "has formulas, which an import never runs: "
                               + ", ".join(formula[:10]) + "; paste their values instead")
        return [[v.removeprefix("'") for v in r] for r in rows], notes
    if suffix != ".xlsx":
        raise InvalidInput(path.name, "is not a spreadsheet s55 reads: save it as .xlsx or "
                           ".csv")
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput(path.name, "is larger than an action plan can be (10 MB)")
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        formulas = load_workbook(path, read_only=True, data_only=False)
        values = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as err:
        raise InvalidInput(path.name, f"is not an .xlsx workbook that can be read ({err})") \
            from None
    notes = []
    if len(values.sheetnames) > 1:
        notes.append(f"{path.name}: read its first sheet, '{values.sheetnames[0]}'; the others "
                     f"({', '.join(values.sheetnames[1:])}) were not read")
    rows = [list(r) for r in values.worksheets[0].iter_rows(values_only=True)]
    # a formula is a cell of type 'f'; text that merely begins with '=' is text
    formula = [_cell(n, c) for n, r in enumerate(formulas.worksheets[0].iter_rows(), 1)
               for c, cell in enumerate(r) if getattr(cell, "data_type", "") == "f"]
    if formula:
        raise InvalidInput(path.name, "has formulas, which an import never runs: "
                           + ", ".join(formula[:10]) + "; paste their values instead")
    return rows, notes


def _letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(row: int, col: int) -> str:
    return f"{_letter(col)}{row}"


def _col_of(columns: dict[int, str], name: str) -> int:
    return next(c for c, f in columns.items() if f == name)


def apply_plan(ctx: Context, *, actor: str | None, plan: Plan, source: str) -> list[str]:
    """Apply every change in one transaction (all, or none): each action's new version, its
    dated update and its entry on the audit trail, as `assign-action` and `update-action`
    make them. An OPCC officer's decision."""
    person = ctx.actor(actor)
    check_role(Action.ASSIGN_ACTION, person.role)
    holder = ctx.offices.directory(person).holder_for(person)
    done = []
    at = ctx.now()
    with ctx.uow() as session:
        for change in plan.changes:
            ref, kind, number = parse_name(change.name)
            row = repo.review(session, ref, ctx.scope(person))
            if row.stage != Stage.COPIES_SENT:
                raise NotPermitted(f"refused: {ref} is '{row.stage}'; its actions open once "
                                   "its copies have gone")
            action = _action(session, ref, kind, number, row.office)
            changes = {}
            if change.owner is not None and change.owner != action.owner:
                changes["owner"] = [action.owner, change.owner]
            if change.target is not None and change.target != action.target_on:
                changes["target"] = [action.target_on.isoformat() if action.target_on
                                     else None, change.target.isoformat()]
            if change.status is not None and str(change.status) != action.status:
                changes["status"] = [action.status, str(change.status)]
            if change.reason and change.reason != action.reason:
                changes["reason"] = [action.reason, change.reason]
            decision = Decision(session, row, person, holder, Stage(row.stage), at,
                                route=False)
            version = _change(decision, action, change.name, changes, note=change.note,
                              evidence=change.evidence)
            decision.details["from"] = f"{source}, {change.where}"
            audit(session, at=at, person=person, holder=holder, ref=ref,
                  action=str(Action.UPDATE_ACTION), version=row.current_version,
                  details=decision.details)
            said = [*changes, *(["update"] if change.note or change.evidence else [])]
            done.append(f"{change.name}: version {version} ({', '.join(said)})")
    return done

