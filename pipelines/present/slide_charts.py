"""Compact charts for slides (the steering pack): the same frames and colours as the page
charts, drawn to fit a 16:9 slide at a size the renderer gives (``width``, ``height``).

Pure Altair builders (no Streamlit); the rows, their order and their labels come from the
view models (``present.views``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from pipelines.present.chart_style import (
    BAND_COLOURS,
    BAND_OPACITY,
    POINT_CASING,
    SLIDE_HIDDEN_ROW,
    _style,
    hidden_row,
    hidden_row_drawn,
    outline,
    row_offset,
)
from pipelines.present.charts import PARTNER_DASH, PROGRAMME_DASH
from pipelines.programme.factors import BANDS
from pipelines.programme.factors import label as factor_label
from pipelines.query.scores import PROGRAMME

ACCENT = "#0072B2"  # the first colour of charts.PALETTE
INK = "#1F2328"


def partner_factors(frame: pd.DataFrame, partner: str, colours: Mapping[str, str],
                    factors: Sequence[str], thresholds: tuple[float, float], *,
                    width: float, height: float, columns: int = 3):
    """Compact small multiples for a slide: each factor over time, the partner (its colour, a
    95% interval bar through each dot, as the page draws them) against the programme (grey,
    dashed), one shared 0-100 axis, the bands behind. Same frames and colours as
    ``charts.factors_over_time``; a wave where the partner's group is hidden is a ✕ in the row
    under its panel and the partner's marks are outlined, as the page draws them
    (``chart_style.hidden_row``, ``chart_style.outline``)."""
    data = frame.copy()
    data["panel"] = data["factor"].map(factor_label)
    data["date"] = pd.to_datetime(data["wave_start"])
    data["score"] = data["score"].astype("float64")
    data["ci_low"] = data["ci_low"].astype("float64")
    data["ci_high"] = data["ci_high"].astype("float64")
    panels = [factor_label(f) for f in factors]
    names = [partner, PROGRAMME]
    colour = colours.get(partner, ACCENT)
    # one legend of line samples, each in its colour and dash (a point's legend symbol took the
    # dash as a cog)
    legend = alt.Legend(orient="top", direction="horizontal", symbolType="stroke", symbolStrokeWidth=4, title=None)
    scale = alt.Scale(domain=names, range=[colour, "#8A8A8A"])
    color = alt.Color("partner:N", title=None, scale=scale, legend=legend)
    dash = alt.StrokeDash("partner:N", title=None, legend=legend, scale=alt.Scale(
        domain=names, range=[list(PARTNER_DASH), list(PROGRAMME_DASH)]))
    own = data[data["partner"] == partner]
    hidden_dates = set(own.loc[own["suppressed"].astype(bool), "date"])
    row = hidden_row_drawn(frame, partner)
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False, labelFontSize=14,
                                                  **row_offset(row, SLIDE_HIDDEN_ROW)))
    # the tick count too: Vega thins given values to its default (one per 40 px), so a panel under
    # 80 px lost its 50 line and label
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title=None,
              axis=alt.Axis(values=[0, 50, 100], tickCount=3, labelFontSize=14))
    low, high = thresholds
    band_layers = [
        alt.Chart(pd.DataFrame({"start": [start], "end": [end]})).mark_rect(
            color=BAND_COLOURS[band], opacity=BAND_OPACITY).encode(
            y=alt.Y("start:Q", scale=alt.Scale(domain=[0, 100])), y2="end:Q")
        for band, start, end in zip(BANDS, (0.0, low, high), (low, high, 100.0))]
    data["cross"] = (data["partner"] == partner) & data["date"].isin(hidden_dates)
    mine = alt.Chart().transform_filter(alt.datum.partner == partner)
    interval = mine.transform_filter("isValid(datum.ci_low) && isValid(datum.ci_high)").mark_rule().encode(
        x=x, y=alt.Y("ci_low:Q"), y2="ci_high:Q")
    chart = alt.layer(
        *band_layers,
        outline(interval, "rule", 3, strokeCap="butt"),
        interval.mark_rule(color=colour, strokeWidth=3, strokeCap="butt"),
        outline(mine.encode(x=x, y=y), "line", 3),
        alt.Chart().mark_line(strokeWidth=3).encode(x=x, y=y, color=color, strokeDash=dash),
        alt.Chart().mark_point(size=36, filled=True, opacity=1, **POINT_CASING).encode(
            x=x, y=y, color=alt.Color("partner:N", scale=scale, legend=None)),
        *(hidden_row(alt.Chart().transform_filter("datum.cross"), alt.Chart().transform_aggregate(row="count()"),
                     x, height, legend=True, size=SLIDE_HIDDEN_ROW) if row else []),
        data=data,
    ).properties(width=width, height=height)
    # each panel its own year axis: a facet's shared one stood under the empty sixth cell
    return _style(chart.facet(facet=alt.Facet("panel:N", sort=panels, title=None,
                                              header=alt.Header(labelFontSize=14, labelFontWeight="normal",
                                                                labelAnchor="start", labelLimit=width + 16)),
                              columns=columns, spacing={"row": 12, "column": 18}).resolve_axis(x="independent"))


LABEL_PT = 14  # a movers label's size
LABEL_GAP = 6  # px between a bar's end and its label
MIN_REACH = 5.0  # points of change each side of 0, however small the changes


def label_width(text: str, size: float = LABEL_PT) -> float:
    """``text``'s width in px as the slides' charts draw it: vl-convert sets it in Liberation Sans,
    whose widths are Helvetica's (reportlab knows them)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(str(text), "Helvetica", size)


def change_domain(change: pd.Series, labels: Sequence[str], width: float) -> tuple[float, float]:
    """The change scale's domain for a plot ``width`` px wide, with room for each bar's label beside
    its end (to the right of 0 or a rise, to the left of a fall; a bar reaching the end cut
    "+25.0 beyond nois" off): the least span that leaves it, at least ``MIN_REACH`` each side of 0.
    A label needs ``f = (gap + its width) / width`` of the span: ``hi - v >= f (hi - lo)`` on the
    right, ``v - lo >= f (hi - lo)`` on the left; a linear programme in ``lo`` and ``hi`` (scipy's)."""
    from scipy.optimize import linprog

    values = change.fillna(0.0).astype("float64").to_numpy()
    need = [(LABEL_GAP + 2 + label_width(t)) / width for t in labels]
    rows = [([-f, -(1 - f)], -v) if v >= 0 else ([1 - f, f], v) for v, f in zip(values, need)]
    result = linprog([-1.0, 1.0], A_ub=[r for r, _ in rows], b_ub=[b for _, b in rows],
                     bounds=[(None, -MIN_REACH), (MIN_REACH, None)])
    if result.status != 0:  # a label wider than the plot: none can fit it; the old margin
        reach = max(MIN_REACH, float(np.abs(values).max(initial=0.0)) * 1.35)
        return -reach, reach
    return float(result.x[0]), float(result.x[1])


def movers_bars(bars: pd.DataFrame, colours: Mapping[str, str], *, lanes: int, width: float,
                height: float):
    """Change of each group's index since the previous wave: ``bars`` (partner, change,
    beyond_uncertainty, label) top to bottom; at most ``lanes`` rows' height. ``width``: the
    plot's (its axis labels beside it), so each label's room on the scale is known."""
    data = bars.copy()
    names = list(data["partner"])
    data["pos"] = data["change"].fillna(0)
    scale = alt.Scale(domain=list(colours), range=list(colours.values()))
    x = alt.X("pos:Q", scale=alt.Scale(domain=list(change_domain(data["change"], data["label"], width))),
              title="Change in collaboration index since the previous wave (points)")
    y = alt.Y("partner:N", sort=names, title=None, axis=alt.Axis(labelFontSize=15))
    shown = data[data["change"].notna()]
    chart = alt.layer(
        alt.Chart(pd.DataFrame({"pos": [0]})).mark_rule(color="#666666").encode(x="pos:Q"),
        alt.Chart(shown).mark_bar(height=22).encode(
            x=x, y=y, color=alt.Color("partner:N", scale=scale, legend=None),
            opacity=alt.condition("datum.beyond_uncertainty === true", alt.value(1.0), alt.value(0.55))),
        alt.Chart(data[data["pos"] >= 0]).mark_text(align="left", dx=LABEL_GAP, fontSize=LABEL_PT,
                                                    color=INK).encode(x=x, y=y, text="label:N"),
        alt.Chart(data[data["pos"] < 0]).mark_text(align="right", dx=-LABEL_GAP, fontSize=LABEL_PT,
                                                   color=INK).encode(x=x, y=y, text="label:N"),
    ).properties(width=width, height=min(height, 44 * lanes))
    chart = _style(chart)
    chart.autosize = alt.AutoSizeParams(type="pad")  # ``width`` is the plot's, not the whole chart's
    return chart


def whatif_bars(rows: pd.DataFrame, colour: str, thresholds: tuple[float, float], *,
                width: float, height: float):
    """Now (grey) vs projected (the partner's colour), per factor and the index, as
    horizontal bars on the 0-100 scale with the band thresholds marked."""
    long = pd.concat([rows.assign(kind="Now", value=rows["now"]),
                      rows.assign(kind="Projected", value=rows["projected"])], ignore_index=True)
    long = long[long["value"].notna()]
    long["text"] = long["value"].map(lambda v: f"{v:.0f}")
    order = list(rows["short"])
    y = alt.Y("short:N", sort=order, title=None, axis=alt.Axis(labelFontSize=14))
    offset = alt.YOffset("kind:N", sort=["Now", "Projected"])
    x = alt.X("value:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)",
              axis=alt.Axis(values=[0, 25, 50, 75, 100]))
    color = alt.Color("kind:N", title=None, scale=alt.Scale(domain=["Now", "Projected"],
                                                            range=["#A0A0A0", colour]),
                      legend=alt.Legend(orient="top", direction="horizontal"))
    low, high = thresholds
    rules = pd.DataFrame({"x": [low, high], "t": [f"{low:g}", f"{high:g}"]})
    return _style(alt.layer(
        alt.Chart(rules).mark_rule(color="#1d3b57", strokeDash=[4, 3], opacity=0.7).encode(x="x:Q"),
        alt.Chart(long).mark_bar().encode(y=y, yOffset=offset, x=x, color=color),
        alt.Chart(long).mark_text(align="left", dx=3, fontSize=14, color=INK).encode(
            y=y, yOffset=offset, x=x, text="text:N"),
    ).properties(width=width, height=height))
