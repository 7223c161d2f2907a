"""The web app in Debian's Chromium (Playwright pointed at /usr/bin/chromium), checked with axe-core."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s55.services import reading
from tests import routes
from tests.conftest import AUDITOR, COMMISSIONER, _free_port, make_ctx

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                               "wcag22aa"]}}


@pytest.fixture
def server(home, prefect_api):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), PREFECT_API_URL=prefect_api)
    proc = subprocess.Popen([sys.executable, "-m", "s55", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # poll /health until it answers
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"s55 serve did not start: {proc.stderr.read()}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(30)


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


def mailed_link(home: Path, to: str) -> str:
    for path in sorted((home / "outbox").glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes())
        if to in msg["To"] and "sign-in link" in msg["Subject"]:
            text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
            return re.search(r"http\S+/signin/\S+", text.get_payload(decode=True).decode())[0]
    raise AssertionError(f"no sign-in link was mailed to {to}")


def sign_in(page, server, home, who, path="/"):
    page.goto(f"{server}{path}")
    assert page.url.startswith(f"{server}/signin")
    page.get_by_label("Your email address").fill(who)
    page.get_by_role("button", name="Email me a sign-in link").click()
    assert "a sign-in link is on its way" in page.content()
    link = mailed_link(home, who)
    page.goto(link)
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
    link = sign_in(page, server, home, COMMISSIONER, f"/reviews/{ref}")
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
