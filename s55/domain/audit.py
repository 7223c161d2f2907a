"""The audit trail as a hash chain: each entry's hash covers its fields and the previous hash.

Altering, deleting or reordering any stored entry breaks the chain at that entry;
deleting the newest entry is caught by the head (count and hash) stored beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from .record import canonical_json

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str  # UTC, ISO 8601
    actor: str  # email, or "s55" for automated steps
    role: str
    acting_for: str  # the office holder a delegate acted for; "" when acting in person
    action: str
    ref: str  # the review's reference; "" for entries about no review
    version: str  # the content hash the action concerned; "" when none
    details: dict = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def body(self) -> dict:
        data = asdict(self)
        del data["hash"]
        return data

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.body()).encode("utf-8")).hexdigest()

    def sealed(self) -> Entry:
        return Entry(**{**self.body(), "hash": self.computed_hash()})


def next_entry(prev: Entry | None, **fields) -> Entry:
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS if prev is None else prev.hash
    return Entry(seq=seq, prev_hash=prev_hash, **fields).sealed()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    message: str
    first_bad_seq: int | None = None


def verify(entries: Iterable[Entry], *, head_seq: int, head_hash: str) -> Verdict:
    """Recompute the chain in stored order and compare its end with the stored head."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        problem = None
        if entry.seq != expected_seq:
            problem = f"is numbered {entry.seq} where {expected_seq} was expected " \
                      "(an entry was deleted or reordered)"
        elif entry.prev_hash != prev_hash:
            problem = "does not follow the entry before it (an entry was altered, " \
                      "deleted or reordered)"
        elif entry.computed_hash() != entry.hash:
            problem = "has been altered: its hash does not match its contents"
        if problem:
            return Verdict(False, count, f"entry {expected_seq} {problem}", expected_seq)
        prev_hash, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    if count != head_seq or prev_hash != (head_hash if head_seq else GENESIS):
        return Verdict(
            False, count,
            f"the chain ends at entry {count} but the head records entry {head_seq}: "
            f"entry {min(count, head_seq) + 1} was deleted or the head altered",
            min(count, head_seq) + 1,
        )
    return Verdict(True, count, f"intact: {count} entries, head {prev_hash[:12]}")
