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


# -- marks every chart draws the same way -------------------------------------------------

# A partner's own line, interval bars and dots in the factor panels (page and slide) are outlined:
# a light partner colour (the sky blue) on the Collaborating band as drawn is 1.6:1, under the
# 3:1 WCAG 1.4.11 asks of graphics; this ink is at least 3:1 on every band.
CASING = "#1F2328"
POINT_CASING = {"stroke": CASING, "strokeWidth": 1}


def outline(chart: alt.Chart, mark: str, width: float, **props) -> alt.Chart:
    """The outline drawn under a partner's ``mark`` ("line" or "rule") ``width`` px wide: the same
    mark in ``CASING``, a pixel wider on each side. ``chart`` carries no colour encoding."""
    return getattr(chart, f"mark_{mark}")(color=CASING, strokeWidth=width + 2, **props)


# A hidden wave has no score, so its ✕ stands where no score can be: in a grey row of its own
# under the plot (below its 0, on no scale), labelled "not shown"; the wave axis moves under the row.
HIDDEN_ROW = 22  # px: the row's height, and the wave axis's offset below the plot
# on a slide's small panels: 22 px took the room of their "50" label and line (the ✕ is 10 px)
SLIDE_HIDDEN_ROW = 14
HIDDEN_WAVE_COLOUR = "#8a2d2d"
HIDDEN_ROW_INK = "#5f5e5d"  # the row's label: 6.5:1 on white
ONE_ROW = pd.DataFrame({"row": [0]})  # a page chart's data for the row's strip and label


def hidden_row_drawn(frame: pd.DataFrame, partner: str) -> bool:
    """Whether a partner's factor panels draw the row: some wave of ``partner`` in ``frame`` is hidden.
    Every panel then has it, so their wave axes line up."""
    return bool((frame["suppressed"].astype(bool) & (frame["partner"] == partner)).any())


def row_offset(drawn: bool, size: float = HIDDEN_ROW) -> dict:
    """The wave axis's ``offset`` under a row of hidden waves (``drawn``) ``size`` px tall, as axis
    properties."""
    return {"offset": size} if drawn else {}


def hidden_row_words(what: str) -> str:
    """What a ✕ in the row under a chart means, for its caption or subtitle: ``what`` is the wave's."""
    return f"{NOT_SHOWN_MARK} in the grey “{NOT_SHOWN}” row: {what} (hover for why)"


# the ✕ drawn as a point's path (unit square), where it needs a legend entry: a text mark has none
CROSS_PATH = "M-1,-1L1,1M1,-1L-1,1"


def hidden_row(marks: alt.Chart, one_row: alt.Chart, x, height: float, *, legend: bool = False,
               size: float = HIDDEN_ROW, **encoding) -> list[alt.Chart]:
    """The row, ``size`` px tall, under a plot ``height`` px tall: a grey strip and a ✕ at each wave
    of ``marks`` (the hidden rows); the chart's wave axis takes ``row_offset(True, size)``.
    ``one_row``: a chart of one row per panel, for the strip. Said "not shown" by a label at the
    strip's left, or with ``legend`` by a legend entry beside the chart's own (small panels side by
    side: a label beside each widened them past a 1024 px page and took a third of a slide's). A
    text mark has no legend: there the ✕ is a point's path (``CROSS_PATH``)."""
    top, bottom = height + 3, height + size - 1
    middle = (top + bottom) / 2
    # the strip and its label are decoration (the chart's description says which waves are hidden):
    # without encodings Vega gave them an unnamed graphics-symbol role (axe: svg-img-alt)
    layers = [one_row.mark_rect(color=HEAT_COLOURS["not shown"], aria=False).encode(
        x=alt.value(0), x2=alt.value("width"), y=alt.value(top), y2=alt.value(bottom))]
    if legend:
        shape = alt.Shape("said:N", title=None, scale=alt.Scale(domain=[NOT_SHOWN], range=[CROSS_PATH]),
                          legend=alt.Legend(orient="top", symbolStrokeColor=HIDDEN_WAVE_COLOUR, symbolStrokeWidth=2.5))
        return layers + [marks.transform_calculate(said=f"'{NOT_SHOWN}'").mark_point(
            filled=False, size=60, strokeWidth=2.5, color=HIDDEN_WAVE_COLOUR, opacity=1).encode(
            x=x, y=alt.value(middle), shape=shape, **encoding)]
    return layers + [
        one_row.mark_text(text=NOT_SHOWN, align="right", baseline="middle", dx=-4, fontSize=11,
                          color=HIDDEN_ROW_INK, aria=False).encode(x=alt.value(0), y=alt.value(middle)),
        # the glyph itself, as captions and the other charts say it (a point's "cross" shape is a plus)
        marks.mark_text(text=NOT_SHOWN_MARK, fontSize=15, fontWeight="bold", color=HIDDEN_WAVE_COLOUR,
                        baseline="middle").encode(x=x, y=alt.value(middle), **encoding),
    ]
