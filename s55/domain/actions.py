"""The follow-up of a published response (DOMAIN.md, After publication: follow-up).

Each recommendation, cause of concern and area for improvement of a response whose copies have
gone becomes an action, starting from the published answer: an owner, a target date, a status
and dated updates with evidence, until it is done or the inspectorate closes it. Its RAG mark
is never set by hand: it is derived from the status and the dates by the office's rule
(config/actions.yaml), so that a board's "16 green, 10 red" means the same every quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from .errors import InvalidInput


class Status(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    CLOSED = "closed by the inspectorate"
    NOT_ACCEPTED = "not accepted"


OPEN = frozenset({Status.NOT_STARTED, Status.IN_PROGRESS})
DONE = frozenset({Status.COMPLETE, Status.CLOSED})
MARKS = ("red", "amber", "green")
# an action's short name within its review: R2 is recommendation 2 (REF/R2 names it)
CODES = {"recommendations": "R", "causes_of_concern": "C", "areas_for_improvement": "A"}
KINDS = {code: kind for kind, code in CODES.items()}


def status(value: str) -> Status:
    """A status as typed ('in-progress', 'Closed by the inspectorate'), or InvalidInput."""
    said = " ".join(value.replace("-", " ").replace("_", " ").split()).casefold()
    if said in ("closed", "closed by inspectorate", "closed by hmicfrs"):
        said = Status.CLOSED
    try:
        return Status(said)
    except ValueError:
        raise InvalidInput("status", f"'{value}' is not a status; use one of "
                           f"{', '.join(Status)}") from None


@dataclass(frozen=True)
class RagRule:
    """How a mark is derived, and when a review cycle asks and reminds (config/actions.yaml)."""

    due_soon_days: int = 30
    stale_after_days: int = 90
    not_accepted: str = "amber"
    no_target: str = "amber"
    cycle_due_working_days: int = 10
    cycle_remind_working_days: int = 3
    # a board's address: its cycle's report (HTML on the site, and the PDF) is mailed there
    board_addresses: dict = field(default_factory=dict)
    # where each board's report goes: "site" (the office's public site), "mail" (only to the
    # board's address, kept off the site) or "both"; unnamed, "both" if the board has an
    # address, else "site"
    report_to: dict = field(default_factory=dict)
    # each board's meetings: the served process opens each one's cycle by itself, this many
    # working days before the meeting
    meetings: dict = field(default_factory=dict)
    cycle_open_working_days: int = 20

    @classmethod
    def load(cls, path: Path) -> RagRule:
        import yaml

        class Loader(yaml.SafeLoader):  # days as written: a day that is no day is named below
            yaml_implicit_resolvers = {
                first: [(tag, regexp) for tag, regexp in resolvers
                        if tag != "tag:yaml.org,2002:timestamp"]
                for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader) or {}
        except FileNotFoundError:
            return cls()
        except yaml.YAMLError as err:
            raise InvalidInput(str(path), f"is not valid YAML: {err}") from None
        if not isinstance(data, dict):
            raise InvalidInput(str(path), "must be a mapping of the rule's settings")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidInput(f"{path.name}: {sorted(unknown)[0]}", "is not a setting of the "
                               f"RAG rule; use {', '.join(cls.__dataclass_fields__)}")
        for name in ("due_soon_days", "stale_after_days", "cycle_due_working_days",
                     "cycle_remind_working_days", "cycle_open_working_days"):
            if name in data and (not isinstance(data[name], int) or isinstance(data[name], bool)
                                 or not 0 <= data[name] <= 3650):
                raise InvalidInput(f"{path.name}: {name}", "must be a whole number of days, "
                                   "0 to 3650")
        for name in ("not_accepted", "no_target"):
            if name in data and data[name] not in MARKS:
                raise InvalidInput(f"{path.name}: {name}", f"must be one of {', '.join(MARKS)}")
        boards = data.get("board_addresses", {})
        if not isinstance(boards, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and "@" in v for k, v in boards.items()):
            raise InvalidInput(f"{path.name}: board_addresses", "must map each board's name to "
                               "its email address")
        data["meetings"] = _meetings(data.get("meetings", {}), path.name)
        where = data.get("report_to", {})
        if not isinstance(where, dict) or not all(
                isinstance(k, str) and v in REPORT_TO for k, v in where.items()):
            raise InvalidInput(f"{path.name}: report_to", "must map each board's name to "
                               f"one of {', '.join(REPORT_TO)}")
        for board, to in where.items():
            if to != "site" and for_board(boards, board) is None:
                raise InvalidInput(f"{path.name}: report_to: {board}", f"'{to}' sends the "
                                   "report to the board's address: give it under "
                                   "board_addresses")
        rule = cls(**data)
        if rule.meetings and rule.cycle_open_working_days <= rule.cycle_due_working_days:
            raise InvalidInput(f"{path.name}: cycle_open_working_days", "must be more than "
                               f"cycle_due_working_days ({rule.cycle_due_working_days}): a "
                               "cycle opens before its updates are due")
        return rule


REPORT_TO = ("site", "mail", "both")


def _meetings(given, where: str) -> dict[str, tuple[date, ...]]:
    """`meetings:` as written: each board's name, and its meeting days (YYYY-MM-DD)."""
    if not isinstance(given, dict):
        raise InvalidInput(f"{where}: meetings", "must map each board's name to a list of its "
                           "meeting days (YYYY-MM-DD)")
    out = {}
    for board, days in given.items():
        if not isinstance(board, str) or not board.strip() or len(board) > 200:
            raise InvalidInput(f"{where}: meetings", f"{board!r} is not a board's name (up to "
                               "200 characters)")
        if not isinstance(days, list):
            raise InvalidInput(f"{where}: meetings: {board}", "must be a list of meeting days "
                               "(YYYY-MM-DD)")
        parsed = []
        for written in days:
            day = written
            if isinstance(day, str):
                try:
                    day = date.fromisoformat(day.strip())
                except ValueError:
                    day = None
            if not isinstance(day, date) or hasattr(day, "hour"):
                raise InvalidInput(f"{where}: meetings: {board}", f"{str(written)[:40]!r} is "
                                   "not a day (YYYY-MM-DD)")
            parsed.append(day)
        out[board.strip()] = tuple(sorted(set(parsed)))
    return out


def is_update(changes: dict) -> bool:
    """Whether a dated change of an action is an update of it (what was done, a new status)
    rather than the office giving it its owner or target date: only an update counts as one
    that came in for a cycle, or keeps the action from going stale."""
    return not changes or not set(changes) <= {"owner", "target"}


def board_key(name: str) -> str:
    """A board's name as it is matched: 'Accountability  Board' is 'accountability board'."""
    return " ".join(name.split()).casefold()


def for_board(settings: dict, board: str):
    """A board's entry in one of the rule's mappings, its name matched as board_key does."""
    return next((v for k, v in settings.items() if board_key(k) == board_key(board)), None)


def report_to(rule: RagRule, board: str) -> tuple[bool, str | None]:
    """Where a board's report goes: (on the office's public site?, the address it is mailed
    to, or None)."""
    address = for_board(rule.board_addresses, board)
    where = for_board(rule.report_to, board) or ("both" if address else "site")
    return where != "mail", address if where != "site" else None


def rag(state: Status, target: date | None, last_update: date | None, today: date,
        rule: RagRule) -> str:
    """The action's mark on `today` (see config/actions.yaml)."""
    if state in DONE:
        return "green"
    if state == Status.NOT_ACCEPTED:
        return rule.not_accepted
    if target is None:
        return rule.no_target
    if today > target:
        return "red"
    if (target - today).days <= rule.due_soon_days:
        return "amber"
    if last_update is None or (today - last_update).days >= rule.stale_after_days:
        return "amber"
    return "green"


def overdue(state: Status, target: date | None, today: date) -> bool:
    return state in OPEN and target is not None and today > target


def order(ref: str, kind: str, number: int) -> tuple:
    """How actions are listed: by report, then recommendations, causes of concern and areas
    for improvement, each by number."""
    return ref, list(CODES).index(kind), number


def order_of(name: str) -> tuple:
    return order(*parse_name(name))


def action_name(ref: str, kind: str, number: int) -> str:
    return f"{ref}/{CODES[kind]}{number}"


def parse_name(name: str) -> tuple[str, str, int]:
    """'S55-2022-0001/R2' as (ref, kind, number), or InvalidInput."""
    ref, _slash, item = name.strip().rpartition("/")
    code, number = item[:1].upper(), item[1:]
    if not ref or code not in KINDS or not (number.isascii() and number.isdigit()) \
            or len(number) > 4 or not 0 < int(number) < 10_000:
        raise InvalidInput("action", f"'{name[:60]}' is not an action's name; name it as "
                           "REF/R2 (recommendation 2), REF/C1 (cause of concern 1) or REF/A3 "
                           "(area for improvement 3), as `s55 actions` lists them")
    return ref, KINDS[code], int(number)
