"""Which character separates a text export's columns: ``,`` ``;`` tab or ``|``.

Decided from the structure of the first records, read with their quoting (a quoted cell may hold
delimiters and line breaks), never by counting characters: a Jira "all fields" export's comment cells
read ``20/Sep/25 10:00 AM;user;text`` and its descriptions run over several lines, yet it is
comma-separated. A person can always choose the delimiter instead (``read_file(delimiter=)``).
"""
from __future__ import annotations

import csv
import io
import tempfile

import duckdb
import numpy as np

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DELIMITER_NAMES = {name: d for d, name in DELIMITER_WORDS.items()}  # what a person chooses by
SNIFF_CHARS = 128 * 1024


def sniff_delimiter(text: str, ext: str) -> str:
    """The delimiter that gives the sample's records one consistent width, read with their quoting
    (a quoted cell may hold delimiters and line breaks: a Jira comment reads
    ``20/Sep/25 10:00 AM;user;text``). DuckDB's CSV sniffer decides; the records' own field counts
    decide when it cannot."""
    sample = _sample_records(text)
    found = _duckdb_delimiter(sample)
    return found if found is not None else _consistent_delimiter(sample, ext)


def _sample_records(text: str) -> str:
    """The first SNIFF_CHARS of ``text``, cut at a line end outside quotes (an even number of
    quote characters before it), so no record is cut in two."""
    if len(text) <= SNIFF_CHARS:
        return text
    cut = text.rfind("\n", 0, SNIFF_CHARS)
    quotes = text.count('"', 0, cut) if cut > 0 else 0
    while cut > 0 and quotes % 2:
        previous = text.rfind("\n", 0, cut)
        quotes -= text.count('"', max(previous, 0), cut)
        cut = previous
    return text[:cut] if cut > 0 else text[:SNIFF_CHARS]


def _duckdb_delimiter(sample: str) -> str | None:
    """DuckDB's sniff_csv over the sample: the delimiter when it is one of DELIMITERS and splits the
    records into more than one column, else None."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        handle.write(sample.encode("utf-8"))
        handle.flush()
        con = duckdb.connect()
        try:
            found = con.execute("""SELECT Delimiter, len(Columns) FROM sniff_csv(?, sample_size = -1,
                strict_mode = false, all_varchar = true)""", [handle.name]).fetchone()
        except duckdb.Error:
            return None
        finally:
            con.close()
    if found is None or found[0] not in DELIMITERS or found[1] < 2:
        return None
    return found[0]


def _consistent_delimiter(sample: str, ext: str) -> str:
    """The delimiter under which most of the sample's records (read with their quoting) have one
    width above 1, as a share of the records it makes; then the wider."""
    best, best_score = None, (0.0, 0)
    for d in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=d)
                      if r and any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not counts:
            continue
        values, freq = np.unique(np.array(counts), return_counts=True)
        multi = [(f, v) for v, f in zip(values.tolist(), freq.tolist()) if v > 1]
        if not multi:
            continue
        f, v = max(multi)
        score = (round(f / len(counts), 2), v)
        if score > best_score:
            best, best_score = d, score
    if best is None:  # one column: the extension decides
        return "\t" if ext in (".tsv", ".tab") else ","
    return best
