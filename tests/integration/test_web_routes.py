"""Every route of the web app and its refusals, through FastAPI's TestClient (no browser): real
SQLite, real templates, the real services. The Chromium tests in tests/e2e/test_web.py cover
what only a browser shows."""

from __future__ import annotations

import email
import re
import warnings
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from s55.domain.workflow import Action, Role, Stage, allowed, transition
from s55.services import drafting, mailing, publishing, reading, route, signin
from s55.store.models import OutboxMessage, RouteRequest
from tests import routes
from tests.conftest import AUDITOR, CHIEF_CONSTABLE, COMMISSIONER, OPCC, STAFF_OFFICER, make_ctx

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

WEB_URL = "https://s55.opcc.example.org"
DAY_ONE = datetime(2022, 9, 23, 9, tzinfo=UTC)


class Clock:
    def __init__(self, when: datetime):
        self.when = when

    def __call__(self) -> datetime:
        return self.when


@pytest.fixture
def ctx(home):
    ctx = make_ctx(home, web_url=WEB_URL)
    ctx.clock = Clock(DAY_ONE)
    return ctx


def client(ctx, host: str = "127.0.0.1", base: str = "http://127.0.0.1:8055") -> TestClient:
    from s55.web.app import create_app

    return TestClient(create_app(ctx), base_url=base, client=(host, 50000))


def links(ctx) -> list[OutboxMessage]:
    with ctx.uow() as session:
        return session.query(OutboxMessage).filter_by(template="signin").order_by(
            OutboxMessage.id).all()


def newest_token(ctx) -> str:
    return re.search(r"/signin/([A-Za-z0-9_-]+)", links(ctx)[-1].body_text)[1]


def signed_in(ctx, who: str, host: str = "127.0.0.1") -> TestClient:
    web = client(ctx, host)
    assert web.post("/signin", data={"email": who}).status_code == 200
    answer = web.post(f"/signin/{newest_token(ctx)}", follow_redirects=False)
    assert answer.status_code == 303
    web.cookies.set("s55_session", answer.cookies["s55_session"])
    return web


def form(page: str, action: str) -> dict:
    """The named fields of the form posting to `action` on a page, as a browser would send."""
    html = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', page,
                     re.S)[1]
    fields = {m[1]: unescape(m[2]) for m in re.finditer(
        r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    fields.update({m[1]: unescape(m[2]) for m in re.finditer(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)})
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', options) or \
            re.search(r'<option value="([^"]+)"', options)
        fields[name] = chosen[1]
    return fields


# --- links from configuration only ----------------------------------------------------------

def test_a_hostile_host_header_never_reaches_the_link(ctx):
    web = client(ctx, base="http://evil.example")
    page = web.post("/signin", data={"email": COMMISSIONER}, headers={"Host": "evil.example"})
    assert page.status_code == 200 and "a sign-in link is on its way" in page.text
    body = links(ctx)[-1].body_text + links(ctx)[-1].body_html
    assert "evil.example" not in body
    assert re.search(rf"{re.escape(WEB_URL)}/signin/[A-Za-z0-9_-]{{20,}}", body)


def test_serve_refuses_to_listen_beyond_loopback_without_S55_WEB_URL(home):
    from s55.served import serve
    from s55.settings import SettingError

    bare = make_ctx(home)
    with pytest.raises(SettingError, match="S55_WEB_URL: must be set"):
        serve(bare, host="0.0.0.0", port=1)


# --- sign-in limits and hygiene -------------------------------------------------------------

def test_link_requests_are_limited_per_address_with_the_same_answer_for_anyone(ctx):
    web = client(ctx)
    limit = ctx.settings.signin_limit
    known = [web.post("/signin", data={"email": COMMISSIONER}) for _ in range(limit)]
    unknown = [web.post("/signin", data={"email": "nobody@example.invalid"})
               for _ in range(limit)]
    assert [p.status_code for p in known + unknown] == [200] * (2 * limit)
    assert {_notice(p.text) for p in known + unknown} == {_notice(known[0].text)}
    assert len(links(ctx)) == limit

    held = [web.post("/signin", data={"email": who})
            for who in (COMMISSIONER, "nobody@example.invalid")]
    for page in held:  # the truth, the same for both, and when to try again
        assert page.status_code == 429
        assert "No link was sent" in page.text and "on its way" not in page.text
        assert "You can ask again after" in page.text
    assert _notice(held[0].text) == _notice(held[1].text)
    assert len(links(ctx)) == limit

    ctx.clock.when += timedelta(minutes=ctx.settings.signin_window_minutes, seconds=1)
    assert web.post("/signin", data={"email": COMMISSIONER}).status_code == 200
    assert len(links(ctx)) == limit + 1


def _notice(page: str) -> str:
    return re.search(r'<p class="notice"[^>]*>(.*?)</p>', page, re.S)[1]


def test_link_requests_are_limited_per_client(home):
    ctx = make_ctx(home, web_url=WEB_URL, signin_client_limit=4)
    web = client(ctx, "203.0.113.9")
    people = [OPCC, COMMISSIONER, AUDITOR, STAFF_OFFICER, CHIEF_CONSTABLE]
    answers = [web.post("/signin", data={"email": who}).status_code for who in people]
    assert answers == [200, 200, 200, 200, 429]
    assert client(ctx, "203.0.113.10").post(
        "/signin", data={"email": CHIEF_CONSTABLE}).status_code == 200


def test_bad_links_hold_a_client_back_and_the_page_says_so(ctx):
    web = client(ctx, "198.51.100.7")
    for n in range(signin.MAX_FAILURES):
        answer = web.post(f"/signin/not-a-real-link-{n}")
        assert answer.status_code == 403 and "not valid" in answer.text
    page = web.post("/signin", data={"email": COMMISSIONER})
    assert page.status_code == 429 and "sign-ins have failed from your network" in page.text
    assert not links(ctx)


def test_forwarded_addresses_are_believed_only_from_named_proxies(home):
    spoof = {"X-Forwarded-For": "192.0.2.66"}
    plain = make_ctx(home, web_url=WEB_URL)
    client(plain, "127.0.0.1").post("/signin", data={"email": "x@example.invalid"}, headers=spoof)
    behind = make_ctx(home, web_url=WEB_URL, trusted_proxies="10.0.0.0/8")
    client(behind, "10.1.2.3").post("/signin", data={"email": "y@example.invalid"},
                                    headers={"X-Forwarded-For": "192.0.2.66, 10.9.9.9"})
    from s55.store import repo

    # proxies write addresses with ports, and IPv6 listeners see IPv4-mapped peers
    client(behind, "::ffff:10.1.2.3").post("/signin", data={"email": "z@example.invalid"},
                                           headers={"X-Forwarded-For": "198.51.100.4:5123"})
    client(behind, "10.1.2.3").post("/signin", data={"email": "w@example.invalid"},
                                    headers={"X-Forwarded-For": "[2001:db8::7]:443"})
    with plain.uow() as session:  # the trail names the client each request came from
        clients = [e.details["client"] for e in repo.audit_entries(session)
                   if e.action == "refused: web sign-in"]
    assert clients == ["127.0.0.1", "192.0.2.66", "198.51.100.4", "2001:db8::7"]


def test_the_query_string_puts_no_free_text_on_a_page(ctx, seed_text):
    ref = routes.awaiting_sign_off(ctx, seed_text)
    web = signed_in(ctx, COMMISSIONER)
    hostile = web.get(f"/reviews/{ref}", params={"done": "your-account-is-locked-call-0800"})
    assert "locked" not in hostile.text and "Done:" not in hostile.text
    assert "Done: signed off." in web.get(f"/reviews/{ref}?done=signed-off").text
    lure = "Your account is locked; call 0800 000 000"
    for path, params in ((f"/reviews/{ref}/diff", {"old": lure, "new": lure}),
                         (f"/reviews/{ref}", {"version": lure}),
                         (f"/reviews/{lure}", {})):
        answer = web.get(path, params=params)
        assert "locked" not in answer.text and "0800" not in answer.text, path


def test_opening_a_link_spends_nothing_and_its_button_does(ctx):
    web = client(ctx)
    web.post("/signin", data={"email": COMMISSIONER, "next": "/report"})
    token = newest_token(ctx)
    for _ in range(3):  # a mail scanner, then the person, open it
        opened = web.get(f"/signin/{token}")
        assert opened.status_code == 200 and "press the button to sign in" in opened.text
        assert "s55_session" not in opened.cookies
    used = web.post(f"/signin/{token}", follow_redirects=False)
    assert used.status_code == 303 and used.headers["location"] == "/report"
    assert "HttpOnly" in used.headers["set-cookie"] and "Secure" in used.headers["set-cookie"]
    again = web.get(f"/signin/{token}")
    assert again.status_code == 403 and "used already" in again.text
    assert web.post(f"/signin/{token}").status_code == 403


def test_links_sessions_and_counts_are_purged(ctx):
    web = client(ctx)
    web.post("/signin", data={"email": COMMISSIONER})
    web.post(f"/signin/{newest_token(ctx)}")
    web.post("/signin", data={"email": "nobody@example.invalid"})
    assert signin.counts(ctx) == {"links": 1, "sessions": 1, "events": 4}
    ctx.clock.when += signin.KEEP_SPENT + signin.SESSION_LIFETIME
    signin.purge(ctx)
    assert signin.counts(ctx) == {"links": 0, "sessions": 0, "events": 0}


def test_a_sent_link_is_not_kept_in_the_outbox(ctx):
    client(ctx).post("/signin", data={"email": COMMISSIONER})
    token = newest_token(ctx)
    mailing.deliver(ctx, None)
    stored = links(ctx)[-1]
    assert stored.status == "sent"
    assert token not in stored.body_text + stored.body_html
    assert "link removed from the stored copy once sent" in stored.body_text
    # the mailbox (the files transport's .eml) is where the link lives, as with any mail
    sent = ctx.settings.outbox / f"{mailing.file_key(stored)}.eml"
    mail = email.message_from_bytes(sent.read_bytes())
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert token in text.get_payload(decode=True).decode()


def test_every_response_carries_the_security_headers(ctx, seed_text):
    routes.published(ctx, seed_text)
    web = signed_in(ctx, OPCC)
    answers = [web.get("/no-such-page"), web.get("/report/chart.svg"), web.get("/health"),
               web.post("/signin", data={}), web.get("/"), client(ctx).get("/",
                                                                          follow_redirects=False)]
    assert [a.status_code for a in answers] == [404, 200, 200, 400, 200, 303]
    for answer in answers:
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
    assert "application/json" not in answers[3].headers["content-type"]


# --- all or nothing -------------------------------------------------------------------------

def _awaiting_lpb(ctx, seed_text) -> str:
    ref = drafting.open_review(ctx, actor=OPCC, record=routes.parse_record(seed_text),
                               published_on=DAY_ONE.date())
    for text in ("Do A", "Do B"):
        drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text=text)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="<p>Agreed.</p>")
    return ref


def _state(ctx, ref) -> tuple:
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    with ctx.uow() as session:
        asked = session.query(RouteRequest).count()
    trail = [e["action"] for e in reading.audit_trail(ctx, actor=AUDITOR, ref=ref)]
    return shown["current_version"], shown["stage"], asked, [a for a in trail
                                                             if not a.startswith("refused")]


def test_a_form_with_one_bad_answer_stores_nothing_and_comes_back_filled_in(ctx, seed_text):
    ref = _awaiting_lpb(ctx, seed_text)
    web = signed_in(ctx, COMMISSIONER)
    before = _state(ctx, ref)
    fields = form(web.get(f"/reviews/{ref}").text, f"/reviews/{ref}/comments")
    fields.update({"initial": "We welcome the report.", "overall": "We will hold the force to it.",
                   "answer-1": "Done in October.", "kind-1": "action-taken",
                   "answer-2": "Planned for spring.", "kind-2": "maybe-later"})
    page = web.post(f"/reviews/{ref}/comments", data=fields)
    assert page.status_code == 400
    assert "Nothing was saved" in page.text
    assert "The kind of answer to recommendation 2: must be one of" in page.text
    assert "--kind" not in page.text
    for typed in ("We welcome the report.", "We will hold the force to it.", "Done in October.",
                  "Planned for spring."):
        assert typed in page.text
    assert _state(ctx, ref) == before
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    assert trail[-1]["action"] == "refused: submit local policing body's comments"
    assert trail[-1]["actor"] == COMMISSIONER and "recommendation" not in trail[-1]["version"]

    fields["kind-2"] = "action-proposed"
    done = web.post(f"/reviews/{ref}/comments", data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=saved")
    version, stage, asked, trail = _state(ctx, ref)
    assert (stage, asked) == ("awaiting local policing body", before[2] + 1)
    assert trail == before[3] + ["submit local policing body's comments"]  # one entry
    record = reading.record(ctx, actor=AUDITOR, ref=ref)
    assert record.initial_response and record.overall_comments
    assert [str(r.answer.kind) for r in record.recommendations] == ["action taken",
                                                                     "action proposed"]


def test_a_stage_that_moved_on_keeps_what_was_typed(ctx, seed_text):
    ref = _awaiting_lpb(ctx, seed_text)
    web = signed_in(ctx, COMMISSIONER)
    fields = form(web.get(f"/reviews/{ref}").text, f"/reviews/{ref}/comments")
    route.send_back(ctx, actor=OPCC, ref=ref, to="drafting", reason="Wrong report")
    fields.update({"initial": "A long reply typed over an hour."})
    page = web.post(f"/reviews/{ref}/comments", data=fields)
    assert page.status_code == 409 and "Nothing was saved" in page.text
    assert "A long reply typed over an hour." in page.text


def test_a_send_back_without_a_reason_keeps_the_choice(ctx, seed_text):
    ref = _awaiting_lpb(ctx, seed_text)
    web = signed_in(ctx, COMMISSIONER)
    fields = form(web.get(f"/reviews/{ref}").text, f"/reviews/{ref}/send-back")
    page = web.post(f"/reviews/{ref}/send-back", data={**fields, "to": "drafting",
                                                        "reason": "   "})
    assert page.status_code == 400 and "Why: a send-back must say why" in page.text
    assert '<option value="drafting" selected>' in page.text


# --- one source for the rules ---------------------------------------------------------------

ENDPOINTS = {  # what each web form asks for, in the table's words
    "invite": {Action.INVITE_CHIEF_OFFICER},
    "comments": {Action.CHIEF_OFFICER_COMMENTS, Action.LOCAL_POLICING_BODY_COMMENTS,
                 Action.ANSWER_RECOMMENDATION},
    "request-sign-off": {Action.REQUEST_SIGN_OFF},
    "sign-off": {Action.SIGN_OFF},
    "publish": {Action.PUBLISH},
    "send-back": {Action.SEND_BACK_TO_CHIEF_OFFICER, Action.SEND_BACK_TO_DRAFTING},
}
PEOPLE = {Role.OPCC_OFFICER: OPCC, Role.CHIEF_OFFICER: STAFF_OFFICER,
          Role.LOCAL_POLICING_BODY: COMMISSIONER, Role.AUDITOR: AUDITOR}


@pytest.fixture
def every_stage(ctx, seed_text) -> dict[Stage, str]:
    """One review in each stage."""
    refs = {}
    refs[Stage.DRAFT] = drafting.open_review(ctx, actor=OPCC, record=routes.parse_record(
        seed_text), published_on=DAY_ONE.date())
    refs[Stage.AWAITING_CHIEF_OFFICER] = ref = drafting.open_review(
        ctx, actor=OPCC, record=routes.parse_record(seed_text), published_on=DAY_ONE.date())
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    refs[Stage.AWAITING_LOCAL_POLICING_BODY] = _awaiting_lpb(ctx, seed_text)
    refs[Stage.AWAITING_SIGN_OFF] = routes.awaiting_sign_off(ctx, seed_text, DAY_ONE.date())
    refs[Stage.SIGNED_OFF] = routes.signed_off(ctx, seed_text, DAY_ONE.date())
    refs[Stage.PUBLISHED] = ref = routes.signed_off(ctx, seed_text, DAY_ONE.date())
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    publishing.publish_site(ctx, ref)
    refs[Stage.WITHDRAWN] = ref = drafting.open_review(
        ctx, actor=OPCC, record=routes.parse_record(seed_text), published_on=DAY_ONE.date())
    route.withdraw(ctx, actor=OPCC, ref=ref, reason="opened twice")
    for stage, ref in refs.items():
        assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == stage
    return refs


def test_every_action_a_page_offers_is_allowed_by_the_table_and_every_allowed_one_offered(
        ctx, every_stage):
    for role, who in PEOPLE.items():
        web = signed_in(ctx, who)
        for stage, ref in every_stage.items():
            page = web.get(f"/reviews/{ref}").text
            offered = set(re.findall(rf'action="/reviews/{ref}/([a-z-]+)"', page))
            may = set(allowed(role, stage))
            for endpoint in offered:
                assert ENDPOINTS[endpoint] & may, (role, stage, endpoint)
            for endpoint, actions in ENDPOINTS.items():
                if actions & may:
                    assert endpoint in offered, (role, stage, endpoint)
            options = set(re.findall(r'<option value="(chief-officer|drafting)"', page))
            assert options == {o for o, a in (("chief-officer", Action.SEND_BACK_TO_CHIEF_OFFICER),
                                              ("drafting", Action.SEND_BACK_TO_DRAFTING))
                               if a in may}, (role, stage)


def test_every_refusal_the_web_shows_comes_from_the_table(ctx, every_stage):
    posts = {"invite": (Action.INVITE_CHIEF_OFFICER, {}),
             "request-sign-off": (Action.REQUEST_SIGN_OFF, {}),
             "sign-off": (Action.SIGN_OFF, {"version": "0" * 64}),
             "publish": (Action.PUBLISH, {}),
             "send-back": (Action.SEND_BACK_TO_DRAFTING, {"to": "drafting", "reason": "x"})}
    checked = 0
    for role, who in PEOPLE.items():
        web = signed_in(ctx, who)
        token = re.search(r'name="csrf" value="([^"]+)"', web.get("/").text)[1]
        for stage, ref in every_stage.items():
            for endpoint, (action, data) in posts.items():
                if action in allowed(role, stage):
                    continue
                answer = web.post(f"/reviews/{ref}/{endpoint}", data={**data, "csrf": token})
                with pytest.raises(Exception) as table:
                    transition(action, role, stage)
                assert answer.status_code in (403, 409), (role, stage, endpoint)
                assert unescape(str(table.value)) in unescape(answer.text), (role, stage, endpoint)
                checked += 1
    assert checked > 60


def test_a_form_without_its_token_is_refused(ctx, seed_text):
    ref = routes.awaiting_sign_off(ctx, seed_text)
    web = signed_in(ctx, COMMISSIONER)
    version = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    answer = web.post(f"/reviews/{ref}/sign-off", data={"version": version})
    assert answer.status_code == 403 and "security token is missing or wrong" in answer.text
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "awaiting sign-off"


def test_signed_out_pages_send_you_to_sign_in_and_back(ctx, seed_text):
    ref = routes.awaiting_sign_off(ctx, seed_text)
    for path in ("/", f"/reviews/{ref}", "/report", "/report/chart.svg"):
        answer = client(ctx).get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin?next=")


# --- finished is finished -------------------------------------------------------------------

def test_a_published_review_says_how_it_ended_everywhere(ctx, seed_text):
    ref = routes.published(ctx, seed_text)  # released on day 2 of 56
    ctx.clock.when = datetime(2026, 11, 27, 12, tzinfo=UTC)  # years later
    expected = "published on day 2 of 56 (on time)"
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["progress"] == expected
    assert reading.list_reviews(ctx, actor=AUDITOR)[0]["progress"] == expected
    web = signed_in(ctx, OPCC)
    page = web.get(f"/reviews/{ref}").text
    assert expected in page and "late by" not in page
    home_page = web.get("/").text
    assert "Recently published" in home_page
    recent = home_page.split("Recently published")[1]
    assert "Nothing published in the last 90 days" in recent  # 2022 is long ago now
    ctx.clock.when = DAY_ONE + timedelta(days=3)
    recent = web.get("/").text.split("Recently published")[1]
    assert ref in recent and expected in recent and "the published response to" in recent
