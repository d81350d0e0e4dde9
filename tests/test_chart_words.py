"""Every chart the views make speaks words: each tooltip entry has a title and shows a number
rounded as the page shows it, no axis or legend is titled with a column's name, and every
chart has a description a screen reader reads (#23 items 3 and 8). The charts are built from
the demo programme's view models on every page, as the page, the pack and the CLI get them."""
from __future__ import annotations

import dataclasses
import json
import re

import pytest

from pipelines.present import charts, slide_charts, views, whatif_strip
from pipelines.present.links import LinkState, Scenario
from pipelines.present.views.parts import ChartInput
from pipelines.store import Store

STATES = [
    LinkState(page="overview"), LinkState(page="overview", wave="2024-Q4"),
    LinkState(page="partner", partner="Kestrel Design"), LinkState(page="partner", partner="Pipwell Ecology"),
    LinkState(page="partner", partner="Brackwater Systems", wave="2026-Q2"),
    LinkState(page="compare"), LinkState(page="compare", wave="2025-Q1", sort="collaboration_index"),
    LinkState(page="what-if", scenarios=(Scenario("Kestrel Design", {"shared_goals": 10}, None),)),
]
SLIDE_SIZE = {"width": 600.0, "height": 300.0}  # the pack's renderer gives a slide chart its size
UNROUNDED = re.compile(r"\d\.\d{2,}")  # more than one decimal: not how a page shows a number


@pytest.fixture(scope="module")
def specs(demo_db) -> dict[str, dict]:
    """'page: builder' -> the chart's Vega-Lite spec, for every chart of every view above."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_SALT_FILE", str(demo_db / "salt"))
        store = Store(demo_db / "demo.duckdb")
        try:
            source = views.Source(store.cursor(), k=5)
            found = {}
            for state in STATES:
                view = views.build(source, state)
                for n, chart in enumerate(_chart_inputs(view)):
                    found[f"{state.page} {state.partner or state.wave or ''} #{n}: {chart.builder}"] = _spec(chart)
            return found
        finally:
            store.close()


def _chart_inputs(view) -> list[ChartInput]:
    inputs = [getattr(view, f.name) for f in dataclasses.fields(view)]
    inputs += [panel.chart for panel in view.panels]
    return [c for c in inputs if isinstance(c, ChartInput)]


def _spec(chart: ChartInput) -> dict:
    if chart.builder == "whatif_strip_spec":  # its description is the page's alt for it
        return whatif_strip.whatif_strip_spec(*chart.args) | {
            "description": whatif_strip.whatif_strip_description(*chart.args)}
    if hasattr(charts, chart.builder):
        return getattr(charts, chart.builder)(*chart.args, **chart.kwargs).to_dict()
    return getattr(slide_charts, chart.builder)(*chart.args, **chart.kwargs, **SLIDE_SIZE).to_dict()


def _walk(node, key=None):
    """(key, value) of every entry of a spec, depth first."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


def _tooltips(spec: dict) -> list[dict]:
    found = []
    for key, value in _walk(spec):
        if key == "tooltip" and isinstance(value, (dict, list)):
            found += value if isinstance(value, list) else [value]
    return found


def _rows(spec: dict) -> list[dict]:
    rows = [r for data in spec.get("datasets", {}).values() for r in data]
    rows += [r for key, value in _walk(spec) if key == "values" and isinstance(value, list)
             for r in value if isinstance(r, dict)]
    return rows


def test_every_page_makes_its_charts(specs):
    builders = {name.split(": ")[1] for name in specs}
    assert builders == {"spectrum", "index_over_time", "movers_bars", "factors_over_time", "factor_profile",
                        "respondents_per_wave", "partner_factors", "heatmap", "whatif_strip_spec", "whatif_bars"}


def test_every_tooltip_entry_has_a_title_in_words(specs):
    for name, spec in specs.items():
        for entry in _tooltips(spec):
            if "field" not in entry:
                continue
            assert entry.get("title"), f"{name}: the tooltip shows '{entry['field']}' without a title"
            assert entry["title"] != entry["field"], f"{name}: '{entry['field']}' titled with its own name"


def test_a_tooltip_number_is_rounded_as_the_page_shows_it(specs):
    for name, spec in specs.items():
        rows = _rows(spec)
        for entry in _tooltips(spec):
            if "field" not in entry:
                continue
            if entry.get("type") == "quantitative":
                assert entry.get("format") == ".1f", f"{name}: '{entry['title']}' is a raw number"
            else:
                shown = {str(r[entry["field"]]) for r in rows if r.get(entry["field"]) is not None}
                assert not [v for v in shown if UNROUNDED.search(v)], \
                    f"{name}: '{entry['title']}' shows {sorted(shown)[:3]}"


def test_no_axis_or_legend_is_titled_with_a_column_name(specs):
    """Drawn, so Vega-Lite's own title rules (a field's name when no title is given) apply."""
    for name, spec in specs.items():
        values = {str(v) for r in _rows(spec) for v in r.values()}  # a pivot's fields are values too
        fields = {v for k, v in _walk(spec) if k == "field" and isinstance(v, str)} - values
        texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", charts.to_svg(spec).decode()))
        assert not texts & fields, f"{name}: {sorted(texts & fields)} drawn as a title"
        assert not [t for t in texts if re.fullmatch(r"\w+, \w+", t) and set(t.split(", ")) <= fields], name


def test_the_tooltip_walk_finds_a_raw_field():
    """The check above fails on what #23 found: a band's start and end, an interval's ci_high."""
    spec = {"layer": [{"encoding": {"tooltip": [{"field": "ci_high", "type": "quantitative"}]}}],
            "datasets": {"d": [{"ci_high": 77.6450869624}]}}
    entry = _tooltips(spec)[0]
    assert not entry.get("title") and entry.get("format") is None
    assert UNROUNDED.search(json.dumps(_rows(spec)))


def test_every_chart_a_page_draws_says_what_it_shows(specs):
    """Streamlit gives a chart its spec's description as its accessible name (else "Vega visualization")."""
    for name, spec in specs.items():
        if hasattr(slide_charts, name.split(": ")[1]):
            continue  # a slide's picture: the slide's own text says what it shows
        said = spec.get("description") or ""
        assert len(said) > 60 and not re.search(r"\bnan\b|\bNone\b", said), f"{name}: {said!r}"


def test_the_spectrum_is_read_out_partner_by_partner(specs):
    said = specs["overview  #0: spectrum"]["description"]
    assert said == ("Each partner's collaboration index on one cooperation (0) to collaboration (100) strip, "
                    "highest first: Northline Infrastructure 77.1; Kestrel Design 72.0; Harbour Civils 68.0; "
                    "Programme 64.2; Brackwater Systems 43.1; Corvell Signalling not shown; Pipwell Ecology not shown.")


def _marks(node, inherited=None):
    """(mark, encoding) of every mark of a spec, a layer's encoding passed down to its marks."""
    if isinstance(node, dict):
        encoding = {**(inherited or {}), **node.get("encoding", {})}
        if "mark" in node:
            mark = node["mark"] if isinstance(node["mark"], dict) else {"type": node["mark"]}
            yield mark, encoding
        for key in ("layer", "concat", "hconcat", "vconcat"):
            for child in node.get(key, []):
                yield from _marks(child, encoding)
        if "spec" in node:
            yield from _marks(node["spec"], encoding)


def _raw_tooltip_marks(spec: dict) -> list[str]:
    """The marks that would list raw fields on hover: with no tooltip of their own, a mark takes its
    mark type's or every mark's config, and Streamlit gives every mark ``tooltip: true``."""
    config = spec.get("config", {})
    found = []
    for mark, encoding in _marks(spec):
        if "tooltip" in encoding:
            continue
        said = mark.get("tooltip", config.get(mark["type"], {}).get("tooltip", config.get("mark", {}).get("tooltip", True)))
        if said not in (False, None):
            found.append(f"{mark['type']} {sorted(encoding)}")
    return found


def test_no_mark_shows_raw_fields_on_hover(specs):
    """#23 item 3, reviewer's finding 7: a value label ("ci_high 83.1632974445 / ink #10263b"), a
    band's label ("mid 60") and the What-if strip's names ("index 72.037 / y 112") listed their
    fields: a mark shows the tooltip written for it, or none."""
    for name, spec in specs.items():
        assert not _raw_tooltip_marks(spec), f"{name}: {_raw_tooltip_marks(spec)}"


def test_the_mark_walk_finds_a_mark_without_a_tooltip():
    """Without the charts' config, a value label over a tooltip-less layer lists its fields."""
    spec = {"layer": [{"mark": {"type": "text"}, "encoding": {"text": {"field": "score_text"}}},
                      {"mark": "point", "encoding": {"tooltip": [{"field": "score_text", "title": "Score"}]}}]}
    assert _raw_tooltip_marks(spec) == ["text ['text']"]
    assert _raw_tooltip_marks(spec | {"config": {"mark": {"tooltip": False}}}) == []
    assert _raw_tooltip_marks(spec | {"config": {"mark": {"tooltip": False}, "text": {"tooltip": True}}}) == \
        ["text ['text']"]


def test_a_missing_change_says_why(specs):
    """Finding 7: Brackwater's "Change since previous wave" was blank (its 2026-Q2 group is hidden)."""
    def said(spec, partner):
        return {r["change_text"] for r in _rows(spec) if r.get("partner") == partner and "change_text" in r}
    assert said(specs["overview  #0: spectrum"], "Brackwater Systems") == {"none: 2026-Q2 not shown"}
    assert said(specs["overview 2024-Q4 #0: spectrum"], "Programme") == {"none: no earlier wave"}
    assert said(specs["overview  #0: spectrum"], "Northline Infrastructure") == {"-2.6"}
    heat = next(s for n, s in specs.items() if n.startswith("compare  ") and n.endswith("heatmap"))
    assert {r["change_text"] for r in _rows(heat) if r["partner"] == "Brackwater Systems"} == \
        {"none: 2026-Q2 not shown"}
    assert {r["change_text"] for r in _rows(heat) if r["partner"] == "Pipwell Ecology"} == {"not shown"}


def test_no_tooltip_shows_an_empty_value(specs):
    for name, spec in specs.items():
        rows = _rows(spec)
        for entry in _tooltips(spec):
            blank = [r for r in rows if r.get(entry.get("field"), None) == ""]
            assert not blank, f"{name}: '{entry.get('title')}' empty for {blank[0].get('partner')}"
