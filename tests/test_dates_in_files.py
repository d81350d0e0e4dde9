"""Dates in files of the shapes real tools export, through ingest.prepare -> commit and the command line:
the day/month order is asked only where it is ambiguous; an unreadable date is a row error naming the
row, the column and the value."""
import datetime as dt
import io

import openpyxl
import pytest

from pipelines import cli, ingest

D = dt.date
PARTNERS = b"Partner,Aliases\r\nNorthgate Housing,\r\nEastfield Council,\r\n"
# a RAID log kept in a spreadsheet and saved as CSV: ISO dates, one typed by hand another way
ISO_LOG = (b"Ref,Title,Raised by,Date raised,Status\r\n"
           b"R-1,Data sharing agreement late,Northgate Housing,2025-11-03,Open\r\n"
           b"R-2,Referrals below plan,Eastfield Council,2025-11-10,Open\r\n"
           b"R-3,Cost split disputed,Northgate Housing,05/01/2025,Open\r\n"
           b"R-4,Board papers late,Eastfield Council,2025-11-24,Closed\r\n")
# MS Project (UK locale) task list saved as CSV: weekday and two-digit year, day first
UK_PLAN = (b"ID,Name,Resource Names,Baseline Finish,Finish\r\n"
           b"1,Outcomes framework signed,Northgate Housing,Mon 30/06/25,Fri 27/06/25\r\n"
           b"2,Joint triage hub live,Eastfield Council,Mon 01/09/25,Mon 15/09/25\r\n")
# Microsoft Forms' Excel export saved as CSV: month first, 12-hour clock
US_LOG = (b"ID,Title,Raised by,Created,Resolved\r\n"
          b"7,Access to shared drive,Eastfield Council,3/9/2025 2:05:00 PM,3/13/2025 9:00:00 AM\r\n"
          b"8,Invoice query,Northgate Housing,4/2/2025 11:30:00 AM,\r\n")


@pytest.fixture
def programme(store):
    ingest.commit(store, ingest.prepare(store, "partners", "partners.csv", PARTNERS))
    return store


def failures(preview) -> list[tuple]:
    f = preview.validation.failures
    return list(zip(f["source_row"], f["column"], f["value"]))


def issue_dates(store) -> list[tuple]:
    return store.cursor().execute(
        "SELECT issue_id, raised_date, resolved_date FROM issues WHERE current ORDER BY issue_id").fetchall()


def run_cli(store, *argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], store=store, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_iso_log_with_one_slash_date_asks_nothing_and_reports_the_row(programme):
    preview = ingest.prepare(programme, "issues", "raid.csv", ISO_LOG)
    assert preview.questions == []
    assert preview.ambiguous_date_columns == []
    assert failures(preview) == [(4, "Date raised", "05/01/2025")]
    assert ("Column 'Date raised' writes its dates like 2025-11-03; 1 written like 05/01/2025 could be "
            "day-first or month-first, so it is listed with the rows that cannot be loaded. Write it like "
            "2025-11-03.") in preview.notes


def test_iso_log_with_an_impossible_date_reports_the_row(programme):
    data = ISO_LOG.replace(b"05/01/2025", b"2025-02-30")
    preview = ingest.prepare(programme, "issues", "raid.csv", data)
    assert preview.questions == []
    assert failures(preview) == [(4, "Date raised", "2025-02-30")]
    assert "could not be read as a date" in preview.validation.failures["message"].iloc[0]


def test_the_valid_rows_of_an_iso_log_load(programme):
    preview = ingest.prepare(programme, "issues", "raid.csv", ISO_LOG)
    result = ingest.commit(programme, preview, policy="valid_only")
    assert (result.rows_accepted, result.rows_rejected) == (3, 1)
    assert issue_dates(programme) == [("R-1", D(2025, 11, 3), None),
                                      ("R-2", D(2025, 11, 10), None),
                                      ("R-4", D(2025, 11, 24), None)]


def test_the_command_line_reports_the_row_and_asks_no_date_order(programme, tmp_path):
    path = tmp_path / "raid.csv"
    path.write_bytes(ISO_LOG)
    code, _out, err = run_cli(programme, "load", "--dataset", "issues", path)
    assert code == 1
    assert "row 4" in err and "Date raised" in err and "05/01/2025" in err
    assert "--date-order" not in err and "Choose the date order" not in err
    assert issue_dates(programme) == []


def test_the_user_may_still_settle_a_stray_date(programme):
    preview = ingest.prepare(programme, "issues", "raid.csv", ISO_LOG, ingest.Options(date_order="dayfirst"))
    assert failures(preview) == []
    ingest.commit(programme, preview)
    assert issue_dates(programme)[2] == ("R-3", D(2025, 1, 5), None)


def test_uk_plan_reads_day_first_without_a_question(programme):
    preview = ingest.prepare(programme, "milestones", "plan.csv", UK_PLAN)
    assert preview.questions == []
    ingest.commit(programme, preview)
    assert programme.cursor().execute("SELECT milestone_id, baseline_date, forecast_date FROM milestones "
                                      "WHERE current ORDER BY 1").fetchall() == [
        ("1", D(2025, 6, 30), D(2025, 6, 27)), ("2", D(2025, 9, 1), D(2025, 9, 15))]


def test_us_log_reads_month_first_from_the_other_date_column(programme):
    preview = ingest.prepare(programme, "issues", "forms.csv", US_LOG)
    assert preview.questions == []
    assert any("Dates in 'Created' read month-first, as the file's column 'Resolved' settles it "
               "(a date such as 3/13/2025 9:00:00 AM)" in note for note in preview.notes)
    ingest.commit(programme, preview)
    assert issue_dates(programme) == [("7", D(2025, 3, 9), D(2025, 3, 13)),
                                      ("8", D(2025, 4, 2), None)]


def test_a_file_of_only_ambiguous_dates_is_still_asked(programme):
    data = US_LOG.replace(b"3/13/2025 9:00:00 AM", b"")
    preview = ingest.prepare(programme, "issues", "forms.csv", data)
    assert preview.ambiguous_date_columns == ["Created"]
    assert preview.questions == ["Column 'Created' has dates such as 3/9/2025 2:05:00 PM that could be "
                                 "day-first or month-first, and no value decides it. Choose the date order."]


def test_dates_waiting_for_the_order_are_not_listed_as_unreadable(programme):
    data = US_LOG.replace(b"3/13/2025 9:00:00 AM", b"").replace(b"4/2/2025 11:30:00 AM", b"TBC")
    preview = ingest.prepare(programme, "issues", "forms.csv", data)
    assert preview.ambiguous_date_columns == ["Created"]
    assert failures(preview) == [(3, "Created", "TBC")]


def workbook(rows: list[list], date_format_column: int | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "RAID"
    for row in rows:
        sheet.append(row)
    if date_format_column is not None:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=date_format_column, max_col=date_format_column):
            cell.number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["Ref", "Title", "Raised by", "Date raised", "Date closed"]


def test_excel_day_numbers_in_a_workbook_are_read_with_a_note(programme):
    # a column pasted as values in Excel keeps the day numbers, shown as 'General'
    data = workbook([HEADER, ["R-1", "Late papers", "Northgate Housing", 45964, 45971.5],
                     ["R-2", "Budget", "Eastfield Council", 45971, None]])
    preview = ingest.prepare(programme, "issues", "raid.xlsx", data)
    assert preview.questions == [] and failures(preview) == []
    assert ("Column 'Date raised' has dates written as Excel day numbers, read as dates (45964 is 2025-11-03). "
            "Check a few against the tool that wrote them.") in preview.notes
    ingest.commit(programme, preview)
    assert issue_dates(programme) == [("R-1", D(2025, 11, 3), D(2025, 11, 10)),
                                      ("R-2", D(2025, 11, 10), None)]


def test_excel_date_cells_are_dates_whatever_their_display_format(programme):
    data = workbook([HEADER, ["R-1", "Late papers", "Northgate Housing", dt.datetime(2025, 1, 5), None],
                     ["R-2", "Budget", "Eastfield Council", dt.datetime(2025, 2, 3), None]], date_format_column=4)
    preview = ingest.prepare(programme, "issues", "raid.xlsx", data)
    assert preview.questions == [] and failures(preview) == []
    ingest.commit(programme, preview)
    assert [row[:2] for row in issue_dates(programme)] == [("R-1", D(2025, 1, 5)),
                                                            ("R-2", D(2025, 2, 3))]


def test_a_number_that_is_no_excel_day_is_a_row_error(programme):
    data = workbook([HEADER, ["R-1", "Late papers", "Northgate Housing", 45964, None],
                     ["R-2", "Budget", "Eastfield Council", 2025, None]])
    preview = ingest.prepare(programme, "issues", "raid.xlsx", data)
    assert failures(preview) == [(3, "Date raised", "2025")]
