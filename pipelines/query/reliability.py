"""How consistently each factor's items measure one thing: Cronbach's alpha per factor and
wave, over the whole programme's respondents.

A factor score averages four statements; the average means something only if people who
agree with one tend to agree with the others. Alpha is the share of the variance of the
summed items that their covariance accounts for, scaled to the number of items:

    alpha = m / (m - 1) * (1 - sum of the item variances / variance of the item sum)

over the respondents who answered every item of the factor that anyone answered that wave
(item values on 0..100, reverse-scored items flipped, as in ``scores``). Below
``ALPHA_FLOOR`` (0.7, the common floor for group comparisons) the factor is flagged;
with fewer than ``MIN_ITEMS`` items answered there is no estimate. Only aggregates leave
DuckDB (per item variance, variance of the sums, counts), and a wave x factor with fewer
than k such respondents is not shown. The respondents are those of the groups the scores'
releases show, each read at the version its scores show (``reliability``).

Written out rather than taken from a library: statsmodels and scipy have no reliability
coefficient, and pingouin's ``cronbach_alpha`` would add 17 packages (matplotlib, seaborn,
scikit-learn, xarray...; ``pip install --dry-run pingouin==0.7.0``) and needs the
respondent-by-item table in Python, where this needs four aggregates from SQL.
"""
from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from pipelines.programme.factors import FACTORS
from pipelines.query import respondents as groups
from pipelines.query import scores
from pipelines.store.versions import visible

ALPHA_FLOOR = 0.7
MIN_ITEMS = 3
RELIABILITY_COLUMNS = ["wave", "factor", "alpha", "respondents", "items_answered", "items",
                       "status", "note"]


class Status(StrEnum):
    OK = "ok"
    LOW = "below 0.7"
    FEW_ITEMS = "fewer than three items answered"
    NO_SPREAD = "no spread"
    HIDDEN = "fewer than k respondents"


_ALPHA_SQL = """
WITH items AS (
    SELECT item_id, factor, scale_min, scale_max, reverse_scored FROM {items} i
    WHERE list_contains(?::VARCHAR[], factor) AND scale_max > scale_min
),
asked AS (  -- every wave x factor with answers at the view's version: the rows listed
    SELECT r.wave, i.factor, min(r.wave_start) AS wave_start
    FROM {responses} r JOIN items i ON i.item_id = r.item_id GROUP BY ALL
),
answers AS (  -- the released groups' answers, each read at the version its scores show
    SELECT r.wave, r.partner_id, r.respondent_key, i.factor, i.item_id,
           CASE WHEN i.reverse_scored
                THEN 100.0 - (r.value - i.scale_min) * 100.0 / (i.scale_max - i.scale_min)
                ELSE (r.value - i.scale_min) * 100.0 / (i.scale_max - i.scale_min) END AS x
    FROM ({released}) r JOIN items i ON i.item_id = r.item_id
),
used AS (SELECT wave, factor, count(DISTINCT item_id) AS items_answered FROM answers GROUP BY ALL),
complete AS (
    SELECT a.wave, a.factor, a.partner_id, a.respondent_key
    FROM answers a JOIN used u ON u.wave = a.wave AND u.factor = a.factor
    GROUP BY a.wave, a.factor, a.partner_id, a.respondent_key, u.items_answered
    HAVING count(DISTINCT a.item_id) = u.items_answered
),
kept AS (
    SELECT a.* FROM answers a JOIN complete c
      ON c.wave = a.wave AND c.factor = a.factor AND c.partner_id = a.partner_id
     AND c.respondent_key = a.respondent_key
),
item_variance AS (
    SELECT wave, factor, sum(v) AS item_variance FROM (
        SELECT wave, factor, item_id, var_samp(x) AS v FROM kept GROUP BY ALL) GROUP BY ALL
),
sums AS (
    SELECT wave, factor, var_samp(total) AS sum_variance, count(*) AS respondents FROM (
        SELECT wave, factor, partner_id, respondent_key, sum(x) AS total FROM kept GROUP BY ALL)
    GROUP BY ALL
),
instrument AS (SELECT factor, count(*) AS items FROM items GROUP BY ALL)
-- a wave x factor with no group released yet counts the instrument's items: nothing of its answers shows
SELECT a.wave, a.factor, coalesce(u.items_answered, n.items) AS items_answered, n.items,
       coalesce(s.respondents, 0) AS respondents, v.item_variance, s.sum_variance, a.wave_start
FROM asked a
JOIN instrument n ON n.factor = a.factor
LEFT JOIN used u ON u.wave = a.wave AND u.factor = a.factor
LEFT JOIN item_variance v ON v.wave = a.wave AND v.factor = a.factor
LEFT JOIN sums s ON s.wave = a.wave AND s.factor = a.factor
"""


def reliability(cursor, *, asof: int | None = None, k: int | None = None) -> pd.DataFrame:
    """Cronbach's alpha per wave x factor (columns ``RELIABILITY_COLUMNS``), waves in time
    order, factors in their order. ``status``: ok, below 0.7, fewer than three items
    answered, or fewer than k respondents (then alpha is not shown); ``note`` says it.

    Across data versions the scores' releases decide whose answers count (``scores.released_reads``,
    as for items and ratings): each partner's group is read at the version its scores show and a
    group not released yet is left out (a group the release hides counts, as in the programme's
    scores), so alpha and its n change only when the scores do and two versions never give a late
    respondent's answers away."""
    k = scores.anonymity_k(k)
    with scores.snapshot(cursor):
        released = scores.released_reads(cursor, asof=asof, k=k)
        items_sql, items_params = visible("instrument_items", asof)
        resp_sql, resp_params = visible("survey_responses", asof)
        reads, read_params = [], []
        for version, group in groups.by_read_version(released):
            sql, params = visible("survey_responses", version)
            reads.append(f"SELECT r.* FROM {sql} r "
                         "WHERE list_contains(?::VARCHAR[], r.partner_id::VARCHAR || '|' || r.wave)")
            read_params += [*params, [f"{p}|{w}" for p, w in zip(group["partner_id"], group["wave"])]]
        frame = cursor.execute(
            _ALPHA_SQL.format(items=items_sql, responses=resp_sql,
                              released=" UNION ALL ".join(reads) or "SELECT * FROM survey_responses WHERE false"),
            items_params + [list(FACTORS)] + resp_params + read_params).df()
    m = frame["items_answered"].to_numpy(dtype="float64")
    with np.errstate(all="ignore"):
        alpha = m / (m - 1) * (1 - frame["item_variance"] / frame["sum_variance"])
    n = frame["respondents"].to_numpy(dtype="int64")
    status = np.select([n < k, m < MIN_ITEMS, np.isnan(alpha), alpha < ALPHA_FLOOR],
                       [Status.HIDDEN.value, Status.FEW_ITEMS.value, Status.NO_SPREAD.value,
                        Status.LOW.value], default=Status.OK.value)
    shown_rows = status != Status.HIDDEN.value
    out = pd.DataFrame({
        "wave": frame["wave"].astype(str),
        "factor": frame["factor"].astype(str),
        "alpha": np.where(shown_rows & (m >= MIN_ITEMS), alpha, np.nan),
        "respondents": pd.array(np.where(shown_rows, n, 0), dtype="Int64"),
        "items_answered": frame["items_answered"].astype("int64"),
        "items": frame["items"].astype("int64"),
        "status": status,
        "_start": frame["wave_start"],
        "_f": frame["factor"].map({f: i for i, f in enumerate(FACTORS)}),
    })
    out.loc[~shown_rows, "respondents"] = pd.NA
    out["note"] = [_note(r, k) for r in out.itertuples(index=False)]
    return (out.sort_values(["_start", "wave", "_f"], kind="stable")
            .reset_index(drop=True)[RELIABILITY_COLUMNS])


def _note(row, k: int) -> str:
    if row.status == Status.HIDDEN:
        return (f"Not shown: fewer than {k} respondents answered every item of this factor "
                f"that was asked this wave")
    if row.status == Status.FEW_ITEMS:
        return (f"No estimate: only {row.items_answered} of the factor's {row.items} items were "
                f"answered this wave (it needs {MIN_ITEMS})")
    if row.status == Status.NO_SPREAD:
        return "No estimate: every respondent's item total was the same"
    if row.status == Status.LOW:
        return (f"Alpha {row.alpha:.2f} is below {ALPHA_FLOOR}: the items do not hang together "
                f"well enough for this factor's score to be read as one measure; look at the "
                f"wording of its items")
    return f"Alpha {row.alpha:.2f}: the items hang together (at least {ALPHA_FLOOR})"
