"""Charts with their PNG/SVG downloads, and CSV downloads of tables."""
from __future__ import annotations

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


def show_chart(name: str, chart: ChartInput, *, key: str | None = None, on_select=None,
               downloads: bool = True):
    """Show a view model's chart (a ``pipelines.present.charts`` builder and its inputs), with
    PNG and SVG downloads that are rendered only when clicked. Returns the selection event
    when ``on_select`` is set."""
    spec = _chart_spec(chart.builder, chart.args, dict(chart.kwargs))
    # theme=None keeps the charts' own projector-sized fonts and colours; the width is left
    # to Streamlit (stretch for single views, the chart's own for small multiples).
    options = {"theme": None}
    if on_select is not None:
        options.update(on_select=on_select, key=key)
    event = st.vega_lite_chart(spec, **options)
    if downloads:
        chart_downloads(spec, name)
    return event


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
