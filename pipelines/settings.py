"""Every setting of the product: one table of name, default and help.

A setting is read from the environment variable ``PARTNERSHIP_<NAME>`` (upper case);
nothing else configures the product. ``README.md`` documents the same table, and a
test keeps the two in step.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from pipelines.programme.factors import FACTORS

ROOT = Path(__file__).resolve().parent.parent

MIN_ANONYMITY_K = 3
WAVE_FREQUENCIES = ("quarterly", "monthly")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env_var(self) -> str:
        return f"PARTNERSHIP_{self.name.upper()}"


def _share(text: str) -> float:
    """0.6 or 60%: a share between 0 and 1."""
    text = text.strip()
    share = _finite(text[:-1]) / 100 if text.endswith("%") else _finite(text)
    if not 0 <= share <= 1:
        raise ValueError(f"{text} is not between 0 and 1 (or 0% and 100%)")
    return share


def _optional_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _finite(text: str) -> float:
    """A number; 'nan' and 'inf' (which float() takes) are not."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return number


def _floats(text: str) -> tuple[float, ...]:
    return tuple(_finite(part) for part in text.replace(";", ",").split(",") if part.strip())


def _wave_frequency(text: str) -> str:
    frequency = text.strip().lower()
    if frequency not in WAVE_FREQUENCIES:
        raise ValueError(f"{text!r} is not one of {', '.join(WAVE_FREQUENCIES)}")
    return frequency


def address(text: str) -> str:
    """An http(s) address with a host (and perhaps a path), without its trailing slash."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{text!r} is not an address such as https://health.example.org")
    return text.strip().rstrip("/")


SETTINGS: tuple[Setting, ...] = (
    Setting("db", str(ROOT / "data" / "partnership.duckdb"),
            "Path of the DuckDB file that holds the programme, or a DuckLake store shared by several "
            "app servers: 'ducklake:postgres:dbname=NAME host=HOST port=PORT user=USER'."),
    Setting("lake_data_path", "",
            "DuckLake store only: the folder, on a disk every app server reaches, where its Parquet files "
            "live; needed when the store is created."),
    Setting("anonymity_k", 5,
            "Smallest number of respondents a survey group needs before it is shown (never below 3).",
            int),
    Setting("lead_partner", "",
            "The client or lead partner (its name): never the group hidden to protect a small one while "
            "another can be. Empty: none (the demo programme's client when the demo is loaded)."),
    Setting("comment_k", None,
            "Smallest number of respondents a partner's wave needs before its survey comments are shown "
            "(never below 3); empty: the same as anonymity_k.", _optional_int),
    Setting("participation_warning", 0.6,
            "Participation rate (share of the invited who responded) below which a partner's wave is "
            "flagged as resting on few of its people: 0.6 or 60%.", _share),
    Setting("band_thresholds", (50.0, 70.0),
            "Two scores on the 0-100 scale where 'transitioning' and 'collaborating' begin.",
            _floats),
    Setting("index_weights", (0.2, 0.2, 0.2, 0.2, 0.2),
            "Weights of the five factors in the collaboration index, in factor order.",
            _floats),
    Setting("wave_frequency", "quarterly",
            "How survey dates group into waves when a file gives dates: 'quarterly' or 'monthly'.",
            _wave_frequency),
    Setting("salt_file", str(ROOT / "data" / "secret_salt"),
            "File holding the secret salt that pseudonymises respondent ids; created on first start."),
    Setting("upload_limit_mb", 50,
            "Largest file accepted for upload, in megabytes; larger files are refused before reading.",
            int),
    Setting("lock_wait_seconds", 30.0,
            "How long a command waits for the database held by another process before it gives up.",
            _finite),
    Setting("future_tolerance_days", 31,
            "How far past today a date may lie before it is rejected as a typing error: the dates of what has "
            "happened (responses, waves, issues raised and resolved, milestones achieved); a milestone's baseline "
            "and forecast dates are plans and may lie further.", int),
    Setting("demo", "auto",
            "'auto' loads the demo programme into an empty database on start; 'off' never does."),
    Setting("editors", "",
            "Who may load and undo data when sign-in is configured: emails and @domains, comma-separated."),
    Setting("public_url", "",
            "The address people open the app at, such as https://health.example.org: every link the command "
            "line writes (the steering pack's) starts with it. Without it those links are paths that open only "
            "from the app itself.", address),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def get(name: str) -> Any:
    setting = SETTINGS_BY_NAME[name]
    raw = os.environ.get(setting.env_var)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as error:
        raise ValueError(f"{setting.env_var}={raw!r} is not valid: {setting.help}") from error


def anonymity_k() -> int:
    k = int(get("anonymity_k"))
    if k < MIN_ANONYMITY_K:
        raise ValueError(
            f"PARTNERSHIP_ANONYMITY_K={k} is below {MIN_ANONYMITY_K}: groups that small could "
            f"identify people. Set it to {MIN_ANONYMITY_K} or more."
        )
    return k


def comment_k() -> int:
    """The smallest group whose comments are shown: ``comment_k``, else ``anonymity_k``."""
    k = get("comment_k")
    if k is None:
        return anonymity_k()
    if int(k) < MIN_ANONYMITY_K:
        raise ValueError(f"PARTNERSHIP_COMMENT_K={k} is below {MIN_ANONYMITY_K}: comments from groups that "
                         f"small could identify people. Set it to {MIN_ANONYMITY_K} or more.")
    return int(k)


def band_thresholds() -> tuple[float, float]:
    low, high = get("band_thresholds")
    if not 0 <= low < high <= 100:
        raise ValueError("PARTNERSHIP_BAND_THRESHOLDS needs two rising numbers between 0 and 100.")
    return float(low), float(high)


def index_weights() -> dict[str, float]:
    weights = get("index_weights")
    if len(weights) != len(FACTORS) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("PARTNERSHIP_INDEX_WEIGHTS needs five non-negative numbers, not all zero.")
    return dict(zip(FACTORS, (float(w) for w in weights)))
