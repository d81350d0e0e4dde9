"""Moving a programme from its DuckDB file to a DuckLake store, with its whole history.

Every table is copied row for row in one transaction on the lake (all of it or nothing):
batches with their versions and undo marks, the data rows with their batch ids and current
flags, partners and aliases, remembered mappings, rejected rows, the salt's fingerprint. The
file's version sequence becomes the lake's ``version_seq`` table, one row per number drawn, so
the next load on the lake gets the number the file would have given it. Nothing is recomputed:
a data version is the same rows on both, so every pinned link opens the same view after the move.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.store import lake, versions
from pipelines.store.database import Store

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Tables the new lake has rows in before the copy: which rows the file's replace (a WHERE condition).
OWN_ROWS = {"meta": "key <> 'schema_version'",  # the lake keeps its own schema version
            "salt_fingerprint": "true"}  # this process's, noted as the write began: the file's wins


class NotMovable(ValueError):
    """The move cannot be made as asked (nothing was written)."""


@dataclass(frozen=True)
class Moved:
    store: str  # as messages name it
    batches: int
    last_version: int
    rows: int

    def sentence(self) -> str:
        return (f"Copied {self.batches} batches (data versions up to {self.last_version}, {self.rows} rows in all) "
                f"to {self.store}. Point PARTNERSHIP_DB at it to use it; pinned links keep "
                "their views. The file is unchanged.")


def _tables(cursor) -> dict[str, list[str]]:
    """The store's tables and their columns in order (names checked: they go into SQL as identifiers)."""
    rows = cursor.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = 'main' "
        "ORDER BY table_name, ordinal_position").fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        if not (_IDENTIFIER.match(table) and _IDENTIFIER.match(column)):
            raise NotMovable(f"The store has a table or column this version does not know: {table}.{column}.")
        tables.setdefault(table, []).append(column)
    return tables


def _drawn(source: Store) -> int:
    """The last number the file's version sequence gave (0 when none was drawn)."""
    row = source.cursor().execute(
        "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'version_seq'").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def move_to_lake(source: Store, location: str) -> Moved:
    if source.is_lake:
        raise NotMovable("The programme store is already a DuckLake store; `migrate` copies a DuckDB file.")
    if lake.location_of(location) is None:
        raise NotMovable(f"--to needs a DuckLake store, written 'ducklake:postgres:<connection>', not '{location}'.")
    drawn = _drawn(source)
    if not drawn:
        raise NotMovable(f"{source.location} holds no data yet: there is nothing to copy.")
    target = Store(location)
    try:
        return _copy(source, target, drawn)
    finally:
        target.close()


def _copy(source: Store, target: Store, drawn: int) -> Moved:
    tables = _tables(source.cursor())
    known = _tables(target.cursor())
    differing = sorted(t for t, columns in tables.items() if known.get(t) != columns)
    if differing:
        raise NotMovable(f"The DuckLake store's tables differ from the file's: {', '.join(differing)}.")
    read = source.cursor()
    rows = 0
    with target.write() as cursor:
        held = [t for t in known if t not in OWN_ROWS and cursor.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]]
        if held:
            raise NotMovable(f"{target.shown_as} already holds data ({', '.join(sorted(held))}); "
                             "`migrate` copies into a new, empty store only.")
        cursor.execute(f"INSERT INTO {lake.VERSIONS} SELECT range FROM range(1, ?)", [drawn + 1])
        for table, columns in tables.items():
            listed = ", ".join(f'"{c}"' for c in columns)
            where = f" WHERE {OWN_ROWS[table]}" if table in OWN_ROWS else ""
            if table in OWN_ROWS:
                cursor.execute(f'DELETE FROM "{table}"{where}')
            cursor.register("incoming", read.execute(f'SELECT {listed} FROM "{table}"{where}').to_arrow_reader())
            try:
                cursor.execute(f'INSERT INTO "{table}" ({listed}) SELECT {listed} FROM incoming')
            finally:
                cursor.unregister("incoming")
            rows += int(cursor.execute(f'SELECT count(*) FROM "{table}"{where}').fetchone()[0])
    copied = target.cursor()
    return Moved(target.shown_as, len(versions.history(copied)), versions.data_version(copied), rows)
