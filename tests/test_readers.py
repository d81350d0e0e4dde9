"""pipelines.ingest.readers: raw export bytes -> RawTable of strings.

Fixtures in tests/fixtures/exports/ are small synthetic files in the shapes the tools export
(regenerate with tests/fixtures/exports/make_fixtures.py).
"""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines.ingest.readers import RawTable, ReadError, read_file

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def read(name: str, **kw) -> RawTable:
    return read_file(name, (EXPORTS / name).read_bytes(), **kw)


def assert_all_str_or_none(t: RawTable) -> None:
    assert list(t.frame.index) == list(range(len(t.frame)))
    for col in t.frame.columns:
        assert t.frame[col].dtype == object
        assert all(v is None or type(v) is str for v in t.frame[col].tolist()), col
    assert len(t.source_rows) == len(t.frame)


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------------ survey tool shapes
def test_qualtrics_three_header_rows():
    t = read("qualtrics_pulse.csv")
    assert_all_str_or_none(t)
    assert (t.source_format, t.header_rows, t.encoding, t.delimiter) == (
        "qualtrics", 3, "utf-8-sig", ",")
    assert list(t.frame.columns)[:3] == ["StartDate", "EndDate", "Status"]
    assert list(t.frame.columns)[-5:] == ["Q1", "Q2_1", "Q2_2", "Q2_3", "Q3"]
    assert "ResponseId" in t.frame.columns
    assert t.source_rows == [4, 5, 6]
    first = t.frame.iloc[0]
    assert first["ResponseId"] == "R_1a2B3c4D5e6F7g8"
    assert first["Q1"] == "Northgate Housing"
    assert first["Q2_1"] == "Agree"
    assert first["RecipientEmail"] is None
    # embedded newline and doubled quotes inside a quoted field
    assert t.frame.iloc[1]["Q3"] == 'Two points:\nfirst, the "shared" budget; second, reporting.'
    assert t.frame.iloc[2]["Q3"] is None
    assert t.question_text["Q2_1"] == (
        "How strongly do you agree? - We agreed the programme goals together")
    assert t.question_text["ResponseId"] == "Response ID"
    assert t.notes == ["Read as a Qualtrics export: 3 header rows (column ids, question text, "
                       "import ids); data starts on row 4."]


def test_surveymonkey_csv_two_header_rows_and_matrix_names():
    t = read("surveymonkey_pulse.csv")
    assert_all_str_or_none(t)
    assert (t.source_format, t.header_rows, t.encoding, t.delimiter) == (
        "surveymonkey", 2, "utf-8", ",")
    m = "How strongly do you agree with each statement?"
    assert list(t.frame.columns) == [
        "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
        "Email Address", "First Name", "Last Name", "Custom Data 1",
        "Which organisation do you work for?",
        f"{m} - We agreed the programme goals together", f"{m} - Decisions are made jointly",
        f"{m} - I can raise problems without blame", "Any other comments?"]
    assert t.source_rows == [3, 4, 5]
    assert t.frame.iloc[0]["Respondent ID"] == "118234567890"  # stays a string, no float
    assert t.frame.iloc[0][f"{m} - Decisions are made jointly"] == "Strongly agree"
    assert t.frame.iloc[2]["Any other comments?"] == "Café meetings helped"
    assert t.question_text == {
        "Which organisation do you work for?": "Which organisation do you work for?",
        f"{m} - We agreed the programme goals together":
            f"{m} - We agreed the programme goals together",
        f"{m} - Decisions are made jointly": f"{m} - Decisions are made jointly",
        f"{m} - I can raise problems without blame": f"{m} - I can raise problems without blame",
        "Any other comments?": "Any other comments?"}
    assert t.notes == ["Read as a SurveyMonkey export: 2 header rows (questions, then answer "
                       "options or statements); data starts on row 3."]


def test_surveymonkey_xlsx_same_as_csv():
    x = read("surveymonkey_pulse.xlsx")
    c = read("surveymonkey_pulse.csv")
    assert (x.source_format, x.header_rows, x.encoding, x.delimiter, x.sheet, x.sheets) == (
        "surveymonkey", 2, None, None, "Sheet", ["Sheet"])
    assert list(x.frame.columns) == list(c.frame.columns)
    assert x.frame.values.tolist() == c.frame.values.tolist()
    assert x.source_rows == [3, 4, 5]


def test_google_forms_csv():
    t = read("google_forms_pulse.csv")
    assert_all_str_or_none(t)
    assert list(t.frame.columns) == [
        "Timestamp", "Email Address", "Which organisation do you work for?",
        "We agreed the programme goals together", "Decisions are made jointly",
        "What one thing would improve the partnership?"]
    assert t.frame.iloc[0].tolist() == ["2025/08/14 9:01:12 AM GMT+1", "a.person@example.org",
                                        "Northgate Housing", "4", "5", "Clearer roles"]
    assert t.frame.iloc[1, 5] == "Shared data, agreed, and on time"
    assert t.frame.iloc[2].tolist()[1] is None
    assert (t.source_rows, t.header_rows, t.source_format, t.encoding) == (
        [2, 3, 4], 1, "plain", "utf-8")
    assert t.notes == []


def test_ms_forms_xlsx_cells_become_strings():
    t = read("ms_forms_pulse.xlsx")
    assert_all_str_or_none(t)
    assert (t.sheet, t.sheets, t.encoding, t.delimiter) == ("Sheet1", ["Sheet1"], None, None)
    assert list(t.frame.columns)[:5] == ["ID", "Start time", "Completion time", "Email", "Name"]
    assert t.frame.iloc[0].tolist() == [
        "1", "2025-08-14 09:01:12", "2025-08-14 09:05:40", "anonymous", None,
        "Northgate Housing", "Agree", "Strongly agree", "7"]
    assert t.frame.iloc[1]["How confident are you in the partnership (0-10)?"] == "4.5"
    assert t.source_rows == [2, 3, 4]
    assert t.notes == []


# ------------------------------------------------------------------- delivery / issue shapes
def test_jira_duplicate_columns_renamed_with_note():
    t = read("jira_issues.csv")
    assert_all_str_or_none(t)
    cols = list(t.frame.columns)
    assert cols[10:17] == ["Labels", "Labels (2)", "Labels (3)", "Sprint", "Sprint (2)",
                           "Watchers", "Watchers (2)"]
    assert t.frame.iloc[0][["Issue key", "Labels", "Labels (2)", "Labels (3)"]].tolist() == [
        "PH-101", "governance", "data", None]
    assert t.frame.iloc[0]["Description"] == (
        "The DSA is with legal.\nNo date yet, so the pilot is blocked.")
    assert t.frame.iloc[0]["Custom field (Raised by partner)"] == "Northgate Housing"
    assert t.source_rows == [2, 3, 4]
    assert t.notes == [
        "Column 'Labels' appears 3 times: read as 'Labels', 'Labels (2)', 'Labels (3)'.",
        "Column 'Sprint' appears 2 times: read as 'Sprint', 'Sprint (2)'.",
        "Column 'Watchers' appears 2 times: read as 'Watchers', 'Watchers (2)'."]


def test_ms_project_cp1252_dates_stay_text():
    t = read("ms_project_milestones.csv")
    assert_all_str_or_none(t)
    assert (t.encoding, t.delimiter) == ("cp1252", ",")
    assert list(t.frame.columns) == ["ID", "Name", "Duration", "Start", "Finish",
                                     "Baseline Finish", "Actual Finish", "Resource Names",
                                     "% Complete"]
    assert t.frame.iloc[0].tolist() == [
        "1", "Mobilisation complete", "0 days", "Thu 14/08/25", "Thu 14/08/25", "Fri 08/08/25",
        "Thu 14/08/25", "Northgate Housing", "100%"]
    assert t.frame.iloc[2]["Name"] == "Évaluation framework agreed"
    assert t.notes == ["Read as cp1252 (Windows Excel CSV)."]


def test_smartsheet_xlsx_dates_numbers_bools():
    t = read("smartsheet_plan.xlsx")
    assert_all_str_or_none(t)
    assert t.sheet == "Programme Alpha Plan"
    assert list(t.frame.columns) == ["Row ID", "Task Name", "Owner", "Start Date", "End Date",
                                     "Baseline Finish", "% Complete", "Status", "At Risk",
                                     "Comments"]
    assert t.frame.iloc[1].tolist() == [
        "2", "Data sharing agreement signed", "Northgate Housing", "2025-05-01", "2025-06-30",
        "2025-06-15", "1", "Complete", "FALSE", None]
    assert t.frame.iloc[0]["% Complete"] == "0.45"
    assert t.frame.iloc[2]["At Risk"] == "TRUE"
    assert t.source_rows == [2, 3, 4]


def test_raid_log_windows_csv_title_rows_blank_rows_and_unnamed_column():
    t = read("raid_log_windows.csv")
    assert_all_str_or_none(t)
    assert (t.encoding, t.delimiter, t.header_rows) == ("cp1252", ",", 1)
    assert list(t.frame.columns) == ["Ref", "Type", "Description", "Raised by", "Owner",
                                     "Date raised", "Column 7", "Status", "Severity",
                                     "Escalated?"]
    assert t.source_rows == [5, 6, 8]  # row 7 is blank; trailing blank rows dropped
    assert t.frame.iloc[0]["Description"] == "Budget shortfall of £40k in year 2"
    assert t.frame.iloc[1]["Description"] == "Partner’s data not received"
    assert t.frame.iloc[1]["Column 7"] == "see minutes"
    assert t.frame.iloc[2]["Description"] == "Café venue booking, café staff"
    assert t.notes == [
        "Read as cp1252 (Windows Excel CSV).",
        "Skipped 2 title rows above the header; the header is row 4.",
        "Left out 1 blank row between the data rows.",
        "1 column has no header: read as 'Column 7'."]


def test_raid_log_semicolon_utf8_bom():
    t = read("raid_log_semicolon.csv")
    assert (t.encoding, t.delimiter) == ("utf-8-sig", ";")
    assert list(t.frame.columns) == ["Ref", "Type", "Description", "Raised by", "Date raised",
                                     "Cost impact (€k)", "Status"]
    assert t.frame.iloc[0].tolist() == ["R-010", "Risk", "Staff turnover; two leads leaving",
                                        "Eastfield Council", "12.05.2025", "12,5", "Open"]
    assert t.frame.iloc[1]["Description"] == "Venue, parking and access"
    assert t.notes == ["Columns are separated by semicolons (detected; choose another delimiter if the "
                       "columns look wrong)."]


def test_raid_log_xlsx_picks_table_sheet_and_skips_title():
    t = read("raid_log.xlsx")
    assert_all_str_or_none(t)
    assert t.sheets == ["Read me", "RAID log", "Lookups"]
    assert t.sheet == "RAID log"
    assert list(t.frame.columns) == ["Ref", "Type", "Description", "Raised by", "Owner",
                                     "Date raised", "Date closed", "Severity", "Score"]
    assert t.source_rows == [5, 6, 7]
    assert t.frame.iloc[1].tolist() == [
        "I-002", "Issue", "Data not received", "Riverside Health Trust", "Eastfield Council",
        "2025-03-17", "2025-04-02 14:30:00", "Medium", "6.5"]
    assert t.notes == [
        "Read sheet 'RAID log' (it looks most like a table); the workbook has 3 sheets: "
        "'Read me', 'RAID log', 'Lookups'. Choose another sheet if this is not the data.",
        "Skipped 2 title rows above the header; the header is row 4."]


def test_xlsx_sheet_by_name_and_unknown_sheet():
    t = read("raid_log.xlsx", sheet="Lookups")
    assert t.sheet == "Lookups"
    assert list(t.frame.columns) == ["Severity", "Score"]
    assert t.frame.values.tolist() == [["Low", "1"]]
    assert t.notes == []
    assert read("raid_log.xlsx", sheet=" raid LOG ").sheet == "RAID log"
    with pytest.raises(ReadError) as e:
        read("raid_log.xlsx", sheet="Risks")
    assert str(e.value) == ("'raid_log.xlsx' has no sheet named 'Risks'. Its sheets are: "
                            "'Read me', 'RAID log', 'Lookups'. Choose one of those.")


# ------------------------------------------------------------------------------ encodings
def test_utf16_unicode_text_tab_delimited():
    t = read("milestones_unicode.txt")
    assert (t.encoding, t.delimiter) == ("utf-16", "\t")
    assert list(t.frame.columns) == ["Milestone ID", "Milestone", "Owner", "Baseline Date",
                                     "Forecast Date", "Actual Date", "Status"]
    assert t.frame.iloc[1].tolist() == [
        "M2", "Joint triage hub – go-live", "Riverside Health Trust; Eastfield Council",
        "01/09/2025", "15/09/2025", None, "At risk"]
    assert t.source_rows == [2, 3]
    assert t.notes == ["Read as UTF-16 (Excel 'Unicode text').", "Columns are separated by tabs (detected; "
                       "choose another delimiter if the columns look wrong)."]


def test_utf16_big_endian_with_bom():
    data = "Ref\tTitle\r\nR1\tÉtude\r\n".encode("utf-16-be")
    t = read_file("x.txt", b"\xfe\xff" + data)
    assert (t.encoding, t.delimiter) == ("utf-16", "\t")
    assert t.frame.values.tolist() == [["R1", "Étude"]]


def test_utf8_with_and_without_bom():
    body = "Partner,Comment\nNorthgate,Réunion – ok\n".encode("utf-8")
    a = read_file("a.csv", body)
    b = read_file("b.csv", b"\xef\xbb\xbf" + body)
    assert (a.encoding, b.encoding) == ("utf-8", "utf-8-sig")
    assert list(b.frame.columns) == ["Partner", "Comment"]  # no BOM in the first name
    assert a.frame.values.tolist() == b.frame.values.tolist() == [["Northgate", "Réunion – ok"]]


def test_latin1_when_not_cp1252():
    # 0x81 is undefined in cp1252: fall back to Latin-1
    t = read_file("x.csv", b"A,B\r\nx\x81,caf\xe9\r\n")
    assert t.encoding == "latin-1"
    assert t.frame.values.tolist() == [["x\x81", "café"]]
    assert t.notes == ["Read as Latin-1 (ISO-8859-1)."]


def test_mixed_encoding_repaired_line_by_line():
    t = read("mixed_encoding.csv")
    assert t.encoding == "utf-8"
    assert t.frame["Comment"].tolist() == ["Réunion went well", "Café budget £5k",
                                           "“Quoted” text", "Partner’s view"]
    assert t.source_rows == [2, 3, 4, 5]
    assert t.notes == ["Rows 3, 5 were not valid UTF-8 like the rest of the file: read as cp1252 "
                       "(Windows). Check accented letters and symbols there."]


def test_mixed_encoding_row_numbers_count_records_not_lines():
    data = ('Ref,Note\n1,"two\nlines é"\n'.encode("utf-8") + b"2,caf\xe9\n")
    t = read_file("x.csv", data)
    assert t.source_rows == [2, 3]
    assert t.frame["Note"].tolist() == ["two\nlines é", "café"]
    assert t.notes[0].startswith("Row 3 was not valid UTF-8")


# ----------------------------------------------------------------------------- delimiters
@pytest.mark.parametrize("d", [",", ";", "\t", "|"])
def test_delimiter_sniffed_with_quoted_delimiters_and_newlines(d):
    text = (f'Ref{d}Title{d}Owner\r\n'
            f'R1{d}"Plan, budget; review | sign-off"{d}Northgate\r\n'
            f'R2{d}"Line one\r\nline two"{d}Riverside\r\n'
            f'R3{d}Simple{d}Eastfield\r\n')
    t = read_file("x.csv", text.encode("utf-8"))
    assert t.delimiter == d
    assert list(t.frame.columns) == ["Ref", "Title", "Owner"]
    assert t.frame["Title"].tolist() == ["Plan, budget; review | sign-off",
                                         "Line one\r\nline two", "Simple"]
    assert t.source_rows == [2, 3, 4]


def test_semicolon_with_decimal_commas_not_taken_for_comma():
    text = "Ref;Score;Cost\nA;3,5;1,25\nB;4;2,5\nC;2,75;0\n"
    t = read_file("x.csv", text.encode("utf-8"))
    assert t.delimiter == ";"
    assert t.frame.values.tolist() == [["A", "3,5", "1,25"], ["B", "4", "2,5"], ["C", "2,75", "0"]]


def test_excel_sep_hint_line():
    t = read_file("x.csv", b"sep=;\r\nA;B\r\n1,5;2\r\n")
    assert t.delimiter == ";"
    assert list(t.frame.columns) == ["A", "B"]
    assert t.source_rows == [3]
    assert t.notes[0].startswith("The first line 'sep=;'")


def test_single_column_file():
    t = read_file("partners.csv", b"Partner\nNorthgate Housing\nEastfield Council\n")
    assert list(t.frame.columns) == ["Partner"]
    assert t.frame["Partner"].tolist() == ["Northgate Housing", "Eastfield Council"]


def test_ragged_rows_padded_and_extra_cells_named():
    t = read_file("x.csv", b"A,B,C\n1,2\n3,4,5,6\n")
    assert list(t.frame.columns) == ["A", "B", "C", "Column 4"]
    assert t.frame.values.tolist() == [["1", "2", None, None], ["3", "4", "5", "6"]]
    assert "1 column has no header: read as 'Column 4'." in t.notes


def test_whitespace_cells_are_none_and_headers_normalised():
    t = read_file("x.csv", b'" Baseline\n Finish ",B\n"  ",x\n')
    assert list(t.frame.columns) == ["Baseline Finish", "B"]
    assert t.frame.values.tolist() == [[None, "x"]]


def test_duplicate_generated_name_does_not_collide():
    t = read_file("x.csv", b"Labels,Labels (2),Labels\na,b,c\n")
    assert list(t.frame.columns) == ["Labels", "Labels (2)", "Labels (3)"]


def test_empty_middle_column_without_header_dropped():
    t = read_file("x.csv", b"A,,B\n1,,2\n3,,4\n")
    assert list(t.frame.columns) == ["A", "B"]
    assert t.notes == ["Left out 1 column with no header and no data (column 2)."]


# ------------------------------------------------------------------------------- errors
def test_empty_file():
    with pytest.raises(ReadError, match="The file is empty"):
        read_file("x.csv", b"")
    with pytest.raises(ReadError, match="The file is empty"):
        read_file("x.csv", b"\r\n,,,\r\n\r\n")


def test_header_only():
    with pytest.raises(ReadError) as e:
        read_file("responses.csv", b"A,B,C\r\n")
    assert str(e.value).startswith("'responses.csv' has a header row (row 1) but no data rows")
    with pytest.raises(ReadError, match="no data rows"):
        read_file("q.csv", (EXPORTS / "qualtrics_pulse.csv").read_bytes().split(b"\r\n2025")[0])


def test_max_bytes_refused_before_parsing():
    with pytest.raises(ReadError) as e:
        read_file("big.csv", b"\x00" * 3000, max_bytes=2048)
    assert str(e.value).startswith("'big.csv' is 3 KB, over the upload limit of 2 KB.")


def test_old_xls_refused():
    with pytest.raises(ReadError, match=r"save it as 'Excel Workbook \(\.xlsx\)' or 'CSV UTF-8'"):
        read_file("log.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(ReadError, match=r"\.xls file, the old Excel format"):
        read_file("log.xls", b"<html><table></table></html>")


def test_xlsx_that_is_not_a_zip():
    with pytest.raises(ReadError, match="not an Excel workbook"):
        read_file("plan.xlsx", b"Ref,Title\nR1,x\n")
    with pytest.raises(ReadError, match="could not be opened as an Excel workbook"):
        read_file("plan.xlsx", b"PK\x03\x04 truncated")


def test_binary_file_named_csv():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(ReadError, match="not a text \\(CSV\\) file"):
        read_file("responses.csv", png)


def test_workbook_named_csv_read_as_xlsx():
    data = (EXPORTS / "smartsheet_plan.xlsx").read_bytes()
    t = read_file("plan.csv", data)
    assert t.sheet == "Programme Alpha Plan"
    assert t.notes[0] == "'plan.csv' is an Excel workbook despite its name: read it as .xlsx."


def test_xlsx_header_only_and_blank_sheet():
    with pytest.raises(ReadError, match="no data rows"):
        read_file("x.xlsx", xlsx_bytes({"S": [["A", "B"]]}))
    with pytest.raises(ReadError, match="The file is empty"):
        read_file("x.xlsx", xlsx_bytes({"S": []}))


def test_xlsx_cell_values():
    import datetime as dt
    rows = [["Int", "Float", "Big", "Date", "DateTime", "Bool", "Text"],
            [12, 2.5, 1e20, dt.date(2025, 8, 14), dt.datetime(2025, 8, 14, 9, 30, 5), True, "  "],
            [12.0, 0.1, -3, dt.datetime(2025, 1, 2), dt.datetime(2025, 1, 2, 0, 0, 1), False, "x"]]
    t = read_file("x.xlsx", xlsx_bytes({"S": rows}))
    assert t.frame.values.tolist() == [
        ["12", "2.5", "1e+20", "2025-08-14", "2025-08-14 09:30:05", "TRUE", None],
        ["12", "0.1", "-3", "2025-01-02", "2025-01-02 00:00:01", "FALSE", "x"]]


def test_xlsx_wrong_stored_dimension_still_reads_all_cells():
    data = xlsx_bytes({"S": [["A", "B", "C"], ["1", "2", "3"], ["4", "5", "6"]]})
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                body = body.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:A1"/>')
            dst.writestr(item, body)
    t = read_file("x.xlsx", out.getvalue())
    assert t.frame.values.tolist() == [["1", "2", "3"], ["4", "5", "6"]]


# ---------------------------------------------------------------------------- large files
# Speed is measured in benchmarks/, not asserted here: these check large inputs read right.
def test_five_million_cells_read_whole():
    cols = 50
    header = ",".join(f"Question {i}" for i in range(cols))
    line = ",".join(f"answer {i}" if i % 4 else "" for i in range(cols))
    data = (header + "\r\n" + "\r\n".join([line] * 100_000) + "\r\n").encode("utf-8")
    t = read_file("big.csv", data)
    assert t.frame.shape == (100_000, 50)
    assert t.frame.iloc[-1, 1] == "answer 1" and pd.isna(t.frame.iloc[-1, 0])
    assert t.source_rows[-1] == 100_001
    assert str(t.frame.dtypes.iloc[0]) == "str"  # read by DuckDB: no Python string per cell


def test_a_million_blank_rows_are_dropped():
    data = b"A,B,C\n1,2,3\n\n,,\n4,5,6\n" + b",,\r\n" * 1_000_000
    t = read_file("x.csv", data)
    assert t.frame.values.tolist() == [["1", "2", "3"], ["4", "5", "6"]]
    assert t.source_rows == [2, 5]
    assert t.notes == ["Left out 2 blank rows between the data rows."]


def test_qualtrics_xlsx_detected_like_csv():
    import csv as _csv
    rows = list(_csv.reader(io.StringIO(
        (EXPORTS / "qualtrics_pulse.csv").read_bytes().decode("utf-8-sig"), newline="")))
    t = read_file("q.xlsx", xlsx_bytes({"Sheet0": rows}))
    c = read("qualtrics_pulse.csv")
    assert (t.source_format, t.header_rows, t.source_rows) == ("qualtrics", 3, [4, 5, 6])
    assert list(t.frame.columns) == list(c.frame.columns)
    assert t.question_text == c.question_text
    assert t.frame.values.tolist() == c.frame.values.tolist()


def test_utf16_without_bom_and_old_mac_line_endings():
    t = read_file("x.txt", "A\tB\r\n1\t2\r\n".encode("utf-16-le"))
    assert (t.encoding, t.delimiter) == ("utf-16-le", "\t")
    assert t.frame.values.tolist() == [["1", "2"]]
    t = read_file("x.csv", b"A,B\r1,2\r3,4\r")
    assert t.frame.values.tolist() == [["1", "2"], ["3", "4"]]
    assert t.source_rows == [2, 3]


# ----------------------------------------------------------------------------- second round (#21)
def test_jira_all_fields_comment_cells_do_not_make_it_semicolon_separated():
    t = read("jira_all_fields.csv")
    assert (t.delimiter, t.frame.shape, t.source_rows[:2]) == (",", (6, 67), [2, 3])
    assert t.frame["Description"][0].startswith("Raised at the 20/Sep/25 meeting.\r\nSee the minutes; action")
    assert t.frame["Comment (3)"][2].endswith("actions agreed.\nNext review on Friday.")


def test_delimiter_sample_is_cut_outside_a_quoted_cell():
    from pipelines.ingest.delimiters import SNIFF_CHARS, _sample_records

    cell = '"' + "a;b\n" * (SNIFF_CHARS // 4) + '"'
    text = "Ref,Note\r\nR1," + cell + "\r\nR2,short\r\n"
    sample = _sample_records(text)
    assert sample == "Ref,Note\r"
    t = read_file("x.csv", text.encode())
    assert t.delimiter == "," and t.frame["Ref"].tolist() == ["R1", "R2"]


def test_delimiter_chosen_overrides_detection_and_the_excel_hint():
    t = read_file("x.csv", b"sep=;\r\nA;B,C\r\n1;2,3\r\n", delimiter=",")
    assert list(t.frame.columns) == ["A;B", "C"]
    assert t.notes == ["Columns are separated by commas, as chosen."]
    with pytest.raises(ValueError, match="comma, semicolon, tab, pipe"):
        read_file("x.csv", b"A,B\r\n1,2\r\n", delimiter=":")


def test_ragged_semicolon_rows_still_read_as_semicolon():
    assert read_file("x.csv", b"A;B;C\n1;2\n3;4;5;6\n7;8;9\n").delimiter == ";"


def test_qualtrics_legacy_two_header_rows_name_v_columns_by_their_label():
    t = read("qualtrics_legacy.csv")
    assert (t.source_format, t.header_rows, t.source_rows) == ("qualtrics", 2, [3, 4, 5])
    assert list(t.frame.columns)[:11] == ["ResponseID", "ResponseSet", "Name", "ExternalDataReference",
                                          "EmailAddress", "IPAddress", "Status", "StartDate", "EndDate",
                                          "Finished", "Q1"]
    assert t.question_text["Q2_1"] == "How strongly do you agree?-We agreed the programme goals together"
    assert t.notes[0].startswith("Read as a Qualtrics export: 2 header rows")


def test_qualtrics_without_its_import_id_row():
    head = read("qualtrics_pulse.csv")
    lines = (EXPORTS / "qualtrics_pulse.csv").read_bytes().split(b"\r\n")
    t = read_file("two-rows.csv", b"\r\n".join(lines[:2] + lines[3:]))
    assert (t.source_format, t.header_rows) == ("qualtrics", 2)
    assert list(t.frame.columns) == list(head.frame.columns)
    assert t.frame.equals(head.frame)


def test_surveymonkey_with_only_a_contact_block_and_a_matrix():
    t = read("surveymonkey_contact.csv")
    assert (t.source_format, t.header_rows, len(t.frame)) == ("surveymonkey", 2, 3)
    assert "Please provide your contact information: - ZIP/Postal Code" in t.frame.columns
    assert t.frame["Please provide your contact information: - Company"].tolist() == [
        "Northgate Housing", "Riverside Health Trust", "Eastfield Council"]


def test_primavera_xer_read_as_its_activities():
    t = read("p6_schedule.xer")
    assert_all_str_or_none(t)
    assert (t.source_format, t.encoding, t.delimiter) == ("primavera-xer", "cp1252", "\t")
    assert list(t.frame.columns) == ["Project", "Activity ID", "Activity Name", "Activity Type", "Milestone",
                                     "Summary", "WBS", "WBS Name", "Primary Resource", "Resources",
                                     "Planned Finish", "Finish", "Actual Finish", "Status", "Contract Ref",
                                     "Responsible Partner"]
    first = t.frame.iloc[1].to_dict()
    assert first == {"Project": "ALPHA-HUB", "Activity ID": "M1000",
                     "Activity Name": "Design signed off by all partners",
                     "Activity Type": "Finish Milestone", "Milestone": "Yes", "Summary": "No", "WBS": "ALPHA-HUB.DES",
                     "WBS Name": "Design", "Primary Resource": None, "Resources": None,
                     "Planned Finish": "2025-09-12 17:00", "Finish": "2025-09-16 17:00",
                     "Actual Finish": "2025-09-16 17:00", "Status": "Completed",
                     "Responsible Partner": "Northgate Housing", "Contract Ref": "NEC4-02"}
    assert t.frame["Activity Type"].tolist().count("Start Milestone") == 1
    start = t.frame.iloc[4]
    assert (start["Planned Finish"], start["Finish"]) == ("2025-10-27 08:00", "2025-11-03 08:00")
    assert t.frame["Resources"][2] == "Site crew A"
    lines = (EXPORTS / "p6_schedule.xer").read_bytes().decode("cp1252").split("\r\n")
    assert lines[t.source_rows[1] - 1].startswith("%R\t5002\t")  # row numbers are the file's lines


def test_ms_project_xml_read_as_its_tasks():
    t = read("ms_project_schedule.xml")
    assert_all_str_or_none(t)
    assert t.source_format == "msproject-xml" and t.source_rows == list(range(10))
    milestone = t.frame.iloc[6].to_dict()
    assert milestone == {"Unique ID": "6", "ID": "6", "WBS": "2.2", "Outline Level": "2",
                         "Name": "Building handed over", "Duration": "0 hrs", "Milestone": "Yes", "Summary": "No",
                         "Start": "2025-11-07T17:00:00", "Finish": "2025-11-07T17:00:00",
                         "Baseline Start": "2025-10-31T17:00:00", "Baseline Finish": "2025-10-31T17:00:00",
                         "Actual Start": None, "Actual Finish": None, "% Complete": "0",
                         "Resource Names": "Eastfield Council; Northgate Housing",
                         "Delivery partner": "Eastfield Council"}
    assert t.frame["Resource Names"][1] is None  # the -65535 'no resource' assignment


@pytest.mark.parametrize("data, words", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Project>&a;</Project>', "document type"),
    (b'<?xml version="1.0"?><workbook><sheet/></workbook>', "not a Microsoft Project plan"),
    (b'<?xml version="1.0"?><Project><Tasks>', "not well-formed"),
    (b"ERMHDR\t19.12\r\n%T\tPROJECT\r\n%F\tproj_id\r\n%R\t1\r\n%E\r\n", "no activities"),
])
def test_schedule_files_that_cannot_be_read_say_why(data, words):
    with pytest.raises(ReadError, match=words):
        read_file("plan.xer" if data.startswith(b"ERMHDR") else "plan.xml", data)


def _grouped_xlsx(levels: list[int], before: dict[str, list[int]] | None = None) -> bytes:
    """A sheet "Plan" whose rows are grouped at ``levels``, after the sheets of ``before``."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, levels in [*(before or {}).items(), ("Plan", levels)]:
        ws = wb.create_sheet(title)
        ws.append(["Task Name", "Duration"])
        for n, level in enumerate(levels, start=2):
            ws.append([f"Task {n}", "0"])
            ws.row_dimensions[n].outline_level = level
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_workbooks_row_grouping_is_read_as_each_rows_outline_level():
    """Smartsheet exports hierarchy as Excel row grouping, which neither workbook reader gives."""
    t = read_file("plan.xlsx", _grouped_xlsx([0, 1, 2, 1, 0]))
    assert t.outline_levels == [0, 1, 2, 1, 0]


def test_a_workbook_without_grouping_or_a_text_file_has_no_outline_levels():
    assert read_file("plan.xlsx", _grouped_xlsx([0, 0, 0])).outline_levels is None
    assert read_file("plan.csv", b"Task Name,Duration\nA,0\nB,1\n").outline_levels is None


def test_outline_levels_are_read_from_the_chosen_sheet_across_read_pieces():
    from pipelines.ingest import workbooks

    data = _grouped_xlsx([0, 1] * 300, before={"Notes": [0, 0, 2]})
    expected = {n: 1 for n in range(3, 602, 2)}
    for chunk in (7, 64, 1 << 20):  # tags cut at every place a piece can end
        assert workbooks._outline_levels(data, "Plan", chunk=chunk) == expected
    assert workbooks._outline_levels(data, "Missing") == {}


def test_a_raid_log_with_group_labels_above_its_column_names_reads_both_rows():
    """Merged 'Ownership' over 'Raised by' and 'Owner', 'Ref' merged down over both header rows."""
    data = xlsx_bytes({"RAID log": [
        ["Ref", "Title", "Ownership", None, "Dates", None],
        [None, None, "Raised by", "Owner", "Date raised", "Closed"],
        ["R-1", "Budget", "Northgate Housing", "Eastfield Council", "2025-02-03", None],
        ["R-2", "Venue", "Eastfield Council", "Northgate Housing", "2025-03-03", "2025-04-01"]]})
    t = read_file("raid.xlsx", data)
    assert list(t.frame.columns) == ["Ref", "Title", "Raised by", "Owner", "Date raised", "Closed"]
    assert t.frame["Raised by"].tolist() == ["Northgate Housing", "Eastfield Council"]
    assert "Read 2 header rows: group labels on row 1 above the column names on row 2; data starts on row 3." in t.notes


def test_a_first_data_row_of_text_under_an_unnamed_column_is_data_not_a_second_header():
    t = read_file("log.csv", b"Ref,Title,,Status\r\nR-1,Budget,Note,Open\r\nR-2,Venue,,Open\r\n")
    assert t.frame["Ref"].tolist() == ["R-1", "R-2"]


def test_group_labels_written_over_each_column_and_repeated_names_keep_their_group():
    data = (b"ID,Name,Baseline,Baseline,Actual,Actual\r\n,,Start,Finish,Start,Finish\r\n"
            b"1,Kick-off,2025-01-06,2025-01-10,2025-01-06,2025-01-14\r\n")
    t = read_file("plan.csv", data)
    assert list(t.frame.columns) == ["ID", "Name", "Baseline Start", "Baseline Finish", "Actual Start", "Actual Finish"]
