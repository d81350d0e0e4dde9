"""The one module that owns the database: where it lives, how it is opened, its schema.

One ``Store`` per process holds one DuckDB connection; each script run or thread takes
its own ``cursor()`` (a shared cursor across threads gives wrong answers). Writes in a
process go through ``write()``, which serialises them. DuckDB lets one process at a
time open the file read-write; another process that finds it held waits up to
``lock_wait_seconds`` and then raises ``StoreBusy`` naming the holder (the command line
then hands its work to that process, see ``pipelines.store.handoff``).

The location may instead name a DuckLake store (``ducklake:postgres:<connection>`` plus
``PARTNERSHIP_LAKE_DATA_PATH``): a PostgreSQL catalog and Parquet files that several
processes open at once. ``pipelines.store.lake`` holds what differs; the SQL above the store
is the same. A lake never raises ``StoreBusy`` on opening, so nothing is handed off;
its writes are serialised across processes by a lock on the catalog.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from pipelines import settings
from pipelines.store import fingerprint, lake, private, versions
from pipelines.store.schema import MIGRATIONS, SCHEMA_VERSION


class StoreBusy(RuntimeError):
    """The database file is held read-write by another process."""

    def __init__(self, path: Path, holder_pid: int | None, waited: float):
        self.path, self.holder_pid, self.waited = path, holder_pid, waited
        who = f"process {holder_pid}" if holder_pid else "another process"
        super().__init__(
            f"The database {path} is in use by {who} (waited {waited:.0f} s). "
            "Close the other program (for example the app or another load) or try again later."
        )


class StoreMissing(RuntimeError):
    """Opened with ``create=False`` where there is no store yet."""

    def __init__(self, location: str):
        super().__init__(f"There is no programme store at {location} yet. The first app replica or "
                         "command that opens it creates it (for example `python -m pipelines history`).")


class StoreTooNew(RuntimeError):
    """The store was written by a newer version of the product."""


_LOCK_PID = re.compile(r"PID (\d+)")
DEFAULT_FOLDER = Path(settings.SETTINGS_BY_NAME["db"].default).parent


def db_path() -> Path | str:
    """The database file, or the DuckLake location (a string) when the setting names one."""
    location = settings.get("db")
    return lake.location_of(location) or _resolved(location, os.getcwd())


@functools.lru_cache(maxsize=64)
def _resolved(location: str, cwd: str) -> Path:
    # every cached query asks for the store's location: resolving the path each time was a tenth
    # of a warm page run (the file system's answer does not change while the process runs)
    return Path(location).expanduser().resolve()


def is_lake(location: str | Path | None = None) -> bool:
    return lake.location_of(settings.get("db") if location is None else location) is not None


# Other processes write to a shared lake, so a lake's data version is re-read this often;
# a file is written by this process only, so its version is re-read only after our own writes.
LAKE_VERSION_SECONDS = 1.0


class Store:
    lake: str | None = None  # the DuckLake location, when the store is one
    _known_version: tuple[int, float] | None = None  # (data version, when it was read)
    _write_depth = 0  # exclusive() blocks entered by this process
    _salt_noted = False  # the salt's fingerprint is in the store (this process wrote once)

    def __init__(self, path: str | Path | None = None, *, wait_seconds: float | None = None,
                 migrate: bool = True, create: bool = True):
        """Open the store: created when new unless not ``create`` (then ``StoreMissing``), and
        migrated to the current schema unless not ``migrate``."""
        self.lake = lake.location_of(path if path else settings.get("db"))
        self._write_lock = threading.RLock()
        if self.lake:
            self.location = self.lake
            self.path = lake.local_folder(self.lake)  # local bookkeeping only; the data is in the lake
            # a lake never waits for another process to open it, only (briefly) for one creating it
            self.connection = lake.connect(self.lake, settings.get("lake_data_path") or None, create=create)
            if self.connection is None:
                raise StoreMissing(lake.display_name(self.lake))
            self._lake_lock = lake.AdvisoryLock(self.connection, self.lake)
        else:
            self.path = Path(path).expanduser().resolve() if path else db_path()
            self.location = str(self.path)
            if not create and not self.path.exists():
                raise StoreMissing(self.location)
            private.tighten_umask()  # DuckDB creates the file and its log (again after each checkpoint)
            private.folder(self.path.parent)
            if self.path.parent == DEFAULT_FOLDER:
                private.restrict(DEFAULT_FOLDER, private.FOLDER_MODE)  # the repository's data/ is ours
            self.connection = self._connect(
                settings.get("lock_wait_seconds") if wait_seconds is None else wait_seconds)
            for written in (self.path, self.wal):  # made by an older version, under a wider umask
                private.restrict(written)
        if migrate:
            self.migrate()

    @property
    def wal(self) -> Path:
        """DuckDB's write-ahead log beside a database file."""
        return self.path.with_name(self.path.name + ".wal")

    @property
    def is_lake(self) -> bool:
        return self.lake is not None

    @property
    def shown_as(self) -> str:
        """The store as messages name it: the file's path, or the lake's location with no password."""
        return lake.display_name(self.lake) if self.lake else str(self.path)

    def _connect(self, wait_seconds: float) -> duckdb.DuckDBPyConnection:
        started = time.monotonic()
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), config=lake.ENGINE_CONFIG)
            except duckdb.IOException as error:
                message = str(error)
                if "lock" not in message.lower():
                    raise
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    match = _LOCK_PID.search(message)
                    raise StoreBusy(self.path, int(match.group(1)) if match else None, waited) from None
                time.sleep(min(delay, max(wait_seconds - waited, 0.01)))
                delay = min(delay * 2, 1.0)

    # -- schema ---------------------------------------------------------------
    def schema_version(self, cursor: duckdb.DuckDBPyConnection | None = None) -> int:
        cursor = cursor or self.cursor()
        exists = cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' "
            "AND table_catalog = current_database()"
        ).fetchone()[0]
        if not exists:
            return 0
        row = cursor.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self, upto: int = SCHEMA_VERSION) -> int:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreTooNew(
                f"{self.shown_as} was written by a newer version of Partnership Health "
                f"(schema {current}; this one knows {SCHEMA_VERSION}). Upgrade before opening it."
            )
        migrations = lake.lake_migrations(MIGRATIONS) if self.lake else MIGRATIONS
        for version, _title, statements in migrations:
            if version <= current or version > upto:
                continue
            with self._transaction() as cursor:
                if self.schema_version(cursor) >= version:
                    continue  # another process sharing the lake applied it meanwhile
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute("DELETE FROM meta WHERE key = 'schema_version'")
                cursor.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
        return self.schema_version()

    # -- access ---------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self.connection.cursor()
        return lake.use_lake(cursor) if self.lake else cursor

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on its own cursor, serialised with every other write (on a lake, with
        other processes' too: see ``exclusive``). The first one of a process also records the
        salt's fingerprint when the store has none (a store written before it had the table)."""
        with self._transaction() as cursor:
            if not self._salt_noted:
                fingerprint.note(cursor)
            yield cursor
        self._salt_noted = True

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            with self.exclusive():
                cursor = self.cursor()
                try:
                    with _transaction(cursor):
                        yield cursor
                finally:
                    cursor.close()
        finally:
            self._known_version = None

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Several writes (and the reads that decide them) that no other writer may come between.

        A file has one writing process, so the process's own lock is enough; a lake adds the
        catalog's advisory lock (other processes wait for it up to ``lock_wait_seconds``). Under
        it no cooperating process commits, so a transaction cannot meet a write conflict from
        one; a conflict with an outside writer rolls back and raises, nothing half done. Used
        directly where a decision rests on what the store holds ("empty, so load the demo")
        and processes may start together; ``write()`` inside takes no further lock.
        """
        with self._write_lock:
            outermost = self._write_depth == 0
            if self.lake and outermost:
                self._lake_lock.acquire(float(settings.get("lock_wait_seconds")))
            self._write_depth += 1
            try:
                yield
            finally:
                self._write_depth -= 1
                if self.lake and outermost:
                    self._lake_lock.release()

    def next_version(self, cursor: duckdb.DuckDBPyConnection) -> int:
        """Inside a write: the next number of the store's history (a load or an undo)."""
        if self.lake:
            return lake.next_version(cursor)
        return int(cursor.execute("SELECT nextval('version_seq')").fetchone()[0])

    def data_version(self, cursor: duckdb.DuckDBPyConnection | None = None, *, fresh: bool = False) -> int:
        """The latest load or undo: changes whenever what queries see may change.

        Pages key their caches on it several times a run, so it is remembered until this
        store writes (a file has no other writer) or, on a lake, for LAKE_VERSION_SECONDS;
        ``fresh`` reads a lake's again now (a page run starts so: another process's load
        shows on the next page view).
        """
        known = self._known_version
        if known is not None and not self.lake:
            return known[0]
        if known is not None and not fresh and time.monotonic() - known[1] < LAKE_VERSION_SECONDS:
            return known[0]
        cursor = cursor or self.cursor()
        version = versions.data_version(cursor)
        self._known_version = (version, time.monotonic())
        return version

    def is_empty(self) -> bool:
        return versions.is_empty(self.cursor())

    def close(self) -> None:
        self.connection.close()


@contextlib.contextmanager
def _transaction(cursor: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of the block's statements, or none of them."""
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield cursor
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    cursor.execute("COMMIT")


def open_prepared(path: str | Path | None, prepare: Callable[[Store], object]) -> Store:
    """Open the store and run ``prepare`` on it (what a fresh store gets on start) so that
    processes starting together on a new store do it once: under ``exclusive()``, where what
    ``prepare`` reads to decide cannot change before its writes are in."""
    store = Store(path)
    try:
        with store.exclusive():
            prepare(store)
    except BaseException:
        store.close()
        raise
    return store


def open_store(path: str | Path | None = None, **kwargs) -> Store:
    return Store(path or os.environ.get("PARTNERSHIP_DB") or None, **kwargs)
