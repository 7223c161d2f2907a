"""Transports: `.eml` files in the outbox folder (the embedded default) and SMTP (aiosmtplib)."""

from __future__ import annotations

import asyncio
import glob
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from ..settings import Settings


@dataclass(frozen=True)
class Result:
    ok: bool
    permanent: bool = False  # a 5xx refusal: do not hammer the server, but never drop the message
    error: str = ""
    unreachable: bool = False  # the server did not answer: no use trying again at once


DOWN_FOR_SECONDS = 30.0  # after a failed connection, this process does not try again for a while
_down: dict[tuple[str, int], tuple[float, str]] = {}  # (host, port) -> (until, why)
_down_lock = threading.Lock()


class FileTransport:
    """Writes each message as `<key>.eml`; a file already there means it was sent before."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> FileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        pass

    def send(self, key: str, message: EmailMessage) -> Result:
        target = self.folder / f"{key}.eml"
        if not target.exists():
            atomic_write(target, bytes(message))
        return Result(True)


class SmtpTransport:
    """One connection for as long as it is open, one message per `send`, each outcome at once.

    The SMTP conversation runs on an event loop of its own in a private thread, so `send`
    is safe from any thread, with or without a running loop of the caller's. A server that
    cannot be reached is tried once per opening; the messages after it get the same answer
    at once instead of waiting out the timeout again.
    """

    def __init__(self, settings: Settings):
        self.s = settings
        self.client = None
        self.unreachable = ""

    def __enter__(self) -> SmtpTransport:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="s55-smtp", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            try:
                self._run(self.client.quit())
            except Exception:  # the messages' fate is already recorded; a failed QUIT changes nothing
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def send(self, key: str, message: EmailMessage) -> Result:
        if not self.unreachable and self.client is None:
            self.unreachable = _still_down(self.s) or self._run(self._connect())
        if self.unreachable:
            return Result(False, False, self.unreachable, unreachable=True)
        result = self._run(self._one(message))
        if not result.ok and not result.permanent and not self.client.is_connected:
            self.client = None  # the connection dropped: the next message connects again
        return result

    async def _connect(self) -> str:
        import aiosmtplib

        s = self.s
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout,
            use_tls=s.smtp_security == "tls", start_tls=s.smtp_security == "starttls",
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        began = time.monotonic()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as err:
            why = f"cannot connect to {s.smtp_host}:{s.smtp_port}: {err}"
            # no connection or no greeting (aiosmtplib's timeouts are OSErrors too: a slow
            # answer to AUTH is a server that is there)
            silent = isinstance(err, aiosmtplib.SMTPConnectError) or (
                isinstance(err, OSError) and not isinstance(err, aiosmtplib.SMTPException))
            if silent and time.monotonic() - began >= 1:  # not refused at once: spare the next
                with _down_lock:
                    _down[(s.smtp_host, s.smtp_port)] = (time.monotonic() + DOWN_FOR_SECONDS, why)
            return why
        self.client = client
        return ""

    async def _one(self, message) -> Result:
        import aiosmtplib

        try:
            await self.client.send_message(message)
            return Result(True)
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [r.code for r in err.recipients]
            reply = "; ".join(f"{r.code} {r.message}" for r in err.recipients)
            return Result(False, all(c >= 500 for c in codes), f"recipient refused: {reply}")
        except aiosmtplib.SMTPResponseException as err:
            return Result(False, err.code >= 500, f"{err.code} {err.message}")
        except (aiosmtplib.SMTPException, OSError) as err:
            return Result(False, False, str(err))


def _still_down(s: Settings) -> str:
    """Why the server is taken to be down, if it failed to answer a moment ago (so that a silent
    server costs one timeout per DOWN_FOR_SECONDS, not one per message, review or run)."""
    with _down_lock:
        until, why = _down.get((s.smtp_host, s.smtp_port), (0.0, ""))
    return f"{why} (not tried again until it has had a rest)" if until > time.monotonic() else ""


def transport_for(settings: Settings):
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings)
    return FileTransport(settings.outbox)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else the usual 022."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write(target: Path, data: bytes, public: bool = False) -> None:
    """Write beside the target, flush to disk, then rename: a reader sees all or nothing.
    A `public` file (a page of the site, a spreadsheet a person asked for) is given the mode
    a file made the usual way would have (0644 under umask 022): the web server that serves
    the site may run as another user. Anything else (the outbox's mail) stays 0600.

    The file beside it is named with the writer's process id: one left half-written by a
    process that was killed is removed by the next writer of the same target, and one of a
    writer still at work is left alone."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.*"):
        pid = leftover.name[len(target.name) + 2:].partition(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if public:
                os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
