"""Transports: `.eml` files in the outbox folder (the embedded default) and SMTP (aiosmtplib)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from ..settings import Settings


@dataclass(frozen=True)
class Result:
    ok: bool
    permanent: bool = False  # a 5xx refusal: do not hammer the server, but never drop the message
    error: str = ""


class FileTransport:
    """Writes each message as `<key>.eml`; a file already there means it was sent before."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, batch: list[tuple[str, EmailMessage]]) -> list[Result]:
        self.folder.mkdir(parents=True, exist_ok=True)
        results = []
        for key, message in batch:
            target = self.folder / f"{key}.eml"
            if not target.exists():
                atomic_write(target, bytes(message))
            results.append(Result(True))
        return results


class SmtpTransport:
    """One connection for the whole batch; STARTTLS or implicit TLS, credentials, timeouts."""

    def __init__(self, settings: Settings):
        self.s = settings

    def send(self, batch: list[tuple[str, EmailMessage]]) -> list[Result]:
        return asyncio.run(self._send(batch))

    async def _send(self, batch):
        import aiosmtplib

        s = self.s
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout,
            use_tls=s.smtp_security == "tls", start_tls=s.smtp_security == "starttls",
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as err:
            return [Result(False, False, f"cannot connect to {s.smtp_host}:{s.smtp_port}: {err}")
                    for _ in batch]
        results = []
        try:
            for _key, message in batch:
                results.append(await self._one(client, message))
        finally:
            try:
                await client.quit()
            except Exception:  # the messages' fate is already recorded; a failed QUIT changes nothing
                pass
        return results

    async def _one(self, client, message) -> Result:
        import aiosmtplib

        try:
            await client.send_message(message)
            return Result(True)
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [r.code for r in err.recipients]
            reply = "; ".join(f"{r.code} {r.message}" for r in err.recipients)
            return Result(False, all(c >= 500 for c in codes), f"recipient refused: {reply}")
        except aiosmtplib.SMTPResponseException as err:
            return Result(False, err.code >= 500, f"{err.code} {err.message}")
        except (aiosmtplib.SMTPException, OSError) as err:
            return Result(False, False, str(err))


def transport_for(settings: Settings):
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings)
    return FileTransport(settings.outbox)


def atomic_write(target: Path, data: bytes) -> None:
    """Write beside the target, flush to disk, then rename: a reader sees all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
