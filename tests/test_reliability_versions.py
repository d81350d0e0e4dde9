"""Cronbach's alpha across data versions: it follows the scores' releases (issue #19's differencing
attack, on the reliability view): a late respondent changes neither alpha nor its n until the scores
release their group."""
from __future__ import annotations

import pandas as pd
import pytest
from survey_files import csv_text, load, run

from pipelines.query import reliability

INSTRUMENT = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\n"
              "SG1,We agreed the programme goals together,shared goals,1,5,No\n"
              "SG2,We check progress against the goals together,shared goals,1,5,No\n"
              "SG3,Our goals were set by one partner,shared goals,1,5,Yes\n")
PARTNERS = "Partner\nAlder Works\nBirch Lane\nCedar Group\n"


def pulse(answers: dict[str, list[tuple]], start: int = 1) -> str:
    rows, number = [], start
    for partner, given in answers.items():
        for sg1, sg2, sg3 in given:
            rows.append([f"R{number}", partner, "2025-Q3", sg1, sg2, sg3])
            number += 1
    return csv_text(["Respondent ID", "Organisation", "Wave", "SG1", "SG2", "SG3"], rows)


ALDER = [(5, 4, 1), (4, 4, 2), (3, 3, 3), (2, 2, 4), (4, 5, 2), (1, 2, 5)]   # 6 people
BIRCH = [(5, 5, 1), (1, 2, 5), (3, 4, 3)]                                    # 3: under k, hidden
CEDAR = [(4, 4, 2), (5, 4, 1), (2, 3, 4), (3, 3, 3), (4, 3, 2)]              # 5 people


@pytest.fixture
def wave(store, tmp_path):
    load(tmp_path, "instrument", "items.csv", INSTRUMENT, store=store)                # version 1
    load(tmp_path, "partners", "partners.csv", PARTNERS, store=store)                 # version 2
    load(tmp_path, "survey", "q3.csv", pulse({"Alder Works": ALDER, "Birch Lane": BIRCH,
                                              "Cedar Group": CEDAR}), store=store)   # version 3
    return store


def shared_goals(frame: pd.DataFrame) -> tuple:
    row = frame[frame["factor"] == "shared_goals"].iloc[0]
    return (round(float(row["alpha"]), 6), int(row["respondents"]), row["status"])


def test_alpha_counts_every_group_the_scores_release_the_hidden_one_too(wave):
    # 6 + 3 + 5: Birch's three are hidden as a partner but counted in the programme, as its scores are
    alpha, n, status = shared_goals(reliability.reliability(wave.cursor()))
    assert (n, status) == (14, "ok") and alpha > 0.7


def test_a_late_respondent_changes_no_version_of_alpha(wave, tmp_path):
    before = shared_goals(reliability.reliability(wave.cursor()))
    load(tmp_path, "survey", "late.csv", pulse({"Alder Works": [(1, 1, 5)]}, start=200), store=wave)  # 4
    assert shared_goals(reliability.reliability(wave.cursor())) == before
    assert run("undo", "4", store=wave)[0] == 0                                                         # 5
    for version in (3, 4, 5, None):
        assert shared_goals(reliability.reliability(wave.cursor(), asof=version)) == before, version


def test_five_late_respondents_count_once_their_group_is_released(wave, tmp_path):
    before = shared_goals(reliability.reliability(wave.cursor()))
    load(tmp_path, "survey", "late.csv", pulse({"Cedar Group": [(1, 1, 5)] * 5}, start=200), store=wave)
    after = shared_goals(reliability.reliability(wave.cursor()))
    assert after[1:] == (19, "ok") and after[0] != before[0]
    assert shared_goals(reliability.reliability(wave.cursor(), asof=3)) == before


def test_a_wave_with_no_group_released_is_listed_as_hidden(store, tmp_path):
    load(tmp_path, "instrument", "items.csv", INSTRUMENT, store=store)
    load(tmp_path, "partners", "partners.csv", PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", pulse({"Birch Lane": BIRCH}), store=store)
    frame = reliability.reliability(store.cursor())
    row = frame[frame["factor"] == "shared_goals"].iloc[0]
    assert (row["status"], row["items_answered"]) == ("fewer than k respondents", 3)
    assert pd.isna(row["alpha"]) and pd.isna(row["respondents"])
