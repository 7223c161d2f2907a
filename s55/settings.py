"""One settings object, read from S55_* environment variables (documented in config/settings.md).

Every value is checked when it is read: a bad one stops the program at start with
`s55: S55_NAME: what is wrong` and exit 2, before anything is written. No pydantic here:
a command that decides should not pay for it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from .domain.errors import S55Error
from .files import bundled

PROJECT_CONFIG = bundled("config")
DEFAULT_WEB_URL = "http://127.0.0.1:8055"


class SettingError(S55Error):
    """A setting that cannot be used: named by its environment variable."""

    exit_code = 2

    def __init__(self, setting: str, rule: str):
        self.setting, self.rule = setting, rule
        super().__init__(f"{setting}: {rule}")


class Secret(str):
    """A password: kept as text, never shown in a repr or a log line."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"

    def get_secret_value(self) -> str:
        return str.__str__(self)


# --- how each kind of value is read -------------------------------------------------------

def _text(value: str) -> str:
    return value.strip()


def _path(value: str) -> Path:
    if not value.strip():
        raise ValueError("must be a folder or file path, not empty")
    return Path(value.strip()).expanduser()


def _whole(low: int, high: int) -> Callable[[str], int]:
    def read(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"must be a whole number, got '{value}'") from None
        if not low <= number <= high:
            raise ValueError(f"must be from {low} to {high}, got {number}")
        return number
    return read


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def read(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"must be a number of seconds, got '{value}'") from None
        if not low <= number <= high:
            raise ValueError(f"must be from {low:g} to {high:g} seconds, got {number:g}")
        return number
    return read


def _one_of(*allowed: str) -> Callable[[str], str]:
    def read(value: str) -> str:
        word = value.strip().lower()
        if word not in allowed:
            raise ValueError(f"must be {' or '.join(repr(a) for a in allowed)}, got '{value}'")
        return word
    return read


def _web_address(value: str) -> str:
    """An absolute http(s) address people reach: every link in mail is built on it."""
    value = value.strip()
    if re.search(r"[\s\"'<>\\`{}|^]", value):
        raise ValueError(f"must be an address without spaces, quotes or brackets, got '{value}'")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http:// or https:// address, got '{value}'")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"must be a plain address (no user, query or fragment), got '{value}'")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"has a port that is not from 1 to 65535, got '{value}'")
    return value.rstrip("/")


def _mail_address(value: str) -> str:
    from email.utils import parseaddr

    value = value.strip()
    _name, address = parseaddr(value)
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        raise ValueError(f"must be an email address (name@example.org, or Name "
                         f"<name@example.org>), got '{value}'")
    return value


def _folder(value: str) -> Path:
    path = _path(value)
    if not path.is_dir():
        raise ValueError(f"must be an existing folder; there is none at {path}")
    return path


def _file(value: str) -> Path:
    path = _path(value)
    if not path.is_file():
        raise ValueError(f"must be an existing file; there is none at {path}")
    return path


def _site_address(value: str) -> str:
    value = value.strip()
    if value and urlsplit(value).scheme not in ("http", "https", "file"):
        raise ValueError(f"must be an http://, https:// or file:// address, got '{value}'")
    return value.rstrip("/")


def _database_url(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("is not a database address; use sqlite:///PATH or "
                         "postgresql+psycopg://USER@HOST:5432/NAME") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"names the database '{url.get_backend_name()}'; s55 keeps its record "
                         "in SQLite or PostgreSQL")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() not in ("psycopg",):
        raise ValueError("needs the psycopg driver: postgresql+psycopg://...")
    return value


def _networks(value: str) -> tuple[str, ...]:
    """Addresses or networks (comma-separated) whose X-Forwarded-For is believed."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"'{item}' is not an IP address or network (e.g. 10.0.0.5 or "
                             "10.0.0.0/24)") from None
    return tuple(found)


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path.home() / ".s55",
                       metadata={"read": _path})
    database_url: str = field(default="", metadata={"read": _database_url})  # "": SQLite in home
    config_dir: Path = field(default=PROJECT_CONFIG, metadata={"read": _path})
    office_file: Path | None = field(default=None, metadata={"read": _path})
    # a service of many offices: a folder of office folders (the embedded default: unset)
    offices_dir: Path | None = field(default=None, metadata={"read": _folder})
    user: str = field(default="", metadata={"read": _text})  # who acts when --as is not given
    orchestration: str = field(default="embedded",
                               metadata={"read": _one_of("embedded", "deployment")})
    route_workers: int = field(default=0, metadata={"read": _whole(0, 64)})  # 0: chosen for you
    # in deployment mode: the most reviews one flow run takes, one after another, when many wait
    route_batch: int = field(default=20, metadata={"read": _whole(1, 500)})
    # processes answering the web app under `s55 serve`: two use both of a small machine's cores
    web_workers: int = field(default=2, metadata={"read": _whole(1, 32)})
    prefect_port: int = field(default=4200, metadata={"read": _whole(1, 65535)})
    wait_seconds: float = field(default=5.0, metadata={"read": _seconds(0, 600)})
    templates_dir: Path | None = field(default=None, metadata={"read": _folder})
    site_dir: Path | None = field(default=None, metadata={"read": _path})
    site_url: str = field(default="", metadata={"read": _site_address})  # "": a file:// address
    # where people reach `s55 serve`; every link in mail is built on it, never on a request's Host
    web_url: str = field(default="", metadata={"read": _web_address})
    trusted_proxies: tuple[str, ...] = field(default=(), metadata={"read": _networks})
    signin_limit: int = field(default=3, metadata={"read": _whole(1, 1000)})  # per address
    # per client address: an office behind one NAT address asks for several people at once
    signin_client_limit: int = field(default=10, metadata={"read": _whole(1, 10000)})
    signin_window_minutes: int = field(default=15, metadata={"read": _whole(1, 24 * 60)})
    # PostgreSQL's client tools for `s55 backup` and `s55 restore` (default: found on the PATH)
    pg_bin: Path | None = field(default=None, metadata={"read": _folder})
    import_max_mb: int = field(default=10, metadata={"read": _whole(1, 1024)})  # per file
    mail_transport: str = field(default="files", metadata={"read": _one_of("files", "smtp")})
    mail_from: str = field(default="s55@example.org", metadata={"read": _mail_address})
    outbox_dir: Path | None = field(default=None, metadata={"read": _path})
    smtp_host: str = field(default="localhost", metadata={"read": _text})
    smtp_port: int = field(default=587, metadata={"read": _whole(1, 65535)})
    smtp_security: str = field(default="starttls",
                               metadata={"read": _one_of("starttls", "tls", "none")})
    smtp_username: str = field(default="", metadata={"read": _text})
    smtp_password: Secret = field(default=Secret(""), metadata={"read": Secret})
    smtp_timeout: float = field(default=30.0, metadata={"read": _seconds(0.1, 600)})
    smtp_ca_file: Path | None = field(default=None, metadata={"read": _file})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Read every S55_* variable (or an override of the same name, lower case, as given
        in code); refuse the first bad one, naming it."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = f"S55_{f.name.upper()}"
            if f.name in overrides:
                given = overrides.pop(f.name)
                if given is None:
                    continue
                raw = ",".join(given) if isinstance(given, (tuple, list)) else str(given)
            elif name in environ:
                raw = environ[name]
            else:
                continue
            if raw == "" and f.default is None:
                continue
            try:
                values[f.name] = f.metadata["read"](raw)
            except ValueError as err:
                raise SettingError(name, str(err)) from None
        if overrides:
            raise TypeError(f"no such setting: {', '.join(sorted(overrides))}")
        return cls(**values)

    def replace(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 's55.db'}"

    @property
    def office_path(self) -> Path:
        return self.office_file or self.config_dir / "office.yaml"

    @property
    def forces_file(self) -> Path:
        return self.config_dir / "forces.csv"

    @property
    def site(self) -> Path:
        return self.site_dir or self.home / "site"

    @property
    def site_address(self) -> str:
        return (self.site_url or self.site.resolve().as_uri()).rstrip("/")

    @property
    def web_address(self) -> str:
        """The address links in mail point at: S55_WEB_URL, or the default local one."""
        return self.web_url or DEFAULT_WEB_URL

    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.home / "outbox"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def prepare(self) -> Settings:
        """Create the home folder and point Prefect's own home inside it."""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SettingError("S55_HOME", f"cannot be created ({err.strerror}): {self.home}") \
                from None
        os.environ["PREFECT_HOME"] = str(self.prefect_home)
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        # a fresh PREFECT_HOME migrates its database first: on a busy machine that outlasts
        # Prefect's default 20 s wait for its ephemeral server
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        return self
