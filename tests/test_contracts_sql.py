"""The Pandera models are the contract; large files are checked by DuckDB from SQL generated from
them (contracts.sql_rules). Both engines must report the same failures for the same rows."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.ingest import contracts, survey_answers

TODAY = pd.Timestamp(dt.date.today())


def failures(frame: pd.DataFrame) -> list[tuple]:
    keep = ["source_row", "field", "check", "value"]
    cases = frame[keep].astype(object).where(frame[keep].notna(), None).to_numpy().tolist()
    # A repeated respondent has no cell of its own to show: Pandera reports the row's position as
    # the failing value, DuckDB reports none; the user sees the row, the column and the message.
    return sorted({(row, field, check, None if check == "one_answer_per_respondent_item_wave" else value)
                   for row, field, check, value in cases}, key=repr)


@pytest.mark.parametrize("dataset", contracts.SQL_DATASETS)
def test_every_check_of_the_model_has_an_sql_form(dataset):
    rules, _params = contracts.sql_rules(dataset)
    schema = contracts.MODELS[dataset].to_schema()
    names = {check for check, _field, _sql in rules}
    assert {c.name for c in schema.checks} <= names
    assert {"not_nullable", "str_length"} <= names


def test_sql_rules_refuse_a_check_without_a_twin(monkeypatch):
    monkeypatch.delitem(contracts.SQL_TWINS, "severity_is_known")
    with pytest.raises(NotImplementedError, match="severity_is_known"):
        contracts.sql_rules("issues")


def issue_rows() -> pd.DataFrame:
    """One row per way an issue can fail, and clean rows around them."""
    d = pd.Timestamp
    rows = [
        # issue_id, raised_by, owned_by, raised, raised_raw, resolved, resolved_raw, severity, severity_raw, escalated, escalated_raw
        ("PH-1", "Acme", "Bolt", d("2025-01-02"), "02/01/2025", None, None, "high", "High", True, "Y"),
        ("PH-2", "Acme", None, None, "31/02/2025", None, None, None, None, None, None),          # unreadable
        ("PH-3", "Acme", None, None, None, None, None, None, "Purple", None, "maybe"),           # not given, unknown
        ("PH-3", "x" * 201, None, d("2099-01-05"), "2099-01-05", None, None, "low", "Low", False, "N"),  # dup, long, future
        ("PH-5", None, "Bolt", d("2025-03-01"), "2025-03-01", d("2025-02-01"), "2025-02-01", "low", "Low", None, None),
        ("", "Acme", None, d("2025-03-01"), "2025-03-01", None, None, None, None, None, None),   # empty id
        (None, "Acme", None, d("2025-03-01"), "2025-03-01", None, "soon", None, None, None, None),  # no id
    ]
    frame = pd.DataFrame(rows, columns=["issue_id", "raised_by", "owned_by", "raised_date", "raised_date_raw",
                                        "resolved_date", "resolved_date_raw", "severity", "severity_raw",
                                        "escalated", "escalated_raw"])
    frame.insert(0, "source_row", np.arange(2, 2 + len(frame), dtype="int64"))
    for name in ("title", "kind", "status"):
        frame[name] = None
    for name in ("raised_date", "resolved_date"):
        frame[name] = frame[name].astype("datetime64[ns]")
    frame["escalated"] = frame["escalated"].astype("boolean")
    for name in frame.columns:
        if frame[name].dtype == object or str(frame[name].dtype) == "str":
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def test_an_issue_log_fails_the_same_checks_in_duckdb_as_in_pandera():
    frame = issue_rows()
    pandera = contracts.validate("issues", frame)
    duck = contracts.validate_in_duckdb("issues", frame)
    assert failures(duck.failures) == failures(pandera.failures)
    assert {c for c in duck.failures["check"]} >= {
        "raised_date_is_readable", "raised_date_is_given", "severity_is_known", "escalated_is_yes_or_no",
        "field_uniqueness", "raised_by_is_short", "raised_date_not_in_future", "resolved_not_before_raised",
        "not_nullable", "str_length", "resolved_date_is_readable"}
    assert list(duck.valid["source_row"]) == list(pandera.valid["source_row"]) == [2]
    assert duck.invalid_rows == pandera.invalid_rows == 6


def test_a_clean_issue_log_passes_in_both():
    frame = issue_rows().iloc[[0]]
    assert contracts.validate_in_duckdb("issues", frame).ok and contracts.validate("issues", frame).ok


def survey_frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondent rows and their wide answers, with every way an answer can fail."""
    rows = pd.DataFrame({
        "source_row": [2, 3, 4, 5, 6],
        "respondent_key": np.array([11, 12, 13, 13, 15], dtype="uint64"),
        "partner": ["Acme", "Acme", "y" * 201, "Bolt", "Bolt"],
        "wave": ["2025-Q1", "2025-Q1", "2025-Q1", "2025-Q1", None],
        "wave_start": pd.to_datetime(["2025-01-01"] * 4 + [None]),
        "response_date": pd.to_datetime(["2025-01-05", None, "2099-01-01", "2025-01-06", None]),
        "response_date_raw": ["05/01/2025", "31/02/2025", "2099-01-01", "2025-01-06", "soon"],
    })
    for name in ("partner", "wave", "response_date_raw"):
        rows[name] = rows[name].astype(object).where(rows[name].notna(), None)
    answers = pd.DataFrame({"We agree the goals": ["4", "Agree", "9", "2", "3"],
                            "Decisions are joint": ["2.5", " ", "lots", "5", None]}, dtype=object)
    return rows, answers


def long_frame(staged, rows) -> pd.DataFrame:
    con = duckdb.connect()
    relation = survey_answers._register(con, staged, rows)
    frame = con.execute(f"SELECT * FROM {relation} ORDER BY source_row, item_id").df()
    for name in ("partner", "wave", "item_id", "value_raw", "response_date_raw"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame.astype({"scale_min": "int64", "scale_max": "int64", "wave_start": "datetime64[ns]",
                         "response_date": "datetime64[ns]"})


def test_survey_answers_fail_the_same_checks_in_duckdb_as_in_pandera():
    rows, answers = survey_frame()
    items = pd.DataFrame({"item_id": ["SG1", "JG1"], "scale_min": [1, 1], "scale_max": [5, 5]})
    staged = survey_answers.stage(rows["source_row"], answers, ["SG1", "JG1"], items)
    duck = survey_answers.validate(staged, rows)
    pandera = contracts.validate("survey", long_frame(staged, rows))
    assert failures(duck.failures) == failures(pandera.failures)
    assert duck.rows_checked == pandera.rows_checked == 8
    assert set(duck.failures["check"]) >= {"answer_within_scale", "answer_is_a_number", "answer_is_a_scale_point",
                                           "response_date_is_readable", "response_date_not_in_future",
                                           "partner_name_is_short", "one_answer_per_respondent_item_wave",
                                           "not_nullable", "str_matches"} - {"str_matches"}
    assert list(duck.valid["source_row"]) == []


def test_a_wave_label_we_cannot_read_fails_in_both():
    rows, answers = survey_frame()
    rows = rows.iloc[[0]].assign(wave="Spring")
    items = pd.DataFrame({"item_id": ["SG1", "JG1"], "scale_min": [1, 1], "scale_max": [5, 5]})
    answers = pd.DataFrame({"a": ["4"], "b": ["5"]}, dtype=object)
    staged = survey_answers.stage(rows["source_row"], answers, ["SG1", "JG1"], items)
    duck = survey_answers.validate(staged, rows)
    assert failures(duck.failures) == failures(contracts.validate("survey", long_frame(staged, rows)).failures)
    assert set(duck.failures["check"]) == {"str_matches"}
