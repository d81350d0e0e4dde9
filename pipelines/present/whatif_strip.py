"""The What-if page's strip: one partner's index now and projected, above the other partners."""
from __future__ import annotations

import functools
import json

import altair as alt
import numpy as np
import pandas as pd

from pipelines.present.charts import _band_layers, _style, bands_frame, haloed_text, table_meta, table_of

# ---------------------------------------------------------------------------------

# The strip's parts a scenario changes are drawn from these named datasets, so one spec per
# partner serves every slider position (whatif_strip_spec).
WHATIF_DATASETS = ("whatif-others", "whatif-own")
# The strip's rows, in pixels from the top (y values are pixels: no y scale): the partner's
# own markers, then the other partners' dots, then the names of a few of them.
_STRIP_HEIGHT = 214
_OWN_Y = 46
_SWARM_Y = 112
_LANE = 8            # px between stacked dots
_LANES = 5           # stacked up to this many either side of the middle, then overlapping
_LABEL_ROW = 14      # px between rows of names, as many as fit under the dots
_LANDING_Y = _SWARM_Y + _LANE * _LANES + 4  # where the projected index's dashed line ends
# What the dots and names are laid out for: a plot this wide, the narrowest the page draws (its
# column at 1024 px is ~296 px; wider pages and the 760 px PNG only add room, so a name is never
# cut or outside the plot), names this many px per character at _LABEL_SIZE.
_PLOT_PX = 290
_LABEL_SIZE = 11
_CHAR_PX = 6.4
_LABEL_DX = 3        # px between a name and its leader line
# index points between dots side by side (a dot is ~7 px) on a 440 px plot: on the narrowest they
# touch, yet each shows, and a wider spacing would stack a large programme past its lanes
_DOT_GAP = 7.5 * 100 / 440
# the partner's own markers' tooltip, which is the strip's table too, and the table's title
_OWN_TOOLTIP = [alt.Tooltip("partner:N", title="Partner"), alt.Tooltip("what:N", title="Marker"),
                alt.Tooltip("index:Q", title="Index", format=".1f")]
STRIP_TABLE = "The projected index among the partners"


def whatif_strip(partner: str, now: float, projected: float, others: dict[str, float],
                 thresholds: tuple[float, float], wave: str, colour: str) -> alt.LayerChart:
    """One partner's index now and with a what-if scenario, above the other partners' dots
    (stacked where they crowd; each named in its tooltip), on the bands. Every partner is
    named when the names fit; otherwise only the highest, the lowest and the two either side
    of the projected index."""
    data = _whatif_strip_data(partner, now, projected, others)
    return _whatif_strip_layers(partner, thresholds, wave, colour).properties(
        datasets=data, usermeta=_whatif_strip_table(data))


def whatif_strip_spec(partner: str, now: float, projected: float, others: dict[str, float],
                      thresholds: tuple[float, float], wave: str, colour: str, *, table: bool = True) -> dict:
    """``whatif_strip(...).to_dict()`` without building the chart: the scenario's data put
    into the partner's spec, which Altair builds and validates once per process (a slider
    move then costs no Altair work). Without ``table``, no table in it (``whatif_strip_table``
    makes it when it is asked for)."""
    spec = json.loads(_whatif_strip_template(partner, tuple(map(float, thresholds)), wave, colour))
    data = _whatif_strip_data(partner, now, projected, others)
    spec.setdefault("datasets", {}).update(data)
    if table:
        spec["usermeta"] = _whatif_strip_table(data)
    return spec


def whatif_strip_table(partner: str, now: float, projected: float, others: dict[str, float],
                       thresholds: tuple[float, float], wave: str, colour: str) -> pd.DataFrame:
    """The strip's table (``charts.table_of`` of ``whatif_strip_spec``), on its own."""
    return table_of({"usermeta": _whatif_strip_table(_whatif_strip_data(partner, now, projected, others))})[1]


def _whatif_strip_table(data: dict[str, list[dict]]) -> dict:
    """The strip as a table (``charts.with_table``): the partner now and moved, then the other
    partners, highest index first, in the partner's tooltip's words."""
    others = [{"partner": r["partner"], "what": "now", "index": r["index"]} for r in data["whatif-others"][::-1]]
    return table_meta(STRIP_TABLE,
                      pd.DataFrame([*data["whatif-own"][::-1], *others], columns=["partner", "what", "index"]),
                      _OWN_TOOLTIP)


def whatif_strip_description(partner: str, now: float, projected: float, others: dict[str, float],
                             thresholds: tuple[float, float], wave: str, colour: str) -> str:
    """What the strip of these arguments shows, for a screen reader: the page gives it as the
    chart's ``alt``. It names no figure a slider moves (the projected index is the metric above
    the chart): Streamlit puts ``alt`` into the chart's spec in the browser, so a changing one
    would redraw the whole chart on every slider step instead of updating its data."""
    def said(value) -> str:
        return "not shown" if value is None or value != value else f"{float(value):.1f}"

    ranked = sorted(((v, p) for p, v in others.items() if v is not None and v == v), reverse=True)
    return (f"{partner}'s collaboration index (0-100): now {said(now)}; with this scenario, the projected "
            f"index above. The other partners' index in {wave}: "
            + ("; ".join(f"{p} {v:.1f}" for v, p in ranked) or "none") + ".")


@functools.lru_cache(maxsize=64)
def _whatif_strip_template(partner: str, thresholds: tuple[float, float], wave: str,
                           colour: str) -> str:
    # JSON text, so every caller gets its own dict to fill
    return json.dumps(_whatif_strip_layers(partner, thresholds, wave, colour).to_dict())


def _whatif_strip_data(partner: str, now: float, projected: float,
                       others: dict[str, float]) -> dict[str, list[dict]]:
    """The values of WHATIF_DATASETS: the other partners in index order (a partner without an
    index is left out), each with its dot's place and, for those named, its name's place; and
    the partner now and moved."""
    def number(value) -> float | None:
        return None if value is None or value != value else float(value)

    ranked = sorted((v, str(p)) for p, v in ((p, number(v)) for p, v in others.items())
                    if v is not None)
    target = number(projected)
    lanes = _swarm_lanes([v for v, _ in ranked])
    names_top = _SWARM_Y + _LANE * max((abs(lane) for lane in lanes), default=0) + 12
    # the projected index's dashed line runs down to _LANDING_Y, through the rows of names above it
    crossed = max(0, -(-(_LANDING_Y - names_top) // _LABEL_ROW))
    named = _strip_names(ranked, target, 1 + (_STRIP_HEIGHT - 12 - names_top) // _LABEL_ROW, crossed)
    some = len(named) < len(ranked)  # then the named dots are darker, to find them in the crowd
    # a line each (the legend splits at "; "): one line was cut at 1024 px, where ~16 characters fit
    group = (f"{len(ranked)} other partner{'s' if len(ranked) != 1 else ''}"
             + (f"; {len(named)} named; hover for others" if some else ""))
    rows = []
    for i, ((value, name), lane) in enumerate(zip(ranked, lanes)):
        row = {"partner": name, "index": value, "y": _SWARM_Y - _LANE * lane, "group": group,
               "label": None, "label_y": None, "align": None, "label_from": None, "picked": False}
        if i in named:
            text, align, label_row, label_from = named[i]
            row |= {"label": text, "label_y": names_top + _LABEL_ROW * label_row, "align": align,
                    "label_from": label_from, "picked": some}
        rows.append(row)
    return {
        "whatif-others": rows,
        "whatif-own": [{"what": "now", "index": number(now), "partner": partner},
                       {"what": "with this scenario", "index": target, "partner": partner}],
    }


def _swarm_lanes(values: list[float]) -> list[int]:
    """A lane (0, 1, -1, 2, -2...) for each of the sorted values, so dots closer than a dot
    apart stack instead of hiding each other; past _LANES either side they overlap again."""
    order = [0] + [s * k for k in range(1, _LANES + 1) for s in (1, -1)]
    last: dict[int, float] = {}  # lane -> the rightmost value placed in it
    lanes = []
    for value in values:
        lane = next((n for n in order if value - last.get(n, -np.inf) >= _DOT_GAP),
                    min(order, key=lambda n: (last.get(n, -np.inf), abs(n))))
        last[lane] = value
        lanes.append(lane)
    return lanes


def _strip_names(ranked: list[tuple[float, str]], projected: float | None, rows: int, crossed: int = 0
                 ) -> dict[int, tuple[str, str, int, float]]:
    """Which of the sorted other partners are named, and where: position -> (text, align,
    row, the lowest index its letters reach). Every one when all the names fit in ``rows`` rows; otherwise those either side
    of the projected index (the partners it would pass or trail), then the lowest and the
    highest, each if it fits. A name runs away from the projected index (so the two beside it
    never meet) unless that would take it off the scale or it finds no room there. The first
    ``crossed`` rows are crossed by the projected index's line: no name there covers it."""
    if not ranked:
        return {}
    centre = projected if projected is not None else ranked[len(ranked) // 2][0]
    # placed from the ends inwards (names running left from the lowest, those running right
    # from the highest), each a row lower than the one before where they meet, like stairs:
    # no leader line then runs through a name
    sides = {i: _name_sides(v, name, centre) for i, (v, name) in enumerate(ranked)}
    stairs = sorted((i for i in sides if sides[i]),
                    key=lambda i: (sides[i][0][0] == "left", ranked[i][0] * (1 if sides[i][0][0] == "right" else -1)))
    # the line in each row it crosses, as a name no wider than itself: a name keeps ``gap`` from it
    # there (checked as a leader only, one 0.3 px from a name's last letter ran through it)
    line = [(row, projected, (projected, projected)) for row in range(crossed)] if projected is not None else []
    every = _place_names(ranked, stairs, sides, rows, line)
    if len(every) == len(ranked):
        return every
    below = max((i for i, (v, _) in enumerate(ranked) if v <= centre), default=None)
    above = min((i for i, (v, _) in enumerate(ranked) if v > centre), default=None)
    # the nearer of the two first: the partner the scenario would pass (or trail) is the one asked about
    near = sorted((i for i in (below, above) if i is not None), key=lambda i: abs(ranked[i][0] - centre))
    wanted = dict.fromkeys([*near, 0, len(ranked) - 1])
    return _place_names(ranked, wanted, sides, rows, line)


def _name_sides(value: float, name: str, centre: float) -> list[tuple[str, tuple[float, float]]]:
    """The sides a name fits on without leaving the scale, its own first (away from ``centre``):
    (align, its span in index points on a _PLOT_PX-wide plot)."""
    points_per_px = 100 / _PLOT_PX
    width = len(f"{name} ({value:.1f})") * _CHAR_PX * points_per_px
    offset = _LABEL_DX * points_per_px
    spans = {"right": (value - offset - width, value - offset), "left": (value + offset, value + offset + width)}
    return [(a, spans[a]) for a in (("right", "left") if value <= centre else ("left", "right"))
            if 0 <= spans[a][0] and spans[a][1] <= 100]


def _place_names(ranked, positions, sides, rows: int, lines=()) -> dict[int, tuple[str, str, int, float]]:
    """Each name on the first of its ``sides`` and in the first row where it meets no name
    already there, crosses no leader line of a name in a lower row and is crossed by none of its
    own (nor one of ``lines``: (a row it crosses, x, (x, x)), one entry per row); a name that fits nowhere is left to
    its tooltip (and the chart's table)."""
    gap = 4 * 100 / _PLOT_PX
    placed: dict[int, tuple[str, str, int, float]] = {}
    taken: list[tuple[int, float, tuple[float, float]]] = list(lines)  # (row, dot, span) of each name placed

    def clear(row: int, dot: float, span: tuple[float, float]) -> bool:
        def covers(s, x):  # a leader through a name (a name already keeps _LABEL_DX from its own)
            return s[0] < x < s[1]
        return all((span[1] + gap <= a or b + gap <= span[0]) if r == row
                   else not covers(span, x) if r > row  # its leader runs down through this name
                   else not covers((a, b), dot)        # this leader runs down through its name
                   for r, x, (a, b) in taken)

    for i in positions:
        value, name = ranked[i]
        found = next(((a, span, r) for a, span in sides[i] for r in range(rows) if clear(r, value, span)), None)
        if found is not None:
            align, span, row = found
            taken.append((row, value, span))
            placed[i] = (f"{name} ({value:.1f})", align, row, span[0])
    return placed


def _whatif_strip_layers(partner: str, thresholds: tuple[float, float], wave: str,
                         colour: str) -> alt.LayerChart:
    """The strip without its scenario: the bands carry their data, the rest reads
    WHATIF_DATASETS. (Few datasets: Streamlit converts each one to Arrow on every draw.)"""
    others, own = (alt.NamedData(name=name) for name in WHATIF_DATASETS)
    thresholds = tuple(map(float, thresholds))  # 40 and 40.0 name the same dataset
    x = alt.X("start:Q", scale=alt.Scale(domain=[0, 100]),
              axis=alt.Axis(values=list(range(0, 101, 10))), title="Collaboration index (0-100)")
    pixels = {"scale": None, "axis": None}  # y is in pixels from the top
    axis = alt.Chart(bands_frame(thresholds)).mark_rule(opacity=0).encode(x=x)  # the scale's axis and title
    named = alt.datum.label != None  # noqa: E711 (a Vega expression: null)
    other_tooltip = [alt.Tooltip("partner:N", title="Partner"),
                     alt.Tooltip("index:Q", title=f"Index now ({wave})", format=".1f")]
    leaders = alt.Chart(others).transform_filter(named).mark_rule(
        color="#6b7178", strokeWidth=1).encode(
        x="index:Q", y=alt.Y("y:Q", **pixels), y2=alt.Y2("label_y:Q"))
    other_marks = alt.Chart(others).transform_calculate(
        about="datum.partner + ': ' + format(datum.index, '.1f')").mark_circle(
        size=38, opacity=0.9, stroke="white", strokeWidth=0.6).encode(
        x="index:Q", y=alt.Y("y:Q", **pixels), description="about:N",  # what a screen reader says
        color=alt.condition(alt.datum.picked, alt.value("#4f555c"), alt.Color(
            "group:N", scale=alt.Scale(range=["#9aa0a7"]),
            # no title: a programme with no other partner shows no legend (a blank one, as
            # vl-convert cannot draw a legend with neither title nor entries)
            legend=alt.Legend(title=" ", titleFontSize=1, titlePadding=0, orient="bottom",
                              labelLimit=420, labelExpr="split(datum.label, '; ')"))),
        tooltip=other_tooltip)
    # haloed: a band's rule or another's leader may run past a name. A name reaching into the
    # next band takes its halo from the lightest band under its letters (where it starts on the
    # scale): a lighter outline on the darker band reads as a halo, a darker one as a smudge
    other_text = [
        layer for align in ("right", "left") for layer in haloed_text(
            alt.Chart(others).transform_filter(alt.datum.align == align), thresholds, "label_from",
            mark={"align": align, "baseline": "top", "dx": -_LABEL_DX if align == "right" else _LABEL_DX,
                  "fontSize": _LABEL_SIZE},
            x="index:Q", y=alt.Y("label_y:Q", **pixels), text="label:N", tooltip=other_tooltip)]
    # where the scenario lands among the others
    landing = alt.Chart(own).transform_filter(alt.datum.what != "now").mark_rule(
        color=colour, strokeWidth=1.5, strokeDash=[3, 2], opacity=0.8).encode(
        x="index:Q", y=alt.value(_OWN_Y), y2=alt.value(_LANDING_Y))
    arrow = alt.Chart(own).transform_pivot("what", value="index").mark_rule(
        color=colour, strokeWidth=2).encode(x="now:Q", x2="with this scenario:Q", y=alt.value(_OWN_Y))
    own_marks = alt.Chart(own).mark_point(size=170, filled=True, opacity=1, color=colour,
                                          stroke="white", strokeWidth=1).encode(
        x="index:Q", y=alt.value(_OWN_Y),
        shape=alt.Shape("what:N", scale=alt.Scale(domain=["now", "with this scenario"],
                                                  range=["circle", "diamond"]),
                        # under the strip, the partner's name above its two markers, one under
                        # the other: in a narrow column a one-line legend would be cut
                        legend=alt.Legend(title=partner, orient="bottom", direction="vertical")),
        tooltip=_OWN_TOOLTIP)
    own_text = alt.Chart(own).transform_filter(alt.datum.what != "now").mark_text(
        baseline="bottom", dy=-11, fontSize=13, fontWeight="bold", color=colour).encode(
        x="index:Q", y=alt.value(_OWN_Y), text="partner:N")
    return _style(alt.layer(*_band_layers(thresholds, orient="x", rule_to=_SWARM_Y + 8), axis, landing, arrow, own_marks, own_text,
                            leaders, other_marks, *other_text)
                  .resolve_scale(color="independent", shape="independent")
                  .properties(width=760, height=_STRIP_HEIGHT))


# -- images --------------------------------------------------------------------------------
