"""Load a checked preview as one batch, in one transaction; undo a batch.

A batch is all of a file's valid rows, or nothing. Rows are never deleted by an undo: they stop
being current, and ``pipelines.store.versions`` keeps the history that pinned links rebuild.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import pyarrow as pa

from pipelines.ingest import mapping, partners, survey_answers, survey_extras
from pipelines.ingest.preview import DATE_ORDER_MEMORY, NotReady, Preview
from pipelines.store import versions
from pipelines.store.database import Store

# The versioned tables each dataset's batches write (a survey's ratings and comments come with it).
DATASET_TABLES: dict[str, tuple[str, ...]] = {
    "survey": ("survey_responses", "partner_ratings", "survey_comments"),
    "instrument": ("instrument_items",),
    "milestones": ("milestones",),
    "issues": ("issues",),
    "headcount": ("headcounts",),
    "actions": ("actions",),
}
POLICIES = ("all_or_nothing", "valid_only")


class Refused(ValueError):
    """All-or-nothing load of a file that has invalid rows."""


@dataclass
class LoadResult:
    batch_id: int | None
    dataset: str
    source_name: str
    rows_in: int
    rows_accepted: int
    rows_rejected: int
    new_partners: list[str]
    message: str


def commit(store: Store, preview: Preview, *, policy: str = "all_or_nothing", is_demo: bool = False,
           progress: Callable[[float, str], None] | None = None) -> LoadResult:
    """Load a preview as one batch, in one transaction: all of it, or nothing."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    if preview.already_loaded is not None:
        return LoadResult(preview.already_loaded, preview.dataset, preview.source_name, 0, 0, 0, [],
                          f"{preview.source_name} was already loaded as batch {preview.already_loaded}; "
                          "nothing changed.")
    if preview.questions:
        raise NotReady("Answer these before loading: " + " ".join(preview.questions))
    if preview.validation is None:
        raise NotReady("This file has not been checked yet.")
    validation = preview.validation
    if policy == "all_or_nothing" and not validation.ok:
        raise Refused(f"{validation.invalid_rows} of {preview.rows_read} rows of {preview.source_name} "
                      "are invalid, so nothing was loaded. Fix them, or load only the valid rows.")
    report = progress or (lambda fraction, text: None)
    valid = validation.valid
    report(0.1, "Checking the database")
    with store.write() as cursor:
        again = versions.loaded_as(cursor, preview.dataset, preview.sha256)
        if again is not None:
            return LoadResult(again, preview.dataset, preview.source_name, 0, 0, 0, [],
                              f"{preview.source_name} was already loaded as batch {again}; nothing changed.")
        batch_id = store.next_version(cursor)
        report(0.2, "Adding partners")
        new_partners = partners.add_new(cursor, batch_id, preview, valid)
        report(0.4, "Loading rows")
        loaded = _LOADERS[preview.dataset](cursor, batch_id, valid, preview)
        if preview.extras is not None:
            survey_extras.load(cursor, preview.extras, valid, batch_id)
        report(0.8, "Recording the batch")
        failures = validation.failures
        if len(failures):
            cursor.register("failures_frame", _arrow(failures))
            cursor.execute("""INSERT INTO rejected_rows
                SELECT ?, source_row, "column", "check", value, message FROM failures_frame""", [batch_id])
            cursor.unregister("failures_frame")
        rows_in = preview.rows_read
        rejected = validation.invalid_rows
        accepted = rows_in - rejected - preview.rows_skipped
        summary = (f"Loaded {accepted} of {rows_in} rows of {preview.source_name} as batch {batch_id}"
                   + (f" ({loaded} answers)" if preview.dataset == "survey" else "")
                   + "".join(f"; {words} skipped" for words in preview.skipped_in_words())
                   + (f"; {rejected} invalid rows not loaded" if rejected else "")
                   + (f"; new partners: {', '.join(new_partners)}" if new_partners else "") + ".")
        versions.record_load(
            cursor, batch_id=batch_id, dataset=preview.dataset, source_name=preview.source_name,
            sha256=preview.sha256, encoding=preview.raw.encoding if preview.raw else None, rows_in=rows_in,
            rows_accepted=accepted, rows_rejected=rejected, is_demo=is_demo, summary=summary,
            mapping=preview.mapping_used(), read_notes=preview.notes)
        fingerprint = mapping.fingerprint(list(preview.columns))
        cursor.execute("DELETE FROM mapping_memory WHERE fingerprint = ?", [fingerprint])
        chosen = preview.options.date_order or preview.remembered_date_order
        order = {DATE_ORDER_MEMORY: chosen} if chosen else {}
        cursor.execute("INSERT INTO mapping_memory VALUES (?, ?, ?, now())",
                       [fingerprint, preview.dataset, json.dumps({**preview.mapping_used(), **order})])
    report(1.0, "Done")
    return LoadResult(batch_id, preview.dataset, preview.source_name, rows_in, accepted, rejected,
                      new_partners, summary)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as Arrow for DuckDB to scan: a frame of Python strings would be converted per cell."""
    return pa.Table.from_pandas(frame, preserve_index=False)


_replace = versions.supersede  # rows of this batch replace current rows with the same natural key


def _load_survey(cursor, batch_id: int, valid: pd.DataFrame, preview: Preview) -> int:
    loaded = survey_answers.load(cursor, preview.staged, valid, batch_id)
    _replace(cursor, "survey_responses", batch_id)
    return loaded


def _load_instrument(cursor, batch_id: int, valid: pd.DataFrame, preview: Preview) -> int:
    frame = valid[["item_id", "text", "factor", "scale_min", "scale_max", "reverse_scored"]]
    cursor.register("staged_items", _arrow(frame))
    cursor.execute("""INSERT INTO instrument_items
        SELECT item_id, text, factor, CAST(scale_min AS INTEGER), CAST(scale_max AS INTEGER),
               CAST(reverse_scored AS BOOLEAN), ?, true FROM staged_items""", [batch_id])
    cursor.unregister("staged_items")
    _replace(cursor, "instrument_items", batch_id)
    return len(frame)


def _load_milestones(cursor, batch_id: int, valid: pd.DataFrame, preview: Preview) -> int:
    _, names = partners.known_partners(cursor)
    ids = {name: pid for pid, name in names.items()}
    frame = valid[["milestone_id", "title", "baseline_date", "forecast_date", "actual_date", "status"]].copy()
    frame["owner_ids"] = valid["owners"].map(lambda text: [ids[n] for n in partners.split_owners(text)])
    cursor.register("staged_milestones", _arrow(frame))
    cursor.execute("""INSERT INTO milestones
        SELECT milestone_id, title, CAST(owner_ids AS INTEGER[]), CAST(baseline_date AS DATE),
               CAST(forecast_date AS DATE), CAST(actual_date AS DATE), status, ?, true
        FROM staged_milestones""", [batch_id])
    cursor.unregister("staged_milestones")
    _replace(cursor, "milestones", batch_id)
    return len(frame)


def _load_issues(cursor, batch_id: int, valid: pd.DataFrame, preview: Preview) -> int:
    frame = valid[["issue_id", "title", "kind", "raised_by", "owned_by", "raised_date", "resolved_date",
                   "severity", "status", "escalated"]].copy()
    escalated = frame["escalated"].astype("boolean")
    # with an escalation column a blank is a "no" (an unticked box); a log without one says nothing
    mapped = "escalated" in preview.mapping_used()
    frame["escalated"] = escalated.fillna(False) if mapped else escalated
    cursor.register("staged_issues", _arrow(frame))
    cursor.execute("""INSERT INTO issues
        SELECT s.issue_id, s.title, s.kind, r.partner_id, o.partner_id, CAST(s.raised_date AS DATE),
               CAST(s.resolved_date AS DATE), s.severity, s.status, s.escalated, ?, true
        FROM staged_issues s JOIN partners r ON r.name = s.raised_by
        LEFT JOIN partners o ON o.name = s.owned_by""", [batch_id])
    cursor.unregister("staged_issues")
    _replace(cursor, "issues", batch_id)
    return len(frame)


def _load_headcount(cursor, batch_id: int, valid: pd.DataFrame, preview: Preview) -> int:
    frame = valid[["partner", "wave", "wave_start", "invited"]]
    cursor.register("staged_headcounts", _arrow(frame))
    cursor.execute("""INSERT INTO headcounts
        SELECT p.partner_id, s.wave, CAST(s.wave_start AS DATE), CAST(s.invited AS INTEGER), ?, true
        FROM staged_headcounts s JOIN partners p ON p.name = s.partner""", [batch_id])
    cursor.unregister("staged_headcounts")
    _replace(cursor, "headcounts", batch_id)
    return len(frame)


def _load_partners(cursor, batch_id: int, valid: pd.DataFrame, preview: Preview) -> int:
    return len(valid)  # partners and their aliases were added by _add_partners


_LOADERS: dict[str, Callable] = {  # (cursor, batch_id, valid rows, the preview they come from)
    "survey": _load_survey,
    "instrument": _load_instrument,
    "milestones": _load_milestones,
    "issues": _load_issues,
    "partners": _load_partners,
    "headcount": _load_headcount,
}


def _no_batch(batch_id: int) -> ValueError:
    return ValueError(f"There is no batch {batch_id}. `python -m pipelines history` lists the batches.")


def undo(store: Store, batch_id: int) -> str:
    """Take a batch back. Its rows stay in history for pinned links, but no longer count."""
    with store.write() as cursor:
        row = versions.batch(cursor, batch_id)
        if row is None:
            raise _no_batch(batch_id)
        dataset, source_name, undone = row
        if undone is not None:
            raise ValueError(f"Batch {batch_id} ({source_name}) was already undone.")
        version = store.next_version(cursor)
        versions.record_undo(cursor, batch_id, version)
        cursor.execute("DELETE FROM partner_aliases WHERE created_batch = ?", [batch_id])
        for table in DATASET_TABLES.get(dataset, ()):
            cursor.execute(f"UPDATE {table} SET current = false WHERE batch_id = ?", [batch_id])
            cursor.execute(versions.current_of_undone_sql(table), [batch_id])
    return f"Undid batch {batch_id} ({source_name})."


def rejected_rows(cursor, batch_id: int) -> pd.DataFrame:
    """The rows a batch left out as invalid, with why (ValueError for a batch there is not)."""
    if versions.batch(cursor, batch_id) is None:
        raise _no_batch(batch_id)
    return cursor.execute("""SELECT source_row AS row, column_name AS "column", check_name AS "check", value, message
        FROM rejected_rows WHERE batch_id = ? ORDER BY source_row""", [batch_id]).df()


def remove_demo(store: Store) -> int:
    """Delete the demo programme entirely (not an undo: demo data leaves no history)."""
    with store.write() as cursor:
        demo = versions.demo_batches(cursor)
        if not demo:
            return 0
        for table in (*(t for tables in DATASET_TABLES.values() for t in tables), "rejected_rows"):
            cursor.execute(f"DELETE FROM {table} WHERE list_contains(?, batch_id)", [demo])
        cursor.execute("DELETE FROM partner_aliases WHERE list_contains(?, created_batch)", [demo])
        cursor.execute("DELETE FROM partners WHERE list_contains(?, created_batch)", [demo])
        versions.forget(cursor, demo)
    return len(demo)
