"""What every service needs: settings, the office, the calendar and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ..config import BankHolidays, Office, ResponseKind, kind, load_office
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
    def office(self) -> Office:
        return load_office(self.settings.office_path)

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
    return as_utc(value).astimezone(LONDON).strftime("%a %d %b %Y %H:%M %Z")


def london_date(value: datetime | str) -> date:
    return as_utc(value).astimezone(LONDON).date()


def long_date(day: date | None) -> str:
    return day.strftime("%a %d %b %Y") if day else "none"
