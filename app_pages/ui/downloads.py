"""Charts with their PNG/SVG downloads, and CSV downloads of tables."""
from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from pipelines.present import charts, exports
from pipelines.present.views.parts import ChartInput


# -- downloads --------------------------------------------------------------------------
def _spec(chart: ChartInput) -> dict:
    return getattr(charts, chart.builder)(*chart.args, **chart.kwargs).to_dict()


@st.cache_data(show_spinner=False, max_entries=256)
def _drawn_spec(key: str, _chart: ChartInput) -> dict:
    """A chart's Vega-Lite spec as drawn, cached by its inputs' digest (``ChartInput.key``, not
    its frames hashed again): Altair's building and validation cost far more than drawing, and
    its datasets are kept as Arrow IPC bytes, converted as ``st.vega_lite_chart`` converts them
    (it passes bytes on as they are), so a warm rerun converts nothing again."""
    spec = _spec(_chart)
    if "datasets" in spec:
        spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(values)
                            for name, values in spec["datasets"].items()}
    return spec


def show_chart(name: str, chart: ChartInput, *, key: str | None = None, on_select=None,
               downloads: bool = True):
    """Show a view model's chart (a ``pipelines.present.charts`` builder and its inputs), with
    PNG and SVG downloads that are rendered only when clicked. Returns the selection event
    when ``on_select`` is set."""
    spec = _drawn_spec(chart.key, chart)
    # theme=None keeps the charts' own projector-sized fonts and colours; the width is left
    # to Streamlit (stretch for single views, the chart's own for small multiples).
    options = {"theme": None}
    if on_select is not None:
        options.update(on_select=on_select, key=key)
    event = st.vega_lite_chart(spec, **options)
    if downloads:
        chart_downloads(lambda: _spec(chart), name)
    return event


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
