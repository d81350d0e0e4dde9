"""A what-if scenario as the What-if page and ``python -m pipelines whatif`` show it: one
partner's collaboration index now and with its factor scores moved, its band (the score's,
``factors.band_of``, as on every page) and the bands its interval reaches, and each delivery
indicator's next-period projection from ``whatif``'s within-partner model, or why there is none
(``whatif.Status``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.programme.factors import FACTOR_LABELS, FACTORS, band_of
from pipelines.query import evidence, scores, warm
from pipelines.query.whatif import (
    LOG_INDICATORS,
    MODEL_INDICATORS,
    PLAIN_WORDS,
    Declined,
    FittedModel,
    HeldBack,
    Status,
    current_scores,
    last_values,
    normalised,
    project,
    project_index,
    weighted_index,
)


@dataclass(frozen=True)
class IndicatorProjection:
    indicator: str
    label: str
    unit: str
    good: str
    now: float          # the partner's latest observed value
    expected: float     # next period at the current scores (projected status only)
    projected: float    # next period with the scenario (projected status only)
    low: float
    high: float
    status: Status
    reason: str | None  # why there is no projection
    held_back: HeldBack | None


@dataclass(frozen=True)
class Scenario:
    partner: str
    partner_id: int
    wave: str | None
    deltas: dict[str, float]
    weights: dict[str, float]
    shown: bool
    reason: str | None              # why the partner's scores are not shown
    index_now: float = float("nan")
    index_projected: float = float("nan")
    index_low: float = float("nan")
    index_high: float = float("nan")
    band: str | None = None         # factors.band_of the projected index
    band_now: str | None = None     # ... of the index now
    band_reach: tuple[str, str] | None = None      # the bands of the projected interval's ends
    band_now_reach: tuple[str, str] | None = None  # ... of today's interval's ends
    indicators: tuple[IndicatorProjection, ...] = ()
    model: str | None = None        # what the delivery model rests on, or why there is none

    def as_json(self) -> dict:
        """The command line's record (plain JSON types, NaN as null)."""
        def number(v):
            return None if v is None or v != v or np.isinf(v) else round(float(v), 4)

        def span(low, high):
            return None if number(low) is None else [number(low), number(high)]

        return {
            "partner": self.partner, "wave": self.wave, "shown": self.shown,
            "reason": self.reason, "deltas": self.deltas, "weights": self.weights,
            "index": {"now": number(self.index_now), "projected": number(self.index_projected),
                      "interval": span(self.index_low, self.index_high)},
            "band": self.band, "band_now": self.band_now,
            "band_interval": None if self.band_reach is None else list(self.band_reach),
            "band_now_interval": None if self.band_now_reach is None else list(self.band_now_reach),
            "model": self.model,
            "indicators": [{
                "indicator": i.indicator, "label": i.label, "unit": i.unit,
                "now": number(i.now), "expected": number(i.expected),
                "projected": number(i.projected), "interval": span(i.low, i.high),
                "status": i.status.value, "reason": i.reason,
                "held_back": None if i.held_back is None else {
                    "waves": list(i.held_back.waves), "forecasts": i.held_back.n,
                    "mae_model": number(i.held_back.mae_model),
                    "mae_naive": number(i.held_back.mae_naive), "naive": i.held_back.naive,
                    "p_value": number(i.held_back.p_value)}}
                for i in self.indicators],
        }


def scenario(cursor, partner: str, deltas: Mapping[str, float] | None = None,
             weights: Mapping[str, float] | None = None, *, asof: int | None = None,
             k: int | None = None, model: FittedModel | Declined | None = None,
             current: pd.DataFrame | None = None,
             thresholds: tuple[float, float] | None = None,
             index_of: Callable[[int, str, Mapping[str, float]], pd.DataFrame] | None = None) -> Scenario:
    """A partner's what-if: its index now and moved by ``deltas`` (points per factor; the
    others stay) with ``weights`` (default: the setting), its band and its interval's, and
    each delivery indicator's next-period projection or why there is none. ``model`` and
    ``current`` (``fit`` and ``current_scores`` of the same data) save refitting on every
    slider move; ``index_of(partner_id, wave, weights)`` (``scores.index_scores`` of the partner
    in that wave at those weights, by default read here) saves re-reading it: it depends on the
    weights only, not on the moves."""
    thresholds = thresholds or settings.band_thresholds()
    deltas = {f: float(v) for f, v in (deltas or {}).items() if float(v or 0.0)}
    unknown = set(deltas) - set(FACTORS)
    if unknown:
        raise ValueError(f"Unknown factor '{sorted(unknown)[0]}'. Choose from: {', '.join(FACTORS)}.")
    weights = {**settings.index_weights(), **(weights or {})}
    normalised(weights)  # refuses all-zero weights in plain words
    current = current_scores(cursor, asof=asof, k=k) if current is None else current
    mine = current[current["partner"] == partner]
    if mine.empty:
        raise ValueError(f"No partner named '{partner}'. Partners: "
                         f"{', '.join(current['partner'])}.")
    row = mine.iloc[0]
    pid, wave = int(row["partner_id"]), row["wave"]
    base = dict(partner=partner, partner_id=pid, wave=wave, deltas=deltas, weights=weights)
    if bool(row["suppressed"]):
        return Scenario(**base, shown=False, reason=str(row["reason"]))
    scores_now = {f: float(row[f]) for f in FACTORS}
    missing = unscored(scores_now, weights, partner, wave)
    if missing:
        return Scenario(**base, shown=False, reason=missing)
    now = weighted_index(scores_now, weights)
    projected, _ = project_index(scores_now, deltas, weights, thresholds)
    index = (partner_index(cursor, asof, k, pid, wave, weights) if index_of is None
             else index_of(pid, wave, weights))
    low, high = (float(index[c].iloc[0]) if len(index) else np.nan for c in ("ci_low", "ci_high"))
    shift = projected - now
    moved_low, moved_high = (float(np.clip(v + shift, 0.0, 100.0)) for v in (low, high))
    model = warm.whatif_model(cursor, asof, k=k) if model is None else model
    return Scenario(**base, shown=True, reason=None, index_now=now, index_projected=projected,
                    index_low=moved_low, index_high=moved_high,
                    band=band_of(projected, thresholds), band_now=band_of(now, thresholds),
                    band_reach=_reach(projected, moved_low, moved_high, thresholds),
                    band_now_reach=_reach(now, low, high, thresholds),
                    indicators=_indicator_projections(
                        model, scores_now, deltas, pid,
                        last_values(cursor, asof) if isinstance(model, Declined) else {}),
                    model=_model_text(model))


def unscored(now: Mapping[str, float], weights: Mapping[str, float], partner: str, wave: str) -> str | None:
    """Why the index cannot be projected with these weights: a weighted factor with no score shown
    (a factor outside the index may have none: an instrument without it)."""
    missing = [FACTOR_LABELS[f] for f in FACTORS if now[f] != now[f] and weights[f] > 0]
    if not missing:
        return None
    return (f"{' and '.join(missing)} {'has' if len(missing) == 1 else 'have'} no score shown for {partner} "
            f"in {wave}. Give {'it' if len(missing) == 1 else 'them'} weight 0 to project the index from the "
            "other factors.")


def partner_index(cursor, asof: int | None, k: int | None, partner_id: int, wave: str,
                  weights: Mapping[str, float]) -> pd.DataFrame:
    """The partner's index in ``wave`` at ``weights``, with its interval (``scores.index_scores``)."""
    return scores.index_scores(cursor, asof=asof, k=k, partners=[partner_id], waves=[wave],
                               weights=dict(weights), programme=False)


def _reach(score: float, low: float, high: float,
           thresholds: tuple[float, float]) -> tuple[str, str]:
    """The bands of an interval's ends (the score's own band for a missing end: a group of one)."""
    return tuple(band_of(score if v != v else v, thresholds) for v in (low, high))


def _indicator_projections(model, scores_now, deltas, pid,
                           last: dict) -> tuple[IndicatorProjection, ...]:
    if isinstance(model, Declined):
        return tuple(IndicatorProjection(
            name, evidence.INDICATORS_BY_NAME[name].label,
            "days" if name in LOG_INDICATORS else "share", evidence.INDICATORS_BY_NAME[name].good,
            last.get(name, {}).get(pid, np.nan), np.nan, np.nan, np.nan, np.nan,
            Status.NO_RELIABLE_PROJECTION, model.reason, None) for name in MODEL_INDICATORS)
    frame = project(model, scores_now, deltas, pid)
    return tuple(IndicatorProjection(
        r.indicator, r.label, r.unit, r.good, r.last_value, r.current, r.projected, r.low,
        r.high, Status(r.status), r.declined, model.indicators[r.indicator].held_back)
        for r in frame.itertuples(index=False))


def _model_text(model) -> str:
    if isinstance(model, Declined):
        return model.reason
    return (f"Partner fixed effects fitted to {model.n_partner_waves} partner-waves from "
            f"{model.n_partners} partners (waves {model.waves[0]} to {model.waves[-1]}, each "
            f"followed by the next period's delivery). {PLAIN_WORDS}")
