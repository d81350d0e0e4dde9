"""A throwaway PostgreSQL server on loopback, for the DuckLake tests.

Uses the binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/<n>/bin``):
``initdb`` makes a cluster in a temporary folder, ``pg_ctl`` starts it on 127.0.0.1 on
a free port with trust authentication (loopback only, never left running), and the
database ``ph`` is created for the catalog. PostgreSQL refuses to run as root, so as
root the server runs as the ``postgres`` system user (created with ``useradd`` when the
package did not make it).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "ph"
DATABASE = "ph"


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None when there is none."""
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()]
    if not found:
        on_path = shutil.which("initdb")
        return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _system_user() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return "postgres"


class PostgresServer:
    """``debian_like``: set up as Debian's package sets up a cluster (superuser ``postgres`` by peer
    authentication on the socket, passwords over TCP) and with no database made; ``env()`` then
    points libpq's command-line tools at it."""

    def __init__(self, bin_path: Path | None = None, *, debian_like: bool = False):
        self.debian_like = debian_like
        self.bin = bin_path or bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
        self.user = _system_user()
        self.folder = Path(tempfile.mkdtemp(prefix="ph-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.started = False

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(argv)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        if self.user:
            shutil.chown(self.folder, self.user, self.user)
        if self.debian_like:
            access = ["-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256"]
        else:
            access = ["-U", USER, "--auth=trust"]
        self._run(str(self.bin / "initdb"), "-D", str(self.data), *access, "-E", "UTF8", "--no-sync")
        self.resume()
        if not self.debian_like:
            self.psql("postgres", f"CREATE DATABASE {DATABASE}")
        return self

    def env(self) -> dict[str, str]:
        """What points psql, createdb, pg_dump ... at this server when they name no host and port."""
        return {"PGHOST": str(self.folder), "PGPORT": str(self.port)}

    def resume(self) -> None:
        """Start the server (again, after ``pause``) on its port."""
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.folder} -c fsync=off "
                   "-c max_connections=200")
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                           str(self.folder / "server.log"), "-o", options, "-w", "-t", "60", "start",
                           check=False)
        if result.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace") if (self.folder / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{log[-2000:]}")
        self.started = True

    def pause(self) -> None:
        """Stop the server as an outage would (connections cut); ``resume`` brings it back."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.started = False

    def psql(self, database: str, sql: str) -> str:
        return self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                         "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql).stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database on this server (empty, or a copy of ``template``); its connection string."""
        self.psql("postgres", f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.dsn(name)

    def dsn(self, database: str = DATABASE) -> str:
        return f"dbname={database} host=127.0.0.1 port={self.port} user={USER}"

    def lock_requests(self, key: int) -> int:
        """How many connections have asked for the advisory lock ``key`` in their open transaction.

        ``lake.AdvisoryLock`` polls ``pg_try_advisory_xact_lock`` inside a transaction: while it
        waits, and once it holds the lock, that is its connection's last statement.
        """
        return int(self.psql(DATABASE, (
            "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' "
            f"AND query LIKE '%pg_try_advisory_xact_lock({int(key)})%'")).strip())

    def lock_held(self, key: int) -> bool:
        """Whether some connection holds the advisory lock ``key`` now (a bigint key: high and low halves)."""
        high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
        return self.psql(DATABASE, (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            f"AND classid::bigint = {high} AND objid::bigint = {low}")).strip() != "0"

    def wait_for_lock_requests(self, key: int, count: int, still_running, hang_seconds: float, *,
                               exactly: bool = False) -> None:
        """Wait (on the state, polling) until ``count`` connections ask for the lock ``key``: at
        least that many, or ``exactly`` (and for 0, nobody holds it either).

        ``still_running()`` False stops the wait early; ``hang_seconds`` only ends a wait that is stuck.
        """
        deadline = time.monotonic() + hang_seconds

        def reached() -> bool:
            seen = self.lock_requests(key)
            if not exactly:
                return seen >= count
            return seen == count and (count > 0 or not self.lock_held(key))

        while not reached():
            if not still_running() or time.monotonic() > deadline:
                raise AssertionError(f"{self.lock_requests(key)} connections asked for the write lock, not {count}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                      check=False)
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)
