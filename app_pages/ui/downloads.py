"""Charts with their PNG/SVG downloads and their data as a table one click away, and CSV
downloads of tables."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from pipelines.present import charts, exports
from pipelines.present.views.parts import ChartInput


# -- downloads --------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def _chart_spec(builder: str, args: tuple, kwargs: dict) -> dict:
    """A chart's Vega-Lite spec, cached by its inputs: Altair's object building and
    validation cost far more than drawing, so a warm rerun reuses the spec."""
    return getattr(charts, builder)(*args, **kwargs).to_dict()


class Table(NamedTuple):
    """A chart's numbers as the page lays them out, when not the chart's own table."""
    title: str
    frame: pd.DataFrame
    column_config: dict | None = None


def show_chart(name: str, chart: ChartInput, *, key: str | None = None, on_select=None,
               table: Table | None = None):
    """Show a view model's chart (a ``pipelines.present.charts`` builder and its inputs): see
    ``show_spec``."""
    return show_spec(_chart_spec(chart.builder, chart.args, dict(chart.kwargs)), name, key=key,
                     on_select=on_select, table=table)


def show_spec(spec: dict, name: str, *, alt: str | None = None, key: str | None = None, on_select=None,
              table: Table | None = None):
    """Show a chart's Vega-Lite spec with PNG and SVG downloads (rendered only when clicked)
    and, one click away, its data as a table: ``table``, else the chart's own
    (``charts.with_table``). Returns the selection event when ``on_select`` is set."""
    own = charts.table_of(spec)
    # theme=None keeps the charts' own projector-sized fonts and colours; the width is left
    # to Streamlit (stretch for single views, the chart's own for small multiples).
    options = {"theme": None}
    if alt is not None:
        options["alt"] = alt
    if on_select is not None:
        options.update(on_select=on_select, key=key)
    event = st.vega_lite_chart(spec, **options)
    chart_downloads(spec, name)
    table = table or (Table(*own) if own is not None else None)
    if table is not None:
        data_table(table, name)
    return event


def data_table(table: Table, name: str) -> None:
    """A chart's data one click away: an expander "<title> as a table" with the table and its CSV."""
    with st.expander(f"{table.title} as a table", icon=":material/table_view:"):
        st.dataframe(table.frame, hide_index=True, width="stretch", column_config=table.column_config)
        csv_download(table.frame, name)


def chart_downloads(chart, name: str) -> None:
    row = st.container(horizontal=True, gap="small")  # buttons keep their width in narrow columns
    stem = exports.slug(name)  # a partner's or a wave's name is no file name as it stands
    row.download_button("PNG", data=lambda: charts.to_png(chart), file_name=f"{stem}.png",
                        mime="image/png", on_click="ignore", icon=":material/image:",
                        key=f"png-{name}", help="Download this chart as a PNG image")
    row.download_button("SVG", data=lambda: charts.to_svg(chart), file_name=f"{stem}.svg",
                        mime="image/svg+xml", on_click="ignore", icon=":material/draw:",
                        key=f"svg-{name}", help="Download this chart as an SVG (vector) image")


def csv_download(frame: pd.DataFrame, name: str, label: str = "CSV") -> None:
    """A CSV download of a table; cells Excel would run as formulas are neutralised."""
    st.download_button(label, data=lambda: exports.to_csv_bytes(frame), file_name=f"{exports.slug(name)}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:",
                       key=f"csv-{name}", help="Download this table as CSV")
