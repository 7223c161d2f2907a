"""`s55 audit export`: a bundle an outsider can check with nothing but Python's standard library."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

from ..domain.errors import InvalidInput
from ..render.environment import environment
from ..store import repo
from ..domain.anchors import check as check_anchors
from ..domain.anchors import parse as parse_anchors
from .anchoring import anchors_file
from .context import Context, london, long_date
from .reading import audit_trail, may_read

VERIFY_SCRIPT = Path(__file__).resolve().parents[1] / "render" / "verify_bundle.py"
HUMAN_ACTIONS = ("open review", "invite chief officer", "move chief officer's due date",
                 "submit chief officer's comments", "submit local policing body's comments",
                 "answer recommendation", "request sign-off", "sign off", "send back",
                 "withdraw", "publish", "published", "copies sent", "edit content")


def export_bundle(ctx: Context, *, actor: str | None, ref: str, out: Path) -> Path:
    scope = may_read(ctx, actor)
    if out.exists() and any(out.iterdir()):
        raise InvalidInput("output", f"{out} exists and is not empty; name a new folder")
    trail = audit_trail(ctx, actor=actor, ref=ref)
    with ctx.uow() as session:
        office = ctx.office_of(repo.review(session, ref, scope))
    # the office's public anchors, read before the chain: every anchor in them was taken after
    # its entry was committed, so the chain read next holds it (unless it was cut off since)
    path = anchors_file(ctx, office)
    anchored = path.read_bytes() if path.exists() else b""
    anchors = parse_anchors(anchored.decode("utf-8"), str(path)) if anchored else []
    with ctx.uow() as session:
        row = repo.review(session, ref, scope)
        pub = repo.publication(session, row.id)
        entries = repo.audit_entries(session)
        ours = {r.ref for r in repo.reviews(session, office=office.force_id)}
        head_seq, head_hash = repo.audit_head(session)
        facts = {"ref": ref, "title": row.title, "force": row.force, "office": office.name,
                 "report_published": long_date(row.report_published_on),
                 "statutory_last_day": long_date(row.statutory_last_day),
                 "signed_off_version": row.signed_off_version,
                 "published_at": london(pub.published_at) if pub and pub.published_at else None,
                 "progress": pub.progress if pub else "",
                 "files": list((pub.files or {}).values()) if pub else []}
    out.mkdir(parents=True, exist_ok=True)
    (out / "files").mkdir()
    with (out / "audit.jsonl").open("w", encoding="utf-8") as fh:
        for entry in entries:
            # one database, many offices: another office's entries travel as their links
            # alone (number, hash, the hash before), so the chain still joins up to the head
            # and nothing of that office is told
            shown = asdict(entry) if not ctx.offices.many or entry.ref in ours else {
                "seq": entry.seq, "prev_hash": entry.prev_hash, "hash": entry.hash,
                "withheld": "another office's entry"}
            fh.write(json.dumps(shown, ensure_ascii=False, sort_keys=True) + "\n")
    _json(out / "head.json", {"seq": head_seq, "hash": head_hash})
    for f in facts["files"]:
        shutil.copyfile(ctx.site(office) / f["path"], out / "files" / Path(f["path"]).name)
    # a chain that no longer holds the site's anchors is still exported (it is the evidence),
    # and says so: in the manifest, the certificate and to whoever exported it
    agrees = check_anchors(entries, anchors) if anchors else None
    _json(out / "manifest.json", {"ref": ref, "version": facts["signed_off_version"],
                                  "files": facts["files"], "head": head_hash,
                                  "anchors": len(anchors),
                                  "anchors_disagree": None if agrees is None or agrees.ok
                                  else agrees.message})
    shutil.copyfile(VERIFY_SCRIPT, out / "verify.py")
    # the office's public anchors travel with the bundle; verify.py checks the chain against
    # them, and the certificate records the head it was made at (itself an anchor, once sent)
    if anchored:
        (out / "anchors.txt").write_bytes(anchored)
    copies = next((e["details"]["copies"] for e in reversed(trail)
                   if e["action"] == "copies sent"), [])
    certificate = environment(ctx.templates(office)).get_template(
        "audit/certificate.html").render(c={
            **facts, "entries": head_seq, "head": head_hash, "made_at": london(ctx.now()),
            "anchors": anchors[-5:], "anchor_count": len(anchors),
            "anchors_url": f"{ctx.site_address(office)}/audit/anchors.txt",
            "anchors_disagree": None if agrees is None or agrees.ok else agrees.message,
            "copies": [{**c, "sent_at": london(c["sent_at"])} for c in copies],
            "decisions": [e for e in trail if e["action"].startswith(HUMAN_ACTIONS)]})
    (out / "certificate.html").write_text(certificate, encoding="utf-8")
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out).as_posix()}"
            for p in sorted(out.rglob("*")) if p.is_file()]
    (out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return out


def _json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
