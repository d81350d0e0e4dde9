"""How fresh the data a view shows is: per dataset, its live loads and the newest date in
its rows, at the latest data or at a pinned data version.

A pinned link must describe the data it shows, so a load is counted only when it had
loaded by the pin and was not undone by then (``store.versions.live_loads``), and the
newest dates come from the rows visible at the pin. The survey's newest date comes from
``scores.waves``: only scores.py reads ``survey_responses``.
"""
from __future__ import annotations

import pandas as pd

from pipelines.query import scores
from pipelines.store import versions
from pipelines.store.versions import visible


def freshness(cursor, asof: int | None = None) -> pd.DataFrame:
    """Per dataset with a load live at ``asof`` (None: the latest data): dataset,
    last_loaded (its latest live load), batches (how many live loads), newest_data (the
    newest date in its rows then; empty for datasets without dates). Ordered by dataset."""
    waves = scores.waves(cursor, asof)
    newest_survey = None if waves.empty else pd.Timestamp(waves["wave_start"].max()).date()
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    newest = cursor.execute(f"""
        SELECT 'survey' AS dataset, ?::DATE AS newest_data
        UNION ALL SELECT 'milestones', max(coalesce(actual_date, baseline_date)) FROM {ms_sql} m
        UNION ALL SELECT 'issues', max(coalesce(resolved_date, raised_date)) FROM {is_sql} i""",
        [newest_survey, *ms_params, *is_params]).df()
    return versions.live_loads(cursor, asof).merge(newest, on="dataset", how="left")
