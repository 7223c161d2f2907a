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
                answer_kind: str | None = None, actor: str | None = None
                ) -> tuple[Record, list[str], list[str]]:
    """A document as a Record: (record, notes on how the file was read, warnings about its
    content). Every word is placed, or LostText names what could not be (by line, or for a
    Word document by paragraph or table row)."""
    from ..freetext import DuplicateHeading, heading_map, looks_like_house_style, parse_free_text
    from ..housestyle import WELSH_MARK, LostText, answer_kind as kind_of, parse_record

    kind = kind_of(answer_kind)  # checked before the file is read: a typo is named first
    text, notes, where = read_document(path, max_bytes=ctx.settings.import_max_mb * 1048576)
    warnings: list[str] = []

    def free_text() -> Record:
        defaults = office_defaults(ctx, title=title, force=force, inspectorate=inspectorate,
                                   actor=actor)
        return parse_free_text(text, heading_map(ctx.settings.config_dir, defaults), defaults,
                               rest_to=rest_to, warnings=warnings, answer_kind=kind)

    try:
        if looks_like_house_style(text):
            try:
                record = parse_record(text, warnings, answer_kind=kind)
            except InvalidInput as house:
                # 'Force<TAB>...' and 'Grade<TAB>...' in a document written some other way:
                # if it lacks most of the house style's parts, it is read as free text
                if house.field != "record" or "required parts are missing" not in str(house):
                    raise
                try:
                    record = free_text()
                except InvalidInput:
                    raise house from None
                notes.append("read as free text: it has some of the house style's labels but "
                             "not its parts")
        elif any(WELSH_MARK.fullmatch(line.strip()) for line in text.splitlines()
                 if line.strip()):
            # two languages are read in the bilingual house style only: read as free text,
            # the Welsh would be taken for more of the English
            raise InvalidInput("Welsh", f"{path.name} has a Welsh part ('Cymraeg') but is not "
                               "in the house style; a document in Welsh and English is read in "
                               "the bilingual house style (README, Welsh and English): `s55 "
                               "export` a review to see it")
        else:
            record = free_text()
    except LostText as lost:
        if not where:
            raise
        # a Word document: say which paragraph or table row, not a line of our own text
        raise LostText([(where.get(n, f"line {n}"), t) for n, t in lost.passages]) from None
    except DuplicateHeading as twice:
        if not where:
            raise
        raise DuplicateHeading(twice.name, *twice.lines, where=where) from None
    return record, notes, warnings


HMICFRS = "His Majesty's Inspectorate of Constabulary and Fire & Rescue Services"


def office_defaults(ctx, *, title: str | None, force: str | None, inspectorate: str | None,
                    actor: str | None = None):
    """What a free-text document need not say: the actor's office's force and office
    holders."""
    from ..domain.workflow import Role
    from ..freetext import Defaults
    from ..render.sanitise import plain_text

    office = ctx.home_office(actor)
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
