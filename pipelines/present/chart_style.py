"""The charts' shared look: one colour per partner, the bands' colours and labels, fonts, and the
marks every chart draws the same way (a hidden group's ✕; a partner's outlined marks), for the page
charts (``charts``), the What-if strip and the slides (``slide_charts``)."""
from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd

from pipelines.programme.factors import BANDS

PROGRAMME = "Programme"
PROGRAMME_COLOUR = "#333333"
# Okabe & Ito (2008) without yellow (unreadable on white) and black (the programme),
# then Paul Tol's muted scheme for programmes with more than six partners.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7",
                             "#882255", "#44AA99", "#999933", "#AA4499", "#117733", "#DDCC77")
BAND_COLOURS: dict[str, str] = {
    "cooperating": "#e8f1fa", "transitioning": "#bcd7ee", "collaborating": "#7fb2dd",
}
BAND_OPACITY = 0.6  # a band's background over white, as the strips draw it
# a value label's colour on each band as drawn: at least 4.5:1 (WCAG AA for text); a partner's own
# colour fell to 1.3:1 on the Collaborating band
BAND_INK: dict[str, str] = {
    "cooperating": "#1b1b1b", "transitioning": "#1b1b1b", "collaborating": "#10263b",
}


def band_drawn(band: str) -> str:
    """A band's background as drawn (its colour at ``BAND_OPACITY`` over white): a label's halo on it."""
    channels = (int(BAND_COLOURS[band][i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - BAND_OPACITY * (255 - c)):02x}" for c in channels)


def band_expr(field: str, thresholds: tuple[float, float], colours: dict[str, str]) -> str:
    """A Vega expression picking ``colours[band]`` by the band of ``datum[field]`` (the band's rule
    as ``programme.factors.band_of``: a score on a threshold belongs to the higher band)."""
    low, high = thresholds
    return (f"datum['{field}'] >= {float(high)} ? '{colours['collaborating']}' : "
            f"datum['{field}'] >= {float(low)} ? '{colours['transitioning']}' : '{colours['cooperating']}'")


def haloed_text(chart: alt.Chart, thresholds: tuple[float, float], at: str, *, mark: dict,
                **encoding) -> list[alt.Chart]:
    """A value label over the lines it may cross: drawn twice, first as a halo in the colour of the
    band under it (``at``: the field of its place on the score axis), so a band's rule or a stem
    stops short of its letters; then in that band's ink (``BAND_INK``)."""
    coloured = chart.transform_calculate(
        halo=band_expr(at, thresholds, {b: band_drawn(b) for b in BAND_COLOURS}),
        ink=band_expr(at, thresholds, BAND_INK))
    return [coloured.mark_text(**mark, strokeWidth=3, strokeJoin="round").encode(
                **encoding, color=alt.Color("halo:N", scale=None), stroke=alt.Stroke("halo:N", scale=None)),
            coloured.mark_text(**mark).encode(**encoding, color=alt.Color("ink:N", scale=None))]


HEAT_COLOURS: dict[str, str] = {
    "cooperating": "#deebf7", "transitioning": "#9ecae1", "collaborating": "#3182bd", "not shown": "#f0f0f0"}
FONT = "Source Sans Pro, Arial, sans-serif"
NOT_SHOWN_MARK = "✕"  # a hidden group's place in a cell or on an axis; the reason beside it is short
NOT_SHOWN = "not shown"  # a hidden group's cell in a chart's table

# -- colours, bands, style -------------------------------------------------------

def partner_colours(partners: pd.DataFrame) -> dict[str, str]:
    """Partner name -> colour, stable by partner_id; 'Programme' -> dark grey.

    ``partners`` has partner_id and name (``scores.partners``)."""
    ordered = partners.sort_values("partner_id", kind="stable")
    colours = {str(name): PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered["name"])}
    colours[PROGRAMME] = PROGRAMME_COLOUR
    return colours


def _colour_scale(colours: dict[str, str], names: Iterable[str] | None = None) -> alt.Scale:
    names = list(colours) if names is None else [n for n in colours if n in set(names)]
    return alt.Scale(domain=names, range=[colours[n] for n in names])


def band_labels(thresholds: tuple[float, float]) -> dict[str, str]:
    low, high = thresholds
    return {
        "cooperating": f"Cooperating (<{low:g})",
        "transitioning": f"Transitioning ({low:g}–{high:g})",
        "collaborating": f"Collaborating (≥{high:g})",
    }


def bands_frame(thresholds: tuple[float, float]) -> pd.DataFrame:
    low, high = thresholds
    labels = band_labels(thresholds)
    return pd.DataFrame({
        "band": list(BANDS),
        "label": [labels[b] for b in BANDS],
        "start": [0.0, low, high],
        "end": [low, high, 100.0],
        "mid": [low / 2, (low + high) / 2, (high + 100) / 2],
    })


CONFIG = alt.Config(
    font=FONT,
    # a mark shows its own tooltip or none (Streamlit's default ``tooltip: true`` listed raw fields)
    mark=alt.MarkConfig(tooltip=False),
    axis=alt.AxisConfig(labelFontSize=14, titleFontSize=15, labelLimit=260, gridOpacity=0.5),
    legend=alt.LegendConfig(labelFontSize=14, titleFontSize=14, labelLimit=320, symbolSize=160),
    title=alt.TitleConfig(fontSize=18, anchor="start", subtitleFontSize=14),
    header=alt.HeaderConfig(labelFontSize=16, titleFontSize=16),
    view=alt.ViewConfig(stroke=None),
)


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Projector-friendly fonts and no chart border (set in place: ``configure`` deep-copies
    the whole chart, which is slow for small multiples)."""
    chart.config = CONFIG
    if not isinstance(chart, (alt.ConcatChart, alt.HConcatChart, alt.VConcatChart, alt.FacetChart)):
        # fit the width to the page; the height is the plot's own, so a legend or a long
        # title never squeezes the rows
        chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    return chart
