"""The corpus of bad inputs: each case's message to the user, and the database before and after.

Static files live in tests/fixtures/bad/; large cases (oversized, 100k-character cells, a million
empty rows) are generated here. A refused file must leave every table's rows exactly as they
were; an accepted one (SQL-looking text, formula-looking text, mixed encodings) adds exactly one
batch and stores the text verbatim. Every case goes through ingest.prepare/commit (what the Data
page calls); a representative subset also goes through the command line in-process.
"""
import csv
import datetime as dt
import io
import pathlib
from pathlib import Path

import pytest

from pipelines import cli, ingest
from pipelines.ingest import preview, readers
from pipelines.ingest.contracts import MAX_ID_CHARS
from pipelines.present import exports
from pipelines.programme import bootstrap

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"
PARTNERS = b"Partner,Aliases\r\nKestrel Design,KDL\r\nHarbour Civils,\r\n"
ISSUES = (b"Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\r\n"
          b"I-1,Drawings late,Issue,Kestrel Design,Harbour Civils,2025-01-05,,High,Open,No\r\n")
HEADER = ISSUES.split(b"\r\n")[0] + b"\r\n"
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
SQL = "Robert'); DROP TABLE issues;--"


# ------------------------------------------------------------------------------- helpers
def snapshot(store) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: the database's content, independent of physical layout."""
    cursor = store.cursor()
    tables = [r[0] for r in cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return {t: sorted(cursor.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def added(before: dict, after: dict) -> dict[str, list[tuple]]:
    """Rows in ``after`` that were not in ``before``; fails if any row disappeared or changed."""
    out = {}
    for table, rows in after.items():
        old = before.get(table, [])
        if table != "mapping_memory":  # remembered mappings are replaced on purpose
            assert not set(old) - set(rows), f"{table}: rows changed or vanished"
        out[table] = sorted(set(rows) - set(old), key=repr)
    return out


def attempt(store, dataset: str, name: str, data: bytes, options=None) -> tuple[str, object]:
    """Upload ``data`` the way the Data page does; the text the user reads, and the load result."""
    try:
        preview = ingest.prepare(store, dataset, name, data, options)
    except ValueError as problem:  # ReadError is a ValueError
        return str(problem), None
    lines = list(preview.notes) + list(preview.questions)
    if preview.questions:
        return "\n".join(lines), None
    for row in preview.validation.failures.itertuples(index=False):
        lines.append(f"{name}: row {row.source_row}, column '{row.column}': {row.message} (value: {row.value!r})")
    try:
        result = ingest.commit(store, preview)
    except ingest.Refused as refused:
        lines.append(str(refused))
        return "\n".join(lines), None
    lines.append(result.message)
    return "\n".join(lines), result


def run_cli(store, *argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], store=store, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def has_all(text: str, *phrases: str) -> None:
    missing = [p for p in phrases if p not in text]
    assert not missing, f"missing {missing} in:\n{text}"


@pytest.fixture
def programme(store):
    """A programme with the default instrument, two partners and one issue log already loaded."""
    bootstrap.ensure_instrument(store)
    for dataset, name, data in (("partners", "partners.csv", PARTNERS), ("issues", "raid.csv", ISSUES)):
        preview = ingest.prepare(store, dataset, name, data)
        ingest.commit(store, preview)
    return store


# ------------------------------------------------------------------------------- refused: nothing changes
REFUSED = [
    # file, dataset, options, phrases the user reads (what, where, how to fix)
    ("empty.csv", "issues", None, ["The file is empty", "'empty.csv'", "0 bytes", "Export it again"]),
    ("header_only.csv", "issues", None, ["'header_only.csv'", "header row (row 1)", "no data rows",
                                         "Export again"]),
    ("binary.csv", "issues", None, ["'binary.csv' is not a text (CSV) file", "binary data",
                                    "export the data again from the tool as CSV"]),
    ("not_a_zip.xlsx", "issues", None, ["'not_a_zip.xlsx' is named .xlsx but is not an Excel workbook",
                                        "save it again as .xlsx, or export CSV"]),
    ("unmappable_columns.csv", "issues", None, ["Which column holds 'Issue id'?",
                                                "Which column holds 'Raised date'?",
                                                "None of the file's columns matched it"]),
    ("survey_out_of_scale.csv", "survey", None, [
        "row 2, column 'SG1': The answer is outside the question's scale", "(value: '9')",
        "row 2, column 'SG2'", "(value: '0')", "Use a value on the scale",
        "1 of 2 rows of survey_out_of_scale.csv are invalid, so nothing was loaded"]),
    ("survey_non_numeric.csv", "survey", None, [
        "row 2, column 'SG2': The answer is not a number or a scale label we know", "(value: 'lots')",
        "row 2, column 'PS1': The answer is not a whole scale point", "(value: '3.5')",
        "Use the scale's numbers or its labels", "nothing was loaded"]),
    ("duplicate_ids.csv", "issues", None, [
        "row 2, column 'Issue ID': This id appears more than once", "row 3, column 'Issue ID'",
        "ids must be unique", "2 of 2 rows of duplicate_ids.csv are invalid"]),
    ("resolved_before_raised.csv", "issues", None, [
        "row 2, column 'Resolved date': The issue is resolved before it was raised. Check both dates.",
        "(value: '2025-02-01')"]),
    ("future_dates.csv", "issues", None, [
        "row 2, column 'Raised date': The raised date is in the future. Check the year.",
        "(value: '2099-01-05')"]),
    ("unknown_partners.csv", "issues", ingest.Options(new_partners=set()), [
        "'Northwind Traders' is not a partner yet", "Confirm it as a new partner, or say which partner it is"]),
]


@pytest.mark.parametrize("name, dataset, options, phrases", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_files_say_why_and_change_nothing(programme, name, dataset, options, phrases):
    before = snapshot(programme)
    message, result = attempt(programme, dataset, name, (BAD / name).read_bytes(), options)
    assert result is None
    has_all(message, *phrases)
    assert snapshot(programme) == before


def test_an_issue_log_loaded_as_a_survey_is_named_for_what_it_is(programme):
    before = snapshot(programme)
    message, result = attempt(programme, "survey", "raid-as-survey.csv",
                              ISSUES.replace(b"I-1", b"I-2"))
    assert result is None
    has_all(message, "This file looks like an issue log", "'Issue ID'", "not a survey export",
            "choose the dataset 'issues' instead")
    assert snapshot(programme) == before


def test_a_survey_loaded_as_an_issue_log_is_named_for_what_it_is(programme):
    before = snapshot(programme)
    message, _ = attempt(programme, "issues", "pulse.csv", (BAD / "survey_out_of_scale.csv").read_bytes())
    has_all(message, "Which column holds 'Raised date'?", "looks like a survey export",
            "choose the dataset 'survey' instead")
    assert snapshot(programme) == before


def test_oversized_upload_is_refused_before_it_is_hashed_or_parsed(programme, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_UPLOAD_LIMIT_MB", "1")
    data = ISSUES + b"x" * (1024 * 1024)
    monkeypatch.setattr(preview.hashlib, "sha256", lambda *a: pytest.fail("hashed an oversized file"))
    monkeypatch.setattr(readers, "_read_text", lambda *a: pytest.fail("parsed an oversized file"))
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "huge.csv", data)
    assert result is None
    has_all(message, "'huge.csv' is 1.0 MB, over the upload limit of 1.0 MB", "Export fewer rows")
    assert snapshot(programme) == before


def test_oversized_file_on_the_command_line_is_refused_before_it_is_read(programme, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_UPLOAD_LIMIT_MB", "1")
    big = tmp_path / "huge.csv"
    with open(big, "wb") as handle:  # sparse: 3 MB on paper, nothing on disk
        handle.write(ISSUES)
        handle.truncate(3 * 1024 * 1024)
    read = pathlib.Path.read_bytes  # libraries imported on the way read their own files
    monkeypatch.setattr(pathlib.Path, "read_bytes",
                        lambda self: pytest.fail(f"read {self}") if self.name == big.name else read(self))
    before = snapshot(programme)
    code, out, err = run_cli(programme, "load", big, "--dataset", "issues")
    assert (code, out) == (1, "")
    has_all(err, "huge.csv is 3.0 MB, larger than the upload limit of 1 MB (PARTNERSHIP_UPLOAD_LIMIT_MB)",
            "nothing was loaded", "Export fewer rows")
    assert snapshot(programme) == before


def test_a_100k_character_id_or_partner_is_refused_with_its_row(programme):
    long = "x" * 100_000
    data = HEADER + (f"{long},Title,Issue,Kestrel Design,,2025-01-05,,High,Open,No\r\n"
                     f"I-5,Title,Issue,{long},,2025-01-05,,High,Open,No\r\n").encode()
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "long.csv", data)
    assert result is None
    has_all(message, f"row 2, column 'Issue ID': The issue id is longer than {MAX_ID_CHARS} characters",
            f"row 3, column 'Raised by': The raised-by partner is longer than {MAX_ID_CHARS} characters",
            "Put the organisation's name here")
    assert snapshot(programme) == before


def test_a_million_empty_rows_then_a_bad_row_names_its_real_row_number(programme):
    data = HEADER + b",,,,,,,,,\r\n" * 1_000_000 + b"I-6,x,Issue,Kestrel Design,,2099-01-01,,High,Open,No\r\n"
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "million.csv", data)
    assert result is None
    has_all(message, "row 1000002, column 'Raised date': The raised date is in the future")
    assert snapshot(programme) == before


def test_a_million_empty_rows_and_nothing_else_is_a_header_only_file(programme):
    before = snapshot(programme)
    message, _ = attempt(programme, "issues", "blank.csv", HEADER + b",,,,,,,,,\r\n" * 1_000_000)
    has_all(message, "'blank.csv' has a header row (row 1) but no data rows below it")
    assert snapshot(programme) == before


# ------------------------------------------------------------------------------- accepted: verbatim text
def _one_batch_added(before, after, result) -> dict:
    new = added(before, after)
    assert [r[0] for r in new["batches"]] == [result.batch_id]
    for table in ("issues", "survey_responses", "milestones", "instrument_items"):
        batch_col = 10 if table == "issues" else None
        if new[table] and batch_col is not None:
            assert {r[batch_col] for r in new[table]} == {result.batch_id}
    return new


def test_sql_looking_text_is_stored_verbatim_as_text(programme):
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "sql_text.csv", (BAD / "sql_text.csv").read_bytes())
    assert result is not None, message
    new = _one_batch_added(before, snapshot(programme), result)
    assert "new partners: Robert'); DROP TABLE partners;--" in message
    cursor = programme.cursor()
    assert cursor.execute("SELECT issue_id, title FROM issues WHERE current AND issue_id <> 'I-1' "
                          "ORDER BY issue_id").fetchall() == [
        ("S-1", SQL), ("x' OR '1'='1", "1; DELETE FROM batches; --")]
    assert [r[1] for r in new["partners"]] == ["Robert'); DROP TABLE partners;--"]
    assert cursor.execute("SELECT count(*) FROM batches").fetchone()[0] == len(before["batches"]) + 1


def test_formula_looking_text_is_stored_as_text_and_neutralised_in_every_csv(programme):
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "formula_text.csv", (BAD / "formula_text.csv").read_bytes())
    assert result is not None, message
    _one_batch_added(before, snapshot(programme), result)
    frame = programme.cursor().execute(
        "SELECT issue_id, title FROM issues WHERE issue_id LIKE 'F-%' ORDER BY issue_id").df()
    assert list(frame["title"]) == FORMULAS  # stored exactly as typed
    rows = list(csv.reader(io.StringIO(exports.to_csv_bytes(frame).decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert_no_formula_cells(rows)


def assert_no_formula_cells(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_cli_rejected_output_neutralises_formula_values(programme, tmp_path):
    path = tmp_path / "formula-severity.csv"
    path.write_bytes(HEADER + b"F-9,ok,Issue,Kestrel Design,,2025-01-05,,=1+1,Open,No\r\n"
                     b"F-10,ok,Issue,Kestrel Design,,2025-01-05,,@SUM(A1),Open,No\r\n"
                     b"F-11,ok,Issue,Kestrel Design,,2025-01-05,,Low,Open,No\r\n")
    code, out, err = run_cli(programme, "load", path, "--dataset", "issues", "--accept-valid")
    assert code == 0, err
    batch = int(out.split("as batch ")[1].split(";")[0].rstrip("."))
    code, out, err = run_cli(programme, "rejected", batch)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert {r[3] for r in rows[1:]} == {"'=1+1", "'@SUM(A1)"}
    assert_no_formula_cells(rows)


def test_cli_scores_output_neutralises_a_formula_partner_name(programme, tmp_path):
    items = [r[0] for r in programme.cursor().execute(
        "SELECT item_id FROM instrument_items WHERE current ORDER BY item_id").fetchall()]
    lines = ["Respondent ID,Organisation,Wave," + ",".join(items)]
    for partner in (FORMULAS[0], "Kestrel Design", "Harbour Civils"):
        for r in range(6):
            name = partner.replace('"', '""')
            lines.append(f'{partner[:3]}-{r},"{name}",2025-Q1,' + ",".join(str(1 + (r + i) % 5) for i in range(len(items))))
    path = tmp_path / "pulse.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    code, out, err = run_cli(programme, "load", path, "--dataset", "survey")
    assert code == 0, err
    code, out, err = run_cli(programme, "scores")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert any("'" + FORMULAS[0] in row for row in rows), out[:500]
    assert_no_formula_cells(rows)


def test_extremely_long_free_text_is_stored_whole(programme):
    long = "Long description. " * 5556  # 100k characters
    data = HEADER + f'L-1,"{long}",Issue,Kestrel Design,,2025-01-05,,High,Open,No\r\n'.encode()
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "long-title.csv", data)
    assert result is not None, message
    _one_batch_added(before, snapshot(programme), result)
    stored = programme.cursor().execute("SELECT title FROM issues WHERE issue_id = 'L-1'").fetchone()[0]
    assert stored == long.strip() and len(stored) > 99_000


def test_a_million_empty_rows_around_one_row_load_just_that_row(programme):
    data = HEADER + b",,,,,,,,,\r\n" * 1_000_000 + b"M-1,x,Issue,Kestrel Design,,2025-01-05,,High,Open,No\r\n"
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "million.csv", data)
    assert result is not None and (result.rows_in, result.rows_accepted) == (1, 1), message
    new = _one_batch_added(before, snapshot(programme), result)
    assert [r[0] for r in new["issues"]] == ["M-1"]


def test_mixed_encodings_load_with_a_note_naming_the_row(programme):
    before = snapshot(programme)
    message, result = attempt(programme, "issues", "mixed_encodings.csv",
                              (BAD / "mixed_encodings.csv").read_bytes())
    assert result is not None, message
    has_all(message, "Row 3 was not valid UTF-8 like the rest of the file: read as cp1252 (Windows)",
            "Check accented letters")
    _one_batch_added(before, snapshot(programme), result)
    assert programme.cursor().execute("SELECT issue_id, title FROM issues WHERE issue_id LIKE 'E-%' "
                                      "ORDER BY 1").fetchall() == [("E-1", "Café drawings"),
                                                                   ("E-2", "Façade £5k over")]
    notes = programme.cursor().execute("SELECT read_notes FROM batches WHERE batch_id = ?",
                                       [result.batch_id]).fetchone()[0]
    assert "Row 3" in notes


# ------------------------------------------------------------------------------- the command line
CLI_REFUSED = [
    ("empty.csv", "issues", 1, ["empty.csv: The file is empty", "0 bytes"]),
    ("binary.csv", "issues", 1, ["binary.csv: 'binary.csv' is not a text (CSV) file"]),
    ("not_a_zip.xlsx", "issues", 1, ["is named .xlsx but is not an Excel workbook"]),
    ("duplicate_ids.csv", "issues", 1, ["duplicate_ids.csv: row 2, column 'Issue ID': This id appears more "
                                        "than once", "nothing was loaded", "Use --accept-valid"]),
    ("future_dates.csv", "issues", 1, ["future_dates.csv: row 2, column 'Raised date': The raised date is in "
                                       "the future. Check the year. (value: '2099-01-05')"]),
    ("survey_out_of_scale.csv", "survey", 1, ["row 2, column 'SG1': The answer is outside the question's scale"]),
    ("unmappable_columns.csv", "issues", 2, ["Not loaded: these fields need a decision: issue_id",
                                             "--mapping"]),
]


@pytest.mark.parametrize("name, dataset, code, phrases", CLI_REFUSED, ids=[c[0] for c in CLI_REFUSED])
def test_cli_refuses_bad_files_with_the_same_words_and_changes_nothing(programme, tmp_path, name, dataset,
                                                                       code, phrases):
    copy = tmp_path / name
    copy.write_bytes((BAD / name).read_bytes())
    before = snapshot(programme)
    got, out, err = run_cli(programme, "load", copy, "--dataset", dataset,
                            "--write-mapping", tmp_path / "mapping.json")
    assert (got, out) == (code, "")
    has_all(err, *phrases)
    assert snapshot(programme) == before


def test_cli_names_an_issue_log_loaded_as_a_survey(programme, tmp_path):
    path = tmp_path / "raid.csv"
    path.write_bytes(ISSUES.replace(b"I-1", b"I-3"))
    before = snapshot(programme)
    code, out, err = run_cli(programme, "load", path, "--dataset", "survey",
                             "--write-mapping", tmp_path / "m.json")
    assert code == 2
    has_all(err, "This file looks like an issue log", "choose the dataset 'issues' instead")
    assert snapshot(programme) == before


def test_cli_shortens_a_100k_character_value_in_its_report(programme, tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(HEADER + ("y" * 100_000 + ",t,Issue,Kestrel Design,,2025-01-05,,High,Open,No\r\n").encode())
    before = snapshot(programme)
    code, out, err = run_cli(programme, "load", path, "--dataset", "issues")
    assert code == 1
    has_all(err, "long.csv: row 2, column 'Issue ID': The issue id is longer than", "(100000 characters)")
    assert len(err) < 2000
    assert snapshot(programme) == before


def test_cli_loads_sql_looking_text_verbatim(programme, tmp_path):
    path = tmp_path / "sql.csv"
    path.write_bytes((BAD / "sql_text.csv").read_bytes())
    code, out, err = run_cli(programme, "load", path, "--dataset", "issues")
    assert code == 0, err
    assert programme.cursor().execute("SELECT title FROM issues WHERE issue_id = 'S-1'").fetchone()[0] == SQL
    assert programme.cursor().execute("SELECT count(*) FROM issues WHERE issue_id = 'I-1'").fetchone()[0] == 1


def cli_refuses(store, path, dataset: str) -> str:
    """What `load` prints to stderr, after checking that it exits 1, prints nothing else and stores nothing."""
    before = snapshot(store)
    code, out, err = run_cli(store, "load", path, "--dataset", dataset)
    assert (code, out) == (1, ""), err
    assert "Traceback" not in err
    assert snapshot(store) == before
    return err


def test_cli_reports_a_blank_and_a_future_raised_date_row_by_row(programme, tmp_path):
    path = tmp_path / "blank-dates.csv"
    path.write_bytes(HEADER + b"B-1,x,Issue,Kestrel Design,,,,High,Open,No\r\n"
                     b"B-2,y,Issue,Kestrel Design,,2099-01-05,,High,Open,No\r\n")
    err = cli_refuses(programme, path, "issues")
    has_all(err, "blank-dates.csv: row 2, column 'Raised date': Every issue needs the date it was raised.\n",
            "blank-dates.csv: row 3, column 'Raised date': The raised date is in the future. Check the year. "
            "(value: '2099-01-05')", "2 of 2 rows of blank-dates.csv are invalid")


# ------------------------------------------------------------------------------- never a silent default
def in_days(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def test_an_escalated_value_we_do_not_know_is_a_row_error_not_not_escalated(programme, tmp_path):
    path = tmp_path / "maybe.csv"
    path.write_text("Issue ID,Title,Raised by,Raised date,Resolved date,Escalated\n"
                    "I-3,x,Kestrel Design,2025-01-01,,maybe\n")
    err = cli_refuses(programme, path, "issues")
    has_all(err, "maybe.csv: row 2, column 'Escalated': Escalated must be Yes or No (or Y/N, True/False, 1/0, or ServiceNow's Normal, Moderate, High, Overdue). "
                 "(value: 'maybe')")


def test_a_resolved_date_past_the_tolerance_is_a_row_error(programme, tmp_path):
    path = tmp_path / "resolved.csv"
    path.write_text("Issue ID,Title,Raised by,Raised date,Resolved date,Escalated\n"
                    f"I-4,x,Kestrel Design,2025-01-01,{in_days(31)},No\n"
                    f"I-5,x,Kestrel Design,2025-01-01,{in_days(40)},No\n")
    err = cli_refuses(programme, path, "issues")
    has_all(err, "resolved.csv: row 3, column 'Resolved date': The resolved date is in the future: an issue cannot "
                 f"be resolved yet. Check the year, or leave it blank while the issue is open. (value: '{in_days(40)}')",
            "1 of 2 rows of resolved.csv are invalid")
    assert "row 2" not in err


def test_a_milestone_may_be_planned_and_forecast_past_the_tolerance_but_not_achieved(programme, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("Milestone ID,Title,Owner,Baseline Date,Forecast Date,Actual Date\n"
                    f"M-1,Handover,Kestrel Design,{in_days(400)},{in_days(430)},\n"
                    f"M-2,Design freeze,Kestrel Design,2025-03-01,2025-03-05,{in_days(40)}\n")
    code, out, err = run_cli(programme, "load", path, "--dataset", "milestones", "--accept-valid")
    assert code == 0, err
    has_all(err, "plan.csv: row 3, column 'Actual Date': The actual date is in the future: a milestone cannot be "
                 f"achieved yet. Put future dates in the forecast column. (value: '{in_days(40)}')")
    assert "row 2" not in err
    assert programme.cursor().execute("SELECT milestone_id FROM milestones").fetchall() == [("M-1",)]


def test_a_survey_wave_that_begins_in_the_future_is_a_row_error(programme, tmp_path):
    items = [r[0] for r in programme.cursor().execute(
        "SELECT item_id FROM instrument_items WHERE current ORDER BY item_id").fetchall()]
    path = tmp_path / "pulse.csv"
    path.write_text("Respondent ID,Organisation,Wave," + ",".join(items) + "\n"
                    + "".join(f"R{r},Kestrel Design,{wave}," + ",".join("4" for _ in items) + "\n"
                              for r, wave in enumerate(["2025-Q1", "2099-Q1"])))
    err = cli_refuses(programme, path, "survey")
    has_all(err, "pulse.csv: row 3, column 'Wave': The wave begins in the future, so no one can have answered it "
                 "yet. Check the wave's year. (value: '2099-Q1')", "1 of 2 rows of pulse.csv are invalid")
