"""Charts at 1024 px (#23): nothing cut or crossed. Wave labels never touch (one axis rule for every
chart over time), the respondents chart's subtitle is a line per reason, the ratings matrix's column
names are slanted whole. The charts are the demo programme's, as every page, the pack and the CLI
get them (tests/test_chart_words.py's ``specs``)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from pipelines.present import charts, views
from pipelines.present.links import LinkState
from pipelines.query.scores import Suppression
from pipelines.store import Store
from tests.test_chart_words import _spec, _walk, specs  # noqa: F401 (the fixture)

OVER_TIME = ("index_over_time", "factors_over_time", "respondents_per_wave")


def _axes(spec: dict, channel: str) -> list[dict]:
    return [value["axis"] for key, value in _walk(spec) if key == channel and isinstance(value, dict)
            and isinstance(value.get("axis"), dict)]


def _of(specs: dict, builder: str) -> list[dict]:  # noqa: F811
    found = [spec for name, spec in specs.items() if name.endswith(f": {builder}")]
    assert found, builder
    return found


def test_every_wave_axis_puts_a_label_in_lines_at_its_hyphens(specs):  # noqa: F811
    for builder in OVER_TIME:
        for spec in _of(specs, builder):
            axes = _axes(spec, "x")
            assert axes and all(a["labelExpr"] == "split(datum.label, '-')" for a in axes), builder
            assert all(a["labelAngle"] == 0 for a in axes), builder


def test_every_wave_axis_drops_labels_rather_than_overlap_them(specs):  # noqa: F811
    for builder in OVER_TIME:
        for spec in _of(specs, builder):
            assert {a["labelOverlap"] for a in _axes(spec, "x")} == {"greedy"}, builder


def test_the_respondents_subtitle_is_a_line_per_reason(specs):  # noqa: F811
    spec = _of(specs, "respondents_per_wave")[0]
    assert spec["title"]["subtitle"] == [
        "Each bar: the fewest who answered any one factor.", "'< 5': fewer than 5 responses.",
        "'protected': hidden so a smaller group cannot be worked out by subtraction."]


@pytest.fixture(scope="module")
def ratings(demo_db) -> dict:
    """Compare's "Who rates whom" matrix (a part of its view, not among ``specs``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_SALT_FILE", str(demo_db / "salt"))
        store = Store(demo_db / "demo.duckdb")
        try:
            return _spec(views.build(views.Source(store.cursor(), k=5), LinkState(page="compare")).ratings.chart)
        finally:
            store.close()


def test_the_ratings_matrix_slants_its_column_names_whole(ratings):
    for axis in _axes(ratings, "x"):
        assert (axis["labelAngle"], axis["labelAlign"], axis.get("labelExpr")) == (-40, "left", None)


# -- labels on bands, and the factor panels' marks against their caption ---------------------------
def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_band_drawn_is_its_colour_over_white():
    assert charts.band_drawn("collaborating") == "#b2d1eb"  # #7fb2dd at 0.6


@pytest.mark.parametrize("band", ["cooperating", "transitioning", "collaborating"])
def test_a_value_label_on_every_band_reads_at_4_5_to_1(band):
    assert _contrast(charts.BAND_INK[band], charts.band_drawn(band)) >= 4.5


def test_the_light_partner_colour_that_was_used_would_not():
    assert _contrast("#56B4E9", charts.band_drawn("collaborating")) < 4.5  # why labels take the band's ink


def _texts(spec: dict) -> list[dict]:
    return [layer for layer in spec.get("layer", []) if isinstance(layer.get("mark"), dict)
            and layer["mark"].get("type") == "text"]


def test_the_spectrum_draws_each_value_label_over_a_halo_in_its_bands_ink(specs):  # noqa: F811
    spec = _of(specs, "spectrum")[0]
    values = [t for t in _texts(spec) if t["encoding"].get("text", {}).get("field") == "score_text"]
    halo, label = values
    assert halo["mark"]["strokeWidth"] == 3 and halo["encoding"]["stroke"] == {"field": "halo", "type": "nominal",
                                                                               "scale": None}
    assert label["encoding"]["color"] == {"field": "ink", "type": "nominal", "scale": None}
    inks = {step["as"]: step["calculate"] for step in label["transform"]}
    assert inks["ink"] == ("datum['ci_high'] >= 70.0 ? '#10263b' : datum['ci_high'] >= 50.0 ? '#1b1b1b' : '#1b1b1b'")
    assert spec["layer"].index(halo) < spec["layer"].index(label)


def test_the_factor_caption_names_the_marks_the_panels_draw():
    assert charts.factors_key("Kestrel Design") == (
        "Kestrel Design: solid line; the programme: dashed line; a dot on each wave with a score, a bar through it: "
        "its 95% interval. \u2715 in the grey \u201cnot shown\u201d row: a wave where Kestrel Design is not shown "
        "(hover for why).")


def test_a_hidden_wave_is_the_cross_glyph_not_a_plus_shaped_point(specs):  # noqa: F811
    for builder in ("factors_over_time", "partner_factors"):  # the page's and the pack's
        marks = [v for spec in _of(specs, builder) for k, v in _walk(spec) if k == "mark" and isinstance(v, dict)]
        assert not [m for m in marks if m.get("shape") == "cross"], builder
        # the glyph's two strokes as a point's path, for its legend entry "not shown"
        shapes = [v for spec in _of(specs, builder) for k, v in _walk(spec) if k == "shape" and "scale" in v]
        assert shapes and {(tuple(s["scale"]["domain"]), tuple(s["scale"]["range"])) for s in shapes} == {
            (("not shown",), ("M-1,-1L1,1M1,-1L-1,1",))}, builder  # Pipwell's hidden waves


def test_the_panels_dash_the_lines_the_caption_names(specs):  # noqa: F811
    spec = next(s for n, s in specs.items() if n.endswith(": factors_over_time"))
    dashes = next(v for k, v in _walk(spec) if k == "strokeDash" and isinstance(v, dict) and "condition" in v)
    assert (dashes["condition"]["value"], dashes["value"]) == (list(charts.PROGRAMME_DASH), list(charts.PARTNER_DASH))
    assert charts.LINE_WORDS[charts.PARTNER_DASH] == "solid line" and charts.PARTNER_DASH == (1, 0)


def _one_factor(partner: str, waves: list[str], hidden: set[str], missing: set[str] = frozenset()) -> list[dict]:
    return [dict(partner=partner, wave=w, wave_start=f"2026-{3 * i + 1:02d}-01", factor="shared_goals",
                 score=None if w in hidden else 50.0 + i, n=None if w in hidden else 8,
                 ci_low=None if w in hidden else 40.0, ci_high=None if w in hidden else 60.0,
                 suppressed=w in hidden, suppression_reason=Suppression.SMALL_GROUP if w in hidden else None)
            for i, w in enumerate(waves) if w not in missing]


WAVES3 = ["2026-Q1", "2026-Q2", "2026-Q3"]


def _key_and_line(hidden: set[str], missing: set[str] = frozenset()) -> tuple[str, str]:
    frame = pd.DataFrame(_one_factor("Kestrel", WAVES3, hidden, missing) + _one_factor(charts.PROGRAMME, WAVES3, set()))
    key = charts.factors_key("Kestrel", frame, WAVES3, ["shared_goals"])
    spec = charts.factors_over_time(frame, "Kestrel", {"Kestrel": "#D55E00"}, (40.0, 65.0), 5,
                                    which=["shared_goals"], waves=WAVES3)
    svg = charts.to_svg(spec.to_dict()).decode()
    (path,) = re.findall(r'aria-roledescription="line mark" d="([^"]*)" stroke="#D55E00"', svg)
    return key, path


def test_a_partner_whose_shown_waves_are_never_next_to_each_other_is_said_to_be_dots():
    key, path = _key_and_line(hidden={"2026-Q2"})
    assert key.startswith("Kestrel: dots only (no two waves in a row shown); the programme: dashed line;")
    assert "L" not in path  # the line the caption does not promise is not drawn: two lone points


def test_two_shown_waves_in_a_row_make_the_solid_line():
    key, path = _key_and_line(hidden={"2026-Q1"})
    assert key.startswith("Kestrel: solid line; the programme: dashed line;") and "L" in path


def test_a_wave_without_a_row_does_not_break_the_line():
    key, path = _key_and_line(hidden=set(), missing={"2026-Q2"})
    assert key.startswith("Kestrel: solid line;") and "L" in path


def test_each_shown_wave_of_a_lone_partner_has_its_interval_drawn():
    """Finding 5: Brackwater's shown waves are never next to each other, and an area between them
    drew nothing though the caption said "95% intervals shaded"; a bar through each dot is drawn."""
    frame = pd.DataFrame(_one_factor("Kestrel", WAVES3, {"2026-Q2"}) + _one_factor(charts.PROGRAMME, WAVES3, set()))
    spec = charts.factors_over_time(frame, "Kestrel", {"Kestrel": "#D55E00"}, (40.0, 65.0), 5,
                                    which=["shared_goals"], waves=WAVES3)
    svg = charts.to_svg(spec.to_dict()).decode()
    bars = re.findall(r'<line[^>]*aria-roledescription="rule mark"[^>]*stroke="#D55E00"[^>]*>', svg)
    assert len(bars) == 2  # 2026-Q1 and 2026-Q3; the hidden 2026-Q2 has its cross instead
    assert "a bar through it: its 95% interval" in charts.factors_key("Kestrel", frame, WAVES3, ["shared_goals"])
