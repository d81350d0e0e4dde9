"""The pack's partner slides' factor panels (reviewer's finding 15): one legend of line samples, a
year axis under each panel and none under the empty sixth place, the partner's marks visible on
every band (WCAG 1.4.11: 3:1 for graphics), its interval drawn at every shown wave."""
from __future__ import annotations

import re

import pandas as pd

from pipelines.present import chart_style, charts, slide_charts
from pipelines.programme.factors import FACTORS
from pipelines.query.scores import PROGRAMME, Suppression
from tests.test_chart_layout import _contrast

NORTHLINE_BLUE = "#56B4E9"  # charts.PALETTE's sky blue: 1.6:1 on the Collaborating band as drawn


def _frame(partner: str, hidden: set[str] = frozenset()) -> pd.DataFrame:
    rows = []
    for name in (partner, PROGRAMME):
        for f in FACTORS:
            for i, (wave, start) in enumerate((("2025-Q1", "2025-01-01"), ("2025-Q3", "2025-07-01"),
                                               ("2026-Q1", "2026-01-01"))):
                gone = name == partner and wave in hidden
                rows.append(dict(partner=name, factor=f, wave=wave, wave_start=start,
                                 score=None if gone else 75.0 + i, n=None if gone else 9,
                                 ci_low=None if gone else 68.0, ci_high=None if gone else 82.0, suppressed=gone,
                                 suppression_reason=Suppression.SMALL_GROUP if gone else None))
    return pd.DataFrame(rows)


def _svg(partner: str = "Northline", hidden: set[str] = frozenset()) -> str:
    chart = slide_charts.partner_factors(_frame(partner, hidden), partner, {partner: NORTHLINE_BLUE}, FACTORS,
                                         (50.0, 70.0), width=200.0, height=110.0)
    return charts.to_svg(chart.to_dict()).decode()


def test_the_legend_is_one_row_of_line_samples_not_a_dashed_point():
    spec = slide_charts.partner_factors(_frame("Northline"), "Northline", {"Northline": NORTHLINE_BLUE}, FACTORS,
                                        (50.0, 70.0), width=200.0, height=110.0).to_dict()
    svg = charts.to_svg(spec).decode()
    assert svg.count('class="mark-group role-legend"') == 1  # colour and dash: one legend
    legends = [v for layer in spec["spec"]["layer"] for k, v in layer.get("encoding", {}).items()
               if k in ("color", "strokeDash") and v.get("legend")]
    assert {(lg["legend"]["symbolType"], lg["legend"]["symbolStrokeWidth"]) for lg in legends} == {("stroke", 4)}


def test_a_year_axis_under_each_panel_and_none_under_the_empty_place():
    svg = _svg()
    assert len(re.findall(r">2025</text>", svg)) == 5  # five panels; a shared axis stood under 3 columns


def test_the_partners_marks_are_cased_dark_enough_on_every_band():
    svg = _svg()
    assert _contrast(NORTHLINE_BLUE, charts.band_drawn("collaborating")) < 3  # why they are cased
    assert all(_contrast(chart_style.CASING, charts.band_drawn(b)) >= 3 for b in charts.BAND_COLOURS)
    casings = re.findall(r'aria-roledescription="line mark"[^>]*stroke="#1F2328" stroke-width="5"', svg)
    assert len(casings) == 5


def test_each_shown_wave_has_its_interval_bar_even_alone():
    svg = _svg(hidden={"2025-Q3"})  # 2025-Q1 and 2026-Q1 shown, never next to each other
    bars = re.findall(r'<line[^>]*aria-roledescription="rule mark"[^>]*stroke="#56B4E9"', svg)
    assert len(bars) == 2 * 5


# -- the movers' bars: each label beside its bar, whole (a bar at the axis end cut "+25.0 beyond nois") --

def _movers(changes: dict[str, float | None], labels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"partner": list(changes), "change": list(changes.values()),
                         "beyond_uncertainty": [True] * len(changes), "label": [labels[p] for p in changes]})


def _label_spans(frame: pd.DataFrame, width: float) -> dict[str, tuple[float, float]]:
    """Each label's left and right edge in the plot's px, as the chart is drawn (SVG)."""
    colours = {p: NORTHLINE_BLUE for p in frame["partner"]}
    svg = charts.to_svg(slide_charts.movers_bars(frame, colours, lanes=len(frame), width=width,
                                                 height=200.0).to_dict()).decode()
    spans = {}
    for anchor, x, text in re.findall(r'aria-roledescription="text mark" text-anchor="(start|end)" '
                                      r'transform="translate\(([-\d.]+),[-\d.]+\)"[^>]*>([^<]+)</text>', svg):
        width_px = slide_charts.label_width(text)
        left = float(x) if anchor == "start" else float(x) - width_px
        spans[text] = (left, left + width_px)
    return spans


def test_a_rise_reaching_the_end_keeps_its_whole_label_inside_the_plot():
    frame = _movers({"Harbour": 25.0, "Corvell": 3.2}, {"Harbour": "+25.0  beyond noise", "Corvell": "+3.2"})
    spans = _label_spans(frame, 300.0)
    assert set(spans) == {"+25.0  beyond noise", "+3.2"}
    assert all(0.0 <= left and right <= 300.0 for left, right in spans.values())


def test_a_fall_keeps_its_label_inside_the_plot_on_the_left():
    frame = _movers({"Harbour": 1.0, "Corvell": -25.0}, {"Harbour": "+1.0", "Corvell": "-25.0  beyond noise"})
    spans = _label_spans(frame, 300.0)
    assert spans["-25.0  beyond noise"][0] >= 0.0 and spans["+1.0"][1] <= 300.0


def test_a_missing_change_says_why_whole_at_zero():
    frame = _movers({"Harbour": 25.0, "Brackwater": None},
                    {"Harbour": "+25.0  beyond noise", "Brackwater": "no change: no responses in 2026-Q2"})
    spans = _label_spans(frame, 300.0)
    assert all(0.0 <= left and right <= 300.0 for left, right in spans.values())


def test_the_change_scale_is_the_least_that_leaves_the_labels_room():
    low, high = slide_charts.change_domain(pd.Series([25.0]), ["+25.0  beyond noise"], 600.0)
    need = (slide_charts.LABEL_GAP + 2 + slide_charts.label_width("+25.0  beyond noise")) / 600.0
    assert low == -5.0 and round((high - 25.0) / (high - low), 6) == round(need, 6)
    assert slide_charts.change_domain(pd.Series([0.5, -0.5]), ["+0.5", "-0.5"], 600.0) == (-5.0, 5.0)  # never under ±5


# -- the smallest factor panels, with the row of hidden waves under them ------------------------------

def test_a_small_panel_keeps_its_0_50_100_labels_and_lines():
    chart = slide_charts.partner_factors(_frame("Northline", {"2025-Q3"}), "Northline", {"Northline": NORTHLINE_BLUE},
                                         FACTORS, (50.0, 70.0), width=150.0, height=50.0)
    svg = charts.to_svg(chart.to_dict()).decode()
    assert re.findall(r">(0|50|100)</text>", svg) == ["0", "50", "100"] * 2  # the first panel of each row
    assert len(re.findall(r'<line[^>]*stroke="#ddd"', svg)) == 3 * 5  # each panel's 0, 50 and 100 lines

