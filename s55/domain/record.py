"""The response record: what is drafted, commented on, signed off and published.

Field names follow the law rather than one office's headings:
- ``initial_response`` is the body's comments, s55(5)(a) ("PCC's initial response");
- ``chief_officer_response`` is the chief officer's comments, s55(5)(b);
- ``overall_comments`` is the body's response to them, s55(5)(c).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from .errors import InvalidInput, said

GRADES = ("Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate")


def normalise_grade(text: str) -> str | None:
    """Map 'requires IMPROVEMENT' and friends onto the five-point PEEL scale."""
    wanted = " ".join(text.split()).strip("* ").casefold()
    return next((g for g in GRADES if g.casefold() == wanted), None)


class AnswerKind(StrEnum):
    # s55(5B): "the action taken or proposed ... or why no action has been or will be taken"
    ACTION_TAKEN = "action taken"
    ACTION_PROPOSED = "action proposed"
    NO_ACTION = "no action"

    @classmethod
    def read(cls, value: str, field: str) -> AnswerKind:
        """A kind as people type it ('action-taken', 'No action'), or InvalidInput naming
        `field`."""
        wanted = " ".join(value.replace("-", " ").replace("_", " ").split()).casefold()
        try:
            return cls(wanted)
        except ValueError:
            raise InvalidInput(field, "must be one of action-taken, action-proposed, "
                                      f"no-action, not '{value}'") from None


@dataclass(frozen=True)
class Answer:
    kind: AnswerKind  # one kind in both languages: it is what is done, not how it is said
    text: str
    cy_text: str = ""  # in Welsh, on a bilingual record


@dataclass(frozen=True)
class Item:
    """A recommendation, cause of concern or area for improvement."""

    text: str
    area: str = ""
    answer: Answer | None = None
    cy_text: str = ""  # the item and its area in Welsh, on a bilingual record
    cy_area: str = ""


@dataclass(frozen=True)
class Grade:
    area: str  # "" for a single overall grade, as PEEL reports before 2021/22 had
    grade: str
    cy_area: str = ""


@dataclass(frozen=True)
class OfficeHolder:
    title: str  # "Police and Crime Commissioner", "Mayor", "Chief Constable", ...
    name: str


ITEM_LISTS = ("recommendations", "causes_of_concern", "areas_for_improvement")
ITEM_NAMES = dict(zip(ITEM_LISTS, ("recommendation", "cause of concern", "area for improvement")))
TEXT_FIELDS = (
    "force", "title", "summary", "initial_response", "chief_officer_response", "overall_comments",
)
LANGUAGES = {"en": "English", "cy": "Welsh"}  # (Welsh Language Standards: both, equally)


@dataclass(frozen=True)
class Welsh:
    """A bilingual record's Welsh texts that are not an item's: the force and the office
    holders' titles as they are said in Welsh ('Heddlu Dyfed-Powys', 'Prif Gwnstabl'), and
    every free-text field. An empty one is a gap: sign-off waits for it (`language_gaps`)."""

    force: str = ""
    local_policing_body: str = ""  # the body's title in Welsh; names are not translated
    chief_officer: str = ""
    title: str = ""
    summary: str = ""
    initial_response: str = ""
    chief_officer_response: str = ""
    overall_comments: str = ""
    inspectorates: tuple[str, ...] = ()


WELSH_FIELDS = tuple(f for f in Welsh.__dataclass_fields__ if f != "inspectorates")
# the inspectorate's own Welsh name, for a bilingual record opened from an English one
INSPECTORATES_CY = {
    "His Majesty's Inspectorate of Constabulary and Fire & Rescue Services":
        "Arolygiaeth Cwnstabliaeth a Gwasanaethau Tân ac Achub Ei Fawrhydi",
}


@dataclass(frozen=True)
class Record:
    force: str
    local_policing_body: OfficeHolder
    chief_officer: OfficeHolder
    title: str
    inspectorates: tuple[str, ...] = ()
    summary: str = ""
    grades: tuple[Grade, ...] = ()
    recommendations: tuple[Item, ...] = ()
    causes_of_concern: tuple[Item, ...] = ()
    areas_for_improvement: tuple[Item, ...] = ()
    initial_response: str = ""
    chief_officer_response: str = ""
    overall_comments: str = ""
    cy: Welsh | None = None  # set on a bilingual record (a Welsh office's): its Welsh texts
    # texts of a bilingual record written for an earlier text of the other language ('summary:cy':
    # the English summary changed after its Welsh was written): a gap until written or confirmed
    stale: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("force", "title"):
            if not getattr(self, name).strip():
                raise InvalidInput(name, "is required and may not be empty")
        lists = {name: tuple(_clean_item(i) for i in getattr(self, name)) for name in ITEM_LISTS}
        lists["recommendations"] = _grouped_by_area(lists["recommendations"])
        order = area_order(self.grades, lists["areas_for_improvement"], lists["causes_of_concern"])
        for name in ("causes_of_concern", "areas_for_improvement"):
            lists[name] = _grouped_by_area(lists[name], order)
        for name, items in lists.items():
            object.__setattr__(self, name, items)

    # s55(5B): "an explanation of ... the action taken or proposed ... or why no action
    # has been or will be taken", for each recommendation in the report.
    def unanswered_recommendations(self) -> list[tuple[int, Item]]:
        return [(n, item) for n, item in enumerate(self.recommendations, 1) if item.answer is None]

    def with_answer(self, number: int, answer: Answer) -> Record:
        items = list(self.recommendations)
        if not 1 <= number <= len(items):
            raise InvalidInput(
                "recommendation", f"must be a number from 1 to {len(items)}, not {number}"
            )
        items[number - 1] = replace(items[number - 1], answer=answer)
        return replace(self, recommendations=tuple(items))

    def with_item(self, kind: str, item: Item) -> Record:
        if kind not in ITEM_LISTS:
            raise InvalidInput("kind", f"must be one of {', '.join(ITEM_LISTS)}")
        return replace(self, **{kind: getattr(self, kind) + (item,)})

    def with_text(self, name: str, value: str, lang: str = "en") -> Record:
        """One narrative or heading field, in one language; an item's text as
        'recommendations.2' (and the like), numbered from 1."""
        language(lang, self)
        item = ITEM_FIELD.fullmatch(name)
        if item and item[3]:  # 'areas_for_improvement.2.area'
            return self.with_item_text(item[1], int(item[2]), value, lang, key="area")
        if item:
            return self.with_item_text(item[1], int(item[2]), value, lang)
        graded = re.fullmatch(r"grades\.(\d{1,3})", name)
        if graded:
            n = int(graded[1])
            if not 1 <= n <= len(self.grades):
                raise InvalidInput("field", f"there is no grade {n} (the record has "
                                            f"{len(self.grades)})")
            grades = list(self.grades)
            grades[n - 1] = replace(grades[n - 1], **{"cy_area" if lang == "cy" else "area":
                                                      value})
            return replace(self, grades=tuple(grades))
        if lang == "cy":
            if name not in WELSH_FIELDS:
                raise InvalidInput("field", f"must be one of {', '.join(WELSH_FIELDS)}, an "
                                            "item as recommendations.N (its area: "
                                            "recommendations.N.area), or grades.N")
            return replace(self, cy=replace(self.cy, **{name: value}))
        if name not in TEXT_FIELDS:
            raise InvalidInput("field", f"must be one of {', '.join(TEXT_FIELDS)}, an item as "
                                        "recommendations.N (its area: recommendations.N.area), "
                                        "or grades.N")
        return replace(self, **{name: value})

    def with_item_text(self, kind: str, number: int, value: str, lang: str = "en",
                       key: str = "text") -> Record:
        items = list(getattr(self, kind))
        if not 1 <= number <= len(items):
            raise InvalidInput("field", f"there is no {kind.replace('_', ' ')} {number} (the "
                                        f"record has {len(items)})")
        key = f"cy_{key}" if lang == "cy" else key
        items[number - 1] = replace(items[number - 1], **{key: value})
        return replace(self, **{kind: tuple(items)})

    # --- two languages ----------------------------------------------------------------------

    @property
    def bilingual(self) -> bool:
        return self.cy is not None

    def made_bilingual(self, welsh: Welsh) -> Record:
        """This record as a bilingual one, its Welsh texts still to write (but for `welsh`,
        and the inspectorate's Welsh name where it is known)."""
        if self.cy is not None:
            return self
        if not welsh.inspectorates:
            welsh = replace(welsh, inspectorates=tuple(INSPECTORATES_CY.get(i, "")
                                                       for i in self.inspectorates))
        return replace(self, cy=welsh)

    def in_language(self, lang: str) -> Record:
        """What a reader of one language reads: the record with that language's texts in its
        fields (the same items, in the same order, with the same answer kinds). Not checked
        as a record is (a Welsh text still to write is an empty field), and not regrouped."""
        if lang == "en" or self.cy is None:
            return self
        language(lang, self)
        cy = self.cy

        def items(rows):
            return tuple(Item(i.cy_text, i.cy_area, i.answer and Answer(i.answer.kind,
                                                                        i.answer.cy_text))
                         for i in rows)

        return self.view(
            force=cy.force, title=cy.title, inspectorates=cy.inspectorates,
            local_policing_body=OfficeHolder(cy.local_policing_body,
                                             self.local_policing_body.name),
            chief_officer=OfficeHolder(cy.chief_officer, self.chief_officer.name),
            summary=cy.summary, grades=tuple(Grade(g.cy_area, g.grade) for g in self.grades),
            **{name: items(getattr(self, name)) for name in ITEM_LISTS},
            initial_response=cy.initial_response,
            chief_officer_response=cy.chief_officer_response,
            overall_comments=cy.overall_comments, cy=None, stale=())

    def view(self, **changes) -> Record:
        """A copy with `changes`, neither checked nor regrouped as a record is: one language's
        view of a bilingual record, whose texts may still be empty."""
        copy = object.__new__(Record)
        for name in Record.__dataclass_fields__:
            object.__setattr__(copy, name, changes.get(name, getattr(self, name)))
        return copy

    def with_welsh(self, welsh: Record) -> Record:
        """This (English) record with `welsh`'s texts as its Welsh: a bilingual document's two
        parts made one record. The parts must match item for item; each mismatch is named."""
        problems = [f"{name.replace('_', ' ')}: {len(getattr(self, name))} in English, "
                    f"{len(getattr(welsh, name))} in Welsh"
                    for name in ("grades", *ITEM_LISTS)
                    if len(getattr(self, name)) != len(getattr(welsh, name))]
        problems += [f"graded area {n}: '{en.area}' is {en.grade} in English, but '{cy.area}' "
                     f"is {cy.grade} in Welsh"
                     for n, (en, cy) in enumerate(zip(self.grades, welsh.grades), 1)
                     if en.grade != cy.grade]
        problems += [f"recommendation {n}: answered in one language only ("
                     f"{'English' if en.answer else 'Welsh'})"
                     for n, (en, cy) in enumerate(zip(self.recommendations,
                                                      welsh.recommendations), 1)
                     if (en.answer is None) != (cy.answer is None)]
        problems += [f"recommendation {n}: the answer's kind is {en.answer.kind} in English and "
                     f"{cy.answer.kind} in Welsh"
                     for n, (en, cy) in enumerate(zip(self.recommendations,
                                                      welsh.recommendations), 1)
                     if en.answer and cy.answer and en.answer.kind != cy.answer.kind]
        if problems:
            raise InvalidInput("Welsh", "the Welsh part does not match the English part item "
                                        "for item, so nothing was imported: "
                               + "; ".join(problems))

        def items(en_rows, cy_rows):
            return tuple(replace(en, cy_text=cy.text, cy_area=cy.area,
                                 answer=en.answer and replace(en.answer,
                                                              cy_text=cy.answer.text))
                         for en, cy in zip(en_rows, cy_rows))

        return replace(
            self, grades=tuple(replace(g, cy_area=w.area)
                               for g, w in zip(self.grades, welsh.grades)),
            **{name: items(getattr(self, name), getattr(welsh, name)) for name in ITEM_LISTS},
            cy=Welsh(force=welsh.force, local_policing_body=welsh.local_policing_body.title,
                     chief_officer=welsh.chief_officer.title, title=welsh.title,
                     summary=welsh.summary, initial_response=welsh.initial_response,
                     chief_officer_response=welsh.chief_officer_response,
                     overall_comments=welsh.overall_comments, inspectorates=welsh.inspectorates))

    def language_gaps(self, answers: bool = True) -> list[str]:
        """Every text of a bilingual record that is written in one language only: what
        sign-off waits for. (A text empty in both is no gap: there is nothing to translate.)
        `answers=False`: all but the answers' (the texts only drafting may write)."""
        if self.cy is None:
            return []
        gaps = []

        def pair(label, en, cy):
            if bool(_words(en)) != bool(_words(cy)):
                gaps.append(said("%(what)s: English only", what=label) if _words(en)
                            else said("%(what)s: Welsh only", what=label))

        pair(said("the force's name"), self.force, self.cy.force)
        pair(said("the local policing body's title"), self.local_policing_body.title,
             self.cy.local_policing_body)
        pair(said("the chief officer's title"), self.chief_officer.title, self.cy.chief_officer)
        pair(said("the inspectorate"), "; ".join(self.inspectorates), "; ".join(
            i for i in self.cy.inspectorates if i))
        for name in ("title", "summary", "initial_response", "chief_officer_response",
                     "overall_comments"):
            pair(said(name.replace("_", " ")), getattr(self, name), getattr(self.cy, name))
        for g in self.grades:
            pair(said("the graded area '%(area)s'", area=g.area or g.cy_area), g.area, g.cy_area)
        for name, one in ITEM_NAMES.items():
            for n, item in enumerate(getattr(self, name), 1):
                pair(said("%(item)s %(n)s", item=said(one), n=n), item.text, item.cy_text)
                pair(said("%(item)s %(n)s's area", item=said(one), n=n), item.area, item.cy_area)
                if item.answer and answers:
                    pair(said("%(item)s %(n)s's answer", item=said(one), n=n), item.answer.text,
                         item.answer.cy_text)
        for key in self.stale:
            field, _sep, lang = key.rpartition(":")
            if not answers and field.endswith(".answer"):
                continue
            what = _pair_label(field)
            gaps.append(said("%(what)s: the Welsh was written for an earlier English text (write "
                             "it again, or give it unchanged with --lang cy to confirm it)",
                             what=what) if lang == "cy" else
                        said("%(what)s: the English was written for an earlier Welsh text "
                             "(write it again, or give it unchanged with --lang en to confirm "
                             "it)", what=what))
        return gaps

    def with_stale_marked(self, before: Record, confirmed: set[str] = frozenset()) -> Record:
        """This record (an edit of `before`) with each text whose other language changed after
        it was written marked stale, and each text written or confirmed (`confirmed`: keys
        'summary:cy', 'recommendations.2.answer:en') unmarked. A translated pair changed on one
        side only cannot be signed off until the other side is written again or confirmed."""
        if self.cy is None or before.cy is None:
            return self
        stale = set(before.stale)
        old, new = _pairs(before), _pairs(self)
        for full, (en, cy, kind) in new.items():
            key = _key_of(full)
            for lang in ("en", "cy"):
                if f"{key}:{lang}" in confirmed:
                    stale.discard(f"{key}:{lang}")
            if full not in old:  # a new text, or a list that grew or shrank: nothing to compare
                continue
            was_en, was_cy, was_kind = old[full]
            changed = {"en": en != was_en, "cy": cy != was_cy}
            for lang in ("en", "cy"):
                if changed[lang]:
                    stale.discard(f"{key}:{lang}")
            for lang, other in (("en", "cy"), ("cy", "en")):
                # the other text moved on (not merely written for the first time, nor caught up
                # with this one), or the kind did
                was_other = was_en if other == "en" else was_cy
                moved = (changed[other] and _words(was_other)
                         and f"{key}:{other}" not in before.stale) or kind != was_kind
                text = en if lang == "en" else cy
                if moved and not changed[lang] and _words(text) \
                        and f"{key}:{lang}" not in confirmed:
                    stale.add(f"{key}:{lang}")
        known = {_key_of(full) for full in new}
        stale = {k for k in stale if k.rpartition(":")[0] in known}
        return replace(self, stale=tuple(sorted(stale)))

    def finding_areas(self) -> list[str]:
        """The order areas are listed in: graded areas first, as the report grades them."""
        return area_order(self.grades, self.areas_for_improvement, self.causes_of_concern)

    def to_canonical(self) -> dict:
        return canonical(self)

    def content_hash(self) -> str:
        return content_hash(self.to_canonical())

    @classmethod
    def from_canonical(cls, data: dict) -> Record:
        def items(rows):
            return tuple(
                Item(
                    text=r["text"],
                    area=r.get("area", ""),
                    answer=Answer(AnswerKind(r["answer"]["kind"]), r["answer"]["text"],
                                  r["answer"].get("cy_text", ""))
                    if r.get("answer") else None,
                    cy_text=r.get("cy_text", ""), cy_area=r.get("cy_area", ""),
                )
                for r in rows
            )

        return cls(
            force=data["force"],
            local_policing_body=OfficeHolder(**data["local_policing_body"]),
            chief_officer=OfficeHolder(**data["chief_officer"]),
            title=data["title"],
            inspectorates=tuple(data.get("inspectorates", ())),
            summary=data.get("summary", ""),
            grades=tuple(Grade(**g) for g in data.get("grades", ())),
            recommendations=items(data.get("recommendations", ())),
            causes_of_concern=items(data.get("causes_of_concern", ())),
            areas_for_improvement=items(data.get("areas_for_improvement", ())),
            initial_response=data.get("initial_response", ""),
            chief_officer_response=data.get("chief_officer_response", ""),
            overall_comments=data.get("overall_comments", ""),
            cy=Welsh(**{**data["cy"], "inspectorates": tuple(data["cy"].get("inspectorates", ()))})
            if data.get("cy") is not None else None,
            stale=tuple(data.get("stale", ())),
        )


def area_order(*lists) -> list[str]:
    """Areas in order of first appearance, items with no area first."""
    return list(dict.fromkeys([""] + [item.area for items in lists for item in items]))


def _grouped_by_area(items, order: list[str] | None = None) -> tuple[Item, ...]:
    """Items of one area stay together, areas in `order` (default: first appearance).

    The house style lists items under area headings, so this is the only order an
    export can reproduce; holding records in it keeps export and import exact inverses.
    """
    rank = {area: n for n, area in enumerate(order or area_order(items))}
    return tuple(sorted(items, key=lambda item: rank[item.area]))


def clean_line(text: str) -> str:
    """One line of plain text, as the house style can carry it inside a list.

    Markdown residue ('**') goes, and ' - ' before a capital becomes an en dash, which
    the importer would otherwise read as the start of another bullet.
    """
    text = " ".join(text.replace("**", " ").split())
    return re.sub(r" - (?=[A-Z])", " – ", text)


def _clean_item(item: Item) -> Item:
    answer = item.answer and Answer(AnswerKind(item.answer.kind), clean_line(item.answer.text),
                                    clean_line(item.answer.cy_text))
    return Item(clean_line(item.text), clean_line(item.area), answer, clean_line(item.cy_text),
                clean_line(item.cy_area))


def _pairs(record: Record) -> dict[str, tuple[str, str, str]]:
    """Every text of a bilingual record as (English, Welsh, the answer's kind or ''), by key;
    an item list's items by number only while its length is unchanged (see with_stale_marked:
    a list that grew or shrank is compared no further)."""
    cy = record.cy
    out = {name: (getattr(record, name), getattr(cy, name), "")
           for name in ("force", "title", "summary", "initial_response",
                        "chief_officer_response", "overall_comments")}
    out["local_policing_body"] = (record.local_policing_body.title, cy.local_policing_body, "")
    out["chief_officer"] = (record.chief_officer.title, cy.chief_officer, "")
    for name in ITEM_LISTS:
        items = getattr(record, name)
        for n, item in enumerate(items, 1):  # '#4': of a list of four
            out[f"{name}.{n}#{len(items)}"] = (item.text, item.cy_text, "")
            if item.answer:
                out[f"{name}.{n}#{len(items)}.answer"] = (item.answer.text, item.answer.cy_text,
                                                          str(item.answer.kind))
    return out


def _key_of(key: str) -> str:
    """A text's key as a person names it ('recommendations.3.answer'), without the length."""
    return re.sub(r"#\d+", "", key)


def _pair_label(field: str) -> str:
    m = re.fullmatch(r"(recommendations|causes_of_concern|areas_for_improvement)\.(\d+)(\.answer)?",
                     field)
    if m and m[3]:
        return said("%(item)s %(n)s's answer", item=said(ITEM_NAMES[m[1]]), n=m[2])
    if m:
        return said("%(item)s %(n)s", item=said(ITEM_NAMES[m[1]]), n=m[2])
    return _HEADER_LABELS.get(field) or said(field.replace("_", " "))


_HEADER_LABELS = {"local_policing_body": said("the local policing body's title"),
                  "chief_officer": said("the chief officer's title"),
                  "force": said("the force's name")}


ITEM_FIELD = re.compile(r"(recommendations|causes_of_concern|areas_for_improvement)\.(\d{1,4})"
                        r"(\.area)?")


def language(lang: str, record: Record | None = None) -> str:
    """A language code as given (--lang), checked: 'cy' only for a bilingual record."""
    if lang not in LANGUAGES:
        raise InvalidInput("lang", f"must be en (English) or cy (Welsh), not '{lang}'")
    if lang == "cy" and record is not None and record.cy is None:
        raise InvalidInput("lang", "this review is in English only: its office does not "
                                   "publish in Welsh (the office's welsh setting)")
    return lang


UNTRANSLATED = "(to translate)"  # what a bilingual export shows for a text still to write


def _words(text: str) -> bool:
    """Whether a field holds any words (markup alone is none, and so is the export's mark of a
    text still to translate, wherever it was typed)."""
    plain = " ".join(re.sub(r"<[^>]*>", " ", text or "").split())
    return bool(re.search(r"[^\W_]", plain)) and plain.casefold() != UNTRANSLATED


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def canonical(record: Record) -> dict:
    """The content as plain JSON types, strings NFC-normalised: what gets hashed."""

    bilingual = record.cy is not None  # an English-only record hashes as it always has

    def item(i: Item) -> dict:
        out = {"text": _norm(i.text), "area": _norm(i.area)}
        if bilingual:
            out.update(cy_text=_norm(i.cy_text), cy_area=_norm(i.cy_area))
        if i.answer is not None:
            out["answer"] = {"kind": str(i.answer.kind), "text": _norm(i.answer.text)}
            if bilingual:
                out["answer"]["cy_text"] = _norm(i.answer.cy_text)
        return out

    def grade(g: Grade) -> dict:
        out = {"area": _norm(g.area), "grade": _norm(g.grade)}
        if bilingual:
            out["cy_area"] = _norm(g.cy_area)
        return out

    data = {
        "force": _norm(record.force),
        "local_policing_body": {
            "title": _norm(record.local_policing_body.title),
            "name": _norm(record.local_policing_body.name),
        },
        "chief_officer": {
            "title": _norm(record.chief_officer.title),
            "name": _norm(record.chief_officer.name),
        },
        "title": _norm(record.title),
        "inspectorates": [_norm(i) for i in record.inspectorates],
        "summary": _norm(record.summary),
        "grades": [grade(g) for g in record.grades],
        "recommendations": [item(i) for i in record.recommendations],
        "causes_of_concern": [item(i) for i in record.causes_of_concern],
        "areas_for_improvement": [item(i) for i in record.areas_for_improvement],
        "initial_response": _norm(record.initial_response),
        "chief_officer_response": _norm(record.chief_officer_response),
        "overall_comments": _norm(record.overall_comments),
    }
    if record.stale:  # which texts wait for their other language (none: as before)
        data["stale"] = list(record.stale)
    if bilingual:  # the version's hash covers both texts (issue 12)
        data["cy"] = {name: _norm(getattr(record.cy, name)) for name in WELSH_FIELDS}
        data["cy"]["inspectorates"] = [_norm(i) for i in record.cy.inspectorates]
    return data


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: dict) -> str:
    """SHA-256 of the canonical JSON: the identity of a version."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
