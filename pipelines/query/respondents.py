"""How many people answered each partner's survey wave, and the words for a count not given exactly.

Participation and comments are decided on the respondents of a partner x wave: everyone with
at least one answer that wave (``scores`` counts respondents per factor instead). Only counts
leave this module, never a respondent.
"""
from __future__ import annotations

import pandas as pd

from pipelines.query import scores
from pipelines.store.versions import visible

COLUMNS = ["partner_id", "partner", "wave", "wave_start", "respondents"]


def group_k(k: int | None = None) -> int:
    """The k a view uses: ``anonymity_k`` unless given, never below the minimum (scores' rule)."""
    return scores._k(k)


def fewer_than(k: int) -> str:
    """A count under k, as survey platforms give it."""
    return f"fewer than {int(k)}"


def at_least(k: int) -> str:
    """A count of k or more that is hidden so a smaller one cannot be worked out."""
    return f"{int(k)} or more"


_COUNTS_SQL = """
    SELECT r.partner_id, p.name AS partner, r.wave, min(r.wave_start) AS wave_start,
           count(DISTINCT r.respondent_key) AS respondents
    FROM {responses} r JOIN partners p ON p.partner_id = r.partner_id
    GROUP BY r.partner_id, p.name, r.wave
    ORDER BY min(r.wave_start), r.wave, p.name, r.partner_id"""


def per_partner_wave(cursor, asof: int | None = None) -> pd.DataFrame:
    """Partner x wave groups with at least one respondent: partner_id, partner, wave, wave_start,
    respondents; in wave order, then partner name."""
    resp_sql, params = visible("survey_responses", asof)
    frame = cursor.execute(_COUNTS_SQL.format(responses=resp_sql), params).df()
    return frame.astype({"partner_id": "int64", "respondents": "int64"})[COLUMNS]


def by_read_version(reads: pd.DataFrame):
    """The released partners of ``scores.released_reads`` grouped by the version to read them at:
    (version, or None for the view's own data; their rows), the programme's rows left out."""
    for at, group in reads[reads["partner_id"] >= 0].groupby("read_at", dropna=False, sort=True):
        yield (None if pd.isna(at) else int(at)), group


def as_released(cursor, asof: int | None = None, k: int | None = None) -> pd.DataFrame:
    """``per_partner_wave`` as the scores' releases show the groups: each partner x wave counted at
    the version its scores show (``scores.released_reads``; ``read_at``, <NA>: ``asof``'s own data),
    with ``released`` False for a group with
    respondents that no release shows yet (counted at ``asof``: its count must not be given exactly).
    A count then changes only when the scores change, so two versions never give a late
    respondent's group away."""
    with scores.snapshot(cursor):
        reads = scores.released_reads(cursor, asof=asof, k=k)
        own = per_partner_wave(cursor, asof)
        parts = [own.iloc[0:0].assign(read_at=pd.array([], dtype="Int64"))]  # none released yet: no rows, same columns
        for version, group in by_read_version(reads):
            counted = own if version == asof else per_partner_wave(cursor, version)
            parts.append(counted.merge(group[["partner_id", "wave", "read_at"]], on=["partner_id", "wave"]))
    released = pd.concat(parts, ignore_index=True).assign(released=True)
    waiting = own.merge(released[["partner_id", "wave"]], on=["partner_id", "wave"], how="left", indicator=True)
    waiting = waiting[waiting["_merge"].eq("left_only")].drop(columns="_merge").assign(released=False)
    frame = pd.concat([released, waiting], ignore_index=True)
    return frame.sort_values(["wave_start", "wave", "partner", "partner_id"], ignore_index=True)


def counts_hidden(cursor, asof: int | None = None, k: int | None = None) -> dict[tuple[int, str], str | None]:
    """(partner_id, wave) -> None where the scores' release shows the partner's respondents in that
    wave (every factor shown), else why not (``Suppression.SMALL_GROUP`` when a factor is small,
    else ``COMPLEMENT``). A partner x wave not listed has no released scores: its count is not shown
    either. Any other count that equals or bounds a partner's respondents in a wave (ratings given,
    answers) may be shown only where this says None: otherwise the programme's n less the shown
    partners' would give away a hidden group."""
    factors = scores.factor_scores(cursor, asof=asof, k=k, programme=False)
    out: dict[tuple[int, str], str | None] = {}
    for pid, wave, reason in zip(factors["partner_id"], factors["wave"], factors["suppression_reason"]):
        key, before = (int(pid), str(wave)), out.get((int(pid), str(wave)))
        out[key] = scores.Suppression.SMALL_GROUP if scores.Suppression.SMALL_GROUP in (before, reason) \
            else (before or reason)
    return out


class UnknownWave(ValueError):
    """A wave asked for that the data has not (a usage error of the command line)."""

    def __init__(self, wave: str, known: list[str]):
        super().__init__(f"There is no survey wave '{wave}'. The waves are: {', '.join(known) or 'none yet'}.")


def known_wave(wave: str | None, known: list[str]) -> str | None:
    """``wave`` when it is one of ``known`` (None stays None); UnknownWave naming them otherwise."""
    if wave is None:
        return None
    if str(wave) not in known:
        raise UnknownWave(str(wave), known)
    return str(wave)


def check_wave(cursor, wave: str | None, asof: int | None = None) -> str | None:
    """``wave`` when the survey has it (None stays None); UnknownWave naming the waves there are."""
    if wave is None:
        return None
    return known_wave(wave, [str(w) for w in scores.waves(cursor, asof)["wave"]])
