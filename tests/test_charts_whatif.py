"""The What-if strip: the fast spec a slider move draws is exactly the chart Altair builds and
validates, it draws everything the chart shows, and its names stay readable with 200 partners."""
from __future__ import annotations

import json
import re

import altair as alt
import pytest

from pipelines.present import charts, whatif_strip
from tests.test_chart_words import _walk

THRESHOLDS = (40.0, 65.0)
OTHERS = {"Northline Infrastructure": 47.25, "Harbour Civils": 71.5, "Pipwell Ecology": 33.0,
          "Kestrel Design": 58.1, "Quarry Lane Trust": 58.1}
# a large programme: 200 partners crowded between 30 and 75, some level with each other
BIG = {f"Partner {i:03d}": round(30 + (i * 37 % 101) * 0.45, 2) for i in range(200)}
# OTHERS by short names: every one fits the narrowest plot (_PLOT_PX)
SHORT = {"Northline": 47.25, "Harbour": 71.5, "Pipwell": 33.0, "Kestrel": 58.1, "Quarry Lane": 58.1}


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
    {"others": BIG},                            # a large programme: a few named, the rest dots
    {"projected": float("nan")},
])
def test_the_fast_spec_is_the_chart_altair_builds(changes):
    args = strip_args(**changes)
    built = whatif_strip.whatif_strip(**args)
    assert isinstance(built, alt.TopLevelMixin)
    spec = whatif_strip.whatif_strip_spec(**args)
    assert spec == built.to_dict()  # to_dict validates against the schema
    assert charts.to_png(spec)[:8] == b"\x89PNG\r\n\x1a\n"  # and it draws (the PNG download)


def test_the_fast_spec_validates_against_the_vega_lite_schema():
    spec = whatif_strip.whatif_strip_spec(**strip_args())
    alt.LayerChart.from_dict(spec, validate=True)


def test_each_spec_is_its_own_dict():
    first = whatif_strip.whatif_strip_spec(**strip_args())
    first["datasets"]["whatif-own"][1]["index"] = -1.0
    first["layer"].clear()
    again = whatif_strip.whatif_strip_spec(**strip_args())
    assert again["datasets"]["whatif-own"][1]["index"] == 61.75
    assert again["layer"]


def test_only_the_data_changes_with_the_scenario():
    one = whatif_strip.whatif_strip_spec(**strip_args())
    other = whatif_strip.whatif_strip_spec(**strip_args(now=40.0, projected=80.0,
                                                  others={"Harbour Civils": 20.0}))
    # the table is data too: the page takes it out before drawing (downloads.show_spec)
    data = ("datasets", "usermeta")
    assert {k: v for k, v in one.items() if k not in data} == {k: v for k, v in other.items() if k not in data}
    assert set(one["datasets"]) == set(other["datasets"]) >= set(whatif_strip.WHATIF_DATASETS)
    assert other["datasets"]["whatif-own"] == [
        {"what": "now", "index": 40.0, "partner": "Brackwater Systems"},
        {"what": "with this scenario", "index": 80.0, "partner": "Brackwater Systems"}]


@pytest.mark.parametrize("changes", [{}, {"others": BIG}, {"projected": float("nan")}, {"others": {}}])
def test_the_page_sends_the_strip_s_rows_as_they_are(changes):
    # the page converts them to Arrow itself (downloads._arrow), not through a pandas frame
    import pyarrow as pa

    from app_pages.ui import downloads
    for name, rows in whatif_strip.whatif_strip_spec(**strip_args(**changes))["datasets"].items():
        assert pa.ipc.open_stream(downloads._arrow(rows)).read_all().to_pylist() == rows, name


def test_a_dataset_of_mixed_types_is_sent_as_streamlit_sends_it():
    import pyarrow as pa
    from streamlit import dataframe_util

    from app_pages.ui import downloads
    rows = [{"label": "Harbour", "y": 1}, {"label": 7, "y": 2.5}]
    sent = pa.ipc.open_stream(downloads._arrow(rows)).read_all()
    assert sent.equals(pa.ipc.open_stream(dataframe_util.convert_anything_to_arrow_bytes(rows)).read_all())
    assert sent.column("label").to_pylist() == ["Harbour", "7"]


def test_the_strip_s_table_on_its_own_is_the_one_its_spec_carries():
    args = strip_args(others=BIG, projected=74.0)
    assert "usermeta" not in whatif_strip.whatif_strip_spec(**args, table=False)
    carried = charts.table_of(whatif_strip.whatif_strip_spec(**args))[1]
    assert whatif_strip.whatif_strip_table(**args).values.tolist() == carried.values.tolist()


def test_the_strip_carries_its_data_as_a_table_in_its_tooltip_words():
    spec = whatif_strip.whatif_strip_spec(**strip_args(others=OTHERS | {"Hidden": float("nan")}))
    title, frame = charts.table_of(spec)
    assert "usermeta" not in spec  # taken out: not sent to the browser with the chart
    assert title == "The projected index among the partners"
    assert frame.columns.tolist() == ["Partner", "Marker", "Index"]
    assert frame.values.tolist() == [
        ["Brackwater Systems", "with this scenario", "61.8"], ["Brackwater Systems", "now", "52.4"],
        ["Harbour Civils", "now", "71.5"], ["Quarry Lane Trust", "now", "58.1"], ["Kestrel Design", "now", "58.1"],
        ["Northline Infrastructure", "now", "47.2"], ["Pipwell Ecology", "now", "33.0"]]


def named(spec) -> dict[str, dict]:
    return {r["partner"]: r for r in spec["datasets"]["whatif-others"] if r["label"] is not None}


def test_every_partner_is_named_when_the_names_fit():
    spec = whatif_strip.whatif_strip_spec(**strip_args(others=SHORT))
    rows = spec["datasets"]["whatif-others"]
    assert [r["partner"] for r in rows] == ["Pipwell", "Northline", "Kestrel", "Quarry Lane", "Harbour"]
    assert named(spec)["Harbour"]["label"] == "Harbour (71.5)"
    assert set(named(spec)) == set(SHORT)
    assert not any(r["picked"] for r in rows)  # no crowd to pick the named ones out of
    assert rows[0]["group"] == "5 other partners"
    # names below the projected index end at their dot, those above start at theirs, unless
    # that would run off the scale
    assert named(spec)["Kestrel"]["align"] == "right"
    assert named(spec)["Harbour"]["align"] == "right"  # "Harbour (71.5)" would run past 100
    lower = named(whatif_strip.whatif_strip_spec(**strip_args(others=SHORT, projected=40.0)))
    assert lower["Pipwell"]["align"] == "right" and lower["Northline"]["align"] == "left"
    assert named(whatif_strip.whatif_strip_spec(**strip_args(others={"Harbour": 90.0})))["Harbour"]["align"] == "right"


def test_a_name_too_long_for_either_side_is_left_to_its_tooltip_and_the_table():
    """At 1024 px the strip is ~296 px wide: a long name beside a dot mid-scale fits neither side."""
    spec = whatif_strip.whatif_strip_spec(**strip_args(others=OTHERS))
    assert "Northline Infrastructure" not in named(spec)  # 31 characters at 47.2: ~198 px either way
    assert "Northline Infrastructure" in json.dumps(spec["datasets"]["whatif-others"])  # its dot and tooltip
    assert ["Northline Infrastructure", "now", "47.2"] in charts.table_of(spec)[1].values.tolist()


def test_no_leader_line_runs_through_a_name():
    """A name's leader runs from its dot down to its row: through every row above it; the
    projected index's dashed line down to _LANDING_Y."""
    for others, projected in ((SHORT, 61.75), (SHORT, 40.0), (SHORT, 50.0), (OTHERS, 61.75), (BIG, 50.0),
                              (BIG, 70.0), ({"Harbour Civils": 68.0, "Kestrel Design": 72.0}, 43.1)):
        rows = list(named(whatif_strip.whatif_strip_spec(**strip_args(others=others, projected=projected))).values())
        px = whatif_strip._PLOT_PX / 100
        for r in rows:
            width, dx = len(r["label"]) * whatif_strip._CHAR_PX, whatif_strip._LABEL_DX
            x = r["index"] * px
            span = (x - dx - width, x - dx) if r["align"] == "right" else (x + dx, x + dx + width)
            for leader in rows:
                if leader is not r and leader["label_y"] > r["label_y"]:
                    assert not span[0] < leader["index"] * px < span[1], (r["label"], leader["label"])
            if r["label_y"] < whatif_strip._LANDING_Y:
                assert not span[0] - 4 < projected * px < span[1] + 4, (r["label"], projected)


def test_a_large_programme_names_its_ends_and_the_partners_either_side_of_the_projection():
    assert len(BIG) == 200
    spec = whatif_strip.whatif_strip_spec(**strip_args(others=BIG, projected=74.0))
    ranked = sorted(BIG, key=lambda p: (BIG[p], p))
    below = max((p for p in BIG if BIG[p] <= 74.0), key=lambda p: (BIG[p], p))
    above = min((p for p in BIG if BIG[p] > 74.0), key=lambda p: (BIG[p], p))
    assert set(named(spec)) == {ranked[0], ranked[-1], below, above}
    # at 50 the ends' leaders would run through the names either side of it: those two only
    middle = whatif_strip.whatif_strip_spec(**strip_args(others=BIG, projected=50.0))
    assert set(named(middle)) == {"Partner 195", "Partner 064"} and BIG["Partner 195"] <= 50.0 < BIG["Partner 064"]
    assert named(middle)["Partner 195"]["align"] == "right" and named(middle)["Partner 064"]["align"] == "left"
    rows = spec["datasets"]["whatif-others"]
    assert len(rows) == 200 and rows[0]["group"] == "200 other partners; 4 named; hover for others"
    assert {r["partner"] for r in rows if r["picked"]} == set(named(spec))
    # only those names are written on the chart; every partner is a dot that says who it is
    svg = charts.to_svg(spec).decode()
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    drawn = [t for t in texts if any(t.startswith(p + " (") for p in BIG)]
    # each twice: its halo, then its ink (charts.haloed_text)
    assert sorted(drawn) == sorted(2 * [r["label"] for r in named(spec).values()])
    for partner in BIG:
        assert f'aria-label="{partner}: ' in svg, partner
    assert '"title": "Partner"' in json.dumps(spec)  # and its tooltip names it

    moved = whatif_strip.whatif_strip_spec(**strip_args(others=BIG, projected=70.0))
    assert set(named(moved)) != set(named(spec))  # the names follow the projected index
    assert [r["y"] for r in moved["datasets"]["whatif-others"]] == [r["y"] for r in rows]  # dots stay


def test_crowded_dots_stack_instead_of_hiding_each_other():
    rows = whatif_strip.whatif_strip_spec(**strip_args(others=BIG))["datasets"]["whatif-others"]
    gap = whatif_strip._DOT_GAP
    by_row: dict[float, list[float]] = {}
    for r in rows:
        by_row.setdefault(r["y"], []).append(r["index"])
    assert len(by_row) > 1
    tops = {y for y in by_row if abs(y - whatif_strip._SWARM_Y) == whatif_strip._LANE * whatif_strip._LANES}
    for y, values in by_row.items():
        if y not in tops:  # only the outermost lanes may overlap, once every lane is full
            assert all(b - a >= gap - 1e-9 for a, b in zip(values, values[1:])), y
    assert max(abs(y - whatif_strip._SWARM_Y) for y in by_row) <= whatif_strip._LANE * whatif_strip._LANES


def test_names_in_a_row_do_not_meet_on_a_narrow_page():
    """Laid out for a _PLOT_PX-wide plot at _CHAR_PX per character (wider pages only add room)."""
    for others, projected in ((OTHERS, 61.75), (BIG, 61.75), (BIG, 2.0), (BIG, 99.0),
                              ({"A very long partner name indeed, Ltd": 1.0,
                                "Another very long partner name, plc": 99.0}, 50.0)):
        rows = named(whatif_strip.whatif_strip_spec(**strip_args(others=others, projected=projected)))
        px = whatif_strip._PLOT_PX / 100
        spans: dict[float, list[tuple[float, float]]] = {}
        for r in rows.values():
            width, dx = len(r["label"]) * whatif_strip._CHAR_PX, whatif_strip._LABEL_DX
            x = r["index"] * px
            span = (x - dx - width, x - dx) if r["align"] == "right" else (x + dx, x + dx + width)
            assert -0.5 <= span[0] and span[1] <= whatif_strip._PLOT_PX + 0.5, r  # on the scale
            assert r["label_y"] + whatif_strip._LABEL_SIZE <= whatif_strip._STRIP_HEIGHT  # in the plot
            for other in spans.get(r["label_y"], []):
                assert span[1] <= other[0] or other[1] <= span[0], (r, other)
            spans.setdefault(r["label_y"], []).append(span)


def test_the_strip_draws_bands_partners_marker_and_legend():
    spec = whatif_strip.whatif_strip_spec(**strip_args())
    svg = charts.to_svg(spec).decode()
    for text in ("Cooperating (&lt;40)", "Transitioning (40–65)", "Collaborating (≥65)",
                 *OTHERS, "Brackwater Systems", "now", "with this scenario",
                 "Collaboration index (0-100)"):
        assert text in svg, text
    assert "#0072B2" in svg.upper()  # the partner's own colour
    assert 'aria-label="now: 52.4; with this scenario: 61.75"' in svg  # the move, now to projected
    assert charts.to_png(spec)[:8] == b"\x89PNG\r\n\x1a\n"
    text = json.dumps(spec)
    for title in ("Band", "Partner", "Index now (2026-Q3)", "Index"):  # tooltips
        assert f'"title": "{title}"' in text
    moved = charts.to_svg(whatif_strip.whatif_strip_spec(**strip_args(projected=90.0)))
    assert moved != charts.to_svg(spec)  # the projected marker moves


def test_the_strip_says_what_it_shows_for_a_screen_reader():
    said = whatif_strip.whatif_strip_description(**strip_args(now=40.0, projected=80.0,
                                                              others={"Harbour Civils": 20.0, "Hidden": float("nan")}))
    assert said == ("Brackwater Systems's collaboration index (0-100): now 40.0; with this scenario, the "
                    "projected index above. The other partners' index in 2026-Q3: Harbour Civils 20.0.")


def test_the_strips_description_stays_the_same_as_a_slider_moves():
    """The browser redraws the whole chart when its ``alt`` changes (Streamlit puts it in the spec),
    and only its data when the datasets alone change."""
    moved = [whatif_strip.whatif_strip_description(**strip_args(now=40.0, projected=p)) for p in (40.0, 52.5, 80.0)]
    assert moved[0] == moved[1] == moved[2]


def test_a_name_reaching_into_a_lighter_band_takes_that_bands_halo():
    """A name is outlined in the lightest band under its letters: Harbour (80, Collaborating) runs
    left, across the rule into Transitioning (on the narrowest plot it reaches about 48)."""
    spec = whatif_strip.whatif_strip_spec(**strip_args(others={"Harbour": 80.0}, projected=40.0))
    harbour = named(spec)["Harbour"]
    assert harbour["align"] == "right" and THRESHOLDS[0] < harbour["label_from"] < THRESHOLDS[1] <= harbour["index"]
    svg = charts.to_svg(spec).decode()
    halos = re.findall(r'<text[^>]*stroke="([^"]+)"[^>]*>Harbour \(80\.0\)</text>', svg)
    assert halos == [charts.band_drawn("transitioning")]  # not the Collaborating band at its dot


def test_a_name_inside_one_band_is_outlined_in_that_band():
    spec = whatif_strip.whatif_strip_spec(**strip_args(others={"Ely": 90.0}, projected=40.0))
    assert named(spec)["Ely"]["label_from"] >= THRESHOLDS[1]
    svg = charts.to_svg(spec).decode()
    assert re.findall(r'<text[^>]*stroke="([^"]+)"[^>]*>Ely \(90\.0\)</text>', svg) == [
        charts.band_drawn("collaborating")]


# the reviewer's Harbour scenario (finding 9): it lands at 72.5, between Brackwater and the two above it
HARBOUR = dict(partner="Harbour Civils", now=68.5, projected=72.5, thresholds=(50.0, 70.0), others={
    "Brackwater Systems": 42.6, "Kestrel Design": 73.4, "Northline Infrastructure": 77.1})


def test_the_partners_beside_the_scenario_are_named_before_the_ends():
    spec = whatif_strip.whatif_strip_spec(**strip_args(**HARBOUR))
    assert set(named(spec)) == {"Kestrel Design", "Northline Infrastructure"}  # not only Brackwater, far off
    kestrel = named(spec)["Kestrel Design"]
    assert kestrel["align"] == "right" and kestrel["label_y"] >= whatif_strip._LANDING_Y  # under the scenario's line


def test_the_others_legend_is_short_lines():
    """At 1024 px about 16 characters fit beside the partner's legend: "(1 named;" was cut there."""
    spec = whatif_strip.whatif_strip_spec(**strip_args(**HARBOUR))
    group = spec["datasets"]["whatif-others"][0]["group"]
    assert group == "3 other partners; 2 named; hover for others"
    legend = next(v["legend"] for k, v in _walk(spec) if k == "color" and isinstance(v, dict) and v.get("legend"))
    assert legend["labelExpr"] == "split(datum.label, '; ')"
    big = whatif_strip.whatif_strip_spec(**strip_args(others=BIG))["datasets"]["whatif-others"][0]["group"]
    assert max(len(line) for line in big.split("; ")) == len("200 other partners")
    svg = charts.to_svg(spec).decode()
    assert all(f">{line}</tspan>" in svg or f">{line}</text>" in svg for line in group.split("; "))


def test_the_band_rules_stop_above_the_names():
    spec = whatif_strip.whatif_strip_spec(**strip_args(**HARBOUR))
    rules = [layer for layer in spec["layer"] if layer.get("mark", {}).get("strokeDash") == [4, 3]
             and layer["mark"].get("type") == "rule" and "y2" in layer.get("encoding", {})]
    assert [r["encoding"]["y2"] for r in rules] == [{"value": whatif_strip._SWARM_Y + 8}]
    assert min(r["label_y"] for r in named(spec).values()) > whatif_strip._SWARM_Y + 8

