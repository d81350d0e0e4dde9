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
"""
from __future__ import annotations

import hashlib
import importlib
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import duckdb

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


class LakeBusyError(RuntimeError):
    """Another process held the lake's write lock for longer than we may wait."""


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
            f"PARTNERSHIP_DB={location!r}: only a DuckLake store with a PostgreSQL catalog is supported, "
            "written 'ducklake:postgres:dbname=NAME host=HOST port=PORT user=USER'."
        )
    dsn = rest[len("postgres:"):].strip()
    if not dsn:
        raise ValueError("PARTNERSHIP_DB names a DuckLake store but no PostgreSQL connection after 'ducklake:postgres:'.")
    return dsn


def display_name(location: str) -> str:
    """The location without a password, for messages."""
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", location, flags=re.I)


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
        raise RuntimeError(
            f"The DuckLake store needs the Python package {package.replace('_', '-')}=={version}: "
            f"pip install {PIP_NAMES.format(v=version)}"
        ) from None
    folder = Path(module.__file__).resolve().parent / "extensions" / f"v{version}"
    files = sorted(folder.glob("*.duckdb_extension"))
    if not files:
        raise RuntimeError(f"{package} has no extension for DuckDB {version} in {folder}; "
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
def connect(location: str, data_path: str | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake attached as ``lake`` (and created if new)."""
    dsn = catalog_dsn(location)
    connection = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
    try:
        load_extensions(connection)
        options = []
        if data_path:
            if "://" not in data_path:
                Path(data_path).expanduser().mkdir(parents=True, exist_ok=True)
                data_path = str(Path(data_path).expanduser().resolve()) + "/"
            options.append(f"DATA_PATH {_quote(data_path)}")
        attach = f"ATTACH {_quote(location)} AS {CATALOG}"
        if options:
            attach += f" ({', '.join(options)})"
        try:
            connection.execute(attach)
        except duckdb.Error as error:
            hint = "" if data_path else (" A new DuckLake store needs a data path: set PARTNERSHIP_LAKE_DATA_PATH "
                                         "to a folder every replica can reach.")
            raise RuntimeError(f"Could not open the DuckLake store {display_name(location)}: {error}.{hint}") from error
        connection.execute(f"ATTACH {_quote(dsn)} AS {LOCK_DATABASE} (TYPE postgres, READ_ONLY)")
        connection.execute(f"USE {CATALOG}")
    except BaseException:
        connection.close()
        raise
    return connection


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


# -- writes -----------------------------------------------------------------------
def lock_key(location: str) -> int:
    """The advisory lock id of one lake (its data lives in one catalog database)."""
    digest = hashlib.sha256(b"partnership-health-write:" + catalog_dsn(location).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class WriteLock:
    """Cross-process write lock: a transaction-level PostgreSQL advisory lock on the catalog."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, location: str):
        self.connection, self.location, self.key = connection, location, lock_key(location)
        self.cursor: duckdb.DuckDBPyConnection | None = None

    def acquire(self, wait_seconds: float) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN TRANSACTION")
        query = (f"SELECT * FROM postgres_query('{LOCK_DATABASE}', "
                 f"'SELECT pg_try_advisory_xact_lock({self.key}) AS got')")
        started, delay = time.monotonic(), 0.02
        while not cursor.execute(query).fetchone()[0]:
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                cursor.execute("ROLLBACK")
                cursor.close()
                raise LakeBusyError(
                    f"Another process has been writing to the programme store {display_name(self.location)} "
                    f"for {waited:.0f} s. Nothing was changed; try again in a moment.")
            time.sleep(min(delay, max(wait_seconds - waited, 0.01)))
            delay = min(delay * 2, 0.25)
        self.cursor = cursor

    def release(self) -> None:
        if self.cursor is not None:
            try:
                self.cursor.execute("ROLLBACK")  # ends the PostgreSQL transaction: the lock goes with it
            finally:
                self.cursor.close()
                self.cursor = None


def next_version(cursor: duckdb.DuckDBPyConnection) -> int:
    """Inside a write (under the catalog lock): draw the next number, appended to ``version_seq``.

    Appended, not a counter row updated in place: a load must change no existing row.
    """
    cursor.execute(f"INSERT INTO {VERSIONS} SELECT coalesce(max(version), 0) + 1 FROM {VERSIONS}")
    return int(cursor.execute(f"SELECT max(version) FROM {VERSIONS}").fetchone()[0])
