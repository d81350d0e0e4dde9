"""The store on DuckLake: a PostgreSQL catalog plus Parquet files on a data path.

``pipelines.store.Store`` uses this module when the store location setting names a
DuckLake store (``ducklake:postgres:<libpq connection string>``); everything above the
store (pipelines, query layer, pages, command line) runs the same SQL on either store.
What differs, and is handled here:

- Extensions come from the PyPI packages ``duckdb-extension-ducklake`` and
  ``duckdb-extension-postgres`` (same version as DuckDB), installed from their package
  folders: nothing is downloaded at run time.
- Every cursor works in the lake catalog (``USE lake``; a DuckDB cursor starts elsewhere).
- DuckLake has no sequences, PRIMARY KEY/UNIQUE constraints or indexes. The schema's
  migrations are translated (``lake_migrations``): keys become NOT NULL, sequences and
  indexes are left out. In place of the sequence ``version_seq`` the lake has a table of
  that name with one row per number drawn: ``next_version`` appends the next one inside
  the (locked) write transaction, so a load or undo only adds rows, as on a file, and a
  number is never drawn twice even after batches are deleted (``ingest.remove_demo``).
  ``Store.next_version`` is what callers use on either store.
- Several processes may open one lake. Their writes are serialised by a PostgreSQL
  advisory lock on the catalog, taken before the write transaction begins and held
  until it has committed, so each write reads the state every earlier write left
  (numbers drawn from the counter and ``max(partner_id)`` stay unique). DuckLake's own
  optimistic concurrency (retry of non-conflicting commits, error on real conflicts)
  remains the guard against writers that do not take the lock.
- Any number of processes may open a new, empty lake at the same moment: attaching it
  (which creates DuckLake's own tables in the catalog) happens under a second advisory
  lock, so one creates and the others find it made.
- The connection string may hold a password; messages show it masked (``display_name``)
  and scrub it from anything quoted from libpq or DuckDB (``redact``), see ``conninfo``.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import re
import tempfile
import time
from enum import StrEnum
from pathlib import Path
from typing import Any, Sequence

import duckdb

from pipelines import settings
from pipelines.store import conninfo

PREFIX = "ducklake:"
CATALOG = "lake"  # name the lake is attached under; every cursor USEs it
LOCK_DATABASE = "ph_lake_lock"  # the catalog database attached once more, for the write lock
VERSIONS = "version_seq"  # the lake's stand-in for the file's sequence of that name
# PyPI package -> extension name DuckDB knows it by once installed.
EXTENSION_PACKAGES: dict[str, str] = {
    "duckdb_extension_postgres": "postgres_scanner",
    "duckdb_extension_ducklake": "ducklake",
}
PIP_NAMES = "duckdb-extension-ducklake=={v} duckdb-extension-postgres=={v}"
_LOCATION = re.compile(r"(?:^|/)(ducklake:.*)$", re.S)


# libpq waits for an unanswered host as long as the operating system does (minutes); a page
# or a readiness probe should hear sooner. An explicit PGCONNECT_TIMEOUT wins.
CONNECT_TIMEOUT_SECONDS = "10"


class LakeBusyError(RuntimeError):
    """Another process held the lake's write lock for longer than we may wait."""


class LakeOpenError(RuntimeError):
    """This installation or these settings cannot open the lake (an extension or the data path missing)."""


class LakeUnreachable(RuntimeError):
    """The lake's PostgreSQL catalog does not answer (or refuses us): nothing was read or changed."""

    def __init__(self, location: str, error: BaseException | str):
        self.location = location
        self.reason = redact(str(error).strip().splitlines()[0] if str(error).strip() else "no answer", location)
        super().__init__(f"The programme store {display_name(location)} cannot be reached ({self.reason}). "
                         "Nothing was changed; try again once PostgreSQL answers.")


def location_of(location: Any) -> str | None:
    """The DuckLake location named by a setting or path, or None for a database file.

    Accepts the setting as written and also a path made from it (``Path.resolve()`` puts
    the working directory in front), so callers that turn the setting into a path still
    reach the lake.
    """
    if location is None:
        return None
    match = _LOCATION.search(str(location))
    return match.group(1) if match else None


def catalog_dsn(location: str) -> str:
    """The libpq connection string of a ``ducklake:postgres:...`` location."""
    rest = location[len(PREFIX):]
    if not rest.startswith("postgres:"):
        raise ValueError(
            f"PARTNERSHIP_DB={conninfo.redact(location)}: only a DuckLake store with a PostgreSQL catalog is "
            "supported, written 'ducklake:postgres:dbname=NAME host=HOST port=PORT user=USER'."
        )
    dsn = rest[len("postgres:"):].strip()
    if not dsn:
        raise ValueError("PARTNERSHIP_DB names a DuckLake store but no PostgreSQL connection after "
                         "'ducklake:postgres:'.")
    return dsn


def display_name(location: str) -> str:
    """The location with every password masked, for messages."""
    try:
        return f"{PREFIX}postgres:{conninfo.masked(catalog_dsn(location))}"
    except ValueError:
        return conninfo.redact(location)


def redact(text: str, location: str) -> str:
    """``text`` (a message, perhaps quoting libpq or DuckDB) without the location's passwords."""
    try:
        return conninfo.redact(text, catalog_dsn(location))
    except ValueError:
        return conninfo.redact(text)


def local_folder(location: str) -> Path:
    """A local folder for this process's files about the lake (never its data)."""
    digest = hashlib.sha256(location.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "partnership-health" / f"lake-{digest}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- extensions -------------------------------------------------------------------
def extension_file(package: str) -> Path:
    version = duckdb.__version__
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise LakeOpenError(
            f"The DuckLake store needs the Python package {package.replace('_', '-')}=={version}: "
            f"pip install {PIP_NAMES.format(v=version)}"
        ) from None
    folder = Path(module.__file__).resolve().parent / "extensions" / f"v{version}"
    files = sorted(folder.glob("*.duckdb_extension"))
    if not files:
        raise LakeOpenError(f"{package} has no extension for DuckDB {version} in {folder}; "
                                f"pip install {PIP_NAMES.format(v=version)}")
    return files[0]


def load_extensions(connection: duckdb.DuckDBPyConnection) -> None:
    """INSTALL the extensions from their PyPI package folders (once per machine), then LOAD."""
    installed = dict(connection.execute(
        "SELECT extension_name, installed FROM duckdb_extensions()").fetchall())
    for package, name in EXTENSION_PACKAGES.items():
        if not installed.get(name):
            connection.execute(f"INSTALL {_quote(str(extension_file(package)))}")
        connection.execute(f"LOAD {name}")


# -- connection -------------------------------------------------------------------
def connect(location: str, data_path: str | None, *, create: bool = True) -> duckdb.DuckDBPyConnection | None:
    """A DuckDB connection with the lake attached as ``lake`` (created if new, unless not
    ``create``: then None when the catalog holds no lake yet).

    The catalog database is attached first, on its own: when PostgreSQL does not answer,
    that fails at once with ``LakeUnreachable``. The lake itself is attached under the
    creation lock, so processes opening a new lake together create it once.
    """
    connection = _new_connection()
    try:
        _attach_catalog(connection, location, LOCK_DATABASE)
        if not create and not _exists(connection):
            connection.close()
            return None
        options = []
        if data_path:
            if "://" not in data_path:
                Path(data_path).expanduser().mkdir(parents=True, exist_ok=True)
                data_path = str(Path(data_path).expanduser().resolve()) + "/"
            options.append(f"DATA_PATH {_quote(data_path)}")
        attach = f"ATTACH {_quote(location)} AS {CATALOG}"
        if options:
            attach += f" ({', '.join(options)})"
        creating = AdvisoryLock(connection, location, Purpose.CREATE)
        creating.acquire(float(settings.get("lock_wait_seconds")))
        try:
            connection.execute(attach)
        except duckdb.Error as error:
            hint = "" if data_path else (" A new DuckLake store needs a data path: set PARTNERSHIP_LAKE_DATA_PATH "
                                         "to a folder every replica can reach.")
            raise LakeOpenError(redact(f"Could not open the DuckLake store {display_name(location)}: "
                                      f"{error}.{hint}", location)) from None
        finally:
            creating.release()
        connection.execute(f"USE {CATALOG}")
    except BaseException:
        connection.close()
        raise
    return connection


# Every store connection's engine settings (a file's and a lake's). DuckDB's allocator keeps a query's
# freed working memory until later allocations in the same thread purge it; Streamlit runs each page in a
# new thread, so a pinned 5M view's ~400 MB stayed (benchmarks/memory.py, settled RSS after two pins
# 707-748 MB before, 509 MB with its background purge threads).
ENGINE_CONFIG = {"allocator_background_threads": True}


def _new_connection() -> duckdb.DuckDBPyConnection:
    os.environ.setdefault("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS)
    connection = duckdb.connect(":memory:", config={**ENGINE_CONFIG, "autoinstall_known_extensions": False})
    try:
        load_extensions(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _attach_catalog(connection: duckdb.DuckDBPyConnection, location: str, name: str) -> None:
    """Attach the catalog database itself (read-only) as ``name`` and ask it something."""
    try:
        connection.execute(f"ATTACH {_quote(catalog_dsn(location))} AS {name} (TYPE postgres, READ_ONLY)")
        connection.execute(f"SELECT * FROM postgres_query('{name}', 'SELECT 1')").fetchall()
    except duckdb.Error as error:
        raise LakeUnreachable(location, _libpq_reason(error)) from None


def _exists(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the catalog database holds a DuckLake (its metadata table) yet."""
    found = ("SELECT count(*) AS n FROM information_schema.tables "
             "WHERE table_name = 'ducklake_metadata'")
    return bool(connection.execute(
        f"SELECT * FROM postgres_query('{LOCK_DATABASE}', {_quote(found)})").fetchall()[0][0])


def _libpq_reason(error: BaseException) -> str:
    """libpq's own words for why PostgreSQL did not answer, out of a DuckDB error."""
    text = str(error).strip()
    _, found, after = text.partition("failed: ")
    return (after if found else text).strip().splitlines()[0] if text else "no answer"


def reachable(location: str) -> str | None:
    """None when the lake's catalog answers now, else why not (a plain reason, no password).

    Opens a connection of its own: an error on a store opened earlier may be the catalog
    going away, or anything else; this tells them apart.
    """
    connection = _new_connection()
    try:
        _attach_catalog(connection, location, "probe")
        return None
    except LakeUnreachable as unreachable:
        return unreachable.reason
    finally:
        connection.close()


def use_lake(cursor: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cursor.execute(f"USE {CATALOG}")
    return cursor


# -- schema -----------------------------------------------------------------------
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_PRIMARY_KEY = re.compile(r"(\w+)\s+[\w\[\]]+\s+PRIMARY\s+KEY", re.I)
_UNSUPPORTED = re.compile(r"^\s*(?:CREATE\s+(?:UNIQUE\s+)?(?:SEQUENCE|INDEX)|DROP\s+INDEX)\b", re.I)


def lake_statement(statement: str) -> str | None:
    """A migration statement as DuckLake accepts it, or None when it has no lake meaning."""
    if _UNSUPPORTED.match(statement):
        return None  # sequences: see the version counter; indexes: Parquet min/max does the work
    statement = re.sub(r"\bPRIMARY\s+KEY\b", "NOT NULL", statement, flags=re.I)
    statement = re.sub(r"\s+UNIQUE\b", "", statement, flags=re.I)
    return statement


def lake_migrations(migrations: Sequence[tuple[int, str, list[str]]]) -> list[tuple[int, str, list[str]]]:
    translated = []
    for number, (version, title, statements) in enumerate(migrations):
        kept = [s for s in (lake_statement(statement) for statement in statements) if s is not None]
        if version == 3:  # the counter row of lakes made before: its numbers go on in version_seq
            kept += [f"CREATE TABLE IF NOT EXISTS {VERSIONS} (version BIGINT NOT NULL)",
                     f"INSERT INTO {VERSIONS} SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'version_counter'",
                     "DELETE FROM meta WHERE key = 'version_counter'"]
        translated.append((version, title, kept))
    return translated


# -- locks ------------------------------------------------------------------------
class Purpose(StrEnum):
    """What an advisory lock on the catalog serialises (each purpose is its own lock)."""
    WRITE = "write"
    CREATE = "create"


_LOCK_DOING = {Purpose.WRITE: "writing to", Purpose.CREATE: "creating"}


def lock_key(location: str, purpose: Purpose = Purpose.WRITE) -> int:
    """The advisory lock id of one lake (its data lives in one catalog database) for one purpose."""
    digest = hashlib.sha256(f"partnership-health-{purpose}:".encode() + catalog_dsn(location).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """Cross-process lock: a transaction-level PostgreSQL advisory lock on the catalog."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, location: str, purpose: Purpose = Purpose.WRITE):
        self.connection, self.location, self.purpose = connection, location, purpose
        self.key = lock_key(location, purpose)
        self.cursor: duckdb.DuckDBPyConnection | None = None

    def acquire(self, wait_seconds: float) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN TRANSACTION")
        query = (f"SELECT * FROM postgres_query('{LOCK_DATABASE}', "
                 f"'SELECT pg_try_advisory_xact_lock({self.key}) AS got')")
        started, delay = time.monotonic(), 0.02
        try:
            while not cursor.execute(query).fetchone()[0]:
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    raise LakeBusyError(
                        f"Another process has been {_LOCK_DOING[self.purpose]} the programme store "
                        f"{display_name(self.location)} for {waited:.0f} s. Nothing was changed; "
                        "try again in a moment.")
                time.sleep(min(delay, max(wait_seconds - waited, 0.01)))
                delay = min(delay * 2, 0.25)
        except BaseException as error:
            cursor.close()  # ends the transaction with the connection
            if isinstance(error, duckdb.Error):
                raise LakeUnreachable(self.location, _libpq_reason(error)) from None
            raise
        self.cursor = cursor

    def release(self) -> None:
        if self.cursor is not None:
            try:
                self.cursor.execute("ROLLBACK")  # ends the PostgreSQL transaction: the lock goes with it
            except duckdb.Error:
                pass  # the catalog went away: the lock went with its connection
            finally:
                self.cursor.close()
                self.cursor = None


def next_version(cursor: duckdb.DuckDBPyConnection) -> int:
    """Inside a write (under the catalog lock): draw the next number, appended to ``version_seq``.

    Appended, not a counter row updated in place: a load must change no existing row.
    """
    cursor.execute(f"INSERT INTO {VERSIONS} SELECT coalesce(max(version), 0) + 1 FROM {VERSIONS}")
    return int(cursor.execute(f"SELECT max(version) FROM {VERSIONS}").fetchone()[0])
