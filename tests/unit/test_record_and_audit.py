"""Content hashing, s55(5B) checks and the audit hash chain, as pure logic."""

import subprocess
import sys
import unicodedata
from dataclasses import replace

from s55.domain import audit
from s55.domain.record import Answer, AnswerKind, Item
from s55.housestyle import parse_record
from s55.services.route import sign_off_blockers


def test_the_content_hash_ignores_unicode_composition_and_outer_whitespace(seed_text):
    r = parse_record(seed_text)
    decomposed = replace(r, title=unicodedata.normalize("NFD", r.title + " é") + "  ")
    composed = replace(r, title=r.title + " é")
    assert decomposed.content_hash() == composed.content_hash()
    assert composed.content_hash() != r.content_hash()


def test_every_recommendation_needs_an_answer_before_sign_off(seed_text):
    r = parse_record(seed_text).with_item("recommendations", Item("Do A")).with_item(
        "recommendations", Item("Do B"))
    r = r.with_answer(2, Answer(AnswerKind.NO_ACTION, "Already done"))
    assert [n for n, _ in r.unanswered_recommendations()] == [1]
    assert sign_off_blockers(r, True) == ["recommendation 1 has no answer: Do A"]
    assert sign_off_blockers(r, False) == []


def test_causes_of_concern_without_recommendations_are_flagged(seed_text):
    blockers = sign_off_blockers(parse_record(seed_text), True)
    assert len(blockers) == 1 and "2 causes of concern but no recommendations" in blockers[0]


def _chain(n):
    entries, prev = [], None
    for i in range(n):
        prev = audit.next_entry(prev, at=f"2022-09-{i + 1:02d}", actor="a@example.org",
                                role="opcc officer", acting_for="", action="edit", ref="R1",
                                version="v", details={"i": i})
        entries.append(prev)
    return entries


def test_an_intact_chain_verifies():
    entries = _chain(5)
    verdict = audit.verify(entries, head_seq=5, head_hash=entries[-1].hash)
    assert verdict.ok and verdict.count == 5


def test_altering_deleting_or_reordering_any_entry_names_the_first_bad_one():
    entries = _chain(5)
    head = dict(head_seq=5, head_hash=entries[-1].hash)
    altered = entries[:2] + [replace(entries[2], actor="mallory@example.org")] + entries[3:]
    assert audit.verify(altered, **head).first_bad_seq == 3
    assert audit.verify(entries[:1] + entries[2:], **head).first_bad_seq == 2
    assert audit.verify([entries[1], entries[0]] + entries[2:], **head).first_bad_seq == 1
    deleted_last = audit.verify(entries[:4], **head)
    assert not deleted_last.ok and deleted_last.first_bad_seq == 5


def test_the_domain_imports_no_framework():
    code = ("import sys, s55.domain.record, s55.domain.workflow, s55.domain.deadlines, "
            "s55.domain.audit, s55.domain.people;"
            "print(sorted(m for m in ('sqlalchemy','prefect','jinja2','aiosmtplib','fastapi','nh3')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
