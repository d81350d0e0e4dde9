"""Alerts with a controlled false discovery rate, on simulated programmes in real stores.

The null programmes are the case the issue measured: 200 partners x 4 quarterly waves x 8
respondents, every answer drawn from one distribution, so every alert is false. Tested
one at a time at 95%, dozens of the ~1,200 changes into the last wave pass by chance;
with Benjamini-Hochberg at q = 0.05 a programme raises any alert at all in about 5% of
seeds (the false discovery rate of a programme where nothing is real)."""
from __future__ import annotations

import numpy as np
import programmes as pg
import pytest

from pipelines.query import alerts, scores, significance
from pipelines.store import Store

NULL_SEEDS = range(100, 120)
LAST = pg.wave(3)


@pytest.fixture(scope="module")
def null_runs(tmp_path_factory):
    """Per seed: the alerts of the last wave, and its changes as ``scores.changes`` gives them."""
    runs = []
    for seed in NULL_SEEDS:
        store = Store(tmp_path_factory.mktemp("null") / "p.duckdb")
        pg.simulate(store, seed)
        cursor = store.cursor()
        runs.append((alerts.alerts(cursor, k=5), scores.changes(cursor, k=5, waves=[LAST])))
        store.close()
    return runs


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Seed 7 with one real drop: P007 (30 respondents a wave, a large partner) sees its
    psychological safety fall 1.2 scale points (about 30 on 0-100) in the last wave;
    everything else is null. (With 8 respondents a group's sd of about 22 points leaves a
    single drop of 30 points at p ~ 0.01, which 1,206 comparisons cannot tell from noise:
    METHOD.md gives the sizes that can be found.)"""
    store = Store(tmp_path_factory.mktemp("planted") / "p.duckdb")
    pg.simulate(store, 7, sizes={7: 30}, survey_shift={(7, "psychological_safety", 3): -1.2})
    yield store
    store.close()


def test_every_change_into_the_wave_is_tested(null_runs):
    for _, changes in null_runs:
        tested = changes["p_value"].notna()
        assert tested.sum() == 201 * 6  # 200 partners and the programme x 5 factors and index
        assert changes.loc[tested, "p_adjusted"].ge(changes.loc[tested, "p_value"]).all()


def test_uncorrected_tests_would_fire_on_noise(null_runs):
    """The family is large: one-at-a-time tests at 5% pass dozens of null changes per wave."""
    raw = [int((changes["p_value"] < 0.05).sum()) for _, changes in null_runs]
    assert min(raw) >= 25 and all(r > 0 for r in raw)


def test_null_programmes_raise_alerts_no_more_often_than_the_fdr(null_runs):
    with_any_fall = sum((found["kind"] == alerts.Kind.FELL).any() for found, _ in null_runs)
    falls = sum(int((found["kind"] == alerts.Kind.FELL).sum()) for found, _ in null_runs)
    # all false; the FDR of a null programme is the chance it raises any: 5% of 20 is 1
    assert with_any_fall <= 3
    assert falls <= 6
    beyond = sum(int(changes["beyond_uncertainty"].fillna(False).sum()) for _, changes in null_runs)
    assert beyond <= 6


def test_null_programmes_raise_no_disagreement(null_runs):
    assert sum((found["kind"] == alerts.Kind.DISAGREEMENT).any() for found, _ in null_runs) <= 1


def test_a_planted_drop_is_found(planted):
    found = alerts.alerts(planted.cursor(), k=5)
    mine = found[(found["partner"] == "P007") & (found["factor"] == "psychological_safety")]
    assert len(mine) == 1
    drop = mine.iloc[0]
    assert drop["kind"] == "fell" and drop["wave"] == LAST and drop["compared_with"] == pg.wave(2)
    assert drop["change"] < -20 and drop["change_high"] < 0 < drop["p_adjusted"] <= 0.05
    assert drop["change_low"] < drop["change"] < drop["change_high"]
    assert drop["note"].startswith("Psychological safety fell ")
    # nothing else about another partner is flagged
    assert set(found["partner"]) <= {"P007", scores.PROGRAMME}


def test_beyond_uncertainty_is_the_alerts_rule(planted):
    """``scores.changes`` and the alerts say the same: a fall is an alert exactly when the
    change is beyond uncertainty (one rule, significance.flagged)."""
    cursor = planted.cursor()
    changes = scores.changes(cursor, k=5, waves=[LAST])
    falls = changes[changes["beyond_uncertainty"].fillna(False).astype(bool)
                    & (changes["change"] < 0)]
    found = alerts.alerts(cursor, k=5)
    found = found[found["kind"] == "fell"]
    assert sorted(zip(falls["partner"], falls["factor"])) == sorted(zip(found["partner"],
                                                                        found["factor"]))
    assert (changes["beyond_uncertainty"].fillna(False).to_numpy()
            == significance.flagged(changes["p_adjusted"])).all()


def test_filters_do_not_change_the_family(planted):
    """A view of one partner or without the index is judged with the whole wave's family."""
    cursor = planted.cursor()
    full = scores.changes(cursor, k=5, waves=[LAST])
    pid = int(full.loc[full["partner"] == "P007", "partner_id"].iloc[0])
    one = scores.changes(cursor, k=5, waves=[LAST], partners=[pid], include_index=False,
                         programme=False)
    same = full[(full["partner"] == "P007") & (full["factor"] != scores.INDEX)]
    assert np.allclose(one["p_adjusted"].to_numpy(), same["p_adjusted"].to_numpy())


def test_no_alerts_without_a_previous_wave(store):
    pg.simulate(store, 3, partners=6, waves=1)
    assert alerts.alerts(store.cursor(), k=5).empty


def test_no_alerts_on_an_empty_store(store):
    found = alerts.alerts(store.cursor())
    assert found.empty and list(found.columns) == alerts.ALERT_COLUMNS


def test_hidden_groups_are_never_tested(store):
    """Groups under k have no change, so no p-value and no alert, however much they moved."""
    pg.simulate(store, 4, partners=6, waves=2, respondents=4,
                survey_shift={(0, "shared_goals", 1): -3.0})
    changes = scores.changes(store.cursor(), k=5)
    partners = changes[changes["partner_id"].notna()]
    assert partners["p_value"].isna().all() and partners["beyond_uncertainty"].isna().all()
    assert set(alerts.alerts(store.cursor(), k=5)["partner"]) <= {scores.PROGRAMME}
