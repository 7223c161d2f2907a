"""Crashes and outages in the middle of publishing: nothing lost, nothing sent twice.

The process is killed with SIGKILL at the worst moments (patched in by the test's own
driver script, not by any switch in s55), then `s55 advance` is run again as an office
would, against a real SMTP server on loopback.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

import pytest

from s55.services import mailing, reading
from tests import routes
from tests.conftest import AUDITOR, OPCC, make_ctx

pytestmark = pytest.mark.slow

KILL_BEFORE_SEND = """
import os, signal, s55.mail.transport as t
t.SmtpTransport.send = lambda self, key, message: os.kill(os.getpid(), signal.SIGKILL)
"""
KILL_BETWEEN_SITE_FILES = """
import os, signal, s55.services.publishing as p
real, calls = p.atomic_write, []
def write(target, data, **how):
    calls.append(target)
    if len(calls) == 2:  # the page is written, the text file is not
        os.kill(os.getpid(), signal.SIGKILL)
    real(target, data, **how)
p.atomic_write = write
"""


@pytest.fixture
def server(smtp_server):
    return smtp_server.start()


@pytest.fixture
def signed_off(home, seed_text):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    return ctx, routes.signed_off(ctx, seed_text)


API: dict[str, str] = {}
# the review's report dates from 2022, and these commands run on today's clock
LATE = "Held back for the fault test"


@pytest.fixture(autouse=True)
def _api(prefect_api):
    API["url"] = prefect_api


def s55(home, server, args, patch=""):
    """Run s55 in its own process group; whatever it leaves behind when killed is ended too
    (Prefect's ephemeral API server is a child process that would outlive it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), PREFECT_API_URL=API["url"],
               **server.env())
    code = patch + "\nimport sys\nfrom s55.cli import main\nsys.argv = ['s55', *sys.argv[1:]]\nmain()\n"
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=out,
                                stderr=err, start_new_session=True, text=True)
        try:
            proc.wait(timeout=300)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())


def site_is_intact(ctx, ref) -> bool:
    files = reading.show(ctx, actor=AUDITOR, ref=ref)["publication"]["files"]
    return all(hashlib.sha256((ctx.settings.site / f["path"]).read_bytes()).hexdigest()
               == f["sha256"] for f in files.values())


def test_killed_between_the_outbox_write_and_the_send(home, server, signed_off):
    ctx, ref = signed_off
    killed = s55(home, server, ["publish", ref, "--as", OPCC, "--reason", LATE], KILL_BEFORE_SEND)
    assert killed.returncode == -signal.SIGKILL
    statuses = [m["status"] for m in mailing.outbox_rows(ctx)]
    # written, not sent: the first was claimed for sending when the process died
    assert (statuses.count("pending"), statuses.count("sending")) == (5, 1)
    assert server.mailbox.count() == 0
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "published"

    again = s55(home, server, ["advance", ref])
    assert again.returncode == 0, again.stderr
    assert "statutory copies sent" in again.stdout
    assert server.mailbox.count() == 6
    assert len(set(server.mailbox.message_ids())) == 6
    assert s55(home, server, ["advance", ref]).returncode == 0
    assert server.mailbox.count() == 6  # a third run sends nothing
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "copies sent"


def test_killed_between_site_files(home, server, signed_off):
    ctx, ref = signed_off
    killed = s55(home, server, ["publish", ref, "--as", OPCC, "--reason", LATE], KILL_BETWEEN_SITE_FILES)
    assert killed.returncode == -signal.SIGKILL
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert shown["stage"] == "signed off" and shown["publication"]["published_at"] is None
    site = ctx.settings.site / "responses" / ref
    assert (site / "index.html").exists() and not (site / f"{ref}.txt").exists()
    assert not [p for p in site.iterdir() if p.name.startswith(".")]  # no half-written file
    assert server.mailbox.count() == 0

    again = s55(home, server, ["advance", ref])
    assert again.returncode == 0, again.stderr
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "copies sent"
    assert site_is_intact(ctx, ref)
    assert server.mailbox.count() == 6 and len(set(server.mailbox.message_ids())) == 6


def test_a_deferred_message_is_retried_by_the_prefect_task_within_one_run(home, server,
                                                                         signed_off):
    ctx, ref = signed_off
    server.mailbox.defer["s55-responses@hmicfrs.example.org"] = 1
    saved = s55(home, server, ["publish", ref, "--as", OPCC, "--reason", LATE, "--no-wait"])
    assert saved.returncode == 0, saved.stderr
    assert server.mailbox.count() == 0  # saved with its request; nothing ran in the command
    done = s55(home, server, ["advance", ref])  # no served process: the flow runs here
    assert done.returncode == 0, done.stderr
    assert "statutory copies sent" in done.stdout
    assert server.mailbox.count("s55-responses@hmicfrs.example.org") == 1
    assert server.mailbox.count() == 6
    attempts = {m["recipient"]: m["attempts"] for m in mailing.outbox_rows(ctx)
                if m["template"] == "statutory_copy"}
    assert attempts == {"s55-responses@hmicfrs.example.org": 2,
                        "s55-responses@homeoffice.example.org": 1}
