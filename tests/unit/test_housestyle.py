"""Reading and writing the house-style record (the real Staffordshire record as test data)."""

import re

import pytest

from s55.domain.errors import InvalidInput
from s55.domain.record import Answer, AnswerKind, Item
from s55.housestyle import format_record, parse_record


def test_the_staffordshire_record_is_read_field_by_field(seed_text):
    r = parse_record(seed_text)
    assert r.force == "Staffordshire"
    assert (r.local_policing_body.title, r.local_policing_body.name) == \
        ("Police and Crime Commissioner", "Ben Adams")
    assert (r.chief_officer.title, r.chief_officer.name) == ("Chief Constable", "Chris Noble")
    assert r.title == "PEEL INSPECTION REPORT – STAFFORDSHIRE POLICE"
    assert r.inspectorates == (
        "His Majesty's Inspectorate of Constabulary and Fire & Rescue Services",)
    assert r.recommendations == ()  # the seed's field is empty: nothing is invented


def test_grades_are_area_grade_pairs_including_the_single_overall_grade(seed_text):
    grades = [(g.area, g.grade) for g in parse_record(seed_text).grades]
    assert grades[0] == ("", "Requires improvement")
    assert ("Responding to the public", "Inadequate") in grades
    assert ("Preventing crime and anti-social behaviour", "Adequate") in grades
    assert len(grades) == 10


def test_causes_of_concern_and_areas_for_improvement_become_items_under_their_area(seed_text):
    r = parse_record(seed_text)
    assert [(c.area, c.text[:40]) for c in r.causes_of_concern] == [
        ("Responding to the public", "Staffordshire Police needs to improve ho"),
        ("Investigating crime", "The force needs to make sure that it car"),
    ]
    assert len(r.areas_for_improvement) == 26
    first = r.areas_for_improvement[0]
    assert first.area == "Providing a Service to Victims of Crime: Crime data integrity"
    assert first.text == "The force needs to improve the time it takes to record crimes"
    assert all("**" not in i.text and not i.text.startswith("-") for i in r.areas_for_improvement)


def test_narrative_sections_keep_their_paragraphs_and_bullets(seed_text):
    r = parse_record(seed_text)
    assert r.initial_response.startswith("<p>Staffordshire Commissioner for Police, Fire &amp;")
    assert "<ul><li>We work with partners to prevent crime" in r.chief_officer_response
    assert r.overall_comments.count("<p>") == 4
    assert "<ul><li>The force needs to improve how it identifies" in r.summary
    assert "style=" not in r.summary


def test_export_then_import_gives_the_same_content_hash(seed_text):
    r = parse_record(seed_text)
    r = r.with_item("recommendations", Item("Within three months, the force should - Review X"))
    r = r.with_answer(1, Answer(AnswerKind.ACTION_PROPOSED, "A plan - Phase one by March"))
    again = parse_record(format_record(r, version=r.content_hash()))
    assert again.content_hash() == r.content_hash()
    assert again.recommendations[0].answer.kind == AnswerKind.ACTION_PROPOSED


def test_hostile_html_in_a_field_comes_out_inert(seed_text):
    hostile = seed_text.replace(
        "<p>The report highlights",
        '<script>alert(1)</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a><p onclick="alert(4)">The report highlights')
    summary = parse_record(hostile).summary
    tags = re.findall(r"<[^>]*>", summary)  # what a browser would act on
    for bad in ("script", "onerror", "javascript:", "onclick", "img"):
        assert not any(bad in tag for tag in tags), (bad, tags)
    assert "<p>The report highlights" in summary
    # a tag the record does not keep is text, shown as typed: its words are not dropped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary
    assert '&lt;img src=x onerror="alert(2)"&gt;' in summary


@pytest.mark.parametrize("label", ["Force", "Title of inspection", "Grade",
                                   "Areas for improvement", "Recommendations"])
def test_a_record_missing_a_required_field_is_refused_naming_it(seed_text, label):
    lines = [ln for ln in seed_text.splitlines() if not ln.startswith(label + "\t")]
    with pytest.raises(InvalidInput) as refusal:
        parse_record("\n".join(lines))
    assert refusal.value.field == label


def test_a_missing_narrative_section_is_refused(seed_text):
    text = seed_text.replace("Chief Constable’s response", "Some other words here")
    with pytest.raises(InvalidInput, match="chief officer's response"):
        parse_record(text)


def test_a_grade_off_the_scale_is_refused_naming_the_field(seed_text):
    text = seed_text.replace("Grade\tRequires Improvement", "Grade\tMostly fine")
    with pytest.raises(InvalidInput) as refusal:
        parse_record(text)
    assert refusal.value.field == "Grade" and "Mostly fine" in refusal.value.rule


def test_angle_brackets_and_comments_typed_in_the_house_style_are_kept(seed_text):
    """Text that looks like markup but is not a tag a record keeps ('<opcc@example.org>',
    'x<y', an HTML comment) is text: kept, shown as typed, and kept again on re-import."""
    typed = seed_text.replace(
        "<p>The report highlights",
        "<p>Write to <opcc@example.org>; x<y. <!-- a note --> The report highlights")
    record = parse_record(typed)
    assert "&lt;opcc@example.org&gt;; x&lt;y. &lt;!-- a note --&gt;" in record.summary
    assert parse_record(format_record(record)) == record
