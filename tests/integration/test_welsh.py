"""A Welsh office's review (issue 12): kept, signed off and published in Welsh and English.
From the bilingual house style to "copies sent", on SQLite and PostgreSQL, through the real
services, templates, Babel's Welsh dates, WeasyPrint and the outbox; the pages checked by the
Nu HTML Checker (vnu, run with Java) as the English ones are."""

from __future__ import annotations

import email
import io
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path

import pytest

from s55.domain.errors import InvalidInput, OneLanguageOnly
from s55.housestyle import LostText, parse_record
from s55.services import (
    anchoring, drafting, importing, mailing, publishing, reading, route,
)
from tests.conftest import make_ctx
from tests.nuchecker import nu_errors

ROOT = Path(__file__).resolve().parents[2]
BILINGUAL = ROOT / "tests" / "data" / "dyfed-powys-bilingual.txt"
EXAMPLE = ROOT / "config" / "offices-example" / "dyfed-powys" / "office.yaml"
OPCC, CHIEF, PCC, AUDITOR = ("swyddog@dyfed-powys.example.org",
                             "prif.gwnstabl@dyfed-powys.example.org",
                             "comisiynydd@dyfed-powys.example.org",
                             "archwilydd@dyfed-powys.example.org")
WHEN = datetime(2023, 10, 2, 9, tzinfo=UTC)
PUBLISHED = date(2023, 9, 28)


@pytest.fixture
def office_file(tmp_path) -> Path:
    """The example Dyfed-Powys office, as the one office of a home (S55_OFFICE_FILE)."""
    path = tmp_path / "office.yaml"
    path.write_text("force_id: dyfed-powys\n" + EXAMPLE.read_text(encoding="utf-8"),
                    encoding="utf-8")
    return path


@pytest.fixture
def ctx(home, db_url, office_file):
    return make_ctx(home, db_url, when=WHEN, office_file=office_file)


def opened(ctx) -> str:
    record, _notes, _warnings = importing.read_record(ctx, BILINGUAL, actor=OPCC)
    return drafting.open_review(ctx, actor=OPCC, record=record, published_on=PUBLISHED)


def copies_sent(ctx) -> str:
    """A review of the Welsh office, published and its copies sent: its actions open."""
    ref = opened(ctx)
    route.sign_off(ctx, actor=PCC, ref=ref, version=to_sign_off(ctx, ref))
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    publishing.publish_site(ctx, ref)
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    return ref


def to_sign_off(ctx, ref) -> str:
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=CHIEF, ref=ref, seen_version=None,
                      text="<p>The force accepts every recommendation.</p>",
                      welsh={"text": "<p>Mae'r heddlu'n derbyn pob argymhelliad.</p>"})
    route.request_sign_off(ctx, actor=OPCC, ref=ref)
    return reading.show(ctx, actor=OPCC, ref=ref)["current_version"]


def test_a_welsh_review_from_import_to_copies_sent(ctx, home):
    ref = opened(ctx)
    assert ref.startswith("DP-S55-2023-")
    record = reading.record(ctx, actor=OPCC, ref=ref)
    assert record.bilingual and record.cy.force == "Heddlu Dyfed-Powys"
    assert record.language_gaps() == []

    # an item written in English only is outstanding, named, until its Welsh is written
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations",
                      text="Within a year, the force should publish its call answering times.")
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=CHIEF, ref=ref, seen_version=None,
                      text="<p>The force accepts every recommendation.</p>",
                      welsh={"text": "<p>Mae'r heddlu'n derbyn pob argymhelliad.</p>"})
    outstanding = reading.show(ctx, actor=OPCC, ref=ref)["outstanding"]
    assert "in one language only: recommendation 3: English only" in outstanding
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="recommendations.3", lang="cy",
                       value="O fewn blwyddyn, dylai'r heddlu gyhoeddi ei amseroedd ateb "
                             "galwadau.")
    drafting.answer_recommendation(ctx, actor=PCC, ref=ref, number=3, kind="action-proposed",
                                   text="The force will publish them each quarter.")
    assert route.request_sign_off(ctx, actor=OPCC, ref=ref) == [
        "in one language only: recommendation 3's answer: English only"]

    # sign-off is refused while a text is in one language only, listing it; nothing moves
    with_english = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    with pytest.raises(OneLanguageOnly) as refused:
        route.sign_off(ctx, actor=PCC, ref=ref, version=with_english)
    assert "published in Welsh and English, so sign-off waits for both" in str(refused.value)
    assert "recommendation 3's answer: English only" in str(refused.value)
    assert reading.show(ctx, actor=OPCC, ref=ref)["stage"] == "awaiting sign-off"
    drafting.answer_recommendation(ctx, actor=PCC, ref=ref, number=3, kind="action-proposed",
                                   lang="cy", text="Bydd yr heddlu'n eu cyhoeddi bob chwarter.")
    both = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    assert both != with_english  # the version's hash covers the Welsh too
    record = reading.record(ctx, actor=OPCC, ref=ref)
    assert record.recommendations[2].answer.text == "The force will publish them each quarter."
    assert record.recommendations[2].answer.cy_text.startswith("Bydd yr heddlu")

    route.sign_off(ctx, actor=PCC, ref=ref, version=both)
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    files = publishing.publish_site(ctx, ref)
    assert set(files) == {"page", "text", "pdf", "page_cy", "text_cy", "pdf_cy"}

    site = ctx.settings.site
    english = (site / files["page"]["path"]).read_text(encoding="utf-8")
    welsh = (site / files["page_cy"]["path"]).read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in english and '<html lang="cy">' in welsh
    for page in (english, welsh):  # each names the other, and itself
        assert f'hreflang="cy" href="{ctx.settings.site_address}/responses/{ref}/index.cy.html"' \
            in page
        assert f'hreflang="en-GB" href="{ctx.settings.site_address}/responses/{ref}/index.html"' \
            in page
    assert "<h2 id=\"recommendations\">Argymhellion</h2>" in welsh
    assert "Ymateb cychwynnol Comisiynydd Heddlu a Throseddu Dyfed-Powys" in welsh
    assert "Cyhoeddwyd ar 2 Hydref 2023 (ar ddiwrnod 5 o 56 (mewn pryd))" in welsh
    assert "Bydd yr heddlu&#39;n eu cyhoeddi bob chwarter." in welsh
    assert "Ymateb (camau arfaethedig):" in welsh and "Angen gwella" in welsh
    assert "Published on Mon 02 Oct 2023" in english and "Argymhellion" not in english

    from pypdf import PdfReader

    pdf_cy = PdfReader(io.BytesIO((site / files["pdf_cy"]["path"]).read_bytes()))
    text = " ".join(page.extract_text() for page in pdf_cy.pages)
    assert "Argymhellion" in text and "Hydref" in text
    assert (site / files["text_cy"]["path"]).read_text().startswith(
        "Heddlu Dyfed-Powys cofnod ymateb i'r arolygiad")

    index = (site / "index.html").read_text()
    assert f'href="responses/{ref}/index.cy.html" hreflang="cy">Cymraeg</a>' in index
    # and the site's index in Welsh: the Welsh title, dates and page, each index linking both
    welsh_index = (site / "index.cy.html").read_text()
    assert '<html lang="cy">' in welsh_index and "Ymatebion i adroddiadau arolygu" in welsh_index
    assert (f'<a href="responses/{ref}/index.cy.html">PEEL 2023–25: Arolygiad o Heddlu '
            "Dyfed-Powys</a>") in welsh_index
    assert "2 Hydref 2023" in welsh_index and "Swyddfa Comisiynydd Heddlu" in welsh_index
    for page in (index, welsh_index):
        assert f'hreflang="cy" href="{ctx.settings.site_address}/index.cy.html"' in page
    feed = (site / "feed.atom").read_text()
    assert f'hreflang="cy" href="{ctx.settings.site_address}/responses/{ref}/index.cy.html"' \
        in feed
    # the timeliness page and its chart in Welsh too, linked from the Welsh index
    assert '<a href="compliance.cy.html">' in welsh_index
    assert '<a href="compliance.html">' in index
    timely = (site / "compliance.cy.html").read_text()
    assert '<html lang="cy">' in timely and "Prydlondeb ymatebion i adroddiadau arolygu" in timely
    assert (f'<a href="responses/{ref}/index.cy.html">PEEL 2023–25: Arolygiad o Heddlu '
            "Dyfed-Powys</a>") in timely
    assert "<td>28 Medi 2023</td><td>2 Hydref 2023</td>" in timely and "5 o 56" in timely
    assert '<img src="compliance.cy.svg"' in timely and '<a href="index.cy.html">' in timely
    for page in ((site / "compliance.html").read_text(), timely):
        assert f'hreflang="cy" href="{ctx.settings.site_address}/compliance.cy.html"' in page
        assert f'hreflang="en-GB" href="{ctx.settings.site_address}/compliance.html"' in page
    # the chart's title, wrapped (a long office name is never cut off): each in its language
    assert "100.0% mewn" in (site / "compliance.cy.svg").read_text()
    assert "100.0% on" in (site / "compliance.svg").read_text()

    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    copies = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
              for p in sorted((home / "outbox").glob("*.eml"))]
    copies = [m for m in copies if "Section 55 response" in m["Subject"]]
    assert len(copies) == 2
    for copy in copies:  # each statutory copy carries both languages, Welsh first (the
        # office's welsh_first), and both PDFs
        assert copy["Subject"] == ("Ymateb adran 55: Heddlu Dyfed-Powys, PEEL 2023–25: "
                                   "Arolygiad o Heddlu Dyfed-Powys / Section 55 response: "
                                   "Dyfed-Powys Police, PEEL 2023–25: An inspection of "
                                   "Dyfed-Powys Police")
        text = copy.get_body(("plain",)).get_content()
        assert text.index("O dan adran 55(6) o Ddeddf yr Heddlu 1996") < text.index(
            "Under section 55(6) of the Police Act 1996")
        assert "a gyhoeddwyd ar 2 Hydref 2023" in text
        assert f"/responses/{ref}/index.cy.html" in text
        assert text.count("Y trywydd archwilio adeg cyhoeddi: cofnod") == 1
        html = copy.get_body(("html",)).get_content()
        assert '<html lang="cy">' in html and '<div lang="en-GB">' in html
        assert [a.get_filename() for a in copy.iter_attachments()] == [f"{ref}.cy.pdf",
                                                                       f"{ref}.pdf"]
    # the office's own people are told in both languages too
    told = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((home / "outbox").glob("*.eml"))]
    published_notice = next(m for m in told if m["Subject"].startswith("Wedi'i gyhoeddi"))
    assert "/ Published: " in published_notice["Subject"]
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "copies sent"
    assert anchoring.verify(ctx, actor=AUDITOR, sources=[
        str(anchoring.anchors_file(ctx, ctx.offices.only))]).ok


def test_export_carries_both_languages_and_imports_back_to_the_same_version(ctx):
    ref = opened(ctx)
    text = reading.export(ctx, actor=OPCC, ref=ref)
    assert "\n=== Cymraeg ===\n" in text and "Meysydd i'w gwella\t" in text
    again = parse_record(text)
    assert again.content_hash() == reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    before = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="summary", lang="cy",
                       value="<p>Crynodeb newydd.</p>")
    after = reading.record(ctx, actor=OPCC, ref=ref)
    assert after.cy.summary == "<p>Crynodeb newydd.</p>"
    assert after.summary == parse_record(BILINGUAL.read_text()).summary  # English untouched
    assert reading.show(ctx, actor=OPCC, ref=ref)["current_version"] != before


def test_bilingual_documents_that_do_not_match_are_refused_naming_what(ctx, tmp_path):
    source = BILINGUAL.read_text(encoding="utf-8")
    fewer = source.replace(
        "- Dylai'r heddlu wella sut mae'n adnabod galwyr agored i niwed.\n", "")
    with pytest.raises(InvalidInput, match="areas for improvement: 2 in English, 1 in Welsh"):
        parse_record(fewer)
    lost = source.replace("Byddaf yn dal", "Byddaf yn dal\n\nGair coll heb bennawd\t\t\n\n",
                          1).replace("Teitl yr arolygiad", "Nodyn rhydd\nTeitl yr arolygiad")
    with pytest.raises(LostText) as refused:
        parse_record(lost)
    line = source.splitlines().index("=== Cymraeg ===") + 1
    assert [n for n, _ in refused.value.passages][0] > line  # counted in the whole document
    kinds = source.replace("Ateb (camau a gymerwyd):", "Ateb (dim camau):")
    with pytest.raises(InvalidInput, match="the answer's kind is action taken in English and "
                                           "no action in Welsh"):
        parse_record(kinds)
    two = source + "\n=== Cymraeg ===\n\nHeddlu\tHeddlu Dyfed-Powys\n"
    with pytest.raises(InvalidInput, match="two Welsh parts"):
        parse_record(two)


def test_a_word_document_with_its_welsh_in_a_section_of_its_own_is_one_record(ctx, tmp_path):
    import docx

    def word(extra_welsh_item: bool) -> Path:
        document = docx.Document()
        document.add_paragraph("Title: PEEL 2023–25")
        document.add_heading("Summary", 1)
        document.add_paragraph("The force is good at preventing crime.")
        document.add_heading("Recommendations", 1)
        document.add_paragraph("The force should answer calls faster.", style="List Number")
        document.add_paragraph("Action taken: A new call centre opened in May.")
        document.add_heading("Cymraeg", 1)
        document.add_paragraph("Teitl: PEEL 2023–25 (Cymraeg)")
        document.add_heading("Crynodeb", 2)
        document.add_paragraph("Mae'r heddlu'n dda am atal troseddau.")
        document.add_heading("Argymhellion", 2)
        document.add_paragraph("Dylai'r heddlu ateb galwadau'n gyflymach.", style="List Number")
        document.add_paragraph("Camau a gymerwyd: Agorodd canolfan alwadau newydd ym mis Mai.")
        if extra_welsh_item:
            document.add_paragraph("Dylai'r heddlu gyhoeddi'r amseroedd.", style="List Number")
        document.save(str(tmp_path / "both.docx"))
        return tmp_path / "both.docx"

    record = importing.read_record(ctx, word(False), actor=OPCC)[0]
    assert record.cy.summary == "<p>Mae'r heddlu'n dda am atal troseddau.</p>"
    assert record.cy.title == "PEEL 2023–25 (Cymraeg)"
    only = record.recommendations[0]
    assert (only.text, only.cy_text, only.answer.kind, only.answer.cy_text) == (
        "The force should answer calls faster.", "Dylai'r heddlu ateb galwadau'n gyflymach.",
        "action taken", "Agorodd canolfan alwadau newydd ym mis Mai.")
    assert record.language_gaps() == []
    with pytest.raises(InvalidInput, match="recommendations: 1 in English, 2 in Welsh"):
        importing.read_record(ctx, word(True), actor=OPCC)


def test_an_english_office_refuses_welsh_and_a_welsh_review_keeps_its_welsh(
        home, ctx, seed_text):
    english = make_ctx(home / "english")
    with pytest.raises(InvalidInput, match="publishes in English only, and this record has a "
                                           "Welsh part"):
        drafting.open_review(english, actor="opcc.officer@example.org",
                             record=parse_record(BILINGUAL.read_text()),
                             published_on=PUBLISHED)
    staffs = drafting.open_review(english, actor="opcc.officer@example.org",
                                  record=parse_record(seed_text), published_on=PUBLISHED)
    with pytest.raises(InvalidInput, match="--lang: this review is in English only|lang: this "
                                           "review is in English only"):
        drafting.edit_text(english, actor="opcc.officer@example.org", ref=staffs,
                           field_name="summary", value="Crynodeb", lang="cy")
    # a Welsh review given an English-only document keeps its Welsh: refused, nothing changed
    ref = opened(ctx)
    before = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    english_only = BILINGUAL.read_text().split("=== Cymraeg ===")[0]
    with pytest.raises(InvalidInput, match="kept in Welsh and English, and this document has "
                                           "no Welsh part"):
        drafting.replace_content(ctx, actor=OPCC, ref=ref, record=parse_record(english_only),
                                 source="english.txt")
    assert reading.show(ctx, actor=OPCC, ref=ref)["current_version"] == before
    # and a Welsh review opened from an English-only document has its Welsh still to write
    ref2 = drafting.open_review(ctx, actor=OPCC, record=parse_record(english_only),
                                published_on=PUBLISHED, again=True)
    record = reading.record(ctx, actor=OPCC, ref=ref2)
    assert record.cy.force == "Heddlu Dyfed-Powys" and record.cy.chief_officer == "Prif Gwnstabl"
    gaps = record.language_gaps()
    assert "title: English only" in gaps and "recommendation 1: English only" in gaps
    assert not any("force" in g or "inspectorate" in g for g in gaps)


def test_both_pages_pass_the_nu_html_checker(home, office_file):
    """(On SQLite: what the pages say does not depend on the database.)"""
    ctx = make_ctx(home, "", when=WHEN, office_file=office_file)
    ref = opened(ctx)
    version = to_sign_off(ctx, ref)
    route.sign_off(ctx, actor=PCC, ref=ref, version=version)
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    files = publishing.publish_site(ctx, ref)
    site = ctx.settings.site
    assert nu_errors(site / files["page"]["path"], site / files["page_cy"]["path"],
                     site / "index.html", site / "index.cy.html", site / "compliance.html",
                     site / "compliance.cy.html") == []
    # the checker can fail: the same Welsh page with one element left open
    broken = site / "broken.html"
    broken.write_text((site / files["page_cy"]["path"]).read_text().replace("</ul>", "", 1))
    assert nu_errors(broken) != []


def test_an_export_with_texts_still_to_translate_reads_back_as_it_was(ctx, seed_text):
    """The translator's round trip: export a review whose Welsh is partly written, fill in
    what the export marks '(to translate)', import it back."""
    english_only = BILINGUAL.read_text().split("=== Cymraeg ===")[0]
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(english_only),
                               published_on=PUBLISHED)
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", lang="cy",
                      text="Cyhoeddi amseroedd ateb galwadau.")
    exported = reading.export(ctx, actor=OPCC, ref=ref)
    assert "- (to translate)" in exported  # the new item's English, and each Welsh item
    back = parse_record(exported)
    assert back.content_hash() == reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    assert back.recommendations[-1].text == "" and back.cy.title == ""
    # the translator writes the Welsh title and the new item's English: those gaps close
    filled = exported.replace("Teitl yr arolygiad\t(to translate)",
                              "Teitl yr arolygiad\tArolygiad PEEL", 1)
    filled = filled.replace("- (to translate)", "- Publish call answering times.", 1)
    now = parse_record(filled)
    assert "title: English only" not in now.language_gaps()
    assert now.recommendations[-1].text == "Publish call answering times."
    assert now.recommendations[-1].cy_text == "Cyhoeddi amseroedd ateb galwadau."


def test_the_route_messages_reminders_and_sign_in_links_go_in_both_languages(ctx, home):
    from datetime import timedelta

    from s55.services import reminding, signin

    ref = opened(ctx)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    day, planned = WHEN.date(), []
    while not planned and day < WHEN.date() + timedelta(days=40):  # the first reminder's day
        day += timedelta(days=1)
        planned = reminding.sweep(ctx, today=day)["planned"]
    assert planned, "no reminder was planned for the chief officer's date"
    signin.request_link(ctx, email=CHIEF, next_path="/", client="127.0.0.1")
    mailing.deliver(ctx, ref)
    mailing.deliver(ctx, None)

    mail = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((home / "outbox").glob("*.eml"))]
    by_subject = {m["Subject"].split(" / ")[0]: m for m in mail}
    invitation = next(m for s, m in by_subject.items() if s.startswith("Gwahoddir eich sylwadau"))
    text = invitation.get_body(("plain",)).get_content()
    # Welsh first (the office's welsh_first), then the English; each with its own dates
    assert text.index("O dan adran 55(4) o Ddeddf yr Heddlu 1996") < text.index(
        "Under section 55(4) of the Police Act 1996")
    assert "diwrnod gwaith yng Nghymru a Lloegr ar ôl y gwahoddiad ar 2 Hydref 2023" in text
    assert "England and Wales working days after the invitation on Mon 02 Oct 2023" in text
    assert "Heddlu Dyfed-Powys" in invitation["Subject"]
    reminder = next(m for s, m in by_subject.items() if s.startswith("Nodyn atgoffa: "))
    said = " ".join(reminder.get_body(("plain",)).get_content().split())
    assert "Mae sylwadau'r prif swyddog i'w cyflwyno ar" in said
    assert "Sut y cyfrifir y dyddiadau" in said and "How the dates are worked out" in said
    assert "Beth sydd heb ei gwblhau: sylwadau'r prif swyddog, gan y prif swyddog." in said
    link = next(m for s, m in by_subject.items() if s.startswith("Eich dolen fewngofnodi"))
    assert "Defnyddiwch y ddolen hon i fewngofnodi" in link.get_body(("plain",)).get_content()
    html = link.get_body(("html",)).get_content()
    assert '<div lang="cy">' in html and '<div lang="en-GB">' in html


def test_a_text_changed_in_one_language_holds_sign_off_until_the_other_is_written_again(ctx):
    """A translated pair changed on one side only (the chief officer's English comments, an
    answer's kind given in Welsh) leaves the other side stale: sign-off is refused naming it,
    until it is written again or confirmed."""
    from s55.domain.errors import UnansweredRecommendations

    ref = opened(ctx)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=CHIEF, ref=ref, seen_version=None,
                      text="<p>We accept all but one recommendation.</p>")
    drafting.answer_recommendation(ctx, actor=PCC, ref=ref, number=1, kind="no-action",
                                   lang="cy", text="Dim camau: mae'r gwaith eisoes ar y gweill.")
    gaps = reading.record(ctx, actor=OPCC, ref=ref).language_gaps()
    assert any(g.startswith("chief officer response: the Welsh was written for an earlier "
                            "English text") for g in gaps)
    assert any(g.startswith("recommendation 1's answer: the English was written for an "
                            "earlier Welsh text") for g in gaps)
    # sign-off is not even asked for while the comments' Welsh is stale (only drafting could
    # write it once it were); the stale answer alone would not hold the request
    with pytest.raises(UnansweredRecommendations, match="chief officer response: the Welsh was "
                                                        "written for an earlier") as refused:
        route.request_sign_off(ctx, actor=OPCC, ref=ref)
    assert "recommendation 1's answer" not in str(refused.value)
    # the English answer is written again under the new kind; the Welsh comments confirmed
    drafting.answer_recommendation(ctx, actor=PCC, ref=ref, number=1, kind="no-action",
                                   text="No action: the work is already under way.")
    welsh_now = reading.record(ctx, actor=OPCC, ref=ref).cy.chief_officer_response
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="chief_officer_response",
                       lang="cy", value=welsh_now)  # given unchanged: confirmed
    assert reading.record(ctx, actor=OPCC, ref=ref).language_gaps() == []


def test_to_translate_typed_anywhere_is_a_text_still_to_write(ctx):
    ref = opened(ctx)
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="initial_response", lang="cy",
                       value="<p>(to translate)</p>")
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="grades.1", lang="cy",
                       value="(to translate)")
    gaps = reading.record(ctx, actor=OPCC, ref=ref).language_gaps()
    assert "initial response: English only" in gaps
    assert "the graded area 'Preventing crime': English only" in gaps
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="grades.1", lang="cy",
                       value="Atal troseddau")
    drafting.edit_text(ctx, actor=OPCC, ref=ref, field_name="areas_for_improvement.1.area",
                       lang="cy", value="Atal troseddau")
    record = reading.record(ctx, actor=OPCC, ref=ref)
    assert record.grades[0].cy_area == "Atal troseddau"
    assert "the graded area 'Preventing crime': English only" not in record.language_gaps()


# --- Word, and the two documents a Welsh office writes ---------------------------------------

EN_DOC, CY_DOC = ROOT / "tests" / "data" / "dyfed-powys-en.md", ROOT / "tests" / "data" / \
    "dyfed-powys-cy.md"


def as_word(markdown: Path, path: Path) -> Path:
    """The document as an office writes it in Word: headings in Heading 2, lists in List
    Bullet, everything else a paragraph."""
    import docx

    document = docx.Document()
    for line in markdown.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            document.add_heading(line[2:], level=1)
        elif line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        elif line.strip():
            document.add_paragraph(line)
    document.save(path)
    return path


def cli(home, db_url, office_file, *args, who=OPCC):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), S55_OFFICE_FILE=str(office_file))
    if db_url:
        env["S55_DATABASE_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "s55", *map(str, args), "--as", who], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_welsh_office_imports_its_two_documents_as_one_bilingual_record(ctx, tmp_path):
    """The English and the Welsh written as two documents, free text with headings, the way
    offices write them (in Markdown, and in Word): one record, item for item, no gap."""
    record, notes, warnings = importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=CY_DOC)
    assert (notes, warnings, record.language_gaps()) == ([], [], [])
    assert record.cy.title == "PEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys"
    assert record.cy.local_policing_body == "Comisiynydd Heddlu a Throseddu Dyfed-Powys"
    first = record.recommendations[0]
    assert first.cy_text.startswith("O fewn chwe mis") and first.answer.kind == "action proposed"
    assert first.answer.cy_text.startswith("Bydd y Comisiynydd")
    assert [(g.grade, g.cy_area) for g in record.grades] == [
        ("Good", "Atal troseddau"), ("Requires improvement", "Ymateb i'r cyhoedd")]
    assert record.causes_of_concern[0].cy_text.startswith("Nid yw'r heddlu'n ateb")
    assert record.cy.overall_comments == \
        "<p>Byddaf yn dal y Prif Gwnstabl i gyfrif am y gwelliannau.</p>"
    # the same two documents in Word, and the two in one document with a 'Cymraeg' heading:
    # the same record
    words = importing.read_record(ctx, as_word(EN_DOC, tmp_path / "en.docx"), actor=OPCC,
                                  welsh=as_word(CY_DOC, tmp_path / "cy.docx"))[0]
    both = tmp_path / "both.md"
    both.write_text(EN_DOC.read_text() + "\n# Cymraeg\n\n" + CY_DOC.read_text())
    together = importing.read_record(ctx, both, actor=OPCC)[0]
    assert words.content_hash() == together.content_hash() == record.content_hash()
    ref = drafting.open_review(ctx, actor=OPCC, record=record, published_on=PUBLISHED)
    assert reading.show(ctx, actor=OPCC, ref=ref)["current_version"] == record.content_hash()


def test_two_documents_that_do_not_match_are_refused_naming_the_file_and_what(ctx, tmp_path):
    welsh = CY_DOC.read_text(encoding="utf-8")
    fewer = tmp_path / "cy-fewer.md"
    fewer.write_text(welsh.replace("- Maes i'w wella 2: Dylai'r heddlu wella sut mae'n adnabod "
                                   "galwyr agored i niwed.\n", ""))
    with pytest.raises(InvalidInput, match="cy-fewer.md \\(the Welsh\\) does not match "
                       "dyfed-powys-en.md \\(the English\\) item for item, so nothing was "
                       "imported: areas for improvement: 2 in English, 1 in Welsh"):
        importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=fewer)
    lost = tmp_path / "cy-lost.md"
    lost.write_text("Nodyn rhydd heb bennawd\n\n" + welsh)
    with pytest.raises(LostText) as refused:
        importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=lost)
    assert refused.value.passages == [("cy-lost.md, line 1", "Nodyn rhydd heb bennawd")]
    unkinded = tmp_path / "cy-unkinded.md"
    unkinded.write_text(welsh.replace("Camau a gymerwyd:", "Ymateb:"))
    with pytest.raises(InvalidInput, match="label each 'Camau a gymerwyd:'") as refused:
        importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=unkinded)
    assert refused.value.field == "cy-unkinded.md (the Welsh): answer_kind"
    with pytest.raises(InvalidInput, match="in Welsh and English already"):
        importing.read_record(ctx, BILINGUAL, actor=OPCC, welsh=CY_DOC)
    with ctx.uow(read=True) as session:  # nothing was opened by any of them
        from s55.store import repo

        assert repo.reviews(session) == []


def test_a_translator_fills_in_the_welsh_in_word_and_it_comes_back(home, office_file, tmp_path):
    """`s55 export -o FILE.docx`: the house style in Word, the Welsh in a section of its own on
    a new page, every run in it marked Welsh. Untouched, it comes back as the same version;
    with the translator's Welsh typed in Word, as a new version holding it. (Through the
    command line, on SQLite: the services it calls are tested on both databases.)"""
    import docx

    db_url = ""
    english = tmp_path / "english.txt"
    english.write_text(BILINGUAL.read_text(encoding="utf-8").split("=== Cymraeg ===")[0])
    done = cli(home, db_url, office_file, "import", english, "--published-on", "2023-09-28")
    assert done.returncode == 0, done.stderr
    ref = done.stdout.strip()
    word = tmp_path / f"{ref}.docx"
    done = cli(home, db_url, office_file, "export", ref, "-o", word)
    assert done.returncode == 0 and done.stdout.strip() == f"wrote {word}", done.stderr
    document = docx.Document(str(word))
    assert len(document.sections) == 2
    paragraphs = document.paragraphs
    mark = next(n for n, p in enumerate(paragraphs) if p.style.name == "Heading 1")
    assert paragraphs[mark].text == "=== Cymraeg ===" and mark > 10

    def langs(paragraph):
        return {r._r.rPr.find(docx.oxml.ns.qn("w:lang")).get(docx.oxml.ns.qn("w:val"))
                for r in paragraph.runs}

    assert set().union(*map(langs, paragraphs[:mark])) == {"en-GB"}
    assert set().union(*map(langs, paragraphs[mark:])) == {"cy-GB"}

    done = cli(home, db_url, office_file, "edit", ref, "--from", word)
    assert done.returncode == 0 and "holds the draft as it is; nothing changed" in done.stdout

    title = next(p for p in paragraphs if p.text == "Teitl yr arolygiad\t(to translate)")
    title.runs[0].text = "Teitl yr arolygiad\tPEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys"
    document.save(str(word))
    done = cli(home, db_url, office_file, "edit", ref, "--from", word)
    assert done.returncode == 0, done.stderr
    assert "+ Teitl yr arolygiad\tPEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys" in done.stdout
    ctx = make_ctx(home, db_url, office_file=office_file)
    record = reading.record(ctx, actor=OPCC, ref=ref)
    assert record.cy.title == "PEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys"
    assert "title: English only" not in record.language_gaps()
    assert record.summary == parse_record(english.read_text()).summary
    # the office edits the summary meanwhile; the translator's copy, exported before, would
    # undo it: refused as a stale version, naming the copy, and nothing changes
    done = cli(home, db_url, office_file, "edit", ref, "--field", "summary", "--text",
               "A new finding.", "--no-wait")
    assert done.returncode == 0, done.stderr
    current = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    done = cli(home, db_url, office_file, "edit", ref, "--from", word, "--no-wait")
    assert done.returncode == 6 and f"({word.name} was exported from version" in done.stderr
    assert reading.show(ctx, actor=OPCC, ref=ref)["current_version"] == current


def test_refusals_on_the_web_are_in_welsh_for_a_person_reading_welsh(home, db_url, office_file):
    """What the rules refuse on the web (the sign-in address, a stale version, sign-off while a
    text is in one language only) and what a review still waits for, in the page's language:
    Welsh where the person reads Welsh, English where they switch."""
    import warnings
    from html import unescape

    from tests.integration.test_web_routes import form, newest_token

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from s55.web.app import create_app

    ctx = make_ctx(home, db_url, when=WHEN, office_file=office_file,
                   web_url="https://s55.dyfed-powys.example.org")
    # sign-off is asked for once every text is in both languages but for the answers
    english = parse_record(BILINGUAL.read_text(encoding="utf-8").split("=== Cymraeg ===")[0])
    half = drafting.open_review(ctx, actor=OPCC, record=english, published_on=PUBLISHED)
    route.invite_chief_officer(ctx, actor=OPCC, ref=half)
    drafting.comments(ctx, actor=CHIEF, ref=half, seen_version=None,
                      text="<p>The force accepts every recommendation.</p>")
    with pytest.raises(OneLanguageOnly, match="sign-off is asked for once every text is in "
                                              "Welsh and English") as refused:
        route.request_sign_off(ctx, actor=OPCC, ref=half)
    assert "summary: English only" in str(refused.value)
    assert "'s answer" not in str(refused.value)  # the answers can still be written later

    ref = opened(ctx)
    first = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    to_sign_off(ctx, ref)
    # while sign-off waits, the body changes an answer's English: its Welsh is now stale
    drafting.answer_recommendation(ctx, actor=PCC, ref=ref, number=1, kind="action-proposed",
                                   text="The Commissioner will review call handling weekly.")

    web = TestClient(create_app(ctx), base_url="http://127.0.0.1:8055", client=("127.0.0.1", 1))
    web.cookies.set("s55_language", "cy")
    page = unescape(web.post("/signin", data={"email": "not an address"}).text)
    assert "Rhowch eich cyfeiriad e-bost, e.e. enw@example.org." in page
    assert web.post("/signin", data={"email": PCC}).status_code == 200
    answer = web.post(f"/signin/{newest_token(ctx)}", follow_redirects=False)
    web.cookies.set("s55_session", answer.cookies["s55_session"])

    page = web.get(f"/reviews/{ref}").text
    assert ("Heb ei gwblhau: mewn un iaith yn unig: ateb argymhelliad 1: ysgrifennwyd y Gymraeg "
            "ar gyfer testun Saesneg cynharach") in unescape(page)
    assert "the Welsh was written for" not in unescape(page)
    # where it stands against the 56 days, its dates and the rules that give them, in Welsh
    assert "to be published before the end" not in unescape(page)
    assert "Tachwedd 2023" in unescape(page)  # the statutory last day, 22 November 2023
    assert "calendar days" not in unescape(page)
    fields = form(page, f"/reviews/{ref}/sign-off")
    refused = web.post(f"/reviews/{ref}/sign-off", data=fields)
    said = unescape(refused.text)
    assert refused.status_code == 409
    assert ("gwrthodwyd: cyhoeddir yr ymateb hwn yn Gymraeg ac yn Saesneg, felly mae "
            "cymeradwyaeth yn aros am y ddwy") in said and "Ni wnaed hynny" in said
    assert "ateb argymhelliad 1: ysgrifennwyd y Gymraeg ar gyfer testun Saesneg cynharach" \
        in said

    stale = web.post(f"/reviews/{ref}/sign-off", data={**fields, "version": first})
    said = unescape(stale.text)
    assert stale.status_code == 409
    assert "Newidiodd yr adolygiad tra oeddech chi'n ysgrifennu, felly ni chadwyd dim." in said
    assert f"gwrthodwyd: nid fersiwn {first[:12]} o {ref} yw'r un gyfredol mwyach" in said

    web.cookies.set("s55_language", "en")
    said = unescape(web.post(f"/reviews/{ref}/sign-off", data=fields).text)
    assert ("refused: this response is published in Welsh and English, so sign-off waits for "
            "both") in said
    assert "recommendation 1's answer: the Welsh was written for an earlier English text" \
        in said
    assert reading.show(ctx, actor=OPCC, ref=ref)["stage"] == "awaiting sign-off"


def test_a_welsh_office_s_review_cycle_asks_and_reports_in_both_languages(
        home, db_url, office_file, tmp_path):
    """The follow-up of a Welsh office's published answers: its actions in both languages, the
    message of a review cycle in Welsh and English, Welsh first where the office says; the
    board's report, page, paper and chart, in each language, the board mailed both."""
    import shutil
    from datetime import timedelta

    from s55.services import actions, cycles
    from tests.conftest import FixedClock

    board = "Bwrdd Atebolrwydd / Accountability board"
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "actions.yaml").write_text((config / "actions.yaml").read_text().replace(
        "board_addresses: {}", f"board_addresses: {{{board}: bwrdd@example.org}}"))
    ctx = make_ctx(home, db_url, when=WHEN, office_file=office_file, config_dir=config)
    ref = copies_sent(ctx)
    listed = actions.listing(ctx, actor=OPCC, report=ref)
    first = listed[0]
    assert first["text"].startswith("Within six months")  # the English, as published
    actions.assign(ctx, actor=OPCC, name=first["action"], owner=CHIEF,
                   target=WHEN.date() + timedelta(days=200))
    ctx.clock = FixedClock(WHEN + timedelta(days=7))
    assert first["text_cy"].startswith("O fewn chwe mis")  # and the Welsh
    meeting = WHEN.date() + timedelta(days=60)
    number = cycles.open_cycle(ctx, actor=OPCC, board=board, meeting=meeting)["cycle"]
    mailing.deliver(ctx, None)
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((home / "outbox").glob("*.eml"))]
    ask = next(m for m in sent if "Eich diweddariad ar gyfer" in m["Subject"])
    assert " / Your update for the " in ask["Subject"]
    text = ask.get_body(("plain",)).get_content()
    assert "Rhowch ddiweddariad ar bob cam" in text and "Please give an update" in text
    assert "heb ddechrau" in text and "Rhagfyr 2023" in text  # the meeting, in Welsh
    welsh_part = text[:text.index("Please give an update")]
    assert "O fewn chwe mis" in welsh_part and "Within six months" not in welsh_part
    assert f"/actions?cycle={number}" in text

    # the meeting day: the report in each language, each page linking the other
    ctx.clock = FixedClock(datetime(meeting.year, meeting.month, meeting.day, 9, tzinfo=UTC))
    cycles.sweep(ctx, today=meeting)
    folder = ctx.settings.site / f"cycles/{number}"
    english, welsh = ((folder / name).read_text() for name in ("index.html", "index.cy.html"))
    assert '<html lang="cy">' in welsh and '<html lang="en-GB">' in english
    assert '<a href="index.html" hreflang="en-GB" lang="en-GB">English</a>' in welsh
    assert '<a href="index.cy.html" hreflang="cy" lang="cy">Cymraeg</a>' in english
    assert "Rhagfyr 2023" in welsh and "Dec 2023" in english
    assert "Heddlu Dyfed-Powys" not in english.split("<main")[0]  # the office's own name
    assert 'src="rag.cy.svg"' in welsh and "ym mhob cyfarfod" in (
        folder / "rag.cy.svg").read_text()
    assert (folder / "report.cy.pdf").read_bytes().startswith(b"%PDF")
    assert f'href="cycles/{number}/index.cy.html"' in (
        ctx.settings.site / "index.cy.html").read_text()
    assert f'href="cycles/{number}/index.html"' in (ctx.settings.site / "index.html").read_text()
    assert nu_errors(folder / "index.html", folder / "index.cy.html") == []
    mailing.deliver(ctx, None)
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((home / "outbox").glob("*.eml"))]
    paper = next(m for m in sent if m["To"].addresses[0].addr_spec == "bwrdd@example.org")
    assert {a.get_filename() for a in paper.iter_attachments()} == {
        f"{board} {meeting}.pdf", f"{board} {meeting}.cy.pdf"}
    body = paper.get_body(("plain",)).get_content()
    assert "index.cy.html" in body and "index.html" in body


def test_a_welsh_word_document_with_its_grades_and_items_in_tables(ctx, tmp_path):
    """Offices set grades and recommendations out in tables, in Welsh too: 'Maes | Gradd' and
    'Rhif | Argymhelliad | Ymateb y Comisiynydd' are read as their English counterparts are."""
    import docx

    welsh = docx.Document()
    welsh.add_paragraph("Teitl: PEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys")
    welsh.add_heading("Crynodeb", 2)
    welsh.add_paragraph("Canfu'r arolygiaeth fod yr heddlu'n dda am atal troseddau ond bod angen "
                        "iddo wella sut mae'n ateb galwadau brys.")
    welsh.add_heading("Graddau", 2)
    grades = welsh.add_table(rows=3, cols=2)
    for row, cells in zip(grades.rows, (("Maes", "Gradd"), ("Atal troseddau", "Da"),
                                        ("Ymateb i'r cyhoedd", "Angen gwella"))):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    welsh.add_heading("Argymhellion", 2)
    items = welsh.add_table(rows=3, cols=3)
    for row, cells in zip(items.rows, (
            ("Rhif", "Argymhelliad", "Ymateb y Comisiynydd"),
            ("1", "O fewn chwe mis, dylai'r heddlu ateb galwadau brys o fewn deg eiliad.",
             "Camau arfaethedig: Bydd y Comisiynydd yn adolygu'r gwaith o drin galwadau gyda'r "
             "heddlu bob mis."),
            ("2", "O fewn deuddeg mis, dylai'r heddlu gofnodi troseddau'n gywir.",
             "Camau a gymerwyd: Mae'r heddlu wedi hyfforddi pob triniwr galwadau i gofnodi "
             "troseddau."))):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    rest = CY_DOC.read_text(encoding="utf-8").split("## Achosion pryder")[1]
    for block in ("## Achosion pryder" + rest).split("\n\n"):
        line = block.strip()
        if line.startswith("## "):
            welsh.add_heading(line[3:], 2)
        elif line.startswith("- "):
            for item in line.split("\n"):
                welsh.add_paragraph(item[2:], style="List Bullet")
        elif line:
            welsh.add_paragraph(line)
    welsh.save(str(tmp_path / "cy-tables.docx"))
    from_tables = importing.read_record(ctx, EN_DOC, actor=OPCC,
                                        welsh=tmp_path / "cy-tables.docx")[0]
    from_text = importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=CY_DOC)[0]
    assert [(g.grade, g.cy_area) for g in from_tables.grades] == [
        ("Good", "Atal troseddau"), ("Requires improvement", "Ymateb i'r cyhoedd")]
    assert [(i.cy_text, i.answer.kind, i.answer.cy_text) for i in from_tables.recommendations] \
        == [(i.cy_text, i.answer.kind, i.answer.cy_text) for i in from_text.recommendations]
    assert from_tables.language_gaps() == []


def test_one_document_welsh_first_or_with_an_underlined_cymraeg_heading(ctx, tmp_path):
    """The two parts of one document as offices mark them: an underlined 'Cymraeg' heading
    (Markdown's other heading form), or the Welsh first with an 'English' heading before the
    English; each is the same record as the two documents."""
    two = importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=CY_DOC)[0]
    underlined = tmp_path / "underlined.md"
    underlined.write_text(EN_DOC.read_text() + "\nCymraeg\n=======\n\n" + CY_DOC.read_text())
    welsh_first = tmp_path / "welsh-first.md"
    welsh_first.write_text(CY_DOC.read_text() + "\n## English\n\n" + EN_DOC.read_text())
    for path in (underlined, welsh_first):
        assert importing.read_record(ctx, path, actor=OPCC)[0].content_hash() == \
            two.content_hash(), path.name


def test_a_welsh_office_without_welsh_titles_still_reads_a_welsh_document(home, db_url,
                                                                          tmp_path):
    """An office whose Welsh titles are not yet known: the Welsh heading map leaves out the
    headings made of them, rather than failing on two that became the same."""
    office = tmp_path / "office.yaml"
    office.write_text("force_id: dyfed-powys\n" + "\n".join(
        line for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
        if not line.startswith(("force_cy", "local_policing_body_title_cy",
                                "chief_officer_title_cy"))), encoding="utf-8")
    forces = tmp_path / "config"
    import shutil

    shutil.copytree(ROOT / "config", forces)
    (forces / "forces-cy.csv").write_text((forces / "forces-cy.csv").read_text().split("\n")[0]
                                          + "\n")
    ctx = make_ctx(home, db_url, when=WHEN, office_file=office, config_dir=forces)
    record = importing.read_record(ctx, EN_DOC, actor=OPCC, welsh=CY_DOC)[0]
    assert record.cy.summary.startswith("<p>Canfu'r arolygiaeth")
    assert "the local policing body's title: English only" in record.language_gaps()
