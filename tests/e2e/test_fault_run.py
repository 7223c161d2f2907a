"""The random-kill fault run at a small size (bench/fault_run.py runs 100 routes): `s55 serve`
SIGKILLed at random points of its work, again and again, then left to finish. Every route
completes with no decision lost, no message sent twice, no half-written file, and the audit
chain intact."""

from __future__ import annotations

import pytest

from tests.conftest import _free_port, make_ctx
from tests.faultrun import FaultRun
from tests.serving import clean_env

pytestmark = pytest.mark.slow


def test_routes_survive_a_served_process_killed_at_random_points(home, seed_text, prefect_api):
    ctx = make_ctx(home)
    env = clean_env(home, PREFECT_API_URL=prefect_api, S55_WEB_WORKERS="1")
    run = FaultRun(home, env, ctx, seed=11, kills_wanted=4, most=60)
    run.prepare(seed_text, 5)
    run.run(_free_port, timeout=600)
    assert run.kills == 4, run.where()
    assert run.problems() == []
