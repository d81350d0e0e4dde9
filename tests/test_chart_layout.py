"""Charts at 1024 px (#23): nothing cut or crossed. Wave labels never touch (one axis rule for every
chart over time), the respondents chart's subtitle is a line per reason, the ratings matrix's column
names are slanted whole. The charts are the demo programme's, as every page, the pack and the CLI
get them (tests/test_chart_words.py's ``specs``)."""
from __future__ import annotations

import pytest

from pipelines.present import views
from pipelines.present.links import LinkState
from pipelines.store import Store
from tests.test_chart_words import _spec, _walk, specs  # noqa: F401 (the fixture)

OVER_TIME = ("index_over_time", "factors_over_time", "respondents_per_wave")


def _axes(spec: dict, channel: str) -> list[dict]:
    return [value["axis"] for key, value in _walk(spec) if key == channel and isinstance(value, dict)
            and isinstance(value.get("axis"), dict)]


def _of(specs: dict, builder: str) -> list[dict]:
    found = [spec for name, spec in specs.items() if name.endswith(f": {builder}")]
    assert found, builder
    return found


def test_every_wave_axis_puts_a_label_in_lines_at_its_hyphens(specs):
    for builder in OVER_TIME:
        for spec in _of(specs, builder):
            axes = _axes(spec, "x")
            assert axes and all(a["labelExpr"] == "split(datum.label, '-')" for a in axes), builder
            assert all(a["labelAngle"] == 0 for a in axes), builder


def test_every_wave_axis_drops_labels_rather_than_overlap_them(specs):
    for builder in OVER_TIME:
        for spec in _of(specs, builder):
            assert {a["labelOverlap"] for a in _axes(spec, "x")} == {"greedy"}, builder


def test_the_respondents_subtitle_is_a_line_per_reason(specs):
    spec = _of(specs, "respondents_per_wave")[0]
    assert spec["title"]["subtitle"] == [
        "Smallest factor n.", "'< 5': fewer than 5 responses.",
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
