"""The item-level view: per question the share of favourable answers (the top two points, the bottom
two for a reverse-scored item) with n, for a partner and for the programme, under the same k rules."""
from __future__ import annotations

import pandas as pd
import pytest
from survey_files import csv_text, load, run

from pipelines.query import items, scores

INSTRUMENT = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\n"
              "SG1,We agreed the programme goals together,shared goals,1,5,No\n"
              "SG2,Our goals were set by one partner,shared goals,1,5,Yes\n"
              "OC1,We hear about problems early,open communication,1,7,No\n")
PARTNERS = "Partner\nAlder Works\nBirch Lane\nCedar Group\nDale Partners\n"


def pulse(wave: str, answers: dict[str, list[tuple]], start: int = 1) -> str:
    rows, number = [], start
    for partner, given in answers.items():
        for sg1, sg2, oc1 in given:
            rows.append([f"R{number}", partner, wave, sg1, sg2, oc1])
            number += 1
    return csv_text(["Respondent ID", "Organisation", "Wave", "SG1", "SG2", "OC1"], rows)


ALDER = [(5, 1, 7), (4, 2, 6), (3, 3, 5), (2, 4, 4), (4, 5, 6), (5, 1, 2)]  # 6 people
BIRCH = [(5, 5, 7), (1, 1, 1), (4, 2, 6)]  # 3 people: under k
CEDAR = [(4, 2, 6)] * 7
DALE = [(2, 4, 3)] * 9


@pytest.fixture
def wave(store, tmp_path):
    load(tmp_path, "instrument", "items.csv", INSTRUMENT, store=store)
    load(tmp_path, "partners", "partners.csv", PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", pulse("2025-Q3", {"Alder Works": ALDER, "Birch Lane": BIRCH,
                                                          "Cedar Group": CEDAR, "Dale Partners": DALE}), store=store)
    return store


def view(frame):
    return {(r.item_id, r.partner): (None if pd.isna(r.favourable) else round(r.favourable, 4),
                                     None if pd.isna(r.n) else int(r.n), r.suppressed)
            for r in frame.itertuples()}


def test_favourable_is_the_top_two_points_or_the_bottom_two_of_a_reverse_item(wave):
    shown = view(items.items(wave.cursor(), partner="Alder Works", k=3))
    assert shown[("SG1", "Alder Works")] == (round(4 / 6, 4), 6, False)  # 5, 4, 4, 5 of 5,4,3,2,4,5
    assert shown[("SG2", "Alder Works")] == (round(3 / 6, 4), 6, False)  # reverse: 1, 2, 1 of 1,2,3,4,5,1
    assert shown[("OC1", "Alder Works")] == (round(3 / 6, 4), 6, False)  # 1-7: 7, 6, 6


def test_the_programme_row_counts_every_partner(wave):
    shown = view(items.items(wave.cursor(), partner="Alder Works", k=3))
    # SG1 favourable: Alder 4, Birch 2, Cedar 7, Dale 0 of 6 + 3 + 7 + 9 = 25
    assert shown[("SG1", scores.PROGRAMME)] == (round(13 / 25, 4), 25, False)
    assert list(items.items(wave.cursor(), partner="Alder Works")["item_id"]) == ["SG1", "SG1", "SG2", "SG2",
                                                                                  "OC1", "OC1"]


def test_a_group_of_3_is_hidden_and_the_smallest_other_with_it(wave):
    shown = view(items.items(wave.cursor()))
    for item in ("SG1", "SG2", "OC1"):
        assert shown[(item, "Birch Lane")] == (None, None, True)
        assert shown[(item, "Alder Works")] == (None, None, True)  # 6: the smallest other partner
        assert not shown[(item, "Cedar Group")][2] and not shown[(item, scores.PROGRAMME)][2]
    frame = items.items(wave.cursor(), partner="Birch Lane")
    assert set(frame.loc[frame["partner"] == "Birch Lane", "reason"]) == {scores.Suppression.SMALL_GROUP}
    alder = items.items(wave.cursor(), partner="Alder Works")
    assert set(alder.loc[alder["partner"] == "Alder Works", "reason"]) == {scores.Suppression.COMPLEMENT}


def test_an_attacker_subtracting_the_shown_partners_gets_two_groups_together(wave):
    frame = items.items(wave.cursor())
    for item, rows in frame.groupby("item_id"):
        programme = rows[rows["partner"] == scores.PROGRAMME].iloc[0]
        partners = rows[rows["partner"] != scores.PROGRAMME]
        left = int(programme["n"]) - int(partners["n"].dropna().sum())
        assert left == 3 + 6 and partners["suppressed"].sum() == 2


def test_with_one_other_partner_that_partner_is_hidden_and_alone_the_programme_is(store, tmp_path):
    load(tmp_path, "instrument", "items.csv", INSTRUMENT, store=store)
    load(tmp_path, "partners", "partners.csv", PARTNERS, store=store)
    load(tmp_path, "survey", "q1.csv", pulse("2026-Q1", {"Birch Lane": BIRCH}), store=store)
    alone = view(items.items(store.cursor()))
    assert alone[("SG1", scores.PROGRAMME)] == (None, None, True)
    load(tmp_path, "survey", "q2.csv", pulse("2026-Q2", {"Birch Lane": BIRCH, "Dale Partners": DALE}, start=20),
         store=store)
    two = view(items.items(store.cursor()))
    assert two[("SG1", "Dale Partners")] == (None, None, True) and not two[("SG1", scores.PROGRAMME)][2]


def test_the_wave_defaults_to_the_latest_and_a_pin_shows_the_items_as_they_were(wave, tmp_path):
    load(tmp_path, "survey", "q4.csv", pulse("2025-Q4", {"Cedar Group": [(1, 5, 1)] * 8}, start=100), store=wave)
    latest = items.items(wave.cursor(), partner="Cedar Group")
    assert set(latest["wave"]) == {"2025-Q4"} and view(latest)[("SG1", "Cedar Group")] == (0.0, 8, False)
    q3 = items.items(wave.cursor(), partner="Cedar Group", wave="2025-Q3")
    assert view(q3)[("SG1", "Cedar Group")] == (1.0, 7, False)
    pinned = items.items(wave.cursor(), partner="Cedar Group", asof=3)
    assert set(pinned["wave"]) == {"2025-Q3"}
    with pytest.raises(ValueError, match="There is no survey wave '2024-Q1'"):
        items.items(wave.cursor(), wave="2024-Q1")


def test_a_late_respondent_is_not_shown_in_the_items_until_the_scores_release_them(wave, tmp_path):
    """Issue 19's differencing attack on the item view: a late respondent for Alder, loaded and then
    undone, changes no item of any version (the scores' release keeps Alder's earlier answers)."""
    before = view(items.items(wave.cursor()))
    load(tmp_path, "survey", "late.csv", pulse("2025-Q3", {"Alder Works": [(1, 5, 1)]}, start=200), store=wave)
    late = view(items.items(wave.cursor()))
    assert run("undo", "4", store=wave)[0] == 0
    for version in (3, 4, 5, None):
        assert view(items.items(wave.cursor(), asof=version)) == before, version
    assert late == before
    assert before[("SG1", scores.PROGRAMME)] == (round(13 / 25, 4), 25, False)


def test_five_late_respondents_are_shown_with_their_partner(wave, tmp_path):
    load(tmp_path, "survey", "late.csv", pulse("2025-Q3", {"Dale Partners": [(5, 1, 7)] * 5}, start=200),
         store=wave)
    shown = view(items.items(wave.cursor()))
    assert shown[("SG1", "Dale Partners")] == (round(5 / 14, 4), 14, False)
    assert shown[("SG1", scores.PROGRAMME)] == (round(18 / 30, 4), 30, False)
