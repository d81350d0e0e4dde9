"""The dashboard's charts: pure Altair builders (no Streamlit) that take frames and return charts.

Conventions every chart follows
-------------------------------
* One colour per partner everywhere (``partner_colours``): partners take the Okabe-Ito
  colour-blind-safe palette in ``partner_id`` order, so a partner keeps its colour when
  others are added; the programme is dark grey.
* The three bands (``BANDS``) are drawn as light backgrounds of one blue ramp
  (colour-blind safe, and readable in grey) and labelled with their thresholds.
* Every tooltip carries the respondents ``n`` and the 95% interval; a suppressed group
  is drawn as a marker with its reason, never as zero or a silent gap.
* Fonts are large enough for a projector (``_style``).
* Every chart a page draws carries its data as a table (``with_table``): the rows it draws, in
  its tooltips' columns and words, a hidden group's cells "not shown"; the page shows it one
  click away under the chart (``table_of``).

The rows each chart draws come from the view models (``present.views``), in their order; ``heatmap_frame`` only
lays the query layer's cells out for the heatmap. The What-if strip is in ``whatif_strip``; the pack's in ``slide_charts``;
the look they share (colours, bands, fonts, a hidden wave's row, a partner's outline) in ``chart_style``.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import altair as alt
import numpy as np
import pandas as pd

from pipelines.present import words
from pipelines.present.chart_style import (  # noqa: F401
    BAND_COLOURS,
    BAND_INK,
    BAND_OPACITY,
    CONFIG,
    FONT,
    HEAT_COLOURS,
    NOT_SHOWN,
    NOT_SHOWN_MARK,
    ONE_ROW,
    PALETTE,
    POINT_CASING,
    PROGRAMME,
    PROGRAMME_COLOUR,
    _colour_scale,
    _style,
    band_drawn,
    band_expr,
    band_labels,
    bands_frame,
    haloed_text,
    hidden_row,
    hidden_row_drawn,
    hidden_row_words,
    outline,
    partner_colours,
    row_offset,
)
from pipelines.programme.factors import BANDS, FACTORS, SHORT_LABELS
from pipelines.programme.factors import label as factor_label
from pipelines.query.scores import Suppression

# tooltip entries several charts share (their titles are the chart's table's column names too)
N_TIP = alt.Tooltip("n_text:N", title="Respondents (n)")
INTERVAL_TIP = alt.Tooltip("interval:N", title="95% interval")
STATUS_TIP = alt.Tooltip("status:N", title="Status")
CHANGE_TIP = alt.Tooltip("change_text:N", title="Change since previous wave")
GROUP_TIP = alt.Tooltip("partner:N", title="Group")  # a partner or the programme
FACTOR_TIP = alt.Tooltip("factor_label:N", title="Factor")


def _interval_text(low, high) -> pd.Series:
    low, high = pd.Series(low, dtype="float64"), pd.Series(high, dtype="float64")
    text = low.round(1).map("{:.1f}".format) + " to " + high.round(1).map("{:.1f}".format)
    return text.where(low.notna() & high.notna(), "")


def _display(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """Tooltip columns shared by every chart: score, n and interval as text."""
    out = frame.copy()
    out["score_text"] = out["score"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    out["n_text"] = out["n"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    out["interval"] = _interval_text(out["ci_low"], out["ci_high"]).to_numpy()
    reason = out["suppression_reason"] if "suppression_reason" in out else pd.Series(None, index=out.index)
    hidden = out["suppressed"].astype(bool)
    out["code"] = reason.where(hidden, None).astype(object)
    out.loc[hidden & out["code"].isna(), "code"] = Suppression.SMALL_GROUP
    out["status"] = [words.reason(c, k) if h else "shown" for c, h in zip(out["code"], hidden)]
    out.loc[hidden, ["score_text", "n_text", "interval"]] = NOT_SHOWN  # a hidden group's tooltip: not blanks
    for column in ("ci_low", "ci_high", "score"):
        out[column] = out[column].astype("float64")
    out["n"] = out["n"].astype("float64")
    if "wave_start" in out:
        out["wave_start"] = pd.to_datetime(out["wave_start"]).dt.strftime("%Y-%m-%d")
    return out


def _said(data: pd.DataFrame, name: str, value: str = "score_text") -> str:
    """Each row as a screen reader hears it in a chart's description: 'name value' or 'name
    not shown'."""
    return "; ".join(f"{row[name]} " + ("not shown" if row["suppressed"] else str(row[value]))
                     for _, row in data.iterrows())


# -- a chart's data as a table -----------------------------------------------------

def with_table(chart: alt.TopLevelMixin, title: str, rows: pd.DataFrame,
               tooltip: Sequence[alt.Tooltip]) -> alt.TopLevelMixin:
    """``chart`` carrying its data as a table titled ``title``: ``rows`` (``_display``ed) in the
    columns ``tooltip`` shows, named by its titles; a hidden group's values "not shown", whatever
    its row holds. It travels in the spec's ``usermeta`` (which Vega ignores), so the chart and
    its table are made from one frame, once."""
    chart.usermeta = table_meta(title, rows, tooltip)
    return chart


def table_meta(title: str, rows: pd.DataFrame, tooltip: Sequence[alt.Tooltip]) -> dict:
    """The ``usermeta`` of ``with_table`` (for a spec made without Altair)."""
    entries = [t.to_dict() for t in tooltip]
    hidden = rows["suppressed"].astype(bool).to_numpy() if "suppressed" in rows else np.zeros(len(rows), bool)
    # rows as iterrows gives them (one dtype for all columns), no Series each: a slider step's cost
    values, at = rows.to_numpy(), [rows.columns.get_loc(e["field"]) for e in entries]
    table = [[NOT_SHOWN if h and e["field"] in _VALUES else _cell(line[i], e.get("format"))
              for e, i in zip(entries, at)] for h, line in zip(hidden, values)]
    return {"table": {"title": title, "columns": [e["title"] for e in entries], "rows": table}}


def _rows_in(data: pd.DataFrame, **orders: Sequence) -> pd.DataFrame:
    """The rows whose values are in ``orders`` (column -> its values in order), in that order."""
    for column, values in orders.items():
        data = data[data[column].isin(values)]
    rank = {column: {v: i for i, v in enumerate(values)} for column, values in orders.items()}
    return data.sort_values(list(orders), key=lambda c: c.map(rank[c.name]), kind="stable")


_VALUES = {"score_text", "n_text", "interval", "change_text", "beyond"}  # a group's values (``_display``)


def _cell(value, number_format: str | None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return format(float(value), number_format) if number_format else str(value)


def table_of(spec: dict) -> tuple[str, pd.DataFrame] | None:
    """Take a chart's table out of its spec (``with_table``): (title, frame), or None. Taken
    out, it is not sent to the browser with the chart."""
    table = (spec.pop("usermeta", None) or {}).get("table")
    if table is None:
        return None
    return table["title"], pd.DataFrame(table["rows"], columns=table["columns"], dtype=object)


def wave_axis(order: Sequence[str], title: str | None = "Survey wave", **axis) -> alt.X:
    """The survey waves along the x axis, one rule for every chart over time: a label in lines at
    its hyphens ("2026" over "Q3"), level, so eight waves fit a 1024 px page without touching; where
    even those would touch (a narrow panel, long wave names) Vega-Lite drops every other one."""
    return alt.X("wave:O", sort=list(order), title=title, axis=alt.Axis(
        labelAngle=0, labelExpr="split(datum.label, '-')", labelLineHeight=15, labelOverlap="greedy", **axis))


def _band_layers(thresholds, *, orient: str = "y", label: bool = True, rule_to: int | None = None) -> list[alt.Chart]:
    """Light band backgrounds (and their labels) along the score axis; on an x axis, the thresholds'
    rules end ``rule_to`` px from the top when given (the What-if strip's names under it stay clear).

    Each band its own layer with a fixed colour: no colour scale shared with the chart's partners."""
    bands = bands_frame(thresholds)
    layers = []
    tooltip = [alt.Tooltip("label:N", title="Band")]
    for _, band in bands.iterrows():
        one = alt.Chart(pd.DataFrame([band]))
        if orient == "y":
            layers.append(one.mark_rect(color=BAND_COLOURS[band["band"]], opacity=0.5).encode(
                y=alt.Y("start:Q", scale=alt.Scale(domain=[0, 100])), y2="end:Q", tooltip=tooltip))
        else:
            layers.append(one.mark_rect(color=BAND_COLOURS[band["band"]], opacity=BAND_OPACITY).encode(
                x=alt.X("start:Q", scale=alt.Scale(domain=[0, 100])), x2="end:Q", tooltip=tooltip))
    if label:
        base = alt.Chart(bands)
        if orient == "y":
            # outside the plot, to the right, so the data never runs over them
            layers.append(base.mark_text(align="left", baseline="middle", dx=8, fontSize=13,
                                         color="#1d3b57", fontWeight="bold").encode(
                y="mid:Q", x=alt.value("width"), text="label:N"))
        else:
            # above the plot: the outer bands' names from the plot's edges inwards, the middle
            # one a row higher, so a narrow middle band's name never runs into its neighbours'
            text = {"baseline": "bottom", "fontSize": 14, "color": "#1d3b57", "fontWeight": "bold"}
            for band, align, at, dy in (("cooperating", "left", "start", -6), ("transitioning", "center", "mid", -24),
                                        ("collaborating", "right", "end", -6)):
                layers.append(alt.Chart(bands[bands["band"] == band]).mark_text(align=align, dy=dy, **text).encode(
                    x=alt.X(f"{at}:Q", scale=alt.Scale(domain=[0, 100])), y=alt.value(0), text="label:N"))
    rules = alt.Chart(bands.iloc[1:])
    if orient == "y":
        layers.append(rules.mark_rule(color="#1d3b57", strokeDash=[4, 3], opacity=0.6).encode(y="start:Q"))
    else:
        ends = {} if rule_to is None else {"y": alt.value(0), "y2": alt.value(rule_to)}
        layers.append(rules.mark_rule(color="#1d3b57", strokeDash=[4, 3], opacity=0.8).encode(x="start:Q", **ends))
    return layers


# -- Overview ----------------------------------------------------------------------

def index_over_time(index: pd.DataFrame, thresholds: tuple[float, float], k: int,
                    *, waves: Sequence[str] | None = None, width: int = 760,
                    height: int = 340) -> alt.TopLevelMixin:
    """The programme's collaboration index per wave with its 95% interval band.

    ``index`` is ``scores.index_scores`` output; only the programme rows are drawn.
    A wave whose programme index is hidden is a ✕ in a row of its own under the plot (``hidden_row``)."""
    data = _display(index[index["partner_id"].isna()], k)
    order = list(waves) if waves is not None else list(data.sort_values("wave_start")["wave"])
    hidden = data[data["suppressed"].astype(bool)]
    x = wave_axis(order, **row_offset(not hidden.empty))
    tooltip = [alt.Tooltip("wave:N", title="Wave"), alt.Tooltip("score_text:N", title="Index"),
               N_TIP, INTERVAL_TIP, STATUS_TIP]
    shown = data[~data["suppressed"].astype(bool)]
    y = alt.Y("score:Q", title="Collaboration index (0-100)", scale=alt.Scale(domain=[0, 100]))
    layers = _band_layers(thresholds)
    layers += [
        alt.Chart(shown).mark_area(opacity=0.25, color=PROGRAMME_COLOUR).encode(
            x=x, y=alt.Y("ci_low:Q", scale=alt.Scale(domain=[0, 100]), title="Collaboration index (0-100)"),
            y2="ci_high:Q", tooltip=tooltip),
        alt.Chart(shown).mark_line(color=PROGRAMME_COLOUR, strokeWidth=3).encode(x=x, y=y),
        alt.Chart(shown).mark_point(color=PROGRAMME_COLOUR, filled=True, size=110).encode(x=x, y=y, tooltip=tooltip),
    ]
    if not hidden.empty:
        layers += hidden_row(alt.Chart(hidden), alt.Chart(ONE_ROW), x, height, tooltip=tooltip)
    in_order = data.set_index("wave").reindex([w for w in order if w in set(data["wave"])]).reset_index()
    chart = alt.layer(*layers).properties(
        width=width, height=height,
        description=f"Line chart of the programme's collaboration index (0-100) by survey wave: {_said(in_order, 'wave')}.",
        title=alt.Title("Programme collaboration index", subtitle=[("Line: mean of all respondents; "
                        "shaded: 95% interval. Backgrounds: bands."), *(
                            [hidden_row_words("a wave whose index is not shown")]
                            if not hidden.empty else [])]))
    return _style(with_table(chart, "The programme's index by wave", in_order, tooltip))


def spectrum(index: pd.DataFrame, colours: dict[str, str], thresholds: tuple[float, float], k: int,
             *, changes: pd.DataFrame | None = None, width: int = 900) -> alt.TopLevelMixin:
    """Every shown partner (and the programme) on one cooperation -> collaboration strip.

    ``index``: ``scores.index_scores`` rows of one wave. Partners sit on their own lane
    of the same 0-100 strip (so close scores never hide each other), ordered by score.
    ``changes``: ``scores.changes`` rows (collaboration_index) of that wave, for tooltips."""
    data = _display(index, k)
    if changes is not None and not changes.empty:
        ch = changes[changes["factor"] == "collaboration_index"]
        ch = ch.assign(_key=ch["partner_id"].fillna(-1).astype("int64"))[
            ["_key", "change", "beyond_uncertainty", "previous_wave", "no_change"]]
        data = data.assign(_key=data["partner_id"].fillna(-1).astype("int64")).merge(ch, on="_key", how="left")
    else:
        data = data.assign(change=np.nan, beyond_uncertainty=pd.NA, previous_wave=None, no_change=None)
    data["change_text"] = [words.change(c, why, wave, w) if pd.notna(why) or pd.notna(c) else ""
                           for c, why, wave, w in zip(data["change"], data["no_change"], data["wave"], data["previous_wave"])]
    data["beyond"] = data["beyond_uncertainty"].map(lambda v: "no change to test" if pd.isna(v) else ("yes" if v else "no"))
    shown = data[~data["suppressed"].astype(bool)].sort_values("score", ascending=False)
    order = list(shown["partner"])
    lane = alt.Y("partner:N", sort=order, title=None,
                 axis=alt.Axis(labelFontSize=15, labelFontWeight="bold", ticks=False, domain=False))
    x = alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=list(range(0, 101, 10))),
              title="Cooperation (0) → collaboration (100): collaboration index")
    tooltip = [alt.Tooltip("partner:N", title="Partner"), alt.Tooltip("score_text:N", title="Index"),
               N_TIP, INTERVAL_TIP, CHANGE_TIP, alt.Tooltip("beyond:N", title="Change beyond noise")]
    colour = alt.Color("partner:N", scale=_colour_scale(colours, order), legend=None)
    height = max(60, 52 * len(order)) + 40
    layers = _band_layers(thresholds, orient="x")
    if not shown.empty:
        layers += [
            alt.Chart(shown).mark_rule(strokeWidth=3, opacity=0.7).encode(
                x=alt.X("ci_low:Q", scale=alt.Scale(domain=[0, 100])), x2="ci_high:Q", y=lane,
                color=colour, tooltip=tooltip),
            alt.Chart(shown).mark_point(filled=True, size=320, opacity=1, stroke="white",
                                        strokeWidth=1.5).encode(
                x=x, y=lane, color=colour,
                shape=alt.condition(alt.datum.partner == PROGRAMME, alt.value("diamond"),
                                    alt.value("circle")),
                tooltip=tooltip),
            *haloed_text(alt.Chart(shown), thresholds, "ci_high",
                         mark={"align": "left", "dx": 12, "dy": -13, "fontSize": 14, "fontWeight": "bold"},
                         x="ci_high:Q", y=lane, text="score_text:N"),
        ]
    hidden = data[data["suppressed"].astype(bool)].sort_values("partner")
    in_order = pd.concat([shown, hidden])
    chart = alt.layer(*layers).properties(width=width, height=height, description=(
        "Each partner's collaboration index on one cooperation (0) to collaboration (100) strip, highest "
        f"first: {_said(in_order, 'partner')}."))
    return _style(with_table(chart, "Where partners stand", in_order, tooltip))


# -- Partner profile ------------------------------------------------------------------

# The factor panels' marks and their words: the chart draws from these and the caption
# (``factors_key``) is made from them, so the two cannot drift apart.
PARTNER_DASH, PROGRAMME_DASH = (1, 0), (5, 3)
LINE_WORDS = {PARTNER_DASH: "solid line", PROGRAMME_DASH: "dashed line"}
# a bar through each dot, not a shaded area: an area between waves not next to each other draws nothing
INTERVAL_WORDS = "a dot on each wave with a score, a bar through it: its 95% interval"


def _joined(factors: pd.DataFrame | None, name: str, waves: Sequence[str] | None,
            which: Sequence[str] | None) -> bool:
    """Whether ``factors_over_time`` draws a line for ``name``: in some panel two of its rows next
    to each other in wave order both have a score (a hidden wave's empty score breaks the line;
    a wave with no row is skipped). Without the frame: assumed."""
    if factors is None:
        return True
    rows = factors[(factors["partner"] == name) & factors["factor"].isin(list(which or FACTORS))]
    place = rows["wave"].map({w: i for i, w in enumerate(waves)}) if waves is not None else rows["wave_start"]
    rows = rows.assign(_place=place).dropna(subset=["_place"]).sort_values(["factor", "_place"])
    scored = rows["score"].notna() & ~rows["suppressed"].astype(bool)
    after_scored = scored.groupby(rows["factor"]).shift(fill_value=False).astype(bool)
    return bool((scored & after_scored).any())


def factors_key(partner: str, factors: pd.DataFrame | None = None, waves: Sequence[str] | None = None,
                which: Sequence[str] | None = None) -> str:
    """What the factor panels of these arguments (``factors_over_time``'s) draw, in words: their
    caption on the page and in the pack. A group none of whose shown waves are next to each
    other has dots and no line."""
    def drawn(name: str, dash: tuple[int, int]) -> str:
        return LINE_WORDS[dash] if _joined(factors, name, waves, which) else "dots only (no two waves in a row shown)"

    return (f"{partner}: {drawn(partner, PARTNER_DASH)}; the programme: {drawn(PROGRAMME, PROGRAMME_DASH)}; "
            f"{INTERVAL_WORDS}. {hidden_row_words(f'a wave where {partner} is not shown')}.")


def factors_over_time(factors: pd.DataFrame, partner: str, colours: dict[str, str],
                      thresholds: tuple[float, float], k: int, *,
                      which: Sequence[str] | None = None, waves: Sequence[str] | None = None,
                      columns: int = 2, width: int = 225, height: int = 200) -> alt.TopLevelMixin:
    """Small multiples: each factor over time, the partner against the programme; two a row,
    which fit the page at 1024 px (small multiples keep their size: they cannot be fitted to it).

    ``factors``: ``scores.factor_scores`` rows of this partner and the programme. Lines
    and dots with a 95% interval bar through each, the partner's outlined (``outline``); a suppressed wave
    of the partner is a ✕ in the row under its panel (``hidden_row``) with the reason in the tooltip."""
    which = list(which or FACTORS)
    data = _display(factors[factors["factor"].isin(which)], k)
    data["factor_label"] = data["factor"].map(factor_label)
    order = list(waves) if waves is not None else list(
        data.drop_duplicates("wave").sort_values("wave_start")["wave"])
    names = [n for n in (partner, PROGRAMME) if n in set(data["partner"])]
    scale = _colour_scale(colours, names)
    colour = alt.Color("partner:N", scale=scale, legend=None)
    legend_colour = alt.Color("partner:N", scale=scale, legend=alt.Legend(
        title=None, orient="top", direction="horizontal", symbolType="stroke", symbolStrokeWidth=4))
    any_hidden = hidden_row_drawn(data, partner)
    x = wave_axis(order, None, labelFontSize=12, **row_offset(any_hidden))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)")
    interval = {"x": x, "y": alt.Y("ci_low:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)"),
                "y2": "ci_high:Q"}
    own = colours.get(partner, PALETTE[0])
    tooltip = [GROUP_TIP, FACTOR_TIP, alt.Tooltip("wave:N", title="Wave"),
               alt.Tooltip("score_text:N", title="Score"), N_TIP, INTERVAL_TIP, STATUS_TIP]
    low, high = thresholds
    panels = []
    for factor in which:
        rows = data[data["factor"] == factor]
        shown = rows[~rows["suppressed"].astype(bool)]
        hidden = rows[rows["suppressed"].astype(bool) & (rows["partner"] == partner)]
        mine, theirs = shown[shown["partner"] == partner], shown[shown["partner"] != partner]
        layers = _band_layers(thresholds, label=False) + [
            alt.Chart(pd.DataFrame({"y": [low, high], "label": [f"{low:g}", f"{high:g}"]})).mark_text(
                align="left", dx=2, dy=-6, fontSize=11, color="#1d3b57").encode(
                y=alt.Y("y:Q", scale=alt.Scale(domain=[0, 100])), x=alt.value(0), text="label:N"),
            alt.Chart(theirs).mark_rule(strokeWidth=3, opacity=0.55).encode(**interval, color=colour, tooltip=tooltip),
            outline(alt.Chart(mine).encode(**interval), "rule", 3, strokeCap="butt"),
            alt.Chart(mine).mark_rule(strokeWidth=3, strokeCap="butt", color=own).encode(**interval, tooltip=tooltip),
            outline(alt.Chart(rows[rows["partner"] == partner]).encode(x=x, y=y), "line", 2.5),
            alt.Chart(rows).mark_line(strokeWidth=2.5).encode(
                x=x, y=y, color=legend_colour,
                strokeDash=alt.condition(alt.datum.partner == PROGRAMME, alt.value(list(PROGRAMME_DASH)),
                                         alt.value(list(PARTNER_DASH)))),
            alt.Chart(shown).mark_point(filled=True, size=60, opacity=1, **POINT_CASING).encode(
                x=x, y=y, color=colour, tooltip=tooltip),
        ]
        if any_hidden:
            layers += hidden_row(alt.Chart(hidden), alt.Chart(ONE_ROW), x, height, legend=True, tooltip=tooltip)
        panels.append(alt.layer(*layers).properties(width=width, height=height,
                                                    title=factor_label(factor)))
    last = data[data["wave"] == order[-1]] if order else data[:0]
    mine = last[last["partner"] == partner].set_index("factor").reindex(which).dropna(subset=["partner"])
    chart = alt.concat(*panels, columns=columns).resolve_scale(color="shared", shape="shared").properties(description=(
        f"One line chart per factor: {partner}'s score (0-100) by survey wave against the programme's. "
        f"In {order[-1] if order else 'the latest wave'}: "
        f"{_said(mine, 'factor_label')}."))
    in_order = _rows_in(data, factor=which, wave=order, partner=(partner, PROGRAMME))
    return _style(with_table(chart, "The factors over time", in_order, tooltip))


def factor_profile(factors: pd.DataFrame, partner: str, colours: dict[str, str],
                   thresholds: tuple[float, float], k: int, *, width: int = 760) -> alt.TopLevelMixin:
    """One wave as a profile across the five factors: the partner (dot and interval)
    against the programme (grey tick); a hidden factor says why at the left edge."""
    data = _display(factors, k)
    data["factor_label"] = data["factor"].map(factor_label)
    order = [factor_label(f) for f in FACTORS]
    y = alt.Y("factor_label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=15))
    x = alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)",
              axis=alt.Axis(values=list(range(0, 101, 10))))
    tooltip = [GROUP_TIP, FACTOR_TIP, alt.Tooltip("score_text:N", title="Score"), N_TIP, INTERVAL_TIP,
               STATUS_TIP]
    mine = data[data["partner"] == partner]
    programme = data[(data["partner"] == PROGRAMME) & ~data["suppressed"].astype(bool)]
    shown = mine[~mine["suppressed"].astype(bool)]
    hidden = mine[mine["suppressed"].astype(bool)].assign(x=1.0, label=lambda f: f"{NOT_SHOWN_MARK} not shown: "
                                                           + f["status"])
    colour = colours.get(partner, PALETTE[0])
    layers = _band_layers(thresholds, orient="x")
    layers += [
        alt.Chart(programme).mark_tick(color=PROGRAMME_COLOUR, thickness=4, size=34).encode(x=x, y=y, tooltip=tooltip),
        alt.Chart(shown).mark_rule(color=colour, strokeWidth=4).encode(
            x=alt.X("ci_low:Q", scale=alt.Scale(domain=[0, 100])), x2="ci_high:Q", y=y, tooltip=tooltip),
        alt.Chart(shown).mark_point(color=colour, filled=True, size=300, opacity=1).encode(x=x, y=y, tooltip=tooltip),
        alt.Chart(shown).mark_text(align="right", dx=-8, fontSize=15, fontWeight="bold",
                                   color=colour).encode(x="ci_low:Q", y=y, text="score_text:N"),
    ]
    if not hidden.empty:
        layers.append(alt.Chart(hidden).mark_text(align="left", fontSize=14, color="#8a2d2d").encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=[0, 100])), y=y, text="label:N", tooltip=tooltip))
    chart = alt.layer(*layers).properties(
        width=width, height=5 * 56 + 30,
        description=f"{partner}'s score (0-100) on each factor, with the programme's: " + "; ".join(
            f"{row['factor_label']} " + ("not shown" if row["suppressed"] else row["score_text"])
            + "".join(f" (programme {p})" for p in programme.loc[programme["factor"] == row["factor"], "score_text"])
            for _, row in mine.iterrows()) + ".",
        title=alt.Title(f"{partner} across the five factors",
                        subtitle="Dot and line: the partner and its 95% interval; grey tick: the programme."))
    in_order = _rows_in(data, factor=FACTORS, partner=(partner, PROGRAMME))
    return _style(with_table(chart, "The profile", in_order, tooltip))


def respondents_per_wave(index: pd.DataFrame, partner: str, colours: dict[str, str], k: int, *,
                         waves: Sequence[str] | None = None, width: int = 640) -> alt.TopLevelMixin:
    """Respondents per wave (the index n: the smallest factor n). A hidden wave is a
    labelled marker, never a zero bar."""
    data = _display(index[index["partner"] == partner], k)
    order = list(waves) if waves is not None else list(data.sort_values("wave_start")["wave"])
    x = wave_axis(order)
    tooltip = [alt.Tooltip("wave:N", title="Wave"), N_TIP, STATUS_TIP]
    shown = data[~data["suppressed"].astype(bool)]
    hidden = data[data["suppressed"].astype(bool)].assign(y=0)
    hidden["label"] = [words.reason(c, k, words.Form.COUNT) for c in hidden["code"]]
    top = max(float(shown["n"].max()) if not shown.empty else 0.0, float(k)) * 1.2
    y = alt.Y("n:Q", title="Respondents", scale=alt.Scale(domain=[0, top]))
    layers = [
        alt.Chart(pd.DataFrame({"k": [k], "label": [f"k = {k}: smallest group shown"]})).mark_rule(
            color="#8a2d2d", strokeDash=[4, 3]).encode(y=alt.Y("k:Q", scale=alt.Scale(domain=[0, top]))),
        alt.Chart(shown).mark_bar(color=colours.get(partner, PALETTE[0]), size=28).encode(x=x, y=y, tooltip=tooltip),
        alt.Chart(shown).mark_text(dy=-8, fontSize=13).encode(x=x, y=y, text="n_text:N"),
    ]
    if not hidden.empty:
        layers.append(alt.Chart(hidden).mark_text(baseline="bottom", dy=-4, fontSize=13, color="#8a2d2d",
                                                  fontWeight="bold").encode(
            x=x, y=alt.Y("y:Q", scale=alt.Scale(domain=[0, top])), text="label:N", tooltip=tooltip))
    in_order = data.set_index("wave").reindex([w for w in order if w in set(data["wave"])]).reset_index()
    in_order["said"] = [words.reason(c, k, words.Form.COUNT) if h else t
                        for c, h, t in zip(in_order["code"], in_order["suppressed"], in_order["n_text"])]
    chart = alt.layer(*layers).properties(
        width=width, height=260,
        description=f"Bar chart of {partner}'s respondents per survey wave: "
                    + "; ".join(f"{w} {t}" for w, t in zip(in_order["wave"], in_order["said"])) + ".",
        # a line per reason: one line of them all was cut at 1024 px
        title=alt.Title("Respondents per wave", subtitle=[
            "Each bar: the fewest who answered any one factor."] + [
            f"'{words.reason(c, k, words.Form.COUNT)}': {words.reason(c, k)}." for c in Suppression]))
    return _style(chart)


def hidden_marks(k: int, codes: Iterable | None = None) -> list[str]:
    """What the short mark under a hidden group's ✕ means, a line per reason (of ``codes``, the
    reasons drawn; every reason when None), for a chart's subtitle, a caption or a slide note."""
    drawn = set(Suppression) if codes is None else {words.code(c) for c in codes}
    return [f"{NOT_SHOWN_MARK} {words.reason(c, k, words.Form.MARK)}: {words.reason(c, k)}"
            for c in Suppression if c in drawn]


# -- Compare -----------------------------------------------------------------------------

def heatmap_frame(factors: pd.DataFrame, index: pd.DataFrame, changes: pd.DataFrame,
                  k: int) -> pd.DataFrame:
    """Partner x (factors + index) cells of one wave, with change arrows; no programme."""
    cells = pd.concat([factors[factors["partner_id"].notna()],
                       index[index["partner_id"].notna()].assign(factor="collaboration_index")],
                      ignore_index=True)
    ch = changes[changes["partner_id"].notna()][["partner_id", "factor", "change", "beyond_uncertainty", "previous_wave",
                                                 "no_change"]]
    cells = cells.merge(ch, on=["partner_id", "factor"], how="left")
    cells = _display(cells, k)
    cells["column"] = cells["factor"].map(factor_label)

    def arrow(row) -> str:
        if pd.isna(row["change"]):
            return ""
        sign = "▲" if row["change"] > 0 else ("▼" if row["change"] < 0 else "•")
        mark = "" if pd.isna(row["beyond_uncertainty"]) or not row["beyond_uncertainty"] else " *"
        return f"{sign}{abs(row['change']):.1f}{mark}"

    cells["arrow"] = cells.apply(arrow, axis=1) if not cells.empty else pd.Series(dtype=object)
    hidden = cells["suppressed"].astype(bool)
    cells.loc[hidden, "arrow"] = [words.reason(c, k, words.Form.MARK) for c in cells.loc[hidden, "code"]]
    cells["change_text"] = [words.change(c, why, wave, w) for c, why, wave, w in
                            zip(cells["change"], cells["no_change"], cells["wave"], cells["previous_wave"])]
    cells["cell"] = np.where(hidden, NOT_SHOWN_MARK, cells["score_text"])
    cells["heat"] = cells["band"].where(~cells["suppressed"].astype(bool), "not shown").fillna("not shown")
    return cells


def _heat_colour(thresholds: tuple[float, float]) -> alt.Color:
    """A cell's band colour ("not shown" grey) with its legend under the chart: the heatmap's and the ratings'."""
    labels = band_labels(thresholds)
    domain = [*BANDS, "not shown"]
    legend_labels = {**labels, "not shown": f"{NOT_SHOWN_MARK} Not shown (privacy)"}
    expr = " : ".join(f"datum.label == '{b}' ? '{legend_labels[b]}'" for b in domain) + " : datum.label"
    return alt.Color("heat:N", title="Band", scale=alt.Scale(domain=domain, range=[HEAT_COLOURS[b] for b in domain]),
                     legend=alt.Legend(orient="bottom", labelExpr=expr, columns=2))


def heatmap(cells: pd.DataFrame, order: Sequence[str], thresholds: tuple[float, float], k: int,
            *, columns: Sequence[str] | None = None, select: str | None = "pick",
            width: int = 900) -> alt.TopLevelMixin:
    """Partners (rows, in ``order``) x factors + index (columns): band colour, score and
    the change since the previous wave (▲/▼, * when beyond noise). ``select``
    names a point selection on partner (clicking a row picks the partner)."""
    columns = list(columns or [factor_label(f) for f in (*FACTORS, "collaboration_index")])
    cells = cells[cells["column"].isin(columns)]
    colour = _heat_colour(thresholds)
    # a column too narrow for a long word ("accountability", ~105 px) takes the factor's short label
    short = " : ".join(f"datum.label == {json.dumps(factor_label(f))} ? {json.dumps(SHORT_LABELS[f])}"
                       for f in SHORT_LABELS)
    x = alt.X("column:N", sort=columns, title=None,
              axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=14, labelLimit=170, labelFontWeight="bold",
                            labelExpr=f"split(width / {len(columns)} < 110 ? ({short} : datum.label) : datum.label, ' ')",
                            labelBaseline="bottom", labelPadding=20, labelLineHeight=16, ticks=False, domain=False))
    y = alt.Y("partner:N", sort=list(order), title=None, axis=alt.Axis(labelFontSize=15, labelLimit=260))
    tooltip = [alt.Tooltip("partner:N", title="Partner"), alt.Tooltip("column:N", title="Factor"),
               alt.Tooltip("score_text:N", title="Score"), N_TIP, INTERVAL_TIP, CHANGE_TIP, STATUS_TIP]
    rect = alt.Chart(cells).mark_rect(stroke="white", strokeWidth=2).encode(x=x, y=y, color=colour, tooltip=tooltip)
    if select:
        pick = alt.selection_point(name=select, fields=["partner"], on="click", clear="dblclick")
        rect = rect.add_params(pick).encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)))
    dark = alt.datum.heat == "collaborating"
    score = alt.Chart(cells).mark_text(fontSize=17, fontWeight="bold", dy=-9).encode(
        x=x, y=y, text="cell:N", color=alt.condition(dark, alt.value("white"), alt.value("#1b1b1b")),
        tooltip=tooltip)
    change = alt.Chart(cells).mark_text(fontSize=13, dy=11).encode(
        x=x, y=y, text="arrow:N", color=alt.condition(dark, alt.value("white"), alt.value("#333333")),
        tooltip=tooltip)
    height = max(80, 58 * len(order))
    rows = cells.set_index(["partner", "column"])
    said = "; ".join(f"{p}: " + ", ".join(
        f"{c} " + ("not shown" if rows.at[(p, c), "suppressed"] else rows.at[(p, c), "score_text"])
        for c in columns if (p, c) in rows.index) for p in order)
    chart = alt.layer(rect, score, change).properties(
        width=width, height=height,
        description=f"Heatmap of each partner's scores (0-100) on {', '.join(columns)}. {said}.",
        title=alt.Title("Partners × factors", subtitle=[
            "Score (0-100) and change since the previous wave; * beyond noise.",
            *(["Click a row to open that partner."] if select else []),
            *hidden_marks(k, cells.loc[cells["suppressed"].astype(bool), "code"])]))
    return _style(chart)


def ratings_matrix(cells: pd.DataFrame, order: Sequence[str], thresholds: tuple[float, float], *,
                   width: int = 900) -> alt.TopLevelMixin:
    """Who rates whom: rating organisations (rows) x rated partners (columns, then "All partners"),
    both in ``order``. ``cells`` (``views.ratings``): rater, target, heat (band or "not shown"),
    cell and arrow texts, and the tooltip texts score_text, n_text, mirror_text, gap_text,
    change_text, status."""
    colour = _heat_colour(thresholds)
    x = alt.X("target:N", sort=list(order), title="Rated partner",
              # slanted, whole names: level and split at spaces, a long word ran into the next
              # column's at 1024 px (a column is ~57 px there)
              axis=alt.Axis(orient="top", labelAngle=-40, labelAlign="left", labelBaseline="middle",
                            labelFontSize=12, labelLimit=170, labelFontWeight="bold", labelPadding=6,
                            ticks=False, domain=False))
    y = alt.Y("rater:N", sort=list(order), title="Rating organisation", axis=alt.Axis(labelFontSize=14, labelLimit=220))
    tooltip = [alt.Tooltip("rater:N", title="Rating organisation"), alt.Tooltip("target:N", title="Rated partner"),
               alt.Tooltip("score_text:N", title="Score"), N_TIP,
               alt.Tooltip("mirror_text:N", title="Rated back"), alt.Tooltip("gap_text:N", title="Gap to rated back"),
               CHANGE_TIP, STATUS_TIP]
    rect = alt.Chart(cells).mark_rect(stroke="white", strokeWidth=2).encode(x=x, y=y, color=colour, tooltip=tooltip)
    dark = alt.datum.heat == "collaborating"
    score = alt.Chart(cells).mark_text(fontSize=16, fontWeight="bold", dy=-9).encode(
        x=x, y=y, text="cell:N", color=alt.condition(dark, alt.value("white"), alt.value("#1b1b1b")), tooltip=tooltip)
    arrow = alt.Chart(cells).mark_text(fontSize=12, dy=11).encode(
        x=x, y=y, text="arrow:N", color=alt.condition(dark, alt.value("white"), alt.value("#333333")), tooltip=tooltip)
    rows = len(pd.unique(cells["rater"])) if not cells.empty else 1
    chart = alt.layer(rect, score, arrow).properties(
        width=width, height=max(80, 56 * rows),
        description="Who rates whom: each rating organisation's score for each partner it rates; the same "
                    "numbers are in the table below the chart.",
        title=alt.Title("Who rates whom", subtitle="Score 0-100; arrow: change since the previous wave; "
                        "\u2715 not shown."))
    return _style(chart)


# -- images --------------------------------------------------------------------------------

def _spec(chart) -> str:
    """The Vega-Lite JSON of a chart (or of its spec dict), with missing values (NaN) as null."""
    text = json.dumps(chart) if isinstance(chart, dict) else chart.to_json()
    return json.dumps(json.loads(text, parse_constant=lambda _: None))


def to_png(chart, scale: float = 2.0) -> bytes:
    """The chart as a PNG (vl-convert; no browser), at ``scale`` times its pixel size."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(_spec(chart), scale=scale)


def to_svg(chart) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_spec(chart)).encode("utf-8")
