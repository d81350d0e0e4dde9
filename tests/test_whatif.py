"""The what-if library: index projection, and the within-partner delivery model on generated
programmes with a planted effect, with none, with differences only between partners, and
with too little history. Real DuckDB stores."""
from __future__ import annotations

from datetime import date, timedelta

import builders as b
import numpy as np
import pandas as pd
import pytest
from conftest import store_built_once

from pipelines.programme.factors import FACTORS
from pipelines.query import whatif
from pipelines.store import Store

EFFECT = -0.10  # planted: escalation rate next period falls 10 points per +10 accountability


def quarter_start(i: int) -> date:
    return date(2022 + i // 4, 3 * (i % 4) + 1, 1)


def quarter(i: int) -> str:
    return f"{2022 + i // 4}-Q{i % 4 + 1}"


def issue_rows(rng, pid: int, t: int, rate: float) -> list[dict]:
    """Twenty issues a partner owns and raised itself in quarter t, each escalated with
    probability ``rate`` and resolved in 3 to 39 days."""
    rows = []
    for i in range(20):
        raised = quarter_start(t) + timedelta(days=5 + 4 * i)
        rows.append(dict(
            issue_id=f"I{pid}-{t}-{i}", title="i", kind="issue", raised_by_partner_id=pid,
            owned_by_partner_id=pid, raised_date=raised,
            resolved_date=raised + timedelta(days=int(rng.integers(3, 40))),
            severity="medium", status="closed", escalated=bool(rng.random() < rate)))
    return rows


def generate(store, *, partners=8, waves=10, effect=EFFECT, seed=3, respondents=6):
    """A programme whose partners' factor levels wander from wave to wave; the escalation
    rate in wave t+1 is 0.5 + effect * (accountability_t - 50) / 10 + noise, and on-time
    milestones and days to resolve have no relation to any factor."""
    rng = np.random.default_rng(seed)
    ids = b.add_partners(store, [f"P{i}" for i in range(partners)])
    b.load(store, "instrument_items", b.instrument(items_per_factor=1, scale=(0, 10)))
    survey, milestones, issues = [], [], []
    levels = {}
    for p, pid in enumerate(ids.values()):
        base = rng.uniform(35, 65)
        for t in range(waves):
            common = base + rng.normal(0, 6)
            levels[pid, t] = {f: float(np.clip(common + rng.normal(0, 12), 5, 95)) for f in FACTORS}
            # an 11-point item (0-10): a respondent answers the point nearest their level
            answers = [{f"{f}_1": int(np.clip(np.rint((levels[pid, t][f] + rng.normal(0, 3)) / 10), 0, 10))
                        for f in FACTORS} for _ in range(respondents)]
            survey += b.responses(pid, quarter(t), quarter_start(t), answers)
    for pid in ids.values():
        for t in range(waves):
            start = quarter_start(t)
            for m in range(8):
                baseline = start + timedelta(days=10 + 9 * m)
                late = rng.random() < 0.4
                milestones.append(dict(
                    milestone_id=f"M{pid}-{t}-{m}", title="m", owner_partner_ids=[pid],
                    baseline_date=baseline, forecast_date=None, status="complete",
                    actual_date=baseline + timedelta(days=int(late) * 20)))
            if t == 0:
                rate = 0.5
            else:
                rate = 0.5 + effect * (levels[pid, t - 1]["mutual_accountability"] - 50) / 10
            rate = float(np.clip(rate + rng.normal(0, 0.04), 0.02, 0.98))
            issues += issue_rows(rng, pid, t, rate)
    b.load(store, "survey_responses", survey)
    b.load(store, "milestones", milestones)
    b.load(store, "issues", issues)
    return ids


def generate_between(store, *, partners=12, waves=10, seed=4, respondents=6):
    """Partners differ, and their delivery differs in step with their survey level (the
    escalation rate is 0.5 - 0.1 per 10 points of the partner's own level), but within a
    partner the scores only wander by noise that nothing follows."""
    rng = np.random.default_rng(seed)
    ids = b.add_partners(store, [f"B{i}" for i in range(partners)])
    b.load(store, "instrument_items", b.instrument(items_per_factor=1, scale=(0, 10)))
    survey, issues = [], []
    for pid in ids.values():
        level = rng.uniform(25, 75)
        for t in range(waves):
            answers = [{f"{f}_1": int(np.clip(np.rint((level + rng.normal(0, 8)) / 10), 0, 10))
                        for f in FACTORS} for _ in range(respondents)]
            survey += b.responses(pid, quarter(t), quarter_start(t), answers)
            rate = float(np.clip(0.5 - 0.1 * (level - 50) / 10 + rng.normal(0, 0.04), 0.02, 0.98))
            issues += issue_rows(rng, pid, t, rate)
    b.load(store, "survey_responses", survey)
    b.load(store, "issues", issues)
    return ids


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Built once for the module: its tests only read it."""
    store = store_built_once(tmp_path_factory, "planted", generate)
    yield store
    store.close()


@pytest.fixture(scope="module")
def planted_model(planted):
    return whatif.fit(planted.cursor())


def coef(model, indicator, factor):
    return next(c for c in model.indicators[indicator].coefficients if c.factor == factor)


def partner_row(store, name):
    current = whatif.current_scores(store.cursor())
    row = current[current["partner"] == name].iloc[0]
    return {f: float(row[f]) for f in FACTORS}, int(row["partner_id"])


# -- the index ---------------------------------------------------------------

def test_weighted_indexes_are_each_row_s_weighted_index():
    frame = pd.DataFrame([dict(zip(FACTORS, (40.0, 50.0, 60.0, 70.0, 95.0))),
                          dict(zip(FACTORS, (10.0, 20.0, 30.0, 40.0, 50.0)))])
    weights = dict(zip(FACTORS, (2.0, 1.0, 1.0, 0.0, 0.0)))
    assert whatif.weighted_indexes(frame, weights) == [47.5, 17.5]
    assert whatif.weighted_indexes(frame, weights) == [
        whatif.weighted_index(r, weights) for r in frame.to_dict("records")]


def test_current_scores_carry_each_factor_s_respondents(planted):
    from pipelines.query import scores
    current = whatif.current_scores(planted.cursor())
    wave = current["wave"].iloc[0]
    n = scores.factor_scores(planted.cursor(), waves=[wave], programme=False)
    for row in current[~current["suppressed"]].itertuples(index=False):
        mine = n[n["partner_id"] == row.partner_id].set_index("factor")["n"]
        assert [getattr(row, f"n_{f}") for f in FACTORS] == [float(mine[f]) for f in FACTORS]


def test_project_index_moves_clamps_and_bands():
    current = dict(zip(FACTORS, (40.0, 50.0, 60.0, 70.0, 95.0)))
    equal = {f: 1.0 for f in FACTORS}
    assert whatif.project_index(current, {}, equal, (50, 70)) == (63.0, "transitioning")
    index, band = whatif.project_index(current, {"mutual_accountability": 30,
                                                 "shared_goals": -60}, equal, (50, 70))
    assert index == pytest.approx((0 + 50 + 60 + 70 + 100) / 5)  # clamped to 0 and 100
    assert band == "transitioning"
    only_sg = {f: 0.0 for f in FACTORS} | {"shared_goals": 3.0}
    assert whatif.project_index(current, {"shared_goals": 10}, only_sg, (50, 70)) == (
        50.0, "transitioning")
    with pytest.raises(ValueError):
        whatif.project_index(current, {}, {f: 0.0 for f in FACTORS})


def test_placement_among_the_others():
    others = {"A": 40.0, "B": 60.0, "C": 75.0, "D": None}
    assert whatif.placement(65.0, others) == (2, 4)
    assert whatif.placement(80.0, others) == (1, 4)
    assert whatif.placement(60.0, others) == (2, 4)  # a tie goes to this partner
    assert whatif.placement(10.0, {}) == (1, 1)


# -- the model: planted effect, no effect, between partners only, too little history ---

def test_recovers_a_planted_effect_within_partners(planted_model):
    model = planted_model
    assert isinstance(model, whatif.FittedModel)
    assert model.n_partners == 8 and model.n_partner_waves == 8 * 9
    c = coef(model, "escalation_rate", "mutual_accountability")
    truth = EFFECT * 100  # percentage points per +10 points
    assert c.high < 0 and truth * 1.5 < c.estimate < truth * 0.5
    assert c.low <= truth <= c.high
    for f in FACTORS[:-1]:
        assert abs(coef(model, "escalation_rate", f).estimate) < abs(c.estimate) / 3


def test_a_planted_effect_beats_the_naive_forecast_and_no_effect_does_not(planted_model):
    esc = planted_model.indicators["escalation_rate"]
    assert esc.reliable and whatif.unreliable_reason(esc) is None
    held = esc.held_back
    assert held.n == 8 * 6 and held.waves == tuple(quarter(t) for t in range(4, 10))
    assert held.mae_model < held.mae_naive and held.p_value < whatif.BEATS_NAIVE_P
    for name in ("on_time_rate", "median_days_to_resolve"):  # nothing planted there
        m = planted_model.indicators[name]
        assert not m.reliable
        reason = whatif.unreliable_reason(m)
        assert reason.startswith("the model's error (")
        assert " than the naive forecast's (" in reason and "did not beat" not in reason
        assert "over 48 forecasts of 2023-Q1 to 2024-Q2, each made from the waves before it" in reason


def test_intervals_cover_the_planted_effect_across_programmes(tmp_path):
    """Six generated programmes: the sign every time, and the 95% interval covers the
    planted effect in at least five. No-effect coefficients' intervals span zero in at
    least 90%."""
    truth = EFFECT * 100
    covered, null_spans, null_total = 0, 0, 0
    for seed in range(2, 8):
        store = Store(tmp_path / f"p{seed}.duckdb")
        generate(store, seed=seed)
        model = whatif.fit(store.cursor())
        store.close()
        c = coef(model, "escalation_rate", "mutual_accountability")
        assert c.estimate < 0 and c.high < 0, seed
        covered += c.low <= truth <= c.high
        nulls = [coef(model, i, f) for i in ("on_time_rate", "median_days_to_resolve")
                 for f in FACTORS] + [coef(model, "escalation_rate", f) for f in FACTORS[:-1]]
        null_spans += sum(n.low <= 0 <= n.high for n in nulls)
        null_total += len(nulls)
    assert covered >= 5
    assert null_spans >= 0.9 * null_total


def test_differences_between_partners_alone_give_no_reliable_projection(tmp_path):
    """Delivery differs between partners in step with their survey levels, but nothing moves
    together within a partner: a pooled regression finds a strong effect; the within-partner
    model finds none it can forecast with, and says so."""
    import statsmodels.api as sm

    store = Store(tmp_path / "between.duckdb")
    generate_between(store)
    rows = whatif.panel(store.cursor())
    pooled = sm.WLS(rows["escalation_rate"], sm.add_constant(rows[list(FACTORS)].mean(axis=1)),
                    weights=rows["escalation_rate_count"]).fit()
    assert pooled.params.iloc[1] < -0.005 and pooled.pvalues.iloc[1] < 1e-10  # strong, pooled
    model = whatif.fit(store.cursor())
    esc = model.indicators["escalation_rate"]
    assert not esc.reliable and esc.held_back.p_value >= whatif.BEATS_NAIVE_P
    scores_now, pid = partner_row(store, "B3")
    frame = whatif.project(model, scores_now, {"mutual_accountability": 5}, pid)
    row = frame.set_index("indicator").loc["escalation_rate"]
    assert row["status"] == whatif.Status.NO_RELIABLE_PROJECTION
    assert np.isnan(row["projected"]) and row["declined"].startswith("the model's error (")
    store.close()


def test_a_slider_past_the_observed_range_projects_nothing(planted, planted_model):
    scores_now, pid = partner_row(planted, "P1")
    top = float(planted_model.x_max[FACTORS.index("mutual_accountability")])
    past = top - scores_now["mutual_accountability"] + 5
    frame = whatif.project(planted_model, scores_now, {"mutual_accountability": past}, pid)
    esc = frame.set_index("indicator").loc["escalation_rate"]
    assert esc["status"] == whatif.Status.OUTSIDE_OBSERVED_RANGE and np.isnan(esc["projected"])
    assert esc["declined"].startswith("Mutual accountability would be ")
    assert f"this programme has observed {planted_model.x_min[4]:.0f} to {top:.0f}" in esc["declined"]
    # the unreliable indicators stay unreliable: that reason comes first
    assert set(frame["status"]) == {"outside observed range", "no reliable projection"}


def test_a_move_further_than_any_partner_has_moved_is_outside_too(planted, planted_model):
    """P2's accountability averages 28 and no partner's has been more than 33 from its own
    average: 62.5 is inside the programme's range (6 to 88) but further than that."""
    scores_now, pid = partner_row(planted, "P2")
    j = FACTORS.index("mutual_accountability")
    own, reach = planted_model.partner_means[pid][j], planted_model.max_deviation[j]
    assert own + reach + 1 < planted_model.x_max[j]
    beyond = own + reach + 1 - scores_now["mutual_accountability"]
    inside = own + reach - 1 - scores_now["mutual_accountability"]
    reason = whatif.outside_reason(planted_model, pid, scores_now,
                                   {"mutual_accountability": beyond})
    assert reason == (f"Mutual accountability would be {reach + 1:+.0f} from this partner's own "
                      f"average; no partner's score has been more than {reach:.0f} from its own")
    assert whatif.outside_reason(planted_model, pid, scores_now,
                                 {"mutual_accountability": inside}) is None


def test_no_effect_programme(tmp_path):
    store = Store(tmp_path / "null.duckdb")
    generate(store, effect=0.0, seed=5)
    model = whatif.fit(store.cursor())
    store.close()
    for f in FACTORS:
        c = coef(model, "escalation_rate", f)
        assert c.low <= 0 <= c.high, (f, c)
    assert not model.indicators["escalation_rate"].reliable


def test_declines_with_too_little_history(tmp_path):
    store = Store(tmp_path / "short.duckdb")
    generate(store, partners=4, waves=3)  # 4 x 2 = 8 partner-waves with a next period
    result = whatif.fit(store.cursor())
    assert isinstance(result, whatif.Declined)
    assert result.n_partner_waves == 8 and "12" in result.reason
    store.close()


def test_declines_with_too_few_partners(tmp_path):
    store = Store(tmp_path / "two.duckdb")
    generate(store, partners=2, waves=10)  # 18 partner-waves but 2 partners
    result = whatif.fit(store.cursor())
    assert isinstance(result, whatif.Declined)
    assert result.n_partners == 2 and "3 partners" in result.reason
    store.close()


def test_declines_on_an_empty_programme(store):
    result = whatif.fit(store.cursor())
    assert isinstance(result, whatif.Declined) and result.n_partner_waves == 0


def test_suppressed_groups_are_not_used(tmp_path):
    store = Store(tmp_path / "small.duckdb")
    generate(store, respondents=4)  # every group below k = 5
    assert whatif.panel(store.cursor()).empty
    assert isinstance(whatif.fit(store.cursor()), whatif.Declined)
    current = whatif.current_scores(store.cursor())
    assert current["suppressed"].all() and current[list(FACTORS)].isna().all().all()
    assert current[[f"n_{f}" for f in FACTORS]].isna().all().all()  # no n of a group not shown
    store.close()


# -- projections ---------------------------------------------------------------

def test_projection_values_and_model_intervals(planted, planted_model):
    scores_now, pid = partner_row(planted, "P1")
    same = whatif.project(planted_model, scores_now, {}, pid).set_index("indicator")
    esc = same.loc["escalation_rate"]
    assert esc["status"] == "projected" and esc["declined"] is None
    assert esc["change"] == 0 and esc["current"] == esc["projected"]
    up = whatif.project(planted_model, scores_now, {"mutual_accountability": 5}, pid)
    esc = up.set_index("indicator").loc["escalation_rate"]
    m = planted_model.indicators["escalation_rate"]
    assert esc["change"] == pytest.approx(5 * m.beta[FACTORS.index("mutual_accountability")])
    assert esc["change"] < -0.02
    assert 0 <= esc["low"] < esc["projected"] < esc["high"] <= 1
    assert np.isfinite(esc["last_value"])


def test_projection_is_monotone_in_the_effect(planted, planted_model):
    scores_now, pid = partner_row(planted, "P1")
    values = [whatif.project(planted_model, scores_now, {"mutual_accountability": d}, pid)
              .set_index("indicator").at["escalation_rate", "projected"] for d in range(-6, 7, 3)]
    assert (np.diff(values) < 0).all()


def test_deterministic(planted):
    first = whatif.fit(planted.cursor())
    second = whatif.fit(planted.cursor())
    assert whatif.coefficients_frame(first).equals(whatif.coefficients_frame(second))
    scores_now, pid = partner_row(planted, "P1")
    projections = [whatif.project(m, scores_now, {"shared_goals": 3}, pid)
                   for m in (first, second)]
    assert projections[0].equals(projections[1])


def test_honours_asof(tmp_path):
    store = Store(tmp_path / "asof.duckdb")
    generate(store)
    cursor = store.cursor()
    version = int(cursor.execute("SELECT max(batch_id) FROM batches").fetchone()[0])
    before = whatif.fit(cursor, asof=version)
    b.undo(store, version)  # the issue log is gone
    after = whatif.fit(cursor)
    assert before.indicators["escalation_rate"].declined is None
    assert after.indicators["escalation_rate"].declined
    pinned = whatif.fit(cursor, asof=version)
    assert whatif.coefficients_frame(pinned).equals(whatif.coefficients_frame(before))
    store.close()


def test_demo_programme_model(tmp_path):
    """The demo: six partners, eight waves. The model is fitted and each indicator says
    whether its forecasts beat the naive ones, with the numbers."""
    from pipelines.programme import bootstrap

    store = Store(tmp_path / "demo.duckdb")
    bootstrap.load_demo(store)
    model = whatif.fit(store.cursor())
    assert isinstance(model, whatif.FittedModel)
    assert model.n_partners == 6 and model.n_partner_waves >= 30
    for m in model.indicators.values():
        assert m.held_back is not None and m.held_back.n > 0
        assert m.reliable or whatif.unreliable_reason(m)
    current = whatif.current_scores(store.cursor())
    assert current["suppressed"].sum() >= 1  # the tiny consultancy is hidden
    store.close()


def test_a_projected_indicator_has_no_declined_reason():
    """None, not NaN: callers test `if row.declined` (pandas 3 would make NaN of a str column)."""
    import types

    fake = whatif.IndicatorModel("escalation_rate", "x", "share", "lower",
                                 declined="too few partner-waves")
    model = types.SimpleNamespace(indicators={"escalation_rate": fake})
    frame = whatif.project(model, {f: 50.0 for f in FACTORS}, {}, partner_id=None)
    assert frame["declined"].tolist() == ["too few partner-waves"] and frame["declined"].dtype == object
    assert frame["status"].tolist() == ["no reliable projection"]


# -- what the held-back check found, in words (finding 3: a smaller error is not "did not beat") --

def held(mae_model, p_value, n=15):
    return whatif.HeldBack(("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"), n, mae_model, 40.0, 34.2, 50.0, p_value)


def test_a_smaller_error_that_fails_the_test_is_not_clearly_smaller():
    assert whatif.held_back_verdict(held(27.3, 0.12), "days") == (
        "the model's error (27.3 days) was not clearly smaller than the naive forecast's (34.2 days, the "
        "partner's own mean; one-sided p 0.12)")


def test_a_larger_error_is_not_smaller():
    assert whatif.held_back_verdict(held(36.0, 0.71), "days") == (
        "the model's error (36.0 days) was not smaller than the naive forecast's (34.2 days, the "
        "partner's own mean)")


def test_an_error_equal_to_the_naive_one_is_not_smaller():
    assert whatif.held_back_verdict(held(34.2, 0.5), "days").startswith(
        "the model's error (34.2 days) was not smaller than")


def test_a_passed_check_is_clearly_smaller_and_shares_are_in_points():
    verdict = whatif.held_back_verdict(whatif.HeldBack(("2026-Q3",), 12, 0.10, 0.2, 0.15, 0.3, 0.049), "share")
    assert verdict == ("the model's error (10.0 pts) was clearly smaller than the naive forecast's (15.0 pts, "
                       "the partner's own mean; one-sided p 0.05)")


def test_the_reason_gives_the_check_the_forecasts_and_the_bar():
    m = whatif.IndicatorModel("median_days_to_resolve", "Median days to resolve", "days", "lower",
                              held_back=held(27.3, 0.12))
    assert whatif.unreliable_reason(m) == (
        "the model's error (27.3 days) was not clearly smaller than the naive forecast's (34.2 days, the "
        "partner's own mean; one-sided p 0.12), over 15 forecasts of 2025-Q4 to 2026-Q3, each made from the "
        "waves before it (a projection needs p below 0.05)")


def test_latest_observed_is_one_period_per_partner_and_indicator():
    frame = pd.DataFrame({
        "partner_id": [1, 1, 1, 2], "wave": ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q2"],
        "wave_start": pd.to_datetime(["2026-01-01", "2026-04-01", "2026-07-01", "2026-04-01"]),
        "indicator": ["escalation_rate"] * 4, "value": [0.2, 0.33, None, 0.5], "count": [5, 6, 0, 4]})
    last = whatif.latest_observed(frame).sort_values("partner_id")
    assert last.values.tolist() == [["escalation_rate", 1, "2026-Q2", 0.33], ["escalation_rate", 2, "2026-Q2", 0.5]]


# -- the check's code (one owner: ``IndicatorModel.check``; the views read it, not the reason's text) --

def _model(**kwargs):
    return whatif.IndicatorModel("median_days_to_resolve", "Median days to resolve", "days", "lower", **kwargs)


@pytest.mark.parametrize("kwargs,check", [
    ({"declined": "too few partner-waves"}, whatif.Check.DECLINED),
    ({"declined": "too few partner-waves", "held_back": held(27.3, 0.01)}, whatif.Check.DECLINED),
    ({}, whatif.Check.NO_HISTORY),
    ({"held_back": held(20.0, 0.01, n=whatif.MIN_HELD_BACK - 1)}, whatif.Check.TOO_FEW),
    ({"held_back": held(27.3, 0.12)}, whatif.Check.FAILED),
    ({"held_back": held(36.0, 0.01)}, whatif.Check.FAILED),
    ({"held_back": held(20.0, 0.01)}, whatif.Check.PASSED),
])
def test_each_model_has_its_check(kwargs, check):
    m = _model(**kwargs)
    assert m.check is check
    assert m.reliable == (check is whatif.Check.PASSED)
    assert (whatif.unreliable_reason(m) is None) == (check is whatif.Check.PASSED)


def test_the_reason_of_each_check_that_is_not_the_verdict():
    assert whatif.unreliable_reason(_model(declined="too few partner-waves")) == "too few partner-waves"
    assert whatif.unreliable_reason(_model()) == (
        "too little history to check the model against a naive forecast (it needs three waves of outcomes or more)")
    assert whatif.unreliable_reason(_model(held_back=held(20.0, 0.01, n=4))) == (
        f"only 4 held-back forecasts to check the model against a naive forecast (it needs {whatif.MIN_HELD_BACK})")


@pytest.mark.parametrize("check_held,status", [
    (held(27.3, 0.12), "no reliable projection: the held-back check did not pass"),
    (held(20.0, 0.01, n=4), ("no reliable projection: only 4 held-back forecasts to check the model against a "
                             f"naive forecast (it needs {whatif.MIN_HELD_BACK})")),
])
def test_the_page_says_the_check_failed_from_its_code(check_held, status):
    """The What-if's status reads the model's check, not whether the reason's text matches."""
    import types

    from pipelines.present.views import whatif as page
    from pipelines.query.scenario import IndicatorProjection

    m = _model(held_back=check_held)
    nan = float("nan")
    p = IndicatorProjection(m.indicator, m.label, m.unit, m.good, 30.0, nan, nan, nan, nan,
                            whatif.Status.NO_RELIABLE_PROJECTION, whatif.unreliable_reason(m), m.held_back)
    assert page._status(p, types.SimpleNamespace(indicators={m.indicator: m})) == status


def test_a_factor_the_instrument_lacks_leaves_the_others_when_it_has_no_weight(tmp_path, monkeypatch):
    """An instrument without psychological safety: with its weight 0 the partners' what-if stands on
    the four other factors; the model, needing all five, projects no delivery; given a weight, the
    page says what is missing instead of a number."""
    from pipelines.present import views
    from pipelines.present.links import LinkState, Scenario
    from pipelines.store import Store

    store = Store(tmp_path / "t.duckdb")
    ids = b.add_partners(store, ["Alder", "Birch"])
    b.load(store, "instrument_items", [i for i in b.instrument() if i["factor"] != "psychological_safety"])
    answers = {item: 4 for item in b.all_items(4) if not item.startswith("psychological_safety")}
    b.load(store, "survey_responses", b.responses(ids["Alder"], "2025-Q1", "2025-01-01", [answers] * 6)
           + b.responses(ids["Birch"], "2025-Q1", "2025-01-01", [answers] * 6))
    monkeypatch.setenv("PARTNERSHIP_INDEX_WEIGHTS", "0.25,0.25,0,0.25,0.25")
    current = whatif.current_scores(store.cursor(), k=5)
    alder = current[current["partner"] == "Alder"].iloc[0]
    assert not alder["suppressed"] and alder["shared_goals"] == 75.0 and np.isnan(alder["psychological_safety"])
    assert np.isnan(alder["n_psychological_safety"]) and alder["n_shared_goals"] == 6
    source = views.Source(store.cursor(), k=5)
    view = views.build(source, LinkState(page="what-if", scenarios=(Scenario("Alder", {"shared_goals": 10}, None),)))
    assert view.hidden is None and view.no_weight is None
    assert [m.value for m in view.metrics][0] == "77.5"  # (85 + 75 * 3) / 4
    assert whatif.fit(store.cursor()).reason == (
        "The delivery model needs all five factors' scores, and the survey instrument has no question on "
        "psychological safety: no delivery projection is made.")
    weighted = Scenario("Alder", {}, {f: 0.2 for f in FACTORS})
    view = views.build(source, LinkState(page="what-if", scenarios=(weighted,)))
    assert view.no_weight == ("Psychological safety has no score shown for Alder in 2025-Q1. Give it weight 0 "
                              "to project the index from the other factors.")
    from pipelines.query import scenario
    told = scenario.scenario(store.cursor(), "Alder", weights={f: 0.2 for f in FACTORS}, k=5)
    assert (told.shown, told.reason) == (False, view.no_weight)  # the command line says the same
    store.close()
