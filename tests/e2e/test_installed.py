"""s55 installed as a wheel, not run from a checkout: its config and templates come with it
(they were found only by walking up from the source files, so only an editable install
worked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import OPCC, SEED

ROOT = Path(__file__).resolve().parents[2]


def test_an_installed_wheel_imports_and_runs_the_route_away_from_the_checkout(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(wheels), str(ROOT)], capture_output=True, text=True,
                           timeout=300, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("s55-*.whl")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                                "--target", str(target), str(wheel)], capture_output=True,
                               text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(PYTHONPATH=str(target), S55_HOME=str(tmp_path / "home"))

    def s55(*argv):
        return subprocess.run([sys.executable, "-m", "s55", *argv, "--as", OPCC], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    where = subprocess.run([sys.executable, "-c", "import s55.files as f; print(f.bundled("
                            "'config'), f.bundled('templates'))"], env=env, capture_output=True,
                           text=True, cwd=tmp_path)
    assert where.stdout.split() == [str(target / "s55_files" / "config"),
                                    str(target / "s55_files" / "templates")], where.stderr
    # the example of a service of many offices comes with it, folders and all
    assert (target / "s55_files" / "config" / "offices-example" / "metropolitan" /
            "office.yaml").is_file()
    ref = s55("import", str(SEED), "--published-on", "2022-09-22").stdout.strip()
    assert ref == "S55-2022-0001"
    invited = s55("invite", ref)  # the route composes mail from the installed templates
    assert invited.returncode == 0 and "done: sent invitation" in invited.stdout, invited.stderr
    assert list((tmp_path / "home" / "outbox").glob("*.eml"))
