"""`s55 import` as people call it: files in other encodings, wrong files, the same file twice,
--dry-run, and paths relative to where they are (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AUDITOR, OPCC, SEED

ROOT = Path(__file__).resolve().parents[2]


def s55(home, *argv, cwd=None, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    clean.update(S55_HOME=str(home), **env)
    return subprocess.run([sys.executable, "-m", "s55", *argv], env=clean, capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def imported(home, path, *more, **env) -> subprocess.CompletedProcess:
    return s55(home, "import", str(path), "--published-on", "2022-09-22", "--as", OPCC, *more,
               **env)


def reviews(home) -> list[dict]:
    return json.loads(s55(home, "list", "--json", "--as", AUDITOR).stdout or "[]")


@pytest.fixture
def seed(seed_text) -> str:
    return seed_text


def test_a_missing_path_is_no_such_file_with_exit_3(tmp_path):
    done = imported(tmp_path / "home", tmp_path / "nowhere.txt")
    assert done.returncode == 3
    assert done.stderr.strip() == f"s55: {tmp_path / 'nowhere.txt'}: no such file"


@pytest.mark.parametrize("make, said", [
    (lambda p: p.mkdir(), "is a folder; name the file to import"),
    (lambda p: p.write_text("  \n\n"), "is empty"),
    (lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01\x00" * 50), "is not text (it holds NUL bytes)"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100), "is a zip file but not a Word"),
    (lambda p: p.write_bytes(b"x" * (1024 * 1024 + 10)), "is 1.0 MB; the most an import takes is 1 MB"),
])
def test_a_file_that_is_not_a_record_is_refused_by_name_and_nothing_stored(tmp_path, make, said):
    home, path = tmp_path / "home", tmp_path / "record.txt"
    make(path)
    done = imported(home, path, S55_IMPORT_MAX_MB="1")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"s55: {path}: {said}" or \
        done.stderr.startswith(f"s55: {path}: {said}")
    assert reviews(home) == []


@pytest.mark.parametrize("encoding, said", [
    ("cp1252", "not UTF-8, read as Windows-1252"),
    ("utf-16", "read as UTF-16"),
    ("utf-8-sig", None),
])
def test_word_s_text_encodings_are_read_and_said(tmp_path, seed, encoding, said):
    home, path = tmp_path / "home", tmp_path / "record.txt"
    path.write_bytes(seed.encode(encoding))
    done = imported(home, path)
    assert done.returncode == 0, done.stderr
    assert (said in done.stderr) if said else "note:" not in done.stderr
    utf8 = tmp_path / "utf8.txt"
    utf8.write_text(seed, encoding="utf-8")
    again = imported(home, utf8)  # the same words, whatever the bytes: the same review
    assert again.returncode == 8 and done.stdout.strip() in again.stderr


def test_the_same_record_twice_is_refused_naming_the_review_unless_again(tmp_path):
    home = tmp_path / "home"
    first = imported(home, SEED)
    assert first.returncode == 0 and first.stdout.strip() == "S55-2022-0001"
    second = imported(home, SEED)
    assert second.returncode == 8
    assert "this record is already S55-2022-0001" in second.stderr and "--again" in second.stderr
    assert len(reviews(home)) == 1
    third = imported(home, SEED, "--again")
    assert third.returncode == 0 and third.stdout.strip() == "S55-2022-0002"


def test_dry_run_says_where_every_word_goes_and_stores_nothing(tmp_path):
    home = tmp_path / "home"
    done = imported(home, SEED, "--dry-run")
    assert done.returncode == 0
    assert "would open a review of Staffordshire" in done.stdout
    assert "areas_for_improvement        26 items" in done.stdout
    assert "chief_officer_response" in done.stdout and "nothing stored" in done.stdout
    # and where: each field's first words, every item's, under its area
    assert "1. The force needs to improve the time it takes to ...  [Providing a Service to " \
        "Victims of Crime: Crime data integrity]" in done.stdout
    assert reviews(home) == []
    real = imported(home, SEED)  # a real import prints the same summary, beside the reference
    assert "areas_for_improvement        26 items" in real.stderr


def test_text_that_would_be_lost_refuses_the_import_with_its_lines(tmp_path, seed):
    home, path = tmp_path / "home", tmp_path / "record.txt"
    path.write_text(seed.replace("Version:", "Version:\n\nDraft 3 - do not circulate beyond the "
                                 "OPCC.", 1), encoding="utf-8")
    done = imported(home, path)
    assert done.returncode == 2
    assert "1 passage would not be kept, so nothing was imported" in done.stderr
    assert "line 7: Draft 3 - do not circulate" in done.stderr
    assert reviews(home) == []


def test_relative_paths_are_the_callers_through_dev(tmp_path):
    """`./dev s55 import record.txt` from the person's own folder."""
    if not (ROOT / ".venv" / "bin" / "s55").exists():
        pytest.skip("./dev has not set up .venv here")
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "record.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(tmp_path / "home")
    done = subprocess.run([str(ROOT / "dev"), "s55", "import", "record.txt", "--published-on",
                           "2022-09-22", "--as", OPCC], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    bundle = subprocess.run([str(ROOT / "dev"), "s55", "audit", "export", "S55-2022-0001", "-o",
                             "bundle", "--as", AUDITOR], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=120)
    assert bundle.returncode == 0, bundle.stderr
    assert (folder / "bundle" / "verify.py").exists()


FREE_TEXT = """# Anyshire OPCC: response to the PEEL report

## Summary
The force is adequate at most things.

## Areas for improvement
1. The force should improve how quickly it answers 101 calls.
   Calls waited longer than ten minutes at weekends.

## PCC response
I welcome the report.

## Chief Constable's response
We accept the findings.
"""


def test_free_text_from_another_office_imports_with_the_gaps_filled_from_options(tmp_path):
    home, path = tmp_path / "home", tmp_path / "response.md"
    path.write_text(FREE_TEXT, encoding="utf-8")
    # its opening heading is taken for the title, and it says so; given another title, the
    # heading is text to place, and is refused naming it until it has a place
    titled = imported(home, path, "--dry-run")
    assert titled.returncode == 0 and "note: the title is the document's first line, 'Anyshire " \
        "OPCC: response to the PEEL report' (give --title for another)" in titled.stderr
    refused = imported(home, path, "--title", "PEEL 2023: Anyshire")
    assert refused.returncode == 2
    assert "line 1: Anyshire OPCC: response to the PEEL report" in refused.stderr
    done = imported(home, path, "--rest-to", "summary", "--title", "PEEL 2023: Anyshire",
                    "--force", "Anyshire Police")
    assert done.returncode == 0, done.stderr
    shown = json.loads(s55(home, "show", done.stdout.strip(), "--json", "--as", AUDITOR).stdout)
    assert (shown["force"], shown["title"]) == ("Anyshire Police", "PEEL 2023: Anyshire")
    assert shown["counts"]["areas_for_improvement"] == 1
    assert "areas_for_improvement         1 items, 18 words" in done.stderr


def word_document(path: Path, *, preamble: str = "", text_box: str = "") -> Path:
    """A response as an office writes it in Word: headings, numbered and bulleted lists with
    explanatory paragraphs, a grades table."""
    import docx

    document = docx.Document()
    if preamble:
        document.add_paragraph(preamble)
    document.add_heading("Title of inspection", 1)
    document.add_paragraph("PEEL 2023–25: an inspection of Anyshire Police")
    document.add_heading("1. Summary", 1)
    document.add_paragraph("HMICFRS found the force adequate in most areas.")
    document.add_heading("2. Grades", 1)
    table = document.add_table(rows=3, cols=2)
    for row, (area, grade) in zip(table.rows, [("Area", "Grade"),
                                               ("Investigating crime", "Inadequate"),
                                               ("Responding to the public", "Adequate")]):
        row.cells[0].text, row.cells[1].text = area, grade
    document.add_heading("3. Areas for improvement", 1)
    document.add_paragraph("The force should improve how quickly it answers 101 calls.",
                           style="List Number")
    document.add_paragraph("Calls waited longer than ten minutes at weekends.")
    document.add_paragraph("The force should review its use of stop and search.",
                           style="List Number")
    document.add_heading("4. Recommendations", 1)
    document.add_paragraph("By March 2024, the force should publish its crime data plan.",
                           style="List Bullet")
    document.add_paragraph("including its outcomes data", style="List Bullet 2")  # a sub-point
    document.add_heading("5. The PCC’s response", 1)
    document.add_paragraph("I welcome the report and its findings.")
    document.add_heading("6. Chief Constable’s response", 1)
    document.add_paragraph("We accept the findings and have a plan.")
    if text_box:  # a text box, as Word writes one, inside the last paragraph
        from docx.oxml import parse_xml

        run = document.paragraphs[-1].add_run()
        run._r.append(parse_xml(
            '<w:pict xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><v:textbox><w:txbxContent>'
            f'<w:p><w:r><w:t>{text_box}</w:t></w:r></w:p></w:txbxContent></v:textbox>'
            '</v:shape></w:pict>'))
    document.save(str(path))
    return path


def test_a_word_document_imports_with_every_word_placed(tmp_path):
    home = tmp_path / "home"
    path = word_document(tmp_path / "response.docx")
    done = imported(home, path)
    assert done.returncode == 0, done.stderr
    assert "its first row (Area | Grade) read as the table's headings" in done.stderr
    shown = json.loads(s55(home, "show", done.stdout.strip(), "--json", "--as", AUDITOR).stdout)
    assert shown["title"] == "PEEL 2023–25: an inspection of Anyshire Police"
    assert shown["counts"] == {"recommendations": 1, "causes_of_concern": 0,
                               "areas_for_improvement": 2, "grades": 2}
    exported = s55(home, "export", done.stdout.strip(), "--as", AUDITOR).stdout
    assert ("The force should improve how quickly it answers 101 calls. Calls waited longer "
            "than ten minutes at weekends.") in exported
    assert "Investigating crime – Inadequate" in exported
    assert "I welcome the report and its findings." in exported
    assert "publish its crime data plan.; including its outcomes data" in exported


def test_a_word_paragraph_under_no_heading_is_named_by_its_paragraph(tmp_path):
    path = word_document(tmp_path / "response.docx", preamble="DRAFT – not for circulation")
    done = imported(tmp_path / "home", path)
    assert done.returncode == 2
    assert "paragraph 1: DRAFT – not for circulation" in done.stderr
    assert reviews(tmp_path / "home") == []


def test_text_in_a_word_text_box_is_not_dropped_without_a_word(tmp_path):
    path = word_document(tmp_path / "response.docx", text_box="Quote from the Chief Constable")
    done = imported(tmp_path / "home", path)
    assert done.returncode == 2
    assert "a text box: Quote from the Chief Constable" in done.stderr
    assert reviews(tmp_path / "home") == []


def test_an_old_word_file_is_refused_with_the_way_round(tmp_path):
    path = tmp_path / "response.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 600)
    done = imported(tmp_path / "home", path)
    assert done.returncode == 2 and "old Word (.doc) file; save it as .docx" in done.stderr


def test_a_draft_is_corrected_from_a_document_in_one_command(tmp_path):
    home = tmp_path / "home"
    ref = imported(home, SEED).stdout.strip()
    added = s55(home, "add-item", ref, "--kind", "recommendations", "--text", "Do A", "--text",
                "Do B", "--no-wait", "--as", OPCC)
    assert added.returncode == 0 and f"{ref}: 2 added" in added.stdout
    trail = json.loads(s55(home, "audit", ref, "--json", "--as", AUDITOR).stdout)
    assert trail[-1]["action"] == "edit content" and trail[-1]["details"]["text"] == ["Do A",
                                                                                      "Do B"]
    draft = tmp_path / "draft.txt"
    draft.write_text(s55(home, "export", ref, "--as", AUDITOR).stdout.replace(
        "- Do B", "- Do B better, by March"), encoding="utf-8")
    done = s55(home, "edit", ref, "--from", str(draft), "--no-wait", "--as", OPCC)
    assert done.returncode == 0, done.stderr
    assert "- - Do B" in done.stdout and "+ - Do B better, by March" in done.stdout
    assert "Version:" not in done.stdout
    shown = json.loads(s55(home, "show", ref, "--json", "--as", AUDITOR).stdout)
    assert [r["text"] for r in shown["recommendations"]] == ["Do A", "Do B better, by March"]
    same = s55(home, "edit", ref, "--from", str(draft), "--no-wait", "--as", OPCC)
    assert "holds the draft as it is; nothing changed" in same.stdout
    mixed = s55(home, "edit", ref, "--from", str(draft), "--field", "summary", "--as", OPCC)
    assert mixed.returncode == 2 and "s55: --from: replaces the whole draft" in mixed.stderr


def test_a_pre_2017_report_and_a_hostile_document(tmp_path):
    home, path = tmp_path / "home", tmp_path / "old.md"
    path.write_text(FREE_TEXT.replace("# Anyshire OPCC: response to the PEEL report\n", ""),
                    encoding="utf-8")
    old = s55(home, "import", str(path), "--published-on", "2016-03-01", "--title",
              "PEEL 2015: Anyshire", "--as", OPCC)
    assert old.returncode == 0, old.stderr
    shown = json.loads(s55(home, "show", old.stdout.strip(), "--json", "--as", AUDITOR).stdout)
    assert shown["statutory_last_day"] is None  # s55(5A) applies to reports from 2 May 2017
    assert shown["progress"] == "no statutory deadline"

    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        "## Summary\n<script>alert('x')</script>A summary\x1b[31m with \u202eoverride.\n\n"
        "## Recommendations\n- <img src=x onerror=alert(1)>Publish the plan.\n\n"
        "## PCC response\n" + ("Long " * 5000) + "\n", encoding="utf-8")
    done = s55(home, "import", str(hostile), "--published-on", "2023-05-10", "--title", "T",
               "--as", OPCC)
    assert done.returncode == 0, done.stderr
    exported = s55(home, "export", done.stdout.strip(), "--as", AUDITOR).stdout
    for bad in ("\x1b", "\u202e"):  # control and override characters go
        assert bad not in exported
    # free text is text: what looks like markup is kept as characters, and is inert, escaped,
    # wherever the record is shown as HTML
    assert "<script>alert('x')</script>A summary" in exported
    assert "- <img src=x onerror=alert(1)>Publish the plan." in exported
    assert exported.count("Long") == 5000
    from s55.services import reading
    from tests.conftest import make_ctx

    stored = reading.record(make_ctx(home), actor=AUDITOR, ref=done.stdout.strip())
    assert "&lt;script&gt;" in stored.summary and "<script" not in stored.summary


def test_a_table_of_recommendations_and_responses_imports_each_answer(tmp_path):
    """Offices often answer in a table: one row per recommendation, a column for the PCC's
    response and one for the force's, a number and a lead beside them."""
    import docx

    document = docx.Document()
    document.add_heading("Title of inspection", 1)
    document.add_paragraph("An inspection of vetting in Anyshire Police")
    document.add_heading("Recommendations", 1)
    rows = [("No.", "Recommendation", "Lead", "PCC response", "Force response"),
            ("1", "By May 2024, the force should vet all staff again.", "ACC Jones",
             "I have asked for monthly updates.", "A vetting team is in place."),
            ("2", "The force should record vetting decisions.", "", "", "Done in March.")]
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_heading("Chief Constable's response", 1)
    document.add_paragraph("We accept every recommendation.")
    path = tmp_path / "vetting.docx"
    document.save(str(path))
    home = tmp_path / "home"

    refused = imported(home, path)
    assert refused.returncode == 2
    assert "s55: --answer-kind: 2 responses do not say their kind" in refused.stderr
    assert "recommendation 1: 'By May 2024, the force should vet all staff again....'" \
        in refused.stderr
    assert reviews(home) == []

    done = imported(home, path, "--answer-kind", "action-proposed")
    assert done.returncode == 0, done.stderr
    assert "table 1: read as one item per row" in done.stderr
    shown = json.loads(s55(home, "show", done.stdout.strip(), "--json", "--as", AUDITOR).stdout)
    first, second = shown["recommendations"]
    assert first["text"] == ("By May 2024, the force should vet all staff again. (Lead: ACC "
                             "Jones)")
    assert first["answer"] == {"kind": "action proposed", "text": (
        "I have asked for monthly updates. Force response: A vetting team is in place.")}
    # only the force answered this one: its answer says so
    assert second["answer"] == {"kind": "action proposed",
                                "text": "Force response: Done in March."}
