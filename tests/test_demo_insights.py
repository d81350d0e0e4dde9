"""The demo programme shows a new user every view beside the scores: participation against headcount,
the partner-to-partner matrix, comments and agreed actions, each with its privacy rules holding."""
from __future__ import annotations

import re
import shutil

import pytest
from survey_files import records
from test_dyads import assert_nothing_small_derivable

from pipelines import ingest
from pipelines.query import actions, dyads, participation, scores
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
    small_waves = set()
    for wave, part in frame.groupby("wave"):
        tiny_row = part[(part["rater"] == TINY) & (part["target"] == dyads.ALL)].iloc[0]
        cells = part[(part["rater"] != dyads.ALL) & (part["target"] != dyads.ALL)]
        if tiny_row["reason"] == scores.Suppression.SMALL_GROUP:  # fewer than 5 of its people rated anyone
            small_waves.add(wave)
            assert cells.loc[cells["rater"] == TINY, "suppressed"].all()
        true_n = {(r, t): (1 if (r == TINY and wave in small_waves) else 99)
                  for r, t in zip(cells["rater"], cells["target"])}
        assert_nothing_small_derivable(part, 5, true_n)
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
