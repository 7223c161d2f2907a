"""Plain-text views of what the read services return."""

from __future__ import annotations


def show_text(d: dict) -> str:
    lines = [
        f"{d['ref']}  {d['force']}: {d['title']}",
        f"  kind                {d['kind']}",
        f"  stage               {d['stage']} (waiting for {d['waiting_for']})",
        f"  report published    {d['report_published_on']}",
        f"  statutory last day  {d['statutory_last_day'] or 'none'}  ({d['progress']})",
        f"                      {d['statutory_rule']}",
        f"  chief officer due   {d['chief_officer_due'] or 'not yet invited'}"
        + (f"  ({d['chief_officer_due_in']})" if d.get("chief_officer_due_in") else ""),
        *([f"                      {d['chief_officer_due_rule']}"]
          if d.get("chief_officer_due_rule") else []),
        f"  current version     {d['current_version']}",
        f"  signed-off version  {d['signed_off_version'] or 'none'}",
        "  content             " + ", ".join(f"{n} {k.replace('_', ' ')}"
                                             for k, n in d["counts"].items()),
    ]
    for rec in d["recommendations"]:
        answer = rec["answer"]
        state = f"answered ({answer['kind']})" if answer else "NO ANSWER"
        lines.append(f"  recommendation {rec['number']}: {state}: {rec['text'][:80]}")
    for line in d["outstanding"]:
        lines.append(f"  outstanding: {line}")
    lines.append("  versions:")
    for v in d["versions"]:
        lines.append(f"    {v['number']:>3}  {v['hash'][:12]}  {v['at']}  {v['by']}: {v['reason']}")
    pub = d.get("publication")
    if pub:
        lines.append(f"  publication         version {pub['version'][:12]} released by "
                     f"{pub['requested_by']} on {pub['requested_at']}")
        if pub["late_reason"]:
            lines.append(f"                      why late: {pub['late_reason']}")
        if pub["published_at"]:
            lines.append(f"                      published {pub['published_at']} ({pub['progress']})")
            lines.append(f"                      page {pub['page']}")
            for name, f in pub["files"].items():
                lines.append(f"    {name:<5} sha256 {f['sha256']}  {f['path']} ({f['bytes']} bytes)")
    if d["messages"]:
        lines.append("  messages:")
        for m in d["messages"]:
            when = f" {m['sent_at']}" if m["sent_at"] else ""
            error = f" ({m['last_error']})" if m["last_error"] else ""
            lines.append(f"    {m['status']:<8}{when}  {m['template']} -> {m['recipient']}{error}")
    return "\n".join(lines)


def audit_text(rows: list[dict]) -> str:
    out = []
    for r in rows:
        version = f" on version {r['version'][:12]}" if r["version"] else ""
        details = "; ".join(f"{k}: {_short(v)}" for k, v in r["details"].items() if v)
        out.append(f"{r['seq']:>5}  {r['at']}  {r['who']} [{r['role']}] {r['action']}{version}")
        if details:
            out.append(f"       {details}")
    return "\n".join(out) if out else "no entries"


def _short(value) -> str:
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return text[:12]
    return text if len(text) <= 100 else text[:97] + "..."
