"""The five transition factors, the collaboration index and the bands, in the programme's words.

Every factor key, label and band is written here once; screens, packs and the command line
ask this module (the thresholds themselves are a setting, ``settings.band_thresholds``).
"""
from __future__ import annotations

import re

import numpy as np

FACTORS: tuple[str, ...] = (
    "shared_goals",
    "joint_governance",
    "psychological_safety",
    "open_communication",
    "mutual_accountability",
)
INDEX = "collaboration_index"  # the weighted mean of the five, reported beside them
FACTOR_LABELS: dict[str, str] = {
    "shared_goals": "Shared goals",
    "joint_governance": "Joint governance",
    "psychological_safety": "Psychological safety",
    "open_communication": "Open communication",
    "mutual_accountability": "Mutual accountability",
}
INDEX_LABEL = "Collaboration index"
SHORT_LABELS: dict[str, str] = {  # narrow table columns
    "shared_goals": "Shared goals", "joint_governance": "Joint gov.", "psychological_safety": "Psych. safety",
    "open_communication": "Open comm.", "mutual_accountability": "Mutual acc.", INDEX: "Index",
}
BANDS: tuple[str, ...] = ("cooperating", "transitioning", "collaborating")


def label(factor: str) -> str:
    """A factor's (or the index's) label; anything else as it is."""
    return INDEX_LABEL if factor == INDEX else FACTOR_LABELS.get(factor, factor)


def key(text: str) -> str:
    """The factor a person or a link names: its key, its label, or its words ('shared goals')."""
    found = key_or_none(text)
    if found is None:
        raise ValueError(f"Unknown factor '{text}'. Choose from: {', '.join(FACTORS)}.")
    return found


def key_or_none(text: str | None) -> str | None:
    """Like ``key``, None for text that names no factor (a cell of an instrument file)."""
    if text is None:
        return None
    words = re.sub(r"[^a-z]+", "_", str(text).casefold()).strip("_")
    return words if words in FACTORS else None


def band_of(score: float | None, thresholds: tuple[float, float]) -> str | None:
    """Band of a 0-100 score; a score on a threshold belongs to the higher band."""
    if score is None or score != score:
        return None
    return str(bands_of(np.array([float(score)]), thresholds)[0])


# a score is compared with the thresholds to this many decimals: a weighted mean of factor scores
# that is 50 by its arithmetic comes out of floating point as 49.99999999999999
BAND_DECIMALS = 9


def bands_of(scores: np.ndarray, thresholds: tuple[float, float]) -> np.ndarray:
    """``band_of`` for an array of scores (a missing score has no band)."""
    low, high = thresholds
    values = np.round(np.asarray(scores, dtype="float64"), BAND_DECIMALS)
    band = np.full(len(values), None, dtype=object)
    band[values < low] = BANDS[0]
    band[values >= low] = BANDS[1]
    band[values >= high] = BANDS[2]
    return band


def band_label(score: float | None, low: float | None, high: float | None,
               thresholds: tuple[float, float]) -> str | None:
    """The band a score can honestly be given: its band when the whole interval ``low``..
    ``high`` lies inside it, otherwise 'between <lowest band> and <highest band>' naming the
    bands the interval reaches (a bound on a threshold belongs to the higher band, as in
    ``band_of``). No interval (a group of one): the score's own band. No score: None."""
    if score is None or score != score:
        return None
    bounds = [np.nan if v is None else float(v) for v in (low, high)]
    return str(band_labels(np.array([float(score)]), np.array(bounds[:1]), np.array(bounds[1:]),
                           thresholds)[0])


def band_labels(scores: np.ndarray, lows: np.ndarray, highs: np.ndarray,
                thresholds: tuple[float, float]) -> np.ndarray:
    """``band_label`` for arrays (a missing score has no label)."""
    values = np.asarray(scores, dtype="float64")
    lo = np.asarray(lows, dtype="float64")
    hi = np.asarray(highs, dtype="float64")
    lo = np.where(np.isnan(lo), values, lo)
    hi = np.where(np.isnan(hi), values, hi)
    own, bottom, top = (bands_of(v, thresholds) for v in (values, lo, hi))
    out = np.full(len(values), None, dtype=object)
    for i in np.flatnonzero(~np.isnan(values)):
        out[i] = own[i] if bottom[i] == top[i] else f"between {bottom[i]} and {top[i]}"
    return out
