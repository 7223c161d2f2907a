"""A throwaway PostgreSQL 15 cluster in a temporary folder (for tests and bench/)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("S55_PG_BIN", "/usr/lib/postgresql/15/bin"))


class Unavailable(Exception):
    """No cluster can be started here; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            raise Unavailable(f"no PostgreSQL server binaries at {PG_BIN} (set S55_PG_BIN)")
        # initdb refuses to run as root: run the server as the postgres user then
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.data = Path(tempfile.mkdtemp(prefix="s55-pg-"))
        self.port = free_port()

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
        try:
            subprocess.run(self.as_postgres + [str(PG_BIN / "initdb"), "-D", str(self.data),
                                               "-A", "trust", "-U", "s55", "--no-sync", "-E",
                                               "UTF8"], check=True, capture_output=True, text=True)
            self.resume()
        except subprocess.CalledProcessError as err:
            self.stop()
            raise Unavailable(f"could not start a throwaway PostgreSQL cluster: "
                              f"{err.stderr.strip()[:300]}") from None
        return f"postgresql+psycopg://s55@127.0.0.1:{self.port}"

    def resume(self) -> None:
        """Start the server on its data (again, after `halt`), on the same port."""
        subprocess.run(self.as_postgres + [
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log"), "-w",
            "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=200", "start"],
            check=True, capture_output=True, text=True)

    def halt(self) -> None:
        """Stop the server and keep its data: a restart in the middle of a run."""
        subprocess.run(self.as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                                           "fast", "-w", "stop"], check=True, capture_output=True)

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://s55@127.0.0.1:{self.port}/postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://s55@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(self.as_postgres + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                                           "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.data, ignore_errors=True)
