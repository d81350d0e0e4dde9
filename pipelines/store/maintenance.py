"""Keeping a store small and fast: DuckLake's own maintenance functions, or a file's checkpoint.

A DuckLake grows with every write: small batches are kept as rows in the catalog ("inlined
data"), larger ones as one Parquet file each, every commit is a snapshot, and replaced files
are never deleted until their snapshots expire. ``maintain`` runs, in the order DuckLake's own
``CHECKPOINT`` uses, ``ducklake_flush_inlined_data`` (catalog rows to Parquet),
``ducklake_expire_snapshots``, ``ducklake_merge_adjacent_files``, ``ducklake_rewrite_data_files``
(files mostly deleted), ``ducklake_cleanup_old_files`` and ``ducklake_delete_orphaned_files``
(files of a crashed write).

Which snapshots may go: the product never reads a DuckLake snapshot. A data version, and so
every pinned link, is rebuilt from the rows' batch ids and the ``batches`` table (see
``versions.visible``), which the current snapshot holds; so the oldest snapshot any pin needs
is the current one. Only queries running at this moment in other replicas read older ones:
snapshots and files stay for ``keep`` after they stop being current, and a file merged away
today is deleted by the next run.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.store import lake
from pipelines.store.database import Store

# What running queries may still read: a snapshot or file stays this long once replaced.
DEFAULT_KEEP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class LakeReport:
    inlined_rows_flushed: int
    snapshots_expired: int
    files_merged: int
    files_merged_into: int
    files_rewritten: int
    old_files_removed: int
    orphaned_files_removed: int

    def sentence(self, keep: dt.timedelta) -> str:
        return (f"moved {self.inlined_rows_flushed} inlined rows from the catalog to data files, "
                f"merged {self.files_merged} small files into {self.files_merged_into}, "
                f"rewrote {self.files_rewritten} mostly deleted files, "
                f"expired {self.snapshots_expired} snapshots older than {_minutes(keep)}, "
                f"removed {self.old_files_removed} unused and {self.orphaned_files_removed} orphaned files. "
                "Every data version and pinned link is unchanged.")


def _minutes(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minute{'s' * (minutes != 1)}"


def maintain(store: Store, keep: dt.timedelta = DEFAULT_KEEP) -> str:
    """Maintain the store; a sentence saying what was done."""
    if not store.is_lake:
        store.cursor().execute("CHECKPOINT")
        return ("The programme store is a DuckDB file: checkpointed it (its write-ahead log is now in the "
                "file). A file has no snapshots to expire or small files to merge.")
    return f"Maintained {store.shown_as}: " + maintain_lake(store, keep).sentence(keep)


def maintain_lake(store: Store, keep: dt.timedelta) -> LakeReport:
    """DuckLake's maintenance, under the write lock: loads and undos wait, readers go on."""
    cursor = store.cursor()
    catalog, seconds = lake.CATALOG, keep.total_seconds()
    older = "now() - to_seconds(?)"

    def total(call: str, column: str | None = None, parameters: list | None = None) -> int:
        # fetchall, not fetchone: a result read only in part leaves its statement, and what the
        # function changed, uncommitted (measured: the next statement then finds none of it)
        summed = f"coalesce(sum({column}), 0)" if column else "count(*)"
        return int(cursor.execute(f"SELECT {summed} FROM {call}", parameters or []).fetchall()[0][0])

    with store.exclusive():
        flushed = total(f"ducklake_flush_inlined_data('{catalog}')", "rows_flushed")
        expired = total(f"ducklake_expire_snapshots('{catalog}', older_than => {older})", None, [seconds])
        merged = cursor.execute(f"SELECT coalesce(sum(files_processed), 0), coalesce(sum(files_created), 0) "
                                f"FROM ducklake_merge_adjacent_files('{catalog}')").fetchall()[0]
        rewritten = total(f"ducklake_rewrite_data_files('{catalog}')", "files_processed")
        removed = total(f"ducklake_cleanup_old_files('{catalog}', older_than => {older})", None, [seconds])
        orphans = total(f"ducklake_delete_orphaned_files('{catalog}', older_than => {older})", None, [seconds])
    return LakeReport(flushed, expired, int(merged[0]), int(merged[1]), rewritten, removed, orphans)
