"""The alerts a director sees on the Overview, and the command line prints: one function.

Two kinds, each flagged only beyond noise with the false discovery rate held to
``significance.FDR_Q`` across everything the wave compares (METHOD.md):

* ``fell``: a partner's (or the programme's) factor score or collaboration index fell since
  the previous wave, and ``scores.changes`` flags the change (Welch's t on the two waves'
  respondent-level spread, Benjamini-Hochberg over every change into the wave).
* ``disagreement``: what a partner's people say about a factor and what its delivery and
  issue evidence show point in opposite directions, both beyond noise
  (``evidence.agreement``).

Only group-level numbers come out; hidden groups are never tested (their changes and
comparisons do not exist in the frames this reads).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Mapping, Sequence

import pandas as pd

from pipelines.programme.factors import label as factor_label
from pipelines.query import evidence, scores, significance


class Kind(StrEnum):
    FELL = "fell"
    DISAGREEMENT = "disagreement"


ALERT_COLUMNS = ["kind", "partner", "factor", "wave", "compared_with", "indicator", "score",
                 "compared_score", "change", "change_low", "change_high", "p_value", "p_adjusted",
                 "note"]
OTHER_PARTNERS = "the other partners"


def alerts(cursor, *, wave: str | None = None, asof: int | None = None, k: int | None = None,
           weights: Mapping[str, float] | Sequence[float] | None = None,
           agreement: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every alert of ``wave`` (default: the latest), falls first (largest first), then
    disagreements (strongest first). Columns ``ALERT_COLUMNS``: for a fall, ``change`` is
    the change since ``compared_with`` (the previous wave) with its 95% interval; for a
    disagreement, the partner's survey score minus the other partners' with its interval,
    and ``indicator`` the evidence that contradicts it. ``p_adjusted`` is the
    Benjamini-Hochberg p-value the flag rests on; ``note`` says it in plain words.
    ``agreement``: ``evidence.agreement`` of the same arguments, when the caller has it already."""
    wave = wave or scores.latest_wave(cursor, asof)
    if wave is None:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    return pd.concat([_falls(cursor, wave, asof, k, weights),
                      _disagreements(cursor, wave, asof, k, agreement)], ignore_index=True)[ALERT_COLUMNS]


def _falls(cursor, wave, asof, k, weights) -> pd.DataFrame:
    changes = scores.changes(cursor, asof=asof, k=k, weights=weights, waves=[wave])
    beyond = changes["beyond_uncertainty"].fillna(False).astype(bool)
    fell = changes[beyond & (changes["change"] < 0)].sort_values(
        ["change", "partner", "factor"], kind="stable")
    return pd.DataFrame({
        "kind": Kind.FELL.value,
        "partner": fell["partner"].to_numpy(),
        "factor": fell["factor"].to_numpy(),
        "wave": wave,
        "compared_with": fell["previous_wave"].to_numpy(),
        "indicator": None,
        "score": fell["score"].to_numpy(),
        "compared_score": fell["previous_score"].to_numpy(),
        "change": fell["change"].to_numpy(),
        "change_low": fell["change_low"].to_numpy(),
        "change_high": fell["change_high"].to_numpy(),
        "p_value": fell["p_value"].to_numpy(),
        "p_adjusted": fell["p_adjusted"].to_numpy(),
        "note": [_fell_note(r) for r in fell.itertuples(index=False)],
    }, columns=ALERT_COLUMNS)


def _disagreements(cursor, wave, asof, k, agree: pd.DataFrame | None) -> pd.DataFrame:
    if agree is None:
        agree = evidence.agreement(cursor, asof=asof, wave=wave, k=k)
    rows = agree[agree["disagrees"]].sort_values(["p_adjusted", "partner", "factor"],
                                                 kind="stable")
    return pd.DataFrame({
        "kind": Kind.DISAGREEMENT.value,
        "partner": rows["partner"].to_numpy(),
        "factor": rows["factor"].to_numpy(),
        "wave": wave,
        "compared_with": OTHER_PARTNERS,
        "indicator": rows["indicator"].to_numpy(),
        "score": rows["survey_score"].to_numpy(dtype="float64"),
        "compared_score": rows["others_score"].to_numpy(dtype="float64"),
        "change": rows["survey_difference"].to_numpy(dtype="float64"),
        "change_low": rows["survey_low"].to_numpy(dtype="float64"),
        "change_high": rows["survey_high"].to_numpy(dtype="float64"),
        "p_value": rows["p_value"].to_numpy(dtype="float64"),
        "p_adjusted": rows["p_adjusted"].to_numpy(dtype="float64"),
        "note": rows["note"].to_numpy(),
    }, columns=ALERT_COLUMNS)


def _fell_note(row) -> str:
    return (f"{factor_label(row.factor)} fell {abs(row.change):.1f} points since "
            f"{row.previous_wave} ({row.previous_score:.1f} to {row.score:.1f}; 95% interval of "
            f"the change {row.change_low:+.1f} to {row.change_high:+.1f}), beyond noise "
            f"(adjusted p {significance.p_text(row.p_adjusted)})")
