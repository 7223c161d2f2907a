"""Anchors (issue 12): the chain's head recorded outside the database, in the office's public
`audit/anchors.txt`, in each statutory copy and in the audit bundle's certificate. Someone who
can write to the database cuts off the newest entries, or rewrites an old one and recomputes
every later hash, and makes the head agree: the database alone says "intact"; the anchors
catch both. Real SQLite and PostgreSQL, real files, the real command line and a real HTTP
server for an anchors file fetched by address."""

from __future__ import annotations

import email
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from s55.domain.audit import Entry
from s55.domain.errors import InvalidInput
from s55.services import anchoring, bundle, mailing, publishing, reading
from s55.store import repo
from s55.store.models import AuditHead, AuditRow
from tests.conftest import AUDITOR, make_ctx
from tests.routes import published

WHEN = datetime(2022, 9, 23, 9, tzinfo=UTC)  # the day after the report: on time


def copies_sent(ctx, seed_text) -> str:
    ref = published(ctx, seed_text)
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    return ref


def anchors_of(ctx) -> list[str]:
    path = anchoring.anchors_file(ctx, ctx.offices.only)
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


def cut_off_last(ctx, n: int) -> None:
    """What a writer to the database does: delete the newest n entries and set the head to
    the entry before them, so that the chain and its head agree."""
    with ctx.uow() as session:
        end = session.get(AuditHead, 1).seq
        session.execute(delete(AuditRow).where(AuditRow.seq > end - n))
        last = session.get(AuditRow, end - n)
        head = session.get(AuditHead, 1)
        head.seq, head.hash = last.seq, last.hash


def rewrite(ctx, seq: int, **changes) -> None:
    """Rewrite one old entry, recompute every later entry's links and hash, and the head."""
    with ctx.uow() as session:
        rows = list(session.scalars(select(AuditRow).order_by(AuditRow.seq)))
        prev = rows[seq - 2].hash if seq > 1 else "0" * 64
        for row in rows[seq - 1:]:
            for key, value in (changes.items() if row.seq == seq else ()):
                setattr(row, key, value)
            sealed = Entry(seq=row.seq, at=row.at, actor=row.actor, role=row.role,
                           acting_for=row.acting_for, action=row.action, ref=row.ref,
                           version=row.version, details=row.details, prev_hash=prev).sealed()
            row.prev_hash, row.hash = prev, sealed.hash
            prev = sealed.hash
        head = session.get(AuditHead, 1)
        head.hash = prev


def s55(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "s55", *args, "--as", AUDITOR], env=env,
                          capture_output=True, text=True, timeout=120)


def test_publication_and_copies_anchor_the_head_on_the_site_and_in_the_copy(
        home, db_url, seed_text):
    ctx = make_ctx(home, db_url, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    with ctx.uow(read=True) as session:
        published_entry = repo.audit_entries(session, ref, "published")[-1]
        head = repo.audit_head(session)
    lines = anchors_of(ctx)
    assert lines[0].split()[1:] == [str(published_entry.seq), published_entry.hash,
                                    "published", ref]
    assert lines[-1].split()[1:] == [str(head[0]), head[1], "copies", "sent", ref]
    header = anchoring.anchors_file(ctx, ctx.offices.only).read_text().splitlines()[0]
    assert header.startswith("# s55 audit anchors of Office of the Staffordshire Commissioner")

    # each statutory copy, as sent, states the publication's entry and hash: the anchor
    # that the inspectorate and the Home Office hold
    copies = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
              for p in sorted((home / "outbox").glob("*.eml"))]
    copies = [m for m in copies if m["Subject"].startswith("Section 55 response")]
    assert len(copies) == 2
    for copy in copies:
        text = copy.get_body(("plain",)).get_content()
        assert (f"Audit trail at publication: entry {published_entry.seq}, SHA-256 "
                f"{published_entry.hash}") in text
        assert published_entry.hash in copy.get_body(("html",)).get_content()
    found = re.search(r"--anchors\s+(\d+):([0-9a-f]{64})", text)
    assert found and (int(found[1]), found[2]) == (published_entry.seq, published_entry.hash)

    verdict = anchoring.verify(ctx, actor=AUDITOR, sources=[
        str(anchoring.anchors_file(ctx, ctx.offices.only)), f"{found[1]}:{found[2]}"])
    assert verdict.ok and "2 anchors" in verdict.message and "the anchor agrees" in \
        verdict.message


def test_the_last_three_entries_cut_off_with_the_head_rewritten_are_caught_by_the_anchors(
        home, db_url, seed_text):
    ctx = make_ctx(home, db_url, when=WHEN)
    copies_sent(ctx, seed_text)
    with ctx.uow(read=True) as session:
        end = repo.audit_head(session)[0]
    cut_off_last(ctx, 3)

    assert reading.verify_audit(ctx, actor=AUDITOR).ok  # the database alone is fooled
    site_file = anchoring.anchors_file(ctx, ctx.offices.only)
    verdict = anchoring.verify(ctx, actor=AUDITOR, sources=[str(site_file)])
    assert not verdict.ok
    assert f"records entry {end}, but the chain ends at entry {end - 3}" in verdict.message
    assert "copies sent" in verdict.message and "cut off" in verdict.message

    if db_url.startswith("sqlite"):  # the command line says the same and exits 1
        done = s55(home, "audit", "verify", "--anchors", str(site_file))
        assert done.returncode == 1
        assert "audit chain BROKEN" in done.stderr and f"line 6: entry {end}" in done.stderr
        assert s55(home, "audit", "verify").returncode == 0


def test_an_old_entry_rewritten_with_every_later_hash_recomputed_is_caught(
        home, db_url, seed_text):
    ctx = make_ctx(home, db_url, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    with ctx.uow(read=True) as session:
        signed = repo.audit_entries(session, ref, "sign off")[-1]
        published_entry = repo.audit_entries(session, ref, "published")[-1]
    # the sign-off is made to look like someone else's
    rewrite(ctx, signed.seq, actor="someone.else@example.org")

    assert reading.verify_audit(ctx, actor=AUDITOR).ok  # the database alone is fooled
    verdict = anchoring.verify(ctx, actor=AUDITOR, sources=[
        str(anchoring.anchors_file(ctx, ctx.offices.only))])
    assert not verdict.ok and verdict.first_bad_seq == published_entry.seq
    assert (f"line 5: entry {published_entry.seq}, published {ref}) "
            f"in {anchoring.anchors_file(ctx, ctx.offices.only)} does not match entry "
            f"{published_entry.seq}") in verdict.message
    assert "rewritten" in verdict.message and "1 later anchors disagree too" in verdict.message
    # the anchor the inspectorate holds in its copy catches it on its own
    alone = anchoring.verify(ctx, actor=AUDITOR,
                             sources=[f"{published_entry.seq}:{published_entry.hash}"])
    assert not alone.ok and "given on the command line" in alone.message


def test_the_audit_bundle_carries_the_anchors_and_its_verify_script_catches_a_cut(
        home, db_url, seed_text, tmp_path):
    ctx = make_ctx(home, db_url, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    with ctx.uow(read=True) as session:
        seq, digest = repo.audit_head(session)
    good = bundle.export_bundle(ctx, actor=AUDITOR, ref=ref, out=tmp_path / "good")
    certificate = (good / "certificate.html").read_text()
    assert f"--anchors {seq}:{digest}" in certificate
    assert "copies sent " + ref in certificate  # the site's latest anchors, listed
    ok = subprocess.run([sys.executable, str(good / "verify.py"), str(good)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "2 anchors agree" in ok.stdout, ok.stdout

    cut_off_last(ctx, 3)
    cut = bundle.export_bundle(ctx, actor=AUDITOR, ref=ref, out=tmp_path / "cut")
    failed = subprocess.run([sys.executable, str(cut / "verify.py"), str(cut)],
                            capture_output=True, text=True)
    assert failed.returncode == 1
    assert f"anchors.txt line 6 anchors entry {seq}" in failed.stdout
    assert "cut off" in failed.stdout
    # whoever can also wipe the site's anchors is caught by an anchor kept elsewhere (here:
    # the first bundle's certificate head, as the inspectorate would hold it)
    anchoring.anchors_file(ctx, ctx.offices.only).unlink()
    wiped = bundle.export_bundle(ctx, actor=AUDITOR, ref=ref, out=tmp_path / "wiped")
    kept = tmp_path / "kept.txt"
    kept.write_text(f"2026-01-01T00:00:00Z {seq} {digest} certificate\n")
    alone = subprocess.run([sys.executable, str(wiped / "verify.py"), str(wiped)],
                           capture_output=True, text=True)
    assert alone.returncode == 0  # the bundle alone cannot tell
    again = subprocess.run([sys.executable, str(wiped / "verify.py"), str(wiped), str(kept)],
                           capture_output=True, text=True)
    assert again.returncode == 1 and "kept.txt line 1 anchors entry" in again.stdout


def test_anchors_fetched_by_address_and_bad_anchor_files_are_refused_by_name(
        home, seed_text, tmp_path):
    ctx = make_ctx(home, when=WHEN)
    copies_sent(ctx, seed_text)
    site = ctx.settings.site
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{server.server_port}/audit/anchors.txt"
        assert anchoring.verify(ctx, actor=AUDITOR, sources=[address]).ok
        cut_off_last(ctx, 1)
        done = s55(home, "audit", "verify", "--anchors", address)
        assert done.returncode == 1 and f"in {address}" in done.stderr
        missing = s55(home, "audit", "verify", "--anchors",
                      f"http://127.0.0.1:{server.server_port}/audit/nothing.txt")
        assert missing.returncode == 2 and "--anchors: could not fetch" in missing.stderr
    finally:
        server.shutdown()

    damaged = tmp_path / "damaged.txt"
    damaged.write_text("# anchors\n2022-10-19T09:00:00Z 20 not-a-hash published\n")
    with pytest.raises(InvalidInput, match="line 2 is not an anchor"):
        anchoring.verify(ctx, actor=AUDITOR, sources=[str(damaged)])
    done = s55(home, "audit", "verify", "--anchors", str(tmp_path / "none.txt"))
    assert done.returncode == 2 and "none.txt: no such file" in done.stderr
    wrong = s55(home, "audit", "S55-2022-0001", "--anchors", str(damaged))
    assert wrong.returncode == 2 and "goes with `s55 audit verify`" in wrong.stderr


def test_the_anchors_file_is_only_appended_to_and_repeats_no_head(home, seed_text):
    ctx = make_ctx(home, when=WHEN)
    copies_sent(ctx, seed_text)
    path = anchoring.anchors_file(ctx, ctx.offices.only)
    before = path.read_bytes()
    assert anchoring.record_head(ctx, why="daily sweep") == []  # the head is anchored already
    with ctx.uow() as session:  # the trail moves on; then the day's sweep anchors it
        repo.append_audit(session, at="2026-11-28T09:00:00+00:00", actor="s55",
                          role="automated", acting_for="", action="backup", ref="", version="",
                          details={})
    made = anchoring.record_head(ctx, why="daily sweep")
    after = path.read_bytes()
    assert after.startswith(before)  # appended, nothing before it changed
    with ctx.uow(read=True) as session:
        head = repo.audit_head(session)
    assert [(a.seq, a.hash, a.why) for _, a in made] == [(head[0], head[1], "daily sweep")]
    assert Path(path).stat().st_mode & 0o777 == 0o644  # public, as the site is


def test_a_restore_from_an_older_backup_says_the_anchors_show_entries_lost(
        home, seed_text, tmp_path):
    from s55.services import backup as backups
    from tests.conftest import OPCC
    from tests.integration.test_backup import fresh

    ctx = make_ctx(home, when=WHEN)
    backups.backup(ctx, actor=OPCC, to=tmp_path / "backup")
    with ctx.uow(read=True) as session:
        at_backup = repo.audit_head(session)[0]
    copies_sent(ctx, seed_text)  # anchored on the site after the backup was made

    done = backups.restore(fresh(ctx), actor=OPCC, source=tmp_path / "backup")
    assert len(done["anchors_lost"]) == 1 and "cut off" in done["anchors_lost"][0]
    ctx = fresh(ctx)
    verdict = anchoring.verify(ctx, actor=AUDITOR, sources=[
        str(anchoring.anchors_file(ctx, ctx.offices.only))])
    assert not verdict.ok  # the loss is real, and stays visible
    assert f"The trail records a restore from a backup made at entry {at_backup}" in \
        verdict.message
    with ctx.uow(read=True) as session:
        restored = repo.audit_entries(session, action="restore from backup")
    assert restored[0].details["anchors_lost"] == done["anchors_lost"]


def test_an_anchors_file_with_no_anchors_fails_and_odd_sources_are_refused_by_name(
        home, seed_text, tmp_path):
    ctx = make_ctx(home, when=WHEN)
    copies_sent(ctx, seed_text)
    empty = tmp_path / "empty.txt"
    empty.write_text("# only comments\n   # and an indented one\n")
    verdict = anchoring.verify(ctx, actor=AUDITOR, sources=[str(empty)])
    assert not verdict.ok and "holds no anchors, so nothing was checked" in verdict.message
    done = s55(home, "audit", "verify", "--anchors", str(empty))
    assert done.returncode == 1 and "holds no anchors" in done.stderr
    for source, said in ((f"14:{'a' * 100_000}", "is not a file, an address or ENTRY:SHA256"),
                         (f"0:{'a' * 64}", "entry 0 is not an anchor"),
                         (str(tmp_path), "is not a file")):
        done = s55(home, "audit", "verify", "--anchors", source)
        assert done.returncode == 2 and said in done.stderr, done.stderr[:300]
        assert "Traceback" not in done.stderr and len(done.stderr) < 1000


def test_the_bundles_verify_script_refuses_odd_anchors_by_name_and_never_crashes(
        home, seed_text, tmp_path):
    ctx = make_ctx(home, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    out = bundle.export_bundle(ctx, actor=AUDITOR, ref=ref, out=tmp_path / "b")
    hash_of_1 = anchors_of(ctx)[0].split()[2]
    odd = {"zero.txt": f"2022-10-19T09:00:00Z 0 {hash_of_1} x\n",
           "digit.txt": f"2022-10-19T09:00:00Z 1\u00b2 {hash_of_1} x\n",
           "upper.txt": f"2022-10-19T09:00:00Z 1 {hash_of_1.upper()} x\n",
           "notime.txt": f"x 1 {hash_of_1}\n", "empty.txt": "  # a comment only\n"}
    for name, text in odd.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00garbage")
    for name, said in (("zero.txt", "line 1 is not an anchor"),
                       ("digit.txt", "line 1 is not an anchor"),
                       ("upper.txt", "line 1 is not an anchor"),
                       ("notime.txt", "line 1 is not an anchor"),
                       ("empty.txt", "holds no anchors"), ("binary.txt", "cannot be read"),
                       ("nowhere.txt", "cannot be read"), (".", "cannot be read")):
        done = subprocess.run([sys.executable, str(out / "verify.py"), str(out),
                               str(tmp_path / name)], capture_output=True, text=True)
        assert done.returncode == 1 and said in done.stdout, (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
    # a bundle made with the site's anchors does not pass without them
    (out / "anchors.txt").unlink()
    sums = out / "SHA256SUMS"
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines()
                            if not line.endswith("  anchors.txt")))
    done = subprocess.run([sys.executable, str(out / "verify.py"), str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "anchors.txt is missing" in done.stdout


def test_exporting_a_trail_that_contradicts_the_sites_anchors_warns(home, seed_text, tmp_path):
    ctx = make_ctx(home, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    cut_off_last(ctx, 2)
    done = s55(home, "audit", "export", ref, "-o", str(tmp_path / "cut"))
    assert done.returncode == 0  # the evidence is exported all the same
    assert "WARNING: the audit trail does not hold the site's anchors" in done.stderr
    assert "does not hold the office's published anchors" in (
        tmp_path / "cut" / "certificate.html").read_text()
