"""What no real export is: the sizes at which a file is refused, before any work that grows with them.

A 100,000-column file kept the loader busy for minutes. The widest exports a programme has (a
Qualtrics survey with every metadata and embedded-data column, a Jira export with all its custom
fields) have a few hundred columns; Excel holds at most 32,767 characters in a cell; a row holds a few
long texts at most. ``readers`` asks these as it reads; each answer is the message to show, or None.
"""
from __future__ import annotations

import csv
import io
import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_COLUMNS = 2_000
MAX_CELL_CHARS = 1_000_000
MAX_LINE_BYTES = 4 * MAX_CELL_CHARS

_FIELD_LIMIT = "field larger than field limit"  # csv.Error's words for a cell past csv.field_size_limit


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def long_line(name: str, data: bytes) -> str | None:
    """A line of the file's bytes longer than MAX_LINE_BYTES (looked for before decoding)."""
    if len(data) <= MAX_LINE_BYTES:
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not ends.size:  # old Mac line ends, or none at all
        ends = np.flatnonzero(raw == 13)
    lengths = np.diff(np.concatenate([[-1], ends, [len(data)]])) - 1
    longest = int(np.argmax(lengths))
    if lengths[longest] <= MAX_LINE_BYTES:
        return None
    return (f"Line {longest + 1} of '{name}' is {human_size(int(lengths[longest]))} long, over the limit of "
            f"{human_size(MAX_LINE_BYTES)} for one line, so the file is not an export that can be read as a "
            "table. Check that it is the right file (one without line breaks is not a table), or export it again.")


def wide_or_long_top(name: str, text: str, delimiter: str, records: int) -> str | None:
    """A record among the first ``records`` (where the header is looked for) wider than MAX_COLUMNS, or
    a cell there past MAX_CELL_CHARS, found before the rest of the file is read."""
    csv.field_size_limit(MAX_CELL_CHARS)  # a longer cell is a csv.Error (a process-wide setting)
    # line by line: a StringIO would copy the whole text to read its first records
    reader = csv.reader(_lines(text) if "\n" in text else io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(itertools.islice(reader, records), 1):
            if len(record) > MAX_COLUMNS:
                return too_wide(f"'{name}'", len(record), number)
    except csv.Error as problem:
        return cell_too_long(name, reader.line_num) if is_cell_past_limit(problem) else None
    return None


def _lines(text: str):
    """The text's lines with their ends, as they are read."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def is_cell_past_limit(problem: csv.Error) -> bool:
    return _FIELD_LIMIT in str(problem)


def first_long_cell(columns: list[pa.ChunkedArray]) -> int | None:
    """The first row of Arrow text columns with a cell past MAX_CELL_CHARS."""
    lengths = [pc.utf8_length(c) for c in columns]
    rows = [pc.index(pc.greater(n, MAX_CELL_CHARS), True).as_py() for n in lengths
            if (pc.max(n).as_py() or 0) > MAX_CELL_CHARS]
    return min(rows) if rows else None


def too_wide(where: str, width: int, row: int) -> str:
    return (f"{where} has {width:,} columns (row {row}), more than the {MAX_COLUMNS:,} any export has, so nothing "
            "was read. Check that it is the right file and that one delimiter separates its columns, or export "
            "only the columns the programme needs.")


def cell_too_long(name: str, line: int) -> str:
    return (f"'{name}' has a cell of more than {MAX_CELL_CHARS:,} characters (by line {line}), which no export "
            "tool writes (Excel stops at 32,767), so nothing was read. A quote that is opened and never closed "
            f"makes the rest of a file one cell: check the quotes up to line {line}, or shorten that cell, "
            "and export again.")
