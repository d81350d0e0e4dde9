"""Actions agreed per partner and factor: `python -m pipelines action add|list|done|edit`, versioned
like the data (a pinned view shows them as they were, undo takes a change back), and the board that
puts them beside their factor's score and its change over the next wave."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from survey_files import load, programme, records, run, survey

from pipelines.query import actions

PARTNERS = ["Alder Works", "Birch Lane", "Cedar Group"]
TODAY = dt.date.today().isoformat()
ADD = ["action", "add", "--partner", "Alder Works", "--factor", "open communication", "--title",
       "Joint lessons-learned session after each possession", "--owner", "PMO lead", "--due", "2026-01-31"]


@pytest.fixture
def partners(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    return store


def listing(store, *args):
    return records("action", "list", *args, store=store)


def test_an_edit_is_told_whole_in_the_history_though_its_words_hold_a_colon(partners):
    run(*ADD, store=partners)
    run("action", "edit", "1", "--owner", "PMO lead: rail", "--due", "2026-02-28", store=partners)
    history = run("history", store=partners)[1].splitlines()
    assert history[1].endswith(" loaded The edit \u201cAction 1 (Joint lessons-learned session after each possession) "
                               "edited: owner now PMO lead: rail, due now 2026-02-28\u201d")


def test_add_list_edit_and_done_through_the_command_line(partners):
    assert run(*ADD, store=partners)[1] == "Added action 1 (version 3).\n"
    assert listing(partners) == [{"id": 1, "partner": "Alder Works", "factor": "open_communication",
                                  "title": "Joint lessons-learned session after each possession",
                                  "owner": "PMO lead", "due": "2026-01-31", "status": "open", "created": TODAY}]
    assert run("action", "edit", "1", "--due", "2026-02-28", "--owner", "Alliance manager", store=partners)[1] == \
        "Edited action 1 (version 4).\n"
    assert run("action", "done", "1", store=partners)[1] == "Action 1 is done (version 5).\n"
    [row] = listing(partners)
    assert (row["due"], row["owner"], row["status"], row["created"]) == ("2026-02-28", "Alliance manager", "done", TODAY)
    code, out, _ = run("action", "list", "--format", "csv", store=partners)
    assert out.splitlines()[0] == "id,partner,factor,title,owner,due,status,created"


def test_a_pinned_version_shows_the_actions_as_they_were(partners):
    run(*ADD, store=partners)
    run("action", "edit", "1", "--title", "Lessons-learned session", store=partners)
    run("action", "done", "1", store=partners)
    states = [(r["title"], r["status"]) for v in ("3", "4", "5") for r in listing(partners, "--asof", v)]
    assert states == [("Joint lessons-learned session after each possession", "open"),
                      ("Lessons-learned session", "open"), ("Lessons-learned session", "done")]
    assert listing(partners, "--asof", "2") == []  # before it was added


def test_each_change_is_in_the_history_and_undo_takes_it_back(partners):
    run(*ADD, store=partners)
    run("action", "done", "1", store=partners)
    history = run("history", store=partners)[1].splitlines()
    assert [line.split()[:2] for line in history[1:3]] == [["4", "actions"], ["3", "actions"]]
    today = dt.date.today()
    assert history[1].endswith(f" loaded The edit \u201cAction 1 done on {today.day} {today:%b %Y}: "
                               "Joint lessons-learned session after each possession\u201d")
    assert history[2].endswith(" loaded The edit \u201cAction 1 added for Alder Works (Open communication): "
                               "Joint lessons-learned session after each possession\u201d")
    assert run("undo", "4", store=partners)[0] == 0
    assert listing(partners)[0]["status"] == "open"
    assert listing(partners, "--asof", "4")[0]["status"] == "done"  # the pin still shows it done


@pytest.mark.parametrize("argv, message", [
    (["action", "add", "--partner", "Oak Hill", "--factor", "shared goals", "--title", "t", "--owner", "o",
      "--due", "2026-01-31"], "There is no partner 'Oak Hill'. The partners are: Alder Works, Birch Lane, Cedar Group."),
    (["action", "add", "--partner", "Alder Works", "--factor", "teamwork", "--title", "t", "--owner", "o",
      "--due", "2026-01-31"], "Unknown factor 'teamwork'."),
    (["action", "add", "--partner", "Alder Works", "--factor", "shared goals", "--title", "t", "--owner", "o",
      "--due", "31/01/2026"], "The due date must be a date written YYYY-MM-DD, such as 2026-03-31, not '31/01/2026'."),
    (["action", "add", "--partner", "Alder Works", "--factor", "shared goals", "--title", "  ", "--owner", "o",
      "--due", "2026-01-31"], "The title of an action cannot be empty."),
    (["action", "add", "--partner", "Alder Works", "--factor", "shared goals", "--title", "x" * 201, "--owner", "o",
      "--due", "2026-01-31"], "The title is 201 characters long; keep it within 200."),
    (["action", "edit", "1"], "Say what to change: --title, --due or --owner."),
    (["action", "edit", "7", "--title", "x"], "There is no action 7. `python -m pipelines action list` lists the actions."),
    (["action", "done", "7"], "There is no action 7."),
])
def test_bad_input_changes_nothing_and_says_what_to_do(partners, argv, message):
    before = run("history", store=partners)[1]
    code, out, err = run(*argv, store=partners)
    assert (code, out) == (1, "") and message in err
    assert run("history", store=partners)[1] == before


def test_done_twice_is_refused(partners):
    run(*ADD, store=partners)
    run("action", "done", "1", store=partners)
    code, _, err = run("action", "done", "1", store=partners)
    assert code == 1 and f"Action 1 is already done (since {TODAY})." in err


def test_a_missing_option_is_a_usage_error(partners):
    assert run("action", "add", "--partner", "Alder Works", store=partners)[0] == 64
    assert run("action", store=partners)[0] == 64


def test_list_by_partner_by_another_name(partners, tmp_path):
    load(tmp_path, "partners", "aliases.csv", "Partner,Aliases\nBirch Lane,BL\n", store=partners)
    run(*ADD, store=partners)
    run("action", "add", "--partner", "BL", "--factor", "shared_goals", "--title", "Agree the goals together",
        "--owner", "Director", "--due", "2026-03-31", store=partners)
    assert [r["partner"] for r in listing(partners, "--partner", "birch lane")] == ["Birch Lane"]
    assert [r["id"] for r in listing(partners)] == [1, 2]


# -- the board: beside the factor, and what followed ------------------------------------
@pytest.fixture
def waves(partners, tmp_path):
    """Alder (8 respondents): shared goals 75 in 2025-Q3, 100 in 2025-Q4; Birch 3 respondents (hidden),
    Cedar 6 (hidden beside Birch, as the smallest other partner)."""
    groups = {"Alder Works": 8, "Birch Lane": 3, "Cedar Group": 6}
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", groups), store=partners)
    load(tmp_path, "survey", "q4.csv", survey("2025-Q4", groups, start=100, answer=lambda p, i: (5, 4)),
         store=partners)
    return partners


def test_a_closed_action_shows_its_factors_change_over_the_next_wave(waves):
    from pipelines.programme import actions as agreed
    agreed.add(waves, partner="Alder Works", factor="shared goals", title="Co-write the goals", owner="Director",
               due="2025-09-30", created=dt.date(2025, 8, 1))
    agreed.done(waves, 1, closed=dt.date(2025, 9, 15))
    [row] = actions.board(waves.cursor(), partner="Alder Works").to_dict("records")
    assert (row["wave_closed"], row["next_wave"], row["change"], row["beyond_uncertainty"]) == (
        "2025-Q3", "2025-Q4", 25.0, True)
    assert (row["open"], row["overdue"], row["score"], row["score_wave"]) == (False, False, 100.0, "2025-Q4")


def test_open_actions_are_overdue_after_their_due_date(waves):
    from pipelines.programme import actions as agreed
    agreed.add(waves, partner="Alder Works", factor="psychological safety", title="No-blame reviews",
               owner="Site leads", due="2026-01-31")
    agreed.add(waves, partner="Alder Works", factor="shared goals", title="Goal workshop", owner="Director",
               due="2026-06-30")
    board = actions.board(waves.cursor(), partner="Alder Works", today=dt.date(2026, 3, 1))
    assert list(zip(board["title"], board["open"], board["overdue"])) == [
        ("No-blame reviews", True, True), ("Goal workshop", True, False)]
    assert list(board["score"]) == [75.0, 100.0]  # the latest wave: psychological safety 4 of 5, shared goals 5
    assert board["change"].isna().all()


def test_a_small_partners_hidden_scores_give_no_change(waves):
    from pipelines.programme import actions as agreed
    agreed.add(waves, partner="Birch Lane", factor="shared goals", title="Join the planning", owner="Lead",
               due="2025-09-30")
    agreed.done(waves, 1, closed=dt.date(2025, 8, 20))
    [row] = actions.board(waves.cursor(), partner="Birch Lane").to_dict("records")
    assert (row["wave_closed"], row["next_wave"]) == ("2025-Q3", "2025-Q4")
    assert pd.isna(row["change"]) and pd.isna(row["score"]) and pd.isna(row["beyond_uncertainty"])


def test_an_action_closed_in_the_latest_wave_has_no_next_wave_yet(waves):
    from pipelines.programme import actions as agreed
    agreed.add(waves, partner="Alder Works", factor="shared goals", title="t", owner="o", due="2025-12-31")
    agreed.done(waves, 1, closed=dt.date(2025, 11, 2))
    [row] = actions.board(waves.cursor(), partner="Alder Works").to_dict("records")
    assert (row["wave_closed"], row["next_wave"]) == ("2025-Q4", None) and pd.isna(row["change"])


def test_a_pinned_board_counts_today_as_the_versions_day(waves):
    from pipelines.programme import actions as agreed
    _, version = agreed.add(waves, partner="Alder Works", factor="shared goals", title="t", owner="o",
                            due="2020-01-01")
    assert actions.today_of(waves.cursor(), version) == dt.date.today()
    assert bool(actions.board(waves.cursor(), partner="Alder Works", asof=version)["overdue"].iloc[0])
    assert actions.board(waves.cursor(), partner="Birch Lane").empty
