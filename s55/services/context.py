"""What every service needs: settings, the office, the calendar and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import BankHolidays, Office, Offices, ResponseKind, kind, load_offices
from ..domain.errors import NotPermitted
from ..domain.people import Directory, Person
from ..render import language
from ..settings import Settings
from ..store.db import UnitOfWork, ensure_schema

LONDON = ZoneInfo("Europe/London")


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    settings: Settings
    clock: Callable[[], datetime] = system_clock
    holidays: BankHolidays = field(default_factory=BankHolidays)
    _ready: bool = False
    last_request: int | None = None  # the route request the last decision committed

    @classmethod
    def from_env(cls, **overrides) -> Context:
        return cls(Settings.from_env(**overrides).prepare())

    @property
    def offices(self) -> Offices:
        return load_offices(self.settings.office_path, self.settings.offices_dir,
                            self.settings.forces_file)

    @property
    def office(self) -> Office:
        """The office of a service of one office (the embedded default)."""
        return self.offices.only

    def actor(self, email: str | None) -> Person:
        """Who is acting: a person of one of the offices, or a national reader; refused
        naming the address otherwise."""
        return self.offices.actor(email)

    def home_office(self, actor: str | None) -> Office:
        """The office a person works in; on a service of one office, that office even before
        anyone is named (an import's dry run)."""
        if not actor and not self.offices.many:
            return self.office
        person = self.actor(actor)
        if not person.office:
            raise NotPermitted(f"refused: {person.email} belongs to no office; a review is "
                               "opened by a person of the office it belongs to")
        return self.offices.get(person.office)

    def office_of(self, row) -> Office:
        """The office a review (or anything with an `office` id) belongs to."""
        return self.offices.get(row.office)

    def directory_of(self, row) -> Directory:
        """The people of a review's office; none when its office is no longer served here (a
        reader still sees the review, without names)."""
        office = self.offices.serves(row.office)
        return office.directory if office is not None else Directory(())

    def site(self, office: Office) -> Path:
        """Where an office's published pages are written: S55_SITE_DIR, or on a service of
        many offices a folder of it per office."""
        return self.settings.site / office.force_id if self.offices.many else self.settings.site

    def papers(self, office: Office) -> Path:
        """Where an office's papers that are not for its public site are written (a board's
        report the office sends only to the board): in S55_HOME, never under the site."""
        return self.settings.home / "board-papers" / office.force_id

    def site_address(self, office: Office) -> str:
        """The public address of an office's site folder."""
        if office.site_url:
            return office.site_url
        base = self.settings.site_address
        return f"{base}/{office.force_id}" if self.offices.many else base

    def templates(self, office: Office | None) -> tuple[Path, ...]:
        """The template folders used before the built-in ones: the office's own, then
        S55_TEMPLATES_DIR."""
        own = office.own("templates") if office is not None else None
        return tuple(p for p in (own, self.settings.templates_dir) if p is not None)

    def config_file(self, office: Office | None, name: str) -> Path:
        """One of an office's config files: its own (in its folder), else the shared one."""
        own = office.own(name) if office is not None else None
        return own or self.settings.config_dir / name

    def scope(self, person: Person) -> str | None:
        """The office whose reviews a person sees: their own; None (every office) for a
        national reader."""
        return person.office or None


    def kind(self, name: str) -> ResponseKind:
        return kind(self.settings.config_dir, name)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def today(self) -> date:
        """Today in England and Wales: the day that counts for every deadline."""
        return self.now().astimezone(LONDON).date()

    def uow(self, *, read: bool = False) -> UnitOfWork:
        """A transaction; `read=True` for one that only reads (SQLite: no write lock up front)."""
        if not self._ready:
            ensure_schema(self.settings.db_url)
            self._ready = True
        return UnitOfWork(self.settings.db_url, read=read)


def as_utc(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def london(value: datetime | str) -> str:
    """A stored UTC time as people read it: Europe/London, with the zone named."""
    return language.date_time(as_utc(value))


def london_date(value: datetime | str) -> date:
    return as_utc(value).astimezone(LONDON).date()


def long_date(day: date | None) -> str:
    return language.long_date(day)
