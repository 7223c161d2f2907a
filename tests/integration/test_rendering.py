"""The published record through the real Jinja2 templates and WeasyPrint."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest

from s55.domain.record import Answer, AnswerKind, Item
from s55.housestyle import format_record, parse_record
from s55.render.record import render_html, render_pdf, render_text

META = {"ref": "S55-2022-0001", "version": "a" * 64, "office": "Office of the Commissioner",
        "published_at_iso": "2022-10-19T09:00:00Z", "published_on_long": "Wed 19 Oct 2022",
        "progress": "published on day 28 of 56", "signed_off_by": "Ben Adams (Commissioner)",
        "signed_off_at": "Tue 18 Oct 2022 15:00 BST", "report_published_long": "Thu 22 Sep 2022",
        "statutory_last_day_long": "Wed 16 Nov 2022", "page_url": "file:///site/index.html"}


@pytest.fixture
def record(seed_text):
    r = parse_record(seed_text).with_item("recommendations", Item("Improve triage of 999 calls"))
    return r.with_answer(1, Answer(AnswerKind.ACTION_PROPOSED, "A new triage model by March"))


class Outline(HTMLParser):
    """What a screen reader user meets: language, headings, scripts, unlabelled tables."""

    def __init__(self):
        super().__init__()
        self.lang, self.headings, self.scripts, self.tables, self.captions = None, [], 0, 0, 0
        self.handlers, self._in_heading = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self._in_heading = [int(tag[1]), ""]
        self.scripts += tag == "script"
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.handlers += [name for name in attrs if name.startswith("on")]
        if tag == "a" and str(attrs.get("href", "")).lower().startswith("javascript:"):
            self.handlers.append("javascript:")

    def handle_data(self, data):
        if self._in_heading:
            self._in_heading[1] += data

    def handle_endtag(self, tag):
        if self._in_heading and tag == f"h{self._in_heading[0]}":
            self.headings.append((self._in_heading[0], " ".join(self._in_heading[1].split())))
            self._in_heading = None


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def test_the_page_is_accessible_in_structure(record):
    page = outline(render_html(record, META))
    assert page.lang == "en-GB"
    assert [level for level, _ in page.headings].count(1) == 1
    assert page.headings[0][0] == 1
    for (before, _), (after, _) in zip(page.headings, page.headings[1:]):
        assert after <= before + 1, "a heading level is skipped"
    assert page.scripts == 0 and page.handlers == []
    assert page.tables == page.captions


def test_the_page_has_the_house_style_fields_in_order_as_headings(record):
    titles = [text for level, text in outline(render_html(record, META)).headings if level == 2]
    assert titles == [
        "Force", "Police and Crime Commissioner", "Chief Constable", "Title of inspection",
        "Inspectorate", "Summary of inspection", "Grade", "Recommendations",
        "Areas for improvement", "Police and Crime Commissioner's initial response",
        "Chief Constable's response", "Police and Crime Commissioner's overall comments"]


def test_hostile_fields_come_out_inert(seed_text):
    hostile = ('<script>alert(1)</script><img src=x onerror="alert(2)">'
               '<a href="javascript:alert(3)">click</a><p onmouseover="alert(4)">Hello</p>')
    r = parse_record(seed_text.replace("<p>The report highlights", hostile + "<p>The report"))
    r = r.with_item("recommendations", Item('<script>alert("item")</script> & <b>bold</b>'))
    html = render_html(r, META)
    page = outline(html)
    assert page.scripts == 0 and page.handlers == []
    assert "<script" not in html and "<b>bold</b>" not in html
    # a tag a record does not keep was typed as text, and is shown as text: its words stay
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#34;item&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_text_is_the_house_style_that_export_writes(record):
    assert render_text(record, META) == format_record(record, version=META["version"])


def test_the_pdf_is_tagged_titled_and_holds_every_field(record):
    pypdf = pytest.importorskip("pypdf")
    pdf = render_pdf(render_html(record, META), META)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert reader.metadata.title.startswith("Staffordshire: response to PEEL INSPECTION REPORT")
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    for label in ("Force", "Police and Crime Commissioner", "Chief Constable",
                  "Title of inspection", "Inspectorate", "Summary of inspection", "Grade",
                  "Recommendations", "Areas for improvement", "initial response",
                  "Chief Constable's response", "overall comments"):
        assert label in text, label
    for sample in ("Ben Adams", "Chris Noble", "Improve triage of 999 calls",
                   "A new triage model by March", "The force needs to improve the recording of",
                   "Staffordshire is one of the safest places", "I fully accept the findings",
                   "I'm encouraged to see the new local policing model"):
        assert sample in text.replace("’", "'"), sample


def test_an_office_can_use_its_own_house_style(record, tmp_path):
    (tmp_path / "record").mkdir()
    (tmp_path / "record" / "page.html").write_text(
        '<!DOCTYPE html><html lang="en-GB"><head><title>{{ r.title }}</title></head>'
        "<body><h1>Our response: {{ r.title }}</h1>{{ r.overall_comments | rich }}</body></html>")
    html = render_html(record, META, office_templates=tmp_path)
    assert "<h1>Our response: PEEL INSPECTION REPORT" in html
    assert render_text(record, META, office_templates=tmp_path) == render_text(record, META)
