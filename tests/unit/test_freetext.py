"""Responses as other offices lay them out, read through the heading map (config/headings.yaml):
each layout keeps every word, or the import is refused with the lines it could not place."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from s55.domain.errors import InvalidInput
from s55.domain.record import Answer, AnswerKind, OfficeHolder
from s55.freetext import (
    Defaults, heading_map, heading_split, normalise, parse_free_text, words,
)
from s55.housestyle import LostText, answer_kind, format_record, parse_record

CONFIG = Path(__file__).resolve().parents[2] / "config"
OFFICE = Defaults("Anyshire Police", OfficeHolder("Police and Crime Commissioner", "Pat Doe"),
                  OfficeHolder("Chief Constable", "Sam Roe"),
                  inspectorates=("His Majesty's Inspectorate of Constabulary and Fire & Rescue "
                                 "Services",))
HEADINGS = heading_map(CONFIG, OFFICE)


def read(text: str, title: str = "", **options):
    """The record, and the warnings; and, independently of the reader's own check, the words
    of the document (headings aside) against the words of the record as exported."""
    warnings: list[str] = []
    office = replace(OFFICE, title=title) if title else OFFICE
    record = parse_free_text(text, HEADINGS, office, warnings=warnings, **options)
    body = Counter(w for line in text.splitlines()
                   for w in words(heading_split(line, HEADINGS)[1]))
    exported = Counter(w for line in format_record(record).splitlines() for w in words(line))
    assert not body - exported, "a word was lost"
    return record, warnings


MARKDOWN = """## Title
PEEL 2023–25: an inspection of Anyshire Police

## Summary of inspection
The force is adequate at most things.

## Areas for improvement
1. The force should improve how quickly it answers 101 calls.
   Calls waited longer than ten minutes at weekends.
2. The force should review its use of stop and search.

## Recommendations
- By March 2024, the force should publish its crime data plan.

## The PCC's response
I welcome the report.

## Chief Constable's Response
We accept the findings.

## Overall comments
I will hold the Chief Constable to account.
"""

LABELS = """Title: Inspection of custody arrangements in Anyshire
Inspectorate: HMICFRS; Care Quality Commission
Summary: The inspection found custody safe but with gaps in healthcare.
Causes of concern:
(a) Detainees waited too long for healthcare.
Recommendations:
Recommendation 1: The force should make sure that healthcare is provided within an hour.
Recommendation 2: The force should review its anti-ligature work.
Police and Crime Commissioner's comments: I accept the recommendations.
Chief Constable's comments: The force has a plan.
Conclusion: The OPCC will monitor the plan quarterly.
"""

NUMBERED_HEADINGS = """1. Introduction
HMICFRS inspected the force's response to domestic abuse.

2. Areas for Improvement
• AFI 1 The force should improve risk assessments.
• AFI 2 The force should train call handlers.

3. Response from the Police and Crime Commissioner
I am pleased with the progress.

4. Force response
The force welcomes the report.
"""

NO_RECOMMENDATIONS = """**Summary**
A thematic report with no recommendations for Anyshire.

**PCC response**
Noted; no recommendations were made to the force.

**Chief Constable response**
Noted.
"""


def test_markdown_headings_numbered_items_and_their_paragraphs():
    record, warnings = read(MARKDOWN)
    assert record.title == "PEEL 2023–25: an inspection of Anyshire Police"
    assert record.force == "Anyshire Police"  # not in the document: the office's own
    assert [i.text for i in record.areas_for_improvement] == [
        "The force should improve how quickly it answers 101 calls. Calls waited longer than "
        "ten minutes at weekends.", "The force should review its use of stop and search."]
    assert [r.text for r in record.recommendations] == [
        "By March 2024, the force should publish its crime data plan."]
    assert "I welcome the report." in record.initial_response
    assert "We accept the findings." in record.chief_officer_response
    assert "hold the Chief Constable to account" in record.overall_comments
    assert warnings == []


def test_label_colon_style_with_values_on_the_same_line():
    record, _ = read(LABELS)
    assert record.inspectorates == ("HMICFRS", "Care Quality Commission")
    assert [c.text for c in record.causes_of_concern] == [
        "Detainees waited too long for healthcare."]
    assert len(record.recommendations) == 2
    assert "monitor the plan quarterly" in record.overall_comments


def test_numbered_headings_and_the_offices_own_titles(tmp_path):
    record, _ = read(NUMBERED_HEADINGS, title="Domestic abuse: Anyshire")
    assert [i.text for i in record.areas_for_improvement] == [
        "The force should improve risk assessments.", "The force should train call handlers."]
    assert "pleased with the progress" in record.initial_response
    assert "welcomes the report" in record.chief_officer_response


def test_a_response_with_no_recommendations():
    with pytest.raises(InvalidInput, match="--title"):
        read(NO_RECOMMENDATIONS)
    record, _ = read(NO_RECOMMENDATIONS, title="Thematic: vetting")
    assert record.recommendations == () and "no recommendations were made" in \
        record.initial_response


def test_recommendations_in_prose_are_kept_as_text_with_a_warning():
    text = MARKDOWN.replace("- By March 2024, the force should publish its crime data plan.",
                            "The force should publish its plan, and it should do so soon.")
    record, warnings = read(text)
    assert record.recommendations == ()
    assert "publish its plan, and it should do so soon" in record.summary
    assert any("recommendations are written as prose" in w for w in warnings)


def test_text_under_no_heading_is_refused_or_goes_where_asked():
    text = "Anyshire OPCC response, final draft\n\n" + MARKDOWN
    with pytest.raises(LostText) as refusal:
        read(text)
    assert refusal.value.passages == [(1, "Anyshire OPCC response, final draft")]
    record, _ = read(text, rest_to="summary")
    assert "final draft" in record.summary


def test_a_heading_given_twice_is_refused_naming_both_lines():
    with pytest.raises(InvalidInput, match="the summary heading appears twice, on line 4 and line 21"):
        read(MARKDOWN.replace("## Overall comments", "## Summary of inspection"))


def test_headings_match_without_case_numbering_or_punctuation():
    for written in ("3.2 The PCC’s Response:", "PCC RESPONSE", "## pcc's response",
                    "(b) Police and Crime Commissioner's Response"):
        assert HEADINGS[normalise(written)] == "initial_response", written
    assert HEADINGS[normalise("AFIs")] == "areas_for_improvement"


def test_an_office_extends_the_map(tmp_path):
    (tmp_path / "headings.yaml").write_text(
        (CONFIG / "headings.yaml").read_text() + "\n" + "# ours\n", encoding="utf-8")
    custom = (tmp_path / "headings.yaml").read_text().replace(
        "chief_officer_response: [", "chief_officer_response: [the force's reply, ")
    (tmp_path / "headings.yaml").write_text(custom, encoding="utf-8")
    mine = heading_map(tmp_path, OFFICE)
    assert mine[normalise("The Force’s Reply")] == "chief_officer_response"
    (tmp_path / "headings.yaml").write_text("summary: [x]\nvibes: [y]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="vibes: is not a field"):
        heading_map(tmp_path, OFFICE)


def test_what_an_attacker_found_in_other_offices_layouts():
    """Each of these once imported with words lost, moved or invented."""
    # an address in angle brackets is text, not a tag to strip
    record, _ = read(MARKDOWN.replace("I welcome the report.",
                                      "Contact Jane Smith <jane.smith@opcc.example.org>."))
    assert "&lt;jane.smith@opcc.example.org&gt;" in record.initial_response
    # ' - ' inside a sentence is a dash, not a second recommendation
    record, _ = read(MARKDOWN.replace(
        "- By March 2024, the force should publish its crime data plan.",
        "- The force should set up a new unit - Operation Fortis - to attend calls."))
    assert len(record.recommendations) == 1
    # a sentence that ends 'requires improvement' is part of its item, not a new grade
    record, _ = read(MARKDOWN.replace(
        "Calls waited longer than ten minutes at weekends.",
        "The inspectorate said that crime recording requires improvement."))
    assert record.grades == () and "requires improvement" in \
        record.areas_for_improvement[0].text
    # 'Areas for improvement (AFIs)' is the AFIs heading, and '1.1' and '➢' mark items
    record, _ = read(MARKDOWN.replace("## Areas for improvement", "## Areas for improvement (AFIs)")
                     .replace("1. The force should improve", "1.1 The force should improve")
                     .replace("2. The force should review", "➢ The force should review"))
    assert len(record.areas_for_improvement) == 2
    # 'Recommendation 1' alone on its line, its text on the next
    record, _ = read(MARKDOWN.replace(
        "- By March 2024,", "Recommendation 1\nBy March 2024,"))
    assert [r.text for r in record.recommendations] == [
        "By March 2024, the force should publish its crime data plan."]
    # a paragraph that starts with a number is not an item
    record, _ = read(MARKDOWN.replace("The force is adequate at most things.",
                                      "The force is adequate.\n\n5 officers were interviewed."))
    assert "5 officers were interviewed." in record.summary


def test_a_document_with_no_heading_we_know_says_so():
    with pytest.raises(InvalidInput, match="none of the document's headings is one s55 knows"):
        read("Dear Commissioner,\n\nThank you for the report.\n")


def test_a_label_inside_a_paragraph_is_not_a_heading_in_a_headed_document():
    record, _ = read(MARKDOWN.replace(
        "I welcome the report.",
        "I welcome the report.\nBackground: in 2021 the force changed its model.\n"
        "- Force area: Anyshire and Anytown, 1,900 officers."))
    assert "Background: in 2021 the force changed its model." in record.initial_response
    assert "Force area: Anyshire and Anytown" in record.initial_response
    assert record.force == "Anyshire Police" and "2021" not in record.summary


def test_a_one_line_field_takes_its_line_and_no_more():
    text = LABELS.replace("Title: Inspection of custody arrangements in Anyshire",
                          "Summary: A first summary line.\n"
                          "Title: Inspection of custody arrangements in Anyshire\n"
                          "Arolygiad o drefniadau dalfa yn Anyshire.").replace(
        "Summary: The inspection found", "The inspection found")
    record, _ = read(text)
    assert record.title == "Inspection of custody arrangements in Anyshire"
    assert "Arolygiad o drefniadau dalfa" in record.summary  # back to the section before


def test_sub_points_belong_to_their_item():
    record, _ = read(MARKDOWN.replace(
        "- By March 2024, the force should publish its crime data plan.",
        "- By March 2024, the force should publish its crime data plan, covering:\n"
        "    - recorded crime\n    - outcomes\n- The force should train its staff."))
    assert [r.text for r in record.recommendations] == [
        "By March 2024, the force should publish its crime data plan, covering: recorded "
        "crime; outcomes", "The force should train its staff."]


def test_two_headings_of_one_field_are_read_as_one_and_an_unknown_heading_is_text():
    text = MARKDOWN.replace("## Summary of inspection\nThe force is adequate at most things.",
                            "## Introduction\nHMICFRS inspected the force.\n\n"
                            "## Background\nThe force is adequate at most things.\n\n"
                            "### Our approach to the findings\nWe read every finding.")
    record, _ = read(text)
    summary = record.summary
    assert "HMICFRS inspected the force." in summary and "adequate at most things" in summary
    assert "Our approach to the findings" in summary and "##" not in summary


RESPONSES = """## Recommendations
Recommendation 1: By June 2023, the force should improve its call handling.
Response: The force has appointed a lead for call handling.
It will report to the accountability board in July.

Recommendation 2: The force should review its custody healthcare.
Action taken: A review was completed in May and its actions are done.

## Areas for improvement
1. The force should improve how it records crime.
PCC response:
I will monitor crime recording quarterly.

Force response: An audit team is in place.
2. The force should review stop and search.

## PCC response
I welcome the report.
"""


def test_a_response_under_each_item_is_its_answer_once_its_kind_is_known():
    with pytest.raises(InvalidInput, match="answer_kind") as refused:
        read(RESPONSES, title="PEEL: Anyshire")
    said = str(refused.value)
    assert "2 responses do not say their kind" in said
    assert "recommendation 1: 'By June 2023, the force should improve its call" in said
    assert "area for improvement 1: 'The force should improve how it records crime.'" in said
    assert "recommendation 2" not in said  # 'Action taken:' says its own kind

    record, _ = read(RESPONSES, title="PEEL: Anyshire", answer_kind=AnswerKind.ACTION_PROPOSED)
    first, second = record.recommendations
    assert first.text == "By June 2023, the force should improve its call handling."
    assert first.answer == Answer(AnswerKind.ACTION_PROPOSED,
                                  "The force has appointed a lead for call handling. It will "
                                  "report to the accountability board in July.")
    assert second.answer == Answer(AnswerKind.ACTION_TAKEN,
                                   "A review was completed in May and its actions are done.")
    afi, afi2 = record.areas_for_improvement
    assert afi.text == "The force should improve how it records crime."
    # 'PCC response:' alone, its paragraph, then the force's: both kept, the second labelled
    assert afi.answer.text == ("I will monitor crime recording quarterly. Force response: An "
                               "audit team is in place.")
    assert afi2.answer is None and afi2.text == "The force should review stop and search."
    assert "I welcome the report." in record.initial_response
    assert record.unanswered_recommendations() == []


def test_answers_survive_export_and_import_again():
    record, _ = read(RESPONSES, title="PEEL: Anyshire", answer_kind=AnswerKind.NO_ACTION)
    again = parse_record(format_record(record))
    assert again.recommendations == record.recommendations
    assert again.areas_for_improvement == record.areas_for_improvement


def test_a_bare_response_label_with_nothing_after_it_is_no_answer():
    record, _ = read("## Recommendations\n- The force should act.\nResponse:\n",
                     title="A report", answer_kind=AnswerKind.ACTION_TAKEN)
    assert record.recommendations[0].answer is None
    assert len(record.unanswered_recommendations()) == 1


def test_answer_kind_is_read_as_people_type_it():
    assert answer_kind("action-taken") is AnswerKind.ACTION_TAKEN
    assert answer_kind("No action") is AnswerKind.NO_ACTION
    with pytest.raises(InvalidInput, match="answer_kind: must be one of action-taken"):
        answer_kind("accepted")


def test_what_a_second_attacker_found_in_other_offices_layouts():
    """Each of these once imported with a word lost, or an item or answer in the wrong place."""
    # control characters between words are spaces, not glue
    record, _ = read("## Summary\nThe force\x0cimproved\x07markedly.\n", title="A report")
    assert "The force improved markedly." in " ".join(record.summary.split())
    # an area heading with no item under it is refused by its own line, not an earlier one
    # that shares its words
    with pytest.raises(LostText) as lost:
        read("## Areas for improvement\nProtecting vulnerable people:\n- Do A.\n"
             "Vulnerable people:\nOnline safety:\n- Do B.\n", title="A report")
    assert lost.value.passages == [(4, "Vulnerable people:")]
    # 'PCC Response' alone under a recommendation, where the numbering goes on after it
    record, _ = read("RECOMMENDATIONS\n\nRecommendation 1\nThe force should improve call "
                     "handling.\n\nPCC Response\nI have commissioned a review.\n\n"
                     "Recommendation 2\nThe force should improve victim updates.\n\n"
                     "CHIEF CONSTABLE'S RESPONSE\nWe welcome the report.\n", title="A report",
                     answer_kind=AnswerKind.ACTION_PROPOSED)
    assert [(r.text, r.answer.text if r.answer else None) for r in record.recommendations] == [
        ("The force should improve call handling.", "I have commissioned a review."),
        ("The force should improve victim updates.", None)]
    assert record.initial_response == ""
    # '#### PCC response' under each '### Recommendation N' of a Markdown document
    record, _ = read("## Recommendations\n### Recommendation 1\nDo A.\n#### PCC response\n"
                     "Done A.\n### Recommendation 2\nDo B.\n#### PCC response\nDone B.\n"
                     "## Chief Constable's response\nWe accept.\n", title="A report",
                     answer_kind=AnswerKind.ACTION_TAKEN)
    assert [(r.text, r.answer.text) for r in record.recommendations] == [
        ("Do A.", "Done A."), ("Do B.", "Done B.")]
    # points introduced by '... should:' are the item's, not recommendations of their own
    record, _ = read("Recommendations\n1. By March, the force should:\n- review its "
                     "processes;\n- train call handlers.\nAction taken: An audit team.\n"
                     "2. The force should improve vetting.\n", title="A report")
    assert [r.text for r in record.recommendations] == [
        "By March, the force should: review its processes;; train call handlers.",
        "The force should improve vetting."]
    assert record.recommendations[0].answer == Answer(AnswerKind.ACTION_TAKEN, "An audit team.")
    # an area's name on its own line, an area's grade in italics, rules between items,
    # 'AFI1:' and 'AFI 2 –'
    record, _ = read("## Areas for improvement\n**Responding to the public**\n\n*Grade: "
                     "Requires improvement*\n\n- Answer 999 calls faster.\n\n---\n\n"
                     "Investigating crime\n- Improve supervision.\n\n***\n\n"
                     "AFI1: Improve records.\nAFI 2 – Improve custody.\n", title="A report")
    assert [(i.area, i.text) for i in record.areas_for_improvement] == [
        ("Responding to the public", "Answer 999 calls faster."),
        ("Investigating crime", "Improve supervision."),
        ("Investigating crime", "Improve records."), ("Investigating crime", "Improve custody.")]
    assert [(g.area, g.grade) for g in record.grades] == [
        ("Responding to the public", "Requires improvement")]
    # the force's response under an item is said to be the force's
    record, _ = read("## Recommendations\n- Do A.\nForce response: Done A.\n"
                     "## PCC response\nThanks.\n", title="A report",
                     answer_kind=AnswerKind.ACTION_TAKEN)
    assert record.recommendations[0].answer.text == "Force response: Done A."
    # a bold label's value is the value, not '** value'
    record, _ = read("**Title:** PEEL 2022 Anyshire\n\n**Summary**\n\nGood.\n")
    assert record.title == "PEEL 2022 Anyshire"


def test_what_a_third_tester_found():
    """A label inside a paragraph, an unknown heading as high as the sections, setext."""
    # in a document whose sections have headings of their own, 'Force area: ...' and
    # 'Conclusion: ...' inside them are sentences, not the force or the overall comments
    record, _ = read("Title: PEEL 2023 Anyshire\n\nRecommendations\n1. Improve call handling.\n"
                     "Conclusion: the force accepts this.\n\nPCC response\nI welcome it.\n"
                     "Force area: all eight units will be covered.\n")
    assert record.force == "Anyshire Police" and record.overall_comments == ""
    assert "Force area: all eight units will be covered." in record.initial_response
    assert record.recommendations[0].text == ("Improve call handling. Conclusion: the force "
                                              "accepts this.")
    # a heading the map does not know, as high as the sections', is a section of its own:
    # refused by its lines (or put where --rest-to says), never merged into the one above
    text = ("## Title\nT\n\n## Summary\nThe force is good.\n\n## Ymateb y Comisiynydd\n"
            "Croesawaf yr adroddiad.\n")
    with pytest.raises(LostText) as lost:
        read(text)
    assert [n for n, _ in lost.value.passages] == [7, 8]
    record, _ = read(text, rest_to="initial_response")
    assert "Croesawaf yr adroddiad." in record.initial_response
    assert "Croesawaf" not in record.summary
    # Markdown's underlined headings
    record, _ = read("Title\n=====\nPEEL 2023 Anyshire\n\nSummary\n-------\nThe force is good."
                     "\n\nRecommendations\n---------------\n- Do A.\n")
    assert record.title == "PEEL 2023 Anyshire" and "-----" not in record.summary
    assert [r.text for r in record.recommendations] == ["Do A."]


def test_a_document_opening_with_its_title_as_a_heading_takes_it_as_the_title():
    """Almost every response opens with its title (Word's Title or Heading 1, Markdown's '#',
    or an underlined line): with no 'Title' label, that line is the title, not a lost line."""
    body = "\n\n## Summary\nThe force is good.\n\n## Recommendations\n- Do A.\n"
    for first in ("# PEEL 2023: Anyshire", "PEEL 2023: Anyshire\n==================="):
        record, warnings = read(first + body)
        assert record.title == "PEEL 2023: Anyshire"
        assert warnings == ["the title is the document's first line, 'PEEL 2023: Anyshire' "
                            "(give --title for another)"]
    # given --title, the same line is the title; another line is text to place, not lost
    record, warnings = read("# PEEL 2023: Anyshire" + body, title="PEEL 2023: Anyshire")
    assert record.title == "PEEL 2023: Anyshire" and warnings == []
    with pytest.raises(LostText) as lost:
        read("# Anyshire OPCC's response" + body, title="PEEL 2023: Anyshire")
    assert lost.value.passages == [(1, "Anyshire OPCC's response")]
    # a first heading that names a field is that field's; a 'Title' label is the title
    record, _ = read("# Summary\nThe force is good.\n", title="PEEL 2023")
    assert record.title == "PEEL 2023" and "The force is good." in record.summary
    # with a 'Title' label as well, the heading is not taken for it: it is text to place
    with pytest.raises(LostText) as lost:
        read("# Anyshire\n\nTitle: PEEL 2023\n\n## Summary\nGood.\n", title="")
    assert lost.value.passages == [(1, "Anyshire")]
