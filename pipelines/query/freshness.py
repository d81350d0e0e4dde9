"""How fresh the data a view shows is: per dataset, its live loads and the latest event its rows
record, at the latest data or at a pinned data version.

The latest event is the newest date on which something in the rows had happened by today: a
survey wave's start, a milestone's completion (its actual date), an issue raised or resolved.
A planned or forecast date (a milestone's baseline, due in 2027) is not freshness, so it never
counts, nor does any date after today.

A pinned link must describe the data it shows, so a load is counted only when it had
loaded by the pin and was not undone by then (``store.versions.live_loads``), and the
newest dates come from the rows visible at the pin. The survey's newest date comes from
``scores.waves``: only scores.py reads ``survey_responses``.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.query import scores
from pipelines.store import versions
from pipelines.store.versions import visible


def freshness(cursor, asof: int | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Per dataset with a load live at ``asof`` (None: the latest data): dataset,
    last_loaded (its latest live load), batches (how many live loads), latest_event (the
    newest date by ``today`` on which its rows then record something happening; empty when
    none, or for datasets without dates). Ordered by dataset."""
    today = dt.date.today() if today is None else today
    waves = scores.waves(cursor, asof)
    started = waves[pd.to_datetime(waves["wave_start"]).dt.date <= today]
    newest_survey = None if started.empty else pd.Timestamp(started["wave_start"].max()).date()
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    newest = cursor.execute(f"""
        SELECT 'survey' AS dataset, ?::DATE AS latest_event
        UNION ALL SELECT 'milestones', max(actual_date) FILTER (WHERE actual_date <= ?) FROM {ms_sql} m
        UNION ALL SELECT 'issues', max(d) FILTER (WHERE d <= ?) FROM (
            SELECT unnest([raised_date, resolved_date]) AS d FROM {is_sql} i)""",
        [newest_survey, today, *ms_params, today, *is_params]).df()
    return versions.live_loads(cursor, asof).merge(newest, on="dataset", how="left")
