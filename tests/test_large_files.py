"""Large text files take another road: their data rows are read by DuckDB (readers._read_large_text)
and a survey's answers are reshaped and checked by DuckDB (pipelines/ingest/survey_answers.py). Whatever the
road, the user must get the same table, the same row numbers, the same notes and the same failures:
here every text export fixture goes both ways (the threshold lowered to 0) and the results are compared.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks import generate
from pipelines import ingest
from pipelines.ingest import limits, readers
from pipelines.programme import bootstrap

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEXT_FIXTURES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".csv", ".txt", ".tsv"))


def read_both(name: str, data: bytes, monkeypatch) -> tuple[object, object]:
    """(large-file road, general road): a RawTable each, or the ReadError message."""
    def read():
        try:
            return readers.read_file(name, data)
        except readers.ReadError as error:
            return str(error)
    monkeypatch.setattr(readers, "LARGE_TEXT_CHARS", 0)
    large = read()
    monkeypatch.setattr(readers, "LARGE_TEXT_CHARS", 10**12)
    return large, read()


def cells(frame: pd.DataFrame) -> list[list]:
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def assert_same_table(large, general) -> None:
    if isinstance(general, str):
        assert large == general
        return
    assert list(large.frame.columns) == list(general.frame.columns)
    assert cells(large.frame) == cells(general.frame)
    assert list(large.source_rows) == list(general.source_rows)
    assert (large.notes, large.question_text, large.header_rows, large.source_format, large.encoding,
            large.delimiter) == (general.notes, general.question_text, general.header_rows,
                                 general.source_format, general.encoding, general.delimiter)


@pytest.mark.parametrize("path", TEXT_FIXTURES, ids=[p.name for p in TEXT_FIXTURES])
def test_every_text_fixture_reads_the_same_on_both_roads(path, monkeypatch):
    assert_same_table(*read_both(path.name, path.read_bytes(), monkeypatch))


def took_the_large_road(table) -> bool:
    return str(table.frame.dtypes.iloc[0]) == "str"


@pytest.mark.parametrize("name", ["google_forms_pulse.csv",
                                  "surveymonkey_pulse.csv", "raid_log_semicolon.csv"])
def test_plain_exports_take_the_large_road(name, monkeypatch):
    large, general = read_both(name, (FIXTURES / "exports" / name).read_bytes(), monkeypatch)
    assert took_the_large_road(large) and not took_the_large_road(general)


SHIFTING = {
    "a line break inside a quoted cell": b'Issue ID,Title,Raised date\nA-1,"two\nlines",2025-01-02\nA-2,x,2025-01-03\n',
    "a blank line between rows": b"Issue ID,Title,Raised date\nA-1,x,2025-01-02\n\nA-2,y,2025-01-03\n",
    "a row of blank cells": b"Issue ID,Title,Raised date\nA-1,x,2025-01-02\n , ,\nA-2,y,2025-01-03\n",
    "a row wider than the header": b"Issue ID,Title,Raised date\nA-1,x,2025-01-02,extra\nA-2,y,2025-01-03\n",
    "old Mac line ends": b"Issue ID,Title,Raised date\rA-1,x,2025-01-02\rA-2,y,2025-01-03\r",
}


@pytest.mark.parametrize("data", SHIFTING.values(), ids=SHIFTING.keys())
def test_files_whose_rows_are_not_one_per_line_take_the_general_road(data, monkeypatch):
    large, general = read_both("log.csv", data, monkeypatch)
    assert_same_table(large, general)
    assert not took_the_large_road(large)


def test_a_file_of_one_column_takes_the_large_road(monkeypatch):
    large, general = read_both("ids.csv", b"Issue ID\nA-1\n \nA-2\n", monkeypatch)
    assert_same_table(large, general)
    large, general = read_both("ids.csv", b"Issue ID\nA-1\nA-2\n", monkeypatch)
    assert took_the_large_road(large)
    assert_same_table(large, general)


def test_whitespace_cells_are_blank_and_short_rows_are_padded_on_the_large_road(monkeypatch):
    data = "Issue ID;Title;Raised date\nA-1;\u00a0 ;2025-01-02\nA-2;y\n".encode()
    large, general = read_both("log.csv", data, monkeypatch)
    assert took_the_large_road(large)
    assert_same_table(large, general)
    assert cells(large.frame) == [["A-1", None, "2025-01-02"], ["A-2", "y", None]]


def prepared_both(store, dataset: str, name: str, data: bytes, monkeypatch, options=None):
    monkeypatch.setattr(readers, "LARGE_TEXT_CHARS", 0)
    large = ingest.prepare(store, dataset, name, data, options)
    monkeypatch.setattr(readers, "LARGE_TEXT_CHARS", 10**12)
    return large, ingest.prepare(store, dataset, name, data, options)


CASES = [("survey", "exports/qualtrics_pulse.csv"), ("survey", "exports/surveymonkey_pulse.csv"),
         ("survey", "exports/google_forms_pulse.csv"), ("survey", "bad/survey_non_numeric.csv"),
         ("survey", "bad/survey_out_of_scale.csv"), ("issues", "exports/jira_issues.csv"),
         ("issues", "bad/duplicate_ids.csv"), ("issues", "bad/future_dates.csv"),
         ("milestones", "exports/ms_project_milestones.csv")]


@pytest.mark.parametrize("dataset, name", CASES, ids=[c[1] for c in CASES])
def test_both_roads_give_the_same_preview(store, dataset, name, monkeypatch):
    bootstrap.ensure_instrument(store)
    large, general = prepared_both(store, dataset, Path(name).name, (FIXTURES / name).read_bytes(), monkeypatch)
    assert (large.questions, large.notes, [p.__dict__ for p in large.partners]) == (
        general.questions, general.notes, [p.__dict__ for p in general.partners])
    if general.validation is None:
        assert large.validation is None
        return
    pd.testing.assert_frame_equal(large.validation.failures, general.validation.failures)
    assert large.validation.rows_checked == general.validation.rows_checked


def test_a_generated_survey_loads_the_same_answers_on_both_roads(store, monkeypatch):
    bootstrap.ensure_instrument(store)
    data = generate.survey_csv(300, invalid=0.05)
    large, general = prepared_both(store, "survey", "pulse.csv", data, monkeypatch)
    pd.testing.assert_frame_equal(large.validation.failures, general.validation.failures)
    assert large.validation.invalid_rows == 15
    first = ingest.commit(store, general, policy="valid_only")
    answers = store.cursor().execute(
        "SELECT * EXCLUDE (batch_id) FROM survey_responses ORDER BY ALL").fetchall()
    ingest.undo(store, first.batch_id)
    second = ingest.commit(store, large, policy="valid_only")
    again = store.cursor().execute(
        "SELECT * EXCLUDE (batch_id) FROM survey_responses WHERE batch_id = ? ORDER BY ALL",
        [second.batch_id]).fetchall()
    assert (first.rows_accepted, first.rows_rejected) == (second.rows_accepted, second.rows_rejected) == (285, 15)
    assert again == answers and len(answers) > 5000


def test_a_generated_issue_log_loads_the_same_issues_on_both_roads(store, monkeypatch):
    data = generate.issues_csv(5100, invalid=0.03)
    large, general = prepared_both(store, "issues", "log.csv", data, monkeypatch,
                                   ingest.Options(accept_new_partners=True))  # 200 partners, all new
    assert took_the_large_road(large.raw) and not took_the_large_road(general.raw)
    pd.testing.assert_frame_equal(large.validation.failures, general.validation.failures)
    assert set(large.validation.failures["check"]) == {
        "raised_date_is_readable", "severity_is_known", "resolved_not_before_raised"}
    first = ingest.commit(store, general, policy="valid_only")
    issues = store.cursor().execute("SELECT * EXCLUDE (batch_id) FROM issues ORDER BY ALL").fetchall()
    ingest.undo(store, first.batch_id)
    second = ingest.commit(store, large, policy="valid_only")
    again = store.cursor().execute(
        "SELECT * EXCLUDE (batch_id) FROM issues WHERE batch_id = ? ORDER BY ALL", [second.batch_id]).fetchall()
    assert (first.rows_accepted, first.rows_rejected) == (second.rows_accepted, second.rows_rejected) == (
        5100 - 153, 153)
    assert again == issues


# ------------------------------------------------------------------------------- what cannot be an export
def refused(store, name: str, data: bytes, monkeypatch=None, large_road: bool | None = None) -> str:
    """The message a file is refused with, after checking that nothing was stored."""
    from test_bad_inputs import snapshot

    if large_road is not None:
        monkeypatch.setattr(readers, "LARGE_TEXT_CHARS", 0 if large_road else 10**12)
    before = snapshot(store)
    with pytest.raises(readers.ReadError) as refusal:
        ingest.prepare(store, "issues", name, data)
    assert snapshot(store) == before
    return str(refusal.value)


def test_a_100k_column_csv_is_refused_with_its_size_and_the_limit(store):
    header = ",".join(f"Question {i}" for i in range(100_000))
    data = f"{header}\n{','.join('4' for _ in range(100_000))}\n".encode()
    assert refused(store, "wide.csv", data) == (
        "'wide.csv' has 100,000 columns (row 1), more than the 2,000 any export has, so nothing was read. Check "
        "that it is the right file and that one delimiter separates its columns, or export only the columns the "
        "programme needs.")


def test_the_command_line_refuses_a_100k_column_csv_and_stores_nothing(store, tmp_path):
    from test_bad_inputs import cli_refuses

    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + "x," * 99_999 + "x\n")
    assert cli_refuses(store, path, "issues") == (
        "wide.csv: 'wide.csv' has 100,000 columns (row 1), more than the 2,000 any export has, so nothing was read. "
        "Check that it is the right file and that one delimiter separates its columns, or export only the columns "
        "the programme needs.\n")


def test_2000_columns_are_read():
    data = (",".join(f"c{i}" for i in range(2_000)) + "\n" + ",".join("x" for _ in range(2_000)) + "\n").encode()
    assert readers.read_file("wide.csv", data).frame.shape == (1, 2_000)


def test_a_row_wider_than_the_limit_below_the_top_rows_is_refused_with_its_row(store):
    rows = ["Issue ID,Title,Raised date"] + [f"A-{i},x,2025-01-02" for i in range(80)] + ["A-99," + "x," * 2_001 + "x"]
    message = refused(store, "log.csv", "\n".join(rows).encode())
    assert message.startswith("'log.csv' has 2,003 columns (row 82), more than the 2,000 any export has")


@pytest.mark.parametrize("large_road", [True, False], ids=["large road", "general road"])
def test_a_cell_past_a_million_characters_is_refused_with_its_row(store, monkeypatch, large_road):
    data = ("Issue ID,Title,Raised date\nA-1,x,2025-01-02\nA-2," + "y" * (limits.MAX_CELL_CHARS + 1)
            + ",2025-01-03\n").encode()
    message = refused(store, "log.csv", data, monkeypatch, large_road)
    assert message == (
        "'log.csv' has a cell of more than 1,000,000 characters (by line 3), which no export tool writes (Excel "
        "stops at 32,767), so nothing was read. A quote that is opened and never closed makes the rest of a file "
        "one cell: check the quotes up to line 3, or shorten that cell, and export again.")


def test_a_cell_of_a_million_characters_is_read(monkeypatch):
    data = ("Issue ID,Title\nA-1," + "y" * limits.MAX_CELL_CHARS + "\n").encode()
    for threshold in (0, 10**12):
        monkeypatch.setattr(readers, "LARGE_TEXT_CHARS", threshold)
        assert len(readers.read_file("log.csv", data).frame.at[0, "Title"]) == limits.MAX_CELL_CHARS


def test_a_quote_never_closed_near_the_top_is_refused_not_read_as_one_cell(store):
    data = b'Issue ID,Title,Raised date\nA-1,"unclosed,2025-01-02\n' + b"A-2,x,2025-01-03\n" * 70_000
    assert "has a cell of more than 1,000,000 characters" in refused(store, "log.csv", data)


def test_a_line_past_the_limit_is_refused_before_the_file_is_decoded(store, monkeypatch):
    monkeypatch.setattr(readers, "_decode", lambda *a: pytest.fail("decoded a file with an overlong line"))
    data = b"Issue ID,Title\nA-1,x\nA-2," + b"z" * limits.MAX_LINE_BYTES + b"\n"
    assert refused(store, "log.csv", data) == (
        "Line 3 of 'log.csv' is 3.8 MB long, over the limit of 3.8 MB for one line, so the file is not an export "
        "that can be read as a table. Check that it is the right file (one without line breaks is not a table), "
        "or export it again.")
