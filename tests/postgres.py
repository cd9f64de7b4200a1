"""A real PostgreSQL server for tests: its own cluster (Debian's `postgresql` binaries) with
logical replication on, listening on 127.0.0.1 at a free port and on a socket directory,
started and stopped by the test (the whole process group)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from browser import free_port


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None



class Postgres:
    """`with Postgres() as pg:` a running cluster; `pg.env` holds the PG* variables for it."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
        self.bin = bin_dir
        self.port = free_port()
        # postgres refuses to run as root: as root, the cluster belongs to the postgres user
        self.user = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="lakehouse-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.process: subprocess.Popen[bytes] | None = None

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, user=self.user,
                       capture_output=True)

    def __enter__(self) -> Postgres:
        self.socket_dir.mkdir(parents=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-sync")
        with open(self.root / "server.log", "wb") as server_log:
            self.process = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1",
                 "-c", f"unix_socket_directories={self.socket_dir}",
                 "-c", "wal_level=logical", "-c", "max_replication_slots=8",
                 "-c", "max_wal_senders=8", "-c", "fsync=off"],
                user=self.user, start_new_session=True, stdout=subprocess.DEVNULL,
                stderr=server_log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(**self.params(dbname="postgres")):
                    break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError((self.root / "server.log").read_text()) from None
                time.sleep(0.2)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def params(self, dbname: str = "retail") -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.port, "user": "postgres", "dbname": dbname,
                "autocommit": True}

    def env(self, dbname: str = "retail") -> dict[str, str]:
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": "postgres",
                "PGPASSWORD": "", "PGDATABASE": dbname}

    def connect(self, dbname: str = "retail") -> psycopg.Connection[Any]:
        return psycopg.connect(**self.params(dbname))
