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

from .errors import InvalidInput

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
    kind: AnswerKind
    text: str


@dataclass(frozen=True)
class Item:
    """A recommendation, cause of concern or area for improvement."""

    text: str
    area: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class Grade:
    area: str  # "" for a single overall grade, as PEEL reports before 2021/22 had
    grade: str


@dataclass(frozen=True)
class OfficeHolder:
    title: str  # "Police and Crime Commissioner", "Mayor", "Chief Constable", ...
    name: str


ITEM_LISTS = ("recommendations", "causes_of_concern", "areas_for_improvement")
TEXT_FIELDS = (
    "force", "title", "summary", "initial_response", "chief_officer_response", "overall_comments",
)


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

    def with_text(self, name: str, value: str) -> Record:
        if name not in TEXT_FIELDS:
            raise InvalidInput("field", f"must be one of {', '.join(TEXT_FIELDS)}")
        return replace(self, **{name: value})

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
                    answer=Answer(AnswerKind(r["answer"]["kind"]), r["answer"]["text"])
                    if r.get("answer") else None,
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
    answer = item.answer and Answer(AnswerKind(item.answer.kind), clean_line(item.answer.text))
    return Item(clean_line(item.text), clean_line(item.area), answer)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def canonical(record: Record) -> dict:
    """The content as plain JSON types, strings NFC-normalised: what gets hashed."""

    def item(i: Item) -> dict:
        out = {"text": _norm(i.text), "area": _norm(i.area)}
        if i.answer is not None:
            out["answer"] = {"kind": str(i.answer.kind), "text": _norm(i.answer.text)}
        return out

    return {
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
        "grades": [{"area": _norm(g.area), "grade": _norm(g.grade)} for g in record.grades],
        "recommendations": [item(i) for i in record.recommendations],
        "causes_of_concern": [item(i) for i in record.causes_of_concern],
        "areas_for_improvement": [item(i) for i in record.areas_for_improvement],
        "initial_response": _norm(record.initial_response),
        "chief_officer_response": _norm(record.chief_officer_response),
        "overall_comments": _norm(record.overall_comments),
    }


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: dict) -> str:
    """SHA-256 of the canonical JSON: the identity of a version."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
