"""Reading .xlsx: python-calamine (the product's reader) against openpyxl's read-only mode (the
reader before, still used for a workbook with error cells), issue #22 item 7.

``python -m benchmarks.xlsx [--respondents 26000] [--repeats 5]`` writes a survey workbook the way
Excel keeps one (a title row and a merged heading above the header, the response date as a real
date cell, answers as numbers, ~3% skipped, 1% "not sure" as text): ``respondents`` rows x 23
columns (26,000 rows: ~600k cells), plus every .xlsx under tests/fixtures. Each is read with
``readers.read_file`` both ways, alternating, ``repeats`` times (median). The two results must be
the same table: the same column names, cells, source row numbers, sheet, header rows and notes.
Prints a table and ``RESULT {json}``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import generate  # noqa: E402
from pipelines.ingest import readers, workbooks  # noqa: E402


def survey_workbook(respondents: int) -> bytes:
    import numpy as np
    import openpyxl

    frame = generate.survey_frame(respondents, waves=12)
    unsure = set(np.random.default_rng(generate.SEED + 7).choice(respondents, respondents // 100,
                                                                 replace=False).tolist())
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Responses"
    sheet.append(["Partnership pulse survey: export"])
    sheet.append(["Respondent", None, None, "Answers (1 = strongly disagree, 5 = strongly agree)"])
    sheet.merge_cells("A2:C2")
    sheet.append(list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False), start=4):
        answers = [int(v) if v != "" else None for v in row[3:]]
        if i in unsure:
            answers[i % len(answers)] = "not sure"
        sheet.append([row[0], row[1], dt.date.fromisoformat(row[2]), *answers])
        sheet.cell(i, 3).number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table(data: bytes, name: str) -> tuple:
    t = readers.read_file(name, data)
    return (list(t.frame.columns), t.frame.to_dict("list"), t.source_rows, t.sheet, t.sheets, t.header_rows,
            t.source_format, t.question_text, t.notes)


def with_openpyxl(data: bytes, name: str) -> tuple:
    with mock.patch.object(workbooks, "_has_error_cells", lambda _data: True):
        return table(data, name)


def timed(read, data: bytes, name: str) -> tuple[float, tuple]:
    started = time.perf_counter()
    result = read(data, name)
    return time.perf_counter() - started, result


def measure(respondents: int, repeats: int) -> dict:
    cases = [("survey.xlsx", survey_workbook(respondents))]
    cases += [(str(p.relative_to(ROOT)), p.read_bytes()) for p in sorted((ROOT / "tests" / "fixtures").rglob("*.xlsx"))
              if p.read_bytes()[:2] == b"PK"]
    out = []
    for name, data in cases:
        times = {"calamine": [], "openpyxl": []}
        same = True
        for _ in range(repeats):
            a_s, a = timed(table, data, name)
            b_s, b = timed(with_openpyxl, data, name)
            times["calamine"].append(a_s)
            times["openpyxl"].append(b_s)
            same = same and a == b
        cells = len(a[1][a[0][0]]) * len(a[0]) if a[0] else 0
        out.append({"file": name, "bytes": len(data), "cells": cells, "same": same,
                    **{k: statistics.median(v) for k, v in times.items()},
                    "ratio": statistics.median(times["openpyxl"]) / statistics.median(times["calamine"])})
    return {"respondents": respondents, "repeats": repeats, "load": os.getloadavg(), "cases": out}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.xlsx", description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=26_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.respondents, args.repeats)
    print("| file | cells read | calamine | openpyxl | openpyxl / calamine | same table |\n|---|---:|---:|---:|---:|---|")
    for c in result["cases"]:
        print(f"| {c['file']} | {c['cells']:,} | {c['calamine'] * 1000:.0f} ms | {c['openpyxl'] * 1000:.0f} ms | "
              f"{c['ratio']:.1f}× | {'yes' if c['same'] else 'NO'} |")
    print("RESULT " + json.dumps(result))
    return 0 if all(c["same"] for c in result["cases"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
