"""Recording the chain's head outside the database, and checking the chain against it.

Anchors are taken after each publication and after the statutory copies of each review have
gone (the copies themselves carry the publication's anchor in their text), and by each daily
sweep; each goes to the office's public `audit/anchors.txt`, which is only ever appended to.
"""

from __future__ import annotations

import fcntl
import os
import re
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from ..domain import anchors as anchoring
from ..domain import audit as chain
from ..domain.anchors import Anchor
from ..domain.errors import InvalidInput
from ..store import repo
from .context import Context, as_utc
from .reading import may_read

GIVEN = re.compile(r"(\d{1,12}):([0-9a-fA-F]{64})")
MAX_BYTES = 20 * 1024 * 1024  # about 150,000 anchors: a file larger than that is not ours


def anchors_file(ctx: Context, office) -> Path:
    return ctx.site(office) / "audit" / "anchors.txt"


def record(ctx: Context, office, *, seq: int, digest: str, why: str,
           at: datetime | None = None) -> Anchor | None:
    """Append one anchor to the office's anchors file, unless its newest anchor already is
    this entry. One write of one whole line to a file opened for appending: a process killed
    here leaves the line written or not, never half of it; nothing is ever rewritten."""
    if seq <= 0:
        return None  # an empty chain has nothing to anchor
    path = anchors_file(ctx, office)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = as_utc(at or ctx.now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    anchor = Anchor(stamp, seq, digest, " ".join(why.split()))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size:
            try:
                newest = _newest(path)
            except InvalidInput:  # a damaged file is still appended to; verify names the line
                newest = None
            if newest is not None and (newest.seq, newest.hash) == (seq, digest):
                return None
        header = anchoring.HEADER.format(
            office=office.name, address=f"{ctx.site_address(office)}/audit/anchors.txt") \
            if size == 0 else ""
        os.write(fd, (header + anchor.text()).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor


def record_head(ctx: Context, *, why: str, office: str | None = None,
                at: datetime | None = None) -> list[tuple[str, Anchor]]:
    """The chain's head now, in every office's anchors file (or the one office's)."""
    with ctx.uow(read=True) as session:
        seq, digest = repo.audit_head(session)
    offices = [ctx.offices.get(office)] if office else list(ctx.offices)
    made = []
    for each in offices:
        anchor = record(ctx, each, seq=seq, digest=digest, why=why, at=at)
        if anchor is not None:
            made.append((each.force_id, anchor))
    return made


def recorded(ctx: Context, office) -> list[Anchor]:
    """The anchors in an office's file (none yet: an empty list)."""
    path = anchors_file(ctx, office)
    if not path.exists():
        return []
    return anchoring.parse(path.read_text(encoding="utf-8"), str(path))


def _newest(path: Path) -> Anchor | None:
    found = anchoring.parse(path.read_text(encoding="utf-8"), str(path))
    return found[-1] if found else None


def from_source(source: str) -> list[Anchor]:
    """The anchors of a path or a file, http or https address; or the one anchor given as
    ENTRY:SHA256 (as a statutory copy or an audit certificate states it)."""
    if len(source) > 4096:
        raise InvalidInput("--anchors", f"'{source[:40]}…' ({len(source)} characters) is not a "
                           "file, an address or ENTRY:SHA256")
    given = GIVEN.fullmatch(source.strip())
    if given:
        if int(given[1]) == 0:
            raise InvalidInput("--anchors", f"{source[:80]}: entry 0 is not an anchor (entries "
                                            "are numbered from 1)")
        return [Anchor("", int(given[1]), given[2].lower(), "given on the command line")]
    found = anchoring.parse(load(source), source)
    if not found:
        # an empty file (or one of comments) proves nothing: a check against it must not pass
        raise NoAnchors(source)
    return found


class NoAnchors(Exception):
    def __init__(self, source: str):
        super().__init__(f"{source} holds no anchors, so nothing was checked against it (an "
                         "office's anchors file has one line for each publication)")


def load(source: str) -> str:
    """An anchors file's text, from a path or a file, http or https address."""
    if source.startswith("file://"):
        source = urllib.request.url2pathname(source.removeprefix("file://"))
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=30) as answer:  # noqa: S310 (scheme checked)
                data = answer.read(MAX_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise InvalidInput("--anchors", f"could not fetch {source}: "
                                            f"{getattr(e, 'reason', e)}") from None
    else:
        path = Path(source)
        try:
            if not path.exists():
                raise InvalidInput("--anchors", f"{source}: no such file")
            if not path.is_file():
                raise InvalidInput("--anchors", f"{source} is not a file")
            with path.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as e:
            raise InvalidInput("--anchors", f"{source[:80]} cannot be read ({e.strerror})") \
                from None
    if len(data) > MAX_BYTES:
        raise InvalidInput("--anchors", f"{source} is larger than {MAX_BYTES // 2**20} MB; "
                                        "it is not an anchors file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("--anchors", f"{source} is not UTF-8 text") from None


def verify(ctx: Context, *, actor: str | None, sources: list[str]) -> chain.Verdict:
    """The chain as `audit verify` checks it, then against every anchor in every source: the
    first that disagrees is named."""
    may_read(ctx, actor)
    # fetched before the chain is read: an anchor taken meanwhile is then within what is read
    try:
        found = [(source, from_source(source)) for source in sources]
    except NoAnchors as empty:
        return chain.Verdict(False, 0, str(empty))
    with ctx.uow(read=True) as session:
        head_seq, head_hash = repo.audit_head(session)
        entries = repo.audit_entries(session)
    verdict = chain.verify(entries, head_seq=head_seq, head_hash=head_hash)
    if not verdict.ok:
        return verdict
    messages = []
    for source, anchors in found:
        checked = anchoring.check(entries, anchors, "" if GIVEN.fullmatch(source) else source)
        if not checked.ok:
            return _explained(checked, entries)
        messages.append(checked.message.removeprefix(f"intact: {checked.count} entries; "))
    return chain.Verdict(True, verdict.count, f"{verdict.message}; " + "; ".join(messages))


def _explained(verdict: chain.Verdict, entries: list) -> chain.Verdict:
    """A failure after a restore from an older backup is that restore's loss: say so (it still
    fails: the entries after the backup are gone, and only the anchors show it)."""
    restores = [e for e in entries if e.action == "restore from backup"
                and e.details.get("backup_head", {}).get("seq", 0) < (verdict.first_bad_seq or 0)]
    if not restores:
        return verdict
    last = restores[-1]
    return chain.Verdict(False, verdict.count, f"{verdict.message}. The trail records a restore "
                         f"from a backup made at entry {last.details['backup_head']['seq']} "
                         f"(entry {last.seq}, by {last.actor} at {last.at}): entries made after "
                         "that backup were lost then", verdict.first_bad_seq)
