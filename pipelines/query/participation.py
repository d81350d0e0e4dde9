"""Participation: how many of the staff each partner invited answered each survey wave.

One row per partner x wave where the partner had respondents or a headcount applies. A headcount
counts for its wave and for later waves until the partner's next one (a programme sends its list
once and updates it when it changes). ``rate = respondents / invited``, at most 1 (more respondents
than invited means the headcount is out of date: ``over_invited`` says so, for the views to tell).

Privacy: a group with fewer than k respondents (but some) is not given exactly: its respondents are
"fewer than k" and it has no rate, as survey platforms do. The scores publish the programme's
respondents per wave and factor, so a partner whose respondents the scores do not show
(``respondents.counts_hidden``: one hidden to protect a small one) has its count hidden here too
("k or more"), or subtracting the shown counts from the programme's would give the small group's. No respondents at all is shown
as 0: it identifies nobody. Across data versions, counts follow the scores' releases
(``respondents.as_released``): a group is counted as its scores show it, and one no release shows
yet is not given exactly ("fewer than k" or "k or more").

``below_warning`` is True when the rate is under the ``participation_warning`` setting, also when
only "fewer than k" is known but even k - 1 respondents would be under it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.query import respondents as groups
from pipelines.query import scores
from pipelines.store.versions import visible

EXPORT_COLUMNS = ["partner", "wave", "invited", "respondents", "rate"]
COLUMNS = ["partner_id", "partner", "wave", "wave_start", "invited", "respondents", "rate",
           "below_warning", "over_invited", "suppressed", "reason"]


def participation(cursor, *, asof: int | None = None, k: int | None = None,
                  warning: float | None = None) -> pd.DataFrame:
    """Partner x wave participation (see the module docstring), in wave order then partner name.

    Columns: partner_id, partner, wave, wave_start, invited (<NA> without a headcount),
    respondents (a number, or the words for a hidden count), rate (NaN when not given),
    below_warning (<NA> when unknown), over_invited (more respondents shown than invited), suppressed,
    reason."""
    k = groups.group_k(k)
    warning = settings.get("participation_warning") if warning is None else float(warning)
    frame = _suppress(_groups(cursor, asof, k), _complements(cursor, asof, k), k)
    invited = frame["invited"].astype("float64")
    shown = ~frame["suppressed"].to_numpy(dtype=bool)
    counts = frame["n"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(shown & (invited > 0), np.minimum(counts / invited, 1.0), np.nan)
        at_most = np.where(frame["reason"].eq(scores.Suppression.SMALL_GROUP), (k - 1) / invited, np.nan)
    surely = at_most < warning  # even k - 1 respondents would be under the warning
    below = pd.array(np.where(np.isnan(rate), surely, rate < warning), dtype="boolean")
    below[np.isnan(rate) & ~surely] = pd.NA
    words = frame["reason"].map({scores.Suppression.SMALL_GROUP: groups.fewer_than(k),
                                 scores.Suppression.COMPLEMENT: groups.at_least(k)})
    frame["respondents"] = frame["n"].astype(object).where(shown, words)
    frame["rate"] = rate
    frame["below_warning"] = below
    frame["over_invited"] = shown & (invited > 0) & (counts > invited)
    return frame[COLUMNS]


def participation_export(cursor, *, asof: int | None = None, k: int | None = None) -> pd.DataFrame:
    """The command line's records: partner, wave, invited, respondents, rate (3 decimals)."""
    frame = participation(cursor, asof=asof, k=k)
    return frame.assign(rate=frame["rate"].round(3))[EXPORT_COLUMNS]


def _groups(cursor, asof: int | None, k: int) -> pd.DataFrame:
    """Every partner x wave with respondents or an applying headcount: partner_id, partner, wave,
    wave_start, invited, n (respondents as released, 0 when none), released."""
    counts = groups.as_released(cursor, asof, k)
    head_sql, params = visible("headcounts", asof)
    heads = cursor.execute(f"""SELECT h.partner_id, p.name AS partner, h.wave, h.wave_start, h.invited
        FROM {head_sql} h JOIN partners p ON p.partner_id = h.partner_id""", params).df().astype(
        {"partner_id": "int64", "invited": "int64"})
    waves = (pd.concat([counts[["wave", "wave_start"]], heads[["wave", "wave_start"]]])
             .drop_duplicates("wave").sort_values(["wave_start", "wave"], ignore_index=True))
    names = pd.concat([counts[["partner_id", "partner"]], heads[["partner_id", "partner"]]]).drop_duplicates()
    grid = names.merge(waves, how="cross").sort_values(["wave_start", "wave"], kind="stable")
    # the partner's latest headcount at or before each wave
    heads = heads.sort_values("wave_start").rename(columns={"wave": "_from", "wave_start": "_from_start"})
    grid = pd.merge_asof(grid, heads[["partner_id", "_from_start", "invited"]], left_on="wave_start",
                         right_on="_from_start", by="partner_id", direction="backward")
    grid = grid.merge(counts[["partner_id", "wave", "respondents", "released"]], on=["partner_id", "wave"],
                      how="left")
    grid = grid[grid["invited"].notna() | grid["respondents"].notna()]
    grid = grid.assign(invited=grid["invited"].astype("Int64"),
                       n=grid["respondents"].fillna(0).astype("int64"),
                       released=grid["released"].fillna(True).astype(bool))
    grid = grid.sort_values(["wave_start", "wave", "partner", "partner_id"], ignore_index=True)
    return grid[["partner_id", "partner", "wave", "wave_start", "invited", "n", "released"]]


def _complements(cursor, asof: int | None, k: int) -> set[tuple[int, str]]:
    """(partner_id, wave) of every partner group whose respondents the scores do not show
    (``respondents.counts_hidden``); those with fewer than k are told apart by ``_suppress``."""
    return {key for key, why in groups.counts_hidden(cursor, asof, k).items() if why is not None}


def _suppress(frame: pd.DataFrame, complements: set[tuple[int, str]], k: int) -> pd.DataFrame:
    """The one place participation decides which counts are not given exactly (where a rule across
    data versions would wrap): adds suppressed and reason."""
    n = frame["n"].to_numpy()
    primary = (n > 0) & (n < k)
    keys = zip(frame["partner_id"].astype(int), frame["wave"].astype(str))
    waiting = ~frame["released"].to_numpy(dtype=bool)  # no release shows it yet: not given exactly
    complement = (np.array([key in complements for key in keys], dtype=bool) | waiting) & ~primary
    reason = np.where(primary, scores.Suppression.SMALL_GROUP, np.where(complement, scores.Suppression.COMPLEMENT, None))
    return frame.assign(suppressed=primary | complement, reason=pd.Series(reason, index=frame.index, dtype=object))
