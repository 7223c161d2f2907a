"""Responses as other offices write them: free text and Markdown, read through the heading map
(config/headings.yaml) into a Record, with every word accounted for.

A heading is a Markdown heading (`## Recommendations`), a label alone on its line
(`Recommendations`, `Recommendations:`, `3. Recommendations`), or a label before its value on
one line (`Force: Staffordshire`, `Force<TAB>Staffordshire`), matched through the map. Text
under no recognised heading goes to the field named by `rest_to`, or is reported as unplaced:
nothing is ever dropped. The house style (housestyle.py) is one such layout; it has its own
reader because it names the office holders on the lines after Force.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .domain.errors import InvalidInput
from .domain.record import UNTRANSLATED, AnswerKind, OfficeHolder, Record
from .housestyle import (
    ANSWER, BULLET, NUMBERED, Answers, LostText, _blocks, _grades, _items, _lines, text_words,
)
from .render.sanitise import plain_text, strip_controls, text_to_html

TEXT_FIELDS = ("summary", "initial_response", "chief_officer_response", "overall_comments")
ONE_LINE = ("force", "title", "inspectorates")
ITEMS = ("recommendations", "areas_for_improvement", "causes_of_concern")
FIELDS = (*ONE_LINE, *TEXT_FIELDS, "grades", *ITEMS)


@dataclass(frozen=True)
class Defaults:
    """What a document need not say: the office's own force and office holders."""

    force: str
    local_policing_body: OfficeHolder
    chief_officer: OfficeHolder
    title: str = ""
    inspectorates: tuple[str, ...] = ()


@dataclass
class Placed:
    """Where each line of the document went."""

    fields: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    unplaced: list[tuple[int, str]] = field(default_factory=list)


def normalise(heading: str) -> str:
    """'3.2 The PCC’s Response:' -> 'the pcc response'."""
    text = unicodedata.normalize("NFKC", heading).casefold().replace("’", "'")
    text = re.sub(r"^\s*#+\s*", "", text)
    text = re.sub(r"^\s*(?:section|part|chapter)\s+\w+[.:)]?\s+", "", text)
    text = re.sub(r"^\s*(?:\(?[0-9]+(?:\.[0-9]+)*[.):]?|\(?[a-z][.)]|\([ivx]+\)|[ivx]+\.)\s+", "",
                  text)
    text = re.sub(r"\([^)]*\)", " ", text)  # 'Areas for improvement (AFIs)'
    text = re.sub(r"'s\b|s'(?=\s|$)", lambda m: "" if m[0] == "'s" else "s", text)
    text = re.sub(r"[^\w\s]", " ", text)
    text = " ".join(text.split())
    return re.sub(r"^the ", "", text)


@lru_cache
def _map(path: Path, _mtime: float, lpb: str, co: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InvalidInput(str(path), "the heading map is missing") from None
    except yaml.YAMLError as err:
        raise InvalidInput(str(path), f"is not valid YAML: {err}") from None
    found: dict[str, str] = {}
    for name, phrases in data.items():
        if name not in FIELDS:
            raise InvalidInput(f"{path.name}: {name}", f"is not a field; use one of "
                               f"{', '.join(FIELDS)}")
        for phrase in phrases or []:
            phrase = str(phrase)
            # an office holder's title that is not known (in Welsh, say) makes no heading
            if ("{lpb}" in phrase and lpb in ("", UNTRANSLATED)) or \
                    ("{co}" in phrase and co in ("", UNTRANSLATED)):
                continue
            key = normalise(phrase.replace("{lpb}", lpb).replace("{co}", co))
            if key in found and found[key] != name:
                raise InvalidInput(f"{path.name}: {phrase}", f"is a heading of both "
                                   f"{found[key]} and {name}")
            found[key] = name
    return found


def heading_map(config_dir: Path, defaults: Defaults, lang: str = "en") -> dict[str, str]:
    """The heading map of a document in English (headings.yaml) or Welsh (headings.cy.yaml)."""
    path = config_dir / ("headings.cy.yaml" if lang == "cy" else "headings.yaml")
    if lang == "cy" and not path.exists():  # an office's own config folder from before Welsh
        from .settings import PROJECT_CONFIG

        path = PROJECT_CONFIG / "headings.cy.yaml"
    mtime = path.stat().st_mtime_ns if path.exists() else 0  # an edited map is read again
    return _map(path, mtime, defaults.local_policing_body.title, defaults.chief_officer.title)


class DuplicateHeading(InvalidInput):
    def __init__(self, name: str, first: int, second: int, where: dict[int, str] | None = None):
        self.name, self.lines = name, (first, second)
        at = [where.get(n, f"line {n}") if where else f"line {n}" for n in (first, second)]
        super().__init__("headings", f"the {name.replace('_', ' ')} heading appears twice, "
                         f"on {at[0]} and {at[1]}; keep one")


# Which forms of heading a document may use after its first one: a document written with
# Markdown or stand-alone headings does not turn 'Background: in 2021 ...' inside a
# paragraph into a heading; one written as 'Label: value' lines does.
ALLOWED_AFTER = {"md": {"md", "line"}, "line": {"md", "line"}, "inline": {"md", "line", "inline"}}


def place(text: str, headings: dict[str, str], rest_to: str | None = None) -> Placed:
    """Each line under the field its heading names; a second heading for one field refused.
    A one-line field (force, title, inspectorate) takes one line; what follows it goes back
    to the section before it (or is unplaced)."""
    placed, current, seen = Placed(), rest_to, {}
    spoken: set[str] = set()  # the headings as written (normalised)
    style: str | None = None
    section = rest_to  # the last section that runs on over several lines
    one_line_taken = False
    last_number: int | None = None  # the number of the last item in an item section
    section_level = 0  # the Markdown level of the section's heading ('## ...': 2)
    lines = _setext_as_atx(_lines(text))
    found = [_heading(line, headings) for line in lines]
    said_for = Counter(f[0] for f in found if f[0])
    for number, line in enumerate(lines, 1):
        name, value, kind = found[number - 1]
        label = _heading_text(line) if name else ""
        level = len(re.match(r"\s*(#*)", line)[1])
        if name and current in ITEMS and placed.fields.get(current) \
                and ANSWER.match(f"{label}:") and (kind != "md" or level > section_level) \
                and (style == "md" and kind == "inline" or said_for[name] > 1
                     or (last_number is not None
                         and _next_number(lines, found, number) == last_number + 1)):
            # 'PCC response' under an item (in any heading form, deeper than its section's)
            # where the document says it more than once, in a Markdown document as 'Label:
            # text', or where the items' numbering goes on after it: the item's answer, not
            # the heading of the office's own response
            name, line = None, f"{label}: {value}".rstrip()
        if name and _allowed(name, kind, value, style):
            said = normalise(_heading_text(line))
            if name in seen and (name in ONE_LINE or said in spoken):
                raise DuplicateHeading(name, seen[name], number)
            # 'Introduction' then 'Background': two headings of one field, read as one
            spoken.add(said)
            if name not in ONE_LINE:  # 'Title: ...' is a label in any document: not its style
                style = style or kind
            seen.setdefault(name, number)
            current, last_number, section_level = name, None, level
            if name not in ONE_LINE:
                section = name
            one_line_taken = bool(value.strip())
            if value.strip():
                placed.fields.setdefault(name, []).append((number, value))
            else:
                placed.fields.setdefault(name, [])
            continue
        if current in ONE_LINE and one_line_taken and line.strip():
            current = section  # the title's line was given: the rest is not the title
        unknown = re.match(r"^\s*#{1,6}\s+(.*?)\s*#*$", line)
        if unknown and 0 < level <= section_level:
            # a heading the map does not know, as high as its section's: a section of its own
            # ('## Response of the Commissioner'), not text of the one before; its lines go
            # where --rest-to says, or are reported (an office adds the heading to the map)
            current, section, last_number, section_level = rest_to, rest_to, None, level
        if unknown:  # a heading the map does not know, deeper than its section's: text of it
            line = unknown[1]
        if current is None:
            if line.strip():
                placed.unplaced.append((number, line.strip()))
            continue
        if current in ONE_LINE and line.strip():
            one_line_taken = True
        if current in ITEMS:
            last_number = _item_number(line) or last_number
        placed.fields.setdefault(current, []).append((number, line))
    return placed


_ITEM_NUMBER = re.compile(r"^\s*(?:[-•*]\s+)?(?:\(?(\d{1,3})[.)]|(?:recommendation|afi|area for "
                          r"improvement|cause of concern)\s*(\d{1,3})\b)", re.I)


def _item_number(line: str) -> int | None:
    found = _ITEM_NUMBER.match(line.replace("**", ""))
    return int(found[1] or found[2]) if found else None


def _next_number(lines: list[str], found: list, after: int) -> int | None:
    """The number of the next numbered item after line `after` (1-based), unless a heading
    that is not an answer's label comes first."""
    for j in range(after, len(lines)):
        if found[j][0] and not ANSWER.match(f"{_heading_text(lines[j])}:"):
            return None
        number = _item_number(lines[j])
        if number is not None:
            return number
    return None


def _setext_as_atx(lines: list[str]) -> list[str]:
    """Markdown's underlined headings ('Title' then '=====', 'Summary' then '-----') as '#'
    headings, the underline blanked (so that line numbers stay the document's)."""
    out = list(lines)
    for i in range(1, len(out)):
        rule = re.fullmatch(r"\s{0,3}(=+|-+)\s*", out[i])
        above = out[i - 1].strip()
        if rule and above and not above.startswith("#") and not BULLET.match(above) \
                and not NUMBERED.match(above) and len(above) <= 200 and not re.fullmatch(
                    r"[-=*_\s]+", above) and not re.search(r"[.;,:!?]$", above):
            # (a sentence above '---' is a paragraph, then a rule: not a heading)
            out[i - 1] = f"{'#' if rule[1][0] == '=' else '##'} {above}"
            out[i] = ""
    return out


def _allowed(name: str, kind: str, value: str, style: str | None) -> bool:
    """Whether a heading in this form starts its field here. A document's first section
    heading sets its style: one written with Markdown or stand-alone headings does not turn
    'Conclusion: the force ...' inside a paragraph into a heading. 'Force: ...' and 'Title:
    ...' are labels in any document, but only before its sections begin (or in one written
    as 'Label: value' throughout), and 'Force area: all units will be covered.' is a
    sentence, not the force."""
    if name in ONE_LINE and kind == "inline":
        if name in ("force", "inspectorates") and value.rstrip().endswith((".", "!", "?")):
            return False
        return style in (None, "inline")
    return style is None or kind in ALLOWED_AFTER[style]


def _heading_text(line: str) -> str:
    stripped = re.sub(r"^\s*#{1,6}\s+", "", line.strip())
    for sep in ("\t", ":"):
        stripped = stripped.split(sep, 1)[0]
    return stripped.strip("* ")


def _heading(line: str, headings: dict[str, str]) -> tuple[str | None, str, str]:
    """(field, text after the heading, the heading's form: md, line or inline), or Nones."""
    stripped = line.strip()
    bullet = BULLET.match(stripped)  # with a space after it; '**Bold**' is not a bullet
    if not stripped or len(stripped) > 200 or (bullet and bullet[0] != bullet[0].rstrip()):
        return None, "", ""  # a list item ('- ...', not '**Bold**') is never a heading
    markdown = re.match(r"^#{1,6}\s+(.*?)\s*#*$", stripped)
    if markdown:
        return headings.get(normalise(markdown[1])), "", "md"
    for sep in ("\t", ":"):
        label, found, value = stripped.partition(sep)
        if found and len(label) <= 80 and normalise(label) in headings:
            if label.startswith("**"):  # '**Title:** PEEL 2022': the bold ends after the colon
                value = re.sub(r"^\*\*", "", value.strip())
            return headings[normalise(label)], value.strip(), "inline" if value.strip() else "line"
    bold = re.fullmatch(r"\*\*(.+?)\*\*:?", stripped)  # **Recommendations**
    key = normalise(bold[1] if bold else stripped)
    if len(stripped) <= 100 and key in headings:
        return headings[key], "", "line"
    return None, "", ""


def _sub_points_joined(section: str) -> str:
    """Items indented deeper than the section's first item, or marked another way than it
    after a line that introduces them ('1. By March, the force should:' then '- review ...'),
    are sub-points of the item above: joined onto it ('...; sub-point'), never items of their
    own."""
    out: list[str] = []
    base: int | None = None
    items_are = None  # how the section's first item is marked: its items are marked so
    pointing = False  # the line above introduced a list ('... should:') or was one of its points
    for line in section.split("\n"):
        text = line.lstrip()
        mark = _mark(text)
        indent = len(line[:len(line) - len(text)].expandtabs(4))
        if mark and base is None:
            base, items_are = indent, mark
        if mark and (indent > base or mark != items_are and pointing) and out:
            parent = next((i for i in range(len(out) - 1, -1, -1) if out[i].strip()), None)
            if parent is not None:
                point = text[(BULLET.match(text) or NUMBERED.match(text)).end():].strip()
                above = out[parent].rstrip()
                out[parent] = f"{above}{' ' if above.endswith(':') else '; '}{point}"
                pointing = True
                continue
        if text.strip():
            pointing = bool(_INTRODUCES.search(text))
        out.append(line)
    return "\n".join(out)


# the end of a line that introduces a list of points: '... the force should:', '... for example'
_INTRODUCES = re.compile(r"(?::|\b(?:for example|for instance|including|such as|as follows))\s*$",
                         re.I)


def _mark(text: str) -> str | None:
    """How an item is marked: 'bullet', 'number' ('1.', 'Recommendation 2', 'AFI 3'), or
    'letter' ('(a)', 'b)', 'iv.'); None for a line that is not an item."""
    if BULLET.match(text):
        return "bullet"
    numbered = NUMBERED.match(text)
    if not numbered:
        return None
    return "letter" if re.match(r"\(?(?:[a-z]|[ivx]{1,4})[.)]", numbered[0], re.I) else "number"


_MARKER_ALONE = re.compile(r"^\s*(?:#{1,6}\s+|\*\*)?(?:recommendation|afi|area for improvement|"
                           r"cause of concern)\s*\d{1,3}(?:\.\d{1,2})?[.:)]?(?:\*\*)?\s*$", re.I)


def _markers_joined(text: str) -> str:
    """'Recommendation 1' alone on its line, the text on the next: one item. (The line count
    stays the same, so that line numbers in messages are the document's.)"""
    lines = _lines(text)
    for i, line in enumerate(lines):
        if _MARKER_ALONE.match(line):
            nxt = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if nxt is not None and not _MARKER_ALONE.match(lines[nxt]):
                # set as a heading ('### Recommendation 1', Word's Heading 3) or in bold: the
                # marker of the item below all the same
                marker = re.sub(r"^\s*#{1,6}\s+|\*\*", "", line).strip()
                lines[nxt] = f"{marker} {lines[nxt].strip()}"
                lines[i] = ""
    return "\n".join(lines)


def parse_free_text(text: str, headings: dict[str, str], defaults: Defaults, *,
                    rest_to: str | None = None, warnings: list[str] | None = None,
                    answer_kind: AnswerKind | None = None) -> Record:
    """A Record from free text or Markdown: every word placed, or LostText listing the lines."""
    warnings = warnings if warnings is not None else []
    if rest_to is not None and rest_to not in TEXT_FIELDS:
        raise InvalidInput("rest_to", f"must be one of {', '.join(TEXT_FIELDS)}")
    text = _title_line(text, headings, defaults, warnings)
    placed = place(_markers_joined(text), headings, rest_to)
    if not placed.fields and placed.unplaced:
        raise InvalidInput("headings", "none of the document's headings is one s55 knows "
                           "(config/headings.yaml lists them, headings.cy.yaml the Welsh; an "
                           "office adds its own there), "
                           "so nothing was imported; or give --rest-to FIELD to put all of it "
                           "in one field")
    if placed.unplaced:
        raise LostText([(n, _start(t)) for n, t in placed.unplaced])
    body = {name: "\n".join(line for _n, line in lines) for name, lines in placed.fields.items()}
    force = plain_text(body.get("force", "")) or defaults.force
    title = plain_text(body.get("title", "")) or defaults.title
    if not title:
        raise InvalidInput("title", "the document has no title heading or label: give the "
                           "report's title (--title \"...\")")
    inspectorates = tuple(i for i in (plain_text(t) for t in
                                      re.split(r"[;\n]", body.get("inspectorates", ""))) if i) \
        or defaults.inspectorates
    # free text is text: escaped before the item reader (which reads HTML) so that '<...>' is
    # kept as characters; ' - ' inside a sentence is a dash, never a new item; a sub-point
    # (indented deeper than its item) is part of that item
    for name in (*ITEMS, "grades"):
        if name in body:
            body[name] = html.escape(_sub_points_joined(body[name]), quote=False)
    grades = _grades(body["grades"]) if body.get("grades", "").strip() else []
    summary = body.get("summary", "")
    moved: set[str] = set()
    for name, label in (("recommendations", "Recommendations"),
                        ("areas_for_improvement", "Areas for improvement"),
                        ("causes_of_concern", "Causes of concern")):
        blocks = _blocks(body.get(name, ""), split_inline=False)
        if blocks and not any(bullet for _t, bullet in blocks):
            # prose: kept as text, never split into items nobody marked
            warnings.append(f"the {label.lower()} are written as prose, with no item marked "
                            "('- ', '1.', 'Recommendation 1', 'AFI 2'); they are kept in the "
                            f"summary under '{label}, as written', and no item is recorded: add "
                            "each with `s55 add-item`")
            summary = f"{summary}\n\n{label}, as written:\n\n" + "\n\n".join(
                t for t, _b in blocks)
            body[name] = ""
            moved.add(name)
    answers = Answers(answer_kind)
    recs, _c, _a = _items("Recommendations", body.get("recommendations", ""), grades,
                          split_inline=False, answers=answers)
    _r, causes, afis = _items("Areas for improvement", body.get("areas_for_improvement", ""),
                              grades, split_inline=False, answers=answers)
    _r2, more_causes, loose = _items("Areas for improvement", body.get("causes_of_concern", ""),
                                     grades, split_inline=False, answers=answers)
    answers.refuse_unkinded()
    causes = [*causes, *more_causes, *loose]  # under a causes heading, every item is one
    record = Record(
        force=force, local_policing_body=defaults.local_policing_body,
        chief_officer=defaults.chief_officer, title=title, inspectorates=inspectorates,
        summary=_as_html(summary), grades=tuple(grades), recommendations=tuple(recs),
        causes_of_concern=tuple(causes), areas_for_improvement=tuple(afis),
        **{name: _as_html(body.get(name, "")) for name in TEXT_FIELDS if name != "summary"})
    lost = lost_lines(placed, record, moved)
    if lost:
        raise LostText(lost)
    return record


def _title_line(text: str, headings: dict[str, str], defaults: Defaults,
                warnings: list[str]) -> str:
    """A document that opens with a top-level heading naming no field (Word's Title or
    Heading 1, Markdown's '# ...', an underlined line) and gives no 'Title' label: that heading
    is its title, unless the title is given (--title) and is another: then it is text to
    place like any other. (The line stays where it is, so line numbers are the document's.)"""
    lines = _lines(text)
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return text
    atx = re.fullmatch(r"#\s+(.+?)\s*#*", lines[first].strip())
    underlined = first + 1 < len(lines) and re.fullmatch(r"=+", lines[first + 1].strip())
    title = atx[1] if atx else lines[first].strip() if underlined else None
    if title is None or normalise(title) in headings:
        return text
    if any(_heading(line, headings)[0] == "title" for line in lines):
        return text
    if defaults.title not in ("", UNTRANSLATED) and plain_text(title) != defaults.title:
        return text  # the title is given, and this line is something else: text to place
    if defaults.title in ("", UNTRANSLATED):
        warnings.append(f"the title is the document's first line, '{plain_text(title)[:80]}' "
                        "(give --title for another)")
    lines[first] = f"Title: {title}"
    if underlined:
        lines[first + 1] = ""  # its underline
    return "\n".join(lines)


def _as_html(text: str) -> str:
    """Free text is text: '<jane@example.org>' is an address, not a tag to strip. Paragraphs
    and '- ' lists become HTML, everything else is escaped (and so inert)."""
    return text_to_html(strip_controls(text)) if text.strip() else ""


def words(line: str) -> list[str]:
    """A line's words as the record keeps them: as text (angle brackets are characters), with
    markers and numbering not words."""
    if _MARKER_ALONE.match(line):  # 'Recommendation 1' alone: the label of the next line
        return []
    return text_words(re.sub(r"^\s*#+\s*", "", strip_controls(line)))


def lost_lines(placed: Placed, record: Record, moved: set[str]) -> list[tuple[int, str]]:
    """Lines whose words the field they were placed under does not hold. Counted field by
    field, so that a word is not 'kept' by turning up somewhere else, nor by a default (the
    office's force or office holders) that the document never said."""
    out = []
    for name, lines in placed.fields.items():
        kept = _kept(record, "summary" if name in moved else name)
        wanted = Counter(w for _n, line in lines for w in words(line))
        missing = wanted - kept
        # a line none of whose words was kept is the likeliest lost one ('Vulnerable people:'
        # rather than an earlier 'Protecting vulnerable people:'); then the first that fits
        found = set()
        for whole in (True, False):
            for n, line in lines:
                said = Counter(words(line))
                if n in found or not said or (whole and said - missing):
                    continue
                lost = said & missing
                if lost:
                    missing -= lost
                    found.add(n)
                    out.append((n, _start(line)))
    return sorted(out)


def _kept(record: Record, name: str) -> Counter:
    if name in TEXT_FIELDS:  # the stored HTML's text: tags out, then entities in
        return Counter(words(html.unescape(re.sub(r"<[^>]*>", " ", getattr(record, name)))))
    if name in ("force", "title"):
        return Counter(words(getattr(record, name)))
    if name == "inspectorates":
        return Counter(words(" ".join(record.inspectorates)))
    if name == "grades":
        return Counter(w for g in record.grades for w in words(f"{g.area} {g.grade}"))
    items = getattr(record, name)
    areas = {i.area for i in items}  # each area's name once, as the export writes it
    return Counter(
        [w for i in items for w in words(f"{i.text} {i.answer.text if i.answer else ''}")]
        + [w for area in areas for w in words(area)]
        + [w for g in record.grades if g.area in areas for w in words(g.grade)])


def _start(line: str) -> str:
    text = plain_text(line)
    return text[:70] + "..." if len(text) > 70 else text


def looks_like_house_style(text: str) -> bool:
    """The house style names its fields in tab-separated labels: two of them at least (one
    'Force<TAB>' line in a free-text document does not make it one, and a house-style file
    that lacks one label is still read, and refused, as the house style)."""
    labels = ("Force", "Title of inspection", "Inspectorate", "Summary of inspection", "Grade",
              "Recommendations", "Areas for improvement")
    return sum(bool(re.search(rf"^{label}\t", text, re.M)) for label in labels) >= 2


def heading_split(line: str, headings: dict[str, str]) -> tuple[str | None, str]:
    """(field, the text after the heading) when the line is a heading; (None, line) if not."""
    name, value, _kind = _heading(line, headings)
    return (name, value) if name else (None, line)


# --- Welsh ---------------------------------------------------------------------------------
# A Welsh document (or the Welsh part of one) written the way offices write: its headings are
# in the Welsh heading map (config/headings.cy.yaml); its item
# markers, answer labels and grades are put in the English form the reader knows, line for
# line, the content untouched (as housestyle.from_welsh does for the house style).

_CY_KINDS = r"camau a gymerwyd|camau arfaethedig|dim camau"
_CY_KIND = {"camau a gymerwyd": "action taken", "camau arfaethedig": "action proposed",
            "dim camau": "no action"}
_CY_MARKER = re.compile(r"^(?P<lead>\s*(?:#{1,6}\s+|\*\*|[-•*]\s+)?)(?P<what>argymhelliad|"
                        r"maes i['’]w wella|achos pryder)(?P<n>\s*\d{1,3}(?:\.\d{1,2})?)", re.I)
_CY_MARKERS = {"argymhelliad": "Recommendation", "maes i'w wella": "Area for improvement",
               "maes i’w wella": "Area for improvement", "achos pryder": "Cause of concern"}
# the office's own answer: 'Ymateb:', 'Ymateb y Comisiynydd:', 'Ymateb (camau a gymerwyd):',
# 'Camau a gymerwyd:' ... ('Ymateb yr heddlu:', the force's words, is left as it is written)
_CY_RESPONSE = re.compile(
    r"^(?P<lead>\s*(?:[-•*]\s+)?)(?P<label>ymateb|ateb)(?:\s+(?:y|yr)?\s*(?:comisiynydd|chth|"
    r"swyddfa)[^:(]{0,80}?)?\s*(?:\((?P<kind>" + _CY_KINDS + r")\))?\s*:(?=\s*\S)", re.I)
_CY_KIND_LABEL = re.compile(r"^(?P<lead>\s*(?:[-•*]\s+)?)(?P<kind>" + _CY_KINDS
                            + r")\s*:(?=\s*\S)", re.I)
# (a label with its text: alone on its line, 'Ymateb y Comisiynydd' is the section's heading)
_CY_CAUSE_LABEL = re.compile(r"^(?P<lead>\s*(?:[-•*]\s+)?)achos pryder\s*:", re.I)
_CY_GRADE = re.compile(r"^(?P<lead>\s*(?:[-•*]\s+)?)gradd\s*[:–—-]\s*(?P<grade>rhagorol|da|"
                       r"digonol|angen gwella|angen ei wella|annigonol)\.?\s*$", re.I)


def from_welsh_free(text: str) -> str:
    """A Welsh free-text document as the free-text reader reads it."""
    from .housestyle import _CY_GRADE_END, _GRADES_FROM_WELSH, _grade_from_welsh

    def grade(said: str) -> str:
        return _GRADES_FROM_WELSH[" ".join(said.split()).casefold()]

    def kind(said: str | None) -> str:
        return _CY_KIND[" ".join(said.split()).casefold()] if said else ""

    def answer(m: re.Match) -> str:
        label = "Answer" if m["label"].casefold() == "ateb" else "Response"
        said = f" ({kind(m['kind'])})" if m["kind"] else ""
        return f"{m['lead']}{label}{said}:"

    out = []
    for line in _lines(text):
        lead = line[:len(line) - len(line.lstrip())]
        mark = re.match(r"(?:[-•*]\s+|#{1,6}\s+)?", line.strip())[0]
        body = line.strip()[len(mark):]
        labelled = _CY_GRADE.match(line)
        if labelled:  # 'Gradd: Da'
            line = f"{labelled['lead']}Grade: {grade(labelled['grade'])}"
        elif len(body) < 160 and _CY_GRADE_END.match(body):  # 'Atal troseddu – Da'
            line = f"{lead}{mark}{_grade_from_welsh(body)}"
        line = _CY_MARKER.sub(lambda m: m["lead"] + _CY_MARKERS[
            m["what"].casefold().replace("’", "'")] + m["n"], line)
        line = _CY_RESPONSE.sub(answer, line)
        line = _CY_KIND_LABEL.sub(lambda m: f"{m['lead']}{kind(m['kind']).capitalize()}:", line)
        line = _CY_CAUSE_LABEL.sub(lambda m: f"{m['lead']}Cause for concern:", line)
        out.append(line)
    return "\n".join(out)
