"""The query layer over survey responses: scores, intervals and suppression.

This is the only module that reads ``survey_responses``. Everything it returns has
already been through the anonymity rules below, so callers (pages, exports, the
command line, ``evidence.agreement``) cannot show what must stay hidden.

How a score is made
-------------------
1. An answer on its item's scale ``[scale_min, scale_max]`` becomes 0..100:
   ``(value - scale_min) / (scale_max - scale_min) * 100``; a reverse-scored item is
   then flipped (``100 - x``).
2. A respondent's factor score is the mean of their answered items in that factor
   (skipped items are simply absent).
3. A group (partner x wave x factor, and the programme = all partners x wave x factor)
   has ``score`` = mean over its respondents, ``n`` respondents, and a 95% interval
   ``mean +/- t(0.975, n-1) * sd / sqrt(n)``, clipped to 0..100 for display. ``t`` comes
   from a table for df < 30 and a Cornish-Fisher expansion of the normal quantile from
   df 30 on (error < 0.001). ``band`` is ``factors.band_of(score)``.

Suppression (privacy)
---------------------
Within each wave x factor, the programme total is exactly the sum of the partner
groups (n and n x mean), because the programme group is aggregated from the same
respondent-factor rows. So:

* primary: a group (partner or programme) with ``n < k`` is hidden,
  reason ``Suppression.SMALL_GROUP``;
* complementary: when exactly one partner group is primarily hidden and the total is
  shown, the smallest shown partner group (ties: lowest partner_id) is hidden too,
  so ``total - shown partners`` is the sum of two hidden groups, never one. If no
  other partner group is shown the programme total is hidden instead. Reason:
  ``Suppression.COMPLEMENT``. With two or
  more primary groups the difference already mixes at least two hidden groups.
* a hidden row has ``score``, ``n``, ``ci_low``, ``ci_high`` and ``band`` all missing.
* the collaboration index of a group is hidden when any of its factors is hidden
  (the index ``n`` is the smallest factor ``n``, so it would otherwise carry the
  hidden factor's n); the programme index likewise.
* filters (``partners=``, ``waves=``) are applied after suppression has been decided
  over all partners, so a filtered view never un-hides anything.

Known limit: someone who knows this rule can bound a secondary group's n (it is at
least k and at most the smallest shown partner's n); with ties at k that can pin the
primary group's n (never its mean). Differences between two pinned versions of the
data (``asof``) are not protected either.

Collaboration index
-------------------
Weighted mean of the five factor scores (``settings.index_weights()`` unless
``weights=`` is passed), for groups that have every factor with a positive weight.
``n`` is the smallest factor n. Its interval is the same weighted mean of the factor
interval bounds: that is the exact interval if the factor errors were perfectly
correlated and wider than the truth otherwise, so it is conservative.

Change since the previous wave
------------------------------
``change = score - previous score`` against the programme's previous wave (by
``wave_start``), only when both groups are shown. ``beyond_uncertainty`` is True when
``|change| > 1.96 * sqrt(se1^2 + se2^2)`` with ``se = sd / sqrt(n)`` (for the index, the
weighted mean of the factor se's, matching its conservative interval). That treats the
two waves as independent samples; repeated respondents make the waves positively
correlated, which only makes this test more cautious.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.programme.factors import FACTORS, INDEX, bands_of
from pipelines.store.versions import visible

PROGRAMME = "Programme"


class Suppression(StrEnum):
    """Why a group is hidden: a code every frame carries in ``suppression_reason``; the
    sentences people read are made from it by ``present.words``."""
    SMALL_GROUP = "small_group"   # fewer than k respondents
    COMPLEMENT = "complement"     # hidden so a smaller group cannot be worked out by subtraction


FACTOR_COLUMNS = [
    "partner_id", "partner", "wave", "wave_start", "factor", "score", "n",
    "ci_low", "ci_high", "band", "suppressed", "suppression_reason",
]
INDEX_COLUMNS = [c for c in FACTOR_COLUMNS if c != "factor"]
CHANGE_COLUMNS = [
    "partner_id", "partner", "factor", "wave", "wave_start", "previous_wave", "score",
    "previous_score", "change", "beyond_uncertainty",
]
EXPORT_COLUMNS = ["partner", "wave", "factor", "score", "respondents", "suppressed", "reason"]

# t(0.975, df) for df = 1..29
_T975 = np.array([
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452,
])
_Z975 = 1.959963984540054


def t975(df) -> np.ndarray:
    """Two-sided 95% Student t quantile for degrees of freedom ``df`` (array-like).

    df < 1 gives NaN; 1..29 from a table; 30+ from the Cornish-Fisher expansion
    z + (z^3 + z) / 4df + (5z^5 + 16z^3 + 3z) / 96df^2.
    """
    d = np.asarray(df, dtype="float64")
    z = _Z975
    with np.errstate(divide="ignore", invalid="ignore"):
        approx = z + (z**3 + z) / (4 * d) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * d**2)
    idx = np.clip(np.nan_to_num(d, nan=0).astype("int64") - 1, 0, len(_T975) - 1)
    table = _T975[idx]
    out = np.where(d >= 30, approx, table)
    return np.where((d >= 1) & ~np.isnan(d), out, np.nan)


# -- helpers ---------------------------------------------------------------------

def _k(k: int | None) -> int:
    if k is None:
        return settings.anonymity_k()
    k = int(k)
    if k < settings.MIN_ANONYMITY_K:
        raise ValueError(f"k={k} is below {settings.MIN_ANONYMITY_K}: groups that small could "
                         f"identify people.")
    return k


def _weights(weights: Mapping[str, float] | Sequence[float] | None) -> dict[str, float]:
    if weights is None:
        return settings.index_weights()
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(FACTORS)
        if unknown:
            raise ValueError(f"unknown factors in weights: {sorted(unknown)}")
        out = {f: float(weights.get(f, 0.0)) for f in FACTORS}
    else:
        values = [float(w) for w in weights]
        if len(values) != len(FACTORS):
            raise ValueError("weights needs one number per factor (five).")
        out = dict(zip(FACTORS, values))
    if any(w < 0 for w in out.values()) or sum(out.values()) <= 0:
        raise ValueError("weights must be non-negative and not all zero.")
    return out


def _band(scores: pd.Series, thresholds: tuple[float, float]) -> pd.Series:
    values = scores.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(bands_of(values, thresholds), index=scores.index, dtype="object")


def _order(frame: pd.DataFrame, with_factor: bool) -> pd.DataFrame:
    keys = ["wave_start", "wave"]
    if with_factor:
        frame = frame.assign(_f=frame["factor"].map(
            {f: i for i, f in enumerate((*FACTORS, INDEX))}))
        keys.append("_f")
    frame = frame.assign(_p=frame["partner_id"].notna(), _name=frame["partner"])
    frame = frame.sort_values(keys + ["_p", "_name"], kind="stable")
    return frame.drop(columns=[c for c in ("_f", "_p", "_name") if c in frame]).reset_index(drop=True)


# One SQL pass does the two aggregations a score needs (answers -> respondents, then
# respondents -> partner and programme groups), each with one group per respondent / per
# partner x wave and one aggregate per factor, so the factor never multiplies the groups
# or the rows. Out comes one row per partner x wave and programme x wave (~8k rows at 1M
# answers); numpy (`_long`) spreads the factors into rows, decides suppression per
# wave x factor and puts the rows in display order: on those few rows that is cheaper
# than the UNPIVOT, summary join and ORDER BY it replaced in SQL (benchmarks/README.md).
_GROUPS_SQL = """
WITH items AS (
    SELECT item_id, list_position(?::VARCHAR[], factor)::UTINYINT AS factor_no,
           scale_min, scale_max, reverse_scored FROM {items} i
    WHERE list_contains(?::VARCHAR[], factor) AND scale_max > scale_min
),
resp AS (
    SELECT respondent_key, partner_id, wave, wave_start, item_id, value FROM {responses} r
    WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], wave)
),
-- The LEFT JOIN keeps answers to items that are not scored, so wave_start (the earliest
-- answer of the wave) comes from the same pass instead of a second scan.
answers AS (
    SELECT r.partner_id, r.wave, r.respondent_key, r.wave_start, i.factor_no,
           CASE WHEN i.reverse_scored
                THEN 100.0 - (r.value - i.scale_min) * 100.0 / (i.scale_max - i.scale_min)
                ELSE (r.value - i.scale_min) * 100.0 / (i.scale_max - i.scale_min) END AS x
    FROM resp r LEFT JOIN items i ON i.item_id = r.item_id
),
-- a respondent's factor scores: the mean of their answered items per factor (NULL when the
-- factor was not answered)
by_respondent AS (
    SELECT partner_id, wave, min(wave_start) AS wave_start,
           {factor_means}
    FROM answers
    GROUP BY partner_id, wave, respondent_key
),
-- per partner x wave and per wave (the programme): respondents, sum and sd per factor.
-- fsum (compensated summation): the mean does not depend on the order the respondents
-- arrive in, so repeated runs give the same last digit (avg could differ run to run)
groups AS (
    SELECT partner_id, wave, grouping(partner_id) = 1 AS is_total, min(wave_start) AS wave_start,
           {factor_stats}
    FROM by_respondent
    GROUP BY GROUPING SETS ((partner_id, wave), (wave))
),
-- partners in name order (ties: partner_id)
names AS (SELECT partner_id, name, row_number() OVER (ORDER BY name, partner_id) AS name_no
          FROM partners)
SELECT g.*, CASE WHEN g.is_total THEN 'Programme' ELSE p.name END AS partner
FROM groups g LEFT JOIN names p ON p.partner_id = g.partner_id
ORDER BY g.wave, NOT g.is_total, p.name_no, g.partner_id
"""


def _groups(cursor, asof: int | None, k: int, waves: Iterable[str] | None,
            partners: Iterable[int] | None = None, programme: bool = True) -> dict:
    """All groups, suppression decided, in display order, as columns (see ``_long``);
    internal (keeps sd and the n of hidden rows). ``partners``/``programme`` only drop rows
    after suppression is decided."""
    items_sql, items_params = visible("instrument_items", asof)
    resp_sql, resp_params = visible("survey_responses", asof)
    wave_list = None if waves is None else [str(w) for w in waves]
    factors = range(1, len(FACTORS) + 1)
    sql = _GROUPS_SQL.format(
        items=items_sql, responses=resp_sql,
        factor_means=",\n           ".join(f"avg(x) FILTER (WHERE factor_no = {f}) AS f{f}"
                                           for f in factors),
        factor_stats=",\n           ".join(f"count(f{f}) AS n{f}, fsum(f{f}) AS s{f}, "
                                           f"stddev_samp(f{f}) AS d{f}" for f in factors))
    params = ([list(FACTORS)] + items_params + [list(FACTORS)] + resp_params
              + [wave_list, wave_list])
    wide = cursor.execute(sql, params).df()
    return _long(wide, k, partners, programme)


def _long(wide: pd.DataFrame, k: int, partners: Iterable[int] | None,
          programme: bool) -> dict:
    """Partner x wave rows (in blocks per wave: the programme row first, then the partners
    in name order) -> one row per partner x wave x factor group with respondents, suppression
    decided, in display order (wave_start, wave, factor, programme first, partner name,
    partner_id). Columns as arrays; see the module docstring for the rules."""
    factors = len(FACTORS)

    def per_factor(prefix: str) -> np.ndarray:  # rows x factors
        return np.column_stack([wide[f"{prefix}{f}"].to_numpy(dtype="float64", na_value=np.nan)
                                for f in range(1, factors + 1)])

    n = per_factor("n").astype("int64")
    total = wide["is_total"].to_numpy(dtype=bool)
    partner_id = wide["partner_id"].to_numpy(dtype="int64", na_value=-1)  # -1: programme
    starts = np.flatnonzero(total)  # every wave has a programme row, first in its block
    block = np.cumsum(total) - 1

    def in_block(reduce: np.ufunc, values: np.ndarray) -> np.ndarray:  # per wave, back on each row
        return reduce.reduceat(values, starts, axis=0, dtype="int64")[block]

    # one wave x factor per block x column: primary, then the complementary rule
    partner = ~total[:, None]
    exists = n > 0
    primary = exists & (n < k)
    shown = exists & (n >= k) & partner
    one_primary = (in_block(np.add, primary & partner) == 1) & ~primary[starts][block]
    big = np.iinfo(np.int64).max
    smallest = shown & (n == in_block(np.minimum, np.where(shown, n, big)))
    pid = partner_id[:, None]
    smallest &= pid == in_block(np.minimum, np.where(smallest, pid, big))  # ties: lowest id
    secondary = one_primary & (smallest | (~partner & (in_block(np.add, shown) == 0)))
    # display order: waves by (wave_start, wave) (the blocks come in wave order), then
    # factor, then the block's own order; the stable sort keeps the earlier keys' order
    wave_start = wide["wave_start"].to_numpy()[starts]
    wave_rank = np.empty(len(starts), dtype="int64")
    wave_rank[np.argsort(wave_start, kind="stable")] = np.arange(len(starts))
    keep = exists
    if partners is not None:
        keep = keep & (total | np.isin(partner_id, [int(p) for p in partners]))[:, None]
    if not programme:
        keep = keep & partner
    cells = np.flatnonzero(keep.ravel())
    key = (wave_rank[block][:, None] * factors + np.arange(factors)).ravel()[cells]
    cells = cells[np.argsort(key, kind="stable")]
    row, factor = np.divmod(cells, factors)
    n = n.ravel()[cells]
    text = wide["wave"].array
    return {
        "partner_id": pd.arrays.IntegerArray(partner_id[row], total[row]),
        "partner": wide["partner"].array.take(row),
        "wave": text.take(row),
        "wave_start": wave_start[block[row]],
        "factor": pd.array(list(FACTORS), dtype=text.dtype).take(factor),
        "n": n,
        "mean": per_factor("s").ravel()[cells] / n,
        "sd": per_factor("d").ravel()[cells],
        "primary": primary.ravel()[cells],
        "hidden": (primary | secondary).ravel()[cells],
    }


def _finish(groups: dict, thresholds: tuple[float, float]) -> pd.DataFrame:
    """Intervals, bands and the hiding of suppressed values (all vectorised)."""
    n = groups["n"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = groups["sd"] / np.sqrt(n)
    half = t975(n - 1) * se
    mean = groups["mean"]
    primary, hidden = groups["primary"], groups["hidden"]
    n_out = pd.array(groups["n"], dtype="Int64")
    n_out[hidden] = pd.NA
    reason = np.full(len(n), None, dtype=object)
    reason[primary] = Suppression.SMALL_GROUP
    reason[hidden & ~primary] = Suppression.COMPLEMENT
    score = np.where(hidden, np.nan, mean)
    return pd.DataFrame({
        "partner_id": groups["partner_id"],
        "partner": groups["partner"],
        "wave": groups["wave"],
        "wave_start": groups["wave_start"],
        "factor": groups["factor"],
        "score": score,
        "n": n_out,
        "ci_low": np.where(hidden, np.nan, np.clip(mean - half, 0.0, 100.0)),
        "ci_high": np.where(hidden, np.nan, np.clip(mean + half, 0.0, 100.0)),
        "se": np.where(hidden, np.nan, se),
        "suppressed": hidden,
        "suppression_reason": pd.Series(reason, dtype=object),
        "primary": primary,
        "band": pd.Series(bands_of(score, thresholds), dtype=object),
    })


def _factor_frame(cursor, asof, k, waves, thresholds, partners=None, programme=True) -> pd.DataFrame:
    """Factor groups in display order (see ``_order``), suppression decided over every
    partner before ``partners``/``programme`` drop rows."""
    return _finish(_groups(cursor, asof, _k(k), waves, partners, programme),
                   thresholds or settings.band_thresholds())


def _filter_partners(frame: pd.DataFrame, partners: Iterable[int] | None,
                     programme: bool) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if partners is not None:
        ids = {int(p) for p in partners}
        keep &= frame["partner_id"].isna() | frame["partner_id"].isin(ids)
    if not programme:
        keep &= frame["partner_id"].notna()
    return frame[keep.to_numpy()]


def _index_frame(factors: pd.DataFrame, weights: dict[str, float],
                 thresholds: tuple[float, float]) -> pd.DataFrame:
    needed = [f for f, w in weights.items() if w > 0]
    total_w = sum(weights[f] for f in needed)
    f = factors[factors["factor"].isin(needed)].copy()
    w = f["factor"].map(weights).astype("float64") / total_w
    f["_key"] = f["partner_id"].fillna(-1).astype("int64")
    f["_ws"] = w * f["score"]
    f["_wl"] = w * f["ci_low"]
    f["_wh"] = w * f["ci_high"]
    f["_wse"] = w * f["se"]
    f["_n"] = f["n"].astype("float64")
    g = f.groupby(["_key", "wave"], sort=False, dropna=False)
    agg = g.agg(partner_id=("partner_id", "first"), partner=("partner", "first"),
                wave_start=("wave_start", "first"), factors=("factor", "nunique"),
                any_hidden=("suppressed", "any"), any_primary=("primary", "any"),
                n=("_n", "min"), score=("_ws", "sum"), ci_low=("_wl", "sum"),
                ci_high=("_wh", "sum"), se=("_wse", "sum")).reset_index().drop(columns="_key")
    agg = agg[agg["factors"] == len(needed)].copy()
    hidden = agg["any_hidden"].to_numpy(dtype=bool)
    for column in ("score", "ci_low", "ci_high", "se", "n"):
        agg.loc[hidden, column] = np.nan
    agg["n"] = agg["n"].astype("Int64")
    agg["partner_id"] = agg["partner_id"].astype("Int64")
    agg["suppressed"] = hidden
    reason = pd.Series(Suppression.COMPLEMENT, index=agg.index, dtype="object")
    reason[agg["any_primary"].to_numpy(dtype=bool)] = Suppression.SMALL_GROUP
    agg["suppression_reason"] = reason.where(hidden, None)
    agg["band"] = _band(agg["score"], thresholds)
    agg["factor"] = INDEX
    return agg


# -- public API ------------------------------------------------------------------

def factor_scores(cursor, *, asof: int | None = None, k: int | None = None,
                  partners: Iterable[int] | None = None, waves: Iterable[str] | None = None,
                  programme: bool = True,
                  thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Partner x wave x factor scores plus the programme row per wave x factor.

    Columns: partner_id (<NA> for the programme), partner ('Programme'), wave, wave_start,
    factor, score, n, ci_low, ci_high, band, suppressed, suppression_reason. Suppressed
    rows carry no score, n, interval or band. ``partners`` (ids) and ``waves`` only
    filter the result; suppression is decided over every partner.
    """
    # already in display order from SQL (the order _order gives), filters applied there
    frame = _factor_frame(cursor, asof, k, waves, thresholds, partners, programme)
    return frame[FACTOR_COLUMNS]


def index_scores(cursor, *, asof: int | None = None, k: int | None = None,
                 partners: Iterable[int] | None = None, waves: Iterable[str] | None = None,
                 weights: Mapping[str, float] | Sequence[float] | None = None,
                 programme: bool = True,
                 thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Collaboration index per partner x wave and programme x wave.

    Same columns as ``factor_scores`` without ``factor``. A group lacking any factor with
    a positive weight has no index row; a group with any factor hidden is hidden.
    """
    thresholds = thresholds or settings.band_thresholds()
    factors = _factor_frame(cursor, asof, k, waves, thresholds)
    index = _index_frame(factors, _weights(weights), thresholds)
    index = _filter_partners(index, partners, programme)
    return _order(index, with_factor=False)[INDEX_COLUMNS]


def changes(cursor, *, asof: int | None = None, k: int | None = None,
            partners: Iterable[int] | None = None, waves: Iterable[str] | None = None,
            weights: Mapping[str, float] | Sequence[float] | None = None,
            include_index: bool = True, programme: bool = True,
            thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Change of every group since the programme's previous wave.

    One row per returned group (factors, and the index as factor 'collaboration_index'):
    partner_id, partner, factor, wave, wave_start, previous_wave, score, previous_score,
    change, beyond_uncertainty. ``change`` is missing (and ``beyond_uncertainty`` <NA>)
    when either wave's group is hidden or absent, or for the first wave.
    """
    thresholds = thresholds or settings.band_thresholds()
    frame = _factor_frame(cursor, asof, k, None, thresholds)
    if include_index:
        index = _index_frame(frame, _weights(weights), thresholds)
        frame = pd.concat([frame, index[[c for c in frame.columns if c in index.columns]]],
                          ignore_index=True)
    order = (frame[["wave", "wave_start"]].drop_duplicates("wave")
             .sort_values(["wave_start", "wave"]).reset_index(drop=True))
    previous = dict(zip(order["wave"].iloc[1:], order["wave"].iloc[:-1]))
    frame = frame.assign(previous_wave=frame["wave"].map(previous),
                         _key=frame["partner_id"].fillna(-1).astype("int64"))
    before = frame[["_key", "factor", "wave", "score", "se"]].rename(
        columns={"wave": "previous_wave", "score": "previous_score", "se": "previous_se"})
    merged = frame.merge(before, on=["_key", "factor", "previous_wave"], how="left")
    change = merged["score"] - merged["previous_score"]
    margin = 1.96 * np.sqrt(merged["se"] ** 2 + merged["previous_se"] ** 2)
    merged["change"] = change
    beyond = pd.array((change.abs() > margin).to_numpy(), dtype="boolean")
    beyond[change.isna().to_numpy() | margin.isna().to_numpy()] = pd.NA
    merged["beyond_uncertainty"] = beyond
    if waves is not None:
        merged = merged[merged["wave"].isin([str(w) for w in waves])]
    merged = _filter_partners(merged, partners, programme)
    return _order(merged, with_factor=True)[CHANGE_COLUMNS]


def waves(cursor, asof: int | None = None) -> pd.DataFrame:
    """The survey waves (wave, wave_start), ordered by wave_start; no counts."""
    resp_sql, params = visible("survey_responses", asof)
    return cursor.execute(
        f"SELECT wave, min(wave_start) AS wave_start FROM {resp_sql} r "
        "GROUP BY wave ORDER BY wave_start, wave", params).df()


def latest_wave(cursor, asof: int | None = None) -> str | None:
    frame = waves(cursor, asof)
    return None if frame.empty else str(frame["wave"].iloc[-1])


def partners(cursor) -> pd.DataFrame:
    """Every known partner: partner_id, name, ordered by name."""
    frame = cursor.execute("SELECT partner_id, name FROM partners ORDER BY name, partner_id").df()
    frame["partner_id"] = frame["partner_id"].astype("int64")
    return frame


def scores_export(cursor, asof: int | None = None, *, k: int | None = None,
                  weights: Mapping[str, float] | Sequence[float] | None = None) -> pd.DataFrame:
    """Scores for the command line: partner, wave, factor, score (1 dp), respondents,
    suppressed, reason (a ``Suppression`` code). Hidden groups are listed with empty score
    and respondents."""
    thresholds = settings.band_thresholds()
    frame = _factor_frame(cursor, asof, k, None, thresholds)
    index = _index_frame(frame, _weights(weights), thresholds)
    frame = pd.concat([_order(frame, True), _order(index, False)], ignore_index=True)
    frame = _order(frame.assign(_fo=frame["factor"].map(
        {f: i for i, f in enumerate((*FACTORS, INDEX))})).sort_values("_fo", kind="stable"),
        with_factor=False)
    return pd.DataFrame({
        "partner": frame["partner"],
        "wave": frame["wave"],
        "factor": frame["factor"],
        "score": frame["score"].round(1),
        "respondents": frame["n"].astype("Int64"),
        "suppressed": frame["suppressed"].astype(bool),
        "reason": frame["suppression_reason"],
    })[EXPORT_COLUMNS]
