"""Office configuration from config/: people and roles, response kinds, the holiday calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from .domain.errors import InvalidInput
from .domain.people import Directory, Person
from .domain.workflow import Role


@dataclass(frozen=True)
class ResponseKind:
    name: str
    title: str
    ref_prefix: str
    statutory_period_days: int | None
    period_applies_from: date | None
    answer_every_recommendation: bool
    copies_to: tuple[str, ...]
    chief_officer_due_working_days: int


@dataclass(frozen=True)
class Office:
    name: str
    force: str
    force_id: str
    local_policing_body_title: str
    chief_officer_title: str
    directory: Directory
    chief_executive: str = ""


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(str(path), "configuration file not found") from None
    except yaml.YAMLError as err:
        raise InvalidInput(str(path), f"is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise InvalidInput(str(path), "must be a mapping of keys to values")
    return data


@lru_cache
def load_office(path: Path) -> Office:
    data = _read(path)
    people = []
    for n, row in enumerate(data.get("people") or [], 1):
        try:
            people.append(Person(
                email=row["email"], name=row["name"], role=Role(row["role"]),
                title=row.get("title", ""), acting_for=row.get("acting_for", "")))
        except (KeyError, ValueError, TypeError) as err:
            raise InvalidInput(f"{path.name}: people[{n}]",
                               f"needs email, name and a role of {', '.join(Role)} ({err})") from None
    try:
        return Office(
            name=data["office"], force=data["force"], force_id=data["force_id"],
            local_policing_body_title=data["local_policing_body_title"],
            chief_officer_title=data["chief_officer_title"], directory=Directory(tuple(people)),
            chief_executive=data.get("chief_executive", ""))
    except KeyError as err:
        raise InvalidInput(f"{path.name}: {err.args[0]}", "required key is missing") from None


@lru_cache
def load_kinds(config_dir: Path) -> dict[str, ResponseKind]:
    data = _read(config_dir / "response_kinds.yaml")
    return {
        name: ResponseKind(
            name=name, title=row["title"], ref_prefix=row["ref_prefix"],
            statutory_period_days=row.get("statutory_period_days"),
            period_applies_from=row.get("period_applies_from"),
            answer_every_recommendation=bool(row.get("answer_every_recommendation")),
            copies_to=tuple(row.get("copies_to") or ()),
            chief_officer_due_working_days=int(row["chief_officer_due_working_days"]),
        )
        for name, row in data.items()
    }


def kind(config_dir: Path, name: str) -> ResponseKind:
    kinds = load_kinds(config_dir)
    if name not in kinds:
        raise InvalidInput("kind", f"'{name}' is not a response kind; use one of {', '.join(kinds)}")
    return kinds[name]


@lru_cache
def load_reminder_rules(config_dir: Path) -> dict[str, list]:
    """config/reminders.yaml: the reminder plan of each response kind."""
    from .domain.reminders import Rule

    path = config_dir / "reminders.yaml"
    plans = {}
    for kind_name, rows in _read(path).items():
        plans[kind_name] = []
        for n, row in enumerate(rows or [], 1):
            where = f"{path.name}: {kind_name}[{n}]"
            if row.get("anchor") not in ("chief_officer_due", "statutory_last_day"):
                raise InvalidInput(where, "anchor must be chief_officer_due or statutory_last_day")
            try:
                plans[kind_name].append(Rule(
                    id=row["id"], family=row.get("family", row["id"]), anchor=row["anchor"],
                    days=int(row["days"]), stages=frozenset(row["stages"]),
                    to=tuple(row["to"]), escalation=bool(row.get("escalation"))))
            except (KeyError, TypeError, ValueError) as err:
                raise InvalidInput(where, f"needs id, anchor, days, stages and to ({err})") from None
    return plans


@dataclass(frozen=True)
class Force:
    id: str
    name: str
    country: str
    lpb_kind: str
    lpb_title: str
    chief_officer_title: str
    welsh: bool


def load_forces(path: Path) -> list[Force]:
    """config/forces.csv: the territorial forces, their local policing bodies and chief officers."""
    import csv

    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
    except FileNotFoundError:
        raise InvalidInput(str(path), "forces list not found") from None
    forces, seen = [], set()
    for n, row in enumerate(rows, 2):
        try:
            force = Force(id=row["id"].strip(), name=row["force"].strip(), country=row["country"],
                          lpb_kind=row["lpb_kind"], lpb_title=row["lpb_title"].strip(),
                          chief_officer_title=row["chief_officer_title"].strip(),
                          welsh=row["welsh"].strip().lower() == "yes")
        except (KeyError, AttributeError):
            raise InvalidInput(f"{path.name} line {n}", "needs id, force, country, lpb_kind, "
                               "lpb_title, chief_officer_title and welsh") from None
        if not force.id or not force.name or force.id in seen:
            raise InvalidInput(f"{path.name} line {n}", "needs a unique id and a force name")
        seen.add(force.id)
        forces.append(force)
    return forces


@lru_cache
def load_recipients(config_dir: Path) -> dict:
    """The statutory (s55(6)) and customary recipients, from recipients.yaml."""
    path = config_dir / "recipients.yaml"
    data = _read(path)
    statutory, customary = data.get("statutory") or {}, data.get("customary") or []
    for key in ("hmicfrs", "home_office"):
        entry = statutory.get(key) or {}
        if not entry.get("email") or not entry.get("name"):
            raise InvalidInput(f"{path.name}: statutory.{key}",
                               "s55(6) copies need a name and an email address")
    for n, entry in enumerate(customary, 1):
        if not isinstance(entry, dict) or not entry.get("email"):
            raise InvalidInput(f"{path.name}: customary[{n}]", "needs a name and an email")
        entry.setdefault("name", entry["email"])
    return {"statutory": statutory, "customary": customary}


class BankHolidays:
    """England and Wales bank holidays (the `holidays` package, subdivision ENG), lazily by year."""

    def __init__(self):
        self._years: dict[int, frozenset[date]] = {}

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day.year not in self._years:
            import holidays

            self._years[day.year] = frozenset(holidays.country_holidays("GB", subdiv="ENG",
                                                                        years=day.year))
        return day in self._years[day.year]
