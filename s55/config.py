"""Office configuration from config/: people and roles, response kinds, the holiday calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
import re
from functools import lru_cache
from pathlib import Path

import yaml

from .domain.errors import InvalidInput, NotPermitted
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
    """A local policing body's office: its force, its titles and its people.

    On a service of many offices (S55_OFFICES_DIR) each has a folder of its own, which may
    hold its own `recipients.yaml`, `reminders.yaml` and `templates/`; what it leaves out
    comes from the shared config."""

    name: str
    force: str
    force_id: str
    local_policing_body_title: str
    chief_officer_title: str
    directory: Directory
    chief_executive: str = ""
    # what its references begin with on a service of many offices ("" on the office's own)
    code: str = ""
    folder: Path | None = None
    site_url: str = ""  # its public site, if not S55_SITE_URL/<id>
    mail_from: str = ""  # its own From address, if not S55_MAIL_FROM
    welsh: bool = False  # publishes in Welsh and English (a Welsh force, or its own setting)
    welsh_first: bool = False  # in a message with both, Welsh comes first
    # the force and the office holders' titles in Welsh ('Heddlu Gwent', 'Prif Gwnstabl')
    welsh_names: tuple[str, str, str] = ("", "", "")
    name_cy: str = ""  # the office's own name in Welsh (default: 'Swyddfa' and the body's)

    @property
    def id(self) -> str:
        return self.force_id

    def holder(self, role: Role, *, unnamed: str = ""):
        """The record's office holder of a role: the office's title for it, and the name of
        its (first) office holder in the people list, else `unnamed`."""
        from .domain.record import OfficeHolder

        title = (self.local_policing_body_title if role == Role.LOCAL_POLICING_BODY
                 else self.chief_officer_title)
        people = self.directory.holders(role)
        return OfficeHolder(title, people[0].name if people else unnamed)

    def own(self, name: str) -> Path | None:
        """A file or folder of this office's own config, if it has one."""
        if self.folder is not None and (self.folder / name).exists():
            return self.folder / name
        return None


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


PERSON_KEYS = {"email", "name", "role", "title", "acting_for", "language"}
OFFICE_KEYS = {"office", "force", "force_id", "local_policing_body_title", "chief_officer_title",
               "chief_executive", "code", "site_url", "mail_from", "welsh", "people",
               "welsh_first", "force_cy", "local_policing_body_title_cy",
               "chief_officer_title_cy", "office_cy"}


def _unknown(keys, known: set[str], where: str) -> None:
    """A key nobody reads is a mistake (a misspelt one, or a title split at its commas)."""
    extra = sorted(str(k) for k in keys if k not in known)
    if extra:
        raise InvalidInput(where, f"unknown key{'s' if len(extra) > 1 else ''} "
                           f"{', '.join(repr(k) for k in extra)}; the keys are "
                           f"{', '.join(sorted(known))} (quote a value that has a comma in "
                           "it inside {...})")


def _people(data: dict, where: str, office: str, roles: frozenset[Role]) -> list[Person]:
    people = []
    for n, row in enumerate(data.get("people") or [], 1):
        if isinstance(row, dict):
            _unknown(row, PERSON_KEYS, f"{where}: people[{n}]")
        try:
            person = Person(email=row["email"], name=row["name"], role=Role(row["role"]),
                            title=row.get("title", ""), acting_for=row.get("acting_for", ""),
                            office=office, language=str(row.get("language") or ""))
        except (KeyError, ValueError, TypeError) as err:
            raise InvalidInput(f"{where}: people[{n}]",
                               f"needs email, name and a role of "
                               f"{', '.join(sorted(roles))} ({err})") from None
        if person.language not in ("", "en", "cy"):
            raise InvalidInput(f"{where}: people[{n}]: language", f"must be en or cy, not "
                               f"'{person.language}'")
        if person.role not in roles:
            raise InvalidInput(f"{where}: people[{n}]",
                               f"the role '{person.role}' belongs in "
                               f"{'national.yaml' if person.role in SERVICE_ROLES else 'an office'}"
                               f"; here use one of {', '.join(sorted(roles))}")
        people.append(person)
    try:
        Directory(tuple(people))  # no address twice, every delegate's office holder listed
    except InvalidInput as err:
        raise InvalidInput(f"{where}: {err.field}", err.rule) from None
    return people


def _force_words(name: str) -> str:
    words = re.findall(r"[a-z]+", name.casefold())
    return " ".join(w for w in words if w not in ("the", "police", "constabulary", "service",
                                                   "force"))


OFFICE_ROLES = frozenset(Role) - {Role.NATIONAL, Role.OPERATOR}
SERVICE_ROLES = frozenset({Role.NATIONAL, Role.OPERATOR})


@lru_cache
def load_office(path: Path, forces_file: Path | None = None, folder: Path | None = None
                ) -> Office:
    """An office.yaml. Given the forces list, what it leaves out (the office's name, its
    force, the local policing body's and the chief officer's titles) comes from its force's
    row there (DOMAIN.md, The forces: titles are data an office can edit)."""
    data = _read(path)
    where = path.name if folder is None else f"{folder.name}/{path.name}"
    _unknown(data, OFFICE_KEYS, where)
    force_id = str(data.get("force_id") or (folder.name if folder else "")).strip()
    force = None
    if forces_file is not None:
        force = next((f for f in load_forces(forces_file) if f.id == force_id), None)
        # the one office of office.yaml may be any body (its file says everything); an office
        # of a service of many is one of the forces
        if force is None and folder is not None:
            raise InvalidInput(f"{where}: force_id", f"'{force_id}' is not a force in "
                               f"{forces_file.name}; use its id there (e.g. staffordshire)")
    if force is not None:
        data.setdefault("force", force.name)
        data.setdefault("local_policing_body_title", force.lpb_title)
        data.setdefault("chief_officer_title", force.chief_officer_title)
        # MOPAC and the Common Council are bodies in their own name; the others have an office
        data.setdefault("office", force.lpb_title if force.lpb_kind in ("MOPAC", "Common Council")
                        else f"Office of the {force.lpb_title}")
    data["force_id"] = force_id
    people = _people(data, where, force_id, OFFICE_ROLES)
    code = str(data.get("code") or (force_id.upper() if folder else "")).strip()
    if folder is not None and not re.fullmatch(r"[A-Z0-9]{1,6}(-[A-Z0-9]{1,6}){0,3}", code):
        raise InvalidInput(f"{where}: code", f"'{code}' must be up to four parts of capital "
                           "letters and digits joined by '-' (it begins every reference)")
    try:
        return Office(
            name=data["office"], force=data["force"], force_id=force_id,
            local_policing_body_title=data["local_policing_body_title"],
            chief_officer_title=data["chief_officer_title"], directory=Directory(tuple(people)),
            chief_executive=data.get("chief_executive", ""), code=code, folder=folder,
            site_url=str(data.get("site_url") or "").rstrip("/"),
            mail_from=str(data.get("mail_from") or "").strip(),
            # the Welsh forces publish in Welsh and English (config/forces.csv); any other
            # office may choose to (welsh: true)
            welsh=bool(data.get("welsh")) or bool(force is not None and force.welsh),
            welsh_first=bool(data.get("welsh_first")),
            welsh_names=(cy := _welsh_names(data, forces_file, force_id)),
            name_cy=str(data.get("office_cy") or (f"Swyddfa {cy[1]}" if cy[1] else "")).strip())
    except KeyError as err:
        raise InvalidInput(f"{where}: {err.args[0]}", "required key is missing") from None


@dataclass(frozen=True)
class Offices:
    """Every office this service serves, and the people who read across them (national).

    The embedded default is one office, from office.yaml. With S55_OFFICES_DIR, each folder
    in it that holds an office.yaml is an office (its id is its force's id), and
    `national.yaml` there lists the national readers. An address belongs to one office."""

    offices: tuple[Office, ...]
    national: Directory
    many: bool = False

    def __post_init__(self):
        seen: dict[str, str] = {}
        codes: dict[str, str] = {}
        for office in self.offices:
            where = f"{office.folder.name if office.folder else office.force_id}/office.yaml"
            if office.force_id in seen:
                raise InvalidInput(f"{where}: force_id", f"'{office.force_id}' is served "
                                   f"twice (by {seen[office.force_id]} too)")
            if office.code and office.code in codes:
                raise InvalidInput(f"{where}: code", f"'{office.code}' is the code of "
                                   f"{codes[office.code]} too; each office's references "
                                   "need a code of their own")
            seen[office.force_id], codes[office.code] = where, where
        owner: dict[str, str] = {}
        for where, directory in [(o.force_id, o.directory) for o in self.offices] + [
                ("national.yaml", self.national)]:
            for person in directory.people:
                key = person.email.casefold()
                if key in owner:
                    raise InvalidInput("people", f"{person.email} is listed in {owner[key]} "
                                       f"and in {where}; an address belongs to one office")
                owner[key] = where

    def __iter__(self):
        return iter(self.offices)

    def __len__(self) -> int:
        return len(self.offices)

    @property
    def only(self) -> Office:
        """The office of a service of one office (the embedded default)."""
        if self.many:
            raise InvalidInput("S55_OFFICES_DIR", "this service has many offices: name one")
        return self.offices[0]

    def get(self, office_id: str) -> Office:
        found = next((o for o in self.offices if o.force_id == office_id), None)
        if found is None:
            raise InvalidInput("office", f"'{office_id}' is not an office of this service; "
                               f"the offices are {', '.join(o.force_id for o in self.offices)}")
        return found

    def serves(self, force_id: str) -> Office | None:
        return next((o for o in self.offices if o.force_id == force_id), None)

    def serving(self, force_name: str) -> Office | None:
        """The office whose force a record names ('Staffordshire', 'Staffordshire Police',
        'the Metropolitan Police Service'), if this service has it."""
        wanted = _force_words(force_name)
        return next((o for o in self.offices if wanted and wanted in (
            _force_words(o.force), _force_words(o.force_id.replace("-", " ")))), None)

    def find(self, email: str) -> Person | None:
        for directory in [o.directory for o in self.offices] + [self.national]:
            person = directory.find(email)
            if person is not None:
                return person
        return None

    def actor(self, email: str | None) -> Person:
        if not email:
            raise NotPermitted("refused: no actor named; give --as EMAIL or set S55_USER")
        person = self.find(email)
        if person is None:
            raise NotPermitted(f"refused: {email} is not in the office's list of people")
        return person

    def directory(self, person: Person) -> Directory:
        return self.get(person.office).directory if person.office else self.national


@lru_cache
def load_offices(office_file: Path, offices_dir: Path | None, forces_file: Path) -> Offices:
    if offices_dir is None:
        return Offices((load_office(office_file, forces_file),), Directory(()))
    if not offices_dir.is_dir():
        raise InvalidInput("S55_OFFICES_DIR", f"must be a folder of offices; there is none at "
                           f"{offices_dir}")
    offices = tuple(load_office(folder / "office.yaml", forces_file, folder)
                    for folder in sorted(offices_dir.iterdir())
                    if (folder / "office.yaml").is_file())
    if not offices:
        raise InvalidInput("S55_OFFICES_DIR", f"{offices_dir} holds no office: each office is a "
                           "folder with an office.yaml in it")
    national = offices_dir / "national.yaml"
    readers = (_people(_read(national), national.name, "", SERVICE_ROLES)
               if national.exists() else [])
    return Offices(offices, Directory(tuple(readers)), many=True)


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
def load_reminder_rules(path: Path) -> dict[str, list]:
    """A reminders.yaml (config/, or an office's own): the reminder plan of each response
    kind."""
    from .domain.reminders import Rule

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


@lru_cache
def load_forces(path: Path) -> tuple[Force, ...]:
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
    return tuple(forces)


def _welsh_names(data: dict, forces_file: Path, force_id: str) -> tuple[str, str, str]:
    """An office's force and titles in Welsh: its own (office.yaml), else forces-cy.csv's."""
    known = _forces_cy(forces_file.with_name("forces-cy.csv")).get(force_id, ("", "", "")) \
        if forces_file is not None else ("", "", "")
    return tuple(str(data.get(key) or default).strip() for key, default in zip(
        ("force_cy", "local_policing_body_title_cy", "chief_officer_title_cy"), known))


@lru_cache
def _forces_cy(path: Path) -> dict[str, tuple[str, str, str]]:
    import csv

    if not path.exists():
        return {}
    return {row["id"].strip(): (row["force_cy"].strip(), row["lpb_title_cy"].strip(),
                                row["chief_officer_title_cy"].strip())
            for row in csv.DictReader(path.open(encoding="utf-8"))}


@lru_cache
def load_recipients(path: Path) -> dict:
    """The statutory (s55(6)) and customary recipients, from a recipients.yaml (config/, or
    an office's own)."""
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
