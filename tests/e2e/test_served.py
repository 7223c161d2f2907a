"""The route served by `s55 serve`: commands return fast and still say what happened; nothing
is lost when the served process or a command dies at any point; the whole tree stops together.

Most tests use the session's Prefect API server (PREFECT_API_URL); the tree tests let
`s55 serve` start and own its Prefect server, as the embedded default does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta

import pytest

from s55.services import mailing, reading, requests
from tests import routes
from tests.conftest import AUDITOR, OPCC, SEED, STAFF_OFFICER, _free_port, make_ctx
from tests.serving import CODE, Serve, clean_env, gone_within
from tests.waiting import until

pytestmark = pytest.mark.slow
RECENT = (date.today() - timedelta(days=3)).isoformat()


@pytest.fixture
def ctx(home):
    return make_ctx(home)


@pytest.fixture
def served(home, ctx, prefect_api):
    """Start `s55 serve` on the shared Prefect server: served(patch="", **env)."""
    started = []

    def start(patch: str = "", wait: bool = True, **env) -> Serve:
        # one web process answers a test's few requests; the tree test and the browser test
        # run the default two
        env.setdefault("S55_WEB_WORKERS", "1")
        one = Serve(home, _free_port(), clean_env(home, PREFECT_API_URL=prefect_api, **env), patch)
        started.append(one)
        return one.start(ctx, wait=wait)

    yield start
    for one in started:
        one.cleanup()


def s55(home, *args, actor=None, patch="", env=None, ok=True, seconds=300):
    extra = ["--as", actor] if actor else []
    done = subprocess.run([sys.executable, "-c", patch + CODE, *args, *extra],
                          env=env or clean_env(home), capture_output=True, text=True,
                          timeout=seconds)
    if ok and done.returncode != 0:
        raise AssertionError(f"s55 {' '.join(args)} failed ({done.returncode}):\n"
                             f"{done.stdout}\n{done.stderr}")
    return done


def imported(home) -> str:
    # several reviews of the one record, on purpose: --again
    return s55(home, "import", str(SEED), "--published-on", RECENT, "--again",
               actor=OPCC).stdout.strip()


def flow_runs(api: str, ref: str) -> list[dict]:
    body = json.dumps({"flow_runs": {"tags": {"all_": [f"review:{ref}"]}}}).encode()
    req = urllib.request.Request(f"{api}/flow_runs/filter", data=body,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.load(answer)


def test_a_served_decision_reports_what_the_route_did(home, ctx, served, prefect_api):
    serve = served()
    ref = imported(home)
    invited = s55(home, "invite", ref, actor=OPCC).stdout
    assert "done: sent invitation: chief.constable@example.org" in invited
    assert "waiting for the chief officer's comments" in invited
    assert "no `s55 serve` is running" not in invited
    # the served process ran it under Prefect, tagged; the report comes from the flow's last
    # task, a moment before the run itself is marked completed
    deadline = time.monotonic() + 30
    while (runs := flow_runs(prefect_api, ref)) and runs[0]["state_type"] == "RUNNING" \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    [run] = runs
    assert run["state_type"] == "COMPLETED" and "s55" in run["tags"]

    status = s55(home, "serve", "--status", "--json").stdout
    assert json.loads(status)["served"][0]["owner"].split(":")[1] == str(serve.proc.pid)

    given = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    quick = s55(home, "comment", ref, "--version", given, "--text", "Agreed.", "--no-wait",
                actor=STAFF_OFFICER).stdout
    assert "the route takes it from here" in quick and "done:" not in quick
    row = requests.wait(ctx, ctx.last_request or _newest_request(ctx), 60)
    assert row.status == "done"
    assert any("comments_requested: commissioner@example.org" in line
               for line in row.outcome["done"])


def _newest_request(ctx) -> int:
    from sqlalchemy import func, select

    from s55.store.models import RouteRequest

    with ctx.uow() as session:
        return session.scalar(select(func.max(RouteRequest.id)))


def test_with_nothing_served_the_command_says_so_and_runs_the_route_itself(home):
    ref = imported(home)
    invited = s55(home, "invite", ref, actor=OPCC).stdout
    assert "no `s55 serve` is running for this office: the route runs here, once" in invited
    assert "done: sent invitation: chief.constable@example.org" in invited
    status = s55(home, "serve", "--status", ok=False)
    assert status.returncode == 1 and "the route is NOT served" in status.stdout


PROBE = """
import sys
from s55.cli import app
for argv in {commands}:
    try:
        app(argv + ['--as', 'opcc.officer@example.org'])
    except SystemExit as e:
        assert not e.code, (argv, e.code)
print('PREFECT', 'prefect' in sys.modules, file=sys.stderr)
"""


def probe(home, commands) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE.format(commands=commands)],
                          env=clean_env(home), capture_output=True, text=True, timeout=120)


def test_decision_commands_never_import_prefect_served_or_not(home, ctx, served):
    ref = imported(home)
    commands = [["add-item", ref, "--kind", "recommendations", "--text", "Do A"],
                ["invite", ref], ["move-due", ref, "--due", (date.today() + timedelta(days=9))
                                  .isoformat(), "--reason", "leave"]]
    alone = probe(home, commands[:2])
    assert "PREFECT False" in alone.stderr, alone.stderr
    served()
    with_serve = probe(home, commands[2:])
    assert "PREFECT False" in with_serve.stderr, with_serve.stderr
    assert "done: sent invitation" in alone.stdout
    assert "chief officer's comments now due" in with_serve.stdout
    assert "no `s55 serve`" not in with_serve.stdout  # the served route reported


KILL_WHEN = """
import os, signal
def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("where, patch", [
    ("after it claimed the requests, before the flow ran",
     KILL_WHEN + "import s55.served as s\ns.Served._run = lambda self, claim: die()\n"),
    ("between the site's files",
     KILL_WHEN + "import s55.services.publishing as p\nreal, calls = p.atomic_write, []\n"
     "def write(t, d, **how):\n    calls.append(t)\n    if len(calls) == 2:\n        die()\n"
     "    real(t, d, **how)\n"
     "p.atomic_write = write\n"),
    ("after the third message was sent",
     KILL_WHEN + "import s55.mail.transport as t\nreal, sent = t.FileTransport.send, []\n"
     "def send(self, key, message):\n    result = real(self, key, message)\n    sent.append(key)\n"
     "    if len(sent) == 3:\n        die()\n    return result\nt.FileTransport.send = send\n"),
    ("after the run, before its outcome was written",
     KILL_WHEN + "import s55.services.requests as r\nr.finish = die\n"),
])
def test_a_served_process_killed_mid_route_loses_nothing_and_sends_nothing_twice(
        home, served, seed_text, where, patch):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    ref = routes.signed_off(ctx, seed_text)
    s55(home, "publish", ref, "--reason", "held back for the test", "--no-wait", actor=OPCC)
    first = served(patch, wait=False)
    assert first.wait(120) == -signal.SIGKILL, first.output()

    second = served()  # a restart carries on with whatever was pending
    row = requests.wait(ctx, _newest_request(ctx), 120)
    assert row.status == "done", (where, row.status, row.last_error, second.output())
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert shown["stage"] == "copies sent", where
    messages = [m for m in mailing.outbox_rows(ctx) if m["status"] != "cancelled"]
    assert {m["status"] for m in messages} == {"sent"}
    # the file transport keeps one file per message: a resend would not add one
    assert len(list((home / "outbox").glob("*.eml"))) == len(messages)
    sent = [e for e in reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
            if e["action"].startswith("sent: ")]
    assert len(sent) == len(messages)  # each message recorded as sent once


def test_a_command_killed_after_its_commit_is_still_carried_out(home, ctx, served):
    ref = imported(home)
    served()
    killed = s55(home, "invite", ref, actor=OPCC, ok=False,
                 patch=KILL_WHEN + "import s55.services.requests as r\nr.wait = die\n")
    assert killed.returncode == -signal.SIGKILL
    row = requests.wait(ctx, _newest_request(ctx), 60)
    assert row.status == "done" and "sent invitation: chief.constable@example.org" in row.outcome[
        "done"]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_the_tree_stops_together_and_a_restart_after_sigkill_carries_on(home, ctx):
    """The embedded default: `s55 serve` starts and owns its Prefect server."""
    prefect_port = _free_port()
    env = clean_env(home, S55_PREFECT_PORT=str(prefect_port))
    ref = imported(home)
    serve = Serve(home, _free_port(), env)
    try:
        serve.start(ctx)
        tree = serve.tree()  # its Prefect server, its web app, the web workers (and their helper)
        assert serve.child("s55.prefect_server") and serve.child("s55.web_server")
        assert len(tree) >= 4, tree
        assert _listening(prefect_port) and (home / "prefect").is_dir()
        serve.signal(signal.SIGKILL)
        assert serve.wait(30) == -signal.SIGKILL
        for pid in tree:
            assert gone_within(pid, 60), "a process outlived its s55 serve"
        assert not _listening(serve.port)

        down = s55(home, "invite", ref, "--no-wait", actor=OPCC).stdout
        assert "no `s55 serve` is running: the route runs when one starts" in down
        assert mailing.outbox_rows(ctx, status="pending")  # saved, waiting for the route

        serve = Serve(home, _free_port(), env).start(ctx)
        row = requests.wait(ctx, _newest_request(ctx), 120)
        assert row.status == "done" and any("sent invitation" in d for d in row.outcome["done"])

        server = serve.child("s55.prefect_server")  # its Prefect server dies: started again
        os.kill(server, signal.SIGKILL)
        until(lambda: "the Prefect server is back" in serve.output(), 180, "a new Prefect server")
        due = (date.today() + timedelta(days=9)).isoformat()
        s55(home, "move-due", ref, "--due", due, "--reason", "leave", "--no-wait", actor=OPCC)
        assert requests.wait(ctx, _newest_request(ctx), 60).status == "done"
        tree = serve.tree()
        serve.signal(signal.SIGTERM)
        assert serve.wait(60) == 0, serve.output()
        assert all(gone_within(pid, 30) for pid in tree)
        assert not _listening(prefect_port) and not _listening(serve.port)
        assert "s55 serve: stopped" in serve.output()
        assert requests.served_by(ctx) == []  # it said goodbye
    finally:
        serve.cleanup()


def test_the_web_app_commits_and_the_served_route_mails_over_smtp(home, ctx, served,
                                                                   smtp_server):
    smtp = smtp_server.start()
    smtp.mailbox.delay = 2  # a slow mail server: the page must not wait for it
    serve = served(**smtp.env(), S55_WEB_URL="http://127.0.0.1:1")
    body = "email=commissioner%40example.org&next=%2F".encode()
    with urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{serve.port}/signin", data=body), timeout=30) as answer:
        assert "a sign-in link is on its way" in answer.read().decode()
    assert smtp.mailbox.count() == 0  # the page answered before the mail went
    row = requests.wait(ctx, _newest_request(ctx), 60)
    assert row.status == "done" and smtp.mailbox.count("commissioner@example.org") == 1


@pytest.fixture
def silent_smtp():
    """A mail server that accepts the connection and then never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield {"S55_MAIL_TRANSPORT": "smtp", "S55_SMTP_HOST": "127.0.0.1",
           "S55_SMTP_PORT": str(listener.getsockname()[1]), "S55_SMTP_SECURITY": "none",
           "S55_SMTP_TIMEOUT": "120"}
    listener.close()


def test_a_silent_mail_server_never_holds_up_a_command(home, ctx, served, silent_smtp):
    ref = imported(home)
    # nothing served: the command runs the route itself, and gives the server a few seconds,
    # not the 120 s the office allows a mail server in the background
    alone = s55(home, "invite", ref, actor=OPCC, env=clean_env(home, **silent_smtp), seconds=60)
    assert "NOT YET SENT invitation: chief.constable@example.org: cannot connect" in alone.stdout
    assert [m["recipient"] for m in mailing.outbox_rows(ctx, status="pending")] == [
        "chief.constable@example.org"]  # kept for the next run

    served(**silent_smtp)  # served: the command waits for the route a few seconds at most
    given = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    commented = s55(home, "comment", ref, "--version", given, "--text", "Agreed.",
                    actor=STAFF_OFFICER, env=clean_env(home, **silent_smtp), seconds=60)
    assert "comments recorded" in commented.stdout
    assert "still working" in commented.stdout or "NOT YET SENT" in commented.stdout


def test_several_reviews_run_side_by_side(home, ctx, served, smtp_server):
    smtp = smtp_server.start()
    # the mail server holds each invitation until both are in it at once: only runs going on
    # side by side get there (one at a time, the first would wait out the server's 60 s)
    smtp.mailbox.together = 2
    first, second = imported(home), imported(home)
    env = clean_env(home, **smtp.env())
    for ref in (first, second):
        s55(home, "invite", ref, "--no-wait", actor=OPCC, env=env)
    served(S55_ROUTE_WORKERS="4", **smtp.env())
    until(lambda: smtp.mailbox.count() == 2, 120, "both invitations")
    assert smtp.mailbox.most_at_once == 2


def test_a_service_of_many_offices_routes_each_review_with_its_own_office(home, served,
                                                                          prefect_api):
    """One `s55 serve` for every office of config/offices-example: a MOPAC decision is routed
    with MOPAC's people, titles and site."""
    from tests.conftest import ROOT

    offices = str(ROOT / "config" / "offices-example")
    env = clean_env(home, PREFECT_API_URL=prefect_api, S55_OFFICES_DIR=offices)
    served(S55_OFFICES_DIR=offices)
    mopac = "policy@mopac.example.org"
    ref = s55(home, "open", "--title", "PEEL 2025: Metropolitan Police Service",
              "--published-on", RECENT, actor=mopac, env=env).stdout.strip()
    assert ref.startswith("MOPAC-S55-")
    invited = s55(home, "invite", ref, actor=mopac, env=env).stdout
    assert "done: sent invitation: commissioner@met.example.org" in invited, invited
    [eml] = (home / "outbox").glob("*.eml")
    text = eml.read_text()
    assert "commissioner@met.example.org" in text and "Mayor's Office for Policing and Crime" \
        in text.replace("=\n", "")
    refused = s55(home, "show", ref, actor="opcc.officer@staffordshire.example.org", env=env,
                  ok=False)
    assert refused.returncode == 3
