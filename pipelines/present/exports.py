"""Files users download: CSV that spreadsheet programs cannot turn into formulas."""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe."""
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            text = series.astype(object)
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            if risky.any():
                safe[column] = text.where(~risky, "'" + text.astype(str))
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def slug(*parts: str) -> str:
    """A file name's stem from its parts (a page, a partner, a wave...): ASCII letters and
    digits (accents dropped: 'Zürich' is 'zurich'), each run of anything else one hyphen, lower
    case; a part with nothing left is left out. Nothing a file system or a shell reads."""
    words = []
    for part in parts:
        ascii_text = unicodedata.normalize("NFKD", str(part)).encode("ascii", "ignore").decode()
        word = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
        if word:
            words.append(word)
    return "-".join(words)
