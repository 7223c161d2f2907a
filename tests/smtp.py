"""A real SMTP server on loopback (aiosmtpd) that can misbehave on purpose."""

from __future__ import annotations

import asyncio
import email
import socket
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """Records what arrived; refuses recipients (5xx) or defers messages (4xx) when told to."""

    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 ..." at RCPT
    defer: Counter = field(default_factory=Counter)  # address -> how many DATA replies are 451
    received: list = field(default_factory=list)
    delay: float = 0.0  # seconds before each message is accepted: a slow server
    on_accept: object = None  # called with the count after each accepted message
    together: int = 0  # hold each message until this many are being delivered at once (60 s)
    most_at_once: int = 0  # the most messages that were being delivered at the same moment
    _now: int = 0


    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if self.defer[address] > 0:
                self.defer[address] -= 1
                return "451 4.3.0 try again later"
        self._now += 1
        self.most_at_once = max(self.most_at_once, self._now)
        try:
            for _ in range(600 if self.together else 0):
                if self.most_at_once >= self.together:
                    break
                await asyncio.sleep(0.1)
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self._now -= 1
        self.received.append(email.message_from_bytes(envelope.content))
        if self.on_accept:
            self.on_accept(len(self.received))
        return "250 Message accepted"

    def count(self, to: str | None = None) -> int:
        return sum(1 for m in self.received if to is None or to in m["To"])

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.received]

    def copies(self) -> Counter:
        """Message-ID -> how many times it arrived."""
        return Counter(self.message_ids())


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def env(self) -> dict[str, str]:
        """The settings that point s55 at this server."""
        return {"S55_MAIL_TRANSPORT": "smtp", "S55_SMTP_HOST": "127.0.0.1",
                "S55_SMTP_PORT": str(self.port), "S55_SMTP_SECURITY": "none",
                "S55_SMTP_TIMEOUT": "5"}


def self_signed(folder) -> tuple[str, str]:
    """A certificate and key for 127.0.0.1, made now (nothing secret is kept in the repo)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Credentials:
    """An aiosmtpd authenticator accepting one user name and password."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = (getattr(auth_data, "login", None) == self.user
              and getattr(auth_data, "password", None) == self.password)
        return AuthResult(success=ok)
