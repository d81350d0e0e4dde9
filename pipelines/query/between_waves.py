"""A change between a group's two waves (``scores.changes``): its test and, where there is
none, why.

Change since the previous wave
------------------------------
``change = score - previous score`` against the programme's previous wave (by
``wave_start``), only when both groups are shown. Each change is tested with Welch's t
from the two groups' ``se = sd / sqrt(n)`` and n (for the index, its se and n: ``scores``),
and ``beyond_uncertainty`` is True when its Benjamini-Hochberg adjusted p-value over every
change into that wave is at most 0.05 (``significance``; METHOD.md). That treats the two
waves as independent samples; repeated respondents make the waves positively correlated,
which only makes this test more cautious.

Where a row has no change, ``no_change`` holds why as a ``NoChange`` code (``present.words``
says it); no code tells a count.
"""
from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from pipelines.query import significance


class NoChange(StrEnum):
    """Why a row of ``changes`` has no change: a code in its ``no_change``, said by
    ``present.words.change``. None of them tells a count (a hidden group's stays hidden)."""
    HIDDEN = "hidden"                          # the group is not shown in this wave
    FIRST_WAVE = "first_wave"                  # the programme has no earlier wave
    PREVIOUS_HIDDEN = "previous_hidden"        # the group was not shown in the previous wave
    PREVIOUS_NO_RESPONSES = "previous_no_responses"  # nobody of it answered in the previous wave


def compare(frame: pd.DataFrame) -> pd.DataFrame:
    """Each group's row (``frame``: factor and index rows of every wave, with se) beside its own
    group's in the programme's previous wave, with its change and ``no_change``."""
    order = (frame[["wave", "wave_start"]].drop_duplicates("wave")
             .sort_values(["wave_start", "wave"]).reset_index(drop=True))
    previous = dict(zip(order["wave"].iloc[1:], order["wave"].iloc[:-1]))
    frame = frame.assign(previous_wave=frame["wave"].map(previous).astype(object),
                         wave=frame["wave"].astype(object),
                         _key=frame["partner_id"].fillna(-1).astype("int64"))
    before = frame[["_key", "factor", "wave", "score", "se", "n", "suppressed"]].rename(
        columns={"wave": "previous_wave", "score": "previous_score", "se": "previous_se",
                 "n": "previous_n", "suppressed": "previous_suppressed"})
    merged = frame.merge(before, on=["_key", "factor", "previous_wave"], how="left")
    merged = pd.concat([merged, tests(merged)], axis=1)
    merged["no_change"] = no_change(merged)
    return merged


def no_change(merged: pd.DataFrame) -> pd.Series:
    """Each row's ``NoChange`` where it has no change (None where it has): its own group hidden
    first, whatever the previous wave held; a previous group without a row had no responses."""
    why = np.select(
        [merged["suppressed"].astype(bool).to_numpy(), merged["previous_wave"].isna().to_numpy(),
         merged["previous_suppressed"].isna().to_numpy(),
         merged["previous_suppressed"].fillna(False).astype(bool).to_numpy()],
        [NoChange.HIDDEN, NoChange.FIRST_WAVE, NoChange.PREVIOUS_NO_RESPONSES, NoChange.PREVIOUS_HIDDEN],
        default=None)
    return pd.Series(why, index=merged.index, dtype=object)


def tests(merged: pd.DataFrame) -> pd.DataFrame:
    """change, its 95% interval, Welch p and the wave's Benjamini-Hochberg p (significance)
    for each row of ``changes``; beyond_uncertainty = flagged by that one rule."""
    change = (merged["score"] - merged["previous_score"]).to_numpy(dtype="float64")
    se1 = merged["se"].to_numpy(dtype="float64", na_value=np.nan)
    se0 = merged["previous_se"].to_numpy(dtype="float64", na_value=np.nan)
    p, df = significance.welch(change, se1, merged["n"].to_numpy(dtype="float64", na_value=np.nan),
                               se0, merged["previous_n"].to_numpy(dtype="float64", na_value=np.nan))
    low, high = significance.interval(change, se1, se0, df)
    adjusted = np.full(len(p), np.nan)
    for rows in merged.groupby("wave", sort=False).indices.values():
        adjusted[rows] = significance.fdr(p[rows])
    beyond = pd.array(significance.flagged(adjusted), dtype="boolean")
    beyond[np.isnan(p)] = pd.NA
    return pd.DataFrame({"change": change, "change_low": low, "change_high": high,
                         "p_value": p, "p_adjusted": adjusted, "beyond_uncertainty": beyond},
                        index=merged.index)
