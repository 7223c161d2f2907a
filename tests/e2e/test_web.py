"""The web app in Debian's Chromium (Playwright pointed at /usr/bin/chromium), checked with axe-core."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s55.services import reading
from tests import routes
from tests.conftest import AUDITOR, COMMISSIONER, _free_port, make_ctx
from tests.waiting import until, until_up

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                               "wcag22aa"]}}


def served(home: Path, prefect_api: str, port: int | None = None, **settings: str):
    """`s55 serve` on a free port (or `port`) for the home (and any further S55_ settings);
    its address, until the test ends."""
    port = port or _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), PREFECT_API_URL=prefect_api,
               S55_WEB_URL=f"http://127.0.0.1:{port}", **settings)
    proc = subprocess.Popen([sys.executable, "-m", "s55", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    problem = until_up(f"{url}/health", proc, seconds=60)
    if problem:
        proc.kill()
        pytest.fail(f"s55 serve did not start ({problem}): {proc.stderr.read()}")
    yield url
    proc.terminate()
    proc.wait(30)


@pytest.fixture
def server(home, prefect_api):
    yield from served(home, prefect_api)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=WCAG)
    return [f"{v['id']}: {v['help']}" for v in result.response["violations"]]


def newest_link(home: Path, to: str, subject_has: str, pattern: str) -> str | None:
    for path in sorted((home / "outbox").glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to in msg["To"] and subject_has in msg["Subject"]:
            text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
            return re.search(pattern, text.get_payload(decode=True).decode())[0]
    return None


def mailed_link(home: Path, to: str) -> str:
    """The newest sign-in link mailed to `to` (the served process mails it just after the page
    answers)."""
    return until(lambda: newest_link(home, to, "sign-in link", r"http\S+/signin/\S+"), 30,
                 f"a sign-in link mailed to {to}")


SIGN_IN_WORDS = {  # the sign-in page in each language (a Welsh-first office's is in Welsh)
    "en": ("Your email address", "Email me a sign-in link", "a sign-in link is on its way",
           "Sign in"),
    "cy": ("Eich cyfeiriad e-bost", "Anfon dolen fewngofnodi ataf",
           "mae dolen fewngofnodi ar ei ffordd", "Mewngofnodi"),
}


def sign_in(page, server, home, who, path="/", axe=False, lang="en"):
    label, ask, on_its_way, button = SIGN_IN_WORDS[lang]
    page.goto(path if path.startswith("http") else f"{server}{path}")
    assert page.url.startswith(f"{server}/signin")
    page.get_by_label(label).fill(who)
    page.get_by_role("button", name=ask).click()
    assert on_its_way in page.content()
    link = mailed_link(home, who)
    page.goto(link)  # a page with one button: opening the link spends nothing
    if axe:
        assert axe_violations(page) == []
    page.get_by_role("button", name=button).click()
    return link


@pytest.fixture
def awaiting_sign_off(home, seed_text):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    return ctx, routes.awaiting_sign_off(ctx, seed_text)


def test_the_commissioner_signs_off_from_the_emailed_link(browser, server, home, awaiting_sign_off):
    ctx, ref = awaiting_sign_off
    page = browser.new_page()
    page.goto(f"{server}/signin")
    assert axe_violations(page) == []
    link = sign_in(page, server, home, COMMISSIONER, f"/reviews/{ref}", axe=True)
    assert page.url == f"{server}/reviews/{ref}"
    current = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    assert current in page.content()
    assert axe_violations(page) == []

    page.get_by_role("button", name=f"Sign off version {current[:12]}").click()
    assert "Done: signed off" in page.content()
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert (shown["stage"], shown["signed_off_version"]) == ("signed off", current)
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    assert (trail[-1]["action"], trail[-1]["actor"]) == ("sign off", COMMISSIONER)

    page.goto(f"{server}/")
    assert ref in page.content() and axe_violations(page) == []
    page.goto(f"{server}/accessibility")
    assert axe_violations(page) == []

    reused = browser.new_page()
    response = reused.goto(link)
    assert response.status == 403 and "used already" in reused.content()
    assert reused.get_by_role("button", name="Sign in").count() == 0
    assert axe_violations(reused) == []


def test_refusals_wrong_role_and_missing_csrf(browser, server, home, awaiting_sign_off):
    ctx, ref = awaiting_sign_off
    page = browser.new_page()
    sign_in(page, server, home, AUDITOR, f"/reviews/{ref}")
    assert "Sign off version" not in page.content()  # the auditor is not offered the form ...
    version = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.content())[1]
    forged = page.request.post(f"{server}/reviews/{ref}/sign-off",
                               form={"version": version, "csrf": csrf})
    assert forged.status == 403 and "may not sign off" in forged.text()  # ... nor allowed it
    no_token = page.request.post(f"{server}/reviews/{ref}/sign-off", form={"version": version})
    assert no_token.status == 403 and "security token" in no_token.text()
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "awaiting sign-off"


def mailed_review_link(home: Path, to: str, subject_has: str) -> str:
    return until(lambda: newest_link(home, to, subject_has, r"http\S+/reviews/\S+"), 30,
                 f"a '{subject_has}' mail to {to}")


def test_the_whole_route_through_the_web(browser, server, home, seed_text):
    from datetime import date, timedelta

    from s55.housestyle import parse_record
    from s55.services import drafting
    from tests.conftest import CHIEF_CONSTABLE, OPCC

    ctx = make_ctx(home)
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date.today() - timedelta(days=3))
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text="Improve triage")

    opcc = browser.new_context().new_page()
    sign_in(opcc, server, home, OPCC, f"/reviews/{ref}")
    opcc.get_by_role("button", name="Invite the chief officer").click()
    assert "Done: chief officer invited" in opcc.content()

    chief = browser.new_context().new_page()
    sign_in(chief, server, home, CHIEF_CONSTABLE,
            mailed_review_link(home, CHIEF_CONSTABLE, "Your comments are invited"))
    assert axe_violations(chief) == []
    chief.get_by_label("The Chief Constable's comments on the report").fill(
        "We accept the findings and have a plan.")
    chief.get_by_role("button", name="Submit comments").click()
    assert "Done: saved" in chief.content()

    pcc = browser.new_context().new_page()
    sign_in(pcc, server, home, COMMISSIONER,
            mailed_review_link(home, COMMISSIONER, "Your comments and answers are needed"))
    pcc.get_by_label("Police and Crime Commissioner's comments on the report").fill("Initial.")
    pcc.get_by_label("Answer to recommendation 1 (s55(5B))").fill("A new triage model by March")
    pcc.get_by_role("button", name="Save").click()
    pcc.get_by_role("button", name=re.compile("Ask for sign-off")).click()
    sign_off_link = mailed_review_link(home, COMMISSIONER, "Sign-off requested")
    pcc.goto(sign_off_link)
    assert axe_violations(pcc) == []
    pcc.get_by_role("button", name=re.compile("Sign off version")).click()
    assert "Done: signed off" in pcc.content()

    opcc.goto(f"{server}/reviews/{ref}")
    opcc.get_by_role("button", name=re.compile("Publish version")).click()
    assert "Done: released for publication" in opcc.content()
    # the served route publishes and sends the copies just after the page has answered
    shown = until(lambda: (r := reading.show(ctx, actor=AUDITOR, ref=ref))["stage"] == "copies sent"
                  and r, 60, "publication and the statutory copies")
    published = opcc.context.new_page()
    published.goto(Path(shown["publication"]["page"]).as_uri())
    assert "A new triage model by March" in published.content()
    assert axe_violations(published) == []
    opcc.goto(f"{server}/report")
    assert ref in opcc.content() and axe_violations(opcc) == []


def test_two_people_saving_at_once_lose_nothing(browser, server, home, seed_text):
    from datetime import date, timedelta

    from s55.housestyle import parse_record
    from s55.services import drafting, route
    from tests.conftest import OPCC, STAFF_OFFICER

    ctx = make_ctx(home)
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date.today() - timedelta(days=3))
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text="Do A")
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="Agreed.")

    pcc = browser.new_context().new_page()
    sign_in(pcc, server, home, COMMISSIONER, f"/reviews/{ref}")
    opcc = browser.new_context().new_page()
    sign_in(opcc, server, home, OPCC, f"/reviews/{ref}")  # both have the same version open

    hostile = '<script>alert("x")</script> ‮evil‬ 👮 café e\u0301 "quotes" & <b>bold</b>'
    pcc.get_by_label("Answer to recommendation 1 (s55(5B))").fill(hostile)
    pcc.get_by_role("button", name="Save").click()
    assert "Done: saved" in pcc.content()

    mine = "The OPCC's draft answer, typed at the same moment"
    opcc.get_by_label("Answer to recommendation 1 (s55(5B))").fill(mine)
    opcc.get_by_role("button", name="Save").click()
    assert "The review changed while you were writing" in opcc.content()
    assert opcc.get_by_label("Answer to recommendation 1 (s55(5B))").input_value() == mine
    assert "What changed" in opcc.content()

    stored = reading.show(ctx, actor=AUDITOR, ref=ref)["recommendations"][0]["answer"]["text"]
    # answers are plain text: markup, script and the bidirectional override go (a signed-off
    # text must read as it is stored); every other character stays (NFC-composed)
    assert stored == 'evil 👮 café é "quotes" & bold'
    pcc.goto(f"{server}/reviews/{ref}")
    assert pcc.locator("script").count() == 0 and pcc.locator("main b").count() == 0
    assert "👮 café" in pcc.inner_text("main")

    csrf = re.search(r'name="csrf" value="([^"]+)"', pcc.content())[1]
    huge = pcc.request.post(f"{server}/reviews/{ref}/comments",
                            form={"csrf": csrf, "answer-1": "x" * 50_001})
    assert huge.status == 400
    assert "The answer to recommendation 1: is 50001 characters long" in huge.text()


def test_an_expired_link_is_refused(browser, server, home):
    from sqlalchemy import update

    from s55.services import signin
    from s55.store.models import SignInToken

    ctx = make_ctx(home, web_url=server)
    assert signin.request_link(ctx, email=COMMISSIONER, next_path="/", client="test").sent
    with ctx.uow() as session:
        session.execute(update(SignInToken).values(
            expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
    link = mailed_link_from_outbox(ctx, COMMISSIONER)
    page = browser.new_page()
    response = page.goto(link)
    assert response.status == 403 and "has expired" in page.content()


def mailed_link_from_outbox(ctx, to):
    from s55.services import mailing

    mailing.deliver(ctx, None)
    return mailed_link(ctx.settings.home, to)


def tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element reads `text` (keyboard only, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && (document.activeElement.innerText "
                                "|| document.activeElement.getAttribute('aria-label') || "
                                "document.activeElement.id || '')")
        if text in focused:
            return
    raise AssertionError(f"Tab never reached '{text}'")


def test_signing_in_and_signing_off_with_the_keyboard_alone(browser, server, home,
                                                            awaiting_sign_off):
    ctx, ref = awaiting_sign_off
    page = browser.new_page()
    page.goto(f"{server}/reviews/{ref}")
    tab_to(page, "email")
    page.keyboard.type(COMMISSIONER)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=a sign-in link is on its way")
    page.goto(mailed_link(home, COMMISSIONER))
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Sign off version")
    tab_to(page, "Sign off version")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Done: signed off")
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "signed off"


def test_sign_off_of_a_stale_version_is_refused_on_the_web(browser, server, home,
                                                           awaiting_sign_off):
    from s55.services import drafting
    from tests.conftest import OPCC

    ctx, ref = awaiting_sign_off
    page = browser.new_page()
    sign_in(page, server, home, COMMISSIONER, f"/reviews/{ref}")
    sent = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    # while the Commissioner reads, the OPCC changes an answer
    drafting.answer_recommendation(ctx, actor=OPCC, ref=ref, number=1, kind="action-proposed",
                                   text="A better answer")
    page.get_by_role("button", name=f"Sign off version {sent[:12]}").click()
    assert "is no longer current" in page.content()
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["signed_off_version"] is None
    page.goto(f"{server}/reviews/{ref}?version={sent}")
    assert "is no longer current" in page.content() and "A better answer" in page.content()
    assert axe_violations(page) == []


@pytest.fixture
def cycle_opened(home, seed_text, prefect_api):
    """A review whose copies went, two of its actions the staff officer's, a cycle opened for
    the board's December meeting; then `s55 serve` (which sends the cycle's messages)."""
    from datetime import date

    from s55.services import actions, cycles
    from tests.conftest import OPCC, STAFF_OFFICER
    from tests.integration.test_actions import copies_sent

    port = _free_port()  # the messages' links name the address the office serves
    ctx = make_ctx(home, when=datetime(2022, 10, 3, 9, tzinfo=UTC),
                   web_url=f"http://127.0.0.1:{port}")
    ref = copies_sent(ctx, seed_text)
    for item in ("R1", "A1"):
        actions.assign(ctx, actor=OPCC, name=f"{ref}/{item}", owner=STAFF_OFFICER,
                       target=date(2023, 3, 31))
    number = cycles.open_cycle(ctx, actor=OPCC, board="Accountability board",
                               meeting=date(2022, 12, 15))["cycle"]
    for server in served(home, prefect_api, port):
        yield ctx, ref, number, server


def test_an_owner_gives_updates_from_the_cycle_message_in_the_browser(browser, home,
                                                                      cycle_opened):
    """Issue 13: the link in a review cycle's message, followed in Chromium: sign in, update
    one action, be refused on another with the text kept, read the action's history; axe on
    every page."""
    from s55.services import actions
    from tests.conftest import STAFF_OFFICER

    ctx, ref, number, server = cycle_opened
    # the served process sends the cycle's messages
    link = until(lambda: newest_link(home, STAFF_OFFICER, "Accountability board",
                                     r"http\S+/actions\?cycle=\d+"), 30,
                 "the cycle's message to the owner")
    assert link == f"{server}/actions?cycle={number}"

    page = browser.new_page()
    sign_in(page, server, home, STAFF_OFFICER, link)
    assert page.url == link
    assert "Updates given for this meeting: 0 of 2." in page.content()
    assert axe_violations(page) == []

    r1 = f"{ref}-R1"
    page.locator(f"#status-{r1}").select_option("in progress")
    page.locator(f"#note-{r1}").fill("Triage model piloted in two districts")
    page.locator(f"#evidence-{r1}").fill("Pilot report, October 2022")
    page.get_by_role("button", name=f"Save the update to {ref}/R1").click()
    assert f"Saved: the update to {ref}/R1." in page.content()
    assert "Updates given for this meeting: 1 of 2." in page.content()
    assert axe_violations(page) == []

    a1 = f"{ref}-A1"
    page.locator(f"#status-{a1}").select_option("not accepted")
    page.locator(f"#note-{a1}").fill("The force disputes this finding")
    page.get_by_role("button", name=f"Save the update to {ref}/A1").click()
    alert = page.get_by_role("alert")
    assert "an action not accepted says why" in alert.inner_text()
    assert page.locator(f"#note-{a1}").input_value() == "The force disputes this finding"
    assert axe_violations(page) == []
    statuses = {a["action"]: a["status"] for a in actions.listing(ctx, actor=AUDITOR,
                                                                   report=ref)}
    assert (statuses[f"{ref}/R1"], statuses[f"{ref}/A1"]) == ("in progress", "not started")

    page.get_by_role("link", name=f"{ref}/R1").click()
    assert "Pilot report, October 2022" in page.content()
    assert axe_violations(page) == []
    page.goto(f"{server}/actions/themes")
    assert "Responding to the public" in page.content()
    assert axe_violations(page) == []
