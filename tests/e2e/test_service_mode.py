"""Service mode with a live worker (S55_ORCHESTRATION=deployment), everything a real process:

PostgreSQL for s55 and, in a second database of the same cluster, for a Prefect server; the
deployments of config/prefect.yaml on a `process` work pool, deployed as its header says, and
a worker on that pool; `s55 serve` handing each decision's route run to the `advance/advance`
deployment. The whole route then goes through the CLI, from import to copies sent, and every
run of the route must have happened on the worker, tagged with the review.

A run of the route waits for the worker to notice it (PREFECT_WORKER_QUERY_SECONDS, 1 s here)
and for its flow-run process to start (about 5 s), so commands wait longer than the default
5 s for the route's report (S55_WAIT_SECONDS); a command that still stops waiting says "the
route is still working", and then the test polls `s55 show` and `s55 serve --status` with a
deadline and checks the same facts in the outbox.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import (AUDITOR, CHIEF_CONSTABLE, CHIEF_EXEC, COMMISSIONER, OPCC, ROOT, SEED,
                            STAFF_OFFICER)
from tests.pgcluster import free_port
from tests.waiting import until_up

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PREFECT = Path(sys.executable).parent / "prefect"
STILL_WORKING = "the route is still working"
ROUTE_SECONDS = 90  # the longest one decision's route run may take to be seen done
MARK = "S55_E2E_SERVICE_STACK"  # set in every process this test starts, to find strays


class Stack:
    """The processes of one service-mode office, each in its own process group."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.mark = uuid.uuid4().hex
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.api = ""

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        with self.log(name).open("ab") as out:
            proc = subprocess.Popen(argv, env={**env, MARK: self.mark}, cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def run(self, argv: list[str], env: dict, timeout: float = 120) -> str:
        done = subprocess.run(argv, env={**env, MARK: self.mark}, cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, argv))} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def tails(self) -> str:
        return "\n".join(f"--- {name}.log (end) ---\n"
                         + self.log(name).read_text(errors="replace")[-3000:]
                         for name, _ in self.procs if self.log(name).exists())

    def until(self, what: str, check, seconds: float):
        """Poll `check` until it returns something true; fail naming `what`, or a dead process."""
        deadline = time.monotonic() + seconds
        while True:
            found = check()
            if found:
                return found
            ended = [f"{name} ended with {p.returncode}" for name, p in self.procs
                     if p.poll() is not None]
            if ended or time.monotonic() > deadline:
                pytest.fail(f"{what}: {'; '.join(ended) or f'not within {seconds:.0f} s'}\n"
                            f"{self.tails()}")
            time.sleep(0.3)

    def call(self, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.api}{path}", data=data, method=(
            "GET" if body is None else "POST"), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def stop(self) -> list[str]:
        """Stop every group, newest first (SIGTERM, then SIGKILL); then kill whatever carries
        our mark and escaped its group, and return what that was (nothing, when all is well)."""
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:  # said in the test's output, then killed
                    print(f"\n{name} did not stop within 10 s of SIGTERM")
            _signal_group(proc, signal.SIGKILL)  # the group's children, even if the leader ended
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        strays = []
        for pid, cmdline in _marked(self.mark):
            strays.append(f"{pid}: {cmdline}")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return strays


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _marked(mark: str) -> list[tuple[int, str]]:
    """Live processes (not zombies) whose environment carries our mark."""
    found = []
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((int(entry.name), cmdline.strip()))
    return found


@pytest.fixture
def office(home, tmp_path, postgres_server, postgres_url):
    """PostgreSQL, a Prefect server on PostgreSQL, the deployments, a worker and `s55 serve`;
    yields a function that runs `s55` commands against them."""
    yield from _service(home, tmp_path, postgres_server, postgres_url)


def _service(home, tmp_path, postgres_server, postgres_url, before_serve=None, **serve_env):
    """The stack of `office`; `before_serve(stack)` runs once the deployments and the worker
    are up and before `s55 serve` starts (so whatever it asks for waits for the route)."""
    folder = tmp_path / "stack"
    folder.mkdir()
    stack = Stack(folder)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    base.update(DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    prefect_db = postgres_server.database(f"prefect_{uuid.uuid4().hex[:12]}")
    started = time.monotonic()
    try:
        # the Prefect server, on its own database of the same cluster
        port = free_port()
        stack.api = f"http://127.0.0.1:{port}/api"
        server = stack.start("prefect-server", [
            str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)], {
            **base, "PREFECT_HOME": str(folder / "prefect-server"), "PREFECT_UI_ENABLED": "false",
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db.replace("+psycopg", "+asyncpg")})
        problem = until_up(f"{stack.api}/health", server)
        if problem:
            pytest.fail(f"the Prefect server did not start ({problem})\n{stack.tails()}")

        office_env = {**base, "S55_HOME": str(home), "S55_DATABASE_URL": postgres_url,
                      "PREFECT_API_URL": stack.api}
        web = free_port()

        def serve():
            stack.start("s55-serve", [sys.executable, "-m", "s55", "serve", "--port", str(web)], {
                **office_env, "S55_ORCHESTRATION": "deployment",
                "S55_WEB_URL": f"http://127.0.0.1:{web}", **serve_env})

        if before_serve is None:
            serve()  # `s55 serve` needs only the API: it starts while the deployments are made

        # as config/prefect.yaml's header says, from the repository root
        deployer = {**office_env, "PREFECT_HOME": str(folder / "prefect-cli"),
                    "S55_CHECKOUT": str(ROOT)}
        stack.run([str(PREFECT), "work-pool", "create", "s55", "--type", "process"], deployer)
        stack.start("prefect-worker", [str(PREFECT), "worker", "start", "--pool", "s55"], {
            **office_env, "PREFECT_HOME": str(folder / "prefect-worker"),
            "PREFECT_WORKER_QUERY_SECONDS": "1"})
        stack.run([str(PREFECT), "--no-prompt", "deploy", "--prefect-file", "config/prefect.yaml",
                   "--all"], deployer)

        cli_env = {**office_env, "S55_WAIT_SECONDS": "30"}

        def s55(*args, actor=None, ok=True):
            extra = ["--as", actor] if actor else []
            done = subprocess.run([sys.executable, "-m", "s55", *args, *extra],
                                  env={**cli_env, MARK: stack.mark}, capture_output=True,
                                  text=True, timeout=120, cwd=tmp_path)
            if ok and done.returncode != 0:
                raise AssertionError(f"s55 {' '.join(args)} failed ({done.returncode}):\n"
                                     f"{done.stdout}\n{done.stderr}\n{stack.tails()}")
            return done

        stack.until("the worker did not make the s55 pool ready",
                    lambda: stack.call("/work_pools/s55")["status"] == "READY", 60)
        if before_serve is not None:
            before_serve(stack)
            serve()
        stack.until("`s55 serve --status` did not say the route is served",
                    lambda: s55("serve", "--status", ok=False).returncode == 0, 60)
        print(f"\nservice mode up in {time.monotonic() - started:.1f} s")
        s55.stack = stack
        yield s55
    finally:
        stopping = time.monotonic()
        strays = stack.stop()
        print(f"\nservice mode stopped in {time.monotonic() - stopping:.1f} s")
    assert not strays, f"processes left running after the groups were stopped: {strays}"


def show(s55, ref) -> dict:
    return json.loads(s55("show", ref, "--json", actor=AUDITOR).stdout)


def outbox(s55) -> list[dict]:
    return json.loads(s55("outbox", "--json", actor=AUDITOR).stdout)


def decide(s55, *args, actor, ref, stage, sent=(), says=()):
    """Give a decision; the route's report must follow. When the command stopped waiting for it,
    wait for the route with a deadline, then check what it did in the outbox instead."""
    out = s55(*args, actor=actor).stdout
    if STILL_WORKING not in out:
        for template, recipient in sent:
            assert f"done: sent {template}: {recipient}" in out, out
        for line in says:
            assert line in out, out
    else:
        s55.waited.append(args[0])

        def idle():
            queue = json.loads(s55("serve", "--status", "--json", ok=False).stdout)
            return (queue["pending"], queue["running"]) == (0, 0) and show(s55, ref)["stage"] \
                == stage

        s55.stack.until(f"the route did not finish {args[0]} on {ref}", idle, ROUTE_SECONDS)
        messages = {(m["template"], m["recipient"]): m["status"] for m in outbox(s55)}
        for template, recipient in sent:
            assert messages.get((template, recipient)) == "sent", (template, recipient, messages)
    assert show(s55, ref)["stage"] == stage
    return out


def test_the_whole_route_runs_on_a_prefect_worker_in_service_mode(office, home):
    s55 = office
    s55.waited = []
    began = time.monotonic()
    published = date.today() - timedelta(days=3)
    ref = s55("import", str(SEED), "--published-on", published.isoformat(),
              actor=OPCC).stdout.strip()
    assert ref == f"S55-{published.year}-0001"
    assert show(s55, ref)["stage"] == "draft"

    decide(s55, "add-item", ref, "--kind", "recommendations", "--text",
           "Within three months the force should improve how it assesses vulnerability",
           actor=OPCC, ref=ref, stage="draft", says=[f"{ref} is draft"])
    decide(s55, "invite", ref, actor=OPCC, ref=ref, stage="awaiting chief officer",
           sent=[("invitation", CHIEF_CONSTABLE)],
           says=["waiting for the chief officer's comments"])
    given = show(s55, ref)["current_version"]
    decide(s55, "comment", ref, "--version", given, "--text", "We accept the findings.",
           actor=STAFF_OFFICER, ref=ref, stage="awaiting local policing body",
           sent=[("comments_requested", COMMISSIONER), ("comments_received", OPCC),
                 ("comments_received", CHIEF_EXEC)])
    decide(s55, "answer", ref, "1", "--kind", "action-proposed", "--text",
           "A new triage model by March", actor=COMMISSIONER, ref=ref,
           stage="awaiting local policing body", says=[f"{ref} is awaiting local policing body"])
    decide(s55, "request-sign-off", ref, actor=OPCC, ref=ref, stage="awaiting sign-off",
           sent=[("sign_off_request", COMMISSIONER)])
    current = show(s55, ref)["current_version"]
    signed = decide(s55, "sign-off", ref, "--version", current, actor=COMMISSIONER, ref=ref,
                    stage="signed off", says=[f"{ref} is signed off"])
    assert f"version {current} signed off" in signed
    released = decide(s55, "publish", ref, actor=OPCC, ref=ref, stage="copies sent",
                      sent=[("statutory_copy", "s55-responses@hmicfrs.example.org"),
                            ("statutory_copy", "s55-responses@homeoffice.example.org")],
                      says=[f"done: published: responses/{ref}/index.html",
                            "done: statutory copies sent to HMICFRS and the Home Office",
                            f"{ref} is copies sent"])
    assert f"version {current[:12]} released for publication" in released
    route_seconds = time.monotonic() - began

    final = show(s55, ref)
    assert (final["stage"], final["signed_off_version"]) == ("copies sent", current)
    # the worker's flow runs wrote the site and the mail into the office's home
    for f in final["publication"]["files"].values():
        assert hashlib.sha256((home / "site" / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    messages = outbox(s55)
    assert messages and {(m["status"], m["attempts"]) for m in messages} == {("sent", 1)}
    keys = [(m["ref"], m["template"], m["recipient"]) for m in messages]
    assert len(keys) == len(set(keys)), keys
    assert len(list((home / "outbox").glob("*.eml"))) == len(messages)
    assert "intact" in s55("audit", "verify", actor=AUDITOR).stdout

    # every run of the route was a run of the advance deployment, by the worker, tagged
    stack = s55.stack
    deployment = stack.call("/deployments/name/advance/advance")
    runs = stack.call("/flow_runs/filter", {"flow_runs": {"tags": {"all_": [f"review:{ref}"]}}})
    assert len(runs) >= 6, [r["name"] for r in runs]  # one per decision, or fewer coalesced
    for run in runs:
        assert run["deployment_id"] == deployment["id"], run
        assert run["work_pool_name"] == "s55" and run["state_type"] == "COMPLETED", run
        assert {f"review:{ref}", "s55", "route"} <= set(run["tags"]), run["tags"]
        assert run["parameters"]["ref"] == ref
    adhoc = stack.call("/flow_runs/filter", {"flow_runs": {"deployment_id": {"is_null_": True}}})
    assert adhoc == [], [r["name"] for r in adhoc]  # nothing ran in-process
    # the other two deployments of config/prefect.yaml are there as the yaml says
    sweep = stack.call("/deployments/name/reminder_sweep/reminder-sweep")
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in sweep["schedules"]] == \
        [("0 7 * * *", "Europe/London")]
    thematic = stack.call("/deployments/name/open_thematic/open-thematic")
    assert (sweep["work_pool_name"], thematic["work_pool_name"]) == ("s55", "s55")
    print(f"route: {route_seconds:.1f} s for {len(runs)} worker runs; commands that stopped "
          f"waiting and were polled: {s55.waited or 'none'}")


def test_many_waiting_reviews_go_to_workers_in_batches_and_a_killed_batch_hands_back_the_rest(
        home, tmp_path, postgres_server, postgres_url):
    """Five reviews released for publication while nothing serves the route: once `s55 serve`
    starts, it hands them to the workers in batches (`advance-many`, two flow runs at once), not
    one flow run (one process start) each. The flow-run process of a batch is SIGKILLed once a
    review is at copies sent and others are not: the reviews it had not reported on are handed
    back, and every review reaches copies sent, each message once."""
    from s55.services import publishing, reading
    from tests.conftest import make_ctx
    from tests.routes import signed_off

    ctx = make_ctx(home, postgres_url)
    seed = SEED.read_text(encoding="utf-8")
    refs: list[str] = []

    def release(stack):
        for _ in range(5):
            ref = signed_off(ctx, seed, date.today() - timedelta(days=3))
            publishing.request_publication(ctx, actor=OPCC, ref=ref)
            refs.append(ref)

    service = _service(home, tmp_path, postgres_server, postgres_url, before_serve=release,
                       S55_ROUTE_WORKERS="2", S55_ROUTE_BATCH="20")
    s55 = next(service)
    try:
        stack = s55.stack

        def stages() -> list[str]:  # read here: five commands would take seconds a look
            return [reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] for ref in refs]

        def some_done() -> list[str]:
            now = stages()
            return now if "copies sent" in now and set(now) != {"copies sent"} else []

        stack.until("a review of a batch at copies sent while others are not", some_done, 180)
        marked = _marked(stack.mark)
        engines = [pid for pid, cmdline in marked if "prefect.engine" in cmdline]
        assert engines, f"no flow-run process to kill among {marked}"
        os.kill(engines[0], signal.SIGKILL)

        stack.until("every review at copies sent after the kill",
                    lambda: set(stages()) == {"copies sent"}, 240)
        runs = [run for ref in refs for run in stack.call("/flow_runs/filter", {
            "flow_runs": {"tags": {"all_": [f"review:{ref}"]}}})]
        runs = list({run["id"]: run for run in runs}.values())
        batches = [run for run in runs if run["parameters"].get("claims")]
        # every review waiting at once went to a batch: fewer runs than reviews (those the
        # kill handed back may go again one by one)
        claimed = {c["ref"] for run in batches for c in run["parameters"]["claims"]}
        assert claimed == set(refs) and len(batches) < len(refs), [r["name"] for r in runs]
        assert max(len(run["parameters"]["claims"]) for run in batches) >= 2
        assert "CRASHED" in {run["state_type"] for run in runs}, \
            [(run["name"], run["state_type"]) for run in runs]
        for run in batches:  # each claimed review's tag is on the batch's run
            assert {f"review:{c['ref']}" for c in run["parameters"]["claims"]} <= set(run["tags"])

        # the invitations and requests of rounds the reviews had left before anything served
        # the route stay on the record, cancelled as superseded; everything else went, once
        messages = [m for m in outbox(s55) if m["status"] != "cancelled"]
        assert messages and {m["status"] for m in messages} == {"sent"}
        keys = [(m["ref"], m["template"], m["recipient"]) for m in messages]
        assert len(keys) == len(set(keys)), keys
        assert len(list((home / "outbox").glob("*.eml"))) == len(messages)
        copies = [k for k in keys if k[1] == "statutory_copy"]
        assert len(copies) == 2 * len(refs)
        for ref in refs:
            files = show(s55, ref)["publication"]["files"].values()
            for f in files:
                assert hashlib.sha256((home / "site" / f["path"]).read_bytes()).hexdigest() \
                    == f["sha256"]
        assert "intact" in s55("audit", "verify", actor=AUDITOR).stdout
    finally:
        next(service, None)  # stop the stack, and check that nothing was left running
