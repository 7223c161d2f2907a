"""The house-style response record as text: parse it into a Record, and write it back.

The house style (see shared/data/staffordshire-peel-2022.txt) is a run of
"Label<TAB>value" lines, a value running on until the next label, then three
narrative sections under their own headings. `format_record` writes a form that
`parse_record` reads back to the same content hash.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field


from .domain.errors import InvalidInput
from .domain.record import (
    LANGUAGES, UNTRANSLATED, Answer, AnswerKind, Grade, Item, OfficeHolder, Record,
    normalise_grade,
)
from .render.sanitise import (
    html_to_text, plain_text, rich_text, sanitise_html, text_with_our_tags,
)

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
AREA_GRADE = re.compile(r"^(?:grade|graded|judgement|rating)\s*[:–—-]?\s*"
                        r"(?P<grade>outstanding|good|adequate|requires improvement|inadequate)\.?$",
                        re.I)
_GRADE_LABEL = re.compile(r"^(?:grade|graded|judgement|rating)\s*[:–—-]?\s*(?=(?:outstanding|good|"
                          r"adequate|requires improvement|inadequate)\.?$)", re.I)
CAUSE = re.compile(r"^cause (?:for|of) concern\b[\s:–-]*(?P<text>.*)$", re.I)
# An item's answer as offices write it under the item: the house style's 'Answer (kind):',
# and 'Response:', 'PCC response:', 'Action taken:', 'Proposed action:', 'No action:' ...
_KINDS = r"action taken|action proposed|no action"
_RESPONSE_LABEL = (
    r"(?:(?P<who>(?:the\s+)?(?:pcc|opcc|pfcc|police and crime commissioner|commissioner|our|force|"
    r"chief constable|cc)(?:['’]s)?)\s+)?"
    r"(?P<label>response|answer|action taken|action proposed|proposed action|planned action|"
    r"action planned|no action)"
    rf"(?:\s*\((?P<kind>{_KINDS})\))?\s*:")
ANSWER = re.compile(rf"^{_RESPONSE_LABEL}\s*(?P<text>.*)$", re.I)
_ANSWER_AT_START = re.compile(rf"^{_RESPONSE_LABEL}", re.I)
_FORCE_SIDE = re.compile(r"(?:the\s+)?(?:force|chief constable|cc)\b", re.I)
_LABEL_KIND = {"action taken": AnswerKind.ACTION_TAKEN, "action proposed": AnswerKind.ACTION_PROPOSED,
               "proposed action": AnswerKind.ACTION_PROPOSED,
               "planned action": AnswerKind.ACTION_PROPOSED,
               "action planned": AnswerKind.ACTION_PROPOSED, "no action": AnswerKind.NO_ACTION}


def answer_kind(value: str | None) -> AnswerKind | None:
    """--answer-kind as typed ('action-taken', 'action proposed'), or InvalidInput."""
    return None if value is None else AnswerKind.read(value, "answer_kind")


@dataclass
class Answers:
    """How the responses written under items are read. A label that says its kind ('Action
    taken:', 'Answer (no action):') gives it; a bare 'Response:' takes `kind` (--answer-kind)
    or is listed in `unkinded`, and the import is refused naming each one."""

    kind: AnswerKind | None = None
    unkinded: list[str] = field(default_factory=list)

    def of(self, match: re.Match, where: str, text: str) -> AnswerKind:
        said = match["kind"] or _LABEL_KIND.get(" ".join(match["label"].split()).casefold())
        if said:
            return AnswerKind(said)
        if self.kind is None:
            self.unkinded.append(f"{where}: '{text[:50]}{'...' if len(text) > 50 else ''}'")
            return AnswerKind.ACTION_PROPOSED  # never kept: `refuse_unkinded` refuses the import
        return self.kind

    def refuse_unkinded(self) -> None:
        if not self.unkinded:
            return
        n = len(self.unkinded)
        shown = "\n".join(f"  {u}" for u in self.unkinded[:20])
        more = f"\n  ... and {n - 20} more" if n > 20 else ""
        # s55(5B): "the action taken or proposed ... or why no action has been or will be taken"
        raise InvalidInput(
            "answer_kind",
            f"{n} response{'s do' if n != 1 else ' does'} not say {'their' if n != 1 else 'its'} "
            "kind (s55(5B): action taken, action proposed, or why no action); label each "
            "'Action taken:', 'Action proposed:' or 'No action:', or give --answer-kind for all "
            f"of them and change any afterwards with `s55 answer`; nothing was imported:"
            f"\n{shown}{more}")


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")


def _key(label: str) -> str:
    return " ".join(label.replace("’", "'").split()).casefold()


_LABEL_KEYS = {_key(label) for label in HEADER_LABELS.values()}


@dataclass
class _Raw:
    header: dict[str, str] = field(default_factory=dict)
    holders: list[tuple[str, str]] = field(default_factory=list)  # (title, name) in order
    sections: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # field -> the line it starts on


def _split(text: str) -> _Raw:
    raw, current = _Raw(), None
    by_label = {_key(label): name for name, label in HEADER_LABELS.items()}
    for number, line in enumerate(_lines(text), 1):
        label, tab, value = line.partition("\t")
        heading = line.strip()
        section = next((name for name, pat in SECTIONS
                        if "\t" not in line and len(heading) < 120 and pat.search(heading)), None)
        name = by_label.get(_key(label)) if tab else None
        if name in raw.lines or (section and section in raw.lines):
            # two values for one field: keeping either would lose the other without a word
            first = raw.lines[name or section]
            raise InvalidInput(HEADER_LABELS.get(name) or _section_label(section),
                               f"appears twice, on lines {first} and {number}; keep one")
        if name:
            current = ("header", name)
            raw.header[name] = value
            raw.lines[name] = number
        elif tab and "force" in raw.header and "title" not in raw.header and label.strip():
            raw.holders.append((label.strip(), value))
            current = ("holder", len(raw.holders) - 1)
        elif section and raw.lines:
            current = ("section", section)
            raw.sections[section] = []
            raw.lines[section] = number
        elif current and current[0] == "header":
            raw.header[current[1]] += "\n" + line
        elif current and current[0] == "section":
            raw.sections[current[1]].append(line)
    return raw


def parse_record(text: str, warnings: list[str] | None = None, *,
                 answer_kind: AnswerKind | None = None) -> Record:
    """Read a house-style record; refuse, naming the field, when one is missing, and refuse,
    listing the passages, when the record would not hold every word of the text. What the
    reader should know but that does not stop the import is added to `warnings`."""
    parts = split_languages(text)
    if parts is not None:
        return _parse_bilingual(parts, warnings, answer_kind)
    text = text_with_our_tags(text)  # '<opcc@example.org>' is an address, not a tag to drop
    answers = Answers(answer_kind)
    record = _parse(text, warnings if warnings is not None else [], answers)
    answers.refuse_unkinded()
    lost = lost_passages(text, record)
    if lost:
        raise LostText(lost)
    return record


def _parse(text: str, warnings: list[str], answers: Answers) -> Record:
    raw = _split(text)
    missing = [label for name, label in HEADER_LABELS.items() if name not in raw.header]
    if "force" in raw.header and len(raw.holders) < 2:
        missing.append("the local policing body and the chief officer (the two lines after "
                       "'Force', e.g. 'Police and Crime Commissioner<TAB>NAME')")
    missing += [_section_label(name) for name, _ in SECTIONS if name not in raw.sections]
    if missing:
        # every missing part at once: one round, not one per part
        raise InvalidInput(missing[0] if len(missing) == 1 else "record",
                           ("required field is missing from the record" if len(missing) == 1
                            else f"{len(missing)} required parts are missing: "
                                 f"{'; '.join(missing)}")
                           + ". (Or open an empty draft with `s55 open` and fill it in with "
                             "`s55 edit`.)")
    for name in ("force", "title"):
        if not plain_text(raw.header[name]):
            raise InvalidInput(HEADER_LABELS[name], "must not be empty")
    (lpb_title, lpb_name), (co_title, co_name) = raw.holders[:2]
    for label, value in ((lpb_title, lpb_name), (co_title, co_name)):
        if not plain_text(value):
            raise InvalidInput(label, "must name the office holder")
    grades = _grades(raw.header["grades"])
    recs, _, _ = _items("Recommendations", raw.header["recommendations"], grades,
                        answers=answers)
    summary = raw.header["summary"]
    prose = [t for t, _bullet in _blocks(raw.header["recommendations"])]
    if prose and not recs:
        # written as prose: kept as text, never split into recommendations nobody made
        warnings.append(
            f"the Recommendations field (line {raw.lines['recommendations']}) is prose, with no "
            "item marked ('- ', '1.', 'Recommendation 1'); it is kept in the summary, and no "
            "recommendation is recorded: add each with `s55 add-item --kind recommendations`")
        summary = f"{summary}\n<p>Recommendations, as written:</p>" + "".join(
            f"<p>{html.escape(t)}</p>" for t in prose)
    _, causes, afis = _items("Areas for improvement", raw.header["areas_for_improvement"], grades,
                             answers=answers)
    return Record(
        force=plain_text(raw.header["force"]),
        local_policing_body=OfficeHolder(plain_text(lpb_title), plain_text(lpb_name)),
        chief_officer=OfficeHolder(plain_text(co_title), plain_text(co_name)),
        title=plain_text(raw.header["title"]),
        inspectorates=tuple(n for n in (plain_text(b) for b, _ in _blocks(
            raw.header["inspectorates"], separators=";")) if n),
        summary=rich_text(summary),
        grades=tuple(grades),
        recommendations=tuple(recs),
        causes_of_concern=tuple(causes),
        areas_for_improvement=tuple(afis),
        **{name: rich_text("\n".join(raw.sections[name])) for name, _ in SECTIONS},
    )


def _parse_bilingual(parts: dict[str, tuple[int, str]], warnings: list[str] | None,
                     answer_kind: AnswerKind | None) -> Record:
    """Each part read as a record on its own (every word of each kept, or the import refused
    naming the line in the whole document), then the two made one bilingual record."""
    records = {}
    for lang, (offset, text) in parts.items():
        try:
            records[lang] = parse_record(from_welsh(text) if lang == "cy" else text, warnings,
                                         answer_kind=answer_kind)
        except LostText as lost:
            raise LostText([(n + offset if isinstance(n, int) else n, t)
                            for n, t in lost.passages]) from None
        except InvalidInput as bad:
            raise InvalidInput(f"{LANGUAGES[lang]} part: {bad.field}", f"{bad.rule} (its "
                               f"lines counted from line {offset + 1} of the document, where "
                               "the part begins)") from None
    return untranslated(records["en"].with_welsh(records["cy"]))


class LostText(InvalidInput):
    """The record would not hold every word of its input: nothing is imported."""

    def __init__(self, passages: list[tuple[int | str, str]]):
        self.passages = passages  # (line number, or where in a document, first words)
        shown = "\n".join(f"  {n if isinstance(n, str) else f'line {n}'}: {text}"
                          for n, text in passages[:20])
        more = f"\n  ... and {len(passages) - 20} more" if len(passages) > 20 else ""
        super().__init__("record", f"{len(passages)} passage{'s' if len(passages) != 1 else ''} "
                         "would not be kept, so nothing was imported. Each is text under no "
                         "heading s55 knows (put it under one, or give --rest-to FIELD; a title "
                         "line: --title), or a heading with no item under it (add the item, or "
                         f"delete the heading):\n{shown}{more}")


# Words that are labels or markers, not content: the house style's labels, 'Cause for
# concern' (it makes an item a cause of concern), 'Answer (kind):', and the preamble.
_MARKERS = re.compile(
    r"\bcauses? (?:for|of) concern\b|\banswer \((?:action taken|action proposed|no action)\):",
    re.I)
_PREAMBLE = re.compile(r"^\s*(?:version:.*|.*\binspection response record\s*)$", re.I)
_WORD = re.compile(r"[^\W_]+")


def content_words(text: str, *, labels: bool = True) -> Counter:
    """The words of a house-style text as a reader would count them: no markup, no labels,
    no markers, case and accents as written (NFKC), apostrophes and dashes not words."""
    counted: Counter = Counter()
    for line in _content_lines(text):
        counted.update(_line_words(line, labels=labels))
    return counted


def _content_lines(text: str) -> list[str]:
    """The lines, with the preamble's title and 'Version:' line (before the first label)
    blanked: they are the form's, not the response's."""
    out, preamble = [], True
    for line in _lines(text):
        preamble = preamble and _key(line.partition("\t")[0]) not in _LABEL_KEYS
        out.append("" if preamble and _PREAMBLE.match(line) else line)
    return out


def _line_words(line: str, *, labels: bool = True) -> list[str]:
    label, tab, value = line.partition("\t")
    heading = line.strip()
    if labels and tab and (_key(label) in _LABEL_KEYS or not value.strip()):
        line = value
    elif labels and not tab and len(heading) < 120 and any(p.search(heading) for _n, p in SECTIONS):
        return []
    # markup as the record keeps it (scripts and their text go), each tag a break; an item's
    # number or bullet is a marker, not a word
    return text_words(html.unescape(re.sub(r"<[^>]*>", "\n", sanitise_html(line))))


def text_words(text: str) -> list[str]:
    """The words of plain text as content: each line's bullet or item number, and the markers
    ('Cause for concern', 'Answer (kind):'), are not words; case and accents folded (NFKC)."""
    text = "\n".join(_GRADE_LABEL.sub("", _ANSWER_AT_START.sub("", NUMBERED.sub("", BULLET.sub(
        "", part.strip().replace("**", " ").strip().strip("*_"))))) for part in text.split("\n"))
    return _WORD.findall(unicodedata.normalize("NFKC", _MARKERS.sub(" ", text)).casefold())


def lost_passages(text: str, record: Record) -> list[tuple[int, str]]:
    """The lines of `text` holding words that `record` does not (by count): what an import
    would lose. Empty when every word of the input is in the record."""
    kept = content_words(text_with_our_tags(format_record(record)))
    missing = content_words(text) - kept
    if not missing:
        return []
    passages = []
    for number, line in enumerate(_content_lines(text), 1):
        words = _line_words(line)
        lost = [w for w in words if missing[w] > 0]
        if lost:
            for w in lost:
                missing[w] -= 1
            start = plain_text(line.partition("\t")[2] or line)
            passages.append((number, (start[:70] + "...") if len(start) > 70 else start))
    return passages


def _section_label(name: str) -> str:
    return {"initial_response": "initial response", "overall_comments": "overall comments",
            "chief_officer_response": "chief officer's response"}[name]


def _blocks(value: str, separators: str = "", split_inline: bool = True
            ) -> list[tuple[str, bool]]:
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
            out.extend(_inline_bullets(part, split_inline))
    return out


# How people number or mark items: '1.', '1)', '(a)', 'a)', 'Recommendation 1', 'AFI 3',
# and the common bullet glyphs.
NUMBERED = re.compile(
    r"^(?:\(?\d{1,3}[.)]|\d{1,3}(?:\.\d{1,3})+\.?(?=\s+[A-Z])|\(?[a-z][.)]|\(?[ivx]{1,4}[.)]"
    r"|(?:recommendation|afi|area for improvement|cause of concern)\s*\d{1,3}(?:\.\d{1,2})?"
    r"(?:[.:)]|\s+[–—-])?)\s+", re.I)
BULLET = re.compile("^(?:[-•·▪◦‣–—➢➤►▶○●■□◆❖✓✔\uf0b7\uf0a7\uf076\uf0d8]\\s*|\\*\\s+)")


def _inline_bullets(line: str, split_inline: bool = True) -> list[tuple[str, bool]]:
    """(text, is an item) for a line; with `split_inline`, the house style's bare lists
    ('<ul> • one • two') are split at ' - ' or ' • ' before a capital (free text never is:
    there ' - ' is a dash in a sentence)."""
    line = line.replace("**", " ").strip()
    emphasis = re.fullmatch(r"([*_])(\S(?:.*\S)?)\1", line)  # '*Grade: Adequate*' is italic
    if emphasis:
        line = emphasis[2]
    if not line:
        return []
    marked = BULLET.match(line)
    line = BULLET.sub("", line)
    numbered = NUMBERED.match(line)  # '1. ...', or '• AFI 1 ...': a bullet, then its number
    if numbered:
        line = line[numbered.end():]
    if not re.search(r"[^\W_]", line):
        return []  # a rule ('---', '***') or a bare mark: no words, and no item
    bullet = bool(marked) or bool(numbered)
    segments = re.split(r"\s+[-•]\s+(?=[A-Z])", line) if split_inline else [line]
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


def _grade_heading(text: str):
    """'Area – Grade' as a heading: short, and not a sentence that ends '... requires
    improvement.'"""
    if len(text.split()) > 16 or text.rstrip().endswith((".", ";", ",")):
        return None
    return GRADE_HEADING.match(text)


def _items(label: str, value: str, grades: list[Grade], split_inline: bool = True,
           answers: Answers | None = None):
    """Items under area headings; a heading with a grade adds the grade if it is new. A
    paragraph after an item belongs to that item, and one after the item's answer ('Response:
    ...') to the answer; a Recommendations field written as prose, with no item marked, is not
    split into invented recommendations (see `prose`)."""
    answers = answers if answers is not None else Answers()
    area, recs, causes, afis = "", [], [], []
    last: list | None = None
    in_answer = False  # the paragraphs after 'Response:' are the answer's, not the item's
    blocks = _blocks(value, split_inline=split_inline)
    if label == "Recommendations" and blocks and not any(bullet for _t, bullet in blocks):
        return recs, causes, afis  # prose: kept as text by parse_record, with a warning
    for n, (text, bullet) in enumerate(blocks):
        answer, heading, cause = ANSWER.match(text), _grade_heading(text), CAUSE.match(text)
        graded = AREA_GRADE.match(text) if area and not bullet else None
        if graded and not any(g.area == area for g in grades):
            grades.append(Grade(area, normalise_grade(graded["grade"])))  # 'Grade: Adequate'
            continue
        titled = not answer and not bullet and text.endswith(":") and len(text) < 200
        if titled:
            text = text[:-1].strip()
        # a short line with no full stop, and items below it: an area's name ('Investigating
        # crime'), not a paragraph of the item above
        titled = titled or (not bullet and not answer and len(text.split()) <= 8
                            and not re.search(r"[.;,!?]$", text) and n + 1 < len(blocks)
                            and (blocks[n + 1][1] or _grade_heading(blocks[n + 1][0]))
                            and label != "Recommendations")
        if last and not bullet and not answer and not heading and not cause and not titled:
            # a paragraph that explains the item above it (or its answer): part of that
            item = last[-1]
            if in_answer:
                joined = f"{item.answer.text} {text}".strip()
                last[-1] = Item(item.text, item.area, Answer(item.answer.kind, joined))
            else:
                last[-1] = Item(f"{item.text} {text}", item.area, item.answer)
        elif answer:
            if last is None:
                raise InvalidInput(label, f"an answer comes before any item: '{text[:60]}'")
            item, said = last[-1], answer["text"].strip()
            if _FORCE_SIDE.match(answer["who"] or ""):  # the force's words: said to be theirs
                said = text
            if item.answer:  # a second response (the force's after the PCC's): its label kept
                said = f"{item.answer.text} {text}".strip()
                kind = item.answer.kind
            else:
                name = _ITEM_NAME[last is recs, last is causes]
                kind = answers.of(answer, f"{name} {len(last)}", item.text)
            last[-1] = Item(item.text, item.area, Answer(kind, said))
            in_answer = True
        elif label == "Recommendations" and bullet:
            recs.append(Item(text))
            last, in_answer = recs, False
        elif label == "Recommendations":
            area = heading["area"].strip() if heading else text
            last, in_answer = None, False
        elif cause:
            causes.append(Item(cause["text"], area))
            last, in_answer = causes, False
        elif heading or not bullet:
            area = heading["area"].strip() if heading else text
            last, in_answer = None, False
            if heading and not any(g.area == area for g in grades):
                grades.append(Grade(area, normalise_grade(heading["grade"])))
        else:
            afis.append(Item(text, area))
            last, in_answer = afis, False
    # 'Response:' with nothing after it is no answer: sign-off still asks for one
    return tuple([Item(i.text, i.area, i.answer if i.answer and i.answer.text else None)
                  for i in items] for items in (recs, causes, afis))


# (is a recommendation, is a cause of concern) -> how a message names the item
_ITEM_NAME = {(True, False): "recommendation", (False, True): "cause of concern",
              (False, False): "area for improvement"}


# --- two languages -------------------------------------------------------------------------
#
# The bilingual house style (a Welsh office's record, Welsh Language Standards): the English
# record in the house style, then a line `=== Cymraeg ===`, then the same record in Welsh,
# laid out the same way under Welsh labels (WELSH_LABELS, the headings below, the grades in
# Welsh, 'Achos pryder:', 'Ateb (camau a gymerwyd):'). Either part may come first (a line
# `=== English ===` then marks the English part). The two parts must match item for item.

WELSH_MARK = re.compile(r"[=#*\s-]*(?:cymraeg|welsh)(?:\s*/\s*(?:welsh|cymraeg))?[=#*\s-]*",
                        re.I)
ENGLISH_MARK = re.compile(r"[=#*\s-]*(?:english|saesneg)(?:\s*/\s*(?:saesneg|english))?"
                          r"[=#*\s-]*", re.I)
WELSH_LABELS = {  # the house style's labels in Welsh
    "force": "Heddlu", "title": "Teitl yr arolygiad", "inspectorates": "Arolygiaeth",
    "summary": "Crynodeb o'r arolygiad", "grades": "Gradd", "recommendations": "Argymhellion",
    "areas_for_improvement": "Meysydd i'w gwella",
}
WELSH_GRADES = {"Outstanding": "Rhagorol", "Good": "Da", "Adequate": "Digonol",
                "Requires improvement": "Angen gwella", "Inadequate": "Annigonol"}
WELSH_KINDS = {AnswerKind.ACTION_TAKEN: "camau a gymerwyd",
               AnswerKind.ACTION_PROPOSED: "camau arfaethedig",
               AnswerKind.NO_ACTION: "dim camau"}
_GRADES_FROM_WELSH = {_w.casefold(): _e for _e, _w in WELSH_GRADES.items()} | {
    "angen ei wella": "Requires improvement"}
_CY_GRADE_END = re.compile(r"^(?P<area>.+?)\s*[–—:-]\s*(?P<grade>rhagorol|da|digonol|"
                           r"angen gwella|angen ei wella|annigonol)\s*$", re.I)
# 'Ymateb i'r cyhoedd' (responding to the public) is an area: a section's heading names an
# office holder
_HOLDER = (r"(?=.*(?:\b(?:prif|comisiynydd|cwnstabl|maer|commissioner|constable|mayor)\b"
           r"|\(to translate\)))")
_CY_SECTIONS = ((re.compile(rf"^ymateb cychwynnol\s+{_HOLDER}(?P<who>[^:]+)$", re.I),
                 "{who} initial response"),
                (re.compile(rf"^sylwadau cyffredinol\s+{_HOLDER}(?P<who>[^:]+)$", re.I),
                 "{who} overall comments"),
                (re.compile(rf"^ymateb\s+(?:y\s+|yr\s+)?{_HOLDER}(?P<who>[^:]+)$", re.I),
                 "{who}'s response"))
_CY_ANSWER = re.compile(r"^(?P<lead>\s*)ateb\s*\((?P<kind>camau a gymerwyd|camau arfaethedig|"
                        r"dim camau)\)\s*:", re.I)
_CY_CAUSE = re.compile(r"^(?P<lead>\s*(?:[-•*]\s*)?)achos(?:ion)? pryder\b\s*:?", re.I)


def split_languages(text: str) -> dict[str, tuple[int, str]] | None:
    """A bilingual document's parts: {'en': (lines before it, text), 'cy': ...}; None when
    the text has no Welsh part."""
    lines = _lines(text)
    for n in range(1, len(lines)):  # 'Cymraeg' underlined (a Markdown heading): one mark
        if re.fullmatch(r"[=-]{3,}", lines[n].strip()) and lines[n - 1].strip() and (
                WELSH_MARK.fullmatch(lines[n - 1].strip())
                or ENGLISH_MARK.fullmatch(lines[n - 1].strip())):
            lines[n] = ""
    marks = [(n, "cy") for n, line in enumerate(lines)
             if line.strip() and WELSH_MARK.fullmatch(line.strip())]
    english = [(n, "en") for n, line in enumerate(lines)
               if line.strip() and ENGLISH_MARK.fullmatch(line.strip())]
    if not marks and not english:
        return None
    marks = sorted(marks + english)
    if marks[0][0] > 0 and any(line.strip() for line in lines[:marks[0][0]]):
        # what comes before the first mark is the other language's part: the English before
        # 'Cymraeg', the Welsh before 'English' (a Welsh-first document)
        marks.insert(0, (-1, "cy" if marks[0][1] == "en" else "en"))
    parts: dict[str, tuple[int, str]] = {}
    for (start, lang), (end, _next) in zip(marks, marks[1:] + [(len(lines), "")]):
        if lang in parts:
            raise InvalidInput("Welsh", f"the document has two {LANGUAGES[lang]} parts (line "
                               f"{parts[lang][0]} and line {start + 1}); keep one of each")
        parts[lang] = (start + 1, "\n".join(lines[start + 1:end]))
    if set(parts) != {"en", "cy"}:
        raise InvalidInput("Welsh", "a bilingual document has an English part and a Welsh "
                           "part (a line '=== Cymraeg ===' before the Welsh)")
    return parts


def from_welsh(text: str) -> str:
    """The Welsh part as the house style's parser reads it: its labels, headings, grades and
    markers put in the English form (the content is untouched)."""
    by_label = {_key(label): HEADER_LABELS[name] for name, label in WELSH_LABELS.items()}
    out = []
    for line in _lines(text):
        label, tab, value = line.partition("\t")
        if tab and _key(label) in by_label:
            line = f"{by_label[_key(label)]}\t{value}"
            if _CY_GRADE_END.match(value.strip()):  # the first area's heading, 'Area – Da'
                line = f"{by_label[_key(label)]}\t{_grade_from_welsh(value.strip())}"
            if by_label[_key(label)] == "Grade":
                line = "Grade\t" + "; ".join(_grade_from_welsh(p.strip())
                                              for p in value.split(";"))
        elif tab and _key(label) == "fersiwn:":
            line = f"Version:\t{value}"
        elif not tab and len(line.strip()) < 120:
            heading = line.strip()
            section = next((form.format(who=m["who"]) for pat, form in _CY_SECTIONS
                            for m in [pat.match(heading)] if m), None)
            graded = _CY_GRADE_END.match(heading)
            if graded:
                line = _grade_from_welsh(heading)
            elif section and not heading.startswith(("-", "•")):
                line = section
            elif heading.casefold().endswith("cofnod ymateb i'r arolygiad"):
                line = "inspection response record"
        label, tab, value = line.partition("\t")  # (a label line's value too: its first item)
        for part in (value if tab else label,):
            part = _CY_ANSWER.sub(
                lambda m: f"{m['lead']}Answer ({_kind_from_welsh(m['kind'])}):", part)
            part = _CY_CAUSE.sub(lambda m: f"{m['lead']}Cause for concern:", part)
            line = f"{label}\t{part}" if tab else part
        out.append(line)
    return "\n".join(out)


def _grade_from_welsh(text: str) -> str:
    bare = _GRADES_FROM_WELSH.get(" ".join(text.split()).casefold())
    if bare:
        return bare
    m = _CY_GRADE_END.match(text)
    return f"{m['area'].strip()} – {_GRADES_FROM_WELSH[m['grade'].casefold()]}" if m else text


def _kind_from_welsh(said: str) -> str:
    return next(str(k) for k, w in WELSH_KINDS.items() if w == " ".join(said.split()).casefold())


# a text still to write in one language is shown as UNTRANSLATED by a bilingual export (a
# translator replaces it); read back, it is that text still to write


def untranslated(record: Record) -> Record:
    """The bilingual record read back, each UNTRANSLATED an empty text again."""
    from dataclasses import replace

    def text(value: str) -> str:
        return "" if value.strip() == UNTRANSLATED else value

    def item(i: Item) -> Item:
        return replace(i, text=text(i.text), cy_text=text(i.cy_text),
                       answer=i.answer and replace(i.answer, text=text(i.answer.text),
                                                   cy_text=text(i.answer.cy_text)))

    cy = record.cy
    return replace(record, **{name: tuple(item(i) for i in getattr(record, name))
                              for name in ("recommendations", "causes_of_concern",
                                           "areas_for_improvement")},
                   cy=replace(cy, force=text(cy.force), title=text(cy.title),
                              local_policing_body=text(cy.local_policing_body),
                              chief_officer=text(cy.chief_officer)))


def format_bilingual(record: Record, *, version: str = "") -> str:
    """A bilingual record in the bilingual house style, as `parse_record` reads it back."""
    return (_format_one(record, version, "en") + "\n=== Cymraeg ===\n\n"
            + _format_one(record.in_language("cy"), version, "cy"))


def format_record(record: Record, *, version: str = "") -> str:
    """The record in the house style, as `parse_record` reads it (a bilingual record in the
    bilingual house style)."""
    if record.bilingual:
        return format_bilingual(record, version=version)
    return _format_one(record, version, "en")


def format_part(record: Record, version: str, lang: str) -> str:
    """One language's part of a bilingual record (`record` already in that language)."""
    return _format_one(record, version, lang)


def _format_one(record: Record, version: str, lang: str) -> str:
    """One language's part (`lang='cy'`: the Welsh part, under the Welsh labels)."""
    cy = lang == "cy"
    if cy:  # a Welsh name or title still to write is shown as such, and read back as such
        record = record.view(
            force=record.force or UNTRANSLATED, title=record.title or UNTRANSLATED,
            **{holder: OfficeHolder(getattr(record, holder).title or UNTRANSLATED,
                                    getattr(record, holder).name)
               for holder in ("local_policing_body", "chief_officer")})
    label = (lambda name: WELSH_LABELS[name]) if cy else (lambda name: HEADER_LABELS[name])
    grade = (lambda g: WELSH_GRADES.get(g, g)) if cy else (lambda g: g)
    lpb, co = record.local_policing_body.title, record.chief_officer.title
    grades = "; ".join(f"{g.area} – {grade(g.grade)}" if g.area else grade(g.grade)
                       for g in record.grades)
    lines = [
        f"{record.force} cofnod ymateb i'r arolygiad" if cy
        else f"{record.force} inspection response record", "",
        f"{'Fersiwn:' if cy else 'Version:'}\t{version}", "",
        f"{label('force')}\t{record.force}",
        f"{lpb}\t{record.local_policing_body.name}",
        f"{co}\t{record.chief_officer.name}",
        f"{label('title')}\t{record.title}",
        f"{label('inspectorates')}\t{'; '.join(record.inspectorates)}",
        f"{label('summary')}\t{html_to_text(record.summary)}",
        f"{label('grades')}\t{grades}",
        f"{label('recommendations')}\t" + _format_items([""], [("", record.recommendations)],
                                                         lang=lang),
        f"{label('areas_for_improvement')}\t" + _format_items(
            record.finding_areas(),
            [("Achos pryder: " if cy else "Cause for concern: ", record.causes_of_concern),
             ("", record.areas_for_improvement)],
            {g.area: grade(g.grade) for g in record.grades if g.area}, lang=lang),
        "",
        f"Ymateb cychwynnol {lpb}" if cy else f"{lpb}'s initial response", "",
        html_to_text(record.initial_response), "",
        f"Ymateb {co}" if cy else f"{co}'s response", "",
        html_to_text(record.chief_officer_response), "",
        f"Sylwadau cyffredinol {lpb}" if cy else f"{lpb}'s overall comments", "",
        html_to_text(record.overall_comments), "",
    ]
    return "\n".join(lines)


def _format_items(areas: list[str], lists, grades: dict[str, str] | None = None,
                  lang: str = "en") -> str:
    out = []
    for area in areas:
        # an area is a heading: 'Area – Grade', or 'Area:' (a line that is neither would be
        # read back as a paragraph of the item above it)
        if area:
            out.append(f"{area} – {grades[area]}" if area in (grades or {}) else f"{area}:")
        for prefix, items in lists:
            for item in (i for i in items if i.area == area):
                out.append(f"- {prefix}{item.text or UNTRANSLATED}")
                if item.answer:
                    kind = WELSH_KINDS[item.answer.kind] if lang == "cy" else item.answer.kind
                    said = "Ateb" if lang == "cy" else "Answer"
                    out.append(f"  {said} ({kind}): {item.answer.text or UNTRANSLATED}")
    return "\n".join(out)
