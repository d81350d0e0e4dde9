""".xlsx read by python-calamine (pipelines/ingest/workbooks.py) gives the cells openpyxl gave:
dates, times, durations, numbers, booleans, text, merged headings and the sheet's own row
numbers; a workbook with error cells (#N/A), which python-calamine reads as empty, is read by
openpyxl so the error's text reaches validation."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest

from pipelines.ingest import workbooks
from pipelines.ingest.readers import ReadError, read_file


def workbook(rows: list[list], *, start: str = "A1", merge: str | None = None, errors: dict[str, str] = {},
             formats: dict[str, str] = {}) -> bytes:
    """A one-sheet workbook ("Export") with ``rows`` from ``start``; ``errors``: cell -> error
    value written as an error cell (t="e"), as Excel saves a formula that failed."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    column, row = openpyxl.utils.cell.coordinate_from_string(start)
    first = openpyxl.utils.cell.column_index_from_string(column)
    for r, values in enumerate(rows, start=row):
        for c, value in enumerate(values, start=first):
            sheet.cell(r, c, value)
    for cell, number_format in formats.items():
        sheet[cell].number_format = number_format
    for cell in errors:
        sheet[cell] = "ERROR-PLACEHOLDER"
    if merge:
        sheet.merge_cells(merge)
    saved = io.BytesIO()
    book.save(saved)
    if not errors:
        return saved.getvalue()
    source, out = zipfile.ZipFile(io.BytesIO(saved.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            part = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = part.decode()
                for cell, value in errors.items():
                    text, n = re.subn(rf'<c r="{cell}"[^>]*><is><t>ERROR-PLACEHOLDER</t></is></c>',
                                      f'<c r="{cell}" t="e"><v>{value}</v></c>', text)
                    assert n == 1
                part = text.encode()
            target.writestr(item, part)
    return out.getvalue()


HEADER = ["Respondent ID", "Organisation", "Response date", "Q1", "Q2", "Q3"]


def test_dates_numbers_and_text_read_as_before():
    data = workbook([HEADER,
                     ["R1", "Northgate", dt.date(2026, 3, 31), 4, 0.1, True],
                     ["R2", "Eastfield", dt.datetime(2026, 3, 31, 14, 5, 9), 1.0, 1e16, "00123"],
                     ["R3", "Westmoor", dt.datetime(2026, 3, 31, 23, 59, 59, 700000), -3.5, "   ", None]],
                    formats={"C2": "dd/mm/yyyy", "C3": "yyyy-mm-dd hh:mm"})
    assert not workbooks._has_error_cells(data)  # read by python-calamine
    frame = read_file("pulse.xlsx", data).frame
    assert frame.to_dict("list") == {
        "Respondent ID": ["R1", "R2", "R3"], "Organisation": ["Northgate", "Eastfield", "Westmoor"],
        "Response date": ["2026-03-31", "2026-03-31 14:05:09", "2026-04-01"],
        "Q1": ["4", "1", "-3.5"], "Q2": ["0.1", "1e+16", None], "Q3": ["TRUE", "00123", None]}


def test_times_and_durations_read_as_before():
    data = workbook([["Task", "Start", "Work"], ["Survey", dt.time(9, 30), dt.timedelta(hours=30, minutes=15)]],
                    formats={"B2": "hh:mm", "C2": "[h]:mm"})
    frame = read_file("plan.xlsx", data).frame
    assert frame.iloc[0].tolist() == ["Survey", "09:30:00", "1 day, 6:15:00"]


def test_rows_keep_the_sheets_own_numbers_below_a_merged_heading():
    data = workbook([["Pulse survey export"], ["Respondent", None, None, "Answers"], HEADER,
                     ["R1", "Northgate", "2026-03-31", 4, 5, 3], [], ["R2", "Eastfield", "2026-04-02", 2, None, 1]],
                    start="B3", merge="B4:D4")
    table = read_file("pulse.xlsx", data)
    assert list(table.frame.columns) == HEADER
    assert table.source_rows == [6, 8]
    assert table.frame["Q2"].tolist() == ["5", None]


def test_an_error_cell_keeps_its_text_so_validation_can_name_it():
    data = workbook([HEADER, ["R1", "Northgate", "2026-03-31", 4, 5, 3], ["R2", "Eastfield", "2026-04-02", 2, 1, 1]],
                    errors={"E3": "#N/A", "C2": "#VALUE!"})
    assert workbooks._has_error_cells(data)
    frame = read_file("pulse.xlsx", data).frame
    assert frame["Q2"].tolist() == ["5", "#N/A"]
    assert frame["Response date"].tolist() == ["#VALUE!", "2026-04-02"]


def test_an_error_cell_is_found_across_the_pieces_the_sheet_is_read_in():
    data = workbook([HEADER, ["R1", "Northgate", "2026-03-31", 4, 5, 3]], errors={"F2": "#REF!"})
    for chunk in (2, 3, 5, 7, 64):
        assert workbooks._has_error_cells(data, chunk=chunk)
    assert not workbooks._has_error_cells(workbook([HEADER, ["R1", "Northgate", "2026-03-31", 4, 5, 3]]), chunk=3)


def test_the_sheet_with_the_table_is_chosen_and_named():
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["This export lists the responses."])
    data_sheet = book.create_sheet("Responses")
    for row in [HEADER, ["R1", "Northgate", "2026-03-31", 4, 5, 3]]:
        data_sheet.append(row)
    saved = io.BytesIO()
    book.save(saved)
    table = read_file("pulse.xlsx", saved.getvalue())
    assert (table.sheet, table.sheets) == ("Responses", ["Read me", "Responses"])
    assert table.notes[0].startswith("Read sheet 'Responses' (it looks most like a table)")


def test_a_damaged_workbook_is_a_plain_read_error():
    data = workbook([HEADER])
    broken = data[: len(data) // 2]
    with pytest.raises(ReadError, match="could not be opened as an Excel workbook"):
        read_file("pulse.xlsx", broken)


FORMATS = ["dd/mm/yyyy", "d-mmm-yy", "[$-en-GB]dd mmmm yyyy", "[$-F800]dddd, mmmm dd, yyyy", "yyyy-mm-dd hh:mm",
           "m/d/yyyy h:mm AM/PM", "mmm-yy", "General", "0.00", "@", "hh:mm:ss", "[mm]:ss", "[h]:mm:ss", "0%",
           "#,##0", "d/m/yy;@", "[Red]dd/mm/yyyy", "yyyy\\-mm\\-dd", '"Due "dd/mm/yyyy', "mm:ss.0", "dd.mm.yyyy",
           "yyyy年m月d日", "# ?/?", "0.00E+00"]


@pytest.mark.parametrize("number_format", FORMATS)
def test_every_number_format_reads_as_openpyxl_read_it(number_format):
    values = [46112.0, 46112.5, 0.75, 1.5, 45000.25]  # a date, a date and time, a time, a duration...
    data = workbook([["Format", *(f"V{i}" for i in range(len(values)))], [number_format, *values]],
                    formats={f"{column}2": number_format for column in "BCDEF"})
    calamine = workbooks._sheet_rows(workbooks._Calamine(data), "Export", "f.xlsx").records
    openpyxl_rows = workbooks._sheet_rows(workbooks._Openpyxl(data), "Export", "f.xlsx").records
    assert calamine == openpyxl_rows
