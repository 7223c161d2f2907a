"""Import accounts for every word: the house style as offices really type it, and refusals
that list what could not be placed (issue 10)."""

from __future__ import annotations

import pytest

from s55.domain.errors import InvalidInput
from s55.housestyle import LostText, content_words, format_record, parse_record


def record_with(seed: str, afis: str | None = None, recs: str | None = None) -> str:
    """The seed with its Areas for improvement or Recommendations field replaced."""
    head, _, rest = seed.partition("Recommendations\t")
    old_recs, _, rest = rest.partition("Areas for improvement\t")
    old_afis, _, tail = rest.partition("\nPolice Crime and Commissioner's initial response")
    return (f"{head}Recommendations\t{old_recs if recs is None else recs + chr(10)}"
            f"Areas for improvement\t{old_afis if afis is None else afis + chr(10)}"
            f"\nPolice Crime and Commissioner's initial response{tail}")


def assert_every_word_kept(text: str):
    record = parse_record(text)
    missing = content_words(text) - content_words(format_record(record))
    assert not missing, missing
    return record


def test_the_seed_keeps_every_word(seed_text):
    assert_every_word_kept(seed_text)


def test_numbered_areas_for_improvement_and_their_paragraphs_are_items(seed_text):
    afis = ("Responding to the public – Inadequate\n"
            "1. The force needs to answer 999 calls faster.\n"
            "It missed its target in six of twelve months, and the gap is widest at night.\n"
            "2) The force should publish its attendance times.\n"
            "(a) The force should review call handling training.\n"
            "AFI 4 The force should audit its control room staffing.")
    record = assert_every_word_kept(record_with(seed_text, afis=afis))
    texts = [i.text for i in record.areas_for_improvement]
    assert texts == [
        "The force needs to answer 999 calls faster. It missed its target in six of twelve "
        "months, and the gap is widest at night.",
        "The force should publish its attendance times.",
        "The force should review call handling training.",
        "The force should audit its control room staffing."]
    assert {i.area for i in record.areas_for_improvement} == {"Responding to the public"}


def test_a_paragraph_after_a_bullet_belongs_to_it(seed_text):
    afis = ("Investigating crime – Inadequate\n"
            "- The force needs to supervise investigations better.\n"
            "Supervisors reviewed only 40 of 90 files we looked at.\n"
            "• The force should improve victim updates.")
    record = assert_every_word_kept(record_with(seed_text, afis=afis))
    assert record.areas_for_improvement[0].text.endswith("only 40 of 90 files we looked at.")
    assert len(record.areas_for_improvement) == 2


def test_recommendations_in_prose_are_kept_as_text_not_invented(seed_text):
    prose = ("By 31 March 2023, the force should review how it answers calls. It should "
             "also make sure that every victim is told what happens next.")
    warnings: list[str] = []
    text = record_with(seed_text, recs=prose)
    record = parse_record(text, warnings)
    assert record.recommendations == ()
    assert "every victim is told what happens next" in record.summary
    assert len(warnings) == 1 and "is prose" in warnings[0] and "line 14" in warnings[0]
    assert not content_words(text) - content_words(format_record(record))


def test_marked_recommendations_are_items_with_their_paragraphs(seed_text):
    recs = ("Recommendation 1: By March 2023 the force should review call handling.\n"
            "This should include the out-of-hours desk.\n"
            "Recommendation 2: The force should publish attendance times.")
    record = assert_every_word_kept(record_with(seed_text, recs=recs))
    assert [r.text for r in record.recommendations] == [
        "By March 2023 the force should review call handling. This should include the "
        "out-of-hours desk.", "The force should publish attendance times."]


def test_text_that_cannot_be_placed_refuses_the_import_and_lists_it(seed_text):
    stray = seed_text.replace("Version:", "Version:\n\nNote to the Commissioner: read the "
                              "attached letter from the Chief Constable first.", 1)
    with pytest.raises(LostText) as refusal:
        parse_record(stray)
    [(line, start)] = refusal.value.passages
    assert line == 7 and start.startswith("Note to the Commissioner")
    assert "nothing was imported" in str(refusal.value)


def test_a_label_given_twice_is_refused_naming_both_lines(seed_text):
    twice = seed_text.replace("Grade\tRequires Improvement",
                              "Grade\tRequires Improvement\nGrade\tGood", 1)
    with pytest.raises(InvalidInput) as refusal:
        parse_record(twice)
    assert refusal.value.field == "Grade"
    assert "appears twice, on lines 13 and 14" in refusal.value.rule


def test_every_missing_part_is_named_at_once(seed_text):
    lines = [ln for ln in seed_text.splitlines()
             if not ln.startswith(("Grade\t", "Inspectorate\t", "Chief Constable’s response"))]
    with pytest.raises(InvalidInput) as refusal:
        parse_record("\n".join(lines))
    rule = refusal.value.rule
    assert rule.startswith("3 required parts are missing: Inspectorate; Grade; chief officer's "
                           "response")
    assert "s55 open" in rule
