"""The demo programme shows a new user every view beside the scores: participation against headcount,
the partner-to-partner matrix, comments and agreed actions, each with its privacy rules holding."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from survey_files import records, run
from test_dyads import assert_nothing_small_derivable

from pipelines import ingest
from pipelines.query import actions, comments, dyads, participation, scores
from pipelines.store import Store

TINY = "Pipwell Ecology"


@pytest.fixture
def store(demo):
    store = Store(demo / "demo.duckdb")
    yield store
    store.close()


def test_participation_against_the_headcount_list(store):
    rows = {(r["partner"], r["wave"]): r for r in records("participation", store=store)}
    assert len(rows) == 6 * 8
    assert rows[("Brackwater Systems", "2026-Q3")] == {"partner": "Brackwater Systems", "wave": "2026-Q3",
                                                       "invited": 32, "respondents": 18, "rate": 0.562}
    assert rows[(TINY, "2026-Q3")]["respondents"] == "fewer than 5" and rows[(TINY, "2026-Q3")]["rate"] is None
    assert rows[("Harbour Civils", "2025-Q2")]["invited"] == 40 and rows[("Harbour Civils", "2025-Q3")]["invited"] == 44
    low = participation.participation(store.cursor())
    flagged = low[low["below_warning"].fillna(False).astype(bool)]
    # Harbour: 44 invited the wave its list grew. Brackwater's rate is under the warning from 2026-Q1, but
    # in 2026-Q1 and Q2 it is the group hidden to protect the small partner (the client, the lead partner,
    # never is), and a hidden group is not flagged either
    assert set(zip(flagged["partner"], flagged["wave"])) == {("Harbour Civils", "2025-Q3"),
                                                             ("Brackwater Systems", "2026-Q3")}
    assert rows[("Brackwater Systems", "2026-Q1")]["rate"] is None


def test_the_matrix_never_shows_the_small_rater_nor_lets_it_be_worked_out(store):
    frame = dyads.dyads(store.cursor(), margins=True)
    index = scores.index_scores(store.cursor(), programme=False)
    small_waves = set()
    for wave, part in frame.groupby("wave"):
        tiny_row = part[(part["rater"] == TINY) & (part["target"] == dyads.ALL)].iloc[0]
        cells = part[(part["rater"] != dyads.ALL) & (part["target"] != dyads.ALL)]
        if tiny_row["reason"] == scores.Suppression.SMALL_GROUP:  # fewer than 5 of its people rated anyone
            small_waves.add(wave)
            assert cells.loc[cells["rater"] == TINY, "suppressed"].all()
        true_n = {(r, t): (1 if (r == TINY and wave in small_waves) else 99)
                  for r, t in zip(cells["rater"], cells["target"])}
        hidden = index[index["wave"].eq(wave) & index["suppressed"]]["partner"]  # in no margin
        assert_nothing_small_derivable(part, 5, true_n, outside=set(hidden))
    assert small_waves == {"2024-Q4", "2025-Q2", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"}
    shown = frame[~frame["suppressed"] & (frame["rater"] != dyads.ALL) & (frame["target"] != dyads.ALL)]
    assert len(shown) > 0.5 * len(frame[(frame["rater"] != dyads.ALL) & (frame["target"] != dyads.ALL)])


def test_the_two_views_of_corvell_and_the_client(store):
    frame = dyads.dyads(store.cursor(), wave="2026-Q3").set_index(["rater", "target"])
    corvell = frame.loc[("Corvell Signalling", "Northline Infrastructure")]
    assert not corvell["suppressed"] and corvell["score"] < 50


def test_comments_are_scrubbed_and_small_groups_have_none(store):
    rows = records("comments", store=store)
    assert len(rows) > 100
    waves_of_tiny = {r["wave"] for r in rows if r["partner"] == TINY}
    assert waves_of_tiny <= {"2025-Q1", "2025-Q3"}  # its two waves of 6 respondents
    text = " ".join(r["text"] for r in rows)
    assert "[phone]" in text and "[email]" in text
    assert not re.search(r"07700|@northline", text)


def test_the_agreed_actions_and_what_followed(store):
    listed = records("action", "list", store=store)
    assert [(r["id"], r["partner"], r["status"]) for r in listed] == [
        (1, "Kestrel Design", "done"), (2, "Corvell Signalling", "done"), (3, "Northline Infrastructure", "done"),
        (4, "Brackwater Systems", "open"), (5, "Harbour Civils", "open")]
    kestrel = actions.board(store.cursor(), partner="Kestrel Design").iloc[0]
    assert (kestrel["wave_closed"], kestrel["next_wave"]) == ("2025-Q3", "2025-Q4") and kestrel["change"] == \
        kestrel["change"]  # a number: both waves shown
    brackwater = actions.board(store.cursor(), partner="Brackwater Systems").iloc[0]
    assert brackwater["open"] and brackwater["overdue"]


def test_removing_the_demo_removes_all_of_it(demo, tmp_path):
    shutil.copy(demo / "demo.duckdb", tmp_path / "copy.duckdb")  # the module's demo stays as it is
    store = Store(tmp_path / "copy.duckdb")
    assert ingest.remove_demo(store) == 20  # every batch but the default instrument
    for table in ("headcounts", "partner_ratings", "survey_comments", "actions", "partners"):
        assert store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    assert store.cursor().execute("SELECT count(*) FROM batches WHERE is_demo").fetchone() == (0,)
    store.close()


# -- no hidden group's count from the ratings (#19's rule; #23's review, finding 1) -----------------
def lower_bounds(cursor, wave: str, asof=None) -> dict[str, int]:
    """What an attacker knows at least of each partner's respondents in ``wave`` from every output:
    the scores' n, the participation count ("5 or more" is 5), its comments to one question, and every
    count the ratings give of it as a rating organisation (its raters of a partner, its "All partners" n)."""
    index = scores.index_scores(cursor, asof=asof, waves=[wave], programme=False)
    known = {p: int(n) for p, n in zip(index["partner"], index["n"]) if not pd.isna(n)}
    for row in participation.participation(cursor, asof=asof).itertuples():
        if row.wave == wave:
            words = str(row.respondents)
            count = 1 if words.startswith("fewer than") else int(words.split()[0])  # "5 or more": 5
            known[row.partner] = max(known.get(row.partner, 0), count)
    for (partner, _question), count in comments.comments(cursor, wave=wave, asof=asof).groupby(
            ["partner", "question"]).size().items():  # a comment each at most
        known[partner] = max(known.get(partner, 0), int(count))
    ratings = dyads.dyads(cursor, wave=wave, asof=asof, margins=True)
    for rater, n in zip(ratings["rater"], ratings["respondents"]):
        if rater != dyads.ALL and not pd.isna(n):
            known[rater] = max(known.get(rater, 0), int(n))
    return known


def assert_no_small_group_by_subtraction(cursor, asof=None):
    """The programme's n less every other partner's known count never leaves a hidden group under k."""
    index = scores.index_scores(cursor, asof=asof)
    for wave, part in index.groupby("wave"):
        programme = int(part.loc[part["partner_id"].isna(), "n"].iloc[0])
        known = lower_bounds(cursor, wave, asof)
        for partner in part.loc[part["suppressed"] & part["partner_id"].notna(), "partner"]:
            at_most = programme - sum(n for p, n in known.items() if p != partner)
            assert at_most >= 5, (asof, wave, partner, at_most)


def test_corvell_gives_no_count_in_2026_q3_so_pipwell_cannot_be_worked_out(store):
    """The review's sum: 109 less 18 + 30 + 27 + 13 less Corvell's 18 gave Pipwell's 3."""
    cursor = store.cursor()
    ratings = dyads.dyads(cursor, wave="2026-Q3", margins=True).set_index(["rater", "target"])
    corvell = ratings.loc["Corvell Signalling"]
    assert corvell["respondents"].isna().all()
    assert corvell.loc[dyads.ALL, "suppressed"] and corvell.loc[dyads.ALL, "reason"] == scores.Suppression.COMPLEMENT
    assert round(corvell.loc["Northline Infrastructure", "score"], 1) == 44.4  # its ratings stay, without n
    assert lower_bounds(cursor, "2026-Q3") == {"Brackwater Systems": 18, "Corvell Signalling": 5, "Harbour Civils": 30,
                                               "Kestrel Design": 27, "Northline Infrastructure": 13,
                                               "Pipwell Ecology": 1}
    assert_no_small_group_by_subtraction(cursor)


def test_the_command_line_ratings_give_no_count_of_a_hidden_rater(store):
    rows = [r for r in records("dyads", "--wave", "2026-Q3", store=store) if r["rater"] == "Corvell Signalling"]
    assert [(r["target"], r["score"], r["respondents"], r["suppressed"]) for r in rows] == [
        ("Brackwater Systems", 44.4, None, False), ("Harbour Civils", 63.2, None, False),
        ("Kestrel Design", 63.2, None, False), ("Northline Infrastructure", 44.4, None, False),
        ("Pipwell Ecology", 58.8, None, False)]


def test_the_all_partners_margins_leave_the_hidden_raters_out(store):
    ratings = dyads.dyads(store.cursor(), wave="2026-Q3", margins=True)
    columns = ratings[ratings["rater"] == dyads.ALL].set_index("target")["respondents"].to_dict()
    # Brackwater 17, Harbour 28, Kestrel 26, Northline 12 rated Pipwell: Corvell's 17 and Pipwell's own are not in it
    assert columns["Pipwell Ecology"] == 83
    assert columns == {"Brackwater Systems": 64, "Corvell Signalling": 83, "Harbour Civils": 55,
                       "Kestrel Design": 55, "Northline Infrastructure": 75, "Pipwell Ecology": 83}


@pytest.mark.parametrize("asof", [4, 8, 12, 16, 20])
def test_no_hidden_group_by_subtraction_at_a_pinned_version(store, asof):
    assert_no_small_group_by_subtraction(store.cursor(), asof)


def test_compare_and_its_slide_give_no_n_for_corvell(store, tmp_path):
    """Compare's matrix (the page's table, its tooltip data and the pack slide render the same view)."""
    from pipelines.present import views
    from pipelines.present.links import LinkState

    ratings = views.build(views.Source(store.cursor(), k=5), LinkState(page="compare", wave="2026-Q3")).ratings
    matrix = ratings.matrix.set_index("Rating organisation")
    assert matrix.loc["Corvell Signalling", dyads.ALL] == "protected"
    assert matrix.loc["Brackwater Systems", dyads.ALL] == "57.6 (n 18)"  # shown by the scores: its n too
    tips = ratings.chart.args[0].set_index(["rater", "target"])
    assert tips.loc[("Corvell Signalling", dyads.ALL), "n_text"] == "protected"
    assert tips.loc[("Corvell Signalling", "Northline Infrastructure"), ["score_text", "n_text"]].tolist() == [
        "44.4", "protected"]
    out = tmp_path / "compare.pdf"
    code, _, err = run("pack", "--page", "compare", "--wave", "2026-Q3", "--format", "pdf", "--out", out, store=store)
    assert code == 0, err
    from pypdf import PdfReader
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "(n 18)" in text and "(n 30)" in text  # Brackwater's and Harbour's
    assert "54.6" not in text  # Corvell's "All partners" score, hidden with its n


def test_an_all_partners_change_is_only_over_the_same_raters(store):
    ratings = dyads.dyads(store.cursor(), margins=True)
    harbour = ratings[(ratings["rater"] == dyads.ALL) & (ratings["target"] == "Harbour Civils")].set_index("wave")
    # 2026-Q2 left out Brackwater (protected) and Pipwell, 2026-Q3 Corvell and Pipwell: not the same raters
    assert round(harbour.loc["2026-Q3", "score"], 1) == 73.6 and np.isnan(harbour.loc["2026-Q3", "change"])
    cells = ratings[(ratings["rater"] == "Harbour Civils") & (ratings["target"] == "Kestrel Design")].set_index("wave")
    assert round(cells.loc["2026-Q3", "change"], 1) == -1.3  # a cell's change stays


def test_comments_before_any_survey_is_released_print_only_the_header(store):
    code, out, err = run("comments", "--asof", "1", store=store)  # version 1: no survey yet (was a KeyError)
    assert (code, out, err) == (0, "partner,wave,question,text\n", "")


def test_a_partner_hidden_beside_a_small_group_shows_no_comments(store):
    """Brackwater's 2026-Q2 scores are hidden beside Pipwell's small group; five comments to one
    question would have said at least five of its people answered (the lower bound an attacker sums)."""
    cursor = store.cursor()
    index = scores.index_scores(cursor, waves=["2026-Q2"], programme=False).set_index("partner")
    assert index.loc["Brackwater Systems", "suppression_reason"] == scores.Suppression.COMPLEMENT
    assert comments.comments(cursor, partner="Brackwater Systems", wave="2026-Q2").empty
    assert not comments.shown_for(cursor, partner_id=int(index.loc["Brackwater Systems", "partner_id"]), wave="2026-Q2")
    assert len(comments.comments(cursor, partner="Brackwater Systems", wave="2026-Q3")) == 2  # shown there


def test_the_profile_says_why_a_partner_hidden_beside_a_small_group_has_no_comments(store):
    from pipelines.present import views
    from pipelines.present.links import LinkState

    view = views.build(views.Source(store.cursor(), k=5),
                       LinkState(page="partner", partner="Brackwater Systems", wave="2026-Q2"))
    assert view.comments.note == (
        "Brackwater Systems's comments for 2026-Q2 are not shown: like its scores, they are hidden so a smaller "
        "group cannot be worked out by subtraction (how many wrote would say how many answered).")
