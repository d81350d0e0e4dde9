"""Whatever a small CSV holds, `load` answers with an exit code the README names and a message, never a
traceback, and a load it refuses leaves the store exactly as it was. Hypothesis writes the files, for
every dataset: the dataset's own headers (some optional ones left out, a stray column added), and cells
that are blank, NaN-like (nan, NULL, #N/A, -), huge numbers, odd Unicode, byte-order marks, quotes,
line breaks, or plausible values of the right kind, so that some files load and others fail deep in.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_inputs import PARTNERS, run_cli, snapshot

from pipelines import ingest
from pipelines.ingest.fields import DATASETS
from pipelines.programme import bootstrap
from pipelines.programme.instrument import default_item_ids
from pipelines.store import Store


def in_days(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


ODD = ["", " ", "\t", "nan", "NaN", "NULL", "null", "#N/A", "N/A", "-", "None", "?", "TBC", "\ufeff", "\ufeffYes",
       '"', '""', "'", "a,b", "line\nbreak", "1e308", "-1e308", "1e999", "99999999999999999999999999",
       "0x1F", "\u202eevil", "\U0001D518\U0001D52B", "e\u0301", "\u00a0", "\u200b", "ﷺ", "=1+1", "x" * 201]
KINDS = {
    "date": ["2025-01-05", "05/01/2025", "01/05/2025", "31/02/2025", "2025-13-01", in_days(0), in_days(31),
             in_days(40), "2099-01-01", "1899-12-31", "45000", "Mon 6 Jan 2025 10:00"],
    "bool": ["Yes", "No", "Y", "n", "TRUE", "0", "maybe"],
    "number": ["1", "5", "7", "0", "-1", "11", "12", "4,5", "1,234", "2.5"],
    "partner": ["Kestrel Design", "Harbour Civils", "Kestrel Design Ltd", "Acme ![x](http://e.example)"],
    "partners": ["Kestrel Design", "Kestrel Design; Harbour Civils", "Harbour Civils;;"],
    "text": ["I-1", "I-2", "M-1", "SG1", "shared goals", "Mutual accountability", "High", "Red", "P1", "Open"],
}
ANSWERS = ["1", "3", "5", "Agree", "Strongly disagree", "5 - Strongly agree", "9", "lots", "3.5"]
ITEMS = default_item_ids()


def cell(kind: str):
    return st.one_of(st.sampled_from(KINDS[kind]), st.sampled_from(ODD), st.text(max_size=3))


def columns(dataset: str) -> list[tuple[str, str, bool]]:
    """(header, kind of value, required) of each column a file of the dataset has."""
    if dataset == "survey":
        return ([("Respondent ID", "text", False), ("Organisation", "partner", True), ("Wave", "wave", True)]
                + [(item, "answer", False) for item in ITEMS])
    return [(f.label, f.kind, f.required) for f in DATASETS[dataset]]


@st.composite
def csv_files(draw, dataset: str) -> bytes:
    chosen = [c for c in columns(dataset) if c[2] or draw(st.booleans())]
    if draw(st.booleans()):
        chosen.append(("Notes", "text", False))
    values = {"wave": st.one_of(st.sampled_from(["2025-Q1", "2025-03", "2099-Q1", "Spring", "2025-Q5"]),
                                st.sampled_from(ODD)),
              "answer": st.one_of(st.sampled_from(ANSWERS), st.sampled_from(ODD))}
    rows = draw(st.lists(st.tuples(*[values[kind] if kind in values else cell(kind) for _, kind, _ in chosen]),
                         min_size=1, max_size=5))
    text = io.StringIO()
    csv.writer(text, lineterminator=draw(st.sampled_from(["\r\n", "\n"]))).writerows(
        [[header for header, _, _ in chosen], *rows])
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.getvalue().encode("utf-8")


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_load_of_a_random_small_csv_never_crashes_and_a_refusal_changes_nothing(dataset, tmp_path):
    store = Store(tmp_path / "programme.duckdb")
    bootstrap.ensure_instrument(store)
    ingest.commit(store, ingest.prepare(store, "partners", "partners.csv", PARTNERS))
    path = tmp_path / f"{dataset}.csv"

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(csv_files(dataset))
    def load(data):
        path.write_bytes(data)
        before = snapshot(store)
        code, out, err = run_cli(store, "load", path, "--dataset", dataset,
                                 "--write-mapping", tmp_path / "mapping.json")
        assert code in (0, 1, 2), (code, out, err)
        assert "Traceback" not in out + err
        assert err.strip() or out.strip()
        if code:
            assert snapshot(store) == before, err
    try:
        load()
    finally:
        store.close()
