"""The steering pack shows what the screen shows: for a set of links, the page is opened
(AppTest), the view model it rendered is taken from the product's own path (the page's call
to ``queries.view``), the pack of the same link is built as the page's pack control builds
it, and the pack's content (titles, filter lines, table cells, notes, links, which panels
have a chart) is asserted equal to that view model's; what the page put on screen is
checked against the same view model; the pack the command line builds for the link has the
same slides.

(Exact numbers are compared within one view model only: the query layer's sums differ in
their last bits from run to run, so a score on a .x5 boundary can round either way when
the same query runs twice.)"""
from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import pytest
from test_pages import _app, metrics, shown

from pipelines.present import links, pack
from pipelines.query import warm
from pipelines.store import Store, versions

TODAY = date(2026, 12, 6)
KESTREL_FACTORS = {"partner": "Kestrel Design", "wave": "2026-Q2",
                   "factors": ["Shared goals", "Open communication"]}
SCENARIO = {"wi_partner": "Kestrel Design", "d_shared_goals": "10", "d_open_communication": "-5",
            "w_shared_goals": "0.5"}


@pytest.fixture
def rendered(monkeypatch):
    """Every view model a page asked ``queries.view`` for, in order (not the warm-up thread's)."""
    from app_pages.ui import queries

    seen: list = []
    original = queries.view

    def recording(state):
        model = original(state)
        if threading.current_thread().name != warm.THREAD_NAME:
            seen.append(model)
        return model

    monkeypatch.setattr(queries, "view", recording)
    return seen


@pytest.fixture
def cursor(demo):
    store = Store(demo / "demo.duckdb")
    yield store.cursor()
    store.close()


def assert_pack_is_the_view(model, slides) -> None:
    """Every slide's text from the view model: cover, then each panel's slides (a long table
    over several, its header repeated)."""
    cover, rest = slides[0], slides[1:]
    assert (cover.title, cover.subtitle) == (model.cover.title, model.cover.subtitle)
    assert cover.cover == [f"Prepared {TODAY.isoformat()}", *model.cover.lines]
    assert cover.link == model.cover.link
    for panel in model.panels:
        mine = [s for s in rest if s.title == panel.title or s.title.startswith(f"{panel.title} (")]
        assert mine and rest[:len(mine)] == mine, (panel.title, [s.title for s in rest])
        rest = rest[len(mine):]
        for s in mine:
            assert (s.context, s.notes, s.link) == (list(panel.context), list(panel.notes), panel.link)
            assert (s.chart is not None) == (panel.chart is not None)
        if panel.table is None:
            assert all(s.table is None for s in mine)
            continue
        assert all(s.table.columns == list(panel.table.columns) for s in mine)
        assert [tuple(r) for s in mine for r in s.table.rows] == list(panel.table.rows)
        if panel.table.muted is not None:
            assert tuple(m for s in mine for m in s.table.muted) == panel.table.muted
        if panel.table.bold is not None:
            assert tuple(b for s in mine for b in s.table.bold) == panel.table.bold
    assert rest == []


def check(model, cursor) -> list:
    """The pack of the page's link, as the page's pack control builds it (from the view model
    the page rendered), equals that view model; built again from the database, as the
    command line does, it has the same slides, tables and charts (its numbers come from the
    same queries, run again)."""
    state = model.context.state
    slides = pack.build_slides(view=state, model=model, today=TODAY)
    assert_pack_is_the_view(model, slides)
    again = pack.build_slides(cursor, view=state, today=TODAY)
    assert [(s.title, s.context, s.link, s.chart is not None) for s in again] == \
        [(s.title, s.context, s.link, s.chart is not None) for s in slides]
    assert [(s.table.columns, len(s.table.rows)) for s in again if s.table] == \
        [(s.table.columns, len(s.table.rows)) for s in slides if s.table]
    return slides


def profile_links(at) -> list[str]:
    """The partners' profile links, in the order the page lays them out (one wrapping row)."""
    return [link.proto.label for link in at.get("page_link")]


def drawn(at, *keys: str) -> set[tuple]:
    """The rows the page's charts were given (as the browser gets them), as ``keys`` tuples."""
    import pyarrow as pa

    rows = set()
    for chart in at.get("vega_lite_chart"):
        for data in chart.proto.datasets:
            for row in pa.ipc.open_stream(data.data.data).read_all().to_pylist():
                if all(k in row for k in keys) and row[keys[-1]] is not None:
                    rows.add(tuple(row[k] for k in keys))
    return rows


def given(chart, *keys: str) -> set[tuple]:
    """The rows of a view model's chart input (its first argument), as ``keys`` tuples."""
    frame = chart.args[0]
    frame = frame[frame[keys[-1]].notna()]
    return {tuple(r) for r in frame[list(keys)].itertuples(index=False)}


def headline(model) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in model.headline]


@pytest.mark.parametrize("wave", ["2024-Q4", "2026-Q2"])
def test_overview_at_a_wave(demo, rendered, cursor, wave):
    at = _app({"wave": wave})
    model = rendered[-1]
    assert model.context.state == links.LinkState(page="overview", wave=wave)
    check(model, cursor)
    assert metrics(at)[:3] == headline(model)
    # the slides' charts are the page's charts: the same inputs, and the page drew those rows
    assert model.spectrum_panel.chart is model.spectrum and model.index_panel.chart is model.index_over_time
    assert drawn(at, "partner", "wave", "score") >= given(model.spectrum, "partner", "wave", "score")
    if wave == "2024-Q4":  # the first wave: nothing to compare, no movers chart
        assert model.movers is None and model.movers_panels[0].chart is None
    else:
        screen = next(d.value for d in at.dataframe if "Measure" in d.value.columns)
        # the same columns, the key ones first on screen (downloads.layout)
        pd.testing.assert_frame_equal(screen.reset_index(drop=True)[list(model.movers.columns)], model.movers)


@pytest.mark.parametrize("query", [{"partner": "Pipwell Ecology"}, KESTREL_FACTORS])
def test_partner_profile(demo, rendered, cursor, query):
    at = _app(query, page="app_pages/partner.py")
    model = rendered[-1]  # the fragment's: the factors chosen
    state = model.context.state
    assert (state.partner, state.wave) == (query["partner"], query.get("wave", "2026-Q3"))
    if "factors" in query:
        assert state.factors == ("shared_goals", "open_communication")
        assert [p.title for p in model.panels] == [
            "Kestrel Design: factors over time, evidence beside", "Kestrel Design: scores by wave",
            "Kestrel Design: what people say vs what the data shows", "Kestrel Design: participation over the waves",
            "Agreed actions: Kestrel Design", "Kestrel Design: question by question, 2026-Q2"]
    slides = check(model, cursor)
    assert metrics(at)[:3] == headline(model)
    assert shown(next(c.value for c in at.caption if "; the programme: " in c.value)) == model.factors_caption
    if query["partner"] == "Pipwell Ecology":
        assert any("fewer than 5 responses \u2014 not shown" in n for s in slides for n in s.notes)


def test_compare_sorted_by_index(demo, rendered, cursor):
    at = _app({"wave": "2026-Q1", "sort": "Collaboration index"}, page="app_pages/compare.py")
    model = rendered[-1]
    assert model.context.state == links.LinkState(page="compare", wave="2026-Q1", sort="collaboration_index")
    slides = check(model, cursor)
    assert profile_links(at) == list(model.order)
    heatmap = model.heatmap_panel.chart
    assert heatmap.args[1] == model.order  # the slide's rows in the screen's order
    # the slide's cells are the screen's (the slide names the columns shorter)
    assert given(heatmap, "partner", "factor", "score") == drawn(at, "partner", "factor", "score") and \
        given(heatmap, "partner", "factor", "score") == given(model.heatmap, "partner", "factor", "score")
    assert slides[1].context[0] == "Wave 2026-Q1  \u00b7  Factors: all five  \u00b7  Sorted by collaboration index"


def test_whatif_with_moves_and_weights(demo, rendered, cursor):
    at = _app(SCENARIO, page="app_pages/whatif.py")
    model = rendered[-1]
    scenario = model.context.state.scenarios[0]
    assert scenario.partner == "Kestrel Design"
    assert dict(scenario.deltas) == {"shared_goals": 10, "open_communication": -5}
    assert scenario.weights["shared_goals"] == 0.5
    check(model, cursor)
    on_screen = dict(metrics(at))
    assert on_screen == {m.label: m.value for m in model.metrics}
    screen = next(d.value for d in at.dataframe if "With this scenario" in d.value.columns)
    pd.testing.assert_frame_equal(screen.reset_index(drop=True)[list(model.delivery.columns)],
                                  model.delivery.reset_index(drop=True))
    assert model.scenario_panel.table.rows[0][2] == "+10"  # the slide's change column is the slider's


def test_a_pinned_compare(demo, rendered, cursor):
    label = versions.labels(cursor)[10]
    at = _app({"wave": "2025-Q3", "sort": "Shared goals", "asof": label}, page="app_pages/compare.py")
    model = rendered[-1]
    assert model.context.state == links.LinkState(page="compare", wave="2025-Q3", sort="shared_goals", asof=10)
    slides = check(model, cursor)
    assert label.startswith("v10 · ")
    assert all(s.link.endswith("asof=10") for s in slides)  # short and stable; the app respells it
    assert "pinned to version 10" in slides[1].context[-1]
    assert profile_links(at) == list(model.order)


@pytest.mark.browser
def test_each_scores_slide_of_the_programme_pack_opens_compare_at_its_wave(demo_app, chromium, cursor):
    """The appendix's slides all reopened Compare at the latest wave: in Chromium, each wave's slide
    link (with the app's address before it) opens Compare at the wave the slide shows."""
    from conftest import screenshot, wait_for_app

    slides = pack.build_slides(cursor, view=links.LinkState(), base_url=demo_app.url, today=TODAY)
    appendix = [s for s in slides if s.title.startswith("Scores by partner and wave: ")]
    assert len(appendix) == 8
    context = chromium.new_context(viewport={"width": 1440, "height": 1600})
    page = context.new_page()
    for s in (appendix[0], appendix[-1]):  # the newest wave and the first
        wave = s.title.rsplit(": ", 1)[1]
        assert s.link == f"{demo_app.url}/compare?wave={wave}"
        page.goto(s.link)
        wait_for_app(page, timeout=120_000)
        page.get_by_text(f"Wave {wave}").first.wait_for(timeout=60_000)  # Compare's caption
        assert "Page not found" not in page.inner_text("body")
        screenshot(page, f"pack-link-scores-{wave}")
    context.close()
