"""Charts with their PNG/SVG downloads and their data as a table one click away, and CSV
downloads of tables."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from pipelines.present import charts, exports
from pipelines.present.charts import NOT_SHOWN
from pipelines.present.views.parts import HIDDEN_BECAUSE, ChartInput


# -- downloads --------------------------------------------------------------------------
def _spec(chart: ChartInput) -> dict:
    return getattr(charts, chart.builder)(*chart.args, **chart.kwargs).to_dict()


class Table(NamedTuple):
    """A chart's numbers as the page lays them out, when not the chart's own table."""
    title: str
    frame: pd.DataFrame
    column_config: dict | None = None


def _own_table(spec: dict) -> Table | None:
    own = charts.table_of(spec)
    return None if own is None else Table(*own)


@st.cache_data(show_spinner=False, max_entries=256)
def _drawn(key: str, _chart: ChartInput) -> tuple[dict, Table | None]:
    """A chart's Vega-Lite spec as drawn and its own table, cached by its inputs' digest
    (``ChartInput.key``, not its frames hashed again): Altair's building and validation cost far
    more than drawing, and the datasets are kept as Arrow IPC bytes, converted as
    ``st.vega_lite_chart`` converts them (it passes bytes on as they are), so a warm rerun
    converts nothing again."""
    spec = _spec(_chart)
    own = _own_table(spec)
    if "datasets" in spec:
        spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(values)
                            for name, values in spec["datasets"].items()}
    return spec, own


def show_chart(name: str, chart: ChartInput, *, key: str | None = None, on_select=None,
               table: Table | None = None):
    """Show a view model's chart (a ``pipelines.present.charts`` builder and its inputs): see
    ``show_spec``."""
    spec, own = _drawn(chart.key, chart)
    return _show(spec, name, lambda: _spec(chart), key=key, on_select=on_select, table=table or own)


def show_spec(spec: dict, name: str, *, alt: str | None = None, key: str | None = None, on_select=None,
              table: Table | None = None):
    """Show a chart's Vega-Lite spec with PNG and SVG downloads (rendered only when clicked)
    and, one click away, its data as a table: ``table``, else the chart's own
    (``charts.with_table``). Returns the selection event when ``on_select`` is set."""
    own = _own_table(spec)
    return _show(spec, name, lambda: spec, alt=alt, key=key, on_select=on_select, table=table or own)


def _show(spec: dict, name: str, spec_of, *, alt: str | None = None, key: str | None = None, on_select=None,
          table: Table | None = None):
    # theme=None keeps the charts' own projector-sized fonts and colours; the width is left
    # to Streamlit (stretch for single views, the chart's own for small multiples).
    options = {"theme": None}
    if alt is not None:
        options["alt"] = alt
    if on_select is not None:
        options.update(on_select=on_select, key=key)
    event = st.vega_lite_chart(spec, **options)
    chart_downloads(spec_of, name)
    if table is not None:
        data_table(table, name)
    return event


def data_table(table: Table, name: str) -> None:
    """A chart's data one click away: an expander "<title> as a table" with the table and its CSV."""
    with st.expander(f"{table.title} as a table", icon=":material/table_view:"):
        st.dataframe(as_shown(table.frame), hide_index=True, width="stretch", column_config=table.column_config)
        csv_download(table.frame, name)


def as_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A page table with empty cells as words: in a row whose group is not shown (its
    ``HIDDEN_BECAUSE`` says why) the numbers read "not shown"; elsewhere an empty cell stays empty
    (Streamlit would print "None"). Numbers as the page shows them: whole numbers without
    decimals, others to one decimal."""
    if not frame.isna().to_numpy().any():
        return frame
    hidden = frame[HIDDEN_BECAUSE].notna().to_numpy() if HIDDEN_BECAUSE in frame else np.zeros(len(frame), bool)
    out = frame.astype(object).where(frame.notna(), "")
    for column in frame.select_dtypes("number").columns:
        values = frame[column]
        whole = bool((values.dropna() % 1 == 0).all())
        out[column] = [NOT_SHOWN if h and pd.isna(v) else "" if pd.isna(v) else f"{v:.0f}" if whole else f"{v:.1f}"
                       for v, h in zip(values, hidden)]
    return out


def chart_downloads(spec_of, name: str) -> None:
    """PNG and SVG buttons; ``spec_of()`` makes the chart's Vega-Lite spec, only when one is clicked."""
    row = st.container(horizontal=True, gap="small")  # buttons keep their width in narrow columns
    stem = exports.slug(name)  # a partner's or a wave's name is no file name as it stands
    row.download_button("PNG", data=lambda: charts.to_png(spec_of()), file_name=f"{stem}.png",
                        mime="image/png", on_click="ignore", icon=":material/image:",
                        key=f"png-{name}", help="Download this chart as a PNG image")
    row.download_button("SVG", data=lambda: charts.to_svg(spec_of()), file_name=f"{stem}.svg",
                        mime="image/svg+xml", on_click="ignore", icon=":material/draw:",
                        key=f"svg-{name}", help="Download this chart as an SVG (vector) image")


def csv_download(frame: pd.DataFrame, name: str, label: str = "CSV") -> None:
    """A CSV download of a table; cells Excel would run as formulas are neutralised."""
    st.download_button(label, data=lambda: exports.to_csv_bytes(frame), file_name=f"{exports.slug(name)}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:",
                       key=f"csv-{name}", help="Download this table as CSV")
