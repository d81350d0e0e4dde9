"""What-if: a partner's projected index, and what this programme's own history says
about delivery and issues in the period after a change in its factor scores.

Pure library (numpy, pandas; no Streamlit). Survey data comes only through
``scores.factor_scores``: suppressed groups never enter the model, so nothing hidden
can be worked back out of a coefficient or a projection.

The index
---------
``project_index`` moves the partner's current factor scores by the slider deltas,
clamps each to 0..100, and takes the weighted mean with the (normalised) weights;
the band is ``factors.band_of``. ``placement`` ranks it among the other partners'
current index in the same wave (computed with the same weights, shown groups only).

The delivery model (and why this one)
-------------------------------------
Question: how do delivery and issue indicators in the NEXT period (``on_time_rate``,
``median_days_to_resolve``, ``escalation_rate`` from ``evidence.indicators``) relate to
a partner's five factor scores in THIS period? The data is a small panel: a handful of
partners x a handful of waves, i.e. tens of partner-waves, and the five factors move
together (a partner that collaborates tends to do so on every factor). So:

* **Ridge regression** of each indicator on the five factor scores (standardised).
  Least squares with five collinear predictors and ~30 rows gives wild, sign-flipping
  coefficients; ridge shares the effect between correlated factors and shrinks what
  the data cannot support towards zero. The penalty is chosen by generalised
  cross-validation (closed form, deterministic) from a fixed grid.
* **Partner effects, partially pooled**: one intercept per partner, penalised by the
  same ridge term (the penalised-likelihood form of a random-intercept model). Full
  fixed effects (demeaning within partner) would spend one degree of freedom per
  partner and leave only the little within-partner movement, too little with 4-8
  waves; a fully pooled model would credit stable differences between partners (the
  kind of work they do) to the factors. Partial pooling sits between the two, and a
  partner with more history gets more of its own level.
* **Weights**: each partner-wave counts with ``sqrt(count)`` of the milestones or
  issues behind its rate (a rate from 12 issues is firmer than one from 1; plain
  ``count`` would let a few busy periods dominate).
* **Days to resolve** are modelled as ``log(1 + days)``: they are skewed (a few stuck
  issues) and the back-transform keeps projections at or above zero. Its effects are
  reported as a percentage change. Rates are modelled as they are and clamped to 0..1.
* **Intervals**: a partner-clustered (block) bootstrap: partners are resampled with
  replacement (all of a partner's waves together, so serial correlation within a
  partner is kept), the ridge refitted with the same penalty, ``BOOTSTRAP_DRAWS`` times
  from a fixed seed. From the 2.5th and 97.5th percentiles, two honest corrections:
  with few partners a cluster bootstrap is too narrow, so the distances from the
  estimate are stretched by ``t(G-1)/z * sqrt(G/(G-1))`` (G partners); and ridge pulls
  estimates towards zero, which the bootstrap cannot see, so the interval is extended
  on that side by the penalty's estimated pull ``lam (X'WX + lam I)^-1 b``. On generated
  programmes (tests/test_whatif.py) this covers a planted effect in about 9 runs of 10
  and spans zero for about 93% of absent effects. Intervals are for the *expected*
  value; a single period's value scatters more.
* **Held-back fit**: refit on every transition except those into the last one or two
  waves, predict those, and compare the mean absolute error with two naive forecasts:
  the partner's own value this period, and the programme mean of the training rows.
* **Minimum history**: at least ``MIN_PARTNER_WAVES`` partner-waves whose factor scores
  are shown and that have a next period, from at least ``MIN_PARTNERS`` partners;
  otherwise ``fit`` returns ``Declined`` and the page shows no projection. An indicator
  with too few observed values is declined on its own.

Projections are monotone in each delta with the sign of the fitted coefficient: the
prediction is linear in the (clamped) scores, and the back-transforms and clamps are
monotone. Limits: the latest period's days-to-resolve only counts issues already
resolved (it is biased low until they close); this is an association in the
programme's own history, not a causal effect.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.programme.factors import FACTOR_LABELS, FACTORS, band_of
from pipelines.query import evidence, scores

MODEL_INDICATORS: tuple[str, ...] = ("on_time_rate", "median_days_to_resolve", "escalation_rate")
LOG_INDICATORS = frozenset({"median_days_to_resolve"})
MIN_PARTNER_WAVES = 12
MIN_PARTNERS = 3
BOOTSTRAP_DRAWS = 300
SEED = 20240611
LAMBDA_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
PER_POINTS = 10.0  # coefficients are reported per this many points of a factor
DELTA_RANGE = (-30, 30)
PLAIN_WORDS = ("This is an association in this programme's own data, not a promise: partners "
               "whose scores were like this were followed by delivery like this.")


# -- the index -----------------------------------------------------------------

def _normalised(weights: Mapping[str, float]) -> dict[str, float]:
    w = {f: max(float(weights.get(f, 0.0) or 0.0), 0.0) for f in FACTORS}
    total = sum(w.values())
    if total <= 0:
        raise ValueError("At least one index weight must be above zero.")
    return {f: v / total for f, v in w.items()}


def moved_scores(current: Mapping[str, float], deltas: Mapping[str, float]) -> dict[str, float]:
    """Current factor scores moved by the deltas, each clamped to 0..100."""
    return {f: float(np.clip(float(current[f]) + float(deltas.get(f, 0.0) or 0.0), 0.0, 100.0))
            for f in FACTORS}


def weighted_index(factor_scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    w = _normalised(weights)
    return float(sum(w[f] * float(factor_scores[f]) for f in FACTORS if w[f] > 0))


def project_index(current_factor_scores: Mapping[str, float], deltas: Mapping[str, float],
                  weights: Mapping[str, float],
                  thresholds: tuple[float, float] | None = None) -> tuple[float, str]:
    """(projected collaboration index, band) after moving the factors by ``deltas``."""
    index = weighted_index(moved_scores(current_factor_scores, deltas), weights)
    return index, band_of(index, thresholds or settings.band_thresholds())


def placement(index: float, others: Mapping[str, float]) -> tuple[int, int]:
    """(rank, of): 1 = highest, among the other partners' indexes plus this one.
    Ties are resolved in this partner's favour."""
    values = [v for v in others.values() if v is not None and v == v]
    return 1 + sum(1 for v in values if v > index), len(values) + 1


# -- current scores ------------------------------------------------------------

def current_scores(cursor, *, asof: int | None = None, k: int | None = None) -> pd.DataFrame:
    """One row per partner for the latest wave: partner_id, partner, wave, the five factor
    scores, suppressed, reason. A partner with any factor hidden (or absent) is suppressed
    and carries no scores."""
    wave = scores.latest_wave(cursor, asof)
    columns = ["partner_id", "partner", "wave", *FACTORS, "suppressed", "reason"]
    known = scores.partners(cursor)
    if wave is None:
        return pd.DataFrame({"partner_id": known["partner_id"], "partner": known["name"],
                             "wave": None, **{f: np.nan for f in FACTORS},
                             "suppressed": True, "reason": "no survey responses yet"})[columns]
    frame = scores.factor_scores(cursor, asof=asof, k=k, waves=[wave], programme=False)
    wide = frame.pivot_table(index="partner_id", columns="factor", values="score",
                             aggfunc="first", dropna=False)
    hidden = frame.groupby("partner_id")["suppressed"].any()
    reasons = (frame[frame["suppressed"]].groupby("partner_id")["suppression_reason"]
               .agg(lambda s: sorted(set(s))[0]))
    rows = []
    for pid, name in zip(known["partner_id"], known["name"]):
        pid = int(pid)
        values = {f: (float(wide.at[pid, f]) if pid in wide.index and f in wide.columns
                      and pd.notna(wide.at[pid, f]) else np.nan) for f in FACTORS}
        if pid not in hidden.index:
            suppressed, reason = True, f"no survey responses in {wave}"
        elif bool(hidden.get(pid)) or any(np.isnan(v) for v in values.values()):
            suppressed, reason = True, reasons.get(pid, "not every factor is shown")
        else:
            suppressed, reason = False, None
        if suppressed:
            values = {f: np.nan for f in FACTORS}
        rows.append({"partner_id": pid, "partner": name, "wave": wave, **values,
                     "suppressed": suppressed, "reason": reason})
    return pd.DataFrame(rows, columns=columns)


# -- the panel -----------------------------------------------------------------

def panel(cursor, *, asof: int | None = None, k: int | None = None) -> pd.DataFrame:
    """Partner-waves with shown factor scores in wave t and the indicators of wave t+1.

    Columns: partner_id, wave, next_wave, the five factors, and per indicator
    ``<name>`` (value in t+1), ``<name>_count`` (its denominator) and ``<name>_now``
    (value in t, for the naive baseline). Only partner-waves where every factor is shown
    and a next period exists are returned.
    """
    factors = scores.factor_scores(cursor, asof=asof, k=k, programme=False)
    factors = factors[~factors["suppressed"]]
    if factors.empty:
        return pd.DataFrame(columns=["partner_id", "wave", "next_wave", *FACTORS, *[
            f"{name}{suffix}" for name in MODEL_INDICATORS for suffix in ("", "_count", "_now")]])
    # DuckDB's parallel averages can differ in the last bit between runs: round so the
    # fit is bit-for-bit deterministic
    factors = factors.assign(score=factors["score"].round(9))
    wide = factors.pivot_table(index=["partner_id", "wave"], columns="factor", values="score",
                               aggfunc="first").dropna(subset=list(FACTORS)).reset_index()
    spans = evidence.periods(cursor, asof)
    order = list(spans["wave"].astype(str))
    following = dict(zip(order[:-1], order[1:]))
    wide = wide.assign(partner_id=wide["partner_id"].astype("int64"), wave=wide["wave"].astype(str))
    wide["next_wave"] = wide["wave"].map(following)
    wide = wide[wide["next_wave"].notna()].copy()
    base = ["partner_id", "wave", "next_wave", *FACTORS]
    if wide.empty:
        out = wide[base].copy()
        for name in MODEL_INDICATORS:
            out[name], out[f"{name}_count"], out[f"{name}_now"] = np.nan, 0, np.nan
        return out
    ind = evidence.indicators(cursor, asof=asof)
    ind = ind[ind["indicator"].isin(MODEL_INDICATORS)]
    ind = ind.assign(value=ind["value"].where(ind["count"] > 0))
    values = ind.pivot_table(index=["partner_id", "wave"], columns="indicator", values="value",
                             aggfunc="first", dropna=False)
    counts = ind.pivot_table(index=["partner_id", "wave"], columns="indicator", values="count",
                             aggfunc="first", dropna=False)
    out = wide[base].reset_index(drop=True)
    nxt = pd.MultiIndex.from_arrays([out["partner_id"], out["next_wave"]])
    now = pd.MultiIndex.from_arrays([out["partner_id"], out["wave"]])
    for name in MODEL_INDICATORS:
        v = values[name] if name in values else pd.Series(dtype="float64")
        c = counts[name] if name in counts else pd.Series(dtype="float64")
        out[name] = v.reindex(nxt).to_numpy(dtype="float64")
        out[f"{name}_count"] = c.reindex(nxt).fillna(0).to_numpy(dtype="int64")
        out[f"{name}_now"] = v.reindex(now).to_numpy(dtype="float64")
    start = {w: i for i, w in enumerate(order)}
    return out.sort_values(["wave", "partner_id"], key=lambda s: s.map(start)
                           if s.name == "wave" else s).reset_index(drop=True)


# -- ridge with partially pooled partner intercepts ----------------------------

@dataclass(frozen=True)
class _Ridge:
    intercept: float
    beta: np.ndarray                 # standardised factor coefficients (5,)
    partner_effect: dict[int, float]  # partner id -> intercept offset


def _solve(z: np.ndarray, groups: np.ndarray, y: np.ndarray, w: np.ndarray,
           lam: float) -> tuple[float, np.ndarray, np.ndarray, float]:
    """Weighted ridge, unpenalised intercept; columns = z then one dummy per group.
    Returns (intercept, coefficients, group labels, effective degrees of freedom)."""
    labels, inverse = np.unique(groups, return_inverse=True)
    dummies = np.zeros((len(y), len(labels)))
    dummies[np.arange(len(y)), inverse] = 1.0
    x = np.hstack([z, dummies])
    w = w / w.mean()
    xm = (w[:, None] * x).sum(0) / w.sum()
    ym = float((w * y).sum() / w.sum())
    xc, yc = x - xm, y - ym
    sw = np.sqrt(w)
    xs, ys = xc * sw[:, None], yc * sw
    gram = xs.T @ xs
    penalised = gram + lam * np.eye(x.shape[1])
    coef = np.linalg.solve(penalised, xs.T @ ys)
    # effective df of the smoother (for GCV): trace(X (X'X + lam I)^-1 X') + 1 intercept
    eig = np.linalg.eigvalsh(gram)
    df = float(np.sum(eig / (eig + lam))) + 1.0
    return ym - float(xm @ coef), coef, labels, df


def _fit_ridge(z, groups, y, w, lam) -> _Ridge:
    b0, coef, labels, _ = _solve(z, groups, y, w, lam)
    k = z.shape[1]
    return _Ridge(b0, coef[:k], {int(g): float(a) for g, a in zip(labels, coef[k:])})


def _shrinkage(z, groups, w, lam, model: _Ridge) -> tuple[np.ndarray, dict[int, float]]:
    """Estimated pull of the penalty on each coefficient: ``lam (X'WX + lam I)^-1 b`` (the
    one-step bias of ridge, with the fitted coefficients standing in for the true ones).
    Intervals are stretched by it on the side the penalty pulls away from."""
    labels, inverse = np.unique(groups, return_inverse=True)
    dummies = np.zeros((len(groups), len(labels)))
    dummies[np.arange(len(groups)), inverse] = 1.0
    x = np.hstack([z, dummies])
    w = w / w.mean()
    xc = x - (w[:, None] * x).sum(0) / w.sum()
    xs = xc * np.sqrt(w)[:, None]
    coef = np.concatenate([model.beta, [model.partner_effect[int(g)] for g in labels]])
    pull = lam * np.linalg.solve(xs.T @ xs + lam * np.eye(x.shape[1]), coef)
    k = z.shape[1]
    return pull[:k], {int(g): float(v) for g, v in zip(labels, pull[k:])}


def _choose_lambda(z, groups, y, w) -> float:
    """Generalised cross-validation over LAMBDA_GRID (weighted residuals)."""
    n = len(y)
    best, best_score = LAMBDA_GRID[-1], np.inf
    wn = w / w.mean()
    for lam in LAMBDA_GRID:
        b0, coef, labels, df = _solve(z, groups, y, w, lam)
        model = _Ridge(b0, coef[:z.shape[1]], {int(g): float(a) for g, a in
                                                 zip(labels, coef[z.shape[1]:])})
        rss = float((wn * (y - _predict_rows(model, z, groups)) ** 2).sum())
        if df >= n:
            continue
        score = n * rss / (n - df) ** 2
        if score < best_score - 1e-12:
            best, best_score = lam, score
    return float(best)


def _penalty(z, groups, y, w) -> float:
    return _choose_lambda(z, groups, y, w)


def small_cluster_factor(clusters: int) -> float:
    """How much wider than the raw bootstrap percentiles the intervals are drawn:
    t(0.975, G-1) / z(0.975) * sqrt(G / (G-1)) for G clusters (partners)."""
    g = max(int(clusters), 2)
    return float(scores.t975(g - 1) / scores.t975(10_000) * np.sqrt(g / (g - 1)))


def _widened(point: np.ndarray, draws: np.ndarray, clusters: int,
             pull: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """95% interval from bootstrap draws: the 2.5th and 97.5th percentiles, their
    distances from the point estimate stretched by ``small_cluster_factor``, then moved
    outwards by the penalty's estimated pull on the side it pulls from."""
    p_low, p_high = np.percentile(draws, [2.5, 97.5], axis=0)
    c = small_cluster_factor(clusters)
    pull = np.asarray(pull, dtype="float64")
    return (point - c * np.maximum(point - p_low, 0.0) + np.minimum(pull, 0.0),
            point + c * np.maximum(p_high - point, 0.0) + np.maximum(pull, 0.0))


def _predict_rows(model: _Ridge, z: np.ndarray, groups: np.ndarray) -> np.ndarray:
    effects = np.array([model.partner_effect.get(int(g), 0.0) for g in groups])
    return model.intercept + z @ model.beta + effects


# -- public model types --------------------------------------------------------

@dataclass(frozen=True)
class Coefficient:
    factor: str
    estimate: float   # change per +10 points of the factor (rate points, or % for days)
    low: float
    high: float


@dataclass(frozen=True)
class HeldBack:
    waves: tuple[str, ...]   # the outcome waves held back
    n: int
    mae_model: float
    mae_last_value: float
    mae_programme_mean: float

    @property
    def beats_naive(self) -> bool:
        return self.mae_model < min(self.mae_last_value, self.mae_programme_mean)


@dataclass(frozen=True)
class IndicatorModel:
    indicator: str
    label: str
    unit: str
    good: str
    n: int = 0
    partners: int = 0
    declined: str | None = None
    log: bool = False
    lam: float = float("nan")
    intercept: float = float("nan")
    beta: np.ndarray = field(default_factory=lambda: np.zeros(len(FACTORS)))
    partner_effect: dict = field(default_factory=dict)
    boot_intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    boot_beta: np.ndarray = field(default_factory=lambda: np.zeros((0, len(FACTORS))))
    boot_effect: dict = field(default_factory=dict)   # partner id -> (B,) offsets, nan if absent
    pull_beta: np.ndarray = field(default_factory=lambda: np.zeros(len(FACTORS)))
    pull_effect: dict = field(default_factory=dict)
    coefficients: tuple[Coefficient, ...] = ()
    held_back: HeldBack | None = None
    last_value: dict = field(default_factory=dict)    # partner id -> latest observed value


@dataclass(frozen=True)
class FittedModel:
    n_partner_waves: int
    n_partners: int
    waves: tuple[str, ...]
    x_mean: np.ndarray
    x_sd: np.ndarray
    indicators: dict[str, IndicatorModel]
    asof: int | None = None
    draws: int = BOOTSTRAP_DRAWS


@dataclass(frozen=True)
class Declined:
    reason: str
    n_partner_waves: int = 0
    n_partners: int = 0


def _to_model_scale(name: str, y: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(y, 0.0)) if name in LOG_INDICATORS else y


def _from_model_scale(name: str, v):
    if name in LOG_INDICATORS:
        return np.maximum(np.expm1(v), 0.0)
    return np.clip(v, 0.0, 1.0)


def _report(name: str, beta_std: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Standardised coefficients -> change per +10 points, in reporting units:
    percentage points for rates, percent change for days."""
    per = beta_std / sd * PER_POINTS
    if name in LOG_INDICATORS:
        return (np.exp(per) - 1.0) * 100.0
    return per * 100.0


def _last_values(cursor, asof) -> dict[str, dict[int, float]]:
    ind = evidence.indicators(cursor, asof=asof)
    ind = ind[ind["indicator"].isin(MODEL_INDICATORS) & ind["value"].notna() & (ind["count"] > 0)]
    ind = ind.sort_values("wave_start")
    last = ind.groupby(["indicator", "partner_id"])["value"].last()
    return {name: {int(p): float(v) for (i, p), v in last.items() if i == name}
            for name in MODEL_INDICATORS}


def _fit_indicator(name: str, rows: pd.DataFrame, x_mean, x_sd, rng: np.random.Generator,
                   draws: int, min_partner_waves: int, min_partners: int,
                   hold_waves: tuple[str, ...]) -> IndicatorModel:
    meta = evidence.INDICATORS_BY_NAME[name]
    unit = "days" if name in LOG_INDICATORS else "share"
    base = dict(indicator=name, label=meta.label, unit=unit, good=meta.good,
                log=name in LOG_INDICATORS)
    use = rows[rows[name].notna() & (rows[f"{name}_count"] > 0)]
    n, partners = len(use), int(use["partner_id"].nunique())
    if n < min_partner_waves or partners < min_partners:
        return IndicatorModel(**base, n=n, partners=partners, declined=(
            f"only {n} partner-waves from {partners} partners have a {meta.label.lower()} value "
            f"in the next period (needs {min_partner_waves} from {min_partners})"))
    z = (use[list(FACTORS)].to_numpy(dtype="float64") - x_mean) / x_sd
    y = _to_model_scale(name, use[name].to_numpy(dtype="float64"))
    w = np.sqrt(use[f"{name}_count"].to_numpy(dtype="float64"))
    groups = use["partner_id"].to_numpy(dtype="int64")
    lam = _penalty(z, groups, y, w)
    model = _fit_ridge(z, groups, y, w, lam)

    # partner-clustered bootstrap: resampled partners become distinct clusters
    ids = np.unique(groups)
    members = {g: np.flatnonzero(groups == g) for g in ids}
    b_icpt = np.empty(draws)
    b_beta = np.empty((draws, len(FACTORS)))
    b_eff = {int(g): np.full(draws, np.nan) for g in ids}
    for b in range(draws):
        picks = rng.choice(ids, size=len(ids), replace=True)
        idx = np.concatenate([members[g] for g in picks])
        clusters = np.concatenate([np.full(len(members[g]), j) for j, g in enumerate(picks)])
        fit = _fit_ridge(z[idx], clusters, y[idx], w[idx], lam)
        b_icpt[b], b_beta[b] = fit.intercept, fit.beta
        for g in set(picks.tolist()):
            copies = [j for j, p in enumerate(picks) if p == g]
            b_eff[int(g)][b] = float(np.mean([fit.partner_effect[j] for j in copies]))
    pull_beta, pull_effect = _shrinkage(z, groups, w, lam, model)
    reported = _report(name, model.beta, x_sd)
    lows, highs = _widened(model.beta, b_beta, len(ids), pull_beta)
    lows, highs = _report(name, lows, x_sd), _report(name, highs, x_sd)
    coefficients = tuple(Coefficient(f, float(reported[j]), float(lows[j]), float(highs[j]))
                         for j, f in enumerate(FACTORS))
    return IndicatorModel(
        **base, n=n, partners=partners, lam=lam, intercept=model.intercept, beta=model.beta,
        partner_effect=model.partner_effect, boot_intercept=b_icpt, boot_beta=b_beta,
        boot_effect=b_eff, pull_beta=pull_beta, pull_effect=pull_effect,
        coefficients=coefficients,
        held_back=_held_back(name, use, x_mean, x_sd, hold_waves, min_partner_waves))


def _held_back(name, use: pd.DataFrame, x_mean, x_sd, hold_waves, min_rows) -> HeldBack | None:
    test = use[use["next_wave"].isin(hold_waves)]
    train = use[~use["next_wave"].isin(hold_waves)]
    if test.empty or len(train) < max(min_rows // 2, 6) or train["partner_id"].nunique() < 2:
        return None
    zt = (train[list(FACTORS)].to_numpy(dtype="float64") - x_mean) / x_sd
    yt = _to_model_scale(name, train[name].to_numpy(dtype="float64"))
    wt = np.sqrt(train[f"{name}_count"].to_numpy(dtype="float64"))
    gt = train["partner_id"].to_numpy(dtype="int64")
    model = _fit_ridge(zt, gt, yt, wt, _penalty(zt, gt, yt, wt))
    zs = (test[list(FACTORS)].to_numpy(dtype="float64") - x_mean) / x_sd
    pred = _from_model_scale(name, _predict_rows(model, zs, test["partner_id"].to_numpy()))
    actual = test[name].to_numpy(dtype="float64")
    mean = float(np.average(train[name].to_numpy(dtype="float64"), weights=wt))
    last = test[f"{name}_now"].to_numpy(dtype="float64")
    last = np.where(np.isnan(last), mean, last)
    return HeldBack(tuple(hold_waves), len(test), float(np.mean(np.abs(pred - actual))),
                    float(np.mean(np.abs(last - actual))), float(np.mean(np.abs(mean - actual))))


def fit_panel(rows: pd.DataFrame, *, min_partner_waves: int = MIN_PARTNER_WAVES,
              min_partners: int = MIN_PARTNERS, draws: int = BOOTSTRAP_DRAWS,
              seed: int = SEED, asof: int | None = None,
              last_values: dict | None = None) -> FittedModel | Declined:
    """Fit the model to a ``panel()`` frame (see the module docstring)."""
    n, partners = len(rows), int(rows["partner_id"].nunique()) if len(rows) else 0
    if n < min_partner_waves or partners < min_partners:
        return Declined(
            f"The programme's history is too short to project delivery: {n} partner-waves with "
            f"shown scores and a following period, from {partners} partners. The model needs at "
            f"least {min_partner_waves} partner-waves from {min_partners} partners.", n, partners)
    x = rows[list(FACTORS)].to_numpy(dtype="float64")
    x_mean = x.mean(0)
    x_sd = x.std(0)
    x_sd = np.where(x_sd > 1e-9, x_sd, 1.0)
    waves = tuple(dict.fromkeys(rows["wave"].tolist()))
    outcome_waves = list(dict.fromkeys(rows["next_wave"].tolist()))
    hold = tuple(outcome_waves[-2:] if len(outcome_waves) >= 6 else outcome_waves[-1:])
    rng = np.random.default_rng(seed)
    models = {}
    for name in MODEL_INDICATORS:
        model = _fit_indicator(name, rows, x_mean, x_sd, rng, draws, min_partner_waves,
                               min_partners, hold)
        if last_values is not None:
            model = _replace(model, last_value=last_values.get(name, {}))
        models[name] = model
    return FittedModel(n, partners, waves, x_mean, x_sd, models, asof, draws)


def _replace(model: IndicatorModel, **changes) -> IndicatorModel:
    from dataclasses import replace
    return replace(model, **changes)


def fit(cursor, asof: int | None = None, *, min_partner_waves: int = MIN_PARTNER_WAVES,
        min_partners: int = MIN_PARTNERS, k: int | None = None,
        draws: int = BOOTSTRAP_DRAWS, seed: int = SEED) -> FittedModel | Declined:
    """Fit the delivery model to the programme's history as of ``asof``."""
    rows = panel(cursor, asof=asof, k=k)
    return fit_panel(rows, min_partner_waves=min_partner_waves, min_partners=min_partners,
                     draws=draws, seed=seed, asof=asof, last_values=_last_values(cursor, asof))


# -- projection ----------------------------------------------------------------

PROJECTION_COLUMNS = ["indicator", "label", "unit", "good", "last_value", "current", "projected",
                      "low", "high", "change", "n", "partners", "declined"]


def project(model: FittedModel, partner_current: Mapping[str, float],
            deltas: Mapping[str, float], partner_id: int | None = None) -> pd.DataFrame:
    """Per indicator: the expected next-period value at the current scores (``current``),
    with the scores moved by ``deltas`` (``projected``, with its 95% bootstrap interval
    ``low``..``high``), and ``change`` = projected - current. ``last_value`` is the
    partner's latest observed value. A declined indicator has only ``declined`` set."""
    moved = moved_scores(partner_current, deltas)
    z_now = (np.array([float(partner_current[f]) for f in FACTORS]).clip(0, 100)
             - model.x_mean) / model.x_sd
    z_new = (np.array([moved[f] for f in FACTORS]) - model.x_mean) / model.x_sd
    rows = []
    for name, m in model.indicators.items():
        last = m.last_value.get(int(partner_id), np.nan) if partner_id is not None else np.nan
        row = dict(indicator=name, label=m.label, unit=m.unit, good=m.good, last_value=last,
                   n=m.n, partners=m.partners, declined=m.declined)
        if m.declined:
            rows.append({**row, "current": np.nan, "projected": np.nan, "low": np.nan,
                         "high": np.nan, "change": np.nan})
            continue
        effect = m.partner_effect.get(int(partner_id), 0.0) if partner_id is not None else 0.0
        now = _from_model_scale(name, m.intercept + effect + z_now @ m.beta)
        new = _from_model_scale(name, m.intercept + effect + z_new @ m.beta)
        if partner_id is not None and int(partner_id) in m.boot_effect:
            b_eff = np.nan_to_num(m.boot_effect[int(partner_id)], nan=0.0)
        else:
            b_eff = 0.0
        point = m.intercept + effect + z_new @ m.beta
        draws = m.boot_intercept + b_eff + m.boot_beta @ z_new
        pull = z_new @ m.pull_beta + (m.pull_effect.get(int(partner_id), 0.0)
                                      if partner_id is not None else 0.0)
        low, high = _widened(np.array([point]), draws[:, None], m.partners, np.array([pull]))
        rows.append({**row, "current": float(now), "projected": float(new),
                     "low": float(_from_model_scale(name, low[0])),
                     "high": float(_from_model_scale(name, high[0])),
                     "change": float(new - now)})
    frame = pd.DataFrame(rows, columns=PROJECTION_COLUMNS)
    # object, so a projected indicator's reason is None (pandas 3 would make it a NaN string column)
    frame["declined"] = pd.Series([r["declined"] for r in rows], index=frame.index, dtype=object)
    return frame


def coefficients_frame(model: FittedModel) -> pd.DataFrame:
    """Long table of the fitted effects per +10 points, with intervals, for display."""
    rows = []
    for name, m in model.indicators.items():
        for c in m.coefficients:
            rows.append(dict(indicator=name, label=m.label, factor=c.factor,
                             factor_label=FACTOR_LABELS[c.factor],
                             unit="% change" if m.log else "percentage points",
                             estimate=c.estimate, low=c.low, high=c.high,
                             spans_zero=c.low <= 0 <= c.high))
    return pd.DataFrame(rows, columns=["indicator", "label", "factor", "factor_label", "unit",
                                       "estimate", "low", "high", "spans_zero"])
