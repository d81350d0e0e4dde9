"""Delivery and issue-log indicators per partner and period, and where they disagree
with what the survey says.

Milestones and issues are not personal data, so nothing here is suppressed; only
partners in the ``partners`` table are reported. The survey side of ``agreement``
comes from ``scores.factor_scores``, so survey groups hidden there stay hidden here.

Periods
-------
A period is a survey wave: wave ``w`` covers ``[wave_start, next wave_start)``. The last
wave runs as long as the one before it (one ``wave_frequency`` when there is a single
wave). Without survey waves the periods are calendar quarters named ``YYYY-Qn``
covering the milestones' baseline dates and the issues' raised dates.

Attribution
-----------
A milestone counts for each of its owners (joint milestones: ``unnest(owner_partner_ids)``,
duplicates dropped) and falls in the period holding its ``baseline_date``. An issue
belongs to the partner that owns it (``owned_by_partner_id``; unowned issues count for
nobody) and to the period holding its ``raised_date``; the backlog is taken at each
period's end. An issue is resolved when it has a ``resolved_date``. Values for the
latest period are provisional: milestones due later in it may still be achieved.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.programme.factors import FACTORS
from pipelines.query import scores
from pipelines.store.versions import visible


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    factor: str          # the factor it corroborates
    good: str            # 'higher' or 'lower' is better
    unit: str
    help: str
    strong: str          # plain words when a partner is among the best on it
    weak: str            # plain words when a partner is among the worst on it


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "on_time_rate", "On-time milestones", "mutual_accountability", "higher", "share (0-1)",
        "Share of the partner's milestones due in the period (baseline date in it) that were "
        "achieved on or before their baseline date. Commitments to the others kept on time are "
        "accountability that is practised, not just stated.",
        "its milestones are among the most often on time",
        "its milestones are among the least often on time"),
    Indicator(
        "mean_slip_days", "Mean slip (days)", "mutual_accountability", "lower", "days",
        "Mean of actual date (or forecast while not achieved) minus baseline date, in days, for "
        "milestones due in the period that have either. Tied to mutual accountability rather "
        "than joint governance: slip is a commitment to the other partners not met, whoever's "
        "process decided the plan.",
        "its milestones slip the least",
        "its milestones slip the most"),
    Indicator(
        "joint_share", "Joint milestones", "shared_goals", "higher", "share (0-1)",
        "Share of the partner's milestones due in the period that have more than one owner: "
        "outcomes defined and owned together rather than handed over.",
        "joint milestones are among the most",
        "joint milestones are among the fewest"),
    Indicator(
        "median_days_to_resolve", "Median days to resolve", "open_communication", "lower", "days",
        "Median days from raised to resolved, for issues the partner owns that were raised in "
        "the period and are resolved. Issues talked through openly get resolved quickly.",
        "its issues are resolved among the fastest",
        "its issues take among the longest to resolve"),
    Indicator(
        "escalation_rate", "Escalation rate", "joint_governance", "lower", "share (0-1)",
        "Share of the issues the partner owns, raised in the period, that were escalated. Joint "
        "decision protocols that work settle issues without escalating them.",
        "it escalates among the fewest issues",
        "it escalates among the most issues"),
    Indicator(
        "self_raised_share", "Self-raised issues", "psychological_safety", "higher", "share (0-1)",
        "Of the issues about the partner's own work (it owns them) raised in the period, the "
        "share it raised itself: people who feel safe admit their own problems.",
        "it raises the most issues about its own work",
        "it raises the fewest issues about its own work"),
    Indicator(
        "ageing_backlog", "Ageing backlog", "open_communication", "lower", "issues",
        "Issues the partner owns that are still open at the period's end and were raised more "
        "than 30 days before it (count = all its open issues then). Problems left unspoken age.",
        "it has among the smallest ageing backlog",
        "it has among the largest ageing backlog"),
)
INDICATORS_BY_NAME = {indicator.name: indicator for indicator in INDICATORS}
INDICATOR_COLUMNS = ["partner_id", "partner", "wave", "wave_start", "indicator", "value",
                     "count", "factor"]
AGREEMENT_COLUMNS = ["partner_id", "partner", "wave", "factor", "survey_score", "survey_rank",
                     "evidence_score", "evidence_rank", "ranked", "disagrees", "verdict",
                     "contrary", "suppression_reason", "indicators"]
MIN_RANKED = 3


class Verdict(StrEnum):
    """What ``agreement`` found for a partner x factor; ``present.words.agreement_note``
    says it in words (with the ranks, the ``contrary`` indicator and the suppression reason)."""
    SAYS_STRONG = "says_strong"      # survey in the top third, evidence in the bottom third
    SAYS_WEAK = "says_weak"          # survey in the bottom third, evidence in the top third
    AGREES = "agrees"                # ranked, no marked disagreement
    TOO_FEW = "too_few"              # fewer than MIN_RANKED partners to rank
    HIDDEN = "hidden"                # the survey group is suppressed
    NO_SURVEY = "no_survey"          # no survey responses for the factor in the wave
    NO_EVIDENCE = "no_evidence"      # no delivery or issue data for the factor in the wave


# -- periods -------------------------------------------------------------------

def periods(cursor, asof: int | None = None) -> pd.DataFrame:
    """wave, wave_start, wave_end (exclusive): survey waves, else calendar quarters."""
    found = scores.waves(cursor, asof)
    if not found.empty:
        starts = pd.to_datetime(found["wave_start"]).reset_index(drop=True)
        ends = starts.shift(-1)
        if len(starts) > 1:
            ends.iloc[-1] = starts.iloc[-1] + (starts.iloc[-1] - starts.iloc[-2])
        else:
            months = 1 if settings.get("wave_frequency") == "monthly" else 3
            ends.iloc[-1] = starts.iloc[-1] + pd.DateOffset(months=months)
        return pd.DataFrame({"wave": found["wave"].astype(str).to_numpy(),
                             "wave_start": starts.dt.date.to_numpy(),
                             "wave_end": ends.dt.date.to_numpy()})
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    return cursor.execute(f"""
        WITH bounds AS (
            SELECT min(d) AS lo, max(d) AS hi FROM (
                SELECT baseline_date AS d FROM {ms_sql} m
                UNION ALL SELECT raised_date FROM {is_sql} i)
        ), q AS (
            SELECT unnest(generate_series(date_trunc('quarter', lo), hi, INTERVAL 3 MONTH))::DATE AS s
            FROM bounds WHERE lo IS NOT NULL
        )
        SELECT strftime(s, '%Y') || '-Q' || quarter(s) AS wave, s AS wave_start,
               (s + INTERVAL 3 MONTH)::DATE AS wave_end
        FROM q ORDER BY s""", ms_params + is_params).df().assign(
        wave_start=lambda f: pd.to_datetime(f["wave_start"]).dt.date,
        wave_end=lambda f: pd.to_datetime(f["wave_end"]).dt.date)


# -- indicators ----------------------------------------------------------------

_INDICATORS_SQL = """
WITH periods AS (
    SELECT unnest(?::VARCHAR[]) AS wave, unnest(?::DATE[]) AS wave_start,
           unnest(?::DATE[]) AS wave_end
),
known AS (
    SELECT partner_id, name FROM partners
    WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], partner_id)
),
owned_ms AS (
    SELECT * FROM (
        SELECT unnest(list_distinct(owner_partner_ids)) AS partner_id,
               len(list_distinct(owner_partner_ids)) AS owners,
               baseline_date, actual_date, forecast_date
        FROM {milestones} m
    ) WHERE partner_id IN (SELECT partner_id FROM known)
),
ms AS (
    SELECT o.partner_id, p.wave,
           count(*) AS due,
           count(*) FILTER (WHERE o.actual_date <= o.baseline_date) AS on_time,
           avg(datediff('day', o.baseline_date, coalesce(o.actual_date, o.forecast_date)))
               AS slip,
           count(coalesce(o.actual_date, o.forecast_date)) AS slip_n,
           count(*) FILTER (WHERE o.owners > 1) AS joint
    FROM owned_ms o JOIN periods p
      ON o.baseline_date >= p.wave_start AND o.baseline_date < p.wave_end
    GROUP BY o.partner_id, p.wave
),
iss AS (
    SELECT owned_by_partner_id AS partner_id, raised_by_partner_id, raised_date,
           resolved_date, escalated
    FROM {issues} i
    WHERE owned_by_partner_id IN (SELECT partner_id FROM known)
),
raised AS (
    SELECT i.partner_id, p.wave,
           count(*) AS owned_n,
           count(*) FILTER (WHERE i.escalated) AS escalated_n,
           count(*) FILTER (WHERE i.raised_by_partner_id = i.partner_id) AS self_n,
           median(datediff('day', i.raised_date, i.resolved_date)) AS resolve_days,
           count(i.resolved_date) AS resolved_n
    FROM iss i JOIN periods p ON i.raised_date >= p.wave_start AND i.raised_date < p.wave_end
    GROUP BY i.partner_id, p.wave
),
backlog AS (
    SELECT i.partner_id, p.wave,
           count(*) AS open_n,
           count(*) FILTER (WHERE datediff('day', i.raised_date, p.wave_end) > 30) AS ageing_n
    FROM iss i JOIN periods p ON i.raised_date < p.wave_end
    WHERE i.resolved_date IS NULL OR i.resolved_date >= p.wave_end
    GROUP BY i.partner_id, p.wave
),
wide AS (
    SELECT k.partner_id, k.name AS partner, p.wave, p.wave_start,
           coalesce(ms.due, 0) AS due, ms.on_time, ms.slip, coalesce(ms.slip_n, 0) AS slip_n,
           ms.joint, coalesce(r.owned_n, 0) AS owned_n, r.escalated_n, r.self_n,
           r.resolve_days, coalesce(r.resolved_n, 0) AS resolved_n,
           coalesce(bl.open_n, 0) AS open_n, coalesce(bl.ageing_n, 0) AS ageing_n
    FROM known k CROSS JOIN periods p
    LEFT JOIN ms ON ms.partner_id = k.partner_id AND ms.wave = p.wave
    LEFT JOIN raised r ON r.partner_id = k.partner_id AND r.wave = p.wave
    LEFT JOIN backlog bl ON bl.partner_id = k.partner_id AND bl.wave = p.wave
)
"""

# Each indicator's value and count (its denominator), as SQL over the ``wide`` rows above.
_INDICATOR_SQL_VALUES: tuple[tuple[str, str, str], ...] = (
    ("on_time_rate", "CASE WHEN due > 0 THEN on_time / due END", "due"),
    ("mean_slip_days", "CASE WHEN slip_n > 0 THEN slip END", "slip_n"),
    ("joint_share", "CASE WHEN due > 0 THEN joint / due END", "due"),
    ("median_days_to_resolve", "CASE WHEN resolved_n > 0 THEN resolve_days END", "resolved_n"),
    ("escalation_rate", "CASE WHEN owned_n > 0 THEN escalated_n / owned_n END", "owned_n"),
    ("self_raised_share", "CASE WHEN owned_n > 0 THEN self_n / owned_n END", "owned_n"),
    ("ageing_backlog", "ageing_n", "open_n"),
)
_INDICATORS_SQL += "UNION ALL\n".join(
    f"SELECT partner_id, partner, wave, wave_start, '{name}' AS indicator, {value} AS value, "
    f"{count} AS count FROM wide\n" for name, value, count in _INDICATOR_SQL_VALUES)


def indicators(cursor, *, asof: int | None = None, partners: Iterable[int] | None = None,
               waves: Iterable[str] | None = None) -> pd.DataFrame:
    """Every indicator for every known partner x period, long.

    Columns: partner_id, partner, wave, wave_start, indicator, value, count (its
    denominator; value is missing when count is 0, except ageing_backlog, a count of
    issues that is 0 then), factor. Ordered by wave_start, partner, indicator table order.
    """
    spans = periods(cursor, asof)
    if waves is not None:
        spans = spans[spans["wave"].isin([str(w) for w in waves])]
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    ids = None if partners is None else [int(p) for p in partners]
    params = ([spans["wave"].tolist(), spans["wave_start"].tolist(), spans["wave_end"].tolist(),
               ids, ids] + ms_params + is_params)
    frame = cursor.execute(
        _INDICATORS_SQL.format(milestones=ms_sql, issues=is_sql), params).df()
    frame["partner_id"] = frame["partner_id"].astype("int64")
    frame["count"] = frame["count"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    frame["factor"] = frame["indicator"].map({i.name: i.factor for i in INDICATORS})
    order = {i.name: n for n, i in enumerate(INDICATORS)}
    frame = (frame.assign(_o=frame["indicator"].map(order))
             .sort_values(["wave_start", "partner", "partner_id", "_o"], kind="stable")
             .drop(columns="_o").reset_index(drop=True))
    return frame[INDICATOR_COLUMNS]


# -- agreement -----------------------------------------------------------------

def agreement(cursor, *, asof: int | None = None, wave: str | None = None,
              k: int | None = None) -> pd.DataFrame:
    """Survey rank against evidence rank, per partner x factor in one wave (default latest).

    Ranked together: partners whose survey group is shown and that have at least one of
    the factor's indicators. Survey rank 1 = highest score. Evidence: each indicator is
    turned into a 0..1 position among those partners (best = 1, oriented by its good
    direction), the factor's positions are averaged (``evidence_score`` 0..100) and
    ranked. ``disagrees`` is True, with at least 3 ranked, when one rank is in the top
    third and the other in the bottom third (position (rank-1)/(ranked-1) <= 1/3 vs >= 2/3).
    ``verdict`` (a ``Verdict``) says what was found, ``contrary`` names the indicator that
    contradicts the survey. Partners with a hidden survey group (``suppression_reason``) or
    no evidence are listed, unranked.
    """
    wave = wave or scores.latest_wave(cursor, asof)
    if wave is None:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    survey = scores.factor_scores(cursor, asof=asof, k=k, waves=[wave], programme=False)
    survey = survey.assign(partner_id=survey["partner_id"].astype("int64"))
    evidence = indicators(cursor, asof=asof, waves=[wave])
    evidence = evidence[evidence["value"].notna() & (evidence["count"] > 0)]
    shown = survey.loc[~survey["suppressed"], ["partner_id", "factor", "score"]]
    shown = shown.assign(partner_id=shown["partner_id"].astype("int64"))
    candidates = evidence.merge(shown, on=["partner_id", "factor"], how="inner")
    good = candidates["indicator"].map({i.name: i.good for i in INDICATORS})
    candidates["_oriented"] = np.where(good == "lower", -candidates["value"], candidates["value"])
    grp = candidates.groupby(["factor", "indicator"])["_oriented"]
    m = grp.transform("count")
    candidates["_pos"] = np.where(m > 1, (grp.rank(method="average") - 1) / (m - 1).clip(lower=1),
                                  0.5)
    per = candidates.groupby(["partner_id", "factor"]).agg(
        evidence_score=("_pos", "mean"), _survey=("score", "first"),
        indicators=("indicator", lambda s: ", ".join(s)),
        _worst=("_pos", "idxmin"), _best=("_pos", "idxmax")).reset_index()
    per["_weak"] = candidates.loc[per["_worst"], "indicator"].to_numpy()
    per["_strong"] = candidates.loc[per["_best"], "indicator"].to_numpy()
    per["evidence_score"] = per["evidence_score"] * 100
    by_factor = per.groupby("factor")
    per["ranked"] = by_factor["partner_id"].transform("count").astype("int64")
    per["survey_rank"] = by_factor["_survey"].rank(method="min", ascending=False)
    per["evidence_rank"] = by_factor["evidence_score"].rank(method="min", ascending=False)
    span = (per["ranked"] - 1).clip(lower=1)
    s_pos = (per["survey_rank"] - 1) / span
    e_pos = (per["evidence_rank"] - 1) / span
    enough = per["ranked"] >= MIN_RANKED
    says_strong = enough & (s_pos <= 1 / 3) & (e_pos >= 2 / 3)
    says_weak = enough & (s_pos >= 2 / 3) & (e_pos <= 1 / 3)
    per["disagrees"] = says_strong | says_weak
    per["verdict"] = pd.Series(np.select(
        [~enough, says_strong, says_weak],
        [Verdict.TOO_FEW.value, Verdict.SAYS_STRONG.value, Verdict.SAYS_WEAK.value],
        default=Verdict.AGREES.value), index=per.index).map(Verdict)
    # the indicator that contradicts the survey: the weakest when it says strong, and so on
    per["contrary"] = pd.Series(np.where(says_strong, per["_weak"],
                                         np.where(says_weak, per["_strong"], None)),
                                index=per.index, dtype=object)
    keys = pd.concat([survey[["partner_id", "partner", "factor"]],
                      evidence[["partner_id", "partner", "factor"]]]).drop_duplicates(
        ["partner_id", "factor"])
    out = (keys.merge(survey[["partner_id", "factor", "score", "suppressed", "suppression_reason"]],
                      on=["partner_id", "factor"], how="left")
           .rename(columns={"score": "survey_score"})
           .merge(per.drop(columns=["_worst", "_best", "_weak", "_strong", "_survey"]),
                  on=["partner_id", "factor"], how="left"))
    no_survey = out["suppressed"].isna()
    hidden = out["suppressed"].fillna(False).astype(bool)
    no_evidence = out["evidence_rank"].isna() & ~hidden & ~no_survey
    out["verdict"] = out["verdict"].astype(object)
    out.loc[hidden, "verdict"] = Verdict.HIDDEN
    out.loc[no_survey, "verdict"] = Verdict.NO_SURVEY
    out.loc[no_evidence, "verdict"] = Verdict.NO_EVIDENCE
    out["suppression_reason"] = out["suppression_reason"].where(hidden, None)
    out["disagrees"] = out["disagrees"].fillna(False).astype(bool)
    for column in ("survey_rank", "evidence_rank", "ranked"):
        out[column] = out[column].astype("Int64")
    out["wave"] = wave
    out["_f"] = out["factor"].map({f: i for i, f in enumerate(FACTORS)})
    out = out.sort_values(["_f", "survey_rank", "partner"], kind="stable", na_position="last")
    return out.reset_index(drop=True)[AGREEMENT_COLUMNS]
