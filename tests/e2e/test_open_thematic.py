"""The national fan-out: 43 forces, one review each, and never twice; from the command (no
Prefect) and as the Prefect flow that `s55 serve` serves as a deployment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import AUDITOR, CHIEF_CONSTABLE, OPCC

pytestmark = pytest.mark.slow
TITLE = "An inspection of vetting, misconduct and misogyny in the police service"


def test_a_national_report_opens_one_review_per_force_and_a_rerun_opens_none(
        home, prefect_api, monkeypatch):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home))  # the command needs no Prefect

    def s55(*args, actor=OPCC):
        return subprocess.run([sys.executable, "-m", "s55", *args, "--as", actor], env=env,
                              capture_output=True, text=True, timeout=300)

    fan_out = ("open-thematic", "--title", TITLE, "--published-on", "2022-11-02")
    refused = s55(*fan_out, actor=CHIEF_CONSTABLE)
    assert refused.returncode == 4 and "may not open review" in refused.stderr

    first = s55(*fan_out)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("43 opened, 0 already open")
    assert "43/43" in first.stderr  # the progress bar reached the end

    again = s55(*fan_out)
    assert again.stdout.strip().endswith("0 opened, 43 already open")

    reviews = json.loads(s55("list", "--json", actor=AUDITOR).stdout)
    assert len(reviews) == 43 and len({r["force"] for r in reviews}) == 43
    assert {r["statutory_last_day"] for r in reviews} == {"2022-12-27"}
    met = next(r for r in reviews if r["force"] == "Metropolitan Police Service")
    shown = s55("export", met["ref"], actor=AUDITOR).stdout
    assert "Mayor's Office for Policing and Crime\t" in shown
    assert "Commissioner\t" in shown

    # the same, as the Prefect flow of the `open-thematic` deployment: it finds all 43
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    from flows.thematic import open_thematic

    flowed = open_thematic(TITLE, "2022-11-02", OPCC)
    assert (len(flowed["opened"]), len(flowed["existing"])) == (0, 43)
