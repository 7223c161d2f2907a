"""Property: whatever document the heading map can read, import then export loses no word
(Hypothesis generates the documents: headings in every common form, items marked every way,
paragraphs after items, answers under items, prose)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from s55.domain.record import OfficeHolder
from s55.freetext import Defaults, heading_map, heading_split, parse_free_text, words
from s55.housestyle import format_record

CONFIG = Path(__file__).resolve().parents[2] / "config"
OFFICE = Defaults("Anyshire Police", OfficeHolder("Police and Crime Commissioner", "Pat Doe"),
                  OfficeHolder("Chief Constable", "Sam Roe"), title="A report",
                  inspectorates=("HMICFRS",))
HEADINGS = heading_map(CONFIG, OFFICE)

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéŵ", min_size=2, max_size=9).filter(
    lambda w: w not in {"cause", "concern", "answer", "for", "of", "afi", "recommendation",
                        "response", "action", "taken", "proposed", "planned", "no"})
SENTENCE = st.lists(WORD, min_size=2, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=3).map(" ".join)
ANSWERS = st.sampled_from(["Action taken: ", "Response (no action): ", "Proposed action: ",
                           "Answer (action proposed): ", "No action:\n"])
MARKS = st.sampled_from(["- ", "• ", "* ", "1. ", "2) ", "(a) ", "Recommendation 3: ", "AFI 2 "])
HEADING_FORMS = st.sampled_from(["## {}", "{}", "{}:", "3. {}", "**{}**"])
SECTIONS = {
    "summary": "Summary of inspection", "initial_response": "PCC response",
    "chief_officer_response": "Chief Constable's response", "overall_comments": "Conclusion",
    "recommendations": "Recommendations", "areas_for_improvement": "Areas for improvement",
}


@st.composite
def section(draw, name: str) -> str:
    heading = draw(HEADING_FORMS).format(SECTIONS[name])
    if name in ("recommendations", "areas_for_improvement"):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            items.append(draw(MARKS) + draw(SENTENCE))
            if draw(st.booleans()):  # a paragraph that explains the item
                items.append(draw(PARAGRAPH))
            if draw(st.booleans()):  # its answer, perhaps of more than one paragraph
                items.append(draw(ANSWERS) + draw(PARAGRAPH))
                if draw(st.booleans()):
                    items.append(draw(PARAGRAPH))
        body = "\n".join(items)
    else:
        body = "\n\n".join(draw(st.lists(PARAGRAPH, min_size=1, max_size=3)))
    return f"{heading}\n{body}\n"


@st.composite
def document(draw) -> str:
    names = draw(st.lists(st.sampled_from(sorted(SECTIONS)), min_size=1, max_size=6,
                          unique=True))
    return "\n".join(draw(section(name)) for name in names)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_import_then_export_loses_no_word(text):
    record = parse_free_text(text, HEADINGS, OFFICE)
    body = Counter(w for line in text.splitlines()
                   for w in words(heading_split(line, HEADINGS)[1]))
    exported = Counter(w for line in format_record(record).splitlines() for w in words(line))
    missing = body - exported
    assert not missing, (missing, text)
