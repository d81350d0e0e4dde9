"""View models (pipelines/present/views) of the demo programme, built from a real DuckDB
through the query layer, the link helpers (present/links) and the sentences (present/words)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines.present import links, views, words
from pipelines.present.links import LinkState, Scenario
from pipelines.programme.factors import FACTORS
from pipelines.query.evidence import Status
from pipelines.query.scores import Suppression
from pipelines.store import Store, versions

FIVE = ("shared_goals", "joint_governance", "psychological_safety", "open_communication",
        "mutual_accountability")


@pytest.fixture(scope="module")
def store(demo_db):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_SALT_FILE", str(demo_db / "salt"))
        found = Store(demo_db / "demo.duckdb")
        yield found
        found.close()


@pytest.fixture(scope="module")
def source(store):
    return views.Source(store.cursor(), k=5)


def build(source, **state):
    return views.build(source, LinkState(**state))


# -- words ------------------------------------------------------------------------------

@pytest.mark.parametrize("form,small,complement", [
    (words.Form.SENTENCE, "fewer than 7 responses", "hidden so a smaller group cannot be worked out by subtraction"),
    (words.Form.NOTE, "fewer than 7 responses \u2014 not shown",
     "not shown, so a smaller group cannot be worked out by subtraction"),
    (words.Form.CELL, "not shown: fewer than 7 responses", "not shown: protects a smaller group"),
    (words.Form.MARK, "n < 7", "protected"),
    (words.Form.COUNT, "< 7", "protected"),
])
def test_a_reason_in_each_form_says_the_real_k(form, small, complement):
    assert words.reason(Suppression.SMALL_GROUP, 7, form) == small
    assert words.reason("complement", 7, form) == complement  # a code read back from a file


def test_text_that_is_no_code_is_said_as_it_is():
    assert words.reason("no survey responses in 2026-Q3", 5) == "no survey responses in 2026-Q3"
    assert words.reason(None, 5) == ""
    assert words.either_reason(3) == ("fewer than 3 responses, or hidden so a smaller group cannot be "
                                      "worked out by subtraction")


def test_agreement_notes_from_codes():
    row = {"status": Status.DISAGREES, "note": "Says stronger joint governance than the other partners",
           "suppression_reason": None}
    assert words.agreement_note(row, 5) == "Says stronger joint governance than the other partners"
    hidden = {**row, "status": Status.SURVEY_HIDDEN, "note": None,
              "suppression_reason": Suppression.COMPLEMENT}
    assert words.agreement_note(hidden, 5) == ("No survey score to compare: hidden so a smaller group "
                                               "cannot be worked out by subtraction")
    small = {**hidden, "suppression_reason": Suppression.SMALL_GROUP}
    assert words.agreement_note(small, 7) == "No survey score to compare: fewer than 7 responses"


# -- links ------------------------------------------------------------------------------

def test_view_params_spell_the_link_as_the_widgets_do():
    state = LinkState(page="partner", partner="Kestrel Design", wave="2026-Q2",
                      factors=("Shared goals", "open_communication"), asof=10)
    assert links.view_params(state, "batch 10 (2026-01-02 03:04)") == [
        ("wave", "2026-Q2"), ("partner", "Kestrel Design"), ("factors", "Shared goals"),
        ("factors", "Open communication"), ("asof", "batch 10 (2026-01-02 03:04)")]
    # on Compare the partner is the one the ratings matrix always includes, under its own name
    assert links.view_url(state, "http://app/", None, page="compare") == (
        "http://app/compare?wave=2026-Q2&include=Kestrel%20Design&asof=10")
    assert LinkState.from_query_params("compare", {"include": "Kestrel Design", "partner": "Other"}).partner == \
        "Kestrel Design"


def test_a_scenario_link_keeps_only_what_moved():
    scenario = Scenario("Harbour Civils", {"shared_goals": 0, "joint_governance": 15.0},
                        {"shared_goals": 0.5, "joint_governance": 0.2, "psychological_safety": 0.2,
                         "open_communication": 0.2, "mutual_accountability": 0.2})
    assert links.view_url(LinkState(page="what-if", scenarios=(scenario,)), None) == \
        "what-if?wi_partner=Harbour%20Civils&d_joint_governance=15&w_shared_goals=0.5"


@pytest.mark.parametrize("sort,key", [("Partner name", "partner"), ("Collaboration index", "collaboration_index"),
                                      ("psychological safety", "psychological_safety")])
def test_a_sort_by_its_label_or_words(sort, key):
    assert LinkState(page="compare", sort=sort).sort == key
    assert links.sort_key(links.sort_label(key)) == key


def test_summary_of_a_state():
    assert links.summary(LinkState(page="compare", wave="2026-Q1", sort="Shared goals", asof=3)) == \
        "Compare \u00b7 wave 2026-Q1 \u00b7 sorted by shared goals \u00b7 pinned to version 3"
    assert links.summary(LinkState(scenarios=(Scenario("A"), Scenario("B")))) == \
        "Programme pack \u00b7 2 what-if scenarios \u00b7 latest data"


# -- the source -------------------------------------------------------------------------

def test_a_source_asks_the_query_layer_once_per_query(store):
    asked = []

    def fetch(name, *args):
        asked.append((name, *args))
        return views.source.run(store.cursor(), 5, name, *args)

    source = views.Source(k=5, fetch=fetch)
    build(source, page="overview", wave="2026-Q2")
    assert {"factor_scores", "index_scores", "changes", "alerts", "freshness"} <= {a[0] for a in asked}
    counted = views.Source(store.cursor(), k=5)
    assert counted.index_scores(None) is counted.index_scores(None)


def test_the_overview_and_a_partner_profile_pool_the_evidence_once(store, monkeypatch):
    """The alerts are made from the agreement, the agreement from the pooled evidence the
    Partner profile's cards show: each read through the source, so pooled once."""
    pooled, agreed = [], []
    real_pooled, real_agreement = views.source.evidence.pooled, views.source.evidence.agreement
    monkeypatch.setattr(views.source.evidence, "pooled", lambda *a, **kw: pooled.append(kw) or real_pooled(*a, **kw))
    monkeypatch.setattr(views.source.evidence, "agreement",
                        lambda *a, **kw: agreed.append(kw) or real_agreement(*a, **kw))
    source = views.Source(store.cursor(), k=5)
    overview = build(source, page="overview", wave="2026-Q2")
    build(source, page="partner", partner="Brackwater Systems", wave="2026-Q2")
    assert len(pooled) == 1 and len(agreed) == 1
    alone = views.source.alerts.alerts(store.cursor(), wave="2026-Q2", k=5)  # as the command line reads them
    pd.testing.assert_frame_equal(source.alerts(None, "2026-Q2"), alone, check_exact=False, rtol=1e-12)
    assert overview is not None


def test_a_what_if_slider_move_reads_the_partners_index_once_per_weights(store, monkeypatch):
    """The index interval depends on the weights, not on the moves: a source reads it once per
    weights, and the scenario is the one the command line computes."""
    from pipelines.query import scenario as scenarios

    read, real = [], scenarios.scores.index_scores
    monkeypatch.setattr(scenarios.scores, "index_scores", lambda *a, **kw: read.append(kw) or real(*a, **kw))
    source = views.Source(store.cursor(), k=5)
    moved = [source.scenario(None, "Brackwater Systems", {"shared_goals": d}, {}) for d in (1, 2, 3)]
    assert len(read) == 1
    source.scenario(None, "Brackwater Systems", {"shared_goals": 1}, {"shared_goals": 0.5})
    assert len(read) == 2  # other weights: read again
    alone = scenarios.scenario(store.cursor(), "Brackwater Systems", {"shared_goals": 3}, {}, k=5)
    # DuckDB's parallel sums of doubles may differ in the last bit from run to run
    assert (moved[2].index_low, moved[2].index_high) == pytest.approx((alone.index_low, alone.index_high), rel=1e-12)
    assert moved[2].band == alone.band


# -- Overview ---------------------------------------------------------------------------

def test_overview_headline_hidden_groups_and_movers(source):
    view = build(source, page="overview", wave="2026-Q2")
    assert [(m.label, m.value, m.delta) for m in view.headline] == [
        ("Collaboration index, 2026-Q2", "58.5", "+1.0 since 2026-Q1"),
        ("Programme band", "Transitioning", None), ("Partners shown", "4 of 6", None)]
    assert view.hidden == (("Brackwater Systems", "hidden so a smaller group cannot be worked out by subtraction"),
                           ("Pipwell Ecology", "fewer than 5 responses"))
    assert list(view.movers.columns) == ["Partner", "Measure", "2026-Q1 (n)", "2026-Q2 (n)", "Change"]
    assert view.movers.iloc[0].tolist() == ["Northline Infrastructure", "Mutual accountability", "68.1 (n 13)",
                                            "84.1 (n 11)", "+16.0"]  # within noise: the change alone
    assert len(view.movers) == 8


def test_overview_movers_table_on_the_slide_is_the_page_s(source):
    view = build(source, page="overview", wave="2026-Q2")
    table = view.movers_panels[1].table
    assert table.columns == tuple(view.movers.columns)
    assert [list(r) for r in table.rows] == view.movers.values.tolist()
    assert table.bold == (False, False, True, False, False, False, False, False)  # the index row


def test_the_movers_open_the_overview_they_are_on(source):
    view = build(source, page="overview", wave="2026-Q3")
    assert [(p.kind, p.link) for p in view.movers_panels] == [("movers", "overview?wave=2026-Q3"),
                                                             ("movers_table", "overview?wave=2026-Q3")]


def test_a_partner_shown_now_but_not_before_says_what_is_missing(source):
    view = build(source, page="overview", wave="2026-Q3")
    bars = view.movers_panels[0].chart.args[0].set_index("partner")["label"]
    assert bars["Brackwater Systems"] == "no change: 2026-Q2 not shown"
    assert bars["Corvell Signalling"] == "not shown"  # hidden in 2026-Q3 itself
    assert bars["Harbour Civils"] == "+9.2  beyond noise"
    assert view.movers_panels[0].notes[-1] == "Brackwater Systems: shown in 2026-Q3; no change, 2026-Q2 not shown."


def test_overview_alerts_are_the_alerts_command_s(tmp_path):
    """The Overview lists ``query.alerts`` (what ``python -m pipelines alerts`` prints), note for note;
    the demo has none (METHOD.md), a planted programme has a disagreement."""
    import programmes as pg

    from pipelines.query import alerts

    store = Store(tmp_path / "planted.duckdb")
    pg.simulate(store, 11, sizes={5: 30}, survey_shift={(5, "joint_governance", 3): 1.5},
                evidence={5: {"escalated": 1.0}})
    view = build(views.Source(store.cursor(), k=5), page="overview")
    found = alerts.alerts(store.cursor(), k=5)
    assert len(view.alerts) == len(found) >= 1
    assert [(a.kind, a.partner, a.text) for a in view.alerts] == [
        (alerts.Kind(r.kind), r.partner, f"{r.note}.") for r in found.itertuples()]
    kinds = [a.kind for a in view.alerts]
    assert alerts.Kind.DISAGREEMENT in kinds and kinds == sorted(kinds, key=list(alerts.Kind).index)  # falls first
    store.close()


def test_the_demo_has_no_alert_and_says_why(source):
    view = build(source, page="overview", wave="2026-Q2")
    assert view.alerts == ()
    assert view.no_alerts.startswith("Nothing to flag in 2026-Q2: no score fell beyond noise")


def test_overview_of_the_first_wave_has_nothing_to_compare(source):
    view = build(source, page="overview", wave="2024-Q4")
    assert view.movers is None
    assert view.movers_caption == "2024-Q4 is the first wave: there is nothing to compare it with yet."
    assert view.movers_panels[0].chart is None
    assert view.movers_panels[0].notes[0] == "Only one wave so far: nothing to compare."


def test_a_pinned_overview_says_so(source, store):
    label = versions.labels(store.cursor())[8]
    view = build(source, page="overview", asof=8)
    assert view.freshness_caption == (f"As the data stood at {label}, the pinned version: later loads and "
                                      "undos are not counted.")
    assert view.context.wave == "2026-Q1" and view.cover.lines[0].startswith("Data: pinned to version 8")
    assert label.startswith("v8 · ")
    assert label == "v8 \u00b7 survey responses 2026-Q1 from northline-pulse-2026-Q1.csv \u00b7 " + label.rsplit(" \u00b7 ")[-1]
    assert view.index_panel.link == "overview?asof=8"  # short and stable; the app respells it as the label


# -- Compare ----------------------------------------------------------------------------

def test_compare_orders_by_index_highest_first_hidden_last(source):
    view = build(source, page="compare", wave="2026-Q1", sort="collaboration_index")
    assert view.order == ("Northline Infrastructure", "Kestrel Design", "Harbour Civils", "Corvell Signalling",
                          "Brackwater Systems", "Pipwell Ecology")
    assert view.heatmap.args[1] == view.heatmap_panel.chart.args[1] == view.order
    assert list(view.table["Partner"]) == list(view.order)


def test_compare_table_and_caption(source):
    view = build(source, page="compare", wave="2026-Q1")
    assert view.order[0] == "Brackwater Systems"  # by name
    kestrel = view.table.set_index("Partner").loc["Kestrel Design"]
    assert (kestrel["Shared goals"], kestrel["Collaboration index"], kestrel["Index change"]) == (77.0, 65.5, 7.2)
    pipwell = view.table.set_index("Partner").loc["Pipwell Ecology"]
    assert pd.isna(pipwell["Collaboration index"]) and pipwell["Not shown because"] == "fewer than 5 responses"
    # the wave (the chart's title leaves it out); the chart's subtitle says what its ✕ marks mean
    assert view.caption == "Wave 2026-Q1: arrows show the change since 2025-Q4. Hover a cell for its n and 95% interval."


def test_compare_table_puts_the_index_and_its_change_first(source):
    """A director came for the partner, its index and the index's change: at 1024 px and 1440 px they
    were behind the sideways scroll, after the five factors."""
    view = build(source, page="compare", wave="2026-Q1")
    assert list(view.table.columns) == [
        "Partner", "Collaboration index", "Index change", "Respondents", "Shared goals", "Joint governance",
        "Psychological safety", "Open communication", "Mutual accountability", "Why no index change",
        "Not shown because"]
    kestrel = view.table.set_index("Partner").loc["Kestrel Design"]
    assert (kestrel["Collaboration index"], kestrel["Index change"], kestrel["Shared goals"]) == (65.5, 7.2, 77.0)


def test_compare_table_says_why_a_shown_partner_has_no_change(source):
    """A blank Change cell beside a shown index left a director guessing: the table carries why (the
    CSV keeps the column; the page says it in the cell)."""
    table = build(source, page="compare", wave="2025-Q1").table.set_index("Partner")
    why = table["Why no index change"]
    assert why.dropna().to_dict() == {"Brackwater Systems": "none: 2024-Q4 not shown",
                                      "Pipwell Ecology": "none: 2024-Q4 not shown"}
    assert pd.isna(table.loc["Brackwater Systems", "Index change"])
    first = build(source, page="compare", wave="2024-Q4").table.set_index("Partner")
    assert first["Why no index change"].dropna().to_dict() == dict.fromkeys(
        ["Corvell Signalling", "Harbour Civils", "Kestrel Design", "Northline Infrastructure"], "none: no earlier wave")


@pytest.mark.parametrize("page", ["overview", "partner", "compare", "what-if"])
def test_every_slide_note_ends_as_a_sentence(source, page):
    view = build(source, page=page, wave="2025-Q1", partner="Brackwater Systems")
    notes = [note for panel in view.panels for note in panel.notes]
    assert notes and all(note.endswith((".", "?", "!")) for note in notes), notes


def test_compare_table_headers_are_short_and_their_full_names_said_once(source):
    headers = build(source, page="compare", wave="2026-Q1").table_headers
    assert headers["Collaboration index"] == ("Index", "Collaboration index (0-100)")
    assert headers["Index change"] == ("Change", "Change of the collaboration index since 2025-Q4")
    assert headers["Psychological safety"] == ("Psych. safety", "Psychological safety (0-100)")
    assert "Respondents" not in headers  # short enough as it is


def test_compare_first_wave_caption_says_there_is_no_change_yet(source):
    view = build(source, page="compare", wave="2024-Q4")
    assert view.caption == "Wave 2024-Q4 is the first wave: no change yet. Hover a cell for its n and 95% interval."
    assert view.table_headers["Index change"][1] == (
        "Change of the collaboration index since the previous wave (none before this one)")


def test_compare_links_to_profiles_keep_the_wave_and_pin(source, store):
    label = versions.labels(store.cursor())[10]
    view = build(source, page="compare", wave="2025-Q3", asof=10)
    assert view.partner_links["Kestrel Design"] == {"wave": "2025-Q3", "partner": "Kestrel Design", "asof": label}


def test_compare_change_table_for_chosen_factors(source):
    view = build(source, page="compare", wave="2026-Q1", factors=("shared_goals",))
    table = view.change_panel.table
    assert {r[1] for r in table.rows} == {"Shared goals", "Collaboration index"}
    hidden = [r for r, m in zip(table.rows, table.muted) if m]
    assert hidden and all(r[5].startswith("not shown: ") for r in hidden)
    assert table.rows[-1][0] == "Programme"


def test_compare_change_table_says_why_there_is_no_change_once(source):
    """Where the change cell says why there is none, "Beyond noise?" is empty (it said "no comparable
    previous score" beside it)."""
    table = build(source, page="compare", wave="2026-Q3").change_panel.table
    brackwater = [r for r in table.rows if r[0] == "Brackwater Systems"]  # hidden in 2026-Q2
    assert brackwater[0] == ("Brackwater Systems", "Shared goals", "", "39.9 (n 18)", "none: 2026-Q2 not shown", "")
    assert {(r[4], r[5]) for r in brackwater} == {("none: 2026-Q2 not shown", "")}
    shown = [r for r, m in zip(table.rows, table.muted) if not m]
    assert all(r[5] in ("yes", "no") for r in shown if r[4].startswith(("+", "-")))


# -- Partner profile --------------------------------------------------------------------

def test_a_hidden_partner_says_why_and_never_a_number(source):
    view = build(source, page="partner", partner="Pipwell Ecology", wave="2026-Q2")
    assert [(m.label, m.value) for m in view.headline] == [
        ("Collaboration index, 2026-Q2", "not shown"), ("Band", "not shown"), ("Respondents", "< 5")]
    assert view.hidden_waves[:2] == (("2024-Q4", "fewer than 5 responses"), ("2025-Q2", "fewer than 5 responses"))
    assert view.hidden_listed[0][1] == "fewer than 5 responses"  # each reason said once
    assert view.hidden_listed[0][0].startswith("2024-Q4, 2025-Q2")
    assert len({why for _, why in view.hidden_listed}) == len(view.hidden_listed)
    factor, evidence = view.evidence[0]
    assert factor == "shared_goals" and evidence.score.value == "not shown"
    assert evidence.score_caption == "Fewer than 5 responses"
    assert evidence.note == "No survey score to compare: fewer than 5 responses" and not evidence.disagrees


def test_partner_evidence_metrics(source):
    view = build(source, page="partner", partner="Pipwell Ecology", wave="2026-Q2")
    joint = view.evidence[0][1].indicators[0]
    assert (joint.label, joint.value, joint.delta) == ("Joint milestones", "33%", "others 43%")
    assert view.evidence[0][1].counts == (
        "6 milestones due in 2025-Q3 to 2026-Q2: too few to compare (needs 10)",)
    assert joint.help.endswith("Higher is better. 6 milestones due in 2025-Q3 to 2026-Q2: too few to "
                               "compare (needs 10).")
    assert list(view.evidence_table.columns) == ["Factor", "Indicator", "2026-Q2", "2026-Q1", "Based on",
                                                 "Better when", "Unit"]


def test_an_evidence_card_shows_the_pooled_figure_its_note_compares(source):
    view = build(source, page="partner", partner="Kestrel Design", wave="2026-Q2")
    governance = dict(view.evidence)["joint_governance"]
    card = governance.indicators[0]
    assert (card.label, card.value, card.delta, card.arrow) == ("Escalation rate", "27%", "others 29%", False)
    assert governance.counts == ("15 issues raised in 2026-Q1 to 2026-Q2",)
    assert governance.note.endswith("escalation rate 27% against 29%, 15 issues raised in 2026-Q1 to 2026-Q2)")


def test_the_ageing_backlog_card_is_counted_at_the_waves_end(source):
    view = build(source, page="partner", partner="Kestrel Design", wave="2026-Q2")
    backlog = dict(view.evidence)["open_communication"]
    assert [(m.label, m.value, m.delta) for m in backlog.indicators] == [
        ("Median days to resolve", "38.0 days", "others 40.0 days"), ("Ageing backlog", "9", "+4")]
    assert backlog.counts[1] == "At the end of 2026-Q2, against 7 milestones due in the year"


def test_too_few_events_is_said_once_on_the_card_not_again_in_the_note(source):
    view = build(source, page="partner", partner="Kestrel Design", wave="2026-Q2")
    shared = dict(view.evidence)["shared_goals"]
    assert shared.counts == ("7 milestones due in 2025-Q3 to 2026-Q2: too few to compare (needs 10)",)
    assert shared.note is None
    governance = dict(view.evidence)["joint_governance"]
    assert governance.counts == ("15 issues raised in 2026-Q1 to 2026-Q2",)
    assert governance.note.startswith("Survey and evidence do not clearly disagree")


def test_the_evidence_slide_says_what_each_figure_counts(source):
    view = build(source, page="partner", partner="Kestrel Design", wave="2026-Q2")
    table = view.profile_panel.table
    assert table.columns == ("Evidence", "Value", "Based on")
    assert table.rows[0] == ("On-time milestones", "29%", "7 in 4 waves*")
    assert table.rows[4] == ("Escalation rate", "27%", "15 in 2 waves")
    assert table.rows[6] == ("Ageing backlog", "9", "7 due in year")
    assert view.profile_panel.notes[-1] == ("Based on: the milestones or issues counted, over the waves pooled up "
                                            "to the wave (until 10, at most 4); *: too few to compare.")


def test_partner_pack_panels_follow_the_factors(source):
    view = build(source, page="partner", partner="Kestrel Design", wave="2026-Q2",
                 factors=("shared_goals", "open_communication"))
    assert view.table_panel.table.columns == ("Wave", "Shared goals", "Open communication", "Collaboration index")
    assert view.profile_panel.chart.args[3] == ("shared_goals", "open_communication")
    assert view.profile_panel.context[0] == ("Partner Kestrel Design  \u00b7  Factors: Shared goals, Open "
                                             "communication  \u00b7  Evidence up to wave 2026-Q2")
    assert {r[0] for r in view.agreement_panel.table.rows} == {"Shared goals", "Open communication"}


def test_an_unknown_partner_or_wave_or_version_says_which(source):
    with pytest.raises(ValueError, match="No partner named 'Nobody'"):
        build(source, page="partner", partner="Nobody")
    with pytest.raises(ValueError, match="There is no survey wave '2031-Q1'"):
        build(source, page="overview", wave="2031-Q1")
    with pytest.raises(ValueError, match="does not have"):
        build(source, page="compare", asof=999)


# -- What-if ----------------------------------------------------------------------------

def test_whatif_projects_ranks_and_links_the_scenario(source):
    view = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {"joint_governance": 15}),))
    assert [(m.label, m.value, m.delta) for m in view.metrics] == [
        ("Projected index", "71.0", "+3.0 vs now (68.0)"), ("Rank", "3 of 4", "now 3 of 4")]
    assert (view.band.label, view.band.value, view.band.delta) == (
        "Band", "Collaborating; its 95% interval reaches into Transitioning",
        "now Transitioning; its 95% interval reaches into Collaborating")
    now = views.whatif.partner_scores(source.whatif_current(None), "Harbour Civils")
    assert views.whatif.slider_note(now["joint_governance"], 15) == views.whatif.SliderNote("64.9", "79.9", False)
    assert view.link == "what-if?wi_partner=Harbour%20Civils&d_joint_governance=15"
    assert view.snapshot["Index"] == "68.0 \u2192 71.0" and view.snapshot["Changes"] == "Joint governance +15"
    assert view.scenario_panel.table.rows[1] == ("Joint governance", "64.9 (n 30)", "+15", "79.9", "Collaborating")
    assert list(view.delivery["Indicator"]) == ["On-time milestones", "Median days to resolve", "Escalation rate"]


def test_whatif_default_partner_and_hidden_ones(source):
    view = build(source, page="what-if")
    assert view.scenario.partner == view.default_partner == "Brackwater Systems"
    current = source.whatif_current(None)
    assert {p for p in view.partners if views.whatif.partner_scores(current, p) is None} == {
        "Corvell Signalling", "Pipwell Ecology"}
    assert view.scenario.deltas == {f: 0.0 for f in FIVE}


def test_whatif_of_a_hidden_partner_projects_nothing(source):
    view = build(source, page="what-if", scenarios=(Scenario("Pipwell Ecology"),))
    assert view.hidden == "fewer than 5 responses" and view.metrics == () and view.delivery_panel is None
    assert view.scenario_panel.notes == ("Pipwell Ecology: fewer than 5 responses \u2014 not shown. No "
                                         "projection is made from a group that is not shown.",)


def test_whatif_with_every_weight_zero_says_so(source):
    view = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {}, {f: 0 for f in FIVE}),))
    assert view.no_weight == "Every index weight is zero. Give at least one factor a weight."
    assert view.scenario_panel.context[1] == "Weights: every one zero"


def test_whatif_changed_weights_are_said_as_shares(source):
    weights = {"shared_goals": 0.5, "joint_governance": 0.2, "psychological_safety": 0.2,
               "open_communication": 0.2, "mutual_accountability": 1.0}
    view = build(source, page="what-if", scenarios=(Scenario("Brackwater Systems", {}, weights),))
    assert view.scenario_panel.context[1] == ("Weights: Shared goals 24%, Joint gov. 10%, Psych. safety 10%, "
                                              "Open comm. 10%, Mutual acc. 48%")
    assert view.snapshot["Weights"] == "0.5 / 0.2 / 0.2 / 0.2 / 1"


WEIGHTS_04 = {"shared_goals": 0.4, "joint_governance": 0.2, "psychological_safety": 0.2,
              "open_communication": 0.2, "mutual_accountability": 0.2}


def test_whatif_band_is_the_scores_as_on_every_page(source):
    """Finding 4's link: 72.5 is Collaborating (70 and up), as Compare bands Kestrel's 72.0; the
    interval reaching below 70 is a second phrase, never a fourth band."""
    view = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {"shared_goals": 12}, WEIGHTS_04),))
    assert view.metrics[0].value == "72.5"
    assert view.band.value == "Collaborating; its 95% interval reaches into Transitioning"
    assert view.snapshot["Band"] == "Collaborating"  # a cell says a band as the metric does
    assert view.scenario_panel.table.rows[-1][-1] == "Collaborating"
    assert [row[-1] for row in view.scenario_panel.table.rows[:-1]] == [
        "Collaborating", "Transitioning", "Transitioning", "Collaborating", "Collaborating"]  # 82.9 … 73.6


def test_whatif_now_with_changed_weights_says_both_figures(source):
    view = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {"shared_goals": 12}, WEIGHTS_04),))
    assert view.metrics[0].delta == "+4.0 vs now"  # short: a metric cuts a long delta at 1024 px
    assert view.reweighted == ("Now, with these weights: 68.5 (68.0 with the programme's weights). The strip "
                               "places every partner by its index with these weights.")


def test_whatif_with_the_programmes_weights_says_now_in_the_delta(source):
    view = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {"shared_goals": 12}),))
    assert view.reweighted is None and view.metrics[0].delta == "+2.4 vs now (68.0)"


def test_whatif_no_change_has_no_arrow(source):
    view = build(source, page="what-if", scenarios=(Scenario("Brackwater Systems"),))
    index = view.metrics[0]
    assert (index.value, index.delta, index.arrow, index.delta_color) == (
        "43.1", "no change", False, "off")


def test_whatif_last_period_is_one_named_period_and_says_how_the_profile_differs(source):
    view = build(source, page="what-if", scenarios=(Scenario("Brackwater Systems"),))
    last = view.delivery.set_index("Indicator")["2026-Q3 alone"]
    assert last.to_dict() == {"On-time milestones": "33%", "Median days to resolve": "34 days", "Escalation rate": "20%"}
    assert view.last_period_note.startswith("2026-Q3 alone: the partner's latest period with a value, on its own")
    assert "pool periods back from the wave until they rest on 10 milestones or issues" in view.last_period_note


def test_whatif_trust_table_says_what_the_check_found(source):
    """Finding 3: the model's error was smaller; what failed was the one-sided test."""
    view = build(source, page="what-if", scenarios=(Scenario("Brackwater Systems"),))
    trust = view.trust.set_index("Indicator")
    assert list(view.trust.columns) == ["Indicator", "Status", "Rests on", "Held-back check"]
    days = trust.loc["Median days to resolve"]
    assert days["Held-back check"] == (
        "the model's error (27.3 days) was not clearly smaller than the naive forecast's (34.2 days, the "
        "partner's own mean; one-sided p 0.12), over 15 forecasts")
    assert days["Rests on"] == "29 partner-waves, 6 partners; checked on 15 forecasts of 2025-Q4 to 2026-Q3"
    assert days["Status"] == "no reliable projection: the held-back check did not pass"
    assert trust.loc["On-time milestones", "Held-back check"].startswith(
        "the model's error (34.6 pts) was not smaller than the naive forecast's (27.1 pts")
    assert "naive forecast is the simplest guess" in view.trust_terms and "One-sided p is" in view.trust_terms


def test_whatif_slide_says_what_the_check_found(source):
    view = build(source, page="what-if", scenarios=(Scenario("Brackwater Systems"),))
    table = view.delivery_panel.table
    assert table.columns[1] == "2026-Q3 alone" and table.columns[-1] == "Rests on, or why not projected"
    assert table.rows[1][-1] == (
        "no reliable projection: the model's error (27.3 days) was not clearly smaller than the naive "
        "forecast's (34.2 days, the partner's own mean; one-sided p 0.12), over 15 forecasts")


# -- the programme pack, and no data -----------------------------------------------------

def test_programme_pack_panels_in_order(source):
    view = build(source, page="programme", scenarios=(Scenario("Kestrel Design", {"shared_goals": 10}),))
    kinds = [p.kind for p in view.panels]
    assert kinds[:9] == ["index_over_time", "spectrum", "participation", "heatmap", "ratings", "rating_pairs",
                         "movers", "movers_table", "partner"]
    assert kinds.count("partner") == 6 and kinds.count("actions") == 5 and kinds[-10:] == [
        "whatif", "whatif_delivery", *["appendix"] * 8]
    assert sum(len(p.table.rows) for p in view.appendix) == 8 * 7


def test_each_appendix_panel_reopens_compare_at_the_wave_it_shows(source):
    view = build(source, page="programme")
    assert [(p.title, p.link) for p in view.appendix][:2] == [
        ("Scores by partner and wave: 2026-Q3", "compare?wave=2026-Q3"),
        ("Scores by partner and wave: 2026-Q2", "compare?wave=2026-Q2")]
    assert view.appendix[-1].link == "compare?wave=2024-Q4" and len(view.appendix) == 8
    for panel in view.appendix:  # every row is of the panel's wave
        assert {row[0] for row in panel.table.rows} == {panel.title.rsplit(": ", 1)[1]}
        assert panel.context[0] == f"Wave {panel.table.rows[0][0]}  \u00b7  Factors: all five"


def test_an_empty_programme_has_a_cover_and_says_there_is_no_data(store, tmp_path):
    empty = Store(tmp_path / "empty.duckdb")
    try:
        view = views.build(views.Source(empty.cursor(), k=5), LinkState(page="compare"))
        assert isinstance(view, views.EmptyView)
        assert [p.title for p in view.panels] == ["No survey data yet"]
        assert view.cover.subtitle == "Compare"
    finally:
        empty.close()


def test_a_pack_of_a_scenario_with_every_weight_zero_is_refused(store):
    from pipelines.present import pack

    zero = Scenario("Harbour Civils", {}, {f: 0 for f in FIVE})
    for page in ("what-if", "programme"):
        with pytest.raises(ValueError, match="Every index weight is zero"):
            pack.view_model(LinkState(page=page, scenarios=(zero,)), cursor=store.cursor())


def test_responses_a_release_holds_back_are_said_on_screen_and_slide(tmp_path):
    """One late respondent (under k) is not counted yet: Overview and Compare list the
    query layer's words for it, and their slides say the same."""
    import builders as b

    store = Store(tmp_path / "late.duckdb")
    ids = b.add_partners(store, ["Alder Works", "Birch Lane", "Cedar Group"])
    b.load(store, "instrument_items", b.instrument())
    people = lambda pid, n, tag: b.responses(pid, "2025-Q1", "2025-01-01",
                                             [b.all_items(1 + (j * 7 + pid) % 5) for j in range(n)], prefix=tag)
    b.load(store, "survey_responses", people(ids["Alder Works"], 5, "a") + people(ids["Birch Lane"], 6, "b")
           + people(ids["Cedar Group"], 7, "c"))
    b.load(store, "survey_responses", people(ids["Alder Works"], 1, "late"))
    source = views.Source(store.cursor(), k=5)
    overview = build(source, page="overview")
    assert overview.pending_title == "Not counted yet in 2025-Q1:"
    assert overview.pending == (("Alder Works", "1 late response is not shown yet"),
                                ("Programme", "1 late response is not shown yet"))
    assert "Alder Works: 1 late response is not shown yet." in overview.spectrum_panel.notes
    compare = build(source, page="compare")
    assert compare.pending == overview.pending
    assert "Programme: 1 late response is not shown yet." in compare.heatmap_panel.notes
    store.close()


@pytest.mark.parametrize(("value", "large"), [
    ("64.2", True), ("4 of 6", True), ("+3", True), ("-17", True), ("\u22122.0", True), ("33%", True),
    (".5", True), ("100.0", True), ("Transitioning", False), ("not shown", False), ("no responses", False),
    ("< 5", False), ("\u2013", False), ("protected", False), ("34.0 days", False), ("196 of 200", False)])
def test_a_metric_value_in_large_type_is_a_short_figure(value, large):
    from pipelines.present.views.parts import Metric

    assert Metric("Label", value).large is large


@pytest.mark.parametrize("value, version", [
    ("version 12 · 6 Dec 2026 11:23", 12), ("batch 12 (2026-12-06 11:23)", 12), ("12", 12), (" 12 ", 12),
    ("012", 12), ("+12", 12), ("3", 3), ("undo of batch 2 (2026-12-05 09:00)", 3),
    ("99", None), ("-12", None), ("12.0", None), ("twelve", None), ("batch 12", None), ("", None),
    ("version 12", None),
])
def test_a_link_pins_a_version_by_its_label_a_former_label_or_its_number(value, version):
    from pipelines.store import versions

    known = {"version 12 · 6 Dec 2026 11:23": 12, "batch 12 (2026-12-06 11:23)": 12,
             "version 3 · 5 Dec 2026 09:00": 3, "undo of batch 2 (2026-12-05 09:00)": 3}
    assert versions.match(value, known) == version


# -- headcount not loaded at the pinned version (#23) --------------------------------------------

def test_a_pinned_overviews_participation_slide_says_why_invited_and_rate_are_blank(source):
    view = build(source, page="overview", asof="8")
    said = ("No headcount list had been loaded at this data version, so invited and response rate are "
            "blank (\u2014); Latest data has them once it is loaded.")
    assert view.participation.panel.notes[0] == said
    assert view.participation.caption.endswith(said)
    assert view.participation.panel.table.rows[0][1:4] == ("\u2014", "5 or more", "\u2014")


def test_a_partners_participation_pinned_before_the_headcount_says_why_too(source):
    pinned = build(source, page="partner", partner="Kestrel Design", wave="2026-Q1", asof="8")
    assert pinned.participation.caption.endswith("Latest data has them once it is loaded.")
    latest = build(source, page="partner", partner="Kestrel Design", wave="2026-Q1")
    assert "No headcount list" not in latest.participation.caption
    assert not any("No headcount list" in n for n in latest.participation.panel.notes)


def test_whatif_last_period_column_names_one_shared_period_only():
    assert words.last_period("2026-Q3") == "2026-Q3 alone"
    assert words.last_period(None) == "Last period alone"  # periods differ: each cell names its own


def test_whatif_slide_says_now_is_reweighted_without_the_pages_strip(source):
    view = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {"shared_goals": 12}, WEIGHTS_04),))
    assert "Now, with these weights: 68.5 (68.0 with the programme's weights)." in view.scenario_panel.notes
    plain = build(source, page="what-if", scenarios=(Scenario("Harbour Civils", {"shared_goals": 12}),))
    assert not any(n.startswith("Now, with these weights") for n in plain.scenario_panel.notes)


def test_the_movers_say_why_brackwater_has_no_change(source):
    """Its 2026-Q2 group is hidden (finding: slide 8 said only "not shown")."""
    panel = build(source, page="overview", wave="2026-Q3").movers_panels[0]
    bars = panel.chart.args[0]
    assert dict(zip(bars["partner"], bars["label"]))["Brackwater Systems"] == "no change: 2026-Q2 not shown"
    assert "Brackwater Systems: shown in 2026-Q3; no change, 2026-Q2 not shown." in panel.notes


def test_a_partners_slide_gives_n_over_the_waves_it_shows_only(source):
    """Pipwell Ecology is shown in two of eight waves, 6 respondents each: "per wave" read as all eight."""
    view = build(source, page="partner", partner="Pipwell Ecology", wave="2026-Q3")
    assert "Pipwell Ecology: n 6 respondents in each wave shown; grey dashed line: programme." in view.profile_panel.notes


def test_a_slider_note_is_the_score_now_and_moved_within_0_to_100():
    assert views.whatif.slider_note(64.9, 15) == views.whatif.SliderNote("64.9", "79.9", False)
    assert views.whatif.slider_note(92.0, 10) == views.whatif.SliderNote("92.0", "100.0", True)
    assert views.whatif.slider_note(4.5, -10) == views.whatif.SliderNote("4.5", "0.0", True)
    assert views.whatif.slider_note(50.0, 0) == views.whatif.SliderNote("50.0", "50.0", False)


def test_a_partners_scores_for_its_notes_are_none_when_not_shown():
    current = pd.DataFrame([{"partner": "Ely", **{f: 60.0 for f in FACTORS}, "suppressed": False},
                            {"partner": "Ouse", **{f: float("nan") for f in FACTORS}, "suppressed": True}])
    assert views.whatif.partner_scores(current, "Ely") == {f: 60.0 for f in FACTORS}
    assert views.whatif.partner_scores(current, "Ouse") is None
