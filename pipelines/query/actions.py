"""The actions agreed per partner and factor, as they were at any version, and what followed them.

``board`` puts each of a partner's actions beside its factor: open and overdue ones with the
factor's latest score, and for each closed one the factor's change over the next wave, from the
wave the action closed in (the last wave starting on or before the day it was closed) to the wave
after. Scores come from ``scores`` (k and its suppression apply: a hidden score gives no change).
An action is overdue when it is open and its due date is before today; a pinned view counts
"today" as the day of its version, so the link shows what the meeting saw.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines.ingest import partners as partner_names
from pipelines.programme.actions import Status
from pipelines.query import scores
from pipelines.store import versions
from pipelines.store.versions import visible

EXPORT_COLUMNS = ["id", "partner", "factor", "title", "owner", "due", "status", "created"]
COLUMNS = ["id", "partner_id", "partner", "factor", "title", "owner", "due", "status", "created", "closed"]
BOARD_COLUMNS = [*COLUMNS, "open", "overdue", "score", "score_wave", "wave_closed", "next_wave", "change",
                 "beyond_uncertainty"]


def actions(cursor, *, partner: str | None = None, asof: int | None = None) -> pd.DataFrame:
    """Every action (of ``partner``, any of its names) as it was at ``asof``, by id: id, partner_id,
    partner, factor, title, owner, due, status ('open' or 'done'), created, closed (dates)."""
    partner_id = None if partner is None else partner_names.find(cursor, partner)[0]
    actions_sql, params = visible("actions", asof)
    frame = cursor.execute(f"""
        SELECT a.action_id AS id, a.partner_id, p.name AS partner, a.factor, a.title, a.owner, a.due, a.status,
               a.created, a.closed
        FROM {actions_sql} a JOIN partners p ON p.partner_id = a.partner_id
        WHERE ? IS NULL OR a.partner_id = ?
        ORDER BY a.action_id""", [*params, partner_id, partner_id]).df()
    return frame.astype({"id": "int64", "partner_id": "int64"})[COLUMNS]


def actions_export(cursor, *, partner: str | None = None, asof: int | None = None) -> pd.DataFrame:
    """The command line's records: id, partner, factor, title, owner, due, status, created (dates as
    YYYY-MM-DD)."""
    frame = actions(cursor, partner=partner, asof=asof)
    for column in ("due", "created"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame[EXPORT_COLUMNS]


def today_of(cursor, asof: int | None) -> dt.date:
    """The day a view counts as today: the day of its pinned version, else today."""
    if asof is None:
        return dt.date.today()
    version = versions.find(cursor, asof)
    return pd.Timestamp(version.at).date() if version is not None else dt.date.today()


def board(cursor, *, partner: str, asof: int | None = None, today: dt.date | None = None,
          k: int | None = None) -> pd.DataFrame:
    """A partner's actions beside their factor (module docstring): the columns of ``actions`` and
    open, overdue, score and score_wave (the factor's latest shown score), wave_closed, next_wave,
    change and beyond_uncertainty (for a closed action, when both waves' scores are shown)."""
    frame = actions(cursor, partner=partner, asof=asof)
    today = today or today_of(cursor, asof)
    frame["open"] = frame["status"].eq(str(Status.OPEN))
    frame["overdue"] = frame["open"] & (pd.to_datetime(frame["due"]) < pd.Timestamp(today))
    if frame.empty:
        return frame.reindex(columns=BOARD_COLUMNS)
    partner_id = int(frame["partner_id"].iloc[0])
    latest = (scores.factor_scores(cursor, asof=asof, k=k, partners=[partner_id], programme=False)
              .dropna(subset=["score"]).drop_duplicates("factor", keep="last").set_index("factor"))
    frame["score"] = frame["factor"].map(latest["score"]).astype("float64")
    frame["score_wave"] = frame["factor"].map(latest["wave"])
    waves = scores.waves(cursor, asof)
    starts, labels = pd.to_datetime(waves["wave_start"]).to_numpy(), list(waves["wave"])

    def around(day) -> tuple[str | None, str | None]:  # the wave an action closed in, and the next
        if pd.isna(day):
            return None, None
        at = int(np.searchsorted(starts, pd.Timestamp(day).to_datetime64(), side="right")) - 1
        if at < 0:
            return None, None
        return labels[at], labels[at + 1] if at + 1 < len(labels) else None
    frame["wave_closed"], frame["next_wave"] = zip(*map(around, frame["closed"]))
    moves = scores.changes(cursor, asof=asof, k=k, partners=[partner_id], include_index=False, programme=False)
    moves = moves.set_index(["factor", "previous_wave", "wave"])
    keys = list(zip(frame["factor"], frame["wave_closed"], frame["next_wave"]))
    frame["change"] = [moves["change"].get(key, np.nan) if key[2] is not None else np.nan for key in keys]
    frame["beyond_uncertainty"] = pd.array(
        [moves["beyond_uncertainty"].get(key, pd.NA) if key[2] is not None else pd.NA for key in keys], dtype="boolean")
    return frame[BOARD_COLUMNS]
