"""The what-if library: index projection, and the delivery model on generated programmes
with a planted effect, with none, and with too little history. Real DuckDB stores."""
from __future__ import annotations

from datetime import date, timedelta

import builders as b
import numpy as np
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


def generate(store, *, partners=8, waves=10, effect=EFFECT, seed=1, respondents=6):
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
            for i in range(20):
                raised = start + timedelta(days=5 + 4 * i)
                issues.append(dict(
                    issue_id=f"I{pid}-{t}-{i}", title="i", kind="issue", raised_by_partner_id=pid,
                    owned_by_partner_id=pid, raised_date=raised,
                    resolved_date=raised + timedelta(days=int(rng.integers(3, 40))),
                    severity="medium", status="closed", escalated=bool(rng.random() < rate)))
    b.load(store, "survey_responses", survey)
    b.load(store, "milestones", milestones)
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


# -- the index ---------------------------------------------------------------

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


# -- the model: planted effect, no effect, too little history ----------------

def test_recovers_a_planted_effect(planted_model):
    model = planted_model
    assert isinstance(model, whatif.FittedModel)
    assert model.n_partners == 8 and model.n_partner_waves == 8 * 9
    c = coef(model, "escalation_rate", "mutual_accountability")
    truth = EFFECT * 100  # percentage points per +10 points
    assert c.estimate < 0 and c.high < 0
    assert truth * 1.5 < c.estimate < truth * 0.5  # rough size (ridge shrinks a little)
    # the factors that had no effect on escalation are small beside it
    for f in FACTORS[:-1]:
        assert abs(coef(model, "escalation_rate", f).estimate) < abs(c.estimate) / 3


def test_intervals_cover_the_planted_effect_across_programmes(tmp_path):
    """Six generated programmes: the sign and rough size every time, and the 95%
    interval covers the planted effect in at least five (a coverage check, not one
    lucky seed). No-effect coefficients' intervals span zero in at least 90%."""
    truth = EFFECT * 100
    covered, null_spans, null_total = 0, 0, 0
    for seed in range(2, 8):
        store = Store(tmp_path / f"p{seed}.duckdb")
        generate(store, seed=seed)
        model = whatif.fit(store.cursor(), draws=200)
        store.close()
        c = coef(model, "escalation_rate", "mutual_accountability")
        assert c.estimate < 0 and c.high < 0, seed
        assert truth * 1.5 < c.estimate < truth * 0.5, (seed, c)
        covered += c.low <= truth <= c.high
        nulls = [coef(model, i, f) for i in ("on_time_rate", "median_days_to_resolve")
                 for f in FACTORS] + [coef(model, "escalation_rate", f) for f in FACTORS[:-1]]
        null_spans += sum(n.low <= 0 <= n.high for n in nulls)
        null_total += len(nulls)
    assert covered >= 5
    assert null_spans >= 0.9 * null_total


def test_no_effect_interval_spans_zero(planted_model):
    for indicator in ("on_time_rate", "median_days_to_resolve"):
        for f in FACTORS:
            c = coef(planted_model, indicator, f)
            assert c.low <= 0 <= c.high, (indicator, f, c)


def test_no_effect_programme(tmp_path):
    store = Store(tmp_path / "null.duckdb")
    generate(store, effect=0.0, seed=5)
    model = whatif.fit(store.cursor())
    store.close()
    for f in FACTORS:
        c = coef(model, "escalation_rate", f)
        assert c.low <= 0 <= c.high, (f, c)


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
    store.close()


# -- projections ---------------------------------------------------------------

def test_projection_is_monotone_where_the_effect_is(planted, planted_model):
    current = whatif.current_scores(planted.cursor())
    row = current[~current["suppressed"]].iloc[0]
    scores = {f: float(row[f]) for f in FACTORS}
    pid = int(row["partner_id"])
    for name, m in planted_model.indicators.items():
        for j, f in enumerate(FACTORS):
            values = [whatif.project(planted_model, scores, {f: d}, pid)
                      .set_index("indicator").at[name, "projected"] for d in range(-30, 31, 5)]
            steps = np.diff(values)
            if m.beta[j] > 0:
                assert (steps >= -1e-12).all(), (name, f)
            elif m.beta[j] < 0:
                assert (steps <= 1e-12).all(), (name, f)


def test_projection_values(planted, planted_model):
    current = whatif.current_scores(planted.cursor())
    row = current[~current["suppressed"]].iloc[0]
    scores = {f: float(row[f]) for f in FACTORS}
    pid = int(row["partner_id"])
    same = whatif.project(planted_model, scores, {}, pid)
    assert (same["change"].abs() < 1e-12).all()
    up = whatif.project(planted_model, scores, {"mutual_accountability": 20}, pid)
    esc = up.set_index("indicator").loc["escalation_rate"]
    assert esc["change"] < -0.05
    assert 0 <= esc["low"] <= esc["projected"] <= esc["high"] <= 1
    assert np.isfinite(esc["last_value"])
    days = up.set_index("indicator").loc["median_days_to_resolve"]
    assert days["low"] >= 0
    # rates stay in 0..1 and days >= 0 even far outside the data
    extreme = whatif.project(planted_model, {f: 0.0 for f in FACTORS},
                             {"mutual_accountability": 300}, pid).set_index("indicator")
    assert 0 <= extreme.at["escalation_rate", "projected"] <= 1
    assert extreme.at["median_days_to_resolve", "projected"] >= 0


def test_deterministic(planted):
    first = whatif.fit(planted.cursor())
    second = whatif.fit(planted.cursor())
    assert whatif.coefficients_frame(first).equals(whatif.coefficients_frame(second))
    scores = {f: 50.0 for f in FACTORS}
    projections = [whatif.project(first, scores, {"shared_goals": 10}, 1) for _ in range(2)]
    assert projections[0].equals(projections[1])


def test_held_back_fit_is_reported(planted_model):
    held = planted_model.indicators["escalation_rate"].held_back
    assert held is not None and held.n > 0 and len(held.waves) == 2
    assert held.mae_model < held.mae_programme_mean  # the planted effect predicts


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
    """The demo's planted relations: accountability and openness go with faster
    resolution and fewer escalations."""
    from pipelines.programme import bootstrap

    store = Store(tmp_path / "demo.duckdb")
    bootstrap.load_demo(store)
    model = whatif.fit(store.cursor())
    assert isinstance(model, whatif.FittedModel)
    assert model.n_partners == 6 and model.n_partner_waves >= 30
    days = coef(model, "median_days_to_resolve", "mutual_accountability")
    esc = coef(model, "escalation_rate", "mutual_accountability")
    assert days.estimate < 0 and esc.estimate < 0
    current = whatif.current_scores(store.cursor())
    assert current["suppressed"].sum() >= 1  # the tiny consultancy is hidden
    store.close()


def test_a_projected_indicator_has_no_declined_reason():
    """None, not NaN: callers test `if row.declined` (pandas 3 would make NaN of a str column)."""
    import types

    from pipelines.query import whatif as w
    fake = types.SimpleNamespace(label="x", unit="share", good="low", last_value={}, n=1, partners=1,
                                 declined="too few partner-waves")
    model = types.SimpleNamespace(indicators={"a": fake}, x_mean=np.zeros(5), x_sd=np.ones(5))
    frame = w.project(model, {f: 50.0 for f in w.FACTORS}, {}, partner_id=None)
    assert frame["declined"].tolist() == ["too few partner-waves"] and frame["declined"].dtype == object
