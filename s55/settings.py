"""One settings object, read from S55_* environment variables (documented in config/settings.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_CONFIG = Path(__file__).resolve().parent.parent / "config"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="S55_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".s55")
    database_url: str = ""  # default: SQLite file under home
    config_dir: Path = PROJECT_CONFIG
    office_file: Path | None = None  # default: config_dir/office.yaml
    user: str = ""  # who is acting, when --as is not given
    orchestration: Literal["embedded", "deployment"] = "embedded"
    route_workers: int = Field(default=0, ge=0)  # runs at once in `s55 serve`; 0: chosen for you
    prefect_port: int = 4200  # where `s55 serve` starts its own Prefect server (if free)
    wait_seconds: float = Field(default=5.0, ge=0)  # how long a command waits for the route
    templates_dir: Path | None = None  # an office's own templates, tried before the built-in ones
    site_dir: Path | None = None  # default: home/site
    site_url: str = ""  # the public address of the site folder; default: a file:// address
    web_url: str = "http://127.0.0.1:8055"  # where `s55 serve` is reached; links in mail use it
    mail_transport: Literal["files", "smtp"] = "files"
    mail_from: str = "s55@example.org"
    outbox_dir: Path | None = None  # default: home/outbox (the files transport writes .eml here)
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout: float = 30.0
    smtp_ca_file: Path | None = None  # trust this CA bundle (a private mail relay's certificate)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 's55.db'}"

    @property
    def office_path(self) -> Path:
        return self.office_file or self.config_dir / "office.yaml"

    @property
    def site(self) -> Path:
        return self.site_dir or self.home / "site"

    @property
    def site_address(self) -> str:
        return (self.site_url or self.site.resolve().as_uri()).rstrip("/")

    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.home / "outbox"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    def prepare(self) -> Settings:
        """Create the home folder and point Prefect's own home inside it."""
        self.home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(self.prefect_home)
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        # a fresh PREFECT_HOME migrates its database first: on a busy machine that outlasts
        # Prefect's default 20 s wait for its ephemeral server
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        return self
