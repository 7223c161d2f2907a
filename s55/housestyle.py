"""The house-style response record as text: parse it into a Record, and write it back.

The house style (see shared/data/staffordshire-peel-2022.txt) is a run of
"Label<TAB>value" lines, a value running on until the next label, then three
narrative sections under their own headings. `format_record` writes a form that
`parse_record` reads back to the same content hash.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .domain.errors import InvalidInput
from .domain.record import (
    Answer, AnswerKind, Grade, Item, OfficeHolder, Record, normalise_grade,
)
from .render.sanitise import html_to_text, plain_text, rich_text, sanitise_html

HEADER_LABELS = {
    "force": "Force",
    "title": "Title of inspection",
    "inspectorates": "Inspectorate",
    "summary": "Summary of inspection",
    "grades": "Grade",
    "recommendations": "Recommendations",
    "areas_for_improvement": "Areas for improvement",
}
SECTIONS = (  # (field, heading pattern); the order they are tried in matters
    ("initial_response", re.compile(r"initial response$", re.I)),
    ("overall_comments", re.compile(r"overall comments$", re.I)),
    ("chief_officer_response", re.compile(r"['’]s response$", re.I)),
)
GRADE_HEADING = re.compile(
    r"^(?P<area>.+?)\s*(?:[–—:-]\s*|\s+(?=requires improvement))"
    r"(?P<grade>outstanding|good|adequate|requires improvement|inadequate)\s*$",
    re.I,
)
CAUSE = re.compile(r"^cause (?:for|of) concern\b[\s:–-]*(?P<text>.*)$", re.I)
ANSWER = re.compile(r"^answer \((?P<kind>action taken|action proposed|no action)\):\s*(?P<text>.*)$",
                    re.I)


def _key(label: str) -> str:
    return " ".join(label.replace("’", "'").split()).casefold()


@dataclass
class _Raw:
    header: dict[str, str] = field(default_factory=dict)
    holders: list[tuple[str, str]] = field(default_factory=list)  # (title, name) in order
    sections: dict[str, list[str]] = field(default_factory=dict)


def _split(text: str) -> _Raw:
    raw, current = _Raw(), None
    by_label = {_key(label): name for name, label in HEADER_LABELS.items()}
    for line in text.replace("\r\n", "\n").replace("\ufeff", "").split("\n"):
        label, tab, value = line.partition("\t")
        heading = line.strip()
        section = next((name for name, pat in SECTIONS
                        if "\t" not in line and len(heading) < 120 and pat.search(heading)), None)
        if tab and _key(label) in by_label:
            current = ("header", by_label[_key(label)])
            raw.header[current[1]] = value
        elif tab and "force" in raw.header and "title" not in raw.header and label.strip():
            raw.holders.append((label.strip(), value))
            current = ("holder", len(raw.holders) - 1)
        elif section and "force" in raw.header:
            current = ("section", section)
            raw.sections[section] = []
        elif current and current[0] == "header":
            raw.header[current[1]] += "\n" + line
        elif current and current[0] == "section":
            raw.sections[current[1]].append(line)
    return raw


def parse_record(text: str) -> Record:
    """Read a house-style record; refuse, naming the field, when one is missing."""
    raw = _split(text)
    for name, label in HEADER_LABELS.items():
        if name not in raw.header:
            raise InvalidInput(label, "required field is missing from the record")
    if len(raw.holders) < 2:
        raise InvalidInput(
            "Police and Crime Commissioner / Chief Constable",
            "the record must name the local policing body and the chief officer "
            "on the two lines after 'Force'")
    for name, pattern in SECTIONS:
        if name not in raw.sections:
            raise InvalidInput(_section_label(name), "required section is missing from the record")
    for name in ("force", "title"):
        if not plain_text(raw.header[name]):
            raise InvalidInput(HEADER_LABELS[name], "must not be empty")
    (lpb_title, lpb_name), (co_title, co_name) = raw.holders[:2]
    for label, value in ((lpb_title, lpb_name), (co_title, co_name)):
        if not plain_text(value):
            raise InvalidInput(label, "must name the office holder")
    grades = _grades(raw.header["grades"])
    recs, _, _ = _items("Recommendations", raw.header["recommendations"], grades)
    _, causes, afis = _items("Areas for improvement", raw.header["areas_for_improvement"], grades)
    return Record(
        force=plain_text(raw.header["force"]),
        local_policing_body=OfficeHolder(plain_text(lpb_title), plain_text(lpb_name)),
        chief_officer=OfficeHolder(plain_text(co_title), plain_text(co_name)),
        title=plain_text(raw.header["title"]),
        inspectorates=tuple(n for n in (plain_text(b) for b, _ in _blocks(
            raw.header["inspectorates"], separators=";")) if n),
        summary=rich_text(raw.header["summary"]),
        grades=tuple(grades),
        recommendations=tuple(recs),
        causes_of_concern=tuple(causes),
        areas_for_improvement=tuple(afis),
        **{name: rich_text("\n".join(raw.sections[name])) for name, _ in SECTIONS},
    )


def _section_label(name: str) -> str:
    return {"initial_response": "initial response", "overall_comments": "overall comments",
            "chief_officer_response": "chief officer's response"}[name]


def _blocks(value: str, separators: str = "") -> list[tuple[str, bool]]:
    """Split a field into (text, is_bullet) blocks: paragraphs, list items and '- ' lines."""
    cleaned = sanitise_html(value)
    cleaned = re.sub(r"<li>", "\n- ", cleaned)
    cleaned = re.sub(r"</?(?:p|ul|ol|li|br)\s*/?>", "\n", cleaned)
    text = html.unescape(re.sub(r"<[^>]+>", "", cleaned))
    out: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        for sep in separators:
            line = line.replace(sep, "\n")
        for part in line.split("\n"):
            out.extend(_inline_bullets(part))
    return out


def _inline_bullets(line: str) -> list[tuple[str, bool]]:
    line = line.replace("**", " ").strip()
    if not line:
        return []
    bullet = bool(re.match(r"^[-•]\s*", line))
    segments = re.split(r"\s+[-•]\s+(?=[A-Z])", re.sub(r"^[-•]\s*", "", line))
    merged: list[str] = []
    for seg in segments:  # "Investigating crime - Inadequate" is a heading, not two bullets
        if merged and normalise_grade(seg):
            merged[-1] += " – " + seg
        else:
            merged.append(seg)
    return [(" ".join(s.split()), bullet or i > 0) for i, s in enumerate(merged) if s.strip()]


def _grades(value: str) -> list[Grade]:
    grades = []
    for text, _ in _blocks(value, separators=";"):
        bare = normalise_grade(text)
        m = GRADE_HEADING.match(text)
        if bare:
            grades.append(Grade("", bare))
        elif m:
            grades.append(Grade(m["area"].strip(), normalise_grade(m["grade"])))
        else:
            raise InvalidInput("Grade", f"'{text}' is not one of Outstanding, Good, Adequate, "
                               "Requires improvement, Inadequate (optionally 'Area – Grade')")
    return grades


def _items(label: str, value: str, grades: list[Grade]):
    """Items under area headings; a heading with a grade adds the grade if it is new."""
    area, recs, causes, afis = "", [], [], []
    last: list | None = None
    for text, bullet in _blocks(value):
        answer, heading, cause = ANSWER.match(text), GRADE_HEADING.match(text), CAUSE.match(text)
        if label == "Recommendations" and not answer:
            recs.append(Item(text))
            last = recs
        elif answer:
            if last is None:
                raise InvalidInput(label, f"an answer comes before any item: '{text[:60]}'")
            last[-1] = Item(last[-1].text, last[-1].area,
                            Answer(AnswerKind(answer["kind"].lower()), answer["text"]))
        elif cause:
            causes.append(Item(cause["text"], area))
            last = causes
        elif heading or not bullet:
            area = heading["area"].strip() if heading else text
            if heading and not any(g.area == area for g in grades):
                grades.append(Grade(area, normalise_grade(heading["grade"])))
        else:
            afis.append(Item(text, area))
            last = afis
    return recs, causes, afis


def format_record(record: Record, *, version: str = "") -> str:
    """The record in the house style, as `parse_record` reads it."""
    grades = "; ".join(f"{g.area} – {g.grade}" if g.area else g.grade for g in record.grades)
    lines = [
        f"{record.force} inspection response record", "", f"Version:\t{version}", "",
        f"Force\t{record.force}",
        f"{record.local_policing_body.title}\t{record.local_policing_body.name}",
        f"{record.chief_officer.title}\t{record.chief_officer.name}",
        f"Title of inspection\t{record.title}",
        f"Inspectorate\t{'; '.join(record.inspectorates)}",
        f"Summary of inspection\t{html_to_text(record.summary)}",
        f"Grade\t{grades}",
        "Recommendations\t" + _format_items([""], [("", record.recommendations)]),
        "Areas for improvement\t" + _format_items(
            record.finding_areas(), [("Cause for concern: ", record.causes_of_concern),
                     ("", record.areas_for_improvement)]),
        "",
        f"{record.local_policing_body.title}'s initial response", "",
        html_to_text(record.initial_response), "",
        f"{record.chief_officer.title}'s response", "",
        html_to_text(record.chief_officer_response), "",
        f"{record.local_policing_body.title}'s overall comments", "",
        html_to_text(record.overall_comments), "",
    ]
    return "\n".join(lines)


def _format_items(areas: list[str], lists) -> str:
    out = []
    for area in areas:
        if area:
            out.append(area)
        for prefix, items in lists:
            for item in (i for i in items if i.area == area):
                out.append(f"- {prefix}{item.text}")
                if item.answer:
                    out.append(f"  Answer ({item.answer.kind}): {item.answer.text}")
    return "\n".join(out)
