"""Charts with their PNG/SVG downloads and their data as a table one click away, and CSV
downloads of tables."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, NamedTuple

import numpy as np
import pyarrow as pa
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from pipelines.present import charts, exports
from pipelines.present.charts import NOT_SHOWN
from pipelines.present.views.parts import HIDDEN_BECAUSE, ChartInput, charts_in, why_empty


# -- downloads --------------------------------------------------------------------------
def _spec(chart: ChartInput) -> dict:
    # not validated against the Vega-Lite schema on every draw (a quarter of drawing the Partner
    # profile's factors over time): the tests validate every builder's spec
    return getattr(charts, chart.builder)(*chart.args, **chart.kwargs).to_dict(validate=False)


class Table(NamedTuple):
    """A chart's numbers as the page lays them out, when not the chart's own table: the frame, or
    a function that makes it when the table is opened (a chart drawn anew on every slider step)."""
    title: str
    frame: pd.DataFrame | Callable[[], pd.DataFrame]
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


@st.cache_resource(show_spinner=False, max_entries=32)
def _shared_drawn(key: str, _chart: ChartInput) -> tuple[dict, Table | None]:
    # one spec read by every session (st.vega_lite_chart copies it before changing it): a run no
    # longer unpickles its charts' specs and datasets from ``_drawn`` (a twentieth of each
    # session's server time when 15 people opened one link); ``_drawn`` keeps the byte budget
    return _drawn(key, _chart)


def forget_drawn() -> None:
    """The charts drawn and shared (``_drawn`` goes with ``st.cache_data.clear()``)."""
    _shared_drawn.clear()


def predraw(view) -> None:
    """Draw a view's page charts into the chart cache (``_drawn``) outside a page run: the
    warm-up does it for the first views, whose first open spent most of its time here (the
    Partner profile's factors over time: about 1 s of Altair at 1M answers)."""
    for chart in charts_in(view):
        if hasattr(charts, chart.builder):  # the pack's own slide charts are drawn by the pack
            _shared_drawn(chart.key, chart)


def show_chart(name: str, chart: ChartInput, *, key: str | None = None, on_select=None,
               table: Table | None = None):
    """Show a view model's chart (a ``pipelines.present.charts`` builder and its inputs): see
    ``show_spec``."""
    spec, own = _shared_drawn(chart.key, chart)
    return _show(spec, name, lambda: _spec(chart), key=key, on_select=on_select, table=table or own)


def show_spec(spec: dict, name: str, *, alt: str | None = None, key: str | None = None, on_select=None,
              table: Table | None = None):
    """Show a chart's Vega-Lite spec with PNG and SVG downloads (rendered only when clicked)
    and, one click away, its data as a table: ``table``, else the chart's own
    (``charts.with_table``). Returns the selection event when ``on_select`` is set."""
    own = _own_table(spec)
    drawn = {**spec, "datasets": {n: _arrow(rows) for n, rows in spec["datasets"].items()}} if "datasets" in spec else spec
    return _show(drawn, name, lambda: spec, alt=alt, key=key, on_select=on_select, table=table or own)


def _arrow(rows) -> bytes:
    """A dataset of a spec made on every run (What-if's strip on every slider step) as Arrow IPC
    bytes, made straight from its rows: ``st.vega_lite_chart``'s own conversion goes through a
    pandas frame, a sixth of a slider step's server time. Its records are plain numbers, strings,
    booleans and None (None stays null, as the pandas way gives for text)."""
    if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
        try:
            return dataframe_util.convert_arrow_table_to_arrow_bytes(pa.Table.from_pylist(rows))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column of mixed types: Streamlit's way mends it
            pass
    return dataframe_util.convert_anything_to_arrow_bytes(rows)


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
    """A chart's data one click away: an expander "<title> as a table" with the table and its CSV,
    made when it is opened (a rerun): made and sent closed on every run, the chart tables were a
    fifth of each session's server time when 15 people opened one link at once, and What-if sent
    its table again on every slider step. Open, it stays open across reruns (its key)."""
    shown = st.expander(f"{table.title} as a table", icon=":material/table_view:", key=f"table-{name}",
                        on_change="rerun")
    if shown.open:
        with shown:
            frame = table.frame() if callable(table.frame) else table.frame
            page_table(frame, name, column_config=table.column_config)


# -- how a page table is laid out -------------------------------------------------------------
# At 1024 px a page's column is 564 px wide (measured in Chromium): a table as wide as its longest
# cells hides its right-hand columns behind a sideways scroll ("Owne", "Corve..."). So every page
# table is laid out by one rule (``layout``): the columns the reader came for first, and, when the
# columns at their own widths would not fit ``TABLE_PX``, the text columns that save the most wrapped
# into up to ``WRAP_LINES`` lines (never narrower than their header or longest word) until the table
# fits; a table that fits keeps one-line rows. Other columns are as wide as Streamlit measures them (a
# fixed "small" width cut headers such as "With this scenario"). The row's name is pinned only in a
# table with whole columns out of view: Streamlit widens every unpinned column of a stretched table to
# the page's width, so at 1440 px a pinned name stayed as narrow as 1024 px needed. Rows keep the
# height chosen for 1024 px at every width: the grid's row height is one number in pixels, and the
# server does not know the browser's width (a height per width would need a second run).
TABLE_PX = 540       # the page's column at 1024 px (564 px) less the grid's border and row markers
CHAR_PX = 6.6        # an average character of the grid's 14 px font
CELL_PAD_PX = 24     # a cell's padding
HEADER_PAD_PX = 36   # a header's padding and its sort mark
WRAP_LINES = (3, 4)  # lines a long text cell wraps to: three, four when three do not fit
WRAP_ROW_HEIGHT = 70  # px, three lines; Streamlit's grid wraps text only in rows taller than 4 rem (64 px)
LINE_PX = 20         # px a further line adds to a row
LINE_SLACK = 3       # characters a line leaves empty where a word does not fit at its end
WRAP_ROWS_SHOWN = 10  # wrapped rows in view before the table scrolls
HEADER_HEIGHT = 35   # px, the grid's header row


class Layout(NamedTuple):
    frame: pd.DataFrame | pa.Table
    column_config: dict
    row_height: int | None
    height: int | str  # wrapped rows: every row in view (the grid's auto height shows five of them)


def _px(chars: int, pad: int = CELL_PAD_PX) -> int:
    return round(chars * CHAR_PX + pad)


def _widths(header_text: str, values: pd.Series, lines: int) -> tuple[int, int | None]:
    """A column's width in pixels on one line, and wrapped into ``lines`` lines (enough for its
    longest cell and its longest word whole, never narrower than its header); None when wrapping
    would not make a text column narrower."""
    texts = [str(v) for v in values if pd.notna(v)]
    longest = max(map(len, texts), default=0)
    header = _px(len(header_text), HEADER_PAD_PX)
    one_line = max(_px(longest), header)
    if not any(" " in t for t in texts):
        return one_line, None
    word = max(len(w) for t in texts for w in t.split() or [""])
    wrapped = max(_px(max(word, -(-longest // lines) + LINE_SLACK)), header)
    return one_line, wrapped if wrapped < one_line else None


class _Wraps(NamedTuple):
    widths: dict[str, int]  # every column's, when some wrap; {} when none does
    lines: int
    scrolls: bool           # whole columns out of view at 1024 px, however they wrap


def _wraps(shown: pd.DataFrame, headers: dict[str, str], room: int) -> _Wraps:
    """Every column's width when some must wrap to fit ``room`` px (the most saving wrapped first,
    in the fewest lines that fit), and the lines; no widths and one line for a table that fits on one
    line. Widths are given to every column then: Streamlit measures a column wider than its text needs."""
    order = list(headers)
    one_line = {column: _widths(headers[column], shown[column], 1)[0] for column in order}
    if sum(one_line.values()) <= room:
        return _Wraps({}, 1, False)
    for lines in WRAP_LINES:
        widths = {column: _widths(headers[column], shown[column], lines) for column in order}
        chosen = dict(one_line)
        for column in sorted((c for c in order if widths[c][1] is not None),
                             key=lambda c: widths[c][1] - widths[c][0]):
            chosen[column] = widths[column][1]
            if sum(chosen.values()) <= room:
                return _Wraps(chosen, _fewest_lines(shown, headers, chosen, one_line), False)
    # a few px over: every column still in view. On one line if that is all it takes (wrapping
    # that saved a px or two made every row of the partner's participation 90 px tall)
    if sum(one_line.values()) - room < min(one_line.values()):
        return _Wraps({}, 1, False)
    if sum(chosen.values()) - room < min(chosen.values()):
        return _Wraps(chosen, _fewest_lines(shown, headers, chosen, one_line), False)
    # a whole column out of view however they wrap (a matrix of partners): wrapping would only make
    # every row taller; each column whole on one line, the row's name pinned, the rest scroll. Their
    # widths are Streamlit's own (header and cells measured): ours, with room for a sort mark, put
    # two of the matrix's seven partners out of view at 1440 px too
    return _Wraps({}, 1, True)


def _fewest_lines(shown: pd.DataFrame, headers: dict[str, str], chosen: dict[str, int],
                  one_line: dict[str, int]) -> int:
    """The fewest lines each wrapped column's cells fit in at its chosen width (the rows' height):
    a column held wide by its header or longest word may need three where four were tried."""
    wrapped = [c for c in chosen if chosen[c] < one_line[c]]
    for lines in WRAP_LINES:
        if all((_widths(headers[c], shown[c], lines)[1] or one_line[c]) <= chosen[c] for c in wrapped):
            return lines
    return WRAP_LINES[-1]


def layout(frame: pd.DataFrame, first: tuple[str, ...] = (), column_config: dict | None = None) -> Layout:
    """A page table as shown (``as_shown``) and laid out: the ``first`` columns (the row's name, then
    the numbers the reader came for) leftmost in that order, the leftmost pinned where whole columns
    scroll out of view; long text wrapped (taller rows) rather than widened, only as far as the table
    needs to fit. ``column_config`` adds formats, help, a shorter header (``label``, measured in its
    place) and, where Streamlit's measure cuts a cell, a width in pixels."""
    shown = as_shown(frame)
    order = [c for c in first if c in shown] + [c for c in shown if c not in first]
    shown = shown[order]
    configs = {c: (column_config or {}).get(c) or {} for c in order}
    given = {c: configs[c].get("width") for c in order}
    wraps = _wraps(shown, {c: configs[c].get("label") or str(c) for c in order if not given[c]},
                   TABLE_PX - sum(int(w) for w in given.values() if isinstance(w, int)))
    numbers = set(frame.select_dtypes("number").columns)
    config = {}
    for position, column in enumerate(order):
        entry = dict(configs[column] or st.column_config.Column())
        entry["width"] = given[column] or wraps.widths.get(column)
        entry["pinned"] = (position == 0 and wraps.scrolls) or None
        if column in numbers and not entry.get("alignment"):
            entry["alignment"] = "right"  # numbers shown as text (``as_shown``) stay right-aligned
        config[column] = entry
    if wraps.lines == 1:
        return Layout(shown, config, None, "auto")
    row = WRAP_ROW_HEIGHT + LINE_PX * (wraps.lines - WRAP_LINES[0])
    return Layout(shown, config, row, HEADER_HEIGHT + row * min(len(shown), WRAP_ROWS_SHOWN) + 2)


LAID_OUT_KEEP = 256  # tables laid out and kept: every table of the pages' shared views, many times over
_laid_out: OrderedDict = OrderedDict()  # (id(frame), first, config) -> (frame, Layout with an Arrow table)
_laid_out_lock = threading.Lock()


def _layout_once(frame: pd.DataFrame, first: tuple[str, ...], column_config: dict | None) -> Layout:
    """``layout`` with its frame as Arrow, once per frame: a view's frames are the same objects in
    every session (``queries.view``), and laying a table out and converting it to Arrow on every
    run was a third of a session's server time when 15 people opened the Overview at once. The
    frame is kept with its entry, so its ``id`` is not given to another frame meanwhile."""
    key = (id(frame), first, repr(column_config))
    with _laid_out_lock:
        found = _laid_out.get(key)
        if found is not None and found[0] is frame:
            _laid_out.move_to_end(key)
            return found[1]
    shown = layout(frame, first, column_config)
    # converted as st.dataframe converts a frame (its fixes for mixed columns), then kept as Arrow
    arrow = pa.ipc.open_stream(dataframe_util.convert_anything_to_arrow_bytes(shown.frame)).read_all()
    shown = shown._replace(frame=arrow)
    with _laid_out_lock:
        _laid_out[key] = (frame, shown)
        while len(_laid_out) > LAID_OUT_KEEP:
            _laid_out.popitem(last=False)
    return shown


def page_table(frame: pd.DataFrame, name: str, *, first: tuple[str, ...] = (), column_config: dict | None = None,
               csv: bool = True) -> None:
    """A page table laid out by ``layout``, with its CSV download (the frame as it is)."""
    shown = _layout_once(frame, first, column_config)
    st.dataframe(shown.frame, hide_index=True, width="stretch", column_config=shown.column_config,
                 row_height=shown.row_height, height=shown.height)
    if csv:
        csv_download(frame, name)


def headers(shorter: dict[str, tuple[str, str]]) -> dict[str, dict]:
    """Column configs that show a view's shorter headers (column -> (header, help)) in place of its
    column names, which the CSV keeps."""
    return {column: st.column_config.Column(label=header, help=help_text)
            for column, (header, help_text) in shorter.items()}


def as_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A page table with empty cells as words: in a row whose group is not shown (its
    ``HIDDEN_BECAUSE`` says why) the numbers read "not shown"; a number's empty cell in a shown row
    says its ``why_empty`` column (which the page leaves out); elsewhere an empty cell stays empty
    (Streamlit would print "None"). Numbers as the page shows them: whole numbers without
    decimals, others to one decimal."""
    numbers = list(frame.select_dtypes("number").columns)
    reasons = {column: why_empty(column) for column in numbers if why_empty(column) in frame}
    frame_shown = frame.drop(columns=list(reasons.values())) if reasons else frame
    if not frame_shown.isna().to_numpy().any():
        return frame_shown
    hidden = frame[HIDDEN_BECAUSE].notna().to_numpy() if HIDDEN_BECAUSE in frame else np.zeros(len(frame), bool)
    out = frame_shown.astype(object).where(frame_shown.notna(), "")
    for column in numbers:
        values = frame[column]
        why = frame[reasons[column]].fillna("") if column in reasons else pd.Series("", index=frame.index)
        whole = bool((values.dropna() % 1 == 0).all())
        out[column] = [NOT_SHOWN if h and pd.isna(v) else str(w) if pd.isna(v) else f"{v:.0f}" if whole else f"{v:.1f}"
                       for v, h, w in zip(values, hidden, why)]
    return out


def chart_downloads(spec_of, name: str) -> None:
    """A "Download" popover with PNG and SVG buttons; ``spec_of()`` makes the chart's Vega-Lite spec,
    only when one is clicked. Its buttons are made when it is opened (a rerun) and kept open by its
    key: made and sent with every chart on every run, they were a tenth of each session's server
    time when 15 people opened one link at once, and What-if sent them again on every slider step."""
    box = st.popover("Download", icon=":material/download:", key=f"download-{name}", on_change="rerun",
                     help="This chart as a PNG image or an SVG (vector) image")
    if not box.open:
        return
    stem = exports.slug(name)  # a partner's or a wave's name is no file name as it stands
    row = box.container(horizontal=True, gap="small")
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
