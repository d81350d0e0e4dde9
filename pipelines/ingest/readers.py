"""Read an uploaded export, unedited, into a table of strings.

``read_file(name, data)`` turns the raw bytes of a CSV / TSV / TXT / XLSX export (and, through
``schedules.py``, a Primavera P6 ``.xer`` or a Microsoft Project ``.xml`` plan) into a
:class:`RawTable`: one column per source column, every cell a Python ``str`` or ``None`` (a large
plain text file: pandas ``str`` columns held by Arrow, missing cells NaN; see _read_large_text).
Nothing is parsed here (no dates, no numbers); that is ``values.py``'s job. What this module
does work out:

* the encoding (UTF-8 with or without BOM, UTF-16 "Unicode text", cp1252 / Latin-1 from Excel
  on Windows, and files mixing UTF-8 with a few cp1252 lines, repaired line by line);
* the delimiter (``,`` ``;`` tab ``|``), from the records' structure (``delimiters.py``) unless chosen;
* the header: title / date / blank rows above it are skipped; Qualtrics (3 header rows) and
  SurveyMonkey (2 header rows) exports are recognised and their question text kept;
* the sheet of a workbook (the one that looks most like a table, unless ``sheet=`` is given);
* blank rows and empty trailing columns are dropped; duplicate and blank header names are made
  unique ("Labels (2)", "Column 7").

Every problem is a :class:`ReadError` whose message says, in plain words, what is wrong, where,
and how to fix it. Everything the reader decided on the user's behalf is in ``RawTable.notes``.
"""
from __future__ import annotations

import bisect
import codecs
import csv
import functools
import io
import re
import tempfile
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest import limits
from pipelines.ingest.delimiters import (
    DELIMITER_NAMES,
    DELIMITER_WORDS,
    DELIMITERS,
    SNIFF_CHARS,
    sniff_delimiter,
)
from pipelines.ingest.limits import human_size as _human_size

__all__ = ["ReadError", "RawTable", "read_file", "TEXT_EXTENSIONS", "EXCEL_EXTENSIONS", "SCHEDULE_EXTENSIONS"]

TEXT_EXTENSIONS = (".csv", ".tsv", ".txt", ".tab")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm")
SCHEDULE_EXTENSIONS = (".xer", ".xml")  # Primavera P6, Microsoft Project (schedules.py)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or a password-protected workbook
_ZIP_MAGIC = b"PK\x03\x04"

# how many rows at the top are searched for the header / survey header rows
_HEADER_SEARCH_ROWS = 25
# how many rows below a header candidate it is compared with
_HEADER_LOOKAHEAD = 30
# text files at least this long have their data rows read by DuckDB (see _read_large_text)
LARGE_TEXT_CHARS = 1024 * 1024


class ReadError(ValueError):
    """The file cannot be read; the message says what is wrong, where, and how to fix it."""


def _refuse(problem: str | None) -> None:
    if problem:
        raise ReadError(problem)


@dataclass
class RawTable:
    frame: pd.DataFrame
    source_rows: list[int]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: list[str]
    header_rows: int
    source_format: str
    question_text: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # a workbook's row outline level per data row (Excel's row grouping: how Smartsheet exports its
    # hierarchy); None when the sheet groups no rows or the file is text
    outline_levels: list[int] | None = None


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------
def read_file(name: str, data: bytes, *, sheet: str | None = None,
              max_bytes: int | None = None, delimiter: str | None = None) -> RawTable:
    """Read an export's bytes into a :class:`RawTable` of strings.

    ``name`` is the uploaded file name (its extension chooses text or workbook reading);
    ``sheet`` picks a workbook sheet by name; ``max_bytes`` refuses larger files before any
    parsing; ``delimiter`` (one of DELIMITERS) reads a text file with that delimiter instead of
    the one detected.
    """
    if delimiter is not None and delimiter not in DELIMITERS:
        raise ValueError(f"The delimiter must be one of {', '.join(DELIMITER_NAMES)}, not {delimiter!r}.")
    name = name or "the file"
    size = len(data)
    if max_bytes is not None and size > max_bytes:
        raise ReadError(
            f"'{name}' is {_human_size(size)}, over the upload limit of {_human_size(max_bytes)}. "
            "Export fewer rows or columns (for example one wave or one date range at a time), "
            "or save it as CSV, which is smaller than Excel.")
    if size == 0:
        raise ReadError(f"The file is empty: '{name}' has no content (0 bytes). "
                        "Export it again from the tool and upload the new file.")

    ext = _extension(name)
    notes: list[str] = []
    if data.startswith(_OLE_MAGIC):
        raise ReadError(
            f"'{name}' is an old-style Excel workbook (.xls) or a password-protected workbook, "
            "which cannot be read. Open it in Excel, remove any password, and save it as "
            "'Excel Workbook (.xlsx)' or 'CSV UTF-8', then upload that file.")
    if ext == ".xls":
        raise ReadError(
            f"'{name}' is an .xls file, the old Excel format, which cannot be read. Open it in "
            "Excel and save it as 'Excel Workbook (.xlsx)' or 'CSV UTF-8', then upload that file.")
    from pipelines.ingest import schedules, workbooks  # here: text-only callers do not import a workbook reader

    if ext == ".xer" or schedules.is_xer(data):
        return schedules.read_xer(name, data, notes)
    if ext == ".xml" or schedules.looks_like_xml(data):
        return schedules.read_project_xml(name, data, notes)

    if ext in EXCEL_EXTENSIONS:
        if not data.startswith(_ZIP_MAGIC):
            raise ReadError(
                f"'{name}' is named .xlsx but is not an Excel workbook (an .xlsx file is a zip "
                "archive and this one is not). It may be damaged or be another format renamed. "
                "Open it in Excel and save it again as .xlsx, or export CSV from the tool.")
        return workbooks.read_xlsx(name, data, sheet, notes)
    if data.startswith(_ZIP_MAGIC) and workbooks.is_workbook_zip(data):
        notes.append(f"'{name}' is an Excel workbook despite its name: read it as .xlsx.")
        return workbooks.read_xlsx(name, data, sheet, notes)
    if ext not in TEXT_EXTENSIONS and ext:
        notes.append(f"Read '{name}' as delimited text (its extension '{ext}' is not one of "
                     ".csv, .tsv, .txt, .xlsx, .xer, .xml).")
    return _read_text(name, data, ext, notes, delimiter)


# --------------------------------------------------------------------------------------------
# text files
# --------------------------------------------------------------------------------------------
def _read_text(name: str, data: bytes, ext: str, notes: list[str], chosen: str | None = None) -> RawTable:
    _refuse(limits.long_line(name, data))
    text, encoding, repaired_lines = _decode(name, data, notes)
    text = text.replace("\x00", "") if "\x00" in text else text

    # Excel's "sep=;" hint line
    delimiter = chosen
    skip_first_line = False
    m = re.match(r"\A\s*sep=(.)\s*?(\r\n|\n|\r)", text[:20], re.IGNORECASE)
    if m and m.group(1) in DELIMITERS:
        skip_first_line = True
        if chosen is None:
            delimiter = m.group(1)
            notes.append(f"The first line 'sep={delimiter}' (an Excel hint) names the delimiter; "
                         "it is not part of the table.")
    if chosen is not None:
        notes.append(f"Columns are separated by {DELIMITER_WORDS[delimiter]}s, as chosen.")
    else:
        delimiter = delimiter or sniff_delimiter(text, ext)
        if delimiter != ",":
            notes.append(f"Columns are separated by {DELIMITER_WORDS[delimiter]}s (detected; choose "
                         "another delimiter if the columns look wrong).")

    # Drop trailing blank lines (including ',,,,' lines) in one C-level call.
    text = text.rstrip("\r\n \t" + delimiter)
    if not text.strip():
        raise ReadError(f"The file is empty: '{name}' contains only blank lines.")

    _refuse(limits.wide_or_long_top(name, text, delimiter, _HEADER_SEARCH_ROWS + _HEADER_LOOKAHEAD))
    if not repaired_lines and len(text) >= LARGE_TEXT_CHARS:
        large = _read_large_text(name, text, delimiter, skip_first_line, encoding, notes)
        if large is not None:
            return large
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if repaired_lines:
            records: list[list[str]] = []
            line_ends: list[int] = []
            for rec in reader:
                records.append(rec)
                line_ends.append(reader.line_num)
        else:
            records = list(reader)
    except csv.Error as exc:
        if limits.is_cell_past_limit(exc):
            raise ReadError(limits.cell_too_long(name, reader.line_num)) from None
        raise ReadError(f"'{name}' could not be read as {DELIMITER_WORDS[delimiter]}-separated text "
                        f"near line {reader.line_num}: {exc}. Export it again from the tool.")

    if repaired_lines:
        rows_fixed = sorted({bisect.bisect_left(line_ends, ln) + 1 for ln in repaired_lines})
        rows_fixed = [r for r in rows_fixed if r <= len(records)]
        notes.append(
            f"{'Row' if len(rows_fixed) == 1 else 'Rows'} {_list_numbers(rows_fixed)} "
            f"{'was' if len(rows_fixed) == 1 else 'were'} not valid UTF-8 like the rest of the "
            "file: read as cp1252 (Windows). Check accented letters and symbols there.")

    first_row = 1 if skip_first_line else 0
    if skip_first_line:
        records = records[1:]
    rows = _TextRows(records, offset=first_row)
    return _build(name, rows, encoding=encoding, delimiter=delimiter, sheet=None, sheets=[],
                  notes=notes)


def _read_large_text(name: str, text: str, delimiter: str, skip_first_line: bool, encoding: str,
                     notes: list[str]) -> RawTable | None:
    """A large file read without a Python string per cell: its header is found from its first
    records as for any file, and its data records are read by DuckDB's CSV reader into Arrow
    columns. None (the general reader then reads the file) unless every data line is one record of
    at most the header's width and no data row is blank: a line break inside a quoted cell or a
    blank line would shift the row numbers that messages give."""
    whole = len(text) <= SNIFF_CHARS
    head_end = len(text) - 1 if whole else text.rfind("\n", 0, SNIFF_CHARS)
    if head_end < 0:
        return None
    lines = io.StringIO(text[:head_end + 1], newline="").readlines()
    starts = np.concatenate([[0], np.cumsum([len(line) for line in lines])])
    reader = csv.reader(iter(lines), delimiter=delimiter)
    records, ends = [], []
    for record in reader:
        records.append(record)
        ends.append(reader.line_num)
    first = 1 if skip_first_line else 0
    rows = _TextRows(records[first:] if whole else records[first:-1], offset=first)  # may run past the cut
    tried = list(notes)
    try:
        located = _locate(rows, f"'{name}'", tried)
    except ReadError:
        return None
    start_record = first + located.data_idx[0]
    data = text[int(starts[ends[start_record - 1]]):]
    width = len(located.names)
    # c0, c1, ... and VARCHAR are ours, the delimiter one of DELIMITERS: nothing from the file
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(width)) + "}"
    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        handle.write(data.encode("utf-8"))
        handle.flush()
        con = duckdb.connect()
        try:
            table = con.execute(
                f"""SELECT * FROM read_csv(?, header = false, auto_detect = false, delim = ?, quote = '"',
                    escape = '"', null_padding = true, columns = {columns})""",
                [handle.name, delimiter]).to_arrow_table()
        except duckdb.Error:
            return None
        finally:
            con.close()
    if table.num_rows != data.count("\n") + 1:
        return None
    first_row = rows.row_number(located.data_idx[0])
    long_cell = limits.first_long_cell(table.columns)
    if long_cell is not None:
        raise ReadError(limits.cell_too_long(name, first_row + long_cell))
    cells = [pc.if_else(pc.utf8_is_space(column), None, column) for column in table.columns]
    blank = functools.reduce(pc.and_, [pc.is_null(c) for c in cells])  # a row with no cell
    if pc.any(blank).as_py():
        return None
    strings = pd.StringDtype("pyarrow", na_value=np.nan)
    columns_out = [pd.Series(c.to_pandas(types_mapper={pa.string(): strings}.get)) for c in cells]
    notes[:] = tried
    return _table(located, columns_out, range(first_row, first_row + table.num_rows), encoding=encoding,
                  delimiter=delimiter, sheet=None, sheets=[], notes=notes)


def _decode(name: str, data: bytes, notes: list[str]) -> tuple[str, str, list[int]]:
    """Return (text, encoding, physical line numbers repaired as cp1252)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            text, lines = _decode_mixed(data[3:])
            return text, "utf-8-sig", lines
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text = data.decode("utf-16", errors="replace")
        notes.append("Read as UTF-16 (Excel 'Unicode text').")
        if "\ufffd" in text:
            notes.append("Some characters could not be decoded as UTF-16 and show as '\ufffd'.")
        return text, "utf-16", []
    utf16 = _utf16_without_bom(data)
    if utf16:
        notes.append(f"Read as {utf16.upper()} (Unicode text without a byte-order mark).")
        return data.decode(utf16, errors="replace"), utf16, []
    if _looks_binary(data):
        raise ReadError(
            f"'{name}' is not a text (CSV) file: it contains binary data. If it is an Excel "
            "workbook, upload it with its .xlsx name; otherwise export the data again from the "
            "tool as CSV.")
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    text, lines = _decode_mixed(data)
    if lines is None:  # no valid UTF-8 beyond ASCII: a Windows (cp1252) file throughout
        try:
            text = data.decode("cp1252")
            notes.append("Read as cp1252 (Windows Excel CSV).")
            return text, "cp1252", []
        except UnicodeDecodeError:
            notes.append("Read as Latin-1 (ISO-8859-1).")
            return data.decode("latin-1"), "latin-1", []
    return text, "utf-8", lines


def _decode_mixed(data: bytes) -> tuple[str, list[int] | None]:
    """Decode line by line: UTF-8 where valid, cp1252 elsewhere.

    Returns the physical line numbers (1-based) decoded as cp1252, or None when no line
    holds valid non-ASCII UTF-8 (then the whole file is single-byte encoded).
    """
    parts = data.split(b"\n")
    out: list[str] = []
    bad: list[int] = []
    good_utf8 = 0
    for i, part in enumerate(parts):
        if part.isascii():
            out.append(part.decode("ascii"))
            continue
        try:
            out.append(part.decode("utf-8"))
            good_utf8 += 1
        except UnicodeDecodeError:
            bad.append(i + 1)
            try:
                out.append(part.decode("cp1252"))
            except UnicodeDecodeError:
                out.append(part.decode("latin-1"))
    if good_utf8 == 0:
        return "", None
    return "\n".join(out), bad


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nul > 0.6 * half and even_nul < 0.1 * half:
        return "utf-16-le"
    if even_nul > 0.6 * half and odd_nul < 0.1 * half:
        return "utf-16-be"
    return None


def _looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13, 26))
    return control > max(4, len(sample) // 100)


class _TextRows:
    """Records of a text file; row numbers are record positions (what Excel shows)."""

    def __init__(self, records: list[list[str]], offset: int):
        self.records = records
        self.offset = offset

    def __len__(self) -> int:
        return len(self.records)

    def row_number(self, i: int) -> int:
        return i + 1 + self.offset

    def cells(self, i: int) -> list[str | None]:
        return [c if c and not c.isspace() else None for c in self.records[i]]

    def nonblank(self) -> list[int]:
        return [i for i, r in enumerate(self.records) if "".join(r).strip()]

    def raw(self, indices: list[int]) -> list[list[str]]:
        recs = self.records
        return [recs[i] for i in indices]


# --------------------------------------------------------------------------------------------
# header detection and the table
# --------------------------------------------------------------------------------------------
_NUMBERISH = re.compile(r"^[\s$£€¥%+\-−.,:/0-9()]*[0-9][\s$£€¥%+\-−.,:/0-9()apmAPM]*$")
_SM_RESPONSE = {"response", "open-ended response"}
_QUALTRICS_ID = re.compile(r"^(?:V\d+|Q\d+(?:_\d+)*(?:_TEXT)?|QID\d+\S*|ResponseI[dD]|StartDate|EndDate"
                           r"|RecordedDate|Finished|Progress)$")
_QUALTRICS_LABELS = {"responseid", "response id", "responseset", "response set", "startdate", "start date",
                     "enddate", "end date", "recorded date", "finished", "progress", "ipaddress", "ip address"}
_LEGACY_ID = re.compile(r"^V\d+$")  # the legacy export's metadata columns, named by their label


def _is_texty(cell: str) -> bool:
    return not _NUMBERISH.match(cell)


def _norm_header(cell: str | None) -> str:
    if cell is None:
        return ""
    return " ".join(cell.replace("\ufeff", "").split())


def _find_header(top: list[list[str | None]]) -> tuple[int, str, int]:
    """Return (index in ``top`` of the header row, source_format, header_rows)."""
    n = len(top)
    # Qualtrics: the third header row holds {"ImportId": ...} JSON
    for i in range(2, min(n, _HEADER_SEARCH_ROWS)):
        cells = [c for c in top[i] if c]
        hits = sum(1 for c in cells if c.lstrip().startswith('{"ImportId"'))
        if hits and hits * 2 >= len(cells):
            return i - 2, "qualtrics", 3
    # Qualtrics with 2 header rows (column ids, then question text): the legacy export (V1..V10,
    # Q1..) or a current one without its import-id row
    for i in range(min(n - 1, _HEADER_SEARCH_ROWS)):
        labels = {_norm_header(c).casefold() for c in top[i + 1] if c}
        ids = sum(1 for c in top[i] if c and _QUALTRICS_ID.match(c.strip()))
        if len(labels & _QUALTRICS_LABELS) >= 2 and ids >= 2:
            return i, "qualtrics", 2
    # SurveyMonkey: 'Respondent ID' in the questions row, 'Response' cells in the next
    for i in range(0, min(n - 1, _HEADER_SEARCH_ROWS)):
        row1 = {(_norm_header(c)).casefold() for c in top[i] if c}
        hits = sum(1 for c in top[i + 1] if c and _norm_header(c).casefold() in _SM_RESPONSE)
        if hits and ("respondent id" in row1 or hits >= 2):
            return i, "surveymonkey", 2
        # no single-answer question: its metadata heads row i, sub-labels (contact fields,
        # matrix statements) fill row i + 1 where row i is blank
        under = [c for c, above in zip(top[i + 1], top[i]) if c and not above]
        if {"respondent id", "collector id"} <= row1 and len(under) >= 2 and not top[i + 1][0]:
            return i, "surveymonkey", 2
    # plain: first row that is wide and mostly text compared with the rows that follow
    counts = [sum(1 for c in r if c) for r in top]
    for i in range(min(n, _HEADER_SEARCH_ROWS)):
        c = counts[i]
        if c == 0:
            continue
        ref = max(counts[i:i + _HEADER_LOOKAHEAD])
        cells = [x for x in top[i] if x]
        texty = sum(1 for x in cells if _is_texty(x))
        if c >= max(1, 0.6 * ref) and texty >= 0.6 * c and (c >= 2 or ref <= 1):
            if i + 2 < n and _grouped(top[i], top[i + 1]):
                return i, "grouped", 2
            return i, "plain", 1
    return next((i for i, c in enumerate(counts) if c), 0), "plain", 1


def _two_rows(above: list[str | None], below: list[str | None]) -> tuple[list[str], list[str]]:
    """Two header rows as names, padded to the wider one."""
    width = max(len(above), len(below))
    return ([_norm_header(above[j]) if j < len(above) else "" for j in range(width)],
            [_norm_header(below[j]) if j < len(below) else "" for j in range(width)])


def _group_labels(top: list[str]) -> list[str | None]:
    """Per column of a header row, the group label over it: a label merged over the blanks after it
    (or written again over each of its columns), else None."""
    width, out, label = len(top), [], None
    for j in range(width):
        if top[j] and not (label is not None and top[j] == label):
            spans = j + 1 < width and (not top[j + 1] or top[j + 1] == top[j])
            label = top[j] if spans else None
        out.append(label)
    return out


def _grouped(above: list[str | None], below: list[str | None]) -> bool:
    """Whether ``below`` names the columns under group labels of ``above`` (a RAID log's merged
    'Ownership' over 'Raised by' and 'Owner'): every cell of ``below`` is text under a group, at least
    one where ``above`` is blank or repeats the label, and ``below`` is blank under every other
    header (merged down over both rows)."""
    top, sub = _two_rows(above, below)
    width, groups = len(top), _group_labels(top)
    under = [j for j in range(width) if sub[j]]
    spread = any(not top[j] or (j and top[j] == top[j - 1]) for j in under)
    return (len(under) >= 2 and spread and all(groups[j] and _is_texty(sub[j]) for j in under)
            and all(not sub[j] for j in range(width) if top[j] and not groups[j]))


def _build(name: str, rows, *, encoding, delimiter, sheet, sheets, notes,
           where: str | None = None) -> RawTable:
    where = where or f"'{name}'"
    located = _locate(rows, where, notes)
    raw = rows.raw(located.data_idx)
    widths = [len(located.names), *map(len, raw)]
    width = max(widths)
    if width > limits.MAX_COLUMNS:  # a row below the top ones limits.wide_or_long_top reads
        raise ReadError(limits.too_wide(where, width, rows.row_number(located.data_idx[int(np.argmax(widths[1:]))])))
    columns = list(_columns(raw, width))
    del raw
    source_rows = [rows.row_number(i) for i in located.data_idx]
    return _table(located, columns, source_rows, encoding=encoding, delimiter=delimiter, sheet=sheet,
                  sheets=sheets, notes=notes)


@dataclass
class _Located:
    """Where a file's table is: its header rows, their column names, and its data rows."""
    source_format: str
    header_rows: int
    names: list[str]
    texts: list[str]  # per position, the question text ('' where the file has none)
    data_idx: list[int]


def _locate(rows, where: str, notes: list[str]) -> _Located:
    keep = rows.nonblank()
    if not keep:
        raise ReadError(f"The file is empty: {where} has no cells with content. "
                        "Export the data again from the tool.")

    top_idx = keep[:_HEADER_SEARCH_ROWS + _HEADER_LOOKAHEAD]
    top = [rows.cells(i) for i in top_idx]
    h, source_format, header_rows = _find_header(top)
    header_idx = [top_idx[h + k] for k in range(header_rows) if h + k < len(top_idx)]
    if len(header_idx) < header_rows:
        raise ReadError(f"{where} looks like a {source_format} export but its header rows are "
                        "incomplete and it has no data rows. Export the responses again.")
    header_row_no = rows.row_number(header_idx[0])
    skipped = h  # non-blank rows above the header
    if skipped:
        notes.append(f"Skipped {_plural(skipped, 'title row')} above the header; "
                     f"the header is row {header_row_no}.")

    data_idx = keep[h + header_rows:]
    if not data_idx:
        raise ReadError(f"{where} has a header row (row {header_row_no}) but no data rows "
                        "below it. Export again including the responses or rows, not only the "
                        "column names.")
    first_data = rows.row_number(data_idx[0])
    last_data = rows.row_number(data_idx[-1])
    blank_inside = (last_data - first_data + 1) - len(data_idx)
    if blank_inside:
        notes.append(f"Left out {_plural(blank_inside, 'blank row')} between the data rows.")

    names, texts = _column_names([rows.cells(i) for i in header_idx], source_format)
    if source_format == "qualtrics" and header_rows == 3:
        notes.append(f"Read as a Qualtrics export: 3 header rows (column ids, question text, "
                     f"import ids); data starts on row {first_data}.")
    elif source_format == "qualtrics":
        notes.append(f"Read as a Qualtrics export: 2 header rows (column ids, then question text; the "
                     f"layout without import ids); data starts on row {first_data}.")
    elif source_format == "surveymonkey":
        notes.append(f"Read as a SurveyMonkey export: 2 header rows (questions, then answer "
                     f"options or statements); data starts on row {first_data}.")
    elif source_format == "grouped":
        notes.append(f"Read 2 header rows: group labels on row {header_row_no} above the column names on "
                     f"row {rows.row_number(header_idx[1])}; data starts on row {first_data}.")
    return _Located(source_format, header_rows, names, texts, data_idx)


def _table(located: _Located, columns: list, source_rows, *, encoding, delimiter, sheet, sheets,
           notes) -> RawTable:
    """The RawTable of the located header's names over data ``columns`` (arrays, None = blank)."""
    width = len(columns)
    names = located.names + [""] * (width - len(located.names))
    texts = located.texts + [""] * (width - len(located.texts))
    has_data = [bool(len(c) - _count_none(c)) for c in columns]
    keep_cols: list[int] = []
    last_useful = max((j for j in range(width) if names[j] or has_data[j]), default=-1)
    dropped_inside: list[int] = []
    unnamed: list[int] = []
    for j in range(width):
        if names[j]:
            keep_cols.append(j)
        elif has_data[j]:
            names[j] = f"Column {j + 1}"
            unnamed.append(j + 1)
            keep_cols.append(j)
        elif j < last_useful:
            dropped_inside.append(j + 1)
    if unnamed:
        notes.append(f"{_plural(len(unnamed), 'column')} ha{'s' if len(unnamed) == 1 else 've'} "
                     f"no header: read as {', '.join(repr(f'Column {k}') for k in unnamed)}.")
    if dropped_inside:
        notes.append(f"Left out {_plural(len(dropped_inside), 'column')} with no header and no "
                     f"data (column {_list_numbers(dropped_inside)}).")
    final_names = _dedupe([names[j] for j in keep_cols], notes)
    question_text = {final_names[k]: texts[j] for k, j in enumerate(keep_cols) if texts[j]}

    frame = pd.DataFrame({final_names[k]: columns[j] for k, j in enumerate(keep_cols)},
                         dtype=None if columns and isinstance(columns[0], pd.Series) else object,
                         copy=False)
    if len(frame.columns) != len(final_names):  # pragma: no cover - names are unique
        raise AssertionError("duplicate column names after dedupe")
    frame.index = pd.RangeIndex(len(frame))
    return RawTable(frame=frame, source_rows=source_rows, encoding=encoding,
                    delimiter=delimiter, sheet=sheet, sheets=sheets, header_rows=located.header_rows,
                    source_format=located.source_format, question_text=question_text, notes=notes)


def _count_none(arr) -> int:
    if isinstance(arr, pd.Series):
        return int(arr.isna().sum())
    return int((arr == None).sum())  # noqa: E711 - elementwise on an object array


def _columns(raw: list[list], width: int):
    """Yield one object array per column; short rows are padded with None."""
    if not raw:
        return
    padded = raw
    lengths = set(map(len, raw))
    if len(lengths) > 1 or width not in lengths:
        padded = [r + [None] * (width - len(r)) if len(r) < width else r for r in raw]
    for col in zip(*padded):
        yield np.array([c if c and not c.isspace() else None for c in col], dtype=object)


def _column_names(header: list[list[str | None]], source_format: str
                  ) -> tuple[list[str], list[str]]:
    """Column names and, per position, the question text ('' where the file has none)."""
    if source_format == "qualtrics":
        ids, texts = header[0], header[1]
        qt = [(_norm_header(texts[j]) if j < len(texts) else "") for j in range(len(ids))]
        names = [qt[j] if qt[j] and _LEGACY_ID.match(_norm_header(c)) else _norm_header(c)
                 for j, c in enumerate(ids)]
        return names, qt
    if source_format == "surveymonkey":
        questions, subs = header[0], header[1]
        width = max(len(questions), len(subs))
        names: list[str] = []
        qt: list[str] = []
        current = ""
        for j in range(width):
            q = _norm_header(questions[j]) if j < len(questions) else ""
            s = _norm_header(subs[j]) if j < len(subs) else ""
            if q:
                current = q
            if not s:  # metadata column (Respondent ID, dates, ...) or unnamed
                names.append(q)
                qt.append("")
                continue
            question = q or current
            if s.casefold() in _SM_RESPONSE:
                name = question or s
            else:
                name = f"{question} - {s}" if question else s
            names.append(name)
            qt.append(name)
        return names, qt
    if source_format == "grouped":  # a group's columns by their own names, the others by theirs
        top, sub = _two_rows(header[0], header[1])
        width, groups = len(top), _group_labels(top)
        names = [sub[j] or top[j] for j in range(width)]
        repeated = {n.casefold() for n in names if n and sum(m.casefold() == n.casefold() for m in names) > 1}
        # 'Finish' under both 'Baseline' and 'Actual': each keeps its group's label
        names = [f"{groups[j]} {names[j]}" if sub[j] and groups[j] and names[j].casefold() in repeated else names[j]
                 for j in range(width)]
        return names, [""] * width
    names = [_norm_header(c) for c in header[0]]
    return names, [""] * len(names)


def _dedupe(names: list[str], notes: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    taken = {n.casefold() for n in names}
    out: list[str] = []
    renamed: dict[str, list[str]] = {}
    for n in names:
        key = n.casefold()
        if key not in seen:
            seen[key] = 1
            out.append(n)
            continue
        k = seen[key]
        while True:
            k += 1
            candidate = f"{n} ({k})"
            if candidate.casefold() not in taken:
                break
        seen[key] = k
        taken.add(candidate.casefold())
        out.append(candidate)
        renamed.setdefault(n, [n]).append(candidate)
    for n, variants in renamed.items():
        notes.append(f"Column '{n}' appears {len(variants)} times: read as "
                     f"{', '.join(repr(v) for v in variants)}.")
    return out


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return ("." + base.rsplit(".", 1)[-1].lower()) if "." in base else ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _list_numbers(nums: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(x) for x in nums[:limit])
    if len(nums) > limit:
        shown += f" and {len(nums) - limit} more"
    return shown
