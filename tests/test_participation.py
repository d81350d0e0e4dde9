"""Participation: the headcount dataset (load, template, checks) and `python -m pipelines participation`,
with small groups not given exactly and the counts the scores protect kept hidden."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from survey_files import csv_text, load, programme, records, run, survey, write

from pipelines import ingest, settings
from pipelines.query import participation, scores

PARTNERS = ["Alder Works", "Birch Lane", "Cedar Group", "Dale Partners", "Elm Street"]
HEADCOUNT = csv_text(["Partner", "Wave", "Invited"], [
    ["Alder Works", "2025-Q3", 10], ["Birch Lane", "2025-Q3", 6], ["Cedar Group", "2025-Q3", 20],
    ["Dale Partners", "2025-Q3", 12], ["Elm Street", "2025-Q3", 25]])


@pytest.fixture
def wave(store, tmp_path):
    """2025-Q3: Alder 8 of 10, Birch 3 of 6, Cedar 6 of 20, Dale 0 of 12, Elm 10 of 25."""
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "pulse-q3.csv",
         survey("2025-Q3", {"Alder Works": 8, "Birch Lane": 3, "Cedar Group": 6, "Elm Street": 10}), store=store)
    load(tmp_path, "headcount", "headcount.csv", HEADCOUNT, store=store)
    return store


def by_partner(rows: list[dict]) -> dict[str, dict]:
    return {row["partner"]: row for row in rows}


def test_headcount_loads_as_one_batch_and_its_template_names_the_fields(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    out = load(tmp_path, "headcount", "headcount.csv", HEADCOUNT, store=store)
    assert out == "Loaded 5 of 5 rows of headcount.csv as batch 3.\n"
    assert store.cursor().execute("""SELECT p.name, h.wave, h.wave_start, h.invited FROM headcounts h
        JOIN partners p USING (partner_id) WHERE h.current ORDER BY p.name""").fetchall()[:2] == [
        ("Alder Works", "2025-Q3", dt.date(2025, 7, 1), 10), ("Birch Lane", "2025-Q3", dt.date(2025, 7, 1), 6)]
    assert run("template", "headcount")[1] == '"Partner organisation","Wave","Date","Number invited"\r\n'


def test_a_headcount_by_date_counts_for_the_wave_of_the_date(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "headcount", "sent.csv", "Organisation,Date sent,Staff\nAlder Works,2025-10-02,41\n", store=store)
    assert records("participation", store=store) == [
        {"partner": "Alder Works", "wave": "2025-Q4", "invited": 41, "respondents": 0, "rate": 0.0}]


def test_bad_headcounts_are_reported_per_row_and_nothing_is_loaded(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    bad = write(tmp_path, "bad.csv", csv_text(["Partner", "Wave", "Invited"], [
        ["Alder Works", "2025-Q3", 10], ["Birch Lane", "2025-Q3", -2], ["Cedar Group", "2025-Q3", 7.5],
        ["Alder Works", "2025-Q3", 11], ["Dale Partners", "2025-Q3", "forty"], ["Elm Street", "2025-Q9", 4]]))
    mapping = write(tmp_path, "mapping.json", '{"partner": "Partner", "wave": "Wave", "invited": "Invited"}')
    code, out, err = run("load", "--dataset", "headcount", "--mapping", mapping, bad, store=store)
    assert code == 1 and out == ""
    assert "bad.csv: row 3, column 'Invited': The number invited must be a whole number, 0 or more. (value: '-2')" in err
    assert "bad.csv: row 4, column 'Invited': The number invited must be a whole number, 0 or more. (value: '7.5')" in err
    assert "bad.csv: row 2, column 'Partner': This partner has two headcounts for the same wave. Keep one." in err
    assert "bad.csv: row 5, column 'Partner': This partner has two headcounts for the same wave." in err
    assert "bad.csv: row 6, column 'Invited': The number invited is not a number. Use a whole number such as 40." in err
    assert "bad.csv: row 7, column 'Wave': This is not a wave we can read." in err
    assert store.cursor().execute("SELECT count(*) FROM headcounts").fetchone() == (0,)
    assert run("history", store=store)[1].count("headcount") == 0


def test_a_blank_number_invited_is_a_row_failure(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    data = b"Partner,Wave,Invited\nAlder Works,2025-Q3,10\nBirch Lane,2025-Q3,\n"
    preview = ingest.prepare(store, "headcount", "h.csv", data, ingest.Options(
        mapping={"partner": "Partner", "wave": "Wave", "invited": "Invited"}))
    failures = preview.validation.failures
    assert list(zip(failures["source_row"], failures["column"], failures["check"])) == [
        (3, "Invited", "invited_is_given")]
    assert list(preview.validation.valid["partner"]) == ["Alder Works"]


def test_a_headcount_without_wave_or_date_asks_for_the_wave(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    code, _, err = run("load", "--dataset", "headcount", write(tmp_path, "h.csv", "Partner,Invited\nAlder Works,9\n"),
                       store=store)
    assert code == 2 and "Which wave is this?" in err
    load(tmp_path, "headcount", "h.csv", "Partner,Invited\nAlder Works,9\n", "--wave", "2025-Q2", store=store)
    assert records("participation", store=store)[0]["wave"] == "2025-Q2"


def test_participation_gives_small_groups_as_fewer_than_k_and_no_rate(wave):
    rows = by_partner(records("participation", store=wave))
    assert rows["Alder Works"] == {"partner": "Alder Works", "wave": "2025-Q3", "invited": 10, "respondents": 8,
                                   "rate": 0.8}
    assert rows["Birch Lane"] == {"partner": "Birch Lane", "wave": "2025-Q3", "invited": 6,
                                  "respondents": "fewer than 5", "rate": None}
    assert rows["Dale Partners"] == {"partner": "Dale Partners", "wave": "2025-Q3", "invited": 12, "respondents": 0,
                                     "rate": 0.0}
    assert rows["Elm Street"]["respondents"] == 10 and rows["Elm Street"]["rate"] == 0.4


def test_the_partner_the_scores_hide_beside_a_small_one_is_not_counted_exactly(wave):
    """Birch (3) is the one small group: the scores hide Cedar (6, the smallest other) so that
    programme minus the shown partners mixes two groups; participation must not give Cedar's 6."""
    hidden = scores.factor_scores(wave.cursor(), programme=False)
    assert set(hidden.loc[hidden["suppression_reason"].eq(scores.Suppression.COMPLEMENT), "partner"]) == {"Cedar Group"}
    rows = by_partner(records("participation", store=wave))
    assert rows["Cedar Group"] == {"partner": "Cedar Group", "wave": "2025-Q3", "invited": 20,
                                   "respondents": "5 or more", "rate": None}


def test_an_attacker_with_the_scores_and_participation_cannot_count_the_small_group(wave):
    programme_n = {r["factor"]: r["respondents"] for r in records("scores", store=wave)
                   if r["partner"] == "Programme" and r["factor"] != "collaboration_index"}
    shown = [r["respondents"] for r in records("participation", store=wave) if isinstance(r["respondents"], int)]
    assert programme_n == {"shared_goals": 27, "psychological_safety": 27}
    assert 27 - sum(shown) == 9  # Birch's 3 and Cedar's 6 together, never Birch alone


def test_participation_csv_keeps_the_contract_columns(wave):
    code, out, _ = run("participation", "--format", "csv", store=wave)
    assert code == 0
    assert out.splitlines() == [
        "partner,wave,invited,respondents,rate",
        "Alder Works,2025-Q3,10,8,0.8",
        "Birch Lane,2025-Q3,6,fewer than 5,",
        "Cedar Group,2025-Q3,20,5 or more,",
        "Dale Partners,2025-Q3,12,0,0.0",
        "Elm Street,2025-Q3,25,10,0.4",
    ]


def test_a_smaller_k_shows_the_group(wave, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "3")
    rows = by_partner(records("participation", store=wave))
    assert rows["Birch Lane"]["respondents"] == 3 and rows["Birch Lane"]["rate"] == 0.5
    assert rows["Cedar Group"]["respondents"] == 6


def warnings(store, **kwargs) -> dict[str, bool | None]:
    frame = participation.participation(store.cursor(), **kwargs)
    return {p: None if pd.isna(v) else bool(v) for p, v in zip(frame["partner"], frame["below_warning"])}


def test_below_warning_uses_the_setting(wave, monkeypatch):
    # Birch: fewer than 5 of 6 could be 4 of 6 (67%); Cedar's count is hidden: neither is known
    assert warnings(wave) == {"Alder Works": False, "Birch Lane": None, "Cedar Group": None,
                              "Dale Partners": True, "Elm Street": True}
    monkeypatch.setenv("PARTNERSHIP_PARTICIPATION_WARNING", "35%")
    assert settings.get("participation_warning") == 0.35
    assert warnings(wave)["Elm Street"] is False


def test_a_small_group_is_surely_below_the_warning_when_k_minus_one_would_be(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "pulse.csv", survey("2025-Q3", {"Alder Works": 2, "Birch Lane": 2}), store=store)
    load(tmp_path, "headcount", "h.csv", "Partner,Wave,Invited\nAlder Works,2025-Q3,20\nBirch Lane,2025-Q3,5\n",
         store=store)
    assert warnings(store) == {"Alder Works": True, "Birch Lane": None}  # at most 4 of 20; 4 of 5 would not be


def test_a_headcount_counts_for_later_waves_until_a_newer_one(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "headcount", "h.csv", "Partner,Wave,Invited\nAlder Works,2025-Q3,10\n", store=store)
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", {"Alder Works": 6}), store=store)
    load(tmp_path, "survey", "q4.csv", survey("2025-Q4", {"Alder Works": 7}, start=100), store=store)
    load(tmp_path, "survey", "q1.csv", survey("2026-Q1", {"Alder Works": 9}, start=200), store=store)
    load(tmp_path, "headcount", "h2.csv", "Partner,Wave,Invited\nAlder Works,2026-Q1,12\n", store=store)
    assert [(r["wave"], r["invited"], r["respondents"], r["rate"]) for r in records("participation", store=store)] == [
        ("2025-Q3", 10, 6, 0.6), ("2025-Q4", 10, 7, 0.7), ("2026-Q1", 12, 9, 0.75)]


def test_a_pinned_version_shows_participation_as_it_was(wave, tmp_path):
    before = records("participation", "--asof", "3", store=wave)  # the survey, before the headcount
    assert [(r["partner"], r["invited"], r["rate"]) for r in before] == [
        ("Alder Works", None, None), ("Birch Lane", None, None), ("Cedar Group", None, None),
        ("Elm Street", None, None)]
    code, _, err = run("participation", "--asof", "99", store=wave)
    assert code == 64 and "does not have data version 99" in err  # a usage error


def test_the_warning_setting_refuses_a_share_outside_0_to_1(monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PARTICIPATION_WARNING", "160%")
    with pytest.raises(ValueError, match="PARTNERSHIP_PARTICIPATION_WARNING"):
        settings.get("participation_warning")


def test_a_late_respondent_does_not_give_a_small_groups_count_away(wave, tmp_path):
    """Birch's 3 are "fewer than 5"; a fourth and fifth arrive late (fewer than k): the scores keep
    Birch's earlier state, so participation still does, in every version (5 would give the 3 away)."""
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Birch Lane": 2}, start=500), store=wave)
    for version in ("4", "5"):
        birch = by_partner(records("participation", "--asof", version, store=wave))["Birch Lane"]
        assert (birch["respondents"], birch["rate"]) == ("fewer than 5", None), version
    assert by_partner(records("participation", store=wave))["Alder Works"]["respondents"] == 8


def test_five_late_respondents_are_counted_once_the_scores_show_them(wave, tmp_path):
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Alder Works": 5}, start=500), store=wave)
    alder = by_partner(records("participation", store=wave))["Alder Works"]
    assert (alder["respondents"], alder["rate"]) == (13, 1.0)


def test_more_respondents_than_invited_caps_the_rate_and_says_the_list_is_out_of_date(store, tmp_path):
    from pipelines.present import views
    from pipelines.present.links import LinkState

    programme(tmp_path, PARTNERS, store=store)
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", {"Alder Works": 7, "Birch Lane": 6}), store=store)
    load(tmp_path, "headcount", "h.csv", "Partner,Wave,Invited\nAlder Works,2025-Q3,5\nBirch Lane,2025-Q3,10\n",
         store=store)
    frame = participation.participation(store.cursor(), k=5)
    assert [(r.partner, r.rate, r.over_invited) for r in frame.itertuples()] == [
        ("Alder Works", 1.0, True), ("Birch Lane", 0.6, False)]
    view = views.build(views.Source(store.cursor(), k=5), LinkState(page="overview", wave="2025-Q3"))
    assert ("Alder Works: 7 answered in 2025-Q3, more than the 5 invited on the headcount list, so its rate shows "
            "100%. The list is out of date: load the current one on the Data page.") in view.participation.low
