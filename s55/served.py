"""`s55 serve`: the one long-running process of an office (DESIGN.md, The route).

It runs the web app (in a child process of its own, s55/web_server.py, so that a person's
request never queues for the GIL behind a route run); a Prefect runner serving the `advance`, `reminder-sweep` (daily at 07:00
Europe/London) and `open-thematic` deployments; and a dispatcher that claims the route
requests that decisions commit and runs `advance` for them, one run per review at a time,
several reviews at once. It talks to the Prefect API at PREFECT_API_URL, or starts and owns
a Prefect server whose database lives in $S55_HOME/prefect. With S55_ORCHESTRATION=deployment
the dispatcher hands the runs to the deployments of config/prefect.yaml and Prefect workers
run them: `advance/advance` for one review, `advance-many/advance-many` for a batch of
reviews when many wait at once (each flow run on a process worker is a new process).

SIGINT or SIGTERM stops the whole tree: the web app, the runner, the dispatcher (runs in
flight are given a moment to finish) and the Prefect server it started. After SIGKILL the
web app and the server it started end too (they watch their parent), and a restart carries on with every
request still waiting: claims held by a dead process are released.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor

from .services import mailing, requests
from .services.context import Context
from .settings import SettingError

log = logging.getLogger("s55.serve")
PURGE_SECONDS = 3600.0
POLL_SECONDS = 0.1  # how often an idle dispatcher looks for requests (a cheap read)
RENEW_SECONDS = 30
WATCH_SECONDS = 5  # how often the flow runs on workers are looked at (deployment mode)
RETRY_MAIL_SECONDS = 60
HEARTBEAT_SECONDS = 2
STOP_GRACE_SECONDS = 20


class Served:
    def __init__(self, ctx: Context, *, say=print):
        self.ctx = ctx
        self.say = say
        self.owner = requests.this_process()
        self.mode = ctx.settings.orchestration
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.child: subprocess.Popen | None = None
        self.api = os.environ.get("PREFECT_API_URL", "")
        self.runner = None
        self.runner_loop = None
        self.active: dict[str, Future] = {}
        self.deployed: dict[str, object] = {}  # claim -> flow run id, in deployment mode
        self.threads: list[threading.Thread] = []
        self.web_url = ctx.settings.web_url  # where this serves its web app (set by serve())

    # --- Prefect: the API server, the runner ---------------------------------------------

    def start_prefect_server(self) -> None:
        """Start our own Prefect server unless PREFECT_API_URL names one (call on the main
        thread: the child's parent-death signal is tied to the thread that started it)."""
        if self.api:
            return
        self._start_child(_port(self.ctx.settings.prefect_port))
        os.environ["PREFECT_API_URL"] = self.api  # before this process first imports Prefect

    def _start_child(self, port: int) -> None:
        folder = self.ctx.settings.prefect_home
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
        with (folder / "server.log").open("ab") as out:
            self.child = subprocess.Popen(
                # -P: the working folder is not put first on the import path (a folder named
                # s55 there would be taken for s55)
                [sys.executable, "-P", "-m", "s55.prefect_server", "127.0.0.1", str(port),
                 str(os.getpid())], env=env, stdout=out, stderr=subprocess.STDOUT)
        self.api = f"http://127.0.0.1:{port}/api"

    def _watch_prefect(self) -> None:
        """Our Prefect server ended without being asked: start it again on the same port, and
        let the requests that failed meanwhile run now rather than after their back-off."""
        if self.child is None or self.child.poll() is None or self.stopping.is_set():
            return
        self.say(f"s55 serve: the Prefect server ended ({self.child.returncode}); starting it "
                 "again")
        self._start_child(int(self.api.rsplit(":", 1)[1].split("/")[0]))
        try:
            self.wait_for_prefect()
        except RuntimeError as err:
            self.say(f"s55 serve: the route is NOT served: {err}")
            return
        self.say("s55 serve: the Prefect server is back; waiting requests run now")
        requests.wake(self.ctx)

    def wait_for_prefect(self, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping.is_set():
            try:
                with urllib.request.urlopen(f"{self.api}/health", timeout=2):
                    return
            except OSError:
                if self.child is not None and self.child.poll() is not None:
                    raise RuntimeError(f"the Prefect server ended ({self.child.returncode}); see "
                                       f"{self.ctx.settings.prefect_home / 'server.log'}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Prefect API at {self.api} did not answer within "
                                       f"{seconds:.0f} s") from None
                time.sleep(0.2)

    def _runner_main(self) -> None:
        import asyncio

        from prefect.runner import Runner
        from prefect.schedules import Cron
        from prefect.types.entrypoint import EntrypointType

        from flows.advance import advance
        from flows.reminders import reminder_sweep
        from flows.thematic import open_thematic

        module = EntrypointType.MODULE_PATH  # the flows are installed with s55: no file paths

        async def main() -> None:
            self.runner = Runner(name=f"s55-{socket.gethostname()}-{os.getpid()}",
                                 pause_on_shutdown=False)
            await self.runner.aadd_flow(advance, name="advance", tags=["s55", "route"],
                                        entrypoint_type=module,
                                        description="The review route (runs by hand or from the UI;"
                                                    " s55 serve runs decisions' requests itself)")
            await self.runner.aadd_flow(reminder_sweep, name="reminder-sweep",
                                        tags=["s55", "reminders"], entrypoint_type=module,
                                        schedules=[Cron("0 7 * * *", timezone="Europe/London")],
                                        concurrency_limit=1)
            await self.runner.aadd_flow(open_thematic, name="open-thematic",
                                        tags=["s55", "thematic"], entrypoint_type=module)
            await self.runner.start()

        self.runner_loop = asyncio.new_event_loop()
        try:
            self.runner_loop.run_until_complete(main())
        except Exception:
            if not self.stopping.is_set():
                log.exception("the Prefect runner stopped")

    # --- the dispatcher --------------------------------------------------------------------

    def workers(self) -> int:
        chosen = self.ctx.settings.route_workers
        # a Prefect server on SQLite answers concurrent runs with "database is locked" and
        # 2 s back-offs, so our own server runs one review at a time unless told otherwise
        return chosen or (1 if self.child is not None else 4)

    def _run(self, claim: requests.Claim) -> None:
        try:
            if claim.ref is None:  # mail about no review: sign-in links
                outcome = mailing.deliver(self.ctx, None)
                requests.finish(self.ctx, claim.run, {"ref": None, "done": [
                    f"sent {line}" for line in outcome["sent"]], "stage": "", "waiting_for": "",
                    "unsent": len(outcome["retry"]) + len(outcome["failed"])})
            else:
                from prefect import tags

                from flows.advance import advance

                with tags(f"review:{claim.ref}", "s55"):
                    advance(claim.ref, None, claim.run)
        except BaseException as err:  # the requests wait and are tried again: nothing is lost
            log.warning("route run for %s failed: %s", claim.ref, err)
            requests.fail(self.ctx, claim.run, f"{type(err).__name__}: {err}")

    def _hand_over(self, batch: list[requests.Claim]) -> None:
        """Deployment mode: one flow run for the batch, on a worker; `advance` for one review,
        `advance-many` for several (each review's requests are reported on as it is done)."""
        try:
            from prefect.deployments import run_deployment

            refs = [f"review:{claim.ref}" for claim in batch]
            if len(batch) == 1:
                run = run_deployment("advance/advance", timeout=0, tags=[*refs, "s55"],
                                     parameters={"ref": batch[0].ref, "run": batch[0].run})
            else:
                run = run_deployment("advance-many/advance-many", timeout=0, tags=[*refs, "s55"],
                                     parameters={"claims": [{"ref": c.ref, "run": c.run}
                                                            for c in batch]})
            for claim in batch:
                self.deployed[claim.run] = run.id
        except BaseException as err:  # the requests wait and are tried again: nothing is lost
            log.warning("could not hand %d reviews to a worker: %s", len(batch), err)
            for claim in batch:
                requests.fail(self.ctx, claim.run, f"{type(err).__name__}: {err}")

    def _claim(self, pool: ThreadPoolExecutor) -> list[requests.Claim]:
        """Claim what there is room for, and start it. In deployment mode the room is counted
        in flow runs (S55_ROUTE_WORKERS at once), each taking up to S55_ROUTE_BATCH reviews,
        so that a queue of many reviews is not a queue of as many process start-ups."""
        if self.mode != "deployment":
            free = self.workers() - len(self.active)
            claims = requests.claim(self.ctx, owner=self.owner, limit=free) if free > 0 else []
            for claim in claims:
                self.active[claim.run] = pool.submit(self._run, claim)
            return claims
        if self.deployed:  # forget the claims that were reported on (or handed back)
            going = requests.running(self.ctx, list(self.deployed))
            self.deployed = {c: r for c, r in self.deployed.items() if c in going}
        free = self.workers() - len(self.active) - len(set(self.deployed.values()))
        if free <= 0:
            return []
        claims = requests.claim(self.ctx, owner=self.owner, limit=free * self.ctx.settings.route_batch)
        mail = [claim for claim in claims if claim.ref is None]
        for claim in mail:  # sign-in links are sent from here, at once
            self.active[claim.run] = pool.submit(self._run, claim)
        reviews = [claim for claim in claims if claim.ref is not None]
        size = min(self.ctx.settings.route_batch, -(-len(reviews) // free)) if reviews else 1
        for start in range(0, len(reviews), size):
            batch = reviews[start:start + size]
            self.active[batch[0].run] = pool.submit(self._hand_over, batch)
        return claims

    def _dispatch(self) -> None:
        pool = ThreadPoolExecutor(self.workers(), thread_name_prefix="s55-route")
        renewed = retried = watched = time.monotonic()
        while not self.stopping.is_set():
            try:
                self.active = {r: f for r, f in self.active.items() if not f.done()}
                claims = self._claim(pool)
                now = time.monotonic()
                if now - watched > WATCH_SECONDS:  # a flow run that died: its claims go back
                    self._deployed_going_on()
                    watched = now
                if now - renewed > RENEW_SECONDS:
                    requests.renew(self.ctx, list(self.active) + list(self.deployed))
                    renewed = now
                if now - retried > RETRY_MAIL_SECONDS:
                    requests.retry_unsent(self.ctx, by="s55 serve")
                    retried = now
            except Exception:
                log.exception("the dispatcher could not read or claim requests; trying again")
                claims = []
                self.stopping.wait(1)
            self.stopping.wait(0 if claims else POLL_SECONDS)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for future in list(self.active.values()):
            try:
                future.result(max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - unfinished runs are released on the next start
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    def _deployed_going_on(self) -> list[str]:
        """Claims whose flow runs (on workers) are waiting or running: their leases go on, so a
        run that waits for a worker is not handed out twice. A run that ended without
        reporting (crashed before its body, killed, cancelled) hands its requests back now."""
        if not self.deployed:
            return []
        from prefect import get_client

        going_on, states = [], {}
        with get_client(sync_client=True) as client:
            for claim, run_id in list(self.deployed.items()):
                if run_id not in states:
                    states[run_id] = client.read_flow_run(run_id).state
                state = states[run_id]
                if state is not None and state.is_final():
                    del self.deployed[claim]
                    if requests.still_running(self.ctx, claim):
                        requests.fail(self.ctx, claim, f"the advance flow run ended "
                                      f"{state.type.value} without reporting: {state.message}")
                else:
                    going_on.append(claim)
        return going_on

    def _heartbeat(self) -> None:
        from .services import signin

        web = self.web_url
        purged = 0.0
        while not self.stopping.is_set():
            try:
                self._watch_prefect()
                requests.heartbeat(self.ctx, self.owner, mode=self.mode, web_url=web,
                                   prefect_api=self.api)
                if time.monotonic() - purged > PURGE_SECONDS:
                    signin.purge(self.ctx)  # expired links, sessions and counted events
                    purged = time.monotonic()
            except Exception:
                log.exception("could not write the heartbeat")
            self.stopping.wait(HEARTBEAT_SECONDS)

    def _route_main(self) -> None:
        try:
            self.wait_for_prefect()
        except RuntimeError as err:
            self.say(f"s55 serve: the route is NOT served: {err}")
            return
        if self.stopping.is_set():
            return
        if self.mode != "deployment":
            self._thread(self._runner_main, "s55-runner")
        self._thread(self._heartbeat, "s55-heartbeat")
        ui = self.api.removesuffix("/api")
        self.say(f"s55 serve: the route is served ({self.mode}, {self.workers()} at a time); "
                 f"Prefect at {ui}")
        self.ready.set()
        self._dispatch()

    def _thread(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    # --- the whole process ------------------------------------------------------------------

    def start(self) -> None:
        self.start_prefect_server()
        self._thread(self._route_main, "s55-route")

    def stop(self) -> None:
        self.stopping.set()
        # the runner's event subscription notices the server going away; that is expected here
        logging.getLogger("prefect.FlowRunCancellingObserver").setLevel(logging.CRITICAL)
        if self.runner is not None and self.runner_loop is not None:
            import asyncio

            try:
                asyncio.run_coroutine_threadsafe(self.runner.astop(), self.runner_loop).result(10)
            except Exception:  # noqa: BLE001 - stopping anyway
                pass
        for thread in self.threads:  # the runner's thread is left to end with the process
            if thread.name != "s55-runner":
                thread.join(STOP_GRACE_SECONDS + 5)
        try:
            requests.goodbye(self.ctx, self.owner)
        except Exception:  # noqa: BLE001 - a stale heartbeat goes stale by itself
            pass
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(20)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()


WEB_START_SECONDS = 60


def _answers(web: subprocess.Popen, host: str, port: int, stop: threading.Event,
             seconds: float) -> bool:
    """True once the web app answers /health; False if it ended or never answered."""
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy: loopback
    there = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else \
        f"[{host}]" if ":" in host else host
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and web.poll() is None and not stop.is_set():
        try:
            with direct.open(f"http://{there}:{port}/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        stop.wait(0.2)
    return stop.is_set()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port(wanted: int) -> int:
    """`wanted` if it is free on loopback, else any free port."""
    for port in (wanted, 0):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn will
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port on 127.0.0.1")


def serve(ctx: Context, *, host: str, port: int) -> None:
    """The web app in its own process; the route in this one; everything stops together."""
    if not ctx.settings.web_url and not _loopback(host):
        # people elsewhere reach it by some name this process cannot know: links in mail would
        # point at the wrong place (and never at a request's Host header, which anyone can set)
        raise SettingError("S55_WEB_URL", f"must be set to the address people use when `s55 "
                           f"serve` listens beyond this machine (--host {host})")
    served = Served(ctx, say=lambda line: print(line, flush=True))
    served.web_url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    print(f"s55 serve: web app on {served.web_url}/ (Ctrl-C stops it); starting the route",
          flush=True)
    if ctx.settings.web_address != served.web_url:
        print(f"s55 serve: note: links in mail point at S55_WEB_URL={ctx.settings.web_address}, not "
              f"at {served.web_url}: set S55_WEB_URL to the address people use", flush=True)
    for other in requests.served_by(ctx):
        print(f"s55 serve: note: {other.owner} serves this office's route too; the two share "
              "the requests safely (one run per review at a time)", flush=True)
    served.start()
    # the web app in a process of its own (s55/web_server.py): a request never waits for the
    # GIL behind a route run; SIGINT or SIGTERM here stops it, the route and the Prefect server
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    web = subprocess.Popen([sys.executable, "-P", "-m", "s55.web_server", host, str(port),
                            str(os.getpid())])
    code = 0
    try:
        if not _answers(web, host, port, stop, WEB_START_SECONDS):
            print(f"s55 serve: the web app did not answer within {WEB_START_SECONDS} s "
                  f"(exit {web.poll()}); stopping", flush=True)
            code = 1
        while not code and not stop.wait(0.5):
            if web.poll() is not None:  # it could not listen (the port is taken), or it died
                print(f"s55 serve: the web app ended (exit {web.returncode}); stopping",
                      flush=True)
                code = 1
                break
    finally:
        if web.poll() is None:
            web.terminate()
            try:
                web.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait()
        served.stop()
        print("s55 serve: stopped", flush=True)
    if code:
        raise SystemExit(code)
