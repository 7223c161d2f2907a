"""The outbox against a real SMTP server on loopback: outages, 4xx, 5xx, attachments."""

from __future__ import annotations

import email
import hashlib
from datetime import UTC, datetime

import pytest

from s55.services import mailing, publishing, reading
from tests.conftest import AUDITOR, make_ctx
from tests.routes import published

HMICFRS = "s55-responses@hmicfrs.example.org"
HOME_OFFICE = "s55-responses@homeoffice.example.org"


@pytest.fixture
def server(smtp_server):
    return smtp_server


@pytest.fixture
def ctx(home, server):
    return make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC), mail_transport="smtp",
                    smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none",
                    smtp_timeout=5)


def statuses(ctx) -> dict[str, str]:
    return {f"{m['template']}:{m['recipient']}": m["status"] for m in mailing.outbox_rows(ctx)
            if m["status"] != "cancelled"}


def test_an_outage_then_recovery_delivers_every_message_once(ctx, server, seed_text):
    ref = published(ctx, seed_text)
    outcome = mailing.deliver(ctx, ref)  # nothing listens on the port yet
    assert outcome["sent"] == [] and len(outcome["retry"]) == 6
    assert "cannot connect" in mailing.outbox_rows(ctx, status="pending")[0]["last_error"]
    assert set(statuses(ctx).values()) == {"pending"}

    server.start()
    assert len(mailing.deliver(ctx, ref)["sent"]) == 6
    assert mailing.deliver(ctx, ref) == {"sent": [], "failed": [], "retry": [],
                                         "unreachable": False}
    assert server.mailbox.count() == 6
    assert len(set(server.mailbox.message_ids())) == 6
    assert publishing.finish_copies(ctx, ref)
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    copies = next(e for e in trail if e["action"] == "copies sent")["details"]["copies"]
    assert {c["to"] for c in copies} == {HMICFRS, HOME_OFFICE} and all(c["sent_at"] for c in copies)


def test_a_4xx_reply_is_retried_and_the_message_arrives_once(ctx, server, seed_text):
    ref = published(ctx, seed_text)
    server.start()
    server.mailbox.defer[HMICFRS] = 1
    first = mailing.deliver(ctx, ref)
    assert len(first["sent"]) == 5 and len(first["retry"]) == 1 and "451" in first["retry"][0]
    assert statuses(ctx)[f"statutory_copy:{HMICFRS}"] == "pending"
    assert not publishing.finish_copies(ctx, ref)  # a copy is still owed
    assert mailing.deliver(ctx, ref)["sent"] == [f"statutory_copy: {HMICFRS}"]
    assert server.mailbox.count(HMICFRS) == 1
    assert publishing.finish_copies(ctx, ref)


def test_a_5xx_for_one_recipient_fails_that_message_only_and_keeps_it(ctx, server, seed_text):
    ref = published(ctx, seed_text)
    server.start()
    server.mailbox.refuse["press@example.org"] = "550 5.1.1 no such user here"
    outcome = mailing.deliver(ctx, ref)
    assert len(outcome["sent"]) == 5 and len(outcome["failed"]) == 1
    failed = mailing.outbox_rows(ctx, status="failed")
    assert [m["recipient"] for m in failed] == ["press@example.org"]
    assert "550 5.1.1 no such user here" in failed[0]["last_error"]
    assert server.mailbox.count() == 5
    mailing.deliver(ctx, ref)  # the next run tries it again; it is never dropped
    assert mailing.outbox_rows(ctx, status="failed")[0]["attempts"] == 2
    assert publishing.finish_copies(ctx, ref)  # the statutory copies did go


def test_the_statutory_copy_carries_the_published_pdf_and_the_address(ctx, server, seed_text):
    ref = published(ctx, seed_text)
    server.start()
    mailing.deliver(ctx, ref)
    copy = next(m for m in server.mailbox.received if HOME_OFFICE in m["To"])
    pdf = next(p for p in copy.walk() if p.get_content_type() == "application/pdf")
    files = reading.show(ctx, actor=AUDITOR, ref=ref)["publication"]["files"]
    assert hashlib.sha256(pdf.get_payload(decode=True)).hexdigest() == files["pdf"]["sha256"]
    text = next(p for p in copy.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    page = f"{ctx.settings.site_address}/responses/{ref}/index.html"
    assert page in body and "section 55(6)" in body
    assert email.utils.parseaddr(copy["To"])[1] == HOME_OFFICE
    # the time of the decision, in the office's own clock: 10:00 BST on 23 September
    assert copy["Date"] == "Fri, 23 Sep 2022 10:00:00 +0100"
    assert email.utils.parsedate_to_datetime(copy["Date"]) == datetime(2022, 9, 23, 9, tzinfo=UTC)


def test_a_pdf_altered_after_publication_is_not_sent_as_the_copy(ctx, server, seed_text):
    ref = published(ctx, seed_text)
    pdf = ctx.settings.site / reading.show(ctx, actor=AUDITOR, ref=ref)["publication"]["files"][
        "pdf"]["path"]
    pdf.write_bytes(pdf.read_bytes() + b"tampered")
    server.start()
    outcome = mailing.deliver(ctx, ref)
    assert len(outcome["failed"]) == 2 and server.mailbox.count(HMICFRS) == 0
    assert "no longer matches the published file" in mailing.outbox_rows(
        ctx, status="failed")[0]["last_error"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_credentials_are_used_and_a_wrong_password_keeps_the_mail(home, seed_text,
                                                                       tmp_path, security):
    import ssl

    from aiosmtpd.controller import Controller

    from tests.smtp import Credentials, Mailbox, free_port, self_signed

    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    # aiosmtpd only knows a session is encrypted after STARTTLS, so with implicit TLS it
    # must be told not to insist on it before offering AUTH
    options = ({"tls_context": server_tls, "require_starttls": True, "auth_require_tls": True}
               if security == "starttls" else {"ssl_context": server_tls,
                                               "auth_require_tls": False})
    controller = Controller(mailbox, hostname="127.0.0.1", port=port,
                            authenticator=Credentials("s55", "correct horse"),
                            auth_required=True, **options)
    controller.start()
    try:
        settings = dict(mail_transport="smtp", smtp_host="127.0.0.1", smtp_port=port,
                        smtp_security=security, smtp_username="s55", smtp_ca_file=cert,
                        smtp_timeout=2)
        when = datetime(2022, 9, 23, 9, tzinfo=UTC)
        wrong = make_ctx(home, when=when, smtp_password="wrong", **settings)
        ref = published(wrong, seed_text)
        outcome = mailing.deliver(wrong, ref)  # refused at AUTH: nothing sent, all kept
        assert outcome["sent"] == [] and len(outcome["retry"]) == 6
        assert mailbox.count() == 0
        right = make_ctx(home, when=when, smtp_password="correct horse", **settings)
        second = mailing.deliver(right, ref)
        assert len(second["sent"]) == 6, second
        assert mailbox.count() == 6
    finally:
        controller.stop()


def test_a_finished_review_with_a_failed_notice_is_still_on_the_routes_list(ctx, server,
                                                                           seed_text):
    from s55.services.automation import open_refs

    ref = published(ctx, seed_text)
    server.start()
    server.mailbox.refuse["press@example.org"] = "550 5.1.1 no such user here"
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    assert open_refs(ctx) == [ref]  # copies sent, but the press notice is owed
    server.mailbox.refuse.clear()
    mailing.deliver(ctx, ref)
    assert open_refs(ctx) == []
    assert server.mailbox.count("press@example.org") == 1


def test_an_hour_without_a_mail_server_then_every_message_once(ctx, server, seed_text):
    """The served process tries waiting mail every minute: an hour of tries against a closed
    port (here one every two minutes, the clock moved on each time) loses nothing and gives
    up on nothing; when the server is back, each message arrives once."""
    from datetime import timedelta

    from s55.services import requests
    from s55.services.automation import run_here

    ref = published(ctx, seed_text)
    start = ctx.clock.when
    for minute in range(0, 61, 2):
        ctx.clock.when = start + timedelta(minutes=minute)
        requests.retry_unsent(ctx, by="the test's minute")  # what s55 serve does each minute
        run_here(ctx, ref)
    assert set(statuses(ctx).values()) == {"pending"}  # nothing given up on
    assert min(m["attempts"] for m in mailing.outbox_rows(ctx, status="pending")) >= 30

    server.start()
    ctx.clock.when = start + timedelta(minutes=62)
    requests.retry_unsent(ctx, by="the test's minute")
    run_here(ctx, ref)
    assert set(statuses(ctx).values()) == {"sent"}
    assert server.mailbox.count() == 6 and len(set(server.mailbox.message_ids())) == 6
    run_here(ctx, ref)
    assert server.mailbox.count() == 6
