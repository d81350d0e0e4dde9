"""A page's chart cache: keyed by a digest of the chart's inputs, its data kept as Arrow bytes."""
import io

import pandas as pd
import pyarrow as pa

from app_pages.ui import downloads
from pipelines.present import views
from pipelines.present.links import LinkState
from pipelines.present.views.parts import ChartInput
from pipelines.store import Store


def frame(score: float) -> pd.DataFrame:
    return pd.DataFrame({"partner": ["Northwind", "Harbour Trust"], "index": [61.5, score]})


def test_the_same_inputs_have_the_same_key():
    assert ChartInput("spectrum", (frame(48.0),), {"a": 1, "b": 2}).key == \
        ChartInput("spectrum", (frame(48.0),), {"b": 2, "a": 1}).key


def test_one_changed_cell_changes_the_key():
    assert ChartInput("spectrum", (frame(48.0),)).key != ChartInput("spectrum", (frame(48.1),)).key


def test_another_builder_or_setting_changes_the_key():
    base = ChartInput("spectrum", (frame(48.0),), {"wave": "2026-Q3"})
    assert base.key != ChartInput("index_over_time", (frame(48.0),), {"wave": "2026-Q3"}).key
    assert base.key != ChartInput("spectrum", (frame(48.0),), {"wave": "2026-Q2"}).key


def test_the_key_is_not_part_of_equality_and_survives_a_copy():
    import pickle

    chart = ChartInput("spectrum", (frame(48.0),))
    assert pickle.loads(pickle.dumps(chart)).key == chart.key


def demo_spectrum(demo_db, monkeypatch) -> ChartInput:
    """The demo Overview's spectrum chart, as its view builds it."""
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(demo_db / "salt"))
    store = Store(demo_db / "demo.duckdb")
    try:
        return views.build(views.Source(store.cursor(), k=5), LinkState(page="overview")).spectrum
    finally:
        store.close()


def test_the_drawn_spec_holds_the_same_rows_as_arrow_bytes(demo_db, monkeypatch):
    chart = demo_spectrum(demo_db, monkeypatch)
    plain = downloads._spec(chart)
    drawn, table = downloads._drawn(chart.key, chart)
    assert table.title == plain.pop("usermeta")["table"]["title"]  # the table goes beside, not to the browser
    assert drawn.keys() == plain.keys()
    assert set(drawn["datasets"]) == set(plain["datasets"])
    for name, rows in plain["datasets"].items():
        table = pa.ipc.open_stream(io.BytesIO(drawn["datasets"][name])).read_all()
        assert table.num_rows == len(rows)
        assert table.column_names[: len(rows[0])] == list(rows[0])


def test_every_session_reads_one_drawn_spec_and_streamlit_leaves_it_as_it_was(demo_db, monkeypatch):
    import copy

    import streamlit as st

    chart = demo_spectrum(demo_db, monkeypatch)
    downloads.forget_drawn()
    first, _ = downloads._shared_drawn(chart.key, chart)
    kept = copy.deepcopy(first)
    st.vega_lite_chart(first, theme=None)  # as a page draws it: Streamlit's copy takes the datasets out
    again, _ = downloads._shared_drawn(chart.key, chart)
    assert again is first and again == kept  # shared, not unpickled per run, and unchanged by drawing
    downloads.forget_drawn()
    assert downloads._shared_drawn(chart.key, chart)[0] is not first


def test_a_page_table_says_not_shown_for_a_hidden_group_and_leaves_other_gaps_empty():
    frame = pd.DataFrame({"Wave": ["2025-Q1", "2025-Q2", "2025-Q3"],
                          "Respondents": [14.0, None, 15.0],
                          "Collaboration index": [61.6, None, 53.0],
                          "Index change": [None, None, -8.6],
                          "Not shown because": [None, "fewer than 5 responses", None]})
    shown = downloads.as_shown(frame)
    assert shown.to_dict("list") == {
        "Wave": ["2025-Q1", "2025-Q2", "2025-Q3"],
        "Respondents": ["14", "not shown", "15"],
        "Collaboration index": ["61.6", "not shown", "53.0"],
        "Index change": ["", "not shown", "-8.6"],
        "Not shown because": ["", "fewer than 5 responses", ""]}


def test_a_page_table_says_why_a_shown_row_has_no_number_and_leaves_the_why_column_out():
    frame = pd.DataFrame({"Partner": ["Kestrel Design", "Pipwell Ecology", "Harbour Civils"],
                          "Index change": [7.2, None, None],
                          "Why no index change": [None, None, "none: 2025-Q4 not shown"],
                          "Not shown because": [None, "fewer than 5 responses", None]})
    assert downloads.as_shown(frame).to_dict("list") == {
        "Partner": ["Kestrel Design", "Pipwell Ecology", "Harbour Civils"],
        "Index change": ["7.2", "not shown", "none: 2025-Q4 not shown"],
        "Not shown because": ["", "fewer than 5 responses", ""]}


def test_a_page_table_without_gaps_is_left_as_it_is():
    frame = pd.DataFrame({"Wave": ["2025-Q1"], "Respondents": [14]})
    assert downloads.as_shown(frame) is frame
