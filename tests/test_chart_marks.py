"""Chart marks that cannot be misread (#23, the review's "left" items): a hidden wave's ✕ stands in a
grey "not shown" row of its own under the plot, never on the score axis where it read as a very low
score; the partner's own marks are outlined on the page's factor panels as on the slides' (a light
partner colour on the Collaborating band is under 3:1). Page (``charts``) and slide (``slide_charts``)."""
from __future__ import annotations

import re

import pandas as pd

from pipelines.present import chart_style, charts, slide_charts
from pipelines.programme.factors import FACTORS
from tests.test_chart_words import _walk
from tests.test_slide_charts import NORTHLINE_BLUE, _frame

COLOURS = {"Northline": NORTHLINE_BLUE, charts.PROGRAMME: charts.PROGRAMME_COLOUR}
THRESHOLDS = (50.0, 70.0)


def _page(hidden: set[str] = frozenset(), **kw) -> dict:
    return charts.factors_over_time(_frame("Northline", hidden), "Northline", COLOURS, THRESHOLDS, 5, **kw).to_dict()


def _slide(hidden: set[str] = frozenset()) -> dict:
    return slide_charts.partner_factors(_frame("Northline", hidden), "Northline", COLOURS, FACTORS, THRESHOLDS,
                                        width=200.0, height=110.0).to_dict()


def _index(hidden: set[str] = frozenset()) -> dict:
    rows = _frame("Northline", hidden)
    rows = rows[(rows["partner"] == "Northline") & (rows["factor"] == "shared_goals")].assign(partner_id=None)
    return charts.index_over_time(rows, THRESHOLDS, 5).to_dict()


def _layers(spec: dict, mark: str, **props) -> list[dict]:
    """Every layer drawing ``mark`` whose mark properties include ``props``."""
    return [v for k, v in _walk(spec) if k == "layer" for v in v
            if isinstance(v.get("mark"), dict) and v["mark"]["type"] == mark
            and all(v["mark"].get(p) == want for p, want in props.items())]


def _crosses(spec: dict) -> list[dict]:
    """The ✕ marks: the glyph as text, or its strokes as a point's path (which has a legend entry)."""
    return _layers(spec, "text", text=charts.NOT_SHOWN_MARK) + [
        p for p in _layers(spec, "point", filled=False)
        if p["encoding"].get("shape", {}).get("scale", {}).get("range") == [chart_style.CROSS_PATH]]


def _x_axes(spec: dict) -> list[dict]:
    return [v["x"]["axis"] for k, v in _walk(spec) if k == "encoding" and "axis" in v.get("x", {})]


def test_a_hidden_wave_on_a_page_panel_stands_under_the_plot_not_on_the_score_axis():
    crosses = _crosses(_page({"2025-Q3"}))
    assert len(crosses) == 5  # one a panel
    # the panel is 200 px tall (score 0 at 200): the row runs from 203 to 221 px, the ✕ in its middle
    assert {str(c["encoding"]["y"]) for c in crosses} == {"{'value': 212.0}"}
    assert all("field" not in c["encoding"]["y"] for c in crosses)


def test_the_row_is_a_grey_strip_said_not_shown_once_in_the_legend():
    spec = _page({"2025-Q3"})
    strips = _layers(spec, "rect", color="#f0f0f0")
    assert [(s["encoding"]["y"], s["encoding"]["y2"]) for s in strips] == [({"value": 203.0}, {"value": 221.0})] * 5
    assert {str(c["encoding"]["shape"]["scale"]["domain"]) for c in _crosses(spec)} == {"['not shown']"}
    svg = charts.to_svg(spec).decode()
    assert re.findall(r"<text[^>]*>(not shown)</text>", svg) == ["not shown"]  # no label beside each panel


def test_the_programme_index_labels_its_row_beside_it():
    labels = _layers(_index({"2025-Q3"}), "text", text="not shown")
    assert [(lb["mark"]["align"], lb["encoding"]["y"]) for lb in labels] == [("right", {"value": 352.0})]


def test_the_wave_axis_moves_under_the_row_in_every_panel():
    assert [a.get("offset") for a in _x_axes(_page({"2025-Q3"}))].count(22) >= 5
    assert {a.get("offset") for a in _x_axes(_page())} == {None}  # no hidden wave: no row, no offset


def test_a_panel_without_a_hidden_wave_has_its_row_when_another_has_one():
    frame = _frame("Northline", {"2025-Q3"})
    frame.loc[(frame["factor"] != "shared_goals") & (frame["partner"] == "Northline"), "suppressed"] = False
    frame["score"] = frame["score"].fillna(60.0)
    spec = charts.factors_over_time(frame, "Northline", COLOURS, THRESHOLDS, 5).to_dict()
    assert len(_layers(spec, "rect", color="#f0f0f0")) == 5  # the axes line up across the panels
    assert len(_crosses(spec)) == 5  # shared goals' ✕; the others' layers draw no row of data


def test_no_hidden_wave_draws_no_row():
    spec = _page()
    assert not _layers(spec, "rect", color="#f0f0f0") and not _crosses(spec)


def test_in_the_drawn_chart_the_cross_is_below_the_zero_tick():
    svg = charts.to_svg(_index({"2025-Q3"})).decode()
    (zero,) = re.findall(r'translate\(-?[\d.]+,([\d.]+)\)"[^>]*>0</text>', svg)
    (cross,) = re.findall(r'translate\([\d.]+,([\d.]+)\)"[^>]*>\u2715</text>', svg)
    (label,) = re.findall(r'translate\(-?[\d.]+,([\d.]+)\)"[^>]*>not shown</text>', svg)
    assert float(zero) < float(label) and float(zero) < float(cross)


def test_a_hidden_wave_on_a_slide_panel_stands_in_the_same_row():
    spec = _slide({"2025-Q3"})
    crosses = _crosses(spec)
    # the slide's panel is 110 px tall; its row 14 px (22 took a small panel's 50 label's room)
    assert [c["encoding"]["y"] for c in crosses] == [{"value": 118.0}]
    assert crosses[0]["transform"][0] == {"filter": "datum.cross"}
    assert [s["encoding"]["y"] for s in _layers(spec, "rect", color="#f0f0f0")] == [{"value": 113.0}]
    assert {a.get("offset") for a in _x_axes(spec)} == {14}
    assert not _crosses(_slide()) and {a.get("offset") for a in _x_axes(_slide())} == {None}


def test_the_slide_says_what_its_cross_means_in_its_legend_not_beside_each_panel():
    svg = charts.to_svg(_slide({"2025-Q3"})).decode()
    assert re.findall(r'<text[^>]*>(not shown)</text>', svg) == ["not shown"]  # the legend's entry, once
    assert svg.count('class="mark-group role-legend"') == 2  # the lines' and the cross's
    drawn = re.findall(r'aria-roledescription="point" transform="translate\([\d.]+,(\d+)\)" d="M-3.873,-3.873L3.873,'
                       r'3.873M3.873,-3.873L-3.873,3.873" stroke="#8a2d2d"', svg)
    assert drawn == ["118"] * 5  # a ✕ in each panel's row, under its 110 px plot


def test_the_programme_index_hides_a_wave_in_the_row_and_says_so():
    spec = _index({"2025-Q3"})
    assert [c["encoding"]["y"] for c in _crosses(spec)] == [{"value": 352.0}]  # the chart is 340 px tall
    assert spec["title"]["subtitle"] == [
        "Line: mean of all respondents; shaded: 95% interval. Backgrounds: bands.",
        "\u2715 in the grey \u201cnot shown\u201d row: a wave whose index is not shown (hover for why)"]
    assert _index()["title"]["subtitle"] == ["Line: mean of all respondents; shaded: 95% interval. Backgrounds: bands."]


def test_the_page_panels_outline_the_partners_line_and_bars_as_the_slides_do():
    svg = charts.to_svg(_page({"2025-Q3"})).decode()
    outlines = re.findall(r'aria-roledescription="line mark"[^>]*stroke="#1F2328" stroke-width="4.5"', svg)
    assert len(outlines) == 5  # under the partner's 2.5 px line, one a panel
    bars = re.findall(r'aria-roledescription="rule mark"[^>]*stroke="#1F2328" stroke-width="5"', svg)
    assert len(bars) == 2 * 5  # under each shown wave's 3 px interval bar: 2025-Q1 and 2026-Q1
    own = re.findall(r'aria-roledescription="rule mark"[^>]*stroke="#56B4E9" stroke-width="3"(?! opacity)', svg)
    assert len(own) == 2 * 5  # drawn whole over its outline (the programme's bars stay at 0.55)


def test_the_outline_is_one_rule_for_page_and_slide():
    page, slide = _page(), _slide()
    for spec, line in ((page, 2.5), (slide, 3)):
        (casing,) = {(m["mark"]["color"], m["mark"]["strokeWidth"]) for m in _layers(spec, "line", color=chart_style.CASING)}
        assert casing == (chart_style.CASING, line + 2)
        assert {m["mark"].get("stroke") for m in _layers(spec, "point")} == {chart_style.CASING}
    assert chart_style.CASING == "#1F2328"


def test_only_the_partners_line_is_outlined_on_the_page():
    spec = _page()
    data = {name: rows for name, rows in spec["datasets"].items()}
    outlined = _layers(spec, "line", color=chart_style.CASING)
    partners = {row["partner"] for layer in outlined for row in data[layer["data"]["name"]]}
    assert partners == {"Northline"}


def test_a_hidden_wave_frame_builds_without_a_programme_row():
    frame = _frame("Northline", {"2025-Q3"})
    frame = frame[frame["partner"] == "Northline"]
    spec = charts.factors_over_time(pd.DataFrame(frame), "Northline", COLOURS, THRESHOLDS, 5).to_dict()
    assert len(_crosses(spec)) == 5
