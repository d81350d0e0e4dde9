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
   ``mean +/- t(0.975, n-1) * sd / sqrt(n)`` (``t`` from scipy), clipped to 0..100 for
   display. ``band`` is ``factors.band_of(score)``.

What a version shows (privacy across versions)
----------------------------------------------
Every value comes from the *release* in force at the version asked for
(``pipelines.query.releases``, which states the rule): per partner x wave, the respondents
and answers of the version the release was made at. A late batch of fewer than k
respondents, an undo, or a re-load that changes a group by fewer than k therefore changes
nothing shown; the rows of such a partner x wave carry ``pending``, e.g. "3 late responses
are not shown yet". The programme row of a wave is the exact sum of the partner groups of
its release (n, n x mean, and the pooled spread), never a separate query.

Suppression (within a release)
------------------------------
* primary: a group (partner or programme) with ``n < k`` is hidden,
  reason ``Suppression.SMALL_GROUP``;
* complementary: when exactly one partner group is primarily hidden and the total is
  shown, a second group is hidden, so ``total - shown partners`` is the sum of two hidden
  groups, never one: the smallest other shown partner (ties: lowest partner_id), never the
  lead partner (setting ``lead_partner``) while another is shown; the programme total when
  no other partner is shown. Reason ``Suppression.COMPLEMENT``. With two or more primary
  groups the difference already mixes at least two hidden groups.
* a hidden row has ``score``, ``n``, ``ci_low``, ``ci_high`` and ``band`` all missing.
* the collaboration index of a group is hidden when any of its weighted factors is hidden;
  the programme index likewise.
* filters (``partners=``, ``waves=``) are applied after suppression has been decided
  over all partners, so a filtered view never un-hides anything.

Known limit: someone who knows this rule can bound a secondary group's n (it is at
least k and at most the smallest shown partner's n); with ties at k that can pin the
primary group's n (never its mean). Across versions see ``releases``.

Collaboration index
-------------------
Per respondent ``y_i = sum_f w_f x_if`` with the weights ``w`` (``settings.index_weights()``
unless ``weights=`` is passed, normalised over the factors with a positive weight); for a
factor the respondent skipped, the group's mean of that factor stands in. The group's index
is the mean of ``y``, which is exactly ``sum_f w_f m_f`` (the weighted mean of the factor
scores), for groups that have every weighted factor. ``n`` is the smallest weighted factor
n. Its interval is ``mean +/- t(0.975, n-1) * se`` with ``se^2 = n/(n-1) * sum_i z_i^2`` and
``z_i = sum_f (w_f / n_f) (x_if - m_f)`` over the factors respondent i answered: the
standard error of the weighted mean of the factor means from the spread of the
per-respondent index (for a group where everyone answered every factor it is exactly
``sd(y) / sqrt(n)``). It is computed from per-group sums (``sum x_f x_g``, ``sum x_f``
over respondents answering both, and their count), so the programme's comes from the sums
of its partners'.

Change since the previous wave: ``changes`` (its rules: ``between_waves``).
"""
from __future__ import annotations

import contextlib
import itertools
import threading
from enum import StrEnum
from typing import Iterable, Iterator, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from pipelines import settings
from pipelines.programme.factors import FACTORS, INDEX, bands_of
from pipelines.query import between_waves, releases
from pipelines.query.releases import Hidden
from pipelines.store import versions
from pipelines.store.versions import visible

PROGRAMME = "Programme"


class Suppression(StrEnum):
    """Why a group is hidden: a code every frame carries in ``suppression_reason``; the
    sentences people read are made from it by ``present.words``."""
    SMALL_GROUP = "small_group"   # fewer than k respondents
    COMPLEMENT = "complement"     # hidden so a smaller group cannot be worked out by subtraction


FACTOR_COLUMNS = [
    "partner_id", "partner", "wave", "wave_start", "factor", "score", "n",
    "ci_low", "ci_high", "band", "suppressed", "suppression_reason", "pending",
]
INDEX_COLUMNS = [c for c in FACTOR_COLUMNS if c != "factor"]
CHANGE_COLUMNS = [
    "partner_id", "partner", "factor", "wave", "wave_start", "previous_wave", "score",
    "previous_score", "change", "change_low", "change_high", "p_value", "p_adjusted",
    "beyond_uncertainty", "no_change",
]
EXPORT_COLUMNS = ["partner", "wave", "factor", "score", "respondents", "suppressed", "reason", "pending"]
_REASONS = {Hidden.SMALL: Suppression.SMALL_GROUP, Hidden.COMPLEMENT: Suppression.COMPLEMENT}
_F = len(FACTORS)
_PAIRS = list(itertools.combinations(range(_F), 2))  # factor pairs for the index's spread


def t975(df) -> np.ndarray:
    """Two-sided 95% Student t quantile for degrees of freedom ``df`` (array-like); NaN below 1."""
    d = np.asarray(df, dtype="float64")
    usable = np.where(d >= 1, d, 1.0)
    distinct, at = np.unique(usable, return_inverse=True)  # few distinct df among many groups
    return np.where(d >= 1, stats.t.ppf(0.975, distinct)[at].reshape(d.shape), np.nan)


# -- helpers ---------------------------------------------------------------------

def _k(k: int | None) -> int:
    if k is None:
        return settings.anonymity_k()
    k = int(k)
    if k < settings.MIN_ANONYMITY_K:
        raise ValueError(f"k={k} is below {settings.MIN_ANONYMITY_K}: groups that small could "
                         f"identify people.")
    return k


def anonymity_k(k: int | None = None) -> int:
    """The k in force: ``k`` when given (refused below the minimum), else the setting."""
    return _k(k)


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


def _order(frame: pd.DataFrame, with_factor: bool) -> pd.DataFrame:
    keys = ["wave_start", "wave"]
    if with_factor:
        frame = frame.assign(_f=frame["factor"].map(
            {f: i for i, f in enumerate((*FACTORS, INDEX))}))
        keys.append("_f")
    frame = frame.assign(_p=frame["partner_id"].notna(), _name=frame["partner"])
    frame = frame.sort_values(keys + ["_p", "_name"], kind="stable")
    return frame.drop(columns=[c for c in ("_f", "_p", "_name") if c in frame]).reset_index(drop=True)


# -- reading the responses ----------------------------------------------------------
# A respondent's factor scores: one group per respondent (partner x wave x respondent) and one
# aggregate per factor, so the factor never multiplies the groups or the rows. The LEFT JOIN keeps
# answers to items that are not scored, so wave_start (the earliest answer) comes from this pass.
# ``{at}`` is empty, or "version, " when the rows of many versions are scored at once.
_RESPONDENTS_SQL = """
items AS (
    SELECT {at}item_id, list_position(?::VARCHAR[], factor)::UTINYINT AS factor_no,
           scale_min, scale_max, reverse_scored FROM {items} i
    WHERE list_contains(?::VARCHAR[], factor) AND scale_max > scale_min
),
answers AS (
    SELECT {at}r.partner_id, r.wave, r.respondent_key, r.wave_start, i.factor_no,
           CASE WHEN i.reverse_scored
                THEN 100.0 - (r.value - i.scale_min) * 100.0 / (i.scale_max - i.scale_min)
                ELSE (r.value - i.scale_min) * 100.0 / (i.scale_max - i.scale_min) END AS x
    FROM {responses} r LEFT JOIN items i USING ({at}item_id)
),
by_respondent AS (
    SELECT {at}partner_id, wave, respondent_key, min(wave_start) AS wave_start,
           {factor_means}
    FROM answers
    GROUP BY {at}partner_id, wave, respondent_key
)
"""
# per partner x wave: respondents, sum and sd per factor (fsum, compensated summation: the mean
# does not depend on the order the respondents arrive in); with ``pairs``, the sums the index's
# spread needs for each pair of factors (over respondents who answered both)
_STATS_SQL = "WITH " + _RESPONDENTS_SQL + """
SELECT partner_id, wave, min(wave_start) AS wave_start, {factor_stats}
FROM by_respondent GROUP BY partner_id, wave
"""
# What each load or undo changed, for releases: the respondents each event touched (those of its
# batch; everyone for an instrument), each with a token per factor answered at that version (the
# respondent and their score, rounded so the same answers always give the same token), or none
# when nothing of theirs is visible then.
_TOUCHED_SQL = """WITH
events AS (SELECT unnest(?::INTEGER[]) AS version, unnest(?::INTEGER[]) AS batch,
                  unnest(?::BOOLEAN[]) AS everyone),
touched AS (
    SELECT DISTINCT e.version, r.respondent_key, r.wave FROM events e
    JOIN survey_responses r ON r.batch_id = e.batch WHERE NOT e.everyone
    UNION
    SELECT DISTINCT e.version, r.respondent_key, r.wave FROM events e
    JOIN survey_responses r ON r.batch_id <= e.version WHERE e.everyone
    UNION  -- a batch may change a respondent's ratings and none of their answers
    SELECT DISTINCT e.version, r.respondent_key, r.wave FROM events e
    JOIN partner_ratings r ON r.batch_id = e.batch WHERE NOT e.everyone
),
moments AS (SELECT DISTINCT version FROM events),
-- a respondent no later event touches has, at the last event that did, the rows they have now
last_touch AS (SELECT respondent_key, wave, max(version) AS version FROM touched GROUP BY ALL),
earlier AS (SELECT version, respondent_key, wave FROM touched
            EXCEPT SELECT version, respondent_key, wave FROM last_touch),
touched_rows AS (
    SELECT l.version, r.* FROM last_touch l JOIN {current} r USING (respondent_key, wave)
    UNION ALL
    SELECT * FROM {earlier_rows}
),
"""
_CHANGES_SQL = _TOUCHED_SQL + _RESPONDENTS_SQL + """
SELECT t.version, t.wave, t.respondent_key, b.partner_id, {tokens}
FROM touched t LEFT JOIN by_respondent b USING (version, respondent_key, wave)
ORDER BY t.version, t.wave, b.partner_id NULLS FIRST, t.respondent_key
"""
# A rating on 0..100 by its question's scale (``dyads`` scores a respondent's rating of a partner as
# the mean of these; the releases' tokens must be of the same number).
RATING_POINTS = "(value - scale_min) * 100.0 / (scale_max - scale_min)"
# The same respondents' answers as the views beside the scores show them: a token per question
# answered (the item view), per partner rated (a dyad cell: the mean of its questions, as
# ``dyads`` scores it) and one for all their ratings (a dyad row), so that releases check each
# question's and each rated partner's set too.
_DETAILS_SQL = _TOUCHED_SQL + """
touched_ratings AS (
    SELECT l.version, r.* FROM last_touch l JOIN {current_ratings} r USING (respondent_key, wave)
    UNION ALL
    SELECT * FROM {earlier_ratings}
),
owners AS (SELECT DISTINCT version, wave, respondent_key, partner_id FROM touched_rows),
-- a rater is a respondent with answers of the same organisation then, as ``dyads`` counts them
rated AS (
    SELECT version, wave, respondent_key, partner_id, target_id, round(avg(""" + RATING_POINTS + """), 9) AS x
    FROM touched_ratings JOIN owners USING (version, wave, respondent_key, partner_id)
    WHERE scale_max > scale_min GROUP BY ALL
),
details AS (
    -- a question's dimension names its factor (1-5; 0: none), whose hiding hides the question too
    SELECT r.version, r.wave, r.respondent_key, r.partner_id,
           '{question}' || coalesce(list_position(?::VARCHAR[], i.factor), 0) || ':' || r.item_id AS dimension,
           hash(r.respondent_key, r.item_id, round(r.value, 9)) AS token
    FROM touched_rows r LEFT JOIN {items} i ON i.version = r.version AND i.item_id = r.item_id
    UNION ALL
    SELECT version, wave, respondent_key, partner_id, '{rated}' || target_id, hash(respondent_key, target_id, x)
    FROM rated
    UNION ALL
    SELECT version, wave, respondent_key, partner_id, '{rater}', hash(respondent_key, bit_xor(hash(target_id, x)))
    FROM rated GROUP BY version, wave, respondent_key, partner_id
)
SELECT * FROM details ORDER BY version, wave, partner_id, dimension, token
"""
_FACTOR_MEANS = ",\n           ".join(f"avg(x) FILTER (WHERE factor_no = {f}) AS f{f}" for f in range(1, _F + 1))


def _sql(template: str, asof: int | None, waves: Sequence[str] | None, **parts) -> tuple[str, list]:
    items_sql, items_params = visible("instrument_items", asof)
    resp_sql, resp_params = visible("survey_responses", asof, None if waves is None else list(waves))
    sql = template.format(items=items_sql, responses=resp_sql, factor_means=_FACTOR_MEANS, at="", **parts)
    return sql, [list(FACTORS)] + items_params + [list(FACTORS)] + resp_params


def _partner_stats(cursor, asof: int | None, waves: Sequence[str] | None, pairs: bool) -> dict:
    columns = [f"count(f{f}) AS n{f}, fsum(f{f}) AS s{f}, stddev_samp(f{f}) AS d{f}" for f in range(1, _F + 1)]
    if pairs:
        for f, g in _PAIRS:
            a, b = f"f{f + 1}", f"f{g + 1}"
            columns.append(f"count({a} + {b}) AS pn{f}{g}, fsum({a} * {b}) AS pp{f}{g}, "
                           f"fsum({a}) FILTER (WHERE {b} IS NOT NULL) AS pa{f}{g}, "
                           f"fsum({b}) FILTER (WHERE {a} IS NOT NULL) AS pb{f}{g}")
    sql, params = _sql(_STATS_SQL, asof, waves, factor_stats=",\n       ".join(columns))
    found = cursor.execute(sql, params).fetchnumpy()
    return {name: (np.ma.filled(values.astype("float64"), np.nan) if np.ma.isMaskedArray(values)
                   and values.dtype.kind in "iuf" else np.asarray(values))
            for name, values in found.items()}


class _Survey:
    """What ``releases`` may ask of the survey responses (this module alone reads them)."""

    @staticmethod
    def changes(cursor, events: list[tuple[int, int, bool]]) -> dict[str, np.ndarray]:
        """Per event (version, batch, whether it touches everyone), the respondents it touched and
        their tokens then: columns version, wave, respondent_key, partner_id, t1..t5 (masked where
        missing), ordered by version, wave, partner."""
        tokens = ", ".join(f"CASE WHEN b.f{f} IS NOT NULL THEN hash(t.respondent_key, {f}, round(b.f{f}, 9)) END"
                           f" AS t{f}" for f in range(1, _F + 1))
        current, current_params = visible("survey_responses", None)
        sql = _CHANGES_SQL.format(
            at="version, ", factor_means=_FACTOR_MEANS, tokens=tokens, current=current,
            earlier_rows=versions.visible_at("survey_responses", "earlier",
                                             "t.respondent_key = m.respondent_key AND t.wave = m.wave"),
            items=versions.visible_at("instrument_items", "moments"), responses="touched_rows")
        columns = [list(c) for c in zip(*events)] if events else [[], [], []]
        return cursor.execute(sql, columns + current_params + [list(FACTORS), list(FACTORS)]).fetchnumpy()

    @staticmethod
    def details(cursor, events: list[tuple[int, int, bool]]) -> dict[str, np.ndarray]:
        """Per event as ``changes``: the touched respondents' tokens per question, per partner they
        rated and for all their ratings: columns version, wave, respondent_key, partner_id,
        dimension (``releases.Detail`` names), token; ordered by version, wave, partner, dimension."""
        current, current_params = visible("survey_responses", None)
        ratings, ratings_params = visible("partner_ratings", None)
        on = "t.respondent_key = m.respondent_key AND t.wave = m.wave"
        sql = _DETAILS_SQL.format(
            current=current, earlier_rows=versions.visible_at("survey_responses", "earlier", on),
            current_ratings=ratings, earlier_ratings=versions.visible_at("partner_ratings", "earlier", on),
            items=versions.visible_at("instrument_items", "moments"),
            question=releases.Detail.QUESTION.prefix, rated=releases.Detail.RATED.prefix,
            rater=releases.Detail.RATER.prefix)
        columns = [list(c) for c in zip(*events)] if events else [[], [], []]
        return cursor.execute(sql, columns + current_params + ratings_params + [list(FACTORS)]).fetchnumpy()


_SURVEY = _Survey()


def _rules(cursor, k: int, weights: dict[str, float]) -> releases.Rules:
    lead = settings.get("lead_partner").strip()
    if not lead and versions.is_demo(cursor):
        from pipelines.programme import demo
        lead = next(p.name for p in demo.PARTNERS if p.domain == "client")
    found = cursor.execute("SELECT min(partner_id) FROM partners WHERE lower(name) = lower(?)",
                           [lead]).fetchone()[0] if lead else None
    weighted = tuple(i for i, f in enumerate(FACTORS) if weights[f] > 0)
    return releases.Rules(k, None if found is None else int(found), weighted)


# -- the released groups -------------------------------------------------------------
_open_snapshots = threading.local()  # ids of this thread's cursors inside a ``snapshot``


@contextlib.contextmanager
def snapshot(cursor) -> Iterator[None]:
    """One read transaction: the history, the releases and the rows read are of one moment (a load
    committing in between would otherwise show rows that no release has checked). Inside another
    snapshot of the same cursor, that one moment serves (DuckDB aborts a transaction that is asked
    to BEGIN again, so nesting is known here rather than tried)."""
    open_ids = _open_snapshots.__dict__.setdefault("ids", set())
    if id(cursor) in open_ids:
        yield
        return
    try:
        cursor.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:  # the caller's own transaction is one moment already
        yield
        return
    open_ids.add(id(cursor))
    try:
        yield
    finally:
        open_ids.discard(id(cursor))
        cursor.execute("COMMIT")


_reuse = threading.local()  # the released reads of one view's build (``reusing_reads``)


@contextlib.contextmanager
def reusing_reads() -> Iterator[None]:
    """Within this block (one view's build, on this thread) the released groups are read once per
    data version and question: a view asks for the same reads from several queries (scores, index,
    changes, alerts: five of six reads of a pinned Overview were the same)."""
    outer = getattr(_reuse, "reads", None)
    _reuse.reads = {} if outer is None else outer
    try:
        yield
    finally:
        _reuse.reads = outer


def _released(cursor, asof: int | None, k: int, waves: Iterable[str] | None, pairs: bool,
              weights: dict[str, float]) -> dict:
    """Per released partner x wave, its statistics read at the version of its release (the data
    of ``asof`` itself wherever the release still matches it), with its suppression codes h1..h5
    and its pending note; in blocks per wave (the programme row first), partners in name order.
    Columns as arrays (shared within ``reusing_reads``: read, never change them)."""
    with snapshot(cursor):
        reads = getattr(_reuse, "reads", None)
        if reads is None:
            return _read_released(cursor, asof, k, waves, pairs, weights)
        key = (versions.data_version(cursor), asof, k, None if waves is None else tuple(map(str, waves)),
               pairs, tuple(weights.items()))
        if key not in reads:
            reads[key] = _read_released(cursor, asof, k, waves, pairs, weights)
        return reads[key]


def _shown(cursor, asof: int | None, k: int, weights: dict[str, float]) -> releases.Shown:
    plan = releases.plan(cursor, _SURVEY, _rules(cursor, k, weights))
    return plan.table(versions.data_version(cursor) if asof is None else int(asof))


def released_reads(cursor, wave: str | None = None, *, asof: int | None = None,
                   k: int | None = None) -> pd.DataFrame:
    """The scores' rule across data versions, for views of the same answers (items, ratings,
    participation): per partner x wave released at ``asof`` (``wave`` only, when given), ``read_at``,
    the version whose data to read (<NA>: ``asof``'s own), and h1..h5, whether the release hides
    that factor; the programme as partner_id -1. A partner not released yet is not listed (nothing
    of it shows). Call it and read the data inside one ``snapshot``."""
    shown = _shown(cursor, asof, _k(k), _weights(None))
    rows = np.ones(len(shown.wave), bool) if wave is None else shown.wave == str(wave)
    waves = [w for w in shown.programme if wave is None or w == str(wave)]
    codes = np.vstack([shown.codes[rows], *(shown.programme[w][0] for w in waves)])
    read_at = pd.array(np.r_[shown.read_at[rows], [-1] * len(waves)].astype("int64"), dtype="Int64")
    read_at[read_at == -1] = pd.NA if asof is None else int(asof)
    return pd.DataFrame({
        "wave": np.r_[shown.wave[rows], waves].astype(object),
        "partner_id": np.r_[shown.partner_id[rows], [-1] * len(waves)].astype("int64"),
        "read_at": read_at,
        **{f"h{f + 1}": codes[:, f] != releases.Hidden.SHOWN for f in range(_F)}})


def released_detail(cursor, wave: str, *, asof: int | None = None, k: int | None = None,
                    kind: releases.Detail) -> dict[str, dict[int, int]]:
    """What the release of ``wave`` in force at ``asof`` hides of each question or rated partner
    (``kind``): the id (item id, or rated partner's id as text) -> partner id (-1: the programme)
    -> a ``releases.Hidden`` code; a group not listed is shown. Read with ``released_reads`` in one
    ``snapshot``: the views beside the scores take their suppression from here."""
    found = _shown(cursor, asof, _k(k), _weights(None)).detail.get(str(wave), {})
    return {releases.Detail.id_of(d): codes for d, codes in found.items() if d.startswith(kind.prefix)}


def _read_released(cursor, asof, k, waves, pairs, weights) -> dict:
    shown = _shown(cursor, asof, k, weights)
    keep = np.ones(len(shown.wave), bool) if waves is None else np.isin(shown.wave, [str(w) for w in waves])
    parts = []
    for at in np.unique(shown.read_at[keep]):
        rows = np.flatnonzero(keep & (shown.read_at == at))
        found = _partner_stats(cursor, asof if at == -1 else int(at), sorted(set(shown.wave[rows])), pairs)
        wave = found["wave"].astype(object)
        pid = found["partner_id"].astype("int64")
        # the released rows among those read: match (wave, partner) keys
        index = {key: i for i, key in enumerate(zip(wave.tolist(), pid.tolist()))}
        take = np.array([index[key] for key in zip(shown.wave[rows].tolist(), shown.partner_id[rows].tolist())],
                        dtype=np.int64)
        part = {name: values[take] for name, values in found.items()}
        part.update(wave=wave[take], partner_id=pid[take], pending=shown.pending[rows],
                    **{f"h{f + 1}": shown.codes[rows, f] for f in range(_F)})
        parts.append(part)
    if not parts:
        return {}
    wide = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return _with_programme(wide, shown.programme, cursor, pairs)


def _with_programme(wide: dict, programme: dict, cursor, pairs: bool) -> dict:
    """A programme row per wave, first in its block: the sums of the wave's partner rows (the
    spread pooled: within the partners plus between their means)."""
    names = dict(cursor.execute("SELECT partner_id, name FROM partners").fetchall())
    wide["partner"] = np.array([names.get(p, "") for p in wide["partner_id"].tolist()], dtype=object)
    order = np.lexsort((wide["partner_id"], wide["partner"].astype(str), wide["wave"].astype(str)))
    wide = {name: values[order] for name, values in wide.items()}
    first = np.flatnonzero(np.r_[True, wide["wave"][1:] != wide["wave"][:-1]])
    blocks = np.cumsum(np.isin(np.arange(len(wide["wave"])), first)) - 1

    def total(values: np.ndarray) -> np.ndarray:  # per wave
        return np.add.reduceat(np.nan_to_num(values), first)

    waves = wide["wave"][first]
    top = {"partner_id": np.full(len(first), -1, np.int64), "partner": np.full(len(first), PROGRAMME, object),
           "wave": waves, "wave_start": np.minimum.reduceat(wide["wave_start"], first),
           "pending": np.array([programme[w][1] for w in waves], dtype=object)}
    codes = np.stack([programme[w][0] for w in waves])
    for f in range(1, _F + 1):
        n, s, d = wide[f"n{f}"].astype("float64"), wide[f"s{f}"], wide[f"d{f}"]
        n_all, s_all = total(n), total(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            squares = (total(np.clip(n - 1, 0, None) * np.nan_to_num(d) ** 2)
                       + total(np.where(n > 0, np.nan_to_num(s) ** 2 / n, 0.0))
                       - np.where(n_all > 0, s_all ** 2 / n_all, 0.0))
            top[f"d{f}"] = np.where(n_all > 1, np.sqrt(np.maximum(squares, 0.0) / (n_all - 1)), np.nan)
        top[f"n{f}"], top[f"s{f}"], top[f"h{f}"] = n_all, s_all, codes[:, f - 1]
    if pairs:
        top.update({f"{c}{f}{g}": total(wide[f"{c}{f}{g}"]) for f, g in _PAIRS for c in ("pn", "pp", "pa", "pb")})
    # the programme row first in its wave's block
    at = np.r_[first, len(blocks)]
    pieces = [np.r_[len(blocks) + i, np.arange(at[i], at[i + 1])] for i in range(len(first))]
    order = np.concatenate(pieces) if pieces else np.empty(0, np.int64)
    out = {}
    for name, values in wide.items():
        if name in top:
            out[name] = np.concatenate([values, np.asarray(top[name], dtype=values.dtype)])[order]
    return out


# -- long frames -----------------------------------------------------------------------
def _long(wide: pd.DataFrame, partners: Iterable[int] | None, programme: bool) -> dict:
    """Released partner x wave rows (in blocks per wave: the programme row first, then the partners
    in name order) -> one row per group x factor, in display order (wave_start, wave, factor,
    programme first, partner name, partner_id). Columns as arrays."""
    def per_factor(prefix: str) -> np.ndarray:  # rows x factors
        return np.column_stack([wide[f"{prefix}{f}"].astype("float64") for f in range(1, _F + 1)])

    n = per_factor("n").astype("int64")
    codes = per_factor("h").astype("int8")
    partner_id = wide["partner_id"].astype("int64")
    total = partner_id == -1
    starts = np.flatnonzero(total)
    block = np.cumsum(total) - 1
    wave_start = wide["wave_start"][starts]
    wave_rank = np.empty(len(starts), dtype="int64")
    wave_rank[np.lexsort((wide["wave"][starts].astype(str), wave_start))] = np.arange(len(starts))
    keep = n > 0
    if partners is not None:
        keep = keep & (total | np.isin(partner_id, [int(p) for p in partners]))[:, None]
    if not programme:
        keep = keep & ~total[:, None]
    cells = np.flatnonzero(keep.ravel())
    key = (wave_rank[block][:, None] * _F + np.arange(_F)).ravel()[cells]
    cells = cells[np.argsort(key, kind="stable")]
    row, factor = np.divmod(cells, _F)
    n = n.ravel()[cells]
    return {
        "partner_id": pd.arrays.IntegerArray(partner_id[row], total[row]),
        "partner": pd.array(wide["partner"], dtype="str").take(row),  # text columns once, then taken
        "wave": pd.array(wide["wave"], dtype="str").take(row),
        "wave_start": wave_start[block[row]],
        "factor": pd.array(list(FACTORS), dtype="str").take(factor),
        "n": n,
        "mean": per_factor("s").ravel()[cells] / n,
        "sd": per_factor("d").ravel()[cells],
        "code": codes.ravel()[cells],
        "pending": wide["pending"][row],
    }


def _finish(groups: dict, thresholds: tuple[float, float], se: np.ndarray | None = None) -> pd.DataFrame:
    """Intervals, bands and the hiding of suppressed values (all vectorised)."""
    n = groups["n"].astype("float64")
    if se is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            se = groups["sd"] / np.sqrt(n)
    half = t975(n - 1) * se
    mean = groups["mean"]
    code = groups["code"]
    hidden = code != Hidden.SHOWN
    n_out = pd.array(groups["n"], dtype="Int64")
    n_out[hidden] = pd.NA
    reason = np.full(len(n), None, dtype=object)
    for value, text in _REASONS.items():
        reason[code == value] = text
    score = np.where(hidden, np.nan, mean)
    return pd.DataFrame({
        "partner_id": groups["partner_id"],
        "partner": groups["partner"],
        "wave": groups["wave"],
        "wave_start": pd.to_datetime(groups["wave_start"]),
        "factor": groups["factor"],
        "score": score,
        "n": n_out,
        "ci_low": np.where(hidden, np.nan, np.clip(mean - half, 0.0, 100.0)),
        "ci_high": np.where(hidden, np.nan, np.clip(mean + half, 0.0, 100.0)),
        "se": np.where(hidden, np.nan, se),
        "suppressed": hidden,
        "suppression_reason": pd.Series(reason, dtype=object),
        "primary": code == Hidden.SMALL,
        "band": pd.Series(bands_of(score, thresholds), dtype=object),
        "pending": pd.Series(groups["pending"], dtype=object),
    })


def _factor_frame(cursor, asof, k, waves, thresholds, partners=None, programme=True) -> pd.DataFrame:
    """Factor groups in display order, suppression decided over every partner before
    ``partners``/``programme`` drop rows."""
    wide = _released(cursor, asof, _k(k), waves, False, _weights(None)) or _EMPTY
    return _finish(_long(wide, partners, programme), thresholds or settings.band_thresholds())


def _index_frame(wide: dict, weights: dict[str, float], thresholds: tuple[float, float]) -> pd.DataFrame:
    """The collaboration index of every group that has all its weighted factors (module docstring)."""
    used = [i for i, f in enumerate(FACTORS) if weights[f] > 0]
    w = np.array([weights[FACTORS[i]] for i in used]) / sum(weights[FACTORS[i]] for i in used)
    n, s, d, codes = (np.column_stack([wide[f"{c}{i + 1}"].astype("float64") for i in used]).reshape(-1, len(used))
                      for c in "nsdh")
    exists = (n > 0).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = s / n
        a = w / n  # each factor's deviations enter with w_f / n_f
        z2 = (a ** 2 * (n - 1) * np.nan_to_num(d) ** 2).sum(axis=1)
        for (x, f), (y, g) in itertools.combinations(enumerate(used), 2):
            pair = f"{f}{g}"
            count, product, sum_f, sum_g = (np.nan_to_num(wide[f"{c}{pair}"].astype("float64"))
                                            for c in ("pn", "pp", "pa", "pb"))
            cross = product - m[:, y] * sum_f - m[:, x] * sum_g + count * m[:, x] * m[:, y]
            z2 += 2 * a[:, x] * a[:, y] * cross
        size = n.min(axis=1)
        se = np.sqrt(np.maximum(z2, 0.0) * size / (size - 1))
    mean = (m * w).sum(axis=1)
    code = np.where((codes == Hidden.SMALL).any(axis=1), Hidden.SMALL,
                    np.where((codes != Hidden.SHOWN).any(axis=1), Hidden.COMPLEMENT, Hidden.SHOWN))
    rows = np.flatnonzero(exists)
    partner_id = wide["partner_id"].astype("int64")[rows]
    groups = {
        "partner_id": pd.arrays.IntegerArray(partner_id, partner_id == -1),
        "partner": wide["partner"][rows],
        "wave": wide["wave"][rows],
        "wave_start": wide["wave_start"][rows],
        "factor": np.full(len(rows), INDEX, dtype=object),
        "n": size[rows].astype("int64"),
        "mean": mean[rows],
        "sd": np.full(len(rows), np.nan),
        "code": code[rows].astype("int8"),
        "pending": wide["pending"][rows],
    }
    return _finish(groups, thresholds, se=se[rows])


_EMPTY = {"partner_id": np.empty(0, np.int64), "partner": np.empty(0, object), "wave": np.empty(0, object),
          "wave_start": np.empty(0, "datetime64[us]"), "pending": np.empty(0, object),
          **{f"{c}{f}": np.empty(0) for c in "nsdh" for f in range(1, _F + 1)},
          **{f"{c}{f}{g}": np.empty(0) for f, g in _PAIRS for c in ("pn", "pp", "pa", "pb")}}


def _filter_partners(frame: pd.DataFrame, partners: Iterable[int] | None,
                     programme: bool) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if partners is not None:
        ids = {int(p) for p in partners}
        keep &= frame["partner_id"].isna() | frame["partner_id"].isin(ids)
    if not programme:
        keep &= frame["partner_id"].notna()
    return frame[keep.to_numpy()]


def _with_index(cursor, asof, k, waves, weights, thresholds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Factor rows and index rows of the same released groups."""
    weights = _weights(weights)
    wide = _released(cursor, asof, _k(k), waves, True, weights) or _EMPTY
    return _finish(_long(wide, None, True), thresholds), _index_frame(wide, weights, thresholds)


# -- public API ------------------------------------------------------------------

def factor_scores(cursor, *, asof: int | None = None, k: int | None = None,
                  partners: Iterable[int] | None = None, waves: Iterable[str] | None = None,
                  programme: bool = True,
                  thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Partner x wave x factor scores plus the programme row per wave x factor.

    Columns: partner_id (<NA> for the programme), partner ('Programme'), wave, wave_start,
    factor, score, n, ci_low, ci_high, band, suppressed, suppression_reason, pending (the
    responses a value does not show yet, in words, or None). Suppressed rows carry no score,
    n, interval or band. ``partners`` (ids) and ``waves`` only filter the result;
    suppression is decided over every partner.
    """
    frame = _factor_frame(cursor, asof, k, waves, thresholds, partners, programme)
    return frame[FACTOR_COLUMNS]


def factor_statistics(cursor, *, asof: int | None = None, k: int | None = None,
                      waves: Iterable[str] | None = None) -> pd.DataFrame:
    """``factor_scores`` plus ``se`` (sd / sqrt(n)) of each shown group, for the query
    layer's tests (``significance``); a hidden row carries no se either."""
    frame = _factor_frame(cursor, asof, k, waves, settings.band_thresholds())
    return frame[FACTOR_COLUMNS + ["se"]]


def index_scores(cursor, *, asof: int | None = None, k: int | None = None,
                 partners: Iterable[int] | None = None, waves: Iterable[str] | None = None,
                 weights: Mapping[str, float] | Sequence[float] | None = None,
                 programme: bool = True,
                 thresholds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Collaboration index per partner x wave and programme x wave.

    Same columns as ``factor_scores`` without ``factor``. A group lacking any factor with
    a positive weight has no index row; a group with any weighted factor hidden is hidden.
    """
    thresholds = thresholds or settings.band_thresholds()
    _, index = _with_index(cursor, asof, k, waves, weights, thresholds)
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
    change, change_low, change_high (95%), p_value (Welch), p_adjusted (Benjamini-Hochberg
    over every change into that wave: all partners and the programme, factors and index,
    whatever the filters), beyond_uncertainty (p_adjusted <= significance.FDR_Q: the same
    rule as ``alerts``). ``change`` is missing (and ``beyond_uncertainty`` <NA>) when either
    wave's group is hidden or absent, or for the first wave; ``no_change`` then says which (a
    ``between_waves.NoChange``), and is None where there is a change.
    """
    thresholds = thresholds or settings.band_thresholds()
    frame, index = _with_index(cursor, asof, k, None, weights, thresholds)
    # the index is always tested: the family a wave's flags are controlled over must not
    # depend on what a caller asks to see
    frame = pd.concat([frame, index[[c for c in frame.columns if c in index.columns]]],
                      ignore_index=True)
    merged = between_waves.compare(frame)
    if not include_index:
        merged = merged[merged["factor"] != INDEX]
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
    suppressed, reason (a ``Suppression`` code), pending. Hidden groups are listed with empty
    score and respondents."""
    thresholds = settings.band_thresholds()
    frame, index = _with_index(cursor, asof, k, None, weights, thresholds)
    frame = pd.concat([frame, index], ignore_index=True)
    frame = _order(frame.assign(_fo=frame["factor"].map(
        {f: i for i, f in enumerate((*FACTORS, INDEX))})).sort_values("_fo", kind="stable"),
        with_factor=False)
    return pd.DataFrame({
        "partner": frame["partner"],
        "wave": frame["wave"],
        "factor": frame["factor"],
        # sums run in another order on another engine differ in their last bits: settle those first,
        # so a score on a rounding edge (46.25) prints the same from a file and from a lake
        "score": frame["score"].round(9).round(1),
        "respondents": frame["n"].astype("Int64"),
        "suppressed": frame["suppressed"].astype(bool),
        "reason": frame["suppression_reason"],
        "pending": frame["pending"],
    })[EXPORT_COLUMNS]
