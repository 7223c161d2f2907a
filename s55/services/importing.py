"""Reading a document to import: the bytes checked, the encoding found (and said), the record
summarised field by field so that a person sees where every word went.

The house style (housestyle.py), free text and Markdown (freetext.py) and Word documents
(worddoc.py, read into the same headed text) are all read so that no word is lost: a record
that would not hold every word of its document is refused with the passages it could not
place.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..domain.errors import InvalidInput, NotFound
from ..domain.record import ITEM_LISTS, Record
from ..render.sanitise import html_to_text

MAX_BYTES = 10 * 1024 * 1024  # S55_IMPORT_MAX_MB: far above any response record


def read_document(path: Path, *, max_bytes: int = MAX_BYTES
                  ) -> tuple[str, list[str], dict[int, str]]:
    """The text of a file, notes on how it was read, and (for a Word document) where each line
    of the text came from. Refused, naming the file: a missing path, a folder, an empty,
    oversized or binary file, or text in no encoding we can tell."""
    shown = str(path)
    if not path.exists():
        raise NotFound(f"{shown}: no such file")
    if path.is_dir():
        raise InvalidInput(shown, "is a folder; name the file to import")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(shown, f"is {size / 1048576:.1f} MB; the most an import takes is "
                               f"{max_bytes / 1048576:.0f} MB (S55_IMPORT_MAX_MB)")
        data = path.read_bytes()
    except OSError as err:
        raise InvalidInput(shown, f"cannot be read ({err.strerror})") from None
    if not data.strip():
        raise InvalidInput(shown, "is empty")
    if data.startswith(b"PK\x03\x04"):
        if path.suffix.lower() != ".docx":
            raise InvalidInput(shown, "is a zip file but not a Word document (.docx); for an "
                               "older .doc, save it as .docx or as text")
        from ..worddoc import docx_text

        text, where, notes = docx_text(path)
        return text, [f"{shown}: {n}" for n in notes], where
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(shown, "is an old Word (.doc) file; save it as .docx or as text")
    text, notes = decode(data, shown)
    return text, notes, {}


def decode(data: bytes, shown: str) -> tuple[str, list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), [f"{shown}: read as UTF-16 (Word's 'Unicode' text)"]
        except UnicodeDecodeError:
            raise InvalidInput(shown, "says it is UTF-16 but is not; save it as UTF-8") from None
    if b"\x00" in data:
        raise InvalidInput(shown, "is not text (it holds NUL bytes); save it as UTF-8 text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise InvalidInput(shown, "is not UTF-8, UTF-16 or Windows-1252 text; save it as "
                           "UTF-8") from None
    return text, [f"{shown}: not UTF-8, read as Windows-1252 (Word's 'Plain Text'); check the "
                  "quotes and dashes below, or save it as UTF-8"]


def read_record(ctx, path: Path, *, title: str | None = None, force: str | None = None,
                inspectorate: str | None = None, rest_to: str | None = None,
                answer_kind: str | None = None, actor: str | None = None,
                welsh: Path | None = None, found: dict | None = None
                ) -> tuple[Record, list[str], list[str]]:
    """A document as a Record: (record, notes on how the file was read, warnings about its
    content). Every word is placed, or LostText names what could not be (by line, or for a
    Word document by paragraph or table row). `welsh` names a second document, the Welsh of
    the first (a Welsh office's two documents): the two are made one bilingual record, item
    for item. `found["version"]`: the version a document `s55 export` wrote came from."""
    from ..housestyle import answer_kind as kind_of, untranslated

    kind = kind_of(answer_kind)  # checked before the files are read: a typo is named first
    reader = _Reader(ctx, title=title, force=force, inspectorate=inspectorate, rest_to=rest_to,
                     kind=kind, actor=actor)
    if welsh is not None and not ctx.home_office(actor).welsh:
        office = ctx.home_office(actor)
        raise InvalidInput("--welsh", f"{office.name} publishes in English only; import the "
                           "English document alone, or set `welsh: true` in the office's "
                           "office.yaml")
    text, notes, where = read_document(path, max_bytes=ctx.settings.import_max_mb * 1048576)
    if found is not None:  # the version an exported document was written from (`Version:`)
        exported = re.search(r"^(?:Version|Fersiwn):\t([0-9a-f]{8,64})[ \t]*$", text, re.M)
        found["version"] = exported[1] if exported else None
    record = reader.read(path, text, where, notes)
    if welsh is None:
        return record, notes, reader.warnings
    if record.cy is not None:
        raise InvalidInput("--welsh", f"{path.name} is in Welsh and English already; give "
                           "--welsh only with a document in English")
    if welsh.resolve() == path.resolve():
        raise InvalidInput("--welsh", "names the same file as the English document")
    text, cy_notes, where = read_document(welsh, max_bytes=ctx.settings.import_max_mb * 1048576)
    notes += cy_notes
    cy = reader.read(welsh, text, where, notes, lang="cy")
    try:
        return untranslated(record.with_welsh(cy)), notes, reader.warnings
    except InvalidInput as bad:
        raise InvalidInput(bad.field, bad.rule.replace(
            "the Welsh part does not match the English part",
            f"{welsh.name} (the Welsh) does not match {path.name} (the English)")) from None


class _Reader:
    """How one import reads its documents: the house style, or free text through the heading
    map, in English or in Welsh, every word placed."""

    def __init__(self, ctx, *, title, force, inspectorate, rest_to, kind, actor):
        self.ctx, self.rest_to, self.kind, self.actor = ctx, rest_to, kind, actor
        self.asked = {"title": title, "force": force, "inspectorate": inspectorate}
        self.warnings: list[str] = []

    def read(self, path: Path, text: str, where: dict[int, str], notes: list[str],
             lang: str = "en") -> Record:
        from ..freetext import DuplicateHeading
        from ..housestyle import LostText

        try:
            return self._read(path, text, notes, lang)
        except LostText as lost:
            # a Word document: say which paragraph or table row, not a line of our own text;
            # the Welsh document of two: say which file
            passages = [(where.get(n, f"line {n}") if where else n, t) for n, t in lost.passages]
            if lang == "cy":
                passages = [(f"{path.name}, {n if isinstance(n, str) else f'line {n}'}", t)
                            for n, t in passages]
            raise LostText(passages) from None
        except DuplicateHeading as twice:
            if not where and lang == "en":
                raise
            raise DuplicateHeading(twice.name, *twice.lines, where=where or None) from None
        except InvalidInput as bad:
            if lang == "en":
                raise
            rule = bad.rule
            if bad.field == "answer_kind":  # the labels as a Welsh document writes them
                rule = rule.replace("label each 'Action taken:', 'Action proposed:' or 'No "
                                    "action:'", "label each 'Camau a gymerwyd:', 'Camau "
                                    "arfaethedig:' or 'Dim camau:'")
            raise InvalidInput(f"{path.name} (the Welsh): {bad.field}", rule) from None

    def _read(self, path: Path, text: str, notes: list[str], lang: str) -> Record:
        from ..freetext import from_welsh_free, looks_like_house_style
        from ..housestyle import (
            WELSH_MARK, LostText, from_welsh, parse_record, split_languages, untranslated,
        )

        if lang == "cy" and looks_like_house_style(from_welsh(text)):
            return parse_record(from_welsh(text), self.warnings, answer_kind=self.kind)
        if looks_like_house_style(text):
            return self._house_style(text, notes)
        if lang == "cy":
            if any(WELSH_MARK.fullmatch(line.strip()) for line in text.splitlines()
                   if line.strip()):
                raise InvalidInput("--welsh", f"{path.name} has two parts, English and Welsh; "
                                   "import it alone, without --welsh")
            return self._free_text(from_welsh_free(text), "cy")
        parts = split_languages(text)
        if parts is None:
            return self._free_text(text, "en")
        # one document, its Welsh in a part of its own ('Cymraeg' heading): each part read as
        # a document of its own, then the two made one record, item for item
        records = {}
        for part, (offset, body) in parts.items():
            try:
                records[part] = self._free_text(from_welsh_free(body) if part == "cy" else body,
                                                part)
            except LostText as lost:
                raise LostText([(n + offset if isinstance(n, int) else n, t)
                                for n, t in lost.passages]) from None
        return untranslated(records["en"].with_welsh(records["cy"]))

    def _house_style(self, text: str, notes: list[str]) -> Record:
        from ..housestyle import parse_record

        try:
            return parse_record(text, self.warnings, answer_kind=self.kind)
        except InvalidInput as house:
            # 'Force<TAB>...' and 'Grade<TAB>...' in a document written some other way: if it
            # lacks most of the house style's parts, it is read as free text
            if house.field != "record" or "required parts are missing" not in str(house):
                raise
            try:
                record = self._free_text(text, "en")
            except InvalidInput:
                raise house from None
            notes.append("read as free text: it has some of the house style's labels but not "
                         "its parts")
            return record

    def _free_text(self, text: str, lang: str) -> Record:
        from ..freetext import heading_map, parse_free_text

        defaults = office_defaults(self.ctx, **self.asked, actor=self.actor, lang=lang)
        return parse_free_text(text, heading_map(self.ctx.settings.config_dir, defaults, lang),
                               defaults, rest_to=self.rest_to, warnings=self.warnings,
                               answer_kind=self.kind)


HMICFRS = "His Majesty's Inspectorate of Constabulary and Fire & Rescue Services"


def office_defaults(ctx, *, title: str | None, force: str | None, inspectorate: str | None,
                    actor: str | None = None, lang: str = "en"):
    """What a free-text document need not say: the actor's office's force and office
    holders (in Welsh, their Welsh names; a title not given is one still to translate)."""
    from ..domain.record import INSPECTORATES_CY, UNTRANSLATED, OfficeHolder
    from ..domain.workflow import Role
    from ..freetext import Defaults
    from ..render.sanitise import plain_text

    office = ctx.home_office(actor)
    if lang == "cy":
        force_cy, lpb_cy, co_cy = office.welsh_names
        names = [plain_text(x) for x in (inspectorate or HMICFRS).split(";")]
        return Defaults(
            force=force_cy or UNTRANSLATED,
            local_policing_body=OfficeHolder(lpb_cy or UNTRANSLATED, office.holder(
                Role.LOCAL_POLICING_BODY).name),
            chief_officer=OfficeHolder(co_cy or UNTRANSLATED, office.holder(
                Role.CHIEF_OFFICER).name),
            title=UNTRANSLATED,
            inspectorates=tuple(INSPECTORATES_CY.get(n, UNTRANSLATED) for n in names if n))
    return Defaults(
        force=plain_text(force or "") or office.force,
        local_policing_body=office.holder(Role.LOCAL_POLICING_BODY,
                                          unnamed=office.local_policing_body_title),
        chief_officer=office.holder(Role.CHIEF_OFFICER, unnamed=office.chief_officer_title),
        title=plain_text(title or ""),
        inspectorates=tuple(i for i in (plain_text(x) for x in (inspectorate or HMICFRS)
                                        .split(";")) if i))


def summary(record: Record, *, detail: bool = False) -> list[str]:
    """Where the words went: each field and its words, the items counted by kind; with
    `detail` (--dry-run), each field's first words and every item's, to check the placing."""
    def start(text: str) -> str:  # fields come as text (html_to_text), items are text
        words = text.split()
        return (" ".join(words[:10]) + (" ..." if len(words) > 10 else "")) if words else ""

    lines = []
    for name, value in (("force", record.force), ("title", record.title),
                        ("local policing body", f"{record.local_policing_body.title} "
                                                f"{record.local_policing_body.name}"),
                        ("chief officer", f"{record.chief_officer.title} "
                                          f"{record.chief_officer.name}"),
                        ("inspectorates", "; ".join(record.inspectorates)),
                        ("summary", html_to_text(record.summary)),
                        ("initial_response", html_to_text(record.initial_response)),
                        ("chief_officer_response", html_to_text(record.chief_officer_response)),
                        ("overall_comments", html_to_text(record.overall_comments))):
        shown = f"  {start(value)}" if detail and value.strip() else ""
        lines.append(f"  {name:<24} {_words(value):>6} words{shown}")
    lines.append(f"  {'grades':<24} {len(record.grades):>6}")
    if detail:
        lines += [f"      {g.area or 'overall'}: {g.grade}" for g in record.grades]
    for name in ITEM_LISTS:
        items = getattr(record, name)
        words = sum(_words(i.text) + _words(i.area) for i in items)
        answered = [i.answer for i in items if i.answer]
        told = (f"; {len(answered)} answered, {sum(_words(a.text) for a in answered)} words"
                if answered else "")
        lines.append(f"  {name:<24} {len(items):>6} items, {words} words{told}")
        for n, i in enumerate(items if detail else (), 1):
            lines.append(f"      {n}. {start(i.text)}" + (f"  [{i.area}]" if i.area else ""))
            if i.answer:
                lines.append(f"         answer ({i.answer.kind}): {start(i.answer.text)}")
    return lines


def _words(text: str) -> int:
    """The words of text (fields after html_to_text, items and answers as they are): a '<' in
    it is a character, not the start of a tag to skip."""
    return len(re.findall(r"[^\W_]+", text))
