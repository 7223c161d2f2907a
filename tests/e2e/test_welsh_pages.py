"""The published Welsh and English pages of a Welsh office's response in Debian's Chromium,
checked with axe-core (WCAG 2.2 AA) as the English page always is, and their language links
followed as a reader would (issue 12)."""

from __future__ import annotations

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
