"""The programme's history: load batches, data versions, "as of", and their labels.

This is the only module that reads or writes the ``batches`` table. Loads and undos draw
their numbers from one sequence (``Store.next_version``), so a number is a moment in the
store's history: ``batches.batch_id`` is the version at which a batch loaded, and
``batches.undone_version`` the version at which it was undone. Undo never deletes rows,
so any version can be rebuilt (``visible``) and a pinned link keeps showing what it showed.

A pinned version travels in links as its label (a bound Streamlit widget writes the
option's label into the URL). ``labels`` makes the labels and ``parse`` reads them back by
looking them up among the versions the programme has, never by pattern over display text.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from pipelines.store.schema import NATURAL_KEYS


class Event(StrEnum):
    """What made a version."""
    LOAD = "load"
    UNDO = "undo"


class UnknownVersion(ValueError):
    """A link or a command names a data version this programme does not have."""

    def __init__(self, requested, known: list[int]):
        self.requested, self.known = requested, known
        if known:
            shown = ", ".join(str(v) for v in known[-12:])
            more = f" (and {len(known) - 12} earlier)" if len(known) > 12 else ""
            there = f"The versions there are: {shown}{more}; `python -m pipelines history` lists them."
        else:
            there = "No data has been loaded yet."
        super().__init__(f"This programme does not have data version {requested}. {there}")


@dataclass(frozen=True)
class Version:
    """One moment of the store's history: a load, or an undo of one."""
    number: int
    event: Event
    batch: int
    at: dt.datetime
    dataset: str
    source_name: str
    is_demo: bool

    @property
    def label(self) -> str:
        """How a link spells this version (stable: pinned links in the wild use it)."""
        when = pd.Timestamp(self.at).strftime("%Y-%m-%d %H:%M")
        prefix = "undo of batch" if self.event is Event.UNDO else "batch"
        return f"{prefix} {self.batch} ({when})"


# -- reading the history ------------------------------------------------------------------

def all_versions(cursor) -> list[Version]:
    """Every version a view can be pinned to, oldest first: each load, and each undo."""
    rows = cursor.execute("""
        SELECT batch_id, 'load', batch_id, loaded_at, dataset, source_name, is_demo FROM batches
        UNION ALL
        SELECT undone_version, 'undo', batch_id, undone_at, dataset, source_name, is_demo FROM batches
        WHERE undone_version IS NOT NULL
        ORDER BY 1""").fetchall()
    return [Version(int(n), Event(e), int(b), at, d, s, bool(demo)) for n, e, b, at, d, s, demo in rows]


def versions(cursor) -> pd.DataFrame:
    """Every version, newest first: version, label."""
    found = all_versions(cursor)[::-1]
    return pd.DataFrame({"version": pd.array([v.number for v in found], dtype="int64"),
                         "label": pd.array([v.label for v in found], dtype=object)})


def labels(cursor) -> dict[int, str]:
    """Version number -> its label, newest first."""
    return {v.number: v.label for v in all_versions(cursor)[::-1]}


def parse(value, cursor) -> int | None:
    """The version a link or a command names: its number or its label; None for the latest.
    Raises UnknownVersion (naming the versions there are) for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = all_versions(cursor)
    text = str(value).strip()
    for version in found:
        if text == str(version.number) or text == version.label:
            return version.number
    raise UnknownVersion(text, [v.number for v in found])


def check(asof: int | None, cursor) -> int | None:
    """``asof`` when the programme has that version (None stays None); else UnknownVersion."""
    if asof is None:
        return None
    known = [v.number for v in all_versions(cursor)]
    if int(asof) not in known:
        raise UnknownVersion(asof, known)
    return int(asof)


def find(cursor, number: int) -> Version | None:
    return next((v for v in all_versions(cursor) if v.number == int(number)), None)


def describe(cursor, asof: int | None) -> str:
    """The data a view shows, in words: the latest data or the pinned version, and what made it."""
    found = all_versions(cursor)
    if not found:
        return "no data loaded yet"
    if asof is None:
        last = found[-1]
        what = (f"loaded {_when(last.at)}" if last.event is Event.LOAD
                else f"undo of batch {last.batch}, {_when(last.at)}")
        return f"latest data, version {last.number}, {what}"
    pinned = next((v for v in found if v.number == int(asof)), None)
    if pinned is None:
        raise UnknownVersion(asof, [v.number for v in found])
    what = (f"batch {pinned.batch}, loaded {_when(pinned.at)}" if pinned.event is Event.LOAD
            else f"undo of batch {pinned.batch}, {_when(pinned.at)}")
    return f"pinned to version {pinned.number} ({what})"


def _when(value) -> str:
    if value is None or pd.isna(value):
        return "date unknown"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def data_version(cursor) -> int:
    """The latest load or undo: it changes whenever what queries see may change."""
    return int(cursor.execute(
        "SELECT coalesce(max(greatest(batch_id, coalesce(undone_version, 0))), 0) FROM batches"
    ).fetchone()[0])


def is_empty(cursor) -> bool:
    return cursor.execute("SELECT count(*) FROM batches").fetchone()[0] == 0


def is_demo(cursor, asof: int | None = None) -> bool:
    """Whether the demo programme is part of the data at ``asof`` (None: the latest data)."""
    live, params = _live("b", asof)
    return bool(cursor.execute(f"SELECT count(*) FROM batches b WHERE is_demo AND {live}",
                               params).fetchone()[0])


def history(cursor) -> pd.DataFrame:
    """Every batch, newest first, with its state."""
    return cursor.execute("""SELECT batch_id AS batch, dataset, source_name AS file, loaded_at,
            rows_in, rows_accepted, rows_rejected, encoding, is_demo AS demo,
            CASE WHEN undone_version IS NULL THEN 'loaded' ELSE 'undone' END AS state, undone_at, summary
        FROM batches ORDER BY batch_id DESC""").df()


def live_loads(cursor, asof: int | None = None) -> pd.DataFrame:
    """Per dataset, the loads live at ``asof``: dataset, last_loaded, batches."""
    live, params = _live("b", asof)
    return cursor.execute(f"""SELECT dataset, max(loaded_at) AS last_loaded, count(*) AS batches
        FROM batches b WHERE {live} GROUP BY dataset ORDER BY dataset""", params).df()


def _live(alias: str, asof: int | None) -> tuple[str, list]:
    """SQL true for a batch whose rows count at ``asof``: loaded by then, not undone by then."""
    if asof is None:
        return f"{alias}.undone_version IS NULL", []
    return (f"{alias}.batch_id <= ? AND ({alias}.undone_version IS NULL OR {alias}.undone_version > ?)",
            [int(asof), int(asof)])


def visible(table: str, asof: int | None) -> tuple[str, list]:
    """SQL (and its parameters) for the rows of ``table`` visible at version ``asof``.

    ``asof=None`` is the latest state, kept in the ``current`` flag. A pinned version
    rebuilds the state from history: rows loaded up to it, by batches not undone by
    then, the latest per natural key.
    """
    if table not in NATURAL_KEYS:
        raise ValueError(f"not a versioned table: {table}")
    if asof is None:
        return f"(SELECT * FROM {table} WHERE current)", []
    keys = ", ".join(f"t.{column}" for column in NATURAL_KEYS[table])
    live, params = _live("b", asof)
    sql = f"""(SELECT * EXCLUDE (version_rank) FROM (
        SELECT t.*, row_number() OVER (PARTITION BY {keys} ORDER BY t.batch_id DESC) AS version_rank
        FROM {table} t JOIN batches b ON b.batch_id = t.batch_id
        WHERE {live}
    ) WHERE version_rank = 1)"""
    return sql, params


# -- writing it (inside a Store.write transaction) ----------------------------------------

def loaded_as(cursor, dataset: str, sha256: str) -> int | None:
    """The live batch that already loaded this very file, if any."""
    row = cursor.execute(
        "SELECT batch_id FROM batches WHERE dataset = ? AND sha256 = ? AND undone_version IS NULL",
        [dataset, sha256]).fetchone()
    return int(row[0]) if row else None


def record_load(cursor, *, batch_id: int, dataset: str, source_name: str, sha256: str,
                encoding: str | None, rows_in: int, rows_accepted: int, rows_rejected: int,
                is_demo: bool, summary: str, mapping: dict, read_notes: list[str]) -> None:
    cursor.execute(
        """INSERT INTO batches (batch_id, dataset, source_name, sha256, encoding, rows_in, rows_accepted,
           rows_rejected, loaded_at, is_demo, summary, mapping, read_notes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)""",
        [batch_id, dataset, source_name, sha256, encoding, rows_in, rows_accepted, rows_rejected,
         is_demo, summary, json.dumps(mapping), "\n".join(read_notes)])


def record_change(cursor, *, batch_id: int, dataset: str, what: str, summary: str, is_demo: bool = False) -> None:
    """A version made by an edit, not a file (an action added, edited or closed): recorded like a
    load of one row, so pins, ``history`` and ``undo`` treat it as they treat a load."""
    import hashlib

    record_load(cursor, batch_id=batch_id, dataset=dataset, source_name=what,
                sha256=hashlib.sha256(f"{dataset}:{batch_id}".encode()).hexdigest(), encoding=None,
                rows_in=1, rows_accepted=1, rows_rejected=0, is_demo=is_demo, summary=summary, mapping={},
                read_notes=[])


def batch(cursor, batch_id: int) -> tuple[str, str, int | None] | None:
    """(dataset, source_name, undone_version) of a batch, or None."""
    return cursor.execute("SELECT dataset, source_name, undone_version FROM batches WHERE batch_id = ?",
                          [batch_id]).fetchone()


def record_undo(cursor, batch_id: int, version: int) -> None:
    cursor.execute("UPDATE batches SET undone_version = ?, undone_at = now() WHERE batch_id = ?",
                   [version, batch_id])


def demo_batches(cursor) -> list[int]:
    return [int(r[0]) for r in cursor.execute("SELECT batch_id FROM batches WHERE is_demo").fetchall()]


def forget(cursor, batch_ids: list[int]) -> None:
    """Delete batches outright (only the demo programme leaves no history)."""
    cursor.execute("DELETE FROM batches WHERE list_contains(?, batch_id)", [batch_ids])


def supersede(cursor, table: str, batch_id: int) -> None:
    """Rows of ``batch_id`` replace the current rows with the same natural key (they stop being current)."""
    keys = NATURAL_KEYS[table]
    match = " AND ".join(f"t.{k} = n.{k}" for k in keys)
    cursor.execute(f"""UPDATE {table} t SET current = false
        WHERE t.current AND t.batch_id <> ? AND EXISTS (
            SELECT 1 FROM {table} n WHERE n.batch_id = ? AND {match})""", [batch_id, batch_id])


def current_of_undone_sql(table: str) -> str:
    """SQL (one parameter: the undone batch) that makes the latest live row of each key the batch
    had touched current again."""
    keys = NATURAL_KEYS[table]
    key_list = ", ".join(keys)
    match = " AND ".join(f"t.{k} = w.{k}" for k in keys)
    return f"""UPDATE {table} t SET current = true FROM (
            SELECT {key_list}, max(x.batch_id) AS latest FROM {table} x
            JOIN batches b ON b.batch_id = x.batch_id
            WHERE b.undone_version IS NULL AND ({key_list}) IN (
                SELECT ({key_list}) FROM {table} WHERE batch_id = ?)
            GROUP BY {key_list}) w
        WHERE {match} AND t.batch_id = w.latest"""
