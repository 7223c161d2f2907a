"""Word documents as offices save them (built here with python-docx): what Word does that a
reader must not get wrong. Each once lost a word, invented an item or refused a good file."""

from __future__ import annotations

from pathlib import Path

import docx

from s55.domain.record import AnswerKind
from s55.freetext import parse_free_text
from s55.worddoc import docx_text
from tests.unit.test_freetext import HEADINGS, OFFICE


def read(path: Path, **options):
    text, _where, notes = docx_text(path)
    return parse_free_text(text, HEADINGS, OFFICE, **options), notes


def document(*headings_and_paragraphs) -> docx.Document:
    made = docx.Document()
    made.add_heading("Title", 1)
    made.add_paragraph("PEEL 2022: Anyshire")
    for heading, paragraphs in headings_and_paragraphs:
        made.add_heading(heading, 1)
        for text, style in paragraphs:
            made.add_paragraph(text, style=style)
    return made


def test_a_word_split_over_two_runs_is_one_word(tmp_path):
    made = document(("Summary", [("The force made significant", None)]))
    made.paragraphs[-1].add_run("ly better progress.")  # Word saves runs like this
    made.save(tmp_path / "r.docx")
    record, _ = read(tmp_path / "r.docx")
    assert "significantly better progress" in record.summary


def test_a_list_paragraph_without_a_number_explains_the_item_above(tmp_path):
    made = document(("Recommendations", [("The force should improve triage.", "List Number"),
                                         ("HMICFRS found delays.", "List Paragraph"),
                                         ("The force should improve vetting.", "List Number")]))
    made.save(tmp_path / "r.docx")
    record, _ = read(tmp_path / "r.docx")
    assert [r.text for r in record.recommendations] == [
        "The force should improve triage. HMICFRS found delays.",
        "The force should improve vetting."]


def test_a_grades_table_without_a_heading_row_keeps_its_first_row(tmp_path):
    made = document(("Grades", []))
    table = made.add_table(rows=2, cols=2)
    for row, (area, grade) in zip(table.rows, [("Investigating crime", "Good"),
                                               ("Preventing crime", "Adequate")]):
        row.cells[0].text, row.cells[1].text = area, grade
    made.save(tmp_path / "r.docx")
    record, notes = read(tmp_path / "r.docx")
    assert [(g.area, g.grade) for g in record.grades] == [("Investigating crime", "Good"),
                                                          ("Preventing crime", "Adequate")]
    assert not any("headings" in note for note in notes)


def test_a_table_of_items_with_merged_cells_and_page_furniture(tmp_path):
    made = document(("Recommendations", []))
    table = made.add_table(rows=4, cols=3)
    rows = [("Recommendation", "PCC response", "Force response"),
            ("The force should improve triage.", "I will monitor it.", "A team is in place."),
            ("", "", "Training starts in May."),
            ("The force should improve vetting.", "Action taken: all staff vetted.", "")]
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    table.cell(1, 0).merge(table.cell(2, 0))  # one recommendation down two rows (w:vMerge)
    made.sections[0].header.paragraphs[0].text = "OFFICIAL"
    made.save(tmp_path / "r.docx")
    record, notes = read(tmp_path / "r.docx", answer_kind=AnswerKind.ACTION_PROPOSED)
    first, second = record.recommendations
    assert first.text == "The force should improve triage."
    assert first.answer.text == ("I will monitor it. Force response: A team is in place. "
                                 "Force response: Training starts in May.")
    assert second.answer.kind is AnswerKind.ACTION_TAKEN  # the cell says its own kind
    assert "the page header 'OFFICIAL' is not part of the response: not imported" in notes


def test_tracked_changes_are_read_as_accepted_and_said(tmp_path):
    from docx.oxml import parse_xml

    made = document(("Summary", [("The force improved.", None)]))
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph = made.paragraphs[-1]._p
    paragraph.append(parse_xml(f'<w:moveFrom {w} w:id="1" w:author="A"><w:r><w:t xml:space='
                               '"preserve"> Moved away.</w:t></w:r></w:moveFrom>'))
    paragraph.append(parse_xml(f'<w:del {w} w:id="2" w:author="A"><w:r><w:delText>Deleted.'
                               '</w:delText></w:r></w:del>'))
    paragraph.append(parse_xml(f'<w:ins {w} w:id="3" w:author="A"><w:r><w:t xml:space='
                               '"preserve"> Inserted.</w:t></w:r></w:ins>'))
    made.save(tmp_path / "r.docx")
    record, notes = read(tmp_path / "r.docx")
    assert "The force improved. Inserted." in record.summary
    assert "Moved away" not in record.summary and "Deleted" not in record.summary
    assert any("tracked changes: read as if all were accepted" in n for n in notes)


def test_a_heading_keeps_its_level(tmp_path):
    made = document(("Summary", [("The force is good.", None)]))
    made.add_heading("Our approach", 3)  # under the summary: part of it
    made.add_paragraph("We read every finding.")
    made.add_heading("Chief Constable's response", 1)
    made.add_paragraph("We accept it.")
    made.save(tmp_path / "r.docx")
    record, _ = read(tmp_path / "r.docx")
    assert "Our approach" in record.summary and "We read every finding." in record.summary
    assert "We accept it." in record.chief_officer_response


def test_a_word_document_opening_with_its_title_style_takes_it_as_the_title(tmp_path):
    document = docx.Document()
    document.add_heading("PEEL 2023–25: An inspection of Anyshire Police", 0)  # Word's Title
    document.add_heading("Summary", 1)
    document.add_paragraph("The force is good.")
    document.save(str(tmp_path / "titled.docx"))
    record, _warnings = read(tmp_path / "titled.docx")
    assert record.title == "PEEL 2023–25: An inspection of Anyshire Police"
    assert record.summary == "<p>The force is good.</p>"
