"""Survey waves: how a programme names its periods (2025-Q3, 2025-03) and when each begins."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from pipelines import settings

_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*[-_ /]?\s*Q([1-4])|Q([1-4])\s*[-_ /]?\s*(\d{4}))\s*$", re.I)
_MONTH = re.compile(r"^\s*(\d{4})\s*[-_/]\s*(\d{1,2})\s*$")


def wave_labels(text: pd.Series) -> pd.Series:
    def one(value):
        if value is None:
            return None
        match = _QUARTER.match(value)
        if match:
            year = match.group(1) or match.group(4)
            quarter = match.group(2) or match.group(3)
            return f"{year}-Q{quarter}"
        match = _MONTH.match(value)
        if match and 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{int(match.group(2)):02d}"
        return value
    unique = {value: one(value) for value in pd.unique(text)}
    return text.map(unique).astype(object)


def waves_of_dates(dates: pd.Series) -> pd.Series:
    if settings.get("wave_frequency") == "monthly":
        labels = dates.dt.strftime("%Y-%m")
    else:
        labels = dates.dt.year.astype("Int64").astype(str) + "-Q" + dates.dt.quarter.astype("Int64").astype(str)
    return labels.where(dates.notna(), None).astype(object)


def wave_starts(labels: pd.Series) -> pd.Series:
    def one(label):
        if not isinstance(label, str):
            return pd.NaT
        if re.fullmatch(r"\d{4}-Q[1-4]", label):
            return pd.Timestamp(int(label[:4]), 3 * (int(label[-1]) - 1) + 1, 1)
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", label):
            return pd.Timestamp(int(label[:4]), int(label[5:]), 1)
        return pd.NaT
    unique = {label: one(label) for label in pd.unique(labels)}
    return labels.map(unique).astype("datetime64[ns]")


def wave_start(label: str) -> dt.date | None:
    value = wave_starts(pd.Series([label])).iloc[0]
    return None if pd.isna(value) else value.date()
