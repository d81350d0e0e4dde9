"""Scores on a real DuckDB store, checked against numbers worked out by hand."""
from __future__ import annotations

import builders as b
import pandas as pd
import pytest

from pipelines.programme.factors import FACTORS
from pipelines.query import scores
from pipelines.store import Store

Q1, Q1_START = "2024-Q1", "2024-01-01"
Q2, Q2_START = "2024-Q2", "2024-04-01"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    yield store
    store.close()


def setup(store, partners=("Alpha", "Beta", "Gamma", "Delta"), **instrument):
    ids = b.add_partners(store, partners)
    b.load(store, "instrument_items", b.instrument(**instrument))
    return ids


def row(frame, partner_id, factor="shared_goals", wave=Q1):
    sel = frame[(frame["wave"] == wave)
                & (frame["partner_id"].isna() if partner_id is None
                   else frame["partner_id"] == partner_id)]
    if "factor" in frame:
        sel = sel[sel["factor"] == factor]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_t_quantiles_are_students():
    t = scores.t975([0, 1, 4, 29, 30, 1000, 0.5])
    assert pd.isna(t[0]) and pd.isna(t[6])
    # published two-sided 95% values
    assert t[1:6] == pytest.approx([12.7062047362, 2.7764451052, 2.0452296421, 2.0422724563, 1.9623390808],
                                   abs=1e-9)


def test_reverse_items_normalised_with_interval(store):
    ids = setup(store, reverse=["shared_goals_2"])
    # (item 1, reversed item 2) on 1..5 -> (0..100, 100 - 0..100)
    answers = [(5, 1), (4, 2), (3, 3), (5, 5), (1, 1)]  # -> 100, 75, 50, 50, 50
    b.load(store, "survey_responses", b.responses(
        ids["Alpha"], Q1, Q1_START, [{"shared_goals_1": x, "shared_goals_2": y} for x, y in answers]))
    frame = scores.factor_scores(store.cursor(), k=5)
    r = row(frame, ids["Alpha"])
    # mean 325/5 = 65; deviations 35,10,-15,-15,-15 -> sd = sqrt(2000/4) = 22.3607; se = 10
    assert r["score"] == pytest.approx(65.0)
    assert r["n"] == 5
    assert r["ci_low"] == pytest.approx(65 - 2.7764 * 10, abs=1e-3)
    assert r["ci_high"] == pytest.approx(65 + 2.7764 * 10, abs=1e-3)
    assert r["band"] == "transitioning"
    assert not r["suppressed"] and r["suppression_reason"] is None
    assert r["partner"] == "Alpha" and str(r["wave_start"].date()) == Q1_START
    prog = row(frame, None)
    assert prog["partner"] == "Programme" and prog["score"] == pytest.approx(65.0)
    # only the factor answered has rows
    assert set(frame["factor"]) == {"shared_goals"}


def test_seven_point_scale(store):
    ids = b.add_partners(store, ["Alpha"])
    b.load(store, "instrument_items", b.instrument(scale=(1, 7)))
    values = [7, 6, 5, 4, 1]  # -> 100, 83.33, 66.67, 50, 0
    b.load(store, "survey_responses", b.responses(
        ids["Alpha"], Q1, Q1_START, [{"open_communication_1": v} for v in values]))
    r = row(scores.factor_scores(store.cursor(), k=5), ids["Alpha"], "open_communication")
    assert r["score"] == pytest.approx(60.0)
    assert r["n"] == 5


def test_skipped_item_is_absent_not_zero(store):
    ids = setup(store, reverse=["shared_goals_2"])
    answers = [{"shared_goals_1": 5, "shared_goals_2": 1}] * 4 + [{"shared_goals_1": 3}]
    b.load(store, "survey_responses", b.responses(ids["Alpha"], Q1, Q1_START, answers))
    r = row(scores.factor_scores(store.cursor(), k=5), ids["Alpha"])
    assert r["score"] == pytest.approx((4 * 100 + 50) / 5)  # 90
    assert r["n"] == 5


@pytest.mark.parametrize("value,band", [(3, "transitioning"), (4, "collaborating"),
                                        (2, "cooperating")])
def test_band_ties_go_to_higher_band(store, monkeypatch, value, band):
    monkeypatch.setenv("PARTNERSHIP_BAND_THRESHOLDS", "50,75")
    ids = setup(store)
    b.load(store, "survey_responses",
           b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(value)] * 5))
    r = row(scores.factor_scores(store.cursor(), k=5), ids["Alpha"])
    assert r["score"] == pytest.approx((value - 1) * 25)  # 50 / 75 exactly on a threshold
    assert r["band"] == band
    assert r["ci_low"] == r["ci_high"] == r["score"]  # sd 0


def test_k_boundaries_and_default_k_from_settings(store, monkeypatch):
    ids = setup(store)
    rows = []
    for name, n in (("Alpha", 4), ("Beta", 5), ("Gamma", 5), ("Delta", 10)):
        rows += b.responses(ids[name], Q1, Q1_START, [b.all_items(4)] * n)
    b.load(store, "survey_responses", rows)
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "5")
    frame = scores.factor_scores(store.cursor())
    alpha, beta, gamma = (row(frame, ids[x]) for x in ("Alpha", "Beta", "Gamma"))
    assert alpha["suppressed"] and alpha["suppression_reason"] == scores.Suppression.SMALL_GROUP
    # exactly one primary -> smallest shown partner (5, lowest id: Beta) hidden as well
    assert beta["suppressed"] and beta["suppression_reason"] == scores.Suppression.COMPLEMENT
    assert not gamma["suppressed"] and gamma["n"] == 5 and gamma["score"] == pytest.approx(75)
    assert row(frame, None)["n"] == 24
    # with k = 4 nobody is hidden
    frame4 = scores.factor_scores(store.cursor(), k=4)
    assert not frame4["suppressed"].any()
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "2")
    with pytest.raises(ValueError):
        scores.factor_scores(store.cursor())
    with pytest.raises(ValueError):
        scores.factor_scores(store.cursor(), k=2)


def test_complementary_suppression_6_6_2(store):
    ids = setup(store, partners=("Alpha", "Beta", "Gamma"))
    rows = []
    for name, n, value in (("Alpha", 6, 4), ("Beta", 6, 3), ("Gamma", 2, 5)):
        rows += b.responses(ids[name], Q1, Q1_START, [b.all_items(value)] * n)
    b.load(store, "survey_responses", rows)
    frame = scores.factor_scores(store.cursor(), k=5)
    for factor in FACTORS:
        alpha, beta, gamma, prog = (row(frame, p, factor) for p in
                                    (ids["Alpha"], ids["Beta"], ids["Gamma"], None))
        assert gamma["suppression_reason"] == scores.Suppression.SMALL_GROUP
        assert alpha["suppression_reason"] == scores.Suppression.COMPLEMENT  # a 6, lowest id
        assert not beta["suppressed"] and beta["n"] == 6 and beta["score"] == pytest.approx(50)
        # programme: (6*75 + 6*50 + 2*100) / 14
        assert not prog["suppressed"] and prog["n"] == 14
        assert prog["score"] == pytest.approx(950 / 14)
        for hidden in (alpha, gamma):
            assert hidden[["score", "n", "ci_low", "ci_high"]].isna().all()
            assert hidden["band"] is None
    # filtering partners never un-hides
    only_alpha = scores.factor_scores(store.cursor(), k=5, partners=[ids["Alpha"]])
    assert only_alpha[only_alpha["partner_id"].notna()]["suppressed"].all()
    assert set(only_alpha["partner"]) == {"Alpha", "Programme"}


def test_single_small_partner_hides_programme_total_too(store):
    ids = setup(store, partners=("Alpha",))
    b.load(store, "survey_responses",
           b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(4)] * 3))
    frame = scores.factor_scores(store.cursor(), k=5)
    assert frame["suppressed"].all()
    assert (frame["suppression_reason"] == scores.Suppression.SMALL_GROUP).all()
    index = scores.index_scores(store.cursor(), k=5)
    assert index["suppressed"].all() and index["n"].isna().all()


def test_index_weighted_and_hidden_with_any_factor(store):
    ids = setup(store, partners=("Alpha", "Beta"))
    # Q1, Alpha: shared_goals all 5 (100), every other factor all 3 (50); 5 respondents
    alpha = {**b.all_items(3), "shared_goals_1": 5, "shared_goals_2": 5}
    rows = b.responses(ids["Alpha"], Q1, Q1_START, [alpha] * 5)
    rows += b.responses(ids["Beta"], Q1, Q1_START, [b.all_items(4)] * 6)
    # Q2: Alpha as before; Beta 6 respondents, but only 2 answered psychological safety
    rows += b.responses(ids["Alpha"], Q2, Q2_START, [alpha] * 5)
    full = b.all_items(4)
    part = {k: v for k, v in full.items() if not k.startswith("psychological_safety")}
    rows += b.responses(ids["Beta"], Q2, Q2_START, [full] * 2 + [part] * 4)
    b.load(store, "survey_responses", rows)
    cursor = store.cursor()
    index = scores.index_scores(cursor, k=5)
    a = row(index, ids["Alpha"])
    assert a["score"] == pytest.approx(0.2 * 100 + 0.8 * 50)  # 60
    assert a["n"] == 5 and a["band"] == "transitioning" and not a["suppressed"]
    # index interval = weighted mean of factor bounds (all sd 0 here -> equal to the score)
    assert a["ci_low"] == pytest.approx(60.0) and a["ci_high"] == pytest.approx(60.0)
    weighted = row(scores.index_scores(cursor, k=5, weights=[2, 0, 0, 0, 2]), ids["Alpha"])
    assert weighted["score"] == pytest.approx(75.0)
    assert row(scores.index_scores(cursor, k=5, weights={"shared_goals": 1}),
               ids["Alpha"])["score"] == pytest.approx(100.0)
    prog = row(index, None)
    assert prog["n"] == 11 and prog["score"] == pytest.approx((5 * 60 + 6 * 75) / 11)
    # Q2: Beta's psychological safety (n=2) is hidden, and Alpha's (5) as its complement:
    # both partner indices are hidden although their other factors are shown.
    factors = scores.factor_scores(cursor, k=5)
    assert row(factors, ids["Beta"], "psychological_safety", Q2)["suppression_reason"] \
        == scores.Suppression.SMALL_GROUP
    assert row(factors, ids["Alpha"], "psychological_safety", Q2)["suppression_reason"] \
        == scores.Suppression.COMPLEMENT
    assert not row(factors, ids["Alpha"], "shared_goals", Q2)["suppressed"]
    beta = row(index, ids["Beta"], wave=Q2)
    assert beta["suppressed"] and beta["suppression_reason"] == scores.Suppression.SMALL_GROUP
    assert pd.isna(beta["n"]) and pd.isna(beta["score"]) and beta["band"] is None
    a2 = row(index, ids["Alpha"], wave=Q2)
    assert a2["suppressed"] and a2["suppression_reason"] == scores.Suppression.COMPLEMENT
    # the programme total of that factor (7) is shown, so the programme index is too
    prog2 = row(index, None, wave=Q2)
    assert not prog2["suppressed"] and prog2["n"] == 7


def test_changes_since_previous_wave(store):
    ids = setup(store, partners=("Alpha", "Beta"))
    rows = []
    # Alpha: Q1 five at 3 (50); Q2 five at 5 (100) -> +50, sd 0 -> beyond uncertainty
    rows += b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(3)] * 5)
    rows += b.responses(ids["Alpha"], Q2, Q2_START, [b.all_items(5)] * 5)
    # Beta: Q1 10 split 1/5 (0 and 100) -> 50, sd 52.7; Q2 10 at 3/4 alternately -> 62.5
    rows += b.responses(ids["Beta"], Q1, Q1_START, [b.all_items(1), b.all_items(5)] * 5)
    rows += b.responses(ids["Beta"], Q2, Q2_START, [b.all_items(3), b.all_items(4)] * 5)
    b.load(store, "survey_responses", rows)
    ch = scores.changes(store.cursor(), k=5)
    a = row(ch, ids["Alpha"], wave=Q2)
    assert a["previous_wave"] == Q1 and a["change"] == pytest.approx(50.0)
    assert bool(a["beyond_uncertainty"])
    be = row(ch, ids["Beta"], wave=Q2)
    # se1 = sqrt(10*50^2/9)/sqrt(10) = 16.667; se2 = sqrt(10*12.5^2/9)/sqrt(10) = 4.167
    # margin = 1.96 * sqrt(16.667^2 + 4.167^2) = 33.67 > 12.5
    assert be["change"] == pytest.approx(12.5)
    assert not bool(be["beyond_uncertainty"])
    first = row(ch, ids["Alpha"], wave=Q1)
    assert pd.isna(first["change"]) and pd.isna(first["beyond_uncertainty"])
    idx = row(ch, ids["Alpha"], factor=scores.INDEX, wave=Q2)
    assert idx["change"] == pytest.approx(50.0)
    only_q2 = scores.changes(store.cursor(), k=5, waves=[Q2], include_index=False)
    assert set(only_q2["wave"]) == {Q2} and scores.INDEX not in set(only_q2["factor"])


def test_change_never_from_hidden_group(store):
    ids = setup(store, partners=("Alpha", "Beta"))
    rows = b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(3)] * 3)   # hidden
    rows += b.responses(ids["Beta"], Q1, Q1_START, [b.all_items(3)] * 3)   # hidden
    rows += b.responses(ids["Alpha"], Q2, Q2_START, [b.all_items(5)] * 6)
    rows += b.responses(ids["Beta"], Q2, Q2_START, [b.all_items(5)] * 6)
    b.load(store, "survey_responses", rows)
    ch = scores.changes(store.cursor(), k=5)
    q2 = ch[ch["wave"] == Q2]
    assert q2[q2["partner_id"].notna()]["change"].isna().all()
    assert q2[q2["partner_id"].notna()]["beyond_uncertainty"].isna().all()
    # the programme total of Q1 (6) is shown, so its change is computed
    assert row(ch, None, wave=Q2)["change"] == pytest.approx(50.0)


def test_asof_pin_survives_new_load_and_undo(store):
    ids = setup(store, partners=("Alpha",))
    first = b.load(store, "survey_responses",
                   b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(4)] * 5))  # 75
    pin = first
    second = b.load(store, "survey_responses",
                    b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(2)] * 5))  # replaces: 25
    cursor = store.cursor()
    score = lambda asof=None: row(scores.factor_scores(cursor, asof=asof, k=5), ids["Alpha"])["score"]
    assert score() == pytest.approx(25.0)
    assert score(pin) == pytest.approx(75.0)
    assert score(second) == pytest.approx(25.0)
    b.undo(store, second)
    assert score() == pytest.approx(75.0)
    assert score(pin) == pytest.approx(75.0)
    assert score(second) == pytest.approx(25.0)  # what was visible then
    b.undo(store, first)
    assert scores.factor_scores(cursor, k=5).empty
    assert scores.latest_wave(cursor) is None
    assert score(pin) == pytest.approx(75.0)
    assert scores.latest_wave(cursor, asof=pin) == Q1
    # instrument rows are pinned too: a later instrument flipping an item does not move the pin
    b.load(store, "instrument_items", b.instrument(reverse=["shared_goals_1", "shared_goals_2"]))
    assert score(pin) == pytest.approx(75.0)


def test_waves_partners_latest_and_export(store):
    ids = setup(store, partners=("Beta", "Alpha"))
    rows = b.responses(ids["Alpha"], Q2, Q2_START, [b.all_items(4)] * 5)
    rows += b.responses(ids["Alpha"], Q1, Q1_START, [b.all_items(4)] * 5)
    rows += b.responses(ids["Beta"], Q1, Q1_START, [b.all_items(5)] * 2)
    b.load(store, "survey_responses", rows)
    cursor = store.cursor()
    assert list(scores.waves(cursor)["wave"]) == [Q1, Q2]
    assert scores.latest_wave(cursor) == Q2
    assert list(scores.partners(cursor)["name"]) == ["Alpha", "Beta"]
    export = scores.scores_export(cursor, k=5)
    assert list(export.columns) == scores.EXPORT_COLUMNS
    assert set(export["factor"]) == set(FACTORS) | {scores.INDEX}
    hidden = export[export["suppressed"]]
    assert len(hidden) > 0 and hidden["score"].isna().all() and hidden["respondents"].isna().all()
    alpha_q2 = export[(export["partner"] == "Alpha") & (export["wave"] == Q2)]
    assert (alpha_q2["score"] == 75.0).all() and (alpha_q2["respondents"] == 5).all()
    # Q1: Beta (2) is the only primary, so Alpha (5) is hidden as its complement
    alpha_q1 = export[(export["partner"] == "Alpha") & (export["wave"] == Q1)]
    assert alpha_q1["suppressed"].all()
    prog_q1 = export[(export["partner"] == "Programme") & (export["wave"] == Q1)]
    assert (prog_q1["respondents"] == 7).all()
    sg = prog_q1[prog_q1["factor"] == "shared_goals"]["score"]
    assert (sg == 82.1).all()  # (5*75 + 2*100) / 7 = 82.14


def test_rows_in_display_order_and_answers_to_items_not_scored_add_no_respondent(store):
    # ids against name order (Beta 1, Alpha 2); wave labels sorting against their starts
    ids = setup(store, partners=("Beta", "Alpha"))
    quarter, month = "2024-Q1", "2024-02"
    rows = []
    for wave, start in ((month, "2024-02-01"), (quarter, "2024-01-01")):
        for name in ("Beta", "Alpha"):
            rows += b.responses(ids[name], wave, start, [b.all_items(4)] * 5, prefix=f"{name}{wave}")
    b.load(store, "survey_responses", rows)
    # an answer to an item the instrument no longer has (its batch undone) adds no respondent;
    # while the item was there it was one late response (fewer than k: never shown)
    extra = b.load(store, "instrument_items", [dict(item_id="not_scored", text="An item taken back",
                                                    factor="shared_goals", scale_min=1, scale_max=5,
                                                    reverse_scored=False)])
    late = b.load(store, "survey_responses",
                  b.responses(ids["Alpha"], quarter, "2024-01-01", [{"not_scored": 3}], prefix="early"))
    pending = scores.factor_scores(store.cursor(), asof=late, k=5).set_index(["wave", "factor", "partner"])["pending"]
    assert pending[(quarter, "shared_goals", "Alpha")] == "1 late response is not shown yet"
    b.undo(store, extra)
    cursor = store.cursor()
    frame = scores.factor_scores(cursor, k=5)
    assert list(zip(frame["wave"], frame["factor"], frame["partner"])) == [
        (wave, factor, partner) for wave in (quarter, month) for factor in FACTORS
        for partner in ("Programme", "Alpha", "Beta")]
    assert (frame["n"] == frame["partner_id"].isna().map({True: 10, False: 5})).all()
    assert frame["pending"].isna().all()
    waves = scores.waves(cursor)
    assert list(waves["wave"]) == [quarter, month]
    assert (frame["wave_start"] == frame["wave"].map(dict(zip(waves["wave"], waves["wave_start"])))).all()
    assert (frame.loc[frame["wave"] == quarter, "wave_start"] == pd.Timestamp("2024-01-01")).all()


def test_two_small_partners_need_no_complement_and_ties_hide_the_lowest_id(store):
    # ids against name order: Gamma 1, Alpha 2, Beta 3, Delta 4
    ids = setup(store, partners=("Gamma", "Alpha", "Beta", "Delta"))
    rows = []
    # Q1: two partners under k -> the total minus the shown partners mixes both: no complement
    for name, n in (("Alpha", 2), ("Beta", 3), ("Gamma", 6), ("Delta", 6)):
        rows += b.responses(ids[name], Q1, Q1_START, [b.all_items(4)] * n)
    # Q2: one partner under k -> the smallest shown partner is hidden too; Gamma and Delta
    # tie at 6 and Gamma has the lower id (though Delta comes first by name)
    for name, n in (("Alpha", 2), ("Beta", 8), ("Gamma", 6), ("Delta", 6)):
        rows += b.responses(ids[name], Q2, Q2_START, [b.all_items(4)] * n)
    b.load(store, "survey_responses", rows)
    frame = scores.factor_scores(store.cursor(), k=5)
    reason = lambda name, factor, wave: row(frame, ids[name], factor, wave)["suppression_reason"]
    for factor in FACTORS:
        assert reason("Alpha", factor, Q1) == reason("Beta", factor, Q1) == scores.Suppression.SMALL_GROUP
        assert reason("Gamma", factor, Q1) is None and reason("Delta", factor, Q1) is None
        assert row(frame, None, factor, Q1)["n"] == 17
        assert reason("Alpha", factor, Q2) == scores.Suppression.SMALL_GROUP
        assert reason("Gamma", factor, Q2) == scores.Suppression.COMPLEMENT
        assert reason("Delta", factor, Q2) is None and reason("Beta", factor, Q2) is None
        assert row(frame, None, factor, Q2)["n"] == 22
    # a view of one partner keeps what was decided over all of them
    gamma = scores.factor_scores(store.cursor(), k=5, partners=[ids["Gamma"]], programme=False)
    assert list(gamma["suppressed"]) == [False] * len(FACTORS) + [True] * len(FACTORS)


def test_index_interval_from_the_per_respondent_index(store):
    """Everyone answers every factor: the index of each respondent is the weighted mean of their
    factor scores; the group's interval is mean +/- t(n-1) * sd(y) / sqrt(n) of those."""
    ids = setup(store, partners=("Alpha",))
    # five respondents; factor f answered with value v[f] (1..5 -> 0, 25, 50, 75, 100)
    values = [(5, 4, 3, 2, 1), (4, 4, 4, 4, 4), (3, 5, 2, 4, 1), (2, 2, 2, 2, 5), (1, 3, 5, 3, 3)]
    answers = [{f"{f}_{i}": v for f, v in zip(FACTORS, row) for i in (1, 2)} for row in values]
    b.load(store, "survey_responses", b.responses(ids["Alpha"], Q1, Q1_START, answers))
    # y = mean of (v - 1) * 25 over the five factors: 50, 75, 50, 40, 50 -> mean 53, sd 13.0384
    r = row(scores.index_scores(store.cursor(), k=5), ids["Alpha"])
    assert r["score"] == pytest.approx(53.0) and r["n"] == 5
    half = 2.7764451052 * 13.038404810405298 / 5 ** 0.5
    assert r["ci_low"] == pytest.approx(53.0 - half) and r["ci_high"] == pytest.approx(53.0 + half)
    # weights in force: shared goals alone -> y = 100, 75, 50, 25, 0 (sd 39.53)
    alone = row(scores.index_scores(store.cursor(), k=5, weights={"shared_goals": 1}), ids["Alpha"])
    assert alone["score"] == pytest.approx(50.0)
    assert alone["ci_high"] - alone["score"] == pytest.approx(2.7764451052 * 39.528470752104745 / 5 ** 0.5)


def test_index_interval_with_a_skipped_factor_and_the_programme_from_partner_sums(store):
    """A respondent who skipped a factor counts with the group's mean of it: se^2 = n/(n-1) * sum z^2,
    z_i = sum_f (w_f / n_f)(x_if - m_f) over the factors answered; the programme's comes from
    the sums of its partners' and equals the same formula over all its respondents."""
    import numpy as np

    ids = setup(store, partners=("Alpha", "Beta"))
    rows_alpha = [(5, 4, 3, 2, 1), (4, 4, 4, 4, 4), (3, 5, 2, 4, 1), (2, 2, 2, 2, 5), (1, 3, 5, 3, 3),
                  (2, None, 4, 1, 5)]  # the last one skipped joint governance
    rows_beta = [(3, 3, 3, 3, 3), (5, 1, 4, 2, 3), (4, 4, 5, 5, 2), (1, 2, 1, 2, 1), (2, 5, 3, 4, 4)]

    def answers(rows):
        return [{f"{f}_{i}": v for f, v in zip(FACTORS, r) if v is not None for i in (1, 2)} for r in rows]

    b.load(store, "survey_responses", b.responses(ids["Alpha"], Q1, Q1_START, answers(rows_alpha))
           + b.responses(ids["Beta"], Q1, Q1_START, answers(rows_beta)))

    def expected(rows):
        x = np.array([[np.nan if v is None else (v - 1) * 25 for v in r] for r in rows], dtype=float)
        n_f = (~np.isnan(x)).sum(axis=0)
        m = np.nanmean(x, axis=0)
        z = np.nansum((x - m) * (0.2 / n_f), axis=1)
        n = n_f.min()
        se = np.sqrt(n / (n - 1) * (z ** 2).sum())
        return (m * 0.2).sum(), n, se

    index = scores.index_scores(store.cursor(), k=5)
    for partner, rows in ((ids["Alpha"], rows_alpha), (None, rows_alpha + rows_beta)):
        mean, n, se = expected(rows)
        r = row(index, partner)
        assert r["score"] == pytest.approx(mean) and r["n"] == n
        assert (r["ci_high"] - r["ci_low"]) / 2 == pytest.approx(float(scores.t975(n - 1)) * se)
    # Alpha: factor means (0-100) 45.83, 65, 58.33, 41.67, 54.17 -> index 53.0; n = 5 (joint governance)
    assert row(index, ids["Alpha"])["score"] == pytest.approx(53.0) and row(index, ids["Alpha"])["n"] == 5
