#!/usr/bin/env python3
"""Check an s55 audit bundle with nothing but Python's standard library.

    python3 verify.py [BUNDLE_FOLDER]

Checks, and says which one fails:
1. every file listed in SHA256SUMS has that SHA-256, and every file in the bundle is listed;
2. the audit chain in audit.jsonl recomputes entry by entry (each entry's SHA-256 covers
   its fields and the previous entry's hash) and ends at the head in head.json; on a
   service of many offices another office's entries are withheld, and only their links
   (number, hash, previous hash) are checked;
3. the published files in files/ are byte for byte those whose hashes the chain recorded
   when they were published, and the published version is the one that was signed off;
4. when the bundle holds anchors.txt (the office's public anchors) or you name anchors files
   (`python3 verify.py BUNDLE ANCHORS...`, for instance the anchors line of a statutory copy
   saved as a file), every anchored entry is in the chain with the anchored hash: entries cut
   off or rewritten after an anchor was taken are caught even when the head was made to match.
Exit status 0 when all hold, 1 otherwise.
"""

import hashlib
import json
import re
import sys
from pathlib import Path

GENESIS = "0" * 64


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry_hash(entry):
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_sums(root):
    listed = {}
    for line in (root / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    unlisted = present - set(listed) - {"SHA256SUMS"}
    if unlisted:
        return f"files not listed in SHA256SUMS: {', '.join(sorted(unlisted))}"
    for name, digest in listed.items():
        if name not in present:
            return f"{name} is listed in SHA256SUMS but missing"
        if sha256(root / name) != digest:
            return f"{name} does not match its SHA-256 in SHA256SUMS"
    return None


def check_chain(root, hashes):
    head = json.loads((root / "head.json").read_text(encoding="utf-8"))
    prev, seq, entries = GENESIS, 0, []
    for line in (root / "audit.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        seq += 1
        if entry["seq"] != seq:
            return f"audit entry {seq}: numbered {entry['seq']} (deleted or reordered)", []
        if entry["prev_hash"] != prev:
            return f"audit entry {seq}: does not follow the entry before it", []
        if "withheld" not in entry and entry_hash(entry) != entry["hash"]:
            return f"audit entry {seq}: altered (its hash does not match its contents)", []
        prev = hashes[seq] = entry["hash"]
        if "withheld" not in entry:
            entries.append(entry)
    if seq != head["seq"] or prev != head["hash"]:
        return f"the chain ends at entry {seq} but head.json records entry {head['seq']}", []
    return None, entries


def check_publication(root, entries):
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    ref = manifest["ref"]
    mine = [e for e in entries if e["ref"] == ref]
    published = [e for e in mine if e["action"] == "published"]
    signed = [e for e in mine if e["action"] == "sign off"]
    if not published:
        return f"the chain records no publication of {ref}"
    if not signed or signed[-1]["version"] != published[-1]["version"]:
        return "the published version is not the version that was signed off"
    for name, recorded in published[-1]["details"]["files"].items():
        path = root / "files" / Path(recorded["path"]).name
        if not path.exists():
            return f"the published {name} file is missing from files/"
        if sha256(path) != recorded["sha256"]:
            return f"files/{path.name} is not the {name} the chain recorded as published"
    return None


ANCHOR = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ([1-9]\d*) ([0-9a-f]{64}) (\S.*)", re.ASCII)


def check_anchors(path, hashes):
    """Each line `TIME ENTRY SHA256 WHY` (as s55 writes them; lines starting with # are
    comments): every anchored entry is in the chain with the anchored hash."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return f"{path} cannot be read as an anchors file ({e})", 0
    anchored = 0
    end = max(hashes, default=0)
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = ANCHOR.fullmatch(line)
        if found is None:
            return f"{path.name} line {n} is not an anchor", 0
        when, seq, digest = found[1], int(found[2]), found[3]
        if seq > end:
            return (f"{path.name} line {n} anchors entry {seq} ({when}), but the chain ends "
                    f"at entry {end}: entries were cut off after it"), 0
        if hashes[seq] != digest:
            return (f"{path.name} line {n} anchors entry {seq} ({when}) with another hash: "
                    f"entry {seq} or one before it was rewritten"), 0
        anchored += 1
    if not anchored:
        return f"{path.name} holds no anchors: nothing was checked against it", 0
    return None, anchored


def _manifest(root):
    try:
        return json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def main(folder=".", *anchor_files):
    root = Path(folder)
    problem = check_sums(root)
    entries, hashes, anchored = [], {}, 0
    if problem is None:
        problem, entries = check_chain(root, hashes)
    if problem is None:
        problem = check_publication(root, entries)
    own = [root / "anchors.txt"] if (root / "anchors.txt").exists() else []
    made_with = _manifest(root).get("anchors")
    if problem is None and not own and made_with:
        problem = (f"the bundle was made with {made_with} anchors of the office's site, and "
                   "anchors.txt is missing")
    for path in own + [Path(f) for f in anchor_files]:
        if problem is None:
            problem, count = check_anchors(path, hashes)
            anchored += count
    if problem:
        print(f"FAILED: {problem}")
        return 1
    print(f"OK: {len(entries)} audit entries chain to the head; the published files are the "
          "ones recorded, and the published version is the signed-off one"
          + (f"; {anchored} anchors agree" if anchored else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
