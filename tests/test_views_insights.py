"""The view models of #25 on the demo programme (a real DuckDB through the query layer): participation
on the Overview and the Partner profile, the ratings matrix of Compare, what people wrote, the agreed
actions and the item-level view; k-suppression in each, and a pinned version's actions."""
from __future__ import annotations

from test_views import build, source, store  # noqa: F401  (source, store: the demo's, once per module)

from pipelines.present import views
from pipelines.present.views import ratings
from pipelines.store import Store

PARTICIPATION_2026_Q3 = [  # the Overview's table for the demo's latest wave, as the page shows it
    ["Brackwater Systems", "56% (below 60%)", "18", "32", "43.1"],
    ["Corvell Signalling", "\u2014", "5 or more", "25", "not shown"],
    ["Harbour Civils", "68%", "30", "44", "68.0"],
    ["Kestrel Design", "84%", "27", "32", "72.0"],
    ["Northline Infrastructure", "93%", "13", "14", "77.1"],
    ["Pipwell Ecology", "\u2014", "fewer than 5", "6", "not shown"],
]


def rows(frame) -> list[list[str]]:
    return frame.values.tolist()


# -- participation ------------------------------------------------------------------------

def test_overview_participation_per_partner_beside_the_index(source):
    part = build(source, page="overview", wave="2026-Q3").participation
    assert part.title == "Participation, 2026-Q3"
    assert list(part.table.columns) == ["Partner", "Response rate", "Respondents", "Invited", "Collaboration index"]
    assert rows(part.table) == PARTICIPATION_2026_Q3


def test_a_low_rate_is_said_beside_the_spectrum(source):
    view = build(source, page="overview", wave="2026-Q3")
    low = ("Brackwater Systems: 56% of the 32 invited answered in 2026-Q3, below the 60% the programme asks "
           "for; its scores rest on few of its people.")
    assert view.participation.low == (low,)
    assert view.spectrum_panel.notes[-1] == low


def test_the_warning_follows_the_setting(store, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PARTICIPATION_WARNING", "0.7")
    part = build(views.Source(store.cursor(), k=5), page="overview", wave="2026-Q3").participation
    assert [r[0] for r in rows(part.table) if "below 70%" in r[1]] == ["Brackwater Systems", "Harbour Civils",
                                                                        "Pipwell Ecology"]
    # fewer than 5 of 6 is under 70% whatever the exact count: said without it
    assert part.low[-1] == ("Pipwell Ecology: under 70% of the 6 invited answered in 2026-Q3, below the 70% the "
                            "programme asks for; its scores rest on few of its people.")


def test_an_earlier_wave_flags_its_own_low_rate(source):
    part = build(source, page="overview", wave="2025-Q3").participation
    assert rows(part.table)[2] == ["Harbour Civils", "59% (below 60%)", "26", "44", "41.5"]
    assert part.low == ("Harbour Civils: 59% of the 44 invited answered in 2025-Q3, below the 60% the programme "
                        "asks for; its scores rest on few of its people.",)


def test_partner_participation_over_the_waves_never_gives_a_small_count(source):
    part = build(source, page="partner", partner="Pipwell Ecology").participation
    assert part.title == "Pipwell Ecology: participation over the waves"
    assert rows(part.table)[-2:] == [["2026-Q2", "\u2014", "fewer than 5", "6", "not shown"],
                                     ["2026-Q3", "\u2014", "fewer than 5", "6", "not shown"]]
    assert rows(part.table)[3] == ["2025-Q3", "100%", "6", "6", "47.5"]


def test_participation_before_the_headcounts_were_loaded_has_no_rate(source):
    part = build(source, page="overview", wave="2026-Q3", asof=12).participation
    assert rows(part.table)[0] == ["Brackwater Systems", "\u2014", "18", "\u2014", "43.1"]
    assert part.low == ()


# -- ratings matrix ---------------------------------------------------------------------------

def test_the_matrix_rows_rate_columns_with_the_change(source):
    found = build(source, page="compare", wave="2026-Q3").ratings
    assert found.panels[0].title == "Who rates whom, 2026-Q3"  # its slide's (the page names it by the chart)
    # the most respondents first, then (their counts not shown) Corvell and Pipwell by name
    assert found.shown == ("Harbour Civils", "Kestrel Design", "Brackwater Systems", "Northline Infrastructure",
                           "Corvell Signalling", "Pipwell Ecology")
    assert list(found.matrix.columns) == ["Rating organisation", *found.shown, "All partners"]
    assert rows(found.matrix)[0] == ["Harbour Civils", "\u2014", "78.7 \u25bc1.3", "49.1 \u25b23.2", "70.8 \u25b21.2",
                                     "62.9 \u25b27.8", "66.1 \u25b214.1", "65.6 (n 30) \u25b24.9"]
    # over the raters the scores show (not Corvell nor Pipwell); 2026-Q2's were others: no change
    assert rows(found.matrix)[-1] == ["All partners", "73.6", "72.7", "47.3", "70.0", "61.7", "65.7", "\u2014"]


def test_a_small_rater_is_never_shown_and_the_one_hidden_beside_it_gives_no_n(source):
    matrix = rows(build(source, page="compare", wave="2026-Q3").ratings.matrix)
    assert matrix[5] == ["Pipwell Ecology", *["n < 5"] * 5, "\u2014", "n < 5"]
    assert matrix[4] == ["Corvell Signalling", "63.2 \u25b23.2", "63.2 \u25b22.0", "44.4 \u25bc2.9", "44.4 \u25bc4.4",
                         "\u2014", "58.8 \u25bc1.9", "protected"]


def test_the_two_sides_of_a_relationship_largest_gap_first(source):
    found = build(source, page="compare", wave="2026-Q3").ratings
    assert rows(found.pairs) == [
        ["Northline Infrastructure", "Corvell Signalling", "70.8", "44.4", "+26.4"],
        ["Kestrel Design", "Brackwater Systems", "40.0", "60.3", "-20.3"],
        ["Harbour Civils", "Brackwater Systems", "49.1", "62.5", "-13.4"],
        ["Brackwater Systems", "Corvell Signalling", "52.9", "44.4", "+8.5"],
        ["Harbour Civils", "Northline Infrastructure", "70.8", "78.8", "-8.0"],
        ["Kestrel Design", "Corvell Signalling", "62.0", "63.2", "-1.2"],
        ["Harbour Civils", "Kestrel Design", "78.7", "77.9", "+0.8"],
        ["Kestrel Design", "Northline Infrastructure", "76.9", "77.3", "-0.4"],
    ]


def test_the_chart_marks_a_hidden_cell_with_its_reason(source):
    chart = build(source, page="compare", wave="2026-Q3").ratings.chart
    cells = chart.args[0].set_index(["rater", "target"])
    assert chart.builder == "ratings_matrix"
    assert cells.loc[("Pipwell Ecology", "Harbour Civils"), ["cell", "arrow", "heat", "score_text"]].tolist() == [
        "\u2715", "< 5", "not shown", ""]
    assert cells.loc[("Kestrel Design", "Brackwater Systems"), ["cell", "mirror_text", "gap_text", "n_text"]].tolist() == [
        "40.0", "60.3", "-20.3", "25"]


def test_at_most_so_many_partners_and_the_chosen_one_always(source, monkeypatch):
    monkeypatch.setattr(ratings, "MATRIX_SHOWN", 3)
    top = build(source, page="compare", wave="2026-Q3").ratings
    assert top.shown == ("Harbour Civils", "Kestrel Design", "Brackwater Systems")
    assert top.notes[-1] == "Showing 3 of 6 partners: the most respondents first."
    chosen = build(source, page="compare", wave="2026-Q3", partner="Pipwell Ecology").ratings
    assert chosen.shown == ("Pipwell Ecology", "Harbour Civils", "Kestrel Design")
    assert chosen.notes[-1] == "Showing 3 of 6 partners: the most respondents first, and Pipwell Ecology."
    assert rows(chosen.matrix)[0][0] == "Pipwell Ecology"


def test_a_survey_without_rating_questions_says_so_and_counts_without_headcounts(tmp_path, monkeypatch):
    import builders as b

    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "small-salt"))
    small = Store(tmp_path / "small.duckdb")
    try:
        ids = b.add_partners(small, ["Alder Works", "Birch Labs"])
        b.load(small, "instrument_items", b.instrument())
        b.load(small, "survey_responses", b.responses(ids["Alder Works"], "2026-Q1", "2026-01-01",
                                                      [b.all_items(4)] * 6)
               + b.responses(ids["Birch Labs"], "2026-Q1", "2026-01-01", [b.all_items(2)] * 3))
        found = views.Source(small.cursor(), k=5)
        view = build(found, page="compare")
        assert view.ratings.none == ("No partner-to-partner ratings in 2026-Q1: the survey has no grid questions "
                                     "that name a partner (such as 'How well do we work with [Partner]').")
        assert view.ratings.panels == ()
        part = build(found, page="overview").participation
        assert rows(part.table) == [["Alder Works", "\u2014", "5 or more", "\u2014", "not shown"],
                                    ["Birch Labs", "\u2014", "fewer than 5", "\u2014", "not shown"]]
    finally:
        small.close()


# -- comments -------------------------------------------------------------------------------------

def test_comments_of_a_group_of_comment_k_or_more_by_question(source):
    found = build(source, page="partner", partner="Harbour Civils", wave="2026-Q3").comments
    assert found.by_question == (("Anything else you would like to tell us?", (
        "We fix problems together before asking whose they are.",
        "Problems come up early in the weekly look-ahead.",
        "We set this year's targets together.",
        "Challenging the plan is welcome.")),)


def test_a_comment_from_a_small_group_never_appears(source):
    found = build(source, page="partner", partner="Pipwell Ecology", wave="2026-Q3").comments
    assert found.by_question == ()
    assert found.note == ("Pipwell Ecology's comments for 2026-Q3 are not shown: fewer than 5 of its people "
                          "answered, so a comment could point to who wrote it.")
    assert found.panel.table is None


def test_comment_k_is_its_own_setting(store, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_COMMENT_K", "40")
    found = build(views.Source(store.cursor(), k=5), page="partner", partner="Harbour Civils", wave="2026-Q3").comments
    assert found.by_question == ()
    assert found.note.startswith("Harbour Civils's comments for 2026-Q3 are not shown: fewer than 40 ")


def test_the_pack_has_comments_only_when_asked(source):
    kinds = [p.kind for p in build(source, page="partner", partner="Kestrel Design").panels]
    assert kinds == ["partner", "partner_table", "agreement", "partner_participation", "actions", "items"]
    asked = build(source, page="partner", partner="Kestrel Design", comments=True).panels
    assert asked[-1].kind == "comments"
    assert asked[-1].table.rows[0] == ("Anything else you would like to tell us?",
                                       "We can own up to mistakes without blame.")


# -- actions ----------------------------------------------------------------------------------------

def test_a_closed_action_with_its_factors_change_over_the_next_wave(source):
    found = build(source, page="partner", partner="Kestrel Design").actions
    assert found.title == "Agreed actions: Kestrel Design"
    assert rows(found.table) == [["Psychological safety", "No-blame design reviews with Harbour Civils",
                                  "Kestrel design manager", "done 2025-09-10",
                                  "+9.4 from 2025-Q3 to 2025-Q4 (beyond noise)"]]
    assert found.by_factor == {}


def test_an_overdue_action_beside_its_factor(source):
    found = build(source, page="partner", partner="Brackwater Systems").actions
    assert rows(found.table) == [["Mutual accountability", "Joint recovery plan for systems integration",
                                  "Brackwater delivery lead", "overdue since 2026-06-30", "now 41.8 (2026-Q3)"]]
    assert found.by_factor == {"mutual_accountability": (
        "Joint recovery plan for systems integration (Brackwater delivery lead; overdue since 2026-06-30)",)}


def test_a_pinned_link_shows_the_actions_as_they_were(source):
    found = build(source, page="partner", partner="Kestrel Design", asof=14).actions
    assert rows(found.table)[0][3] == "overdue since 2025-09-30"
    assert build(source, page="partner", partner="Kestrel Design", asof=13).actions.table is None


def test_a_partner_without_actions(source):
    found = build(source, page="partner", partner="Pipwell Ecology").actions
    assert found.table is None and found.panel.table is None
    assert found.note == ("No actions agreed for Pipwell Ecology yet: your administrator records them as the "
                          "steering group agrees them.")


def test_the_programme_pack_has_an_agreed_actions_slide_per_partner_with_actions(source):
    titles = [p.title for p in build(source, page="programme").panels if p.kind == "actions"]
    assert titles == ["Agreed actions: Brackwater Systems", "Agreed actions: Corvell Signalling",
                      "Agreed actions: Harbour Civils", "Agreed actions: Kestrel Design",
                      "Agreed actions: Northline Infrastructure"]


# -- items --------------------------------------------------------------------------------------------

def test_items_against_the_programme_with_n(source):
    found = build(source, page="partner", partner="Brackwater Systems", wave="2026-Q3").items
    assert list(found.table.columns) == ["Factor", "Question", "Brackwater Systems", "Programme"]
    assert rows(found.table)[0] == ["Shared goals", "The partners agreed the programme's objectives together.",
                                    "11% (n 18)", "65% (n 108)"]
    assert len(found.table) == 20


def test_items_of_a_small_group_are_not_shown(source):
    found = build(source, page="partner", partner="Pipwell Ecology", wave="2026-Q3").items
    assert {r[2] for r in rows(found.table)} == {"not shown: fewer than 5 responses"}
    assert found.panel.table.muted == (True,) * 20


def test_items_and_actions_follow_the_factors_chosen(source):
    view = build(source, page="partner", partner="Brackwater Systems", factors=("shared_goals",))
    assert {r[0] for r in rows(view.items.table)} == {"Shared goals"} and len(view.items.table) == 4
    assert view.actions.table is None  # its one action is on mutual accountability
    assert view.actions.note == "No actions agreed for Brackwater Systems on the factors chosen (1 on others)."
    assert view.actions.panel.context[0] == "Partner Brackwater Systems  \u00b7  Factors: Shared goals  \u00b7  Every action, by id"


def test_where_every_group_is_too_small_nothing_is_shown(store):
    view = build(views.Source(store.cursor(), k=1000), page="compare", wave="2026-Q3").ratings
    assert view.pairs is None and [p.kind for p in view.panels] == ["ratings"]
    assert rows(view.matrix)[0] == ["Brackwater Systems", "\u2014", *["n < 1000"] * 6]
    assert rows(view.matrix)[-1] == ["All partners", *["n < 1000"] * 6, "\u2014"]
