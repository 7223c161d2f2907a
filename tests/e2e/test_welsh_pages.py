"""The published Welsh and English pages of a Welsh office's response in Debian's Chromium,
checked with axe-core (WCAG 2.2 AA) as the English page always is, and their language links
followed as a reader would (issue 12)."""

from __future__ import annotations

import re

import pytest

from s55.services import publishing, route
from tests.conftest import make_ctx
from tests.e2e import test_web
from tests.e2e.test_web import axe_violations
from tests.integration import test_welsh
from tests.integration.test_welsh import OPCC, PCC, WHEN, opened, to_sign_off

pytestmark = pytest.mark.slow
browser, office_file = test_web.browser, test_welsh.office_file  # their fixtures, shared


def test_the_welsh_page_reads_in_welsh_passes_axe_and_links_to_the_english(
        browser, home, office_file):
    ctx = make_ctx(home, when=WHEN, office_file=office_file)
    ref = opened(ctx)
    route.sign_off(ctx, actor=PCC, ref=ref, version=to_sign_off(ctx, ref))
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    files = publishing.publish_site(ctx, ref)
    site = ctx.settings.site

    page = browser.new_page()
    page.goto((site / files["page_cy"]["path"]).as_uri())
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("heading", level=2, name="Argymhellion").is_visible()
    assert page.get_by_role("heading", level=1).inner_text().startswith(
        "Heddlu Dyfed-Powys: ymateb i PEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys")
    assert axe_violations(page) == []

    # the link to the other language is a link a reader finds, in that language
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_role("heading", level=2, name="Recommendations").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "cy"

    index = browser.new_page()
    index.goto((site / "index.html").as_uri())
    assert axe_violations(index) == []
    index.get_by_role("link", name="Cymraeg", exact=True).first.click()
    index.wait_for_load_state()
    assert index.locator("html").get_attribute("lang") == "cy"
    assert axe_violations(index) == []
    # the Welsh timeliness page, from the Welsh index: in Welsh, and as accessible
    index.locator('a[href="compliance.cy.html"]').click()
    index.wait_for_load_state()
    assert index.locator("html").get_attribute("lang") == "cy"
    assert index.get_by_role("heading", level=1).inner_text() == \
        "Prydlondeb ymatebion i adroddiadau arolygu"
    assert axe_violations(index) == []


@pytest.fixture
def welsh_server(home, prefect_api, office_file):
    """`s55 serve` for the Welsh office (its people read the web app in Welsh first)."""
    yield from test_web.served(home, prefect_api, S55_OFFICE_FILE=str(office_file))


def test_a_welsh_office_reads_the_web_app_in_welsh_and_switches_on_every_page(
        browser, welsh_server, home, office_file):
    from s55.services import reading
    from tests.e2e.test_web import mailed_review_link, sign_in
    from tests.integration.test_welsh import CHIEF

    ctx = make_ctx(home, office_file=office_file, web_url=welsh_server)  # (links to it)
    ref = opened(ctx)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)

    chief = browser.new_context().new_page()
    # before anyone signs in, a Welsh-first office's sign-in page is in Welsh
    sign_in(chief, welsh_server, home, CHIEF,
            mailed_review_link(home, CHIEF, "Your comments are invited"), lang="cy")
    # the office puts Welsh first: its people read the pages in Welsh unless they switch
    assert chief.locator("html").get_attribute("lang") == "cy"
    assert chief.get_by_role("heading", level=3, name="Argymhellion").is_visible()
    assert chief.get_by_role("heading", level=1).inner_text().endswith(
        "PEEL 2023–25: Arolygiad o Heddlu Dyfed-Powys")
    assert axe_violations(chief) == []

    # a bilingual review's form takes both languages, in one decision
    chief.locator("#text").fill("We accept every recommendation.")
    chief.locator("#text-cy").fill("Rydym yn derbyn pob argymhelliad.")
    chief.get_by_role("button", name="Cyflwyno sylwadau").click()
    assert "Wedi'i wneud: wedi'i gadw." in chief.content()
    record = reading.record(ctx, actor=OPCC, ref=ref)
    assert record.chief_officer_response == "<p>We accept every recommendation.</p>"
    assert record.cy.chief_officer_response == "<p>Rydym yn derbyn pob argymhelliad.</p>"
    assert reading.show(ctx, actor=OPCC, ref=ref)["stage"] == "awaiting local policing body"

    # the switch is on every page; the choice holds on the next page
    chief.get_by_role("link", name="English").click()
    chief.wait_for_load_state()
    assert chief.locator("html").get_attribute("lang") == "en-GB"
    assert chief.url.endswith(f"/reviews/{ref}?done=saved")  # back where it was chosen
    assert chief.get_by_role("heading", level=3, name="Recommendations").is_visible()
    assert axe_violations(chief) == []
    chief.goto(f"{welsh_server}/")
    assert chief.get_by_role("heading", level=1, name="Open reviews").is_visible()
    chief.get_by_role("link", name="Cymraeg").click()
    chief.wait_for_load_state()
    assert chief.get_by_role("heading", level=1, name="Adolygiadau agored").is_visible()
    assert axe_violations(chief) == []

    # the commissioner changes the English of the initial response only: its Welsh is now
    # stale, holding sign-off, until confirmed on the same form
    from tests.integration.test_welsh import PCC

    pcc = browser.new_context().new_page()
    sign_in(pcc, welsh_server, home, PCC, f"{welsh_server}/reviews/{ref}", lang="cy")
    pcc.locator("#initial").fill("I welcome this report, and its findings.")
    pcc.get_by_role("button", name="Cadw").click()
    gaps = reading.record(ctx, actor=OPCC, ref=ref).language_gaps()
    assert any(g.startswith("initial response: the Welsh was written for an earlier") for g in gaps)
    box = pcc.get_by_label(re.compile("mae'n dal i ddweud yr un peth"))
    assert box.count() == 1 and axe_violations(pcc) == []
    box.check()
    pcc.get_by_role("button", name="Cadw").click()
    assert "Wedi'i wneud: wedi'i gadw." in pcc.content()
    assert reading.record(ctx, actor=OPCC, ref=ref).language_gaps() == []

    # the switch goes back only to a page of this app
    chief.goto(f"{welsh_server}/language/en?next=//attacker.invalid/")
    assert chief.url == f"{welsh_server}/"
    assert chief.goto(f"{welsh_server}/language/xx").status == 404


def test_a_cycle_report_in_each_language_passes_axe_and_links_the_other(
        browser, home, office_file):
    """Issue 13: the board's report of a Welsh office, as a reader opens it on the site."""
    from datetime import UTC, datetime, timedelta

    from s55.services import actions, cycles
    from tests.conftest import FixedClock
    from tests.integration.test_welsh import CHIEF, copies_sent

    ctx = make_ctx(home, when=WHEN, office_file=office_file)
    ref = copies_sent(ctx)
    for action in actions.listing(ctx, actor=OPCC, report=ref)[:3]:
        actions.assign(ctx, actor=OPCC, name=action["action"], owner=CHIEF,
                       target=WHEN.date() + timedelta(days=30))
    meeting = WHEN.date() + timedelta(days=60)
    number = cycles.open_cycle(ctx, actor=OPCC, board="Bwrdd Atebolrwydd",
                               meeting=meeting)["cycle"]
    ctx.clock = FixedClock(datetime(meeting.year, meeting.month, meeting.day, 9, tzinfo=UTC))
    cycles.sweep(ctx, today=meeting)
    folder = ctx.settings.site / f"cycles/{number}"

    page = browser.new_page()
    page.goto((folder / "index.html").as_uri())
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_role("heading", level=2, name="Overdue actions").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("img").get_attribute("src") == "rag.cy.svg"
    assert "O fewn chwe mis" in page.content()  # the overdue item, in Welsh
    assert axe_violations(page) == []
