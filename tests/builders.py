"""Small helpers that put rows straight into a real Store, the way a load would.

Every ``load`` is one batch: a ``batches`` row numbered from ``version_seq``, its rows
with that ``batch_id`` and ``current = true``, and earlier rows with the same natural key
no longer current. ``undo`` marks a batch undone at a new version and makes the latest
surviving row of each key current again. No mocks: this is plain SQL on DuckDB.
"""
from __future__ import annotations

import hashlib
import sys
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines.programme.factors import FACTORS  # noqa: E402
from pipelines.store.schema import NATURAL_KEYS  # noqa: E402

_DATASET = {"instrument_items": "instrument", "survey_responses": "survey",
            "milestones": "milestones", "issues": "issues"}


def add_partners(store, names: Iterable[str]) -> dict[str, int]:
    """Insert partners (ids 1, 2, ... after the largest) and return name -> id."""
    out: dict[str, int] = {}
    with store.write() as cur:
        start = cur.execute("SELECT coalesce(max(partner_id), 0) FROM partners").fetchone()[0]
        for offset, name in enumerate(names, start=1):
            cur.execute("INSERT INTO partners (partner_id, name) VALUES (?, ?)", [start + offset, name])
            out[name] = start + offset
    return out


def load(store, table: str, rows: pd.DataFrame | Sequence[Mapping], *, source: str = "test") -> int:
    """Load ``rows`` into ``table`` as one batch; returns its batch_id (= version)."""
    frame = pd.DataFrame(rows).copy()
    keys = NATURAL_KEYS[table]
    with store.write() as cur:
        batch_id = store.next_version(cur)
        cur.execute(
            "INSERT INTO batches (batch_id, dataset, source_name, sha256, rows_in, rows_accepted,"
            " rows_rejected, loaded_at) VALUES (?, ?, ?, ?, ?, ?, 0, now())",
            [batch_id, _DATASET[table], source, f"sha-{batch_id}", len(frame), len(frame)])
        frame["batch_id"] = batch_id
        frame["current"] = True
        cur.register("incoming_rows", frame)
        match = " AND ".join(f"i.{k} = t.{k}" for k in keys)
        cur.execute(f"UPDATE {table} t SET current = false WHERE current AND EXISTS "
                    f"(SELECT 1 FROM incoming_rows i WHERE {match})")
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
        cur.unregister("incoming_rows")
    return batch_id


def undo(store, batch_id: int) -> int:
    """Undo a batch at a new version (returned); its rows stop being current and the
    latest row of each key from a batch not undone becomes current again."""
    with store.write() as cur:
        version = store.next_version(cur)
        table = {v: k for k, v in _DATASET.items()}[cur.execute(
            "SELECT dataset FROM batches WHERE batch_id = ?", [batch_id]).fetchone()[0]]
        keys = NATURAL_KEYS[table]
        cols = ", ".join(keys)
        cur.execute("UPDATE batches SET undone_version = ?, undone_at = now() WHERE batch_id = ?",
                    [version, batch_id])
        cur.execute(f"UPDATE {table} SET current = false WHERE batch_id = ?", [batch_id])
        match = " AND ".join(f"x.{k} = t.{k}" for k in keys)
        cur.execute(f"""
            UPDATE {table} t SET current = true FROM (
                SELECT {", ".join(f"s.{k}" for k in keys)}, max(s.batch_id) AS keep
                FROM {table} s JOIN batches b ON b.batch_id = s.batch_id
                WHERE b.undone_version IS NULL
                  AND ({cols}) IN (SELECT ({cols}) FROM {table} WHERE batch_id = ?)
                GROUP BY ALL
            ) x WHERE {match} AND t.batch_id = x.keep""", [batch_id])
    return version


def instrument(items_per_factor: int = 2, scale: tuple[int, int] = (1, 5),
               reverse: Iterable[str] = ()) -> list[dict]:
    """Items '<factor>_<i>' for every factor (e.g. 'shared_goals_1')."""
    reverse = set(reverse)
    return [dict(item_id=f"{f}_{i}", text=f"{f} item {i}", factor=f, scale_min=scale[0],
                 scale_max=scale[1], reverse_scored=f"{f}_{i}" in reverse)
            for f in FACTORS for i in range(1, items_per_factor + 1)]


def responses(partner_id: int, wave: str, wave_start: date | str,
              answers: Sequence[Mapping[str, float]], *, prefix: str | None = None) -> list[dict]:
    """Long survey rows: one respondent per mapping of item_id -> value; respondent ``j`` is keyed
    by the text '<prefix>-r<j>' as a 64-bit integer, as privacy.pseudonymise keys an id."""
    prefix = prefix or f"p{partner_id}-{wave}"
    start = pd.Timestamp(wave_start).date()
    return [dict(respondent_key=respondent_key(f"{prefix}-r{j}"), partner_id=partner_id, wave=wave,
                 wave_start=start, item_id=item, value=float(value))
            for j, answer in enumerate(answers) for item, value in answer.items()]


def respondent_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=7).digest(), "big")  # fits int64 too


def all_items(value: float, items_per_factor: int = 2) -> dict[str, float]:
    """One respondent answering every item of ``instrument()`` with the same value."""
    return {f"{f}_{i}": value for f in FACTORS for i in range(1, items_per_factor + 1)}
