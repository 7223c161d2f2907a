"""Anchors: the chain's head written down outside the database.

The chain's head row lives in the same database as the chain, so whoever can write to the
database can cut off the newest entries, or rewrite an old one and recompute every later hash,
and make the head agree: the chain then checks as intact. An anchor is one (entry number,
hash) pair recorded where that writer cannot reach: in the statutory copy that went to the
inspectorate and the Home Office, in the certificate of an audit bundle, and in the office's
public, append-only `audit/anchors.txt`. Any later check against an anchor catches both
attacks: an anchored entry that is gone was cut off, and one whose hash differs was rewritten.

One line an anchor, fields separated by single spaces:

    2026-11-28T09:15:02Z 27 3f2a...(64 hex) published STAFFS-S55-2022-0001

when (UTC), the entry number, that entry's SHA-256, and why the anchor was taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .audit import Entry, Verdict
from .errors import InvalidInput

HEADER = ("# s55 audit anchors of {office}\n"
          "# Each line: when (UTC), an audit entry's number, that entry's SHA-256, and why it was\n"
          "# recorded. Lines are only ever added. To check the audit trail against them:\n"
          "#   s55 audit verify --anchors {address}\n")
LINE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ([1-9]\d*) ([0-9a-f]{64}) (\S.*)",
                  re.ASCII)


@dataclass(frozen=True)
class Anchor:
    at: str
    seq: int
    hash: str
    why: str
    line: int = 0  # where it was read from (1-based); 0 when not read from a file

    def text(self) -> str:
        return f"{self.at} {self.seq} {self.hash} {self.why}\n"

    def named(self) -> str:
        if not self.line:
            return f"the anchor {self.seq}:{self.hash[:12]}… ({self.why})"
        return f"the anchor of {self.at} (line {self.line}: entry {self.seq}, {self.why})"


def parse(text: str, source: str = "anchors") -> list[Anchor]:
    """Every anchor in an anchors file; a line that is neither an anchor, a comment nor blank
    is refused, naming its number (a damaged anchors file must not pass for a short one)."""
    anchors = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.fullmatch(line)
        if match is None:
            raise InvalidInput(source, f"line {n} is not an anchor (want: UTC time, entry "
                                       f"number, 64 hex digits, why): {line[:80]!r}")
        at, seq, digest, why = match.groups()
        anchors.append(Anchor(at, int(seq), digest, why, n))
    return anchors


def check(entries: Iterable[Entry], anchors: list[Anchor], source: str = "") -> Verdict:
    """The (already verified) chain against the anchors: an anchor beyond the chain's end means
    entries were cut off after it; an anchor whose entry has another hash means that entry or
    one before it was rewritten. The failing anchor named is the earliest in the chain."""
    hashes = {e.seq: e.hash for e in entries}
    end = max(hashes, default=0)
    where = f" in {source}" if source else ""
    bad = []
    for anchor in anchors:
        if anchor.seq > end:
            bad.append((anchor, f"{anchor.named()}{where} records entry {anchor.seq}, but the "
                                f"chain ends at entry {end}: entries from {end + 1} on were "
                                "cut off (the head was rewritten to match)"))
        elif hashes[anchor.seq] != anchor.hash:
            bad.append((anchor, f"{anchor.named()}{where} does not match entry {anchor.seq} "
                                f"(anchored {anchor.hash[:12]}, now {hashes[anchor.seq][:12]}): "
                                f"entry {anchor.seq} or one before it was rewritten"))
    if bad:
        bad.sort(key=lambda b: b[0].seq)
        more = f" ({len(bad) - 1} later anchors disagree too)" if len(bad) > 1 else ""
        return Verdict(False, end, bad[0][1] + more, bad[0][0].seq)
    if not anchors:
        return Verdict(True, end, f"intact: {end} entries; no anchors{where} to check against")
    latest = max(anchors, key=lambda a: a.seq)
    when = f"{latest.at}, " if latest.at else ""
    agree = f"{len(anchors)} anchors{where} agree" if len(anchors) > 1 else \
        f"the anchor{where} agrees"
    return Verdict(True, end, f"intact: {end} entries; {agree}, the latest "
                              f"at entry {latest.seq} ({when}{latest.why})")
