"""Word documents (.docx) in: read with python-docx into the same headed text that free text
uses (freetext.py), so one heading map and one word count serve both.

python-docx because it is the maintained library for reading .docx in Python, reads the
document's own structure (heading styles, list paragraphs, tables in document order) rather
than rendering it, and needs only lxml; mammoth converts to HTML (a second parse) and
docx2python flattens lists and tables into nested lists that lose the heading styles.

    Heading 1-9, Title  -> '# text' ... '###### text' (by its level)
    a list item         -> '- text'      (numbered or bulleted: both are items; a 'List
                                         Paragraph' without a number explains the item above)
    other paragraphs    -> 'text', a blank line between paragraphs
    a table of area and grade -> 'Area – Grade' lines
    a table of items and responses (first row 'Recommendation | PCC response | ...')
                        -> '- item', '(Owner: ...)', 'PCC response: ...' for each row
    any other table     -> one line per row, its cells joined by ' – '
Text in text boxes, footnotes or comments is not read yet: such a document is refused with
the first words of that text, rather than imported without it.

A document that `s55 export -o FILE.docx` wrote (house_style_docx: one paragraph a line of
the house style, marked so in its properties) is read back line for line, tabs kept, so that
a record sent out in Word (to a translator, say) comes back as the same record.
"""

from __future__ import annotations

import re
from pathlib import Path

from .domain.errors import InvalidInput
from .domain.record import normalise_grade

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(path: Path) -> tuple[str, dict[int, str], list[str]]:
    """(headed text, line number -> where it came from in the document, notes)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as err:
        raise InvalidInput(str(path), f"is not a Word document that can be read ({err})") \
            from None
    _refuse_hidden_text(document, path)
    if HOUSE_STYLE_MARK in (document.core_properties.keywords or ""):
        return _house_style_lines(document, path)
    lines: list[str] = []
    where: dict[int, str] = {}
    notes: list[str] = []
    paragraph = table_no = 0
    styles: dict[str | None, str] = {}  # a style's name, looked up once per style

    def add(text: str, place: str) -> None:
        lines.append(text)
        where[len(lines)] = place

    for block in _blocks(document):
        if isinstance(block, Table):
            table_no += 1
            rows = _grid(block)
            grades = [r for r in rows if len(r) == 2 and _grade(r[1])]
            start = 0
            if len(rows) >= 2 and grades and len(grades) == len(rows) - 1 \
                    and len(rows[0]) == 2 and _column_names(rows[0]):
                notes.append(f"table {table_no}: its first row ({' | '.join(rows[0])}) read as "
                             "the table's headings")
                start = 1
            answered = _item_table(rows)
            if answered is not None:
                notes.append(f"table {table_no}: read as one item per row, its first row "
                             f"({' | '.join(rows[0])}) naming the columns")
                for n, row_lines in enumerate(answered, 2):
                    for line in row_lines:
                        add(line, f"table {table_no}, row {n}")
                add("", "")
                continue
            for n, row in enumerate(rows[start:], start + 1):
                cells = [c for c in row if c]
                if cells:
                    is_grade = len(row) == 2 and _grade(row[1]) and row[0]
                    add(f"{row[0]} – {row[1]}" if is_grade else " – ".join(cells),
                        f"table {table_no}, row {n}")
            add("", "")
            continue
        paragraph += 1
        text = _text(block._element)
        if not text:
            continue
        style = _style_name(document, block, styles)
        heading = re.match(r"(?:Heading (\d)|Title)$", style)
        if heading:  # its level kept: a Heading 3 under a Heading 1 is part of that section
            add(f"{'#' * min(6, int(heading[1] or 1))} {text}", f"paragraph {paragraph}")
        elif _LIST_ITEM.match(style) or _numbered(block):
            # 'List Number 2', or a numbered paragraph at level 2: a sub-point, indented
            level = _level(block, style)
            add(f"{'  ' * level}- {text}", f"paragraph {paragraph}")
        else:
            add(text, f"paragraph {paragraph}")
            add("", "")
    text = "\n".join(lines)
    notes += _tracked_changes(document)
    _refuse_unread(document, text, notes, path)
    notes += _page_furniture(document)
    return text, where, notes


def _grade(cell: str) -> bool:
    """A grade, in English or in Welsh ('Da', 'Angen gwella': the Welsh reader maps it)."""
    from .housestyle import _GRADES_FROM_WELSH

    return bool(normalise_grade(cell)) or " ".join(cell.split()).casefold() in _GRADES_FROM_WELSH


def _column_names(row: list[str]) -> bool:
    """A grades table's first row names its columns ('Area | Grade', 'Maes | Gradd'): a few
    words each, no grade, no figures. Anything else is a row of the table, and read."""
    return all(cell and len(cell.split()) <= 3 and not _grade(cell)
               and not re.search(r"\d", cell) for cell in row)


_ITEM_COLUMN = re.compile(r"^(?:hmicfrs\s+)?(?:recommendations?|areas? for improvement|afis?"
                          r"|causes? (?:of|for) concern|argymhellion|argymhelliad"
                          r"|meysydd i[’']?w gwella|maes i[’']?w wella|achos(?:ion)? pryder)$")
_NUMBER_COLUMN = re.compile(r"^(?:no\.?|number|#|ref\.?|reference|rhif)$")
# a Welsh table's response column ('Ymateb y Comisiynydd', 'Camau a gymerwyd')
_CY_KIND_CELL = re.compile(r"^(?:camau a gymerwyd|camau arfaethedig|dim camau)\s*:", re.I)
_CY_ANSWER_COLUMN = re.compile(r"^(?:ymateb|ateb|camau a gymerwyd|camau arfaethedig|dim camau)"
                               r"\b", re.I)


def _item_table(rows: list[list[str]]) -> list[list[str]] | None:
    """A table whose first row names an item column ('Recommendation', 'AFI') and a response
    column ('PCC response', 'Action taken', 'Response'): each later row as the lines an office
    would type, '- the item', then '(Column: value)' for other columns, then 'Response: ...'
    (read as the item's answer). None for any other table."""
    from .housestyle import ANSWER

    if len(rows) < 2:
        return None
    heads = [" ".join(h.split()) for h in rows[0]]
    keys = [re.sub(r"[^\w\s#]", "", h).strip().casefold() for h in heads]
    item = next((i for i, k in enumerate(keys) if _ITEM_COLUMN.match(k)), None)
    answers = [i for i, h in enumerate(heads) if h and (ANSWER.match(f"{h.rstrip(':')}:")
                                                        or _CY_ANSWER_COLUMN.match(h))]
    if item is None or not answers or any(len(r) != len(heads) for r in rows):
        return None
    number = next((i for i, k in enumerate(keys) if _NUMBER_COLUMN.match(k)), None)
    out = []
    for row in rows[1:]:
        filled = [i for i, cell in enumerate(row) if cell]
        if len(filled) == 1 and filled[0] not in answers and not row[item]:
            out.append([row[filled[0]]])  # a row across the table ('Updates will be ...')
            continue
        lines = []
        numbered = number is not None and row[number] and row[item]
        if row[item]:
            lines.append(f"- {row[number] + '. ' if numbered else ''}{row[item]}")
        lines += [f"({heads[i]}: {row[i]})" for i in range(len(row))
                  if row[i] and i not in (item, *answers) and not (i == number and numbered)]
        # a cell that says its own kind ('Action taken: ...') is read as it says
        lines += [row[i] if ANSWER.match(row[i]) or _CY_KIND_CELL.match(row[i])
                  else f"{heads[i].rstrip(':')}: {row[i]}" for i in answers if row[i]]
        out.append(lines)
    return out


def _tracked_changes(document) -> list[str]:
    body = document.element.body
    if next(body.iter(f"{W}ins", f"{W}del", f"{W}moveFrom", f"{W}moveTo"), None) is None:
        return []
    return ["it has tracked changes: read as if all were accepted (insertions kept, moved "
            "text where it went, deletions left out); accept or reject them in Word to be sure "
            "of what is imported"]


def _blocks(document):
    """Paragraphs and tables in document order, also inside block-level content controls."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(parent):
        for child in parent.iterchildren():
            if child.tag == f"{W}p":
                yield Paragraph(child, document._body)
            elif child.tag == f"{W}tbl":
                yield Table(child, document._body)
            elif child.tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    yield from walk(content)

    yield from walk(document.element.body)


def _pieces(element):
    """The text of a paragraph as Word shows it, piece by piece: runs inside tracked
    insertions, content controls, fields, hyperlinks and smart tags too (deleted text is
    w:delText: not shown; a paragraph's tab stops are not tabs). Tabs as '\t', breaks as ' '."""
    for node in element.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen"):
        run = node.getparent()
        if run is None or run.tag == f"{W}tabs":  # a tab stop of the paragraph, not a tab
            continue
        if run.getparent() is not None and run.getparent().tag in (f"{W}moveFrom", f"{W}del"):
            continue  # tracked changes read as accepted: moved text counts where it went
        yield (node.text or "" if node.tag == f"{W}t" else
               "-" if node.tag == f"{W}noBreakHyphen" else
               "\t" if node.tag == f"{W}tab" else " ")


def _text(element) -> str:
    """All the text of a paragraph, its spaces and tabs made single spaces."""
    return " ".join("".join(_pieces(element)).split())


def _cell_text(cell) -> str:
    """A cell's text, nested tables included, paragraph by paragraph."""
    return " ".join(t for t in (_text(p) for p in cell._tc.iter(f"{W}p")) if t)


def _refuse_unread(document, text: str, notes: list[str], path: Path) -> None:
    """A last count: every word in the document's body is in the text read from it, or the
    import stops here, naming what was not read (so no structure we do not know loses a word)."""
    from collections import Counter

    def count(s: str) -> Counter:
        return Counter(re.findall(r"[^\W_]+", s.casefold()))

    # paragraph by paragraph, as Word shows them: a word split over two runs ('improve' +
    # 'ments', as Word often saves one) is one word
    body = count(" ".join(_text(p) for p in document.element.body.iter(f"{W}p")
                          if not _inside_text_box(p)))
    read = count(text + " " + " ".join(notes))
    missing = body - read
    if missing:
        raise InvalidInput(str(path), "has text that import could not read, so nothing was "
                           f"imported: {' '.join(sorted(missing)[:12])} ... (tell the s55 "
                           "maintainers how it is laid out)")


# Word's list item styles; 'List Paragraph' without numbering and 'List Continue' are the
# paragraphs that explain an item, not items
_LIST_ITEM = re.compile(r"List(?: Bullet| Number)?(?: \d)?$")

_FURNITURE = {"header": "page header", "first_page_header": "first page's header",
              "even_page_header": "even pages' header", "footer": "page footer",
              "first_page_footer": "first page's footer", "even_page_footer": "even pages' footer"}


def _page_furniture(document) -> list[str]:
    """The page headers and footers: a protective marking, the office's name, page numbers.
    They are not part of the response and are not imported, but never without a word: each
    one's text is said."""
    said, out = set(), []
    for section in document.sections:
        for kind, name in _FURNITURE.items():
            part = getattr(section, kind)
            text = " ".join(t for t in (_text(p) for p in part._element.iter(f"{W}p")) if t) \
                if part._has_definition else ""
            if text and text not in said:
                said.add(text)
                out.append(f"the {name} '{text[:80]}' is not part of the response: not imported")
    return out


def _inside_text_box(node) -> bool:
    parent = node.getparent()
    while parent is not None:
        if parent.tag == f"{W}txbxContent":
            return True
        parent = parent.getparent()
    return False


def _style_name(document, paragraph, cache: dict) -> str:
    style_id = paragraph._p.style  # python-docx looks styles up one by one: slow per paragraph
    if style_id not in cache:
        style = paragraph.style
        cache[style_id] = (style.name if style is not None else "") or ""
    return cache[style_id]


def _level(paragraph, style: str) -> int:
    ppr = paragraph._element.pPr
    if ppr is not None and ppr.numPr is not None and ppr.numPr.ilvl is not None:
        return int(ppr.numPr.ilvl.val)
    found = re.search(r"(\d+)$", style)
    return int(found[1]) - 1 if found else 0


def _numbered(paragraph) -> bool:
    ppr = paragraph._element.pPr
    return ppr is not None and ppr.numPr is not None


def _grid(table) -> list[list[str]]:
    """The table's text, one string per grid column. python-docx gives a merged cell once per
    column and row it spans; it is read once, where it starts, and is '' elsewhere (so a
    recommendation merged down two rows is one recommendation, and a merged heading cell
    leaves the columns where they are)."""
    rows, above = [], []
    for row in table.rows:
        cells = row.cells
        texts = []
        for j, cell in enumerate(cells):
            spanned = (j > 0 and cells[j - 1]._tc is cell._tc) or \
                (j < len(above) and above[j]._tc is cell._tc)
            texts.append("" if spanned else _cell_text(cell))
        rows.append(texts)
        above = cells
    return rows


def _refuse_hidden_text(document, path: Path) -> None:
    body = document.element.body
    boxes = [" ".join("".join(t.text or "" for t in p.iter(f"{W}t")).split())
             for p in body.iter(f"{W}txbxContent")]
    boxes = [b for b in boxes if b]
    parts = {rel.reltype.rsplit("/", 1)[-1]: rel.target_part
             for rel in document.part.rels.values() if not rel.is_external}
    extra = []
    for kind in ("footnotes", "endnotes", "comments"):
        part = parts.get(kind)
        if part is None:
            continue
        text = re.sub(r"<[^>]+>", " ", part.blob.decode("utf-8", "replace"))
        words = " ".join(text.split())
        # Word writes separator notes with no words in them: only real notes count
        if re.search(r"[A-Za-z]{2,}", words):
            extra.append(f"{kind}: {words[:60]}")
    found = [f"a text box: {b[:60]}" for b in boxes] + extra
    if found:
        raise InvalidInput(str(path), "has text that import does not read yet, so nothing was "
                           "imported (move it into the body, or delete it): " + "; ".join(found))


# --- the house style in Word (s55 export -o FILE.docx) ---------------------------------------

HOUSE_STYLE_MARK = "s55 house style"  # in the document's keywords: read back line for line
LANG_TAGS = {"en": "en-GB", "cy": "cy-GB"}  # as Word itself marks them


def house_style_docx(text: str, *, title: str) -> bytes:
    """The house-style text as a Word document: a paragraph a line (a label's tab kept, with a
    tab stop so the values line up), each language's part in a section of its own that starts
    on a new page, its language set on every run (so Word checks the spelling of each in its
    own language, and a screen reader speaks it so)."""
    import io

    import docx
    from docx.enum.section import WD_SECTION
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    from .housestyle import ENGLISH_MARK, WELSH_MARK

    document = docx.Document()
    props = document.core_properties
    props.title, props.keywords, props.language = title, HOUSE_STYLE_MARK, "en-GB"
    props.comments = ("Written by s55 export in the house style: edit the text after each "
                      "label's tab, keep the labels and the lines, and import it again.")
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    normal.paragraph_format.space_after = Pt(0)

    def lang_of(run, lang: str) -> None:
        rpr = run._r.get_or_add_rPr()
        tag = OxmlElement("w:lang")
        tag.set(qn("w:val"), LANG_TAGS[lang])
        rpr.append(tag)

    lang, first = "en", True
    for line in text.split("\n"):
        mark = line.strip() and (WELSH_MARK.fullmatch(line.strip()) and "cy"
                                 or ENGLISH_MARK.fullmatch(line.strip()) and "en")
        if mark:
            lang = mark
            if not first:
                document.add_section(WD_SECTION.NEW_PAGE)
            paragraph = document.add_heading(level=1)
            lang_of(paragraph.add_run(line), lang)
        else:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(7))
            if line:
                lang_of(paragraph.add_run(line), lang)  # python-docx writes '\t' as w:tab
        first = False
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _house_style_lines(document, path: Path) -> tuple[str, dict[int, str], list[str]]:
    """A document s55 wrote: its paragraphs are the house style's lines, read as they are."""
    lines, where = [], {}
    for number, block in enumerate(_blocks(document), 1):
        if block._element.tag != f"{W}p":
            raise InvalidInput(str(path), "was written by `s55 export` in the house style, but "
                               "a table has been added to it; write the table's text as lines")
        lines.append(_line(block._element))
        where[len(lines)] = f"paragraph {number}"
    text = "\n".join(lines)
    notes = ["read line for line: a Word document in the house style, as `s55 export` writes",
             *_tracked_changes(document)]
    _refuse_unread(document, text, notes, path)
    return text, where, notes + _page_furniture(document)


def _line(element) -> str:
    """A paragraph's text with its tabs, as the house style's line it holds."""
    return "".join(_pieces(element))  # as written: an empty field is its label and a tab
