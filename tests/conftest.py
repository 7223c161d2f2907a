"""Shared fixtures: a fresh S55_HOME per test, real SQLite, and a throwaway PostgreSQL 15 cluster."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "data" / "staffordshire-peel-2022.txt"

OPCC = "opcc.officer@example.org"
CHIEF_EXEC = "chief.executive@example.org"
CHIEF_CONSTABLE = "chief.constable@example.org"
STAFF_OFFICER = "staff.officer@example.org"
COMMISSIONER = "commissioner@example.org"
DEPUTY = "deputy.commissioner@example.org"
AUDITOR = "auditor@example.org"


# The modules whose tests take longest (each starts processes, a Prefect server or a browser),
# the longest first: `./dev test` starts them first, so that neither of its two processes is
# left with one of them at the end while the other has nothing to do (`--durations` says
# which they are).
LONGEST_FIRST = ("test_service_mode.py", "test_served.py", "test_fault_run.py",
                 "test_advance_flow.py", "test_cli_route.py", "test_web.py", "test_faults.py",
                 "test_welsh_pages.py", "test_remind_cli.py", "test_open_thematic.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # (stable: each module's tests in their own order)


@pytest.fixture
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"the seed record is not at {SEED} (../shared beside the checkout)")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh S55_HOME with nothing else from the environment leaking in."""
    for key in list(os.environ):
        if key.startswith(("S55_", "PREFECT_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("S55_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


class FixedClock:
    def __init__(self, when: datetime):
        self.when = when

    def __call__(self) -> datetime:
        return self.when


def make_ctx(home: Path, db_url: str = "", when: datetime | None = None, **settings):
    from s55.services.context import Context

    ctx = Context.from_env(home=home, database_url=db_url, **settings)
    if when is not None:
        ctx.clock = FixedClock(when)
    return ctx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL 15 cluster in a temporary folder, for this test session only."""
    from tests.pgcluster import Cluster, Unavailable

    try:
        cluster = Cluster()
        cluster.start()
    except Unavailable as why:
        pytest.skip(str(why))
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, empty database on the throwaway cluster; its pooled connections are closed after
    the test (otherwise every test's idle pool would hold connections until the cluster has
    none left)."""
    url = postgres_server.database(f"t_{uuid.uuid4().hex[:12]}")
    yield url
    from s55.store.db import engine_for

    engine_for(url).dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, home) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{home / 's55.db'}"
    return request.getfixturevalue("postgres_url")


PUBLISHED = datetime(2022, 9, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One Prefect API server for the command-line tests, so that each `s55` process does not
    start an ephemeral one of its own (about 10 s each). The embedded default, with its
    ephemeral server and its own PREFECT_HOME, is what test_demo and test_advance_flow use."""
    from tests.waiting import until_up

    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_UI_ENABLED="false")
    log = (home / "server.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start",
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    problem = until_up(f"{url}/health", server)
    if problem:
        server.kill()
        pytest.fail(f"Prefect server did not start ({problem}):\n"
                    f"{(home / 'server.log').read_text()}")
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    log.close()


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback, not yet started: start it when the test wants it up."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    yield server
    server.stop()
