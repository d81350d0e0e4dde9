"""A survey file's answers, kept wide and reshaped, checked and loaded by DuckDB.

A survey export has one row per respondent and one column per question. The respondent's own
fields (partner, date, wave, pseudonymous key) are worked out per row in ``ingest``; the answers,
twenty or so per row, stay in an Arrow table as integer codes of each column's distinct texts, which
are parsed once (``values.parse_likert``), and DuckDB does the rest where the answers live:
``UNPIVOT`` to one row per answer, the SurveyAnswers contract as SQL (``contracts.validate_sql``),
and the insert into ``survey_responses``. No answer becomes a Python object on the way.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest import contracts, values

ROW_COLUMNS = ["source_row", "respondent_key", "partner", "wave", "wave_start", "response_date",
               "response_date_raw"]


@dataclass
class StagedAnswers:
    answers: pa.Table        # source_row, then per matched question column (a0, a1, ...) a cell code
    items: pd.DataFrame      # answer_column (a0 ...), file_column, item_id, scale_min, scale_max
    cells: pd.DataFrame      # code, item_id, scale_min, scale_max, value_raw (trimmed text), value
    answers_mapped: int      # non-blank answers in the file

    def column_of_item(self) -> dict[str, str]:
        return dict(zip(self.items["item_id"], self.items["file_column"]))


def stage(source_rows, answers: pd.DataFrame, item_ids: list[str], items: pd.DataFrame) -> StagedAnswers:
    """Keep the answers as integer codes, one per distinct text of a column (so DuckDB joins
    integers, not strings), with their rows' source row numbers; parse each column's distinct
    texts once, on its question's scale. Blank cells get no code and so no answer row."""
    names = [f"a{i}" for i in range(len(item_ids))]  # ours: no file header reaches SQL
    scales = items.set_index("item_id")[["scale_min", "scale_max"]]
    item_frame = pd.DataFrame({"answer_column": names, "file_column": list(answers.columns),
                               "item_id": item_ids,
                               "scale_min": [int(scales.at[i, "scale_min"]) for i in item_ids],
                               "scale_max": [int(scales.at[i, "scale_max"]) for i in item_ids]})
    columns = {"source_row": pa.array(np.asarray(source_rows, dtype="int64"))}
    parts, mapped, offset = [], 0, 0
    for i, item in item_frame.iterrows():
        encoded = pc.dictionary_encode(_text_array(answers.iloc[:, i]))
        text = pd.Series(encoded.dictionary.to_pylist(), dtype="string").str.strip()
        blank = (text.isna() | (text == "")).to_numpy()
        indices = encoded.indices
        codes = pc.add(indices, offset)
        if blank.any():  # a blank cell is a skipped question, not an answer
            codes = pc.if_else(pc.is_in(indices, pa.array(np.flatnonzero(blank), pa.int32())), None, codes)
        columns[item["answer_column"]] = codes
        mapped += len(indices) - codes.null_count
        kept = np.flatnonzero(~blank)
        text = text.iloc[kept].astype(object).reset_index(drop=True)
        parsed, _failed = values.parse_likert(text, int(item["scale_min"]), int(item["scale_max"]))
        parts.append(pd.DataFrame({"code": (kept + offset).astype("int32"), "item_id": item["item_id"],
                                   "scale_min": item["scale_min"], "scale_max": item["scale_max"],
                                   "value_raw": text.to_numpy(), "value": parsed.astype(float).to_numpy()}))
        offset += len(encoded.dictionary)
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["code", "item_id", "scale_min", "scale_max", "value_raw", "value"])
    return StagedAnswers(pa.table(columns), item_frame, cells, mapped)


def _text_array(column: pd.Series) -> pa.Array:
    if isinstance(column.dtype, pd.ArrowDtype) or str(column.dtype) in ("str", "string"):
        return pa.array(column, from_pandas=True)
    return pa.array(column.astype(object).where(column.notna(), None).tolist(), type=pa.large_string())


def _register(con, staged: StagedAnswers, rows: pd.DataFrame) -> str:
    """Register the staged tables on ``con`` and return the SQL of one row per answer, with the
    columns of the SurveyAnswers contract."""
    # Arrow, not frames: DuckDB would convert a frame's Python strings again on every scan.
    con.register("staged_answers", staged.answers)
    con.register("staged_cells", pa.Table.from_pandas(staged.cells, preserve_index=False))
    con.register("staged_rows", pa.Table.from_pandas(rows[ROW_COLUMNS], preserve_index=False))
    on = _on(staged)
    return f"""(SELECT r.source_row, r.respondent_key, r.partner, r.wave, r.wave_start, c.item_id,
                   c.value, c.value_raw, c.scale_min, c.scale_max, r.response_date, r.response_date_raw
            FROM (UNPIVOT staged_answers ON {on} INTO NAME answer_column VALUE code) u
            JOIN staged_cells c ON c.code = u.code
            JOIN staged_rows r ON r.source_row = u.source_row)"""


def _unregister(con) -> None:
    for name in ("staged_answers", "staged_cells", "staged_rows"):
        con.unregister(name)


def validate(staged: StagedAnswers, rows: pd.DataFrame) -> contracts.Validation:
    """The SurveyAnswers contract over every answer. A respondent's row with any failure is left
    out whole (``valid`` holds the respondents' rows that pass), so no row is half-loaded.

    Each check runs where it is cheapest and means the same: a check that reads only the answer's
    own cell (its text, value, scale) runs once per distinct cell of a question; one that reads only
    the respondent's fields runs once per respondent row that has answers; the rest (one answer per
    respondent, item and wave) over the answers, restricted when it can only fail on respondents
    whose key and wave repeat."""
    if not staged.answers_mapped:
        return contracts.Validation(rows.iloc[0:0], contracts.failure_frame([], ("item_id",)), 0)
    con = contracts.checker()
    try:
        relation = _register(con, staged, rows)
        con.execute(f"CREATE TEMP VIEW survey_answers AS SELECT * FROM {relation}")
        con.register("answered", pa.table({"source_row": _answered_rows(staged)}))
        con.execute("CREATE TEMP VIEW answered_rows AS SELECT * FROM staged_rows SEMI JOIN answered USING (source_row)")
        rules, params = contracts.sql_rules("survey")
        per_cell = [r for r in rules if "OVER" not in r[2] and _binds(con, "staged_cells", r[2], params)]
        per_row = [r for r in rules
                   if "OVER" not in r[2] and r not in per_cell and _binds(con, "staged_rows", r[2], params)]
        per_answer = [r for r in rules if r not in per_cell and r not in per_row]
        parts = [contracts.validate_sql("survey", con, "answered_rows", rules=per_row)]
        cells = contracts.validate_sql("survey", con, "staged_cells", rules=per_cell, keep=("code", "item_id"))
        if len(cells):
            where = con.execute(f"""SELECT source_row, code FROM (UNPIVOT staged_answers ON {_on(staged)}
                INTO NAME answer_column VALUE code) WHERE code IN (SELECT unnest($codes))""",
                {"codes": sorted(set(cells["code"].astype(int)))}).df()
            parts.append(cells.drop(columns="source_row").merge(where, on="code")[contracts.FAILURE_COLUMNS + ["item_id"]])
        repeated = _repeated_rows(staged, rows)
        if repeated is None or len(repeated):
            scope = "survey_answers"
            if repeated is not None:
                con.register("repeated", pa.table({"source_row": pa.array(repeated, pa.int64())}))
                con.execute("CREATE TEMP VIEW repeated_answers AS "
                            "SELECT * FROM survey_answers SEMI JOIN repeated USING (source_row)")
                scope = "repeated_answers"
            parts.append(contracts.validate_sql("survey", con, scope, rules=per_answer, keep=("item_id",)))
    finally:
        con.close()
    failures = contracts.failure_frame(parts, ("item_id",))
    valid = rows[~rows["source_row"].isin(failures["source_row"])] if len(failures) else rows
    return contracts.Validation(valid, failures, staged.answers_mapped)


def _binds(con, relation: str, sql: str, params: dict) -> bool:
    """Whether a check's SQL reads only the columns of ``relation``."""
    try:
        con.execute(f"SELECT ({sql}) FROM {relation} LIMIT 0",
                    {name: value for name, value in params.items() if f"${name}" in sql})
    except duckdb.Error:
        return False
    return True


def _on(staged: StagedAnswers) -> str:
    return ", ".join(staged.items["answer_column"])  # a0, a1, ...: ours, never a file's header


def _answered_rows(staged: StagedAnswers) -> np.ndarray:
    codes = [staged.answers[name].is_valid().to_numpy(zero_copy_only=False) for name in staged.items["answer_column"]]
    answered = np.logical_or.reduce(codes) if codes else np.zeros(staged.answers.num_rows, dtype=bool)
    return staged.answers["source_row"].to_numpy()[answered]


def _repeated_rows(staged: StagedAnswers, rows: pd.DataFrame) -> list[int] | None:
    """Source rows whose respondent key and wave appear on another row: only their answers can
    repeat an item in a wave, when each question column is a different item. None when two
    columns are the same item (then every answer is checked)."""
    if staged.items["item_id"].duplicated().any():
        return None
    repeated = rows[rows.duplicated(["respondent_key", "wave"], keep=False)]
    return repeated["source_row"].astype(int).tolist()


def load(cursor, staged: StagedAnswers, valid_rows: pd.DataFrame, batch_id: int) -> int:
    """Insert the answers of the respondents' rows that passed, in the caller's transaction.

    The long rows are laid out in Arrow (numpy takes over the staged codes), so DuckDB's insert
    scans them without a join: joining each answer to its respondent's fields and its parsed value
    cost as much as writing the rows."""
    answers = _long_answers(cursor, staged, valid_rows)
    cursor.register("staged_long_answers", answers)
    try:
        cursor.execute("""INSERT INTO survey_responses
            SELECT respondent_key, partner_id, wave, wave_start, item_id, value, ?, true
            FROM staged_long_answers""", [batch_id])
    finally:
        cursor.unregister("staged_long_answers")
    return answers.num_rows


def _long_answers(cursor, staged: StagedAnswers, rows: pd.DataFrame) -> pa.Table:
    """One row per non-blank answer of ``rows``, respondent by respondent in the rows' order and
    item by item in the file's column order, with the columns of ``survey_responses``."""
    position = pd.Index(staged.answers["source_row"].to_numpy()).get_indexer(rows["source_row"].to_numpy())
    columns = list(staged.items["answer_column"])
    codes = np.column_stack([staged.answers[name].fill_null(-1).to_numpy()[position] for name in columns]
                            ) if columns else np.empty((len(rows), 0), dtype="int64")
    flat = codes.ravel()  # row-major: respondent, then item
    answered = flat >= 0
    respondent = np.repeat(np.arange(len(rows), dtype="int32"), len(columns))[answered]
    item = np.tile(np.arange(len(columns), dtype="int32"), len(rows))[answered]
    value_of_code = np.full(int(staged.cells["code"].max()) + 1 if len(staged.cells) else 0, np.nan)
    value_of_code[staged.cells["code"].to_numpy()] = staged.cells["value"].to_numpy(dtype=float)

    partner_ids = dict(cursor.execute("SELECT name, partner_id FROM partners").fetchall())
    partner = rows["partner"].map(partner_ids)
    if partner.isna().any():  # _add_partners adds every partner first; never drop answers silently
        missing = sorted(set(rows["partner"][partner.isna()]))
        raise ValueError("Partners missing from the store: " + ", ".join(missing))
    wave, wave_labels = pd.factorize(rows["wave"])
    wave_start = pd.to_datetime(rows["wave_start"]).to_numpy().astype("datetime64[D]")
    table = pa.table({
        "respondent_key": rows["respondent_key"].to_numpy(dtype="uint64")[respondent],
        "partner_id": partner.to_numpy(dtype="int32")[respondent],
        # repeated texts as dictionaries: each wave and item id once
        "wave": pa.DictionaryArray.from_arrays(wave.astype("int32")[respondent], pa.array(wave_labels.astype(str))),
        "wave_start": pa.array(wave_start[respondent]),
        "item_id": pa.DictionaryArray.from_arrays(item, pa.array(list(staged.items["item_id"]), pa.string())),
        "value": value_of_code[flat[answered]],
    })
    # DuckDB scans batches in parallel; the schema given, a file with no answer at all gives none
    return pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), schema=table.schema)


_BATCH_ROWS = 122_880  # one DuckDB row group
