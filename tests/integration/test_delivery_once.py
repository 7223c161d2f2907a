"""Each message once, with any number of deliverers at once, against a slow SMTP server.

Deliverers claim each outbox row ("sending") before they send it and record each outcome the
moment it is known; these tests run 8 of them at once, in threads and in processes, on
SQLite and PostgreSQL, and kill one in the middle of a batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest

from s55.services import mailing, reading
from tests import routes
from tests.conftest import AUDITOR, make_ctx

WHEN = datetime(2022, 9, 23, 9, tzinfo=UTC)
DELIVERERS = 8
DELIVER = ("import sys\nfrom s55.services import mailing\nfrom s55.services.context import Context\n"
           "mailing.deliver(Context.from_env(), sys.argv[1])\n")


@pytest.fixture
def slow_server(smtp_server):
    smtp_server.mailbox.delay = 0.4  # each message takes the server a while to accept
    return smtp_server.start()


def smtp_ctx(home, db_url, server):
    return make_ctx(home, db_url, when=WHEN, mail_transport="smtp", smtp_host="127.0.0.1",
                    smtp_port=server.port, smtp_security="none", smtp_timeout=10)


def env_for(home, db_url, server) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), S55_DATABASE_URL=db_url, **server.env())
    return env


def sent_entries(ctx, ref) -> int:
    return sum(e["action"].startswith("sent: ") for e in reading.audit_trail(ctx, actor=AUDITOR,
                                                                             ref=ref))


def test_eight_deliverers_in_threads_send_each_message_once(home, db_url, slow_server, seed_text):
    ctx = smtp_ctx(home, db_url, slow_server)
    ref = routes.published(ctx, seed_text)
    start = threading.Barrier(DELIVERERS)

    def deliverer():
        mine = smtp_ctx(home, db_url, slow_server)
        start.wait()
        mailing.deliver(mine, ref)

    threads = [threading.Thread(target=deliverer) for _ in range(DELIVERERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    copies = slow_server.mailbox.copies()
    assert len(copies) == 6 and set(copies.values()) == {1}
    assert {m["status"] for m in mailing.outbox_rows(ctx) if m["status"] != "cancelled"} == {"sent"}
    assert sent_entries(ctx, ref) == 6  # the trail says "sent" once per message, too


def test_eight_deliverers_in_processes_send_each_message_once(home, db_url, slow_server,
                                                              seed_text):
    ctx = smtp_ctx(home, db_url, slow_server)
    ref = routes.published(ctx, seed_text)
    env = env_for(home, db_url, slow_server)
    procs = [subprocess.Popen([sys.executable, "-c", DELIVER, ref], env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(DELIVERERS)]
    for p in procs:
        assert p.wait(180) == 0, p.stderr.read()
    copies = slow_server.mailbox.copies()
    assert len(copies) == 6 and set(copies.values()) == {1}
    assert sent_entries(ctx, ref) == 6


def test_a_deliverer_killed_after_three_of_six_resends_at_most_one(home, db_url, slow_server,
                                                                   seed_text):
    ctx = smtp_ctx(home, db_url, slow_server)
    ref = routes.published(ctx, seed_text)
    proc = subprocess.Popen([sys.executable, "-c", DELIVER, ref],
                            env=env_for(home, db_url, slow_server))

    def kill_at_three(count):  # the server has accepted the third; its sender never hears so
        if count == 3:
            os.kill(proc.pid, signal.SIGKILL)

    slow_server.mailbox.on_accept = kill_at_three
    assert proc.wait(120) == -signal.SIGKILL
    slow_server.mailbox.on_accept = None
    assert len(slow_server.mailbox.copies()) == 3
    statuses = [m["status"] for m in mailing.outbox_rows(ctx) if m["status"] != "cancelled"]
    assert statuses.count("sent") + statuses.count("sending") == 3  # 2 or 3 known as sent

    outcome = mailing.deliver(ctx, ref)  # the next deliverer: the dead one's claim is released
    copies = slow_server.mailbox.copies()
    assert len(copies) == 6  # every message arrived
    assert sum(copies.values()) - 6 <= 1  # at most one twice, and with the same Message-ID
    assert len(outcome["sent"]) == 6 - statuses.count("sent")
    assert {m["status"] for m in mailing.outbox_rows(ctx) if m["status"] != "cancelled"} == {"sent"}
