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
import os
import re
import threading
import time
from pathlib import Path
from typing import Iterator

import duckdb

from pipelines import settings
from pipelines.store import lake, private, versions
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


_LOCK_PID = re.compile(r"PID (\d+)")
DEFAULT_FOLDER = Path(settings.SETTINGS_BY_NAME["db"].default).parent


def db_path() -> Path | str:
    """The database file, or the DuckLake location (a string) when the setting names one."""
    location = settings.get("db")
    return lake.location_of(location) or Path(location).expanduser().resolve()


def is_lake(location: str | Path | None = None) -> bool:
    return lake.location_of(settings.get("db") if location is None else location) is not None


# Other processes write to a shared lake, so a lake's data version is re-read this often;
# a file is written by this process only, so its version is re-read only after our own writes.
LAKE_VERSION_SECONDS = 1.0


class Store:
    lake: str | None = None  # the DuckLake location, when the store is one
    _known_version: tuple[int, float] | None = None  # (data version, when it was read)

    def __init__(self, path: str | Path | None = None, *, wait_seconds: float | None = None):
        self.lake = lake.location_of(path if path else settings.get("db"))
        self._write_lock = threading.RLock()
        self._write_depth = 0
        if self.lake:
            self.location = self.lake
            self.path = lake.local_folder(self.lake)  # local bookkeeping only; the data is in the lake
            self.connection = lake.connect(self.lake, settings.get("lake_data_path") or None)
            self._lake_lock = lake.WriteLock(self.connection, self.lake)
        else:
            self.path = Path(path).expanduser().resolve() if path else db_path()
            self.location = str(self.path)
            private.tighten_umask()  # DuckDB creates the file and its log (again after each checkpoint)
            private.folder(self.path.parent)
            if self.path.parent == DEFAULT_FOLDER:
                private.restrict(DEFAULT_FOLDER, private.FOLDER_MODE)  # the repository's data/ is ours
            self.connection = self._connect(
                settings.get("lock_wait_seconds") if wait_seconds is None else wait_seconds
            )
            for written in (self.path, self.wal):  # made by an older version, under a wider umask
                private.restrict(written)
        self.migrate()

    @property
    def wal(self) -> Path:
        """DuckDB's write-ahead log beside a database file."""
        return self.path.with_name(self.path.name + ".wal")

    @property
    def is_lake(self) -> bool:
        return self.lake is not None

    def _connect(self, wait_seconds: float) -> duckdb.DuckDBPyConnection:
        started = time.monotonic()
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path))
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
            raise RuntimeError(
                f"{self.lake or self.path} was written by a newer version of Partnership Health "
                f"(schema {current}; this one knows {SCHEMA_VERSION}). Upgrade before opening it."
            )
        migrations = lake.lake_migrations(MIGRATIONS) if self.lake else MIGRATIONS
        for version, _title, statements in migrations:
            if version <= current or version > upto:
                continue
            with self.write() as cursor:
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
        """One transaction on its own cursor, serialised with every other write here."""
        try:
            if self.lake:
                with self._write_lock, self._lake_write() as cursor:
                    yield cursor
                return
            with self._write_lock:
                cursor = self.connection.cursor()
                try:
                    with _transaction(cursor):
                        yield cursor
                finally:
                    cursor.close()
        finally:
            self._known_version = None

    @contextlib.contextmanager
    def _lake_write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A lake write: the catalog lock (other processes), then one transaction.

        Under the lock no other cooperating process commits, so the transaction cannot
        meet a write conflict from one; a conflict with an outside writer (DuckLake retries
        those that do not touch the same rows by itself) rolls back and raises, nothing half done.
        """
        outermost = self._write_depth == 0
        if outermost:
            self._lake_lock.acquire(float(settings.get("lock_wait_seconds")))
        self._write_depth += 1
        cursor = self.cursor()
        try:
            with _transaction(cursor):
                yield cursor
        finally:
            cursor.close()
            self._write_depth -= 1
            if outermost:
                self._lake_lock.release()

    def next_version(self, cursor: duckdb.DuckDBPyConnection) -> int:
        """Inside a write: the next number of the store's history (a load or an undo)."""
        if self.lake:
            return lake.next_version(cursor)
        return int(cursor.execute("SELECT nextval('version_seq')").fetchone()[0])

    def data_version(self, cursor: duckdb.DuckDBPyConnection | None = None) -> int:
        """The latest load or undo: changes whenever what queries see may change.

        Pages key their caches on it several times a run, so it is remembered until this
        store writes (a file has no other writer) or, on a lake, for LAKE_VERSION_SECONDS.
        """
        known = self._known_version
        if known is not None and (not self.lake or time.monotonic() - known[1] < LAKE_VERSION_SECONDS):
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


def open_store(path: str | Path | None = None, **kwargs) -> Store:
    return Store(path or os.environ.get("PARTNERSHIP_DB") or None, **kwargs)
