"""The main job: `s55 demo` on a fresh S55_HOME, as the README runs it."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_the_demo_takes_the_staffordshire_record_through_the_route(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-m", "s55", "demo"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "S55-2022-0001: s55(5A)" in out and "by Wed 16 Nov 2022" in out
    assert "flagged: 2 causes of concern but no recommendations recorded" in out
    assert "due Fri 14 Oct 2022" in out
    assert "refused: s55(5B) requires an answer to every recommendation" in out
    assert "is no longer current" in out
    assert "S55-2022-0001 is signed off; waiting for an OPCC officer to publish" in out
    assert "S55-2022-0001 is copies sent; waiting for nothing: the duty is done" in out
    assert "published on day 28 of 56" in out
    page = home / "site" / "responses" / "S55-2022-0001" / "index.html"
    assert f"published page: {page}" in out
    assert "messages: 12 written, 12 sent" in out
    assert len(list((home / "outbox").glob("*.eml"))) == 12
    assert "Sam Reid for Chris Noble (Chief Constable)" in out
    assert out.rstrip().splitlines()[-1].startswith("audit verdict: intact:")
    # the second run of the route did nothing
    rerun = out.split("the route runs again: nothing is done twice")[1].split("\n\n")[0]
    assert rerun.strip().splitlines() == [
        "route: S55-2022-0001 is copies sent; waiting for nothing: the duty is done"]
