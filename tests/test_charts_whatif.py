"""The What-if strip: the fast spec a slider move draws is exactly the chart Altair builds and
validates, and it draws everything the chart shows."""
from __future__ import annotations

import json

import altair as alt
import pytest

from pipelines import charts

THRESHOLDS = (40.0, 65.0)
OTHERS = {"Northline Infrastructure": 47.25, "Harbour Civils": 71.5, "Pipwell Ecology": 33.0,
          "Kestrel Design": 58.1, "Quarry Lane Trust": 58.1}


def strip_args(**changes):
    args = dict(partner="Brackwater Systems", now=52.4, projected=61.75, others=OTHERS,
                thresholds=THRESHOLDS, wave="2026-Q3", colour="#0072B2")
    return args | changes


@pytest.mark.parametrize("changes", [
    {},
    {"projected": 12.0},                        # a move down, across a band
    {"projected": 52.4},                        # no move
    {"now": 0.0, "projected": 100.0},           # both ends of the scale
    {"others": {}},                             # the only partner shown
    {"others": {"Solo": 50.0}},
    {"others": OTHERS | {"Hidden": float("nan")}},  # a missing index is left undrawn
    {"partner": "Kestrel Design", "colour": "#E69F00", "wave": "2025-Q4"},
    {"thresholds": [30, 70]},                   # thresholds from settings as a list of ints
])
def test_the_fast_spec_is_the_chart_altair_builds(changes):
    args = strip_args(**changes)
    built = charts.whatif_strip(**args)
    assert isinstance(built, alt.TopLevelMixin)
    assert charts.whatif_strip_spec(**args) == built.to_dict()  # to_dict validates against the schema


def test_the_fast_spec_validates_against_the_vega_lite_schema():
    spec = charts.whatif_strip_spec(**strip_args())
    alt.LayerChart.from_dict(spec, validate=True)


def test_each_spec_is_its_own_dict():
    first = charts.whatif_strip_spec(**strip_args())
    first["datasets"]["whatif-own"][1]["index"] = -1.0
    first["layer"].clear()
    again = charts.whatif_strip_spec(**strip_args())
    assert again["datasets"]["whatif-own"][1]["index"] == 61.75
    assert again["layer"]


def test_only_the_data_changes_with_the_scenario():
    one = charts.whatif_strip_spec(**strip_args())
    other = charts.whatif_strip_spec(**strip_args(now=40.0, projected=80.0,
                                                  others={"Harbour Civils": 20.0}))
    assert {k: v for k, v in one.items() if k != "datasets"} == \
        {k: v for k, v in other.items() if k != "datasets"}
    assert set(one["datasets"]) == set(other["datasets"]) >= set(charts.WHATIF_DATASETS)
    assert other["datasets"]["whatif-own"] == [
        {"what": "now", "index": 40.0, "partner": "Brackwater Systems"},
        {"what": "with this scenario", "index": 80.0, "partner": "Brackwater Systems"}]


def test_other_partners_alternate_label_rows_in_index_order():
    rows = charts.whatif_strip_spec(**strip_args())["datasets"]["whatif-others"]
    assert [r["partner"] for r in rows] == ["Pipwell Ecology", "Northline Infrastructure",
                                            "Kestrel Design", "Quarry Lane Trust", "Harbour Civils"]
    assert [r["dy"] for r in rows] == [18, 30, 18, 30, 18]


def test_the_strip_draws_bands_partners_marker_and_legend():
    spec = charts.whatif_strip_spec(**strip_args())
    svg = charts.to_svg(spec).decode()
    for text in ("Cooperating (&lt;40)", "Transitioning (40–65)", "Collaborating (≥65)",
                 *OTHERS, "Brackwater Systems", "now", "with this scenario",
                 "Collaboration index (0 = cooperating, 100 = collaborating)"):
        assert text in svg, text
    assert "#0072B2" in svg.upper()  # the partner's own colour
    assert 'aria-label="now: 52.4; with this scenario: 61.75"' in svg  # the move, now to projected
    assert charts.to_png(spec)[:8] == b"\x89PNG\r\n\x1a\n"
    text = json.dumps(spec)
    for title in ("Band", "Partner", "Index now (2026-Q3)", "Index"):  # tooltips
        assert f'"title": "{title}"' in text
    moved = charts.to_svg(charts.whatif_strip_spec(**strip_args(projected=90.0)))
    assert moved != charts.to_svg(spec)  # the projected marker moves
