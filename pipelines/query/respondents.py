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


def per_partner_wave(cursor, asof: int | None = None) -> pd.DataFrame:
    """Partner x wave groups with at least one respondent: partner_id, partner, wave, wave_start,
    respondents; in wave order, then partner name."""
    resp_sql, params = visible("survey_responses", asof)
    frame = cursor.execute(f"""
        SELECT r.partner_id, p.name AS partner, r.wave, min(r.wave_start) AS wave_start,
               count(DISTINCT r.respondent_key) AS respondents
        FROM {resp_sql} r JOIN partners p ON p.partner_id = r.partner_id
        GROUP BY r.partner_id, p.name, r.wave
        ORDER BY min(r.wave_start), r.wave, p.name, r.partner_id""", params).df()
    return frame.astype({"partner_id": "int64", "respondents": "int64"})[COLUMNS]


def check_wave(cursor, wave: str | None, asof: int | None = None) -> str | None:
    """``wave`` when the survey has it (None stays None); ValueError naming the waves there are."""
    if wave is None:
        return None
    known = [str(w) for w in scores.waves(cursor, asof)["wave"]]
    if str(wave) not in known:
        raise ValueError(f"There is no survey wave '{wave}'. The waves are: {', '.join(known) or 'none yet'}.")
    return str(wave)
