"""Excel workbooks (.xlsx) -> the same RawTable a text file gives: the sheet with the data,
cells as the text a person sees in Excel (dates as dates, whole numbers without ".0")."""
from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile

from pipelines.ingest.readers import RawTable, ReadError, _build

# --------------------------------------------------------------------------------------------
# workbooks
# --------------------------------------------------------------------------------------------
def is_workbook_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def read_xlsx(name: str, data: bytes, sheet: str | None, notes: list[str]) -> RawTable:
    try:
        wb = _Openpyxl(data) if _has_error_cells(data) else _Calamine(data)
    except Exception as exc:  # BadZipFile, CalamineError, ZipError, XmlError, InvalidFileException
        raise ReadError(
            f"'{name}' could not be opened as an Excel workbook ({type(exc).__name__}). It may be "
            "damaged, or another format with an .xlsx name. Open it in Excel and save it again "
            "as 'Excel Workbook (.xlsx)', or export CSV from the tool.") from None
    try:
        sheets = wb.sheets
        if sheet is not None:
            chosen = _match_sheet(sheet, sheets)
            if chosen is None:
                raise ReadError(
                    f"'{name}' has no sheet named '{sheet}'. Its sheets are: "
                    f"{', '.join(repr(s) for s in sheets)}. Choose one of those.")
            if chosen not in wb.worksheets:
                raise ReadError(f"Sheet '{chosen}' of '{name}' is a chart, not a table of cells. "
                                "Choose another sheet.")
            rows = _sheet_rows(wb, chosen, name)
        else:
            chosen, rows, best = None, None, None
            for title in wb.worksheets:
                candidate = _sheet_rows(wb, title, name)
                score = candidate.table_score()
                if best is None or score > best:
                    chosen, rows, best = title, candidate, score
            if chosen is None:
                raise ReadError(f"'{name}' has no worksheets with cells. "
                                "Export the data again from the tool.")
            if len(sheets) > 1:
                notes.append(f"Read sheet '{chosen}' (it looks most like a table); the workbook "
                             f"has {len(sheets)} sheets: {', '.join(repr(s) for s in sheets)}. "
                             "Choose another sheet if this is not the data.")
    finally:
        wb.close()
    table = _build(name, rows, encoding=None, delimiter=None, sheet=chosen, sheets=sheets,
                   notes=notes, where=f"sheet '{chosen}' of '{name}'")
    levels = _outline_levels(data, chosen)
    if levels:
        table.outline_levels = [levels.get(row, 0) for row in table.source_rows]
    return table


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")
_OUTLINE = re.compile(rb"\boutlineLevel=\"(\d+)\"")
_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _outline_levels(data: bytes, title: str, chunk: int = 1 << 20) -> dict[int, int]:
    """Sheet row number -> its outline level, for the rows the sheet groups (``<row outlineLevel>``,
    which neither reader gives); empty when it groups none. Read in pieces, row tags only."""
    import xml.etree.ElementTree as ElementTree

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        try:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ElementTree.ParseError):
            return {}
        rid = next((s.get(_RELS) for s in book.iter() if s.tag.endswith("}sheet") and s.get("name") == title), None)
        target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
        if target is None:
            return {}
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if not _contains(zf, part, b"outlineLevel="):
            return {}  # most sheets group nothing: a plain search, not a parse of every row tag
        levels, tail, last = {}, b"", 0
        try:
            with zf.open(part) as xml:
                while piece := xml.read(chunk):
                    window = tail + piece
                    end = 0
                    for tag in _ROW_TAG.finditer(window):
                        end = tag.end()
                        number = _ROW_NUMBER.search(tag.group())
                        last = int(number.group(1)) if number else last + 1  # r is optional
                        level = _OUTLINE.search(tag.group())
                        if level and int(level.group(1)):
                            levels[last] = int(level.group(1))
                    tail = window[max(end, window.rfind(b"<")):] if b"<" in window[end:] else b""
        except KeyError:
            return {}
    return levels


class _Calamine:
    """A workbook read by python-calamine (Rust): 3-4x faster than openpyxl's read-only mode on
    large workbooks, the same cells after ``_cell_text`` (benchmarks/xlsx.py compares them)."""

    def __init__(self, data: bytes):
        import python_calamine  # imported here: text-only callers do not pay for it

        self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        self.sheets = list(self.book.sheet_names)
        self.worksheets = [m.name for m in self.book.sheets_metadata
                           if m.typ == python_calamine.SheetTypeEnum.WorkSheet]

    def values(self, title: str):
        """Every row from A1 (row numbers are the sheet's own), empty cells as ''."""
        return self.book.get_sheet_by_name(title).to_python(skip_empty_area=False)

    def close(self) -> None:
        self.book.close()


class _Openpyxl:
    """A workbook read by openpyxl: only for workbooks with error cells, which python-calamine
    reads as empty (python-calamine issue #105) where openpyxl gives their text ("#N/A"),
    which validation then names."""

    def __init__(self, data: bytes):
        import openpyxl

        self.book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        self.sheets = list(self.book.sheetnames)
        self._worksheets = {ws.title: ws for ws in self.book.worksheets}  # not chart sheets
        self.worksheets = list(self._worksheets)

    def values(self, title: str):
        ws = self._worksheets[title]
        ws.reset_dimensions()  # the stored dimension is often wrong; read every real cell
        return ws.iter_rows(values_only=True)

    def close(self) -> None:
        self.book.close()


_ERROR_CELL = b't="e"'  # a cell whose value is an error; in a sheet's XML only ever an attribute


def _has_error_cells(data: bytes, chunk: int = 1 << 20) -> bool:
    """Whether any worksheet of the workbook holds an error cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return any(_contains(zf, part, _ERROR_CELL, chunk) for part in zf.namelist()
                   if part.startswith("xl/worksheets/") and part.endswith(".xml"))


def _contains(zf: zipfile.ZipFile, part: str, text: bytes, chunk: int = 1 << 20) -> bool:
    """Whether ``part`` of the workbook holds ``text`` (read in pieces: a sheet's XML can be many
    times the upload's size)."""
    try:
        with zf.open(part) as xml:
            tail = b""  # the end of what was read: a match may span two pieces
            while piece := xml.read(chunk):
                window = tail + piece
                if text in window:
                    return True
                tail = window[-(len(text) - 1):]
    except KeyError:
        return False
    return False


def _match_sheet(wanted: str, sheets: list[str]) -> str | None:
    if wanted in sheets:
        return wanted
    folded = [s for s in sheets if s.strip().casefold() == wanted.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _sheet_rows(wb, title: str, name: str) -> "_SheetRows":
    """The sheet's rows as text, each cut after its last cell with content."""
    try:
        values = wb.values(title)
        rows: list[list[str | None]] = []
        for cells in values:
            row = [_cell_text(v) for v in cells] if cells else []
            while row and row[-1] is None:
                row.pop()
            rows.append(row)
    except Exception as exc:  # a damaged sheet part: CalamineError, XmlError, KeyError
        raise ReadError(
            f"Sheet '{title}' of '{name}' could not be read ({type(exc).__name__}). Open the workbook in "
            "Excel and save it again as 'Excel Workbook (.xlsx)', or export CSV from the tool.") from None
    while rows and not rows[-1]:
        rows.pop()
    return _SheetRows(rows)


def _cell_text(v) -> str | None:
    t = type(v)
    if t is str:
        return v if v and not v.isspace() else None
    if v is None:
        return None
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return str(v)
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            return None
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if t is _dt.datetime:
        if v.microsecond >= 500_000:
            v = v + _dt.timedelta(microseconds=1_000_000 - v.microsecond)
        v = v.replace(microsecond=0)
        if v.hour == v.minute == v.second == 0:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if t is _dt.date:
        return v.isoformat()
    if t is _dt.time:
        return v.replace(microsecond=0).isoformat()
    if t is _dt.timedelta:
        return str(v)
    if isinstance(v, (int, float)):  # numpy / decimal-like subclasses
        return _cell_text(float(v)) if isinstance(v, float) else str(int(v))
    return str(v)


class _SheetRows:
    """Converted rows of a worksheet; row numbers are the sheet's own (1-based)."""

    def __init__(self, rows: list[list[str | None]]):
        self.records = rows

    def __len__(self) -> int:
        return len(self.records)

    def row_number(self, i: int) -> int:
        return i + 1

    def cells(self, i: int) -> list[str | None]:
        return self.records[i]

    def nonblank(self) -> list[int]:
        return [i for i, r in enumerate(self.records) if r and r.count(None) != len(r)]

    def raw(self, indices: list[int]) -> list[list[str | None]]:
        recs = self.records
        return [recs[i] for i in indices]

    def table_score(self) -> tuple[int, int]:
        counts = [len(r) - r.count(None) for r in self.records if r]
        return (sum(1 for c in counts if c >= 2), sum(1 for c in counts if c))
