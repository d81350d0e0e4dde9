"""`python -m pipelines comments`: what respondents wrote, only for groups of comment_k or more, with
no respondent or time, in an order that does not follow the answers'."""
from __future__ import annotations

import pytest
from survey_files import COMMENT, load, programme, records, run, survey

from pipelines import settings
from pipelines.query import comments

PARTNERS = ["Alder Works", "Birch Lane", "Cedar Group"]
ALDER = ["Decisions wait for the monthly board", "Good joint planning sessions", "We hear about changes late",
         "The shared risk register helps", "More site visits together, please"]


@pytest.fixture
def wave(store, tmp_path):
    """2025-Q3: Alder 7 respondents, five wrote; Birch 3 respondents, two wrote; Cedar 6, one wrote;
    Dogwood 5, none wrote: the group the scores hide beside Birch's (a partner hidden so shows no
    comments: how many wrote would bound its respondents, and the programme's n less them Birch's)."""
    programme(tmp_path, [*PARTNERS, "Dogwood Trust"], store=store)
    text = survey("2025-Q3", {"Alder Works": 7, "Birch Lane": 3, "Cedar Group": 6, "Dogwood Trust": 5},
                  comments={"Alder Works": ALDER, "Birch Lane": ["Nobody asks us", "Too many meetings"],
                            "Cedar Group": [None, None, "=HYPERLINK(\"http://x\",\"click\")"]})
    load(tmp_path, "survey", "q3.csv", text, store=store)
    return store


def test_comments_come_as_partner_wave_question_text_only(wave):
    rows = records("comments", store=wave)
    assert all(list(row) == ["partner", "wave", "question", "text"] for row in rows)
    assert sorted(r["text"] for r in rows if r["partner"] == "Alder Works") == sorted(ALDER)
    assert {(r["partner"], r["wave"], r["question"]) for r in rows} == {
        ("Alder Works", "2025-Q3", COMMENT), ("Cedar Group", "2025-Q3", COMMENT)}


def test_a_comment_from_a_group_of_3_never_appears(wave):
    assert [r for r in records("comments", store=wave) if r["partner"] == "Birch Lane"] == []
    assert records("comments", "--partner", "Birch Lane", store=wave) == []
    out = run("comments", "--format", "csv", store=wave)[1]
    assert "Nobody asks us" not in out and "Too many meetings" not in out


def test_comment_k_is_its_own_setting_defaulting_to_anonymity_k(wave, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "3")
    assert {r["partner"] for r in records("comments", store=wave)} == set(PARTNERS)
    monkeypatch.setenv("PARTNERSHIP_COMMENT_K", "7")
    assert {r["partner"] for r in records("comments", store=wave)} == {"Alder Works"}
    monkeypatch.setenv("PARTNERSHIP_COMMENT_K", "2")
    code, _, err = run("comments", store=wave)
    assert code == 1 and "PARTNERSHIP_COMMENT_K=2 is below 3" in err
    with pytest.raises(ValueError):
        settings.comment_k()


def test_the_order_does_not_follow_the_order_people_answered_in(store, tmp_path):
    """Two partners wrote the same comments in opposite orders: both come out in one order, the
    wave's, which is neither."""
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", {"Alder Works": 5, "Birch Lane": 5},
                                                comments={"Alder Works": ALDER, "Birch Lane": ALDER[::-1]}),
         store=store)
    rows = records("comments", store=store)
    alder = [r["text"] for r in rows if r["partner"] == "Alder Works"]
    assert [r["text"] for r in rows if r["partner"] == "Birch Lane"] == alder
    assert alder not in (ALDER, ALDER[::-1])
    assert [r["text"] for r in records("comments", store=store) if r["partner"] == "Alder Works"] == alder


def test_a_late_comment_does_not_move_the_others(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", {"Alder Works": 5}, comments={"Alder Works": ALDER}),
         store=store)
    before = [r["text"] for r in records("comments", store=store)]
    # five late respondents: enough for the scores' release to show them, and their comment with them
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Alder Works": 5}, start=50,
                                                  comments={"Alder Works": ["Answered late, sorry"]}), store=store)
    after = [r["text"] for r in records("comments", store=store)]
    assert [t for t in after if t != "Answered late, sorry"] == before and len(after) == 6


def test_a_late_comment_waits_for_the_release_that_shows_its_answers(store, tmp_path):
    """One late respondent: the scores keep showing the group as it was (a change under k waits),
    and so do its comments; the late comment shows with the release that admits its answers."""
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", {"Alder Works": 5}, comments={"Alder Works": ALDER}),
         store=store)
    before = [r["text"] for r in records("comments", store=store)]
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Alder Works": 1}, start=50,
                                                  comments={"Alder Works": ["Answered late, sorry"]}), store=store)
    assert [r["text"] for r in records("comments", store=store)] == before
    load(tmp_path, "survey", "later.csv", survey("2025-Q3", {"Alder Works": 4}, start=60), store=store)
    after = [r["text"] for r in records("comments", store=store)]
    assert "Answered late, sorry" in after and len(after) == 6


def test_a_group_past_comment_k_only_by_late_answers_shows_no_comment_yet(store, tmp_path):
    """Three respondents (under k = 5), then two late ones: the scores do not show the group until a
    release admits the late answers, and its comments do not show before its scores."""
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", {"Alder Works": 3, "Birch Lane": 5},
                                                comments={"Alder Works": ALDER[:3]}), store=store)
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Alder Works": 2}, start=50), store=store)
    alder = [r for r in records("scores", store=store) if r["partner"] == "Alder Works"]
    assert {(r["suppressed"], r["pending"]) for r in alder} == {(True, "2 late responses are not shown yet")}
    assert [r for r in records("comments", store=store) if r["partner"] == "Alder Works"] == []


def test_partner_by_another_name_and_wave_filters(wave, tmp_path):
    load(tmp_path, "partners", "aliases.csv", "Partner,Aliases\nAlder Works,AW; Alder\n", store=wave)
    assert {r["partner"] for r in records("comments", "--partner", "AW", store=wave)} == {"Alder Works"}
    assert len(records("comments", "--partner", "alder works", "--wave", "2025-Q3", store=wave)) == 5
    code, _, err = run("comments", "--partner", "Oak Hill", store=wave)
    assert code == 1 and "There is no partner 'Oak Hill'. The partners are: Alder Works, Birch Lane, Cedar Group, Dogwood Trust." in err
    code, _, err = run("comments", "--wave", "2031-Q1", store=wave)
    assert code == 64 and "There is no survey wave '2031-Q1'. The waves are: 2025-Q3." in err


def test_a_pinned_version_shows_the_comments_as_they_were(wave, tmp_path):
    load(tmp_path, "survey", "q4.csv", survey("2025-Q4", {"Alder Works": 5}, start=20,
                                                comments={"Alder Works": ["Better this quarter"] * 5}), store=wave)
    assert {r["wave"] for r in records("comments", store=wave)} == {"2025-Q3", "2025-Q4"}
    assert {r["wave"] for r in records("comments", "--asof", "3", store=wave)} == {"2025-Q3"}


def test_a_comment_a_spreadsheet_would_run_is_written_as_text(wave):
    out = run("comments", "--format", "csv", "--partner", "Cedar Group", store=wave)[1]
    assert out.splitlines()[1].startswith(f"Cedar Group,2025-Q3,{COMMENT},\"'=HYPERLINK(")


def test_the_query_returns_nothing_of_a_respondent(wave):
    frame = comments.comments(wave.cursor())
    assert list(frame.columns) == ["partner", "wave", "question", "text"]
    assert len(frame) == 6
