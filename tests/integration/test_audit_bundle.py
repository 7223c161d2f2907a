"""`s55 audit export`: a bundle checked by its own standard-library script, and broken by any edit."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from s55.services import mailing, publishing
from s55.services.bundle import export_bundle
from tests.conftest import AUDITOR, make_ctx
from tests.routes import published


@pytest.fixture
def bundle(home, seed_text, tmp_path):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    ref = published(ctx, seed_text)
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    return export_bundle(ctx, actor=AUDITOR, ref=ref, out=tmp_path / "bundle")


def check(folder):
    # -I -S: no site-packages, no environment: the standard library and nothing else
    done = subprocess.run([sys.executable, "-I", "-S", str(folder / "verify.py"), str(folder)],
                          capture_output=True, text=True)
    return done.returncode, done.stdout.strip()


def test_an_untouched_bundle_checks_out(bundle):
    code, out = check(bundle)
    assert code == 0, out
    assert out.startswith("OK: ")
    certificate = (bundle / "certificate.html").read_text()
    for fact in ("Certificate of publication", "<td>Ben Adams</td><td>sign off</td>",
                 "Sam Reid for Chris Noble (Chief Constable)", "sign off",
                 "s55-responses@hmicfrs.example.org", "s55-responses@homeoffice.example.org",
                 "published on day 2 of 56"):
        assert fact in certificate, fact


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[5] ^= 1  # early enough to be in every file, late enough to leave scripts runnable
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["audit.jsonl", "head.json", "manifest.json", "certificate.html",
                                  "verify.py", "files/S55-2022-0001.pdf",
                                  "files/S55-2022-0001.txt", "files/index.html", "SHA256SUMS"])
def test_altering_any_file_in_the_bundle_makes_the_check_fail(bundle, name):
    _flip_a_byte(bundle / name)
    code, out = check(bundle)
    assert code == 1 and out.startswith("FAILED"), out


def test_a_forged_file_with_forged_sums_is_still_caught_by_the_chain(bundle):
    page = bundle / "files" / "index.html"
    page.write_text(page.read_text().replace("Ben Adams", "Someone Else"))
    sums = (bundle / "SHA256SUMS").read_text().splitlines()
    import hashlib

    fixed = [f"{hashlib.sha256(page.read_bytes()).hexdigest()}  files/index.html"
             if line.endswith("  files/index.html") else line for line in sums]
    (bundle / "SHA256SUMS").write_text("\n".join(fixed) + "\n")
    code, out = check(bundle)
    assert code == 1 and "is not the page the chain recorded as published" in out


def test_an_entry_dropped_from_the_trail_is_caught(bundle):
    lines = (bundle / "audit.jsonl").read_text().splitlines()
    (bundle / "audit.jsonl").write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    sums = [line for line in (bundle / "SHA256SUMS").read_text().splitlines()
            if not line.endswith("audit.jsonl")]
    import hashlib

    sums.append(f"{hashlib.sha256((bundle / 'audit.jsonl').read_bytes()).hexdigest()}  audit.jsonl")
    (bundle / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    code, out = check(bundle)
    assert code == 1 and "audit entry 4" in out
    assert json.loads((bundle / "head.json").read_text())["seq"] > 4
