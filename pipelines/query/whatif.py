"""What-if: a partner's projected index, and what this programme's own history says would
follow in its delivery and issues if the partner's own factor scores moved.

Pure library (numpy, pandas, statsmodels; no Streamlit). Survey data comes only through
``scores.factor_scores`` / ``scores.index_scores``: suppressed groups never enter the model,
so nothing hidden can be worked back out of a coefficient or a projection. METHOD.md has
the formulas.

The index
---------
``project_index`` moves the partner's current factor scores by the slider deltas,
clamps each to 0..100, and takes the weighted mean with the (normalised) weights. Its
interval is the partner's current index interval moved by the same amount; its band is the
score's (``factors.band_of``, as on every page), and the page says which bands the interval reaches.

The delivery model: within partners
-----------------------------------
Question: if THIS partner's factor scores moved, what would its delivery and issue
indicators be in the NEXT period (``on_time_rate``, ``median_days_to_resolve``,
``escalation_rate`` from ``evidence.indicators``)? Partners differ in the kind of work
they do, and a programme often shows delivery differing between partners in step with
their survey levels; that says nothing about what happens when one partner's own scores
move. So each indicator is fitted with **partner fixed effects** (one intercept per partner,
by the within transformation, then statsmodels WLS): the factor coefficients come only from
movement within partners over time, and a slider move means "if this partner's own score
moved". Fitted once per data content (the pages cache ``fit``); a slider move only
evaluates ``project``.

* y(partner, t+1) = a(partner) + b . scores(partner, t) + e; days to resolve as
  log(1 + days) (skewed; keeps projections >= 0), rates as they are and clamped to 0..1.
* Each partner-wave is weighted by the count its next-period value rests on (milestones
  due, issues raised): a rate from 12 issues is firmer than one from 1.
* Intervals come from the model: the coefficients' partner-clustered (sandwich) covariance
  (``cov_type="cluster"``, t with partners - 1 degrees of freedom), which allows for any
  correlation within a partner over time, plus the uncertainty of the partner's own level
  (residual variance / its total weight).
* **Validated in time order against naive forecasts**: for every outcome wave after the
  first ``MIN_TRAINING_WAVES``, refit on the waves before it and forecast it; compare
  the absolute errors with three naive forecasts (the partner's latest value, its own mean
  so far, the programme mean so far) and take the best of them. The model counts as
  reliable only when its mean absolute error is lower and a one-sided paired t-test on the
  per-forecast differences (Diebold-Mariano) gives p < ``BEATS_NAIVE_P``, on at least
  ``MIN_HELD_BACK`` forecasts. Otherwise the indicator says "no reliable projection", with
  the numbers.
* **Observed range**: a slider that takes a factor outside the range of that factor in
  the model's data, or further from the partner's own average than any partner's score has
  been from its own, says "outside observed range" and projects nothing there.
* **Minimum history**: at least ``MIN_PARTNER_WAVES`` partner-waves whose factor scores are
  shown and that have a next period, from at least ``MIN_PARTNERS`` partners; otherwise
  ``fit`` returns ``Declined``. An indicator with too few observed values is declined on
  its own.

The within-partner association is the programme's own history, not a causal effect; the
latest period's days to resolve censor issues still open (Kaplan-Meier) and are provisional.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.programme.factors import FACTOR_LABELS, FACTORS, band_of
from pipelines.query import evidence, scores
from pipelines.store.versions import visible

MODEL_INDICATORS: tuple[str, ...] = ("on_time_rate", "median_days_to_resolve", "escalation_rate")
LOG_INDICATORS = frozenset({"median_days_to_resolve"})
MIN_PARTNER_WAVES = 12
MIN_PARTNERS = 3
MIN_TRAINING_WAVES = 3  # outcome waves a forecast is fitted on before it is made
MIN_HELD_BACK = 10     # forecasts the validation needs before it can say anything
BEATS_NAIVE_P = 0.05   # one-sided p the model's advantage over the best naive forecast needs
PER_POINTS = 10.0      # coefficients are reported per this many points of a factor
DELTA_RANGE = (-30, 30)
PLAIN_WORDS = ("This is an association in this programme's own history, not a promise: when "
               "a partner's own scores moved like this, its delivery in the next period moved "
               "like this.")


class Status(StrEnum):
    PROJECTED = "projected"
    NO_RELIABLE_PROJECTION = "no reliable projection"
    OUTSIDE_OBSERVED_RANGE = "outside observed range"


class Check(StrEnum):
    """What an indicator's model came to in the held-back check (``IndicatorModel.check``); the
    sentence with its numbers is ``unreliable_reason``'s."""
    PASSED = "passed"            # clearly better than the best naive forecast: it projects
    DECLINED = "declined"        # not fitted (``IndicatorModel.declined`` says why)
    NO_HISTORY = "no history"    # too few waves of outcomes to hold any back
    TOO_FEW = "too few"          # fewer than MIN_HELD_BACK held-back forecasts
    FAILED = "failed"            # checked, and not clearly better than the naive forecast


# -- the index -----------------------------------------------------------------

def normalised(weights: Mapping[str, float]) -> dict[str, float]:
    w = {f: max(float(weights.get(f, 0.0) or 0.0), 0.0) for f in FACTORS}
    total = sum(w.values())
    if total <= 0:
        raise ValueError("At least one index weight must be above zero.")
    return {f: v / total for f, v in w.items()}


def moved_scores(current: Mapping[str, float], deltas: Mapping[str, float]) -> dict[str, float]:
    """Current factor scores moved by the deltas, each clamped to 0..100."""
    return {f: moved_score(current[f], deltas.get(f, 0.0)) for f in FACTORS}


def moved_score(score: float, delta: float | None) -> float:
    """One factor score moved by ``delta``, clamped to 0..100."""
    return float(np.clip(float(score) + float(delta or 0.0), 0.0, 100.0))


def weighted_index(factor_scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return _weighted(factor_scores, normalised(weights))


def weighted_indexes(frame: pd.DataFrame, weights: Mapping[str, float]) -> list[float]:
    """``weighted_index`` of each row of ``frame`` (its factor columns), the weights
    normalised once."""
    w = normalised(weights)
    return [_weighted(dict(zip(FACTORS, values)), w) for values in zip(*(frame[f].tolist() for f in FACTORS))]


def _weighted(factor_scores: Mapping[str, float], w: Mapping[str, float]) -> float:
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
    scores, each one's respondents (``n_<factor>``), suppressed, reason. A partner with a factor
    of the index (a positive weight in the settings) hidden or absent is suppressed and carries no
    scores and no n; a factor outside the index that is hidden or absent (an instrument without
    it) has no score and no n, and the others stand."""
    wave = scores.latest_wave(cursor, asof)
    counts = [f"n_{f}" for f in FACTORS]
    columns = ["partner_id", "partner", "wave", *FACTORS, *counts, "suppressed", "reason"]
    known = scores.partners(cursor)
    if wave is None:
        return pd.DataFrame({"partner_id": known["partner_id"], "partner": known["name"],
                             "wave": None, **{f: np.nan for f in (*FACTORS, *counts)},
                             "suppressed": True, "reason": "no survey responses yet"})[columns]
    frame = scores.factor_scores(cursor, asof=asof, k=k, waves=[wave], programme=False)
    wide = frame.pivot_table(index="partner_id", columns="factor", values="score",
                             aggfunc="first", dropna=False)
    n = frame.pivot_table(index="partner_id", columns="factor", values="n", aggfunc="first", dropna=False)
    weighted = {f for f, w in settings.index_weights().items() if w > 0}
    indexed = frame[frame["factor"].isin(weighted)]
    reasons = (indexed[indexed["suppressed"]].groupby("partner_id")["suppression_reason"]
               .agg(lambda s: sorted(set(s))[0]))
    rows = []
    for pid, name in zip(known["partner_id"], known["name"]):
        pid = int(pid)
        values = {f: (float(wide.at[pid, f]) if pid in wide.index and f in wide.columns
                      and pd.notna(wide.at[pid, f]) else np.nan) for f in FACTORS}
        if pid not in wide.index:
            suppressed, reason = True, f"no survey responses in {wave}"
        elif pid in reasons.index or any(np.isnan(values[f]) for f in weighted):
            suppressed, reason = True, reasons.get(pid, "not every factor of the index is shown")
        else:
            suppressed, reason = False, None
        if suppressed:
            values = {f: np.nan for f in FACTORS}
        values |= {f"n_{f}": np.nan if np.isnan(values[f]) else float(n.at[pid, f]) for f in FACTORS}
        rows.append({"partner_id": pid, "partner": name, "wave": wave, **values,
                     "suppressed": suppressed, "reason": reason})
    return pd.DataFrame(rows, columns=columns)


# -- the panel -----------------------------------------------------------------

def panel(cursor, *, asof: int | None = None, k: int | None = None,
          indicators: pd.DataFrame | None = None) -> pd.DataFrame:
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
    # an instrument without a factor has no column of it: no partner-wave has all five
    wide = factors.pivot_table(index=["partner_id", "wave"], columns="factor", values="score",
                               aggfunc="first").reindex(columns=list(FACTORS)).dropna().reset_index()
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
    ind = evidence.indicators(cursor, asof=asof) if indicators is None else indicators
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


# -- the model -------------------------------------------------------------------

@dataclass(frozen=True)
class Coefficient:
    factor: str
    estimate: float   # change per +10 points of the factor (rate points, or % for days)
    low: float
    high: float


@dataclass(frozen=True)
class HeldBack:
    """The validation in time order: the held-back waves' forecasts by the model and by the
    naive forecasts, mean absolute errors in the indicator's unit (shares 0-1, days)."""
    waves: tuple[str, ...]   # the outcome waves forecast
    n: int
    mae_model: float
    mae_last_value: float
    mae_own_mean: float
    mae_programme_mean: float
    p_value: float           # one-sided paired t-test: the model's errors are smaller

    @property
    def naive(self) -> str:
        """The best naive forecast, the one the model has to beat."""
        errors = {"the partner's latest value": self.mae_last_value,
                  "the partner's own mean": self.mae_own_mean,
                  "the programme mean": self.mae_programme_mean}
        return min(errors, key=errors.get)

    @property
    def mae_naive(self) -> float:
        return min(self.mae_last_value, self.mae_own_mean, self.mae_programme_mean)

    @property
    def beats_naive(self) -> bool:
        return (self.n >= MIN_HELD_BACK and self.mae_model < self.mae_naive
                and self.p_value < BEATS_NAIVE_P)


@dataclass(frozen=True)
class IndicatorModel:
    indicator: str
    label: str
    unit: str                 # 'share' or 'days'
    good: str
    n: int = 0
    partners: int = 0
    declined: str | None = None
    log: bool = False
    beta: np.ndarray = field(default_factory=lambda: np.zeros(len(FACTORS)))  # per point
    cov: np.ndarray = field(default_factory=lambda: np.zeros((len(FACTORS), len(FACTORS))))
    df: float = float("nan")  # t degrees of freedom of the intervals (partners - 1)
    scale: float = float("nan")  # residual variance at unit weight
    levels: dict = field(default_factory=dict)  # partner id -> (mean y, mean scores, weight)
    coefficients: tuple[Coefficient, ...] = ()
    held_back: HeldBack | None = None
    last_value: dict = field(default_factory=dict)   # partner id -> latest observed value

    @property
    def check(self) -> Check:
        held = self.held_back
        if self.declined:
            return Check.DECLINED
        if held is None:
            return Check.NO_HISTORY
        if held.n < MIN_HELD_BACK:
            return Check.TOO_FEW
        return Check.PASSED if held.beats_naive else Check.FAILED

    @property
    def reliable(self) -> bool:
        return self.check is Check.PASSED


@dataclass(frozen=True)
class FittedModel:
    n_partner_waves: int
    n_partners: int
    waves: tuple[str, ...]
    indicators: dict[str, IndicatorModel]
    x_min: np.ndarray          # the observed range of each factor in the model's data
    x_max: np.ndarray
    partner_means: dict        # partner id -> its mean scores (5,)
    max_deviation: np.ndarray  # furthest any partner's score has been from its own mean
    asof: int | None = None


@dataclass(frozen=True)
class Declined:
    reason: str
    n_partner_waves: int = 0
    n_partners: int = 0


def _to_model_scale(name: str, y):
    return np.log1p(np.maximum(y, 0.0)) if name in LOG_INDICATORS else y


def _from_model_scale(name: str, v):
    return np.maximum(np.expm1(v), 0.0) if name in LOG_INDICATORS else np.clip(v, 0.0, 1.0)


def _within(x: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray, robust: bool):
    """Weighted least squares with one intercept per partner, by the within transformation:
    each partner's weighted means are taken out of its scores and outcomes and statsmodels
    WLS is fitted to what is left (the same b as WLS on partner dummies, without a design
    matrix of one column per partner: on 200 partners that took 2.5 s per fit in its SVD).
    Returns (b, covariance, residual variance, levels {partner: (mean y, mean scores,
    weight)}). With ``robust`` the covariance is partner-clustered (statsmodels' small-sample
    factor; the partner intercepts are nested in the clusters, so they are not counted
    there, as Stata's xtreg, fe does) and the residual variance counts them (N - K - G);
    without it both are None/NaN (a held-back refit needs only b)."""
    # the module, not statsmodels.api (1.4 s of imports: graphics, time series)
    from statsmodels.regression.linear_model import WLS

    labels, codes = np.unique(groups, return_inverse=True)
    weight = np.bincount(codes, weights=w)
    y_mean = np.bincount(codes, weights=w * y) / weight
    x_mean = np.column_stack([np.bincount(codes, weights=w * x[:, j])
                              for j in range(x.shape[1])]) / weight[:, None]
    levels = {int(g): (float(y_mean[c]), x_mean[c], float(weight[c]))
              for c, g in enumerate(labels)}
    # hasconst=False: the within transformation leaves no constant, and statsmodels' check for
    # one (a rank SVD per model) was half the fit's time; the estimates do not depend on it
    model = WLS(y - y_mean[codes], x - x_mean[codes], weights=w, hasconst=False)
    if not robust:
        return model.fit().params, None, float("nan"), levels
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    scale = float(fit.ssr / max(len(y) - x.shape[1] - len(labels), 1))
    return fit.params, np.asarray(fit.cov_params()), scale, levels


def _predict(beta: np.ndarray, levels: dict, groups: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Partner's own level moved by b . (scores - its mean scores), on the model scale."""
    y_mean = np.array([levels[int(g)][0] for g in groups])
    x_mean = np.array([levels[int(g)][1] for g in groups]).reshape(len(groups), x.shape[1])
    return y_mean + (x - x_mean) @ beta


def _rows(name: str, use: pd.DataFrame):
    return (use[list(FACTORS)].to_numpy(dtype="float64"),
            _to_model_scale(name, use[name].to_numpy(dtype="float64")),
            use[f"{name}_count"].to_numpy(dtype="float64"),
            use["partner_id"].to_numpy(dtype="int64"))


def _held_back(name: str, use: pd.DataFrame, order: list[str]) -> HeldBack | None:
    """Forecast every outcome wave after the first MIN_TRAINING_WAVES from the waves before it."""
    from scipy import stats

    present = set(use["next_wave"])
    outcome = [w for w in order if w in present]
    at = use["next_wave"].map({w: i for i, w in enumerate(outcome)}).to_numpy(dtype="int64")
    x, y, w, g = _rows(name, use)
    actual = use[name].to_numpy(dtype="float64")
    last = use[f"{name}_now"].to_numpy(dtype="float64")
    errors, waves = [], []
    for i in range(MIN_TRAINING_WAVES, len(outcome)):
        train = at < i
        test = (at == i) & np.isin(g, g[train])
        if not test.any() or len(np.unique(g[train])) < 2:
            continue
        beta, _, _, levels = _within(x[train], y[train], w[train], g[train], robust=False)
        own = _from_model_scale(name, np.array([levels[int(p)][0] for p in g[test]]))
        programme = float(np.average(actual[train], weights=w[train]))
        model = _from_model_scale(name, _predict(beta, levels, g[test], x[test]))
        errors.append(np.abs(np.column_stack([
            model, np.where(np.isnan(last[test]), own, last[test]), own,
            np.full(len(own), programme)]) - actual[test][:, None]))
        waves.append(outcome[i])
    if not errors:
        return None
    e = np.vstack(errors)
    mae = e.mean(axis=0)
    naive = e[:, 1 + int(np.argmin(mae[1:]))]
    with np.errstate(all="ignore"):
        p = stats.ttest_rel(naive, e[:, 0], alternative="greater").pvalue
    return HeldBack(tuple(waves), len(e), float(mae[0]), float(mae[1]), float(mae[2]),
                    float(mae[3]), float(p) if np.isfinite(p) else 1.0)


def _fit_indicator(name: str, rows: pd.DataFrame, order: list[str], min_partner_waves: int,
                   min_partners: int) -> IndicatorModel:
    from scipy import stats

    meta = evidence.INDICATORS_BY_NAME[name]
    base = dict(indicator=name, label=meta.label, good=meta.good, log=name in LOG_INDICATORS,
                unit="days" if name in LOG_INDICATORS else "share")
    use = rows[rows[name].notna() & (rows[f"{name}_count"] > 0)]
    n, partners = len(use), int(use["partner_id"].nunique())
    if n < min_partner_waves or partners < min_partners:
        return IndicatorModel(**base, n=n, partners=partners, declined=(
            f"only {n} partner-waves from {partners} partners have a {meta.label.lower()} value "
            f"in the next period (needs {min_partner_waves} from {min_partners})"))
    x, y, w, g = _rows(name, use)
    beta, cov, scale, levels = _within(x, y, w, g, robust=True)
    df = float(partners - 1)
    half = stats.t.ppf(0.975, df) * np.sqrt(np.clip(np.diag(cov), 0.0, None))
    report = (lambda b: (np.exp(b * PER_POINTS) - 1) * 100) if name in LOG_INDICATORS else \
        (lambda b: b * PER_POINTS * 100)
    coefficients = tuple(Coefficient(f, float(report(beta[j])), float(report(beta[j] - half[j])),
                                     float(report(beta[j] + half[j])))
                         for j, f in enumerate(FACTORS))
    return IndicatorModel(**base, n=n, partners=partners, beta=beta, cov=cov, df=df, scale=scale,
                          levels=levels, coefficients=coefficients,
                          held_back=_held_back(name, use, order))


def fit_panel(rows: pd.DataFrame, *, min_partner_waves: int = MIN_PARTNER_WAVES,
              min_partners: int = MIN_PARTNERS, asof: int | None = None,
              last_values: dict | None = None, order: list[str] | None = None
              ) -> FittedModel | Declined:
    """Fit the model to a ``panel()`` frame (see the module docstring). ``order``: the
    periods in time order (default: as the rows' waves first appear)."""
    n, partners = len(rows), int(rows["partner_id"].nunique()) if len(rows) else 0
    if n < min_partner_waves or partners < min_partners:
        return Declined(
            f"The programme's history is too short to project delivery: {n} partner-waves with "
            f"shown scores and a following period, from {partners} partners. The model needs at "
            f"least {min_partner_waves} partner-waves from {min_partners} partners.", n, partners)
    order = order or list(dict.fromkeys([*rows["wave"], *rows["next_wave"]]))
    x = rows[list(FACTORS)].to_numpy(dtype="float64")
    groups = rows["partner_id"].to_numpy(dtype="int64")
    means = pd.DataFrame(x, columns=list(FACTORS)).groupby(groups).mean()
    deviation = np.abs(x - means.loc[groups].to_numpy()).max(axis=0)
    models = {}
    for name in MODEL_INDICATORS:
        model = _fit_indicator(name, rows, order, min_partner_waves, min_partners)
        models[name] = _replace(model, last_value=(last_values or {}).get(name, {}))
    return FittedModel(n, partners, tuple(dict.fromkeys(rows["wave"].tolist())), models,
                       x.min(axis=0), x.max(axis=0),
                       {int(g): r.to_numpy(dtype="float64") for g, r in means.iterrows()},
                       deviation, asof)


def _replace(model: IndicatorModel, **changes) -> IndicatorModel:
    from dataclasses import replace
    return replace(model, **changes)


def last_values(cursor, asof, indicators: pd.DataFrame | None = None) -> dict[str, dict[int, float]]:
    """Each partner's latest observed value of each modelled indicator (``latest_observed``)."""
    last = latest_observed(evidence.indicators(cursor, asof=asof) if indicators is None else indicators)
    return {name: {int(r.partner_id): float(r.value) for r in last[last["indicator"] == name].itertuples()}
            for name in MODEL_INDICATORS}


def fit(cursor, asof: int | None = None, *, min_partner_waves: int = MIN_PARTNER_WAVES,
        min_partners: int = MIN_PARTNERS, k: int | None = None) -> FittedModel | Declined:
    """Fit the delivery model to the programme's history as of ``asof`` (once per data
    content: the pages cache it)."""
    items_sql, params = visible("instrument_items", asof)
    asked = {f for (f,) in cursor.execute(f"SELECT DISTINCT factor FROM {items_sql} i", params).fetchall()}
    unasked = [FACTOR_LABELS[f].lower() for f in FACTORS if f not in asked]
    if unasked and asked:
        return Declined(f"The delivery model needs all five factors' scores, and the survey instrument has no "
                        f"question on {' or '.join(unasked)}: no delivery projection is made.")
    indicators = evidence.indicators(cursor, asof=asof)
    rows = panel(cursor, asof=asof, k=k, indicators=indicators)
    return fit_panel(rows, min_partner_waves=min_partner_waves, min_partners=min_partners,
                     asof=asof, last_values=last_values(cursor, asof, indicators),
                     order=list(evidence.periods(cursor, asof)["wave"].astype(str)))


# -- projection ------------------------------------------------------------------

PROJECTION_COLUMNS = ["indicator", "label", "unit", "good", "last_value", "current", "projected",
                      "low", "high", "change", "n", "partners", "declined", "status"]


def _span(waves: tuple[str, ...]) -> str:
    return waves[0] if len(waves) == 1 else f"{waves[0]} to {waves[-1]}"


def _error_text(unit: str, value: float) -> str:
    return f"{value:.1f} days" if unit == "days" else f"{value * 100:.1f} pts"


def unreliable_reason(m: IndicatorModel) -> str | None:
    """Why an indicator gives no reliable projection (its ``check``), with the numbers (None when
    it does)."""
    held = m.held_back
    match m.check:
        case Check.PASSED:
            return None
        case Check.DECLINED:
            return m.declined
        case Check.NO_HISTORY:
            return ("too little history to check the model against a naive forecast (it needs "
                    "three waves of outcomes or more)")
        case Check.TOO_FEW:
            return (f"only {held.n} held-back forecasts to check the model against a naive forecast "
                    f"(it needs {MIN_HELD_BACK})")
    return (f"{held_back_verdict(held, m.unit)}, over {held.n} forecasts of {_span(held.waves)}, "
            f"each made from the waves before it (a projection needs p below {BEATS_NAIVE_P:g})")


def held_back_verdict(held: HeldBack, unit: str) -> str:
    """What the time-order check found, with its numbers: whether the model's mean error was
    smaller than the best naive forecast's, and clearly so (one-sided p, METHOD.md section 8)."""
    model, naive = _error_text(unit, held.mae_model), _error_text(unit, held.mae_naive)
    if held.mae_model >= held.mae_naive:
        return (f"the model's error ({model}) was not smaller than the naive forecast's ({naive}, "
                f"{held.naive})")
    clearly = "clearly smaller" if held.p_value < BEATS_NAIVE_P else "not clearly smaller"
    return (f"the model's error ({model}) was {clearly} than the naive forecast's ({naive}, "
            f"{held.naive}; one-sided p {held.p_value:.2f})")


def latest_observed(indicators: pd.DataFrame) -> pd.DataFrame:
    """Each partner's latest period with an observed value of each modelled indicator (a single
    period, not pooled): columns indicator, partner_id, wave, value."""
    ind = indicators[indicators["indicator"].isin(MODEL_INDICATORS) & indicators["value"].notna()
                     & (indicators["count"] > 0)]
    last = ind.sort_values("wave_start").groupby(["indicator", "partner_id"], as_index=False).last()
    return last[["indicator", "partner_id", "wave", "value"]]


def outside_reason(model: FittedModel, partner_id: int, current: Mapping[str, float],
                   deltas: Mapping[str, float]) -> str | None:
    """Why a slider position is outside what this programme has observed (None if inside)."""
    moved = moved_scores(current, deltas)
    own = model.partner_means.get(int(partner_id))
    for j, f in enumerate(FACTORS):
        if not float(deltas.get(f, 0.0) or 0.0):
            continue
        if not model.x_min[j] - 1e-9 <= moved[f] <= model.x_max[j] + 1e-9:
            return (f"{FACTOR_LABELS[f]} would be {moved[f]:.0f}; this programme has observed "
                    f"{model.x_min[j]:.0f} to {model.x_max[j]:.0f}")
        if own is not None and abs(moved[f] - own[j]) > model.max_deviation[j] + 1e-9:
            return (f"{FACTOR_LABELS[f]} would be {moved[f] - own[j]:+.0f} from this partner's own "
                    f"average; no partner's score has been more than "
                    f"{model.max_deviation[j]:.0f} from its own")
    return None


def _expected(m: IndicatorModel, partner_id: int, x: np.ndarray) -> tuple[float, float, float]:
    """Expected next-period value at scores ``x`` with its 95% interval (model scale in,
    indicator scale out)."""
    from scipy import stats

    y_mean, x_mean, weight = m.levels[int(partner_id)]
    d = x - x_mean
    point = y_mean + d @ m.beta
    half = stats.t.ppf(0.975, m.df) * np.sqrt(max(m.scale / weight + d @ m.cov @ d, 0.0))
    return tuple(float(_from_model_scale(m.indicator, v)) for v in (point, point - half,
                                                                       point + half))


def project(model: FittedModel, partner_current: Mapping[str, float],
            deltas: Mapping[str, float], partner_id: int | None = None) -> pd.DataFrame:
    """Per indicator: ``status`` (a ``Status``); when projected, the expected next-period
    value at the current scores (``current``), with the scores moved by ``deltas``
    (``projected``, 95% interval ``low``..``high``) and ``change`` = projected - current;
    otherwise ``declined`` says why, with the numbers. ``last_value``: the partner's latest
    observed value."""
    x_now = np.array([float(partner_current[f]) for f in FACTORS]).clip(0, 100)
    unscored = [FACTOR_LABELS[f].lower() for f, x in zip(FACTORS, x_now) if np.isnan(x)]
    x_new = np.array(list(moved_scores(partner_current, deltas).values()))
    outside = (outside_reason(model, partner_id, partner_current, deltas)
               if partner_id is not None else None)
    rows = []
    for name, m in model.indicators.items():
        pid = None if partner_id is None else int(partner_id)
        row = dict(indicator=name, label=m.label, unit=m.unit, good=m.good,
                   last_value=m.last_value.get(pid, np.nan), n=m.n, partners=m.partners,
                   current=np.nan, projected=np.nan, low=np.nan, high=np.nan, change=np.nan,
                   status=Status.NO_RELIABLE_PROJECTION.value)
        reason = unreliable_reason(m)
        if reason is None and unscored:
            reason = f"the model needs every factor's score, and this partner's {', '.join(unscored)} is not shown"
        if reason is None and pid not in m.levels:
            reason = "this partner has no history in the model (no wave with a following period)"
        if reason is None and outside is not None:
            reason, row["status"] = outside, Status.OUTSIDE_OBSERVED_RANGE.value
        if reason is None:
            now, _, _ = _expected(m, pid, x_now)
            new, low, high = _expected(m, pid, x_new)
            row |= dict(current=now, projected=new, low=low, high=high, change=new - now,
                        status=Status.PROJECTED.value)
        rows.append(row | {"declined": reason})
    frame = pd.DataFrame(rows, columns=PROJECTION_COLUMNS)
    # object, so a projected indicator's reason is None (pandas 3 would make it a NaN string column)
    frame["declined"] = pd.Series([r["declined"] for r in rows], index=frame.index, dtype=object)
    return frame


def coefficients_frame(model: FittedModel) -> pd.DataFrame:
    """Long table of the fitted within-partner effects per +10 points, with intervals."""
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
