"""Bad settings, bad command lines and faults, as a person at the command line meets them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import AUDITOR, SEED


def run(home, *argv, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    clean.update(S55_HOME=str(home), **env)
    return subprocess.run([sys.executable, "-m", "s55", *argv], env=clean, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("setting, value, said", [
    ("S55_MAIL_TRANSPORT", "pigeon", "must be 'files' or 'smtp', got 'pigeon'"),
    ("S55_SMTP_PORT", "abc", "must be a whole number, got 'abc'"),
    ("S55_SMTP_PORT", "70000", "must be from 1 to 65535, got 70000"),
    ("S55_DATABASE_URL", "mysql://x@db.invalid/s55", "names the database 'mysql'"),
    ("S55_DATABASE_URL", "not a url", "is not a database address"),
    ("S55_WEB_URL", "ftp://files.example.org", "must be an absolute http:// or https:// address"),
    ("S55_WEB_URL", "https://s55.example.org/?next=x", "must be a plain address"),
    ("S55_WEB_URL", "http://a b.example.org", "must be an address without spaces"),
    ("S55_WEB_URL", 'http://x.example.org/"><script>', "must be an address without spaces"),
    ("S55_WEB_URL", "http://x.example.org:0", "has a port that is not from 1 to 65535"),
    ("S55_WEB_URL", "http://x.example.org:99999", "has a port that is not from 1 to 65535"),
    ("S55_MAIL_FROM", "not an address", "must be an email address"),
    ("S55_TEMPLATES_DIR", "/no/such/folder", "must be an existing folder"),
    ("S55_SMTP_CA_FILE", "/no/such/ca.pem", "must be an existing file"),
    ("S55_TRUSTED_PROXIES", "10.0.0.1, proxy.example.org", "'proxy.example.org' is not an IP"),
    ("S55_WAIT_SECONDS", "-1", "must be from 0 to 600 seconds"),
    ("S55_ORCHESTRATION", "kubernetes", "must be 'embedded' or 'deployment'"),
])
def test_a_bad_setting_is_refused_at_start_by_name(tmp_path, setting, value, said):
    home = tmp_path / "home"
    done = run(home, "list", "--as", AUDITOR, **{setting: value})
    assert done.returncode == 2
    assert done.stderr.startswith(f"s55: {setting}: {said}")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not home.exists()  # refused before anything was written


def test_serve_beyond_loopback_needs_S55_WEB_URL(tmp_path):
    done = run(tmp_path / "home", "serve", "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2
    assert done.stderr.startswith("s55: S55_WEB_URL: must be set to the address people use")


def test_a_bad_command_line_exits_2_with_usage(tmp_path):
    done = run(tmp_path / "home", "answer", "S55-2022-0001", "one", "--kind", "no-action",
               "--text", "x", "--as", AUDITOR)
    assert done.returncode == 2 and "argument NUMBER: must be a whole number, not 'one'" in \
        done.stderr
    assert run(tmp_path / "home", "no-such-command").returncode == 2


def test_a_refusal_names_the_flag_on_the_command_line(tmp_path):
    home = tmp_path / "home"
    done = run(home, "import", "/dev/null", "--published-on", "22/09/2022",
               "--as", "opcc.officer@example.org")
    assert done.returncode == 2
    assert done.stderr.strip() == ("s55: --published-on: '22/09/2022' is not a date; use "
                                   "YYYY-MM-DD, e.g. 2022-09-22")


def test_an_export_to_a_folder_that_is_not_there_is_refused_naming_it(tmp_path):
    from tests.conftest import SEED

    home, opcc = tmp_path / "home", "opcc.officer@example.org"
    ref = run(home, "import", SEED, "--published-on", "2022-09-22", "--as", opcc).stdout.strip()
    for name in ("x.docx", "x.txt"):
        target = tmp_path / "no-such-folder" / name
        done = run(home, "export", ref, "-o", target, "--as", opcc)
        assert (done.returncode, done.stderr.strip()) == (
            2, f"s55: --output: {target} cannot be written (No such file or directory)")
    assert not (tmp_path / "no-such-folder").exists()


def test_a_reader_that_leaves_early_is_no_fault(tmp_path):
    home = tmp_path / "home"
    run(home, "import", str(SEED), "--published-on", "2022-09-22", "--as",
        "opcc.officer@example.org")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    clean.update(S55_HOME=str(home))
    # `true` has left before s55 writes a byte: its first write meets a closed pipe
    done = subprocess.run(f"{sys.executable} -m s55 audit S55-2022-0001 --as {AUDITOR} | true; "
                          "echo \"${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                          env=clean, capture_output=True, text=True)
    assert done.stdout.strip() == "141" and "unexpected" not in done.stderr, done.stderr
    assert not (home / "logs" / "errors.log").exists()


def test_an_unexpected_fault_is_one_line_its_own_exit_code_and_a_logged_traceback(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "s55.db").write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    done = run(home, "list", "--as", AUDITOR)
    assert done.returncode == 70
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("s55: unexpected error: DatabaseError")
    assert "Traceback" not in done.stderr
    reference = lines[1].split("(ref ")[1].split(")")[0]
    log = (home / "logs" / "errors.log").read_text()
    assert f"ref {reference}" in log and "Traceback (most recent call last)" in log
