"""Delivery and issue indicators per partner and period, and where they disagree with what
the survey says.

Milestones and issues are not personal data, so nothing here is suppressed; only
partners in the ``partners`` table are reported. The survey side of ``agreement``
comes from ``scores.factor_statistics``, so survey groups hidden there stay hidden here.

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
period's end. An issue is resolved when it has a ``resolved_date``; one still open has been
open until the issue log's latest date (the latest raised or resolved date it holds), which
is where time to resolve censors it. Values for the latest period are provisional:
milestones due later in it may still be achieved.

What each indicator measures, which way is better, the factor it corroborates and why are
written once, in ``INDICATORS`` (METHOD.md and the pages' help show that text).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label
from pipelines.query import scores, significance, survival
from pipelines.store.versions import visible


class Test(StrEnum):
    """How an indicator is compared with the other partners' (``agreement``)."""
    PROPORTION = "proportion"   # Fisher's exact test on the 2x2 counts
    MEAN = "mean"               # Welch's t on the events' values
    SURVIVAL = "survival"       # log-rank test, open issues censored


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    factor: str          # the factor it corroborates
    good: str            # 'higher' or 'lower' is better
    unit: str
    measures: str        # what it counts, exactly
    why: str             # why that direction is better, and why that factor
    basis: str           # what its ``count`` counts ("12 milestones due")
    test: Test | None    # how ``agreement`` compares it; None: not compared (see ``why``)
    better: str          # plain words when the partner's evidence is better than the others'
    worse: str           # ... worse than the others'

    @property
    def help(self) -> str:
        """The page help: what it measures, then why."""
        return f"{self.measures} {self.why}"

    def text(self, value: float) -> str:
        """A value in the indicator's unit, as notes write it."""
        if value is None or value != value:
            return "no value"
        if self.unit.startswith("share"):
            return f"{value * 100:.0f}%"
        if self.unit == "days":
            return "not reached" if np.isinf(value) else f"{value:.1f} days"
        return f"{value:.1f} {self.unit}"


AGEING_DAYS = 30        # an open issue older than this at the period's end is ageing
WORKLOAD_DAYS = 365     # the backlog is scaled by the milestones due in this window
PER_MILESTONES = 10

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "on_time_rate", "On-time milestones", "mutual_accountability", "higher", "share (0-1)",
        "Share of the partner's milestones due in the period (baseline date in it, and achieved "
        "or on or before the schedule's latest achievement) that were achieved on or before "
        "their baseline date.",
        "Higher is better, and it corroborates mutual accountability: a milestone is a "
        "commitment made to the other partners, and keeping it on time is accountability "
        "practised rather than stated.",
        "milestones due", Test.PROPORTION,
        "its milestones are more often on time than the other partners'",
        "its milestones are less often on time than the other partners'"),
    Indicator(
        "mean_slip_days", "Mean slip (days)", "mutual_accountability", "lower", "days",
        "Mean of actual date (or forecast while not achieved) minus baseline date, in days, over "
        "the partner's milestones due in the period that have either; early finishes count as "
        "negative slip.",
        "Lower is better, and it corroborates mutual accountability rather than joint "
        "governance: slip is a commitment to the other partners not met, whoever's process "
        "decided the plan.",
        "milestones with a date", Test.MEAN,
        "its milestones slip less than the other partners'",
        "its milestones slip more than the other partners'"),
    Indicator(
        "joint_share", "Joint milestones", "shared_goals", "higher", "share (0-1)",
        "Share of the partner's milestones due in the period that have more than one owner.",
        "Higher is better, and it corroborates shared goals: an outcome owned together is a goal "
        "defined together, where a milestone handed from one partner to the next is a goal "
        "divided up.",
        "milestones due", Test.PROPORTION,
        "more of its milestones are owned jointly than the other partners'",
        "fewer of its milestones are owned jointly than the other partners'"),
    Indicator(
        "median_days_to_resolve", "Median days to resolve", "open_communication", "lower", "days",
        "Median days from raised to resolved of the issues the partner owns that were raised "
        "in the period, by Kaplan-Meier: an issue still open counts as open for as long as it "
        "has been (censored at the issue log's latest date), so leaving hard issues open never "
        "looks fast. No value until the share still open falls below a half (the median is not "
        "reached).",
        "Lower is better, and it corroborates open communication: a problem talked through "
        "early and openly with the partners it affects is settled sooner than one reported "
        "late or worked around.",
        "issues raised", Test.SURVIVAL,
        "its issues are resolved faster than the other partners'",
        "its issues take longer to resolve than the other partners'"),
    Indicator(
        "escalation_rate", "Escalation rate", "joint_governance", "lower", "share (0-1)",
        "Share of the issues the partner owns, raised in the period, that were escalated (of those "
        "whose log says whether they were).",
        "Lower is better, and it corroborates joint governance: where the partners' agreed way "
        "of deciding works, an issue is settled at the level where it arises; an escalation "
        "means it did not settle it there.",
        "issues raised", Test.PROPORTION,
        "it escalates fewer of its issues than the other partners",
        "it escalates more of its issues than the other partners"),
    Indicator(
        "self_raised_share", "Self-raised issues", "psychological_safety", "higher",
        "share (0-1)",
        "Of the issues about the partner's own work (the issues it owns) raised in the period, "
        "the share it raised itself.",
        "Higher is better, and it corroborates psychological safety: people who feel safe "
        "admit a problem in their own work before someone else finds it.",
        "issues raised", Test.PROPORTION,
        "it raises more of the issues about its own work than the other partners",
        "it raises fewer of the issues about its own work than the other partners"),
    Indicator(
        "ageing_backlog", "Ageing backlog", "open_communication", "lower",
        f"per {PER_MILESTONES} milestones",
        f"Issues the partner owns that are still open at the period's end and were raised more "
        f"than {AGEING_DAYS} days before it, per {PER_MILESTONES} milestones the partner owns "
        f"that fall due in the {WORKLOAD_DAYS} days to the period's end (its workload).",
        "Lower is better, and it corroborates open communication: a problem that is not talked "
        "through stays open and ages. Scaled by workload so a partner does not look worse only "
        "for being large. Not compared in the survey-versus-evidence check: a backlog is a "
        "stock counted at one moment, not events that can be pooled across periods.",
        "milestones due in the year", None,
        "its ageing backlog is smaller than the other partners'",
        "its ageing backlog is larger than the other partners'"),
)
INDICATORS_BY_NAME = {indicator.name: indicator for indicator in INDICATORS}
INDICATOR_COLUMNS = ["partner_id", "partner", "wave", "wave_start", "indicator", "value", "low",
                     "high", "count", "events", "factor"]
MIN_EVENTS = 10   # events an indicator needs before it is compared (periods pooled until then)
MAX_POOLED = 4    # at most this many periods (the wave and the ones before it) are pooled


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
                SELECT baseline_date AS d FROM {ms_sql} m WHERE {_DUE.format(milestones=ms_sql)}
                UNION ALL SELECT raised_date FROM {is_sql} i)
        ), q AS (
            SELECT unnest(generate_series(date_trunc('quarter', lo), hi, INTERVAL 3 MONTH))::DATE AS s
            FROM bounds WHERE lo IS NOT NULL
        )
        SELECT strftime(s, '%Y') || '-Q' || quarter(s) AS wave, s AS wave_start,
               (s + INTERVAL 3 MONTH)::DATE AS wave_end
        FROM q ORDER BY s""", ms_params * 2 + is_params).df().assign(
        wave_start=lambda f: pd.to_datetime(f["wave_start"]).dt.date,
        wave_end=lambda f: pd.to_datetime(f["wave_end"]).dt.date)


# -- events and indicators -------------------------------------------------------

# A milestone is due once it is achieved or its baseline date is on or before the schedule's latest
# achievement (the data's own "as of", not the wall clock: a pinned version keeps its figures); one
# planned after that is not yet missed. With no achievement recorded, nothing unachieved is due. An
# achievement dated after its file was loaded is a typing slip, not the schedule's "as of".
_DUE = """(actual_date IS NOT NULL OR baseline_date <= (
    SELECT max(x.actual_date) FROM {milestones} x JOIN batches b ON b.batch_id = x.batch_id
    WHERE x.actual_date <= CAST(b.loaded_at AS DATE)))"""

# The periods asked for and the partners known (or asked for): the parameters of
# ``_span_params``, the start of both queries below.
_SCOPE_SQL = """
WITH periods AS (
    SELECT unnest(?::VARCHAR[]) AS wave, unnest(?::DATE[]) AS wave_start,
           unnest(?::DATE[]) AS wave_end
),
known AS (
    SELECT partner_id FROM partners
    WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], partner_id)
),
"""

# One row per event an indicator rests on: a milestone due (x = 1 if on time / joint, or its
# slip in days), an issue raised (x = 1 if escalated / self-raised, or its days to resolve,
# ``ended`` False while it is still open).
_EVENTS_SQL = _SCOPE_SQL + """
owned_ms AS (
    SELECT * FROM (
        SELECT unnest(list_distinct(owner_partner_ids)) AS partner_id,
               len(list_distinct(owner_partner_ids)) AS owners,
               baseline_date, actual_date, forecast_date, """ + _DUE + """ AS due
        FROM {milestones} m
    ) WHERE partner_id IN (SELECT partner_id FROM known)
),
ms AS (
    SELECT o.*, p.wave FROM owned_ms o JOIN periods p
      ON o.baseline_date >= p.wave_start AND o.baseline_date < p.wave_end
),
all_issues AS (SELECT * FROM {issues} i),
log_end AS (
    SELECT max(greatest(raised_date, coalesce(resolved_date, raised_date))) AS day
    FROM all_issues
),
iss AS (
    SELECT i.owned_by_partner_id AS partner_id, p.wave, i.raised_by_partner_id,
           i.raised_date, i.resolved_date, i.escalated
    FROM all_issues i JOIN periods p
      ON i.raised_date >= p.wave_start AND i.raised_date < p.wave_end
    WHERE i.owned_by_partner_id IN (SELECT partner_id FROM known)
)
SELECT partner_id, wave, 'on_time_rate' AS indicator,
       CASE WHEN actual_date <= baseline_date THEN 1.0 ELSE 0.0 END AS x, TRUE AS ended
FROM ms WHERE due
UNION ALL
SELECT partner_id, wave, 'mean_slip_days',
       datediff('day', baseline_date, coalesce(actual_date, forecast_date))::DOUBLE, TRUE
FROM ms WHERE coalesce(actual_date, forecast_date) IS NOT NULL
UNION ALL
SELECT partner_id, wave, 'joint_share', CASE WHEN owners > 1 THEN 1.0 ELSE 0.0 END, TRUE FROM ms
UNION ALL
SELECT partner_id, wave, 'median_days_to_resolve',
       datediff('day', raised_date, coalesce(resolved_date, (SELECT day FROM log_end)))::DOUBLE,
       resolved_date IS NOT NULL
FROM iss
UNION ALL
SELECT partner_id, wave, 'escalation_rate', CASE WHEN escalated THEN 1.0 ELSE 0.0 END, TRUE
FROM iss WHERE escalated IS NOT NULL
UNION ALL
SELECT partner_id, wave, 'self_raised_share',
       CASE WHEN raised_by_partner_id = partner_id THEN 1.0 ELSE 0.0 END, TRUE
FROM iss
"""

# The ageing backlog at each period's end and the workload it is scaled by.
_BACKLOG_SQL = _SCOPE_SQL + """
iss AS (
    SELECT owned_by_partner_id AS partner_id, raised_date, resolved_date FROM {issues} i
    WHERE owned_by_partner_id IN (SELECT partner_id FROM known)
),
owned_ms AS (
    SELECT * FROM (SELECT unnest(list_distinct(owner_partner_ids)) AS partner_id, baseline_date
                   FROM {milestones} m)
    WHERE partner_id IN (SELECT partner_id FROM known)
),
ageing AS (
    SELECT i.partner_id, p.wave, count(*) AS ageing_n
    FROM iss i JOIN periods p ON datediff('day', i.raised_date, p.wave_end) > ?
    WHERE i.resolved_date IS NULL OR i.resolved_date >= p.wave_end
    GROUP BY ALL
),
workload AS (
    SELECT o.partner_id, p.wave, count(*) AS due_n
    FROM owned_ms o JOIN periods p ON o.baseline_date < p.wave_end
     AND o.baseline_date >= p.wave_end - to_days(?::INTEGER)
    GROUP BY ALL
)
SELECT k.partner_id, p.wave, coalesce(a.ageing_n, 0) AS events, coalesce(w.due_n, 0) AS count
FROM known k CROSS JOIN periods p
LEFT JOIN ageing a ON a.partner_id = k.partner_id AND a.wave = p.wave
LEFT JOIN workload w ON w.partner_id = k.partner_id AND w.wave = p.wave
"""


def _span_params(spans: pd.DataFrame, partners: Iterable[int] | None) -> list:
    ids = None if partners is None else [int(p) for p in partners]
    return [spans["wave"].tolist(), spans["wave_start"].tolist(), spans["wave_end"].tolist(),
            ids, ids]


def events(cursor, spans: pd.DataFrame, *, asof: int | None = None,
           partners: Iterable[int] | None = None) -> pd.DataFrame:
    """The events behind every compared indicator in ``spans`` (rows of ``periods``):
    partner_id, wave, indicator, x, ended (see ``_EVENTS_SQL``)."""
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    frame = cursor.execute(_EVENTS_SQL.format(milestones=ms_sql, issues=is_sql),
                           _span_params(spans, partners) + ms_params * 2 + is_params).df()
    return frame.astype({"partner_id": "int64", "x": "float64", "ended": "bool"})


def _summaries(found: pd.DataFrame) -> pd.DataFrame:
    """Value, 95% interval, count and events per partner x wave x indicator from the events."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    meta = {i.name: i.test for i in INDICATORS}
    test = found["indicator"].map(meta)
    keys = ["partner_id", "wave", "indicator"]
    plain = found[test != Test.SURVIVAL].groupby(keys, sort=False)["x"].agg(
        ["mean", "std", "size", "sum"]).reset_index()
    share = (plain["indicator"].map(meta) == Test.PROPORTION).to_numpy()
    wilson_low, wilson_high = np.full(len(plain), np.nan), np.full(len(plain), np.nan)
    if share.any():
        wilson_low[share], wilson_high[share] = proportion_confint(
            plain["sum"][share], plain["size"][share], method="wilson")
    with np.errstate(all="ignore"):
        half = stats.t.ppf(0.975, plain["size"] - 1) * plain["std"] / np.sqrt(plain["size"])
    out = pd.DataFrame({
        "partner_id": plain["partner_id"], "wave": plain["wave"], "indicator": plain["indicator"],
        "value": plain["mean"],
        "low": np.where(share, wilson_low, plain["mean"] - half),
        "high": np.where(share, wilson_high, plain["mean"] + half),
        "count": plain["size"],
        "events": np.where(share, plain["sum"], plain["size"]),
    })
    timed = found[test == Test.SURVIVAL]
    if timed.empty:
        return out
    grouped = timed.groupby(keys, sort=False)
    codes = grouped.ngroup().to_numpy()
    median, low, high = survival.medians(codes, timed["x"].to_numpy(),
                                         timed["ended"].to_numpy(), grouped.ngroups)
    cells = grouped["ended"].agg(["size", "sum"]).reset_index()
    return pd.concat([out, pd.DataFrame({
        "partner_id": cells["partner_id"], "wave": cells["wave"], "indicator": cells["indicator"],
        "value": median, "low": low, "high": high, "count": cells["size"],
        "events": cells["sum"]})], ignore_index=True)


def indicators(cursor, *, asof: int | None = None, partners: Iterable[int] | None = None,
               waves: Iterable[str] | None = None) -> pd.DataFrame:
    """Every indicator for every known partner x period, long.

    Columns: partner_id, partner, wave, wave_start, indicator, value, low and high (its 95%
    interval: Wilson for shares, t for the mean slip, Kaplan-Meier for days to resolve;
    none for the backlog), count (what it rests on: its ``basis``), events (the count's
    events that make the value: milestones on time, issues escalated or resolved, ageing
    issues...), factor. value is missing when count is 0, and for days to resolve while the
    median is not reached. Ordered by wave_start, partner, indicator table order.
    """
    spans = periods(cursor, asof)
    if waves is not None:
        spans = spans[spans["wave"].isin([str(w) for w in waves])]
    known = scores.partners(cursor)
    if partners is not None:
        known = known[known["partner_id"].isin([int(p) for p in partners])]
    grid = (known.rename(columns={"name": "partner"})
            .merge(spans[["wave", "wave_start"]], how="cross")
            .merge(pd.DataFrame({"indicator": [i.name for i in INDICATORS],
                                 "_o": range(len(INDICATORS))}), how="cross"))
    found = _summaries(events(cursor, spans, asof=asof, partners=partners))
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    backlog = cursor.execute(_BACKLOG_SQL.format(milestones=ms_sql, issues=is_sql),
                             _span_params(spans, partners) + is_params + ms_params
                             + [AGEING_DAYS, WORKLOAD_DAYS]).df()
    backlog = backlog.assign(
        indicator="ageing_backlog", low=np.nan, high=np.nan,
        value=np.where(backlog["count"] > 0,
                       PER_MILESTONES * backlog["events"] / backlog["count"].where(
                           backlog["count"] > 0), np.nan))
    found = pd.concat([found, backlog[found.columns]], ignore_index=True) if len(found) else \
        backlog[["partner_id", "wave", "indicator", "value", "low", "high", "count", "events"]]
    frame = grid.merge(found.astype({"partner_id": "int64"}),
                       on=["partner_id", "wave", "indicator"], how="left")
    frame["partner_id"] = frame["partner_id"].astype("int64")
    for column in ("count", "events"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("value", "low", "high"):
        frame[column] = frame[column].astype("float64")
    frame["factor"] = frame["indicator"].map({i.name: i.factor for i in INDICATORS})
    frame = frame.sort_values(["wave_start", "partner", "partner_id", "_o"], kind="stable")
    return frame.reset_index(drop=True)[INDICATOR_COLUMNS]


# -- agreement -------------------------------------------------------------------

class Status(StrEnum):
    """What ``agreement`` found for a partner x factor (``note`` says it in words; for a
    hidden survey group ``present.words.agreement_note`` says why, from ``suppression_reason``)."""
    DISAGREES = "disagrees"
    CONSISTENT = "consistent"           # compared; no disagreement beyond noise
    TOO_FEW_EVENTS = "too few events"
    NO_EVIDENCE = "no evidence"
    SURVEY_HIDDEN = "survey hidden"
    NO_SURVEY = "no survey"
    NO_OTHERS = "no other partners"


AGREEMENT_COLUMNS = [
    "partner_id", "partner", "wave", "factor", "survey_score", "others_score",
    "survey_difference", "survey_low", "survey_high", "indicator", "evidence_value",
    "others_value", "evidence_from", "events", "p_value", "p_adjusted", "disagrees", "status",
    "note", "suppression_reason", "survey_rank", "evidence_rank", "ranked",
]


def _others(survey: pd.DataFrame) -> pd.DataFrame:
    """Each shown partner group against the other partners of its wave x factor: their
    mean and se, from the programme total minus the partner (the programme group is made
    of exactly the partners' respondents, so n, sum and sum of squares subtract)."""
    programme = survey[survey["partner_id"].isna() & ~survey["suppressed"]]
    programme = programme.set_index("factor")[["score", "se", "n"]].rename(
        columns={"score": "m_all", "se": "se_all", "n": "n_all"})
    own = survey[survey["partner_id"].notna() & ~survey["suppressed"]].join(programme, on="factor")
    n, n_all = own["n"].astype("float64"), own["n_all"].astype("float64")
    sd2, sd2_all = own["se"] ** 2 * n, own["se_all"] ** 2 * n_all
    n_rest = n_all - n
    with np.errstate(all="ignore"):
        mean_rest = (n_all * own["m_all"] - n * own["score"]) / n_rest
        squares = ((n_all - 1) * sd2_all + n_all * own["m_all"] ** 2
                   - (n - 1) * sd2 - n * own["score"] ** 2)
        var_rest = ((squares - n_rest * mean_rest ** 2) / (n_rest - 1)).clip(lower=0)
        se_rest = np.sqrt(var_rest / n_rest)
    difference = own["score"] - mean_rest
    p, df = significance.welch(difference, own["se"], n, se_rest, n_rest)
    low, high = significance.interval(difference, own["se"], se_rest, df)
    return pd.DataFrame({"partner_id": own["partner_id"].astype("int64"), "factor": own["factor"],
                         "others_score": mean_rest, "survey_difference": difference,
                         "survey_low": low, "survey_high": high, "survey_p": p})


def _window(spans: pd.DataFrame, wave: str) -> list[str]:
    """The wave and up to MAX_POOLED - 1 periods before it, newest first."""
    order = list(spans["wave"])
    at = order.index(wave)
    return order[max(0, at - MAX_POOLED + 1):at + 1][::-1]


def _value(indicator: Indicator, x: np.ndarray, ended: np.ndarray) -> float:
    """An indicator's value over pooled events: their share or mean, or for days to resolve
    the Kaplan-Meier median (NaN while it is not reached)."""
    if len(x) == 0:
        return np.nan
    if indicator.test == Test.SURVIVAL:
        return float(survival.medians(np.zeros(len(x), int), x, ended, 1)[0][0])
    return float(x.mean())


def _compare(indicator: Indicator, a: np.ndarray, ended_a: np.ndarray, b: np.ndarray,
             ended_b: np.ndarray) -> tuple:
    """(p-value, direction) of one indicator, the partner's events ``a`` against the other
    partners' ``b``: direction +1 when the partner's evidence is better than the others',
    -1 when worse, 0 when level."""
    from scipy import stats
    from statsmodels.duration.survfunc import survdiff

    mine, theirs = _value(indicator, a, ended_a), _value(indicator, b, ended_b)
    if indicator.test == Test.PROPORTION:
        hits, others = int(a.sum()), int(b.sum())
        p = stats.fisher_exact([[hits, len(a) - hits], [others, len(b) - others]]).pvalue
        higher = np.sign(mine - theirs)
    elif indicator.test == Test.MEAN:
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
        higher = np.sign(mine - theirs)
    else:
        if not (ended_a.any() or ended_b.any()):
            return np.nan, 0
        p = survdiff(np.concatenate([a, b]), np.concatenate([ended_a, ended_b]).astype(float),
                     np.r_[np.ones(len(a)), np.zeros(len(b))])[1]
        # a median not reached is longer than any reached one; two not reached: the share
        # resolved decides
        slow_a, slow_b = (np.inf if np.isnan(v) else v for v in (mine, theirs))
        higher = (np.sign(slow_a - slow_b) if slow_a != slow_b
                  else -np.sign(ended_a.mean() - ended_b.mean()))
    p = float(p) if np.isfinite(p) else (1.0 if higher == 0 else np.nan)
    return p, int(higher if indicator.good == "higher" else -higher)


POOLED_COLUMNS = ["partner_id", "indicator", "factor", "evidence_from", "periods", "events",
                  "others_events", "evidence_p", "direction", "evidence_value", "others_value"]


def span(first: str, last: str, n: int) -> str:
    """The ``n`` periods a pooled figure covers, as cards, slides and notes write them."""
    return last if n == 1 else f"{first} to {last}"


def pooled(cursor, *, asof: int | None = None, wave: str | None = None) -> pd.DataFrame:
    """Per known partner x compared indicator in ``wave`` (default: the latest): the periods
    pooled (from the wave back, until the partner has MIN_EVENTS events, at most MAX_POOLED:
    evidence_from, periods), its events there and the other partners' in the same periods,
    both values over them, and the test against the others (evidence_p, direction) when both
    have MIN_EVENTS. The one window the Partner profile's cards, its pack and ``agreement``
    speak of. Columns ``POOLED_COLUMNS``."""
    spans = periods(cursor, asof)
    wave = wave or (str(spans["wave"].iloc[-1]) if len(spans) else None)
    if wave is None or wave not in set(spans["wave"]):
        return pd.DataFrame(columns=POOLED_COLUMNS)
    window = _window(spans, wave)
    found = events(cursor, spans[spans["wave"].isin(window)], asof=asof)
    ids = scores.partners(cursor)["partner_id"].to_numpy(dtype="int64")
    rows = []
    for indicator in (i for i in INDICATORS if i.test is not None):
        of_it = found[found["indicator"] == indicator.name]
        pid = of_it["partner_id"].to_numpy()
        age = of_it["wave"].map({w: j for j, w in enumerate(window)}).to_numpy(  # 0: the wave
            dtype="int64")
        x, ended = of_it["x"].to_numpy(), of_it["ended"].to_numpy()
        for partner in ids:
            mine_at = np.bincount(age[pid == partner], minlength=len(window))
            enough = np.flatnonzero(np.cumsum(mine_at) >= MIN_EVENTS)
            count = int(enough[0]) + 1 if len(enough) else len(window)
            used = age < count
            mine, rest = used & (pid == partner), used & (pid != partner)
            row = [int(partner), indicator.name, indicator.factor, window[count - 1], count,
                   int(mine.sum()), int(rest.sum()), np.nan, 0,
                   _value(indicator, x[mine], ended[mine]), _value(indicator, x[rest], ended[rest])]
            if mine.sum() >= MIN_EVENTS and rest.sum() >= MIN_EVENTS:
                row[7:9] = _compare(indicator, x[mine], ended[mine], x[rest], ended[rest])
            rows.append(row)
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def agreement(cursor, *, asof: int | None = None, wave: str | None = None,
              k: int | None = None, pooled_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """What a partner's people say against what its evidence shows, per partner x factor in
    one wave (default: the latest), each against the other partners.

    Survey: the partner's factor score against the other partners' (Welch's t). Evidence:
    each compared indicator of the factor against the other partners' events in the same
    periods (Fisher's exact test for shares, Welch's t for the slip, log-rank for days to
    resolve), pooling the wave with the periods before it until the partner has MIN_EVENTS
    events (at most MAX_POOLED); fewer is 'too few events'. A survey-evidence pair is one
    comparison with p = the larger of the two p-values (both sides must differ: an
    intersection-union test); Benjamini-Hochberg over every pair of the wave. ``disagrees``:
    adjusted p <= significance.FDR_Q and the survey is above the others where the evidence
    is worse, or below where it is better. The row shows the pair with the smallest
    adjusted p. survey_rank / evidence_rank / ranked order the partners compared on the
    factor (by survey score; by the evidence's signed standing) for display; the flag does
    not use them. Columns ``AGREEMENT_COLUMNS``. ``pooled_frame``: ``pooled`` of the same
    arguments, when the caller has it already.
    """
    wave = wave or scores.latest_wave(cursor, asof)
    if wave is None:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    survey = scores.factor_statistics(cursor, asof=asof, k=k, waves=[wave])
    partner_rows = survey[survey["partner_id"].notna()].assign(
        partner_id=lambda f: f["partner_id"].astype("int64"))
    tests = pooled(cursor, asof=asof, wave=wave) if pooled_frame is None else pooled_frame
    pairs = tests.merge(_others(survey), on=["partner_id", "factor"], how="left")
    pairs["p_value"] = np.fmax(pairs["survey_p"], pairs["evidence_p"]).where(
        pairs["survey_p"].notna() & pairs["evidence_p"].notna())
    pairs["p_adjusted"] = significance.fdr(pairs["p_value"].to_numpy(dtype="float64"))
    says = np.sign(pairs["survey_difference"].to_numpy(dtype="float64"))
    pairs["disagrees"] = (significance.flagged(pairs["p_adjusted"])
                          & (says * pairs["direction"].to_numpy(dtype="float64") < 0))
    order = {i.name: n for n, i in enumerate(INDICATORS)}
    pairs = pairs.assign(_o=pairs["indicator"].map(order), _flag=~pairs["disagrees"],
                         _tested=pairs["p_adjusted"].isna(), _fewer=-pairs["events"])
    best = (pairs.sort_values(["_flag", "_tested", "p_adjusted", "_fewer", "_o"], kind="stable")
            .drop_duplicates(["partner_id", "factor"]))
    out = (partner_rows[["partner_id", "partner", "factor", "score", "suppressed",
                         "suppression_reason"]].rename(columns={"score": "survey_score"})
           .merge(best, on=["partner_id", "factor"], how="outer"))
    names = scores.partners(cursor).set_index("partner_id")["name"]
    out["partner"] = out["partner_id"].map(names)
    out = out[out["partner"].notna()].copy()
    out["wave"] = wave
    out["status"] = [_status(r) for r in out.itertuples(index=False)]
    out["note"] = [_note(r) for r in out.itertuples(index=False)]
    out["disagrees"] = out["disagrees"].fillna(False).astype(bool)
    out["suppression_reason"] = out["suppression_reason"].where(out["suppressed"].eq(True), None)
    out = _ranks(out)
    out["_f"] = out["factor"].map({f: i for i, f in enumerate(FACTORS)})
    out = out.sort_values(["_f", "partner", "partner_id"], kind="stable")
    return out.reset_index(drop=True)[AGREEMENT_COLUMNS]


def _ranks(out: pd.DataFrame) -> pd.DataFrame:
    compared = out["p_adjusted"].notna()
    standing = out["direction"] * -np.log10(out["evidence_p"].clip(lower=1e-300))
    by_factor = out[compared].groupby("factor")
    out["ranked"] = by_factor["partner_id"].transform("count").reindex(out.index).astype("Int64")
    out["survey_rank"] = by_factor["survey_score"].rank(method="min", ascending=False).reindex(
        out.index).astype("Int64")
    out["evidence_rank"] = standing[compared].groupby(out["factor"]).rank(
        method="min", ascending=False).reindex(out.index).astype("Int64")
    return out


def _status(row) -> Status:
    if pd.isna(row.suppressed):
        return Status.NO_SURVEY
    if row.suppressed:
        return Status.SURVEY_HIDDEN
    if pd.isna(row.indicator) or row.events == 0:
        return Status.NO_EVIDENCE
    if row.events < MIN_EVENTS or row.others_events < MIN_EVENTS:
        return Status.TOO_FEW_EVENTS
    if pd.isna(row.survey_p):
        return Status.NO_OTHERS
    return Status.DISAGREES if row.disagrees else Status.CONSISTENT


def _note(row) -> str | None:
    """The plain words of a partner x factor's agreement."""
    status, factor = _status(row), factor_label(row.factor).lower()
    if status == Status.NO_SURVEY:
        return "No survey responses for this factor in this wave"
    if status == Status.SURVEY_HIDDEN:
        return None  # the reason is a code (suppression_reason); present.words says it with k
    if status == Status.NO_EVIDENCE:
        return "No delivery or issue data for this factor in this wave"
    indicator = INDICATORS_BY_NAME[row.indicator]
    window = f"in {span(row.evidence_from, row.wave, row.periods)}"
    if status == Status.TOO_FEW_EVENTS:
        return (f"Too few events to compare {indicator.label.lower()}: {row.events} "
                f"{indicator.basis} {window} (needs {MIN_EVENTS})")
    if status == Status.NO_OTHERS:
        return "No other partners' survey scores to compare with in this wave"
    evidence = (f"{indicator.label.lower()} {indicator.text(row.evidence_value)} against "
                f"{indicator.text(row.others_value)}, {row.events} {indicator.basis} {window}")
    if status == Status.CONSISTENT:
        return (f"Survey and evidence do not clearly disagree (survey {row.survey_difference:+.1f} "
                f"points against the other partners; {evidence})")
    says = "stronger" if row.survey_difference > 0 else "weaker"
    shows = indicator.worse if row.direction < 0 else indicator.better
    return (f"Says {says} {factor} than the other partners ({row.survey_difference:+.1f} points) "
            f"but {shows} ({evidence}; adjusted p {significance.p_text(row.p_adjusted)})")
