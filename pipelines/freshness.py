"""How fresh the data a view shows is: per dataset, its live loads and the newest date in
its rows, at the latest data or at a pinned data version.

A pinned link must describe the data it shows, so a load is counted only when it had
loaded by the pin and was not undone by then (the batches ``store.visible`` keeps), and the
newest dates come from the rows visible at the pin. The survey's newest date comes from
``scores.waves``: only scores.py reads ``survey_responses``.
"""
from __future__ import annotations

import pandas as pd

from . import scores
from .store import visible


def freshness(cursor, asof: int | None = None) -> pd.DataFrame:
    """Per dataset with a load live at ``asof`` (None: the latest data): dataset,
    last_loaded (its latest live load), batches (how many live loads), newest_data (the
    newest date in its rows then; empty for datasets without dates). Ordered by dataset."""
    waves = scores.waves(cursor, asof)
    newest_survey = None if waves.empty else pd.Timestamp(waves["wave_start"].max()).date()
    ms_sql, ms_params = visible("milestones", asof)
    is_sql, is_params = visible("issues", asof)
    return cursor.execute(f"""
        WITH live AS (
            SELECT dataset, max(loaded_at) AS loaded_at, count(*) AS batches FROM batches
            WHERE CASE WHEN ?::BIGINT IS NULL THEN undone_version IS NULL
                       ELSE batch_id <= ? AND (undone_version IS NULL OR undone_version > ?) END
            GROUP BY dataset),
        newest AS (
            SELECT 'survey' AS dataset, ?::DATE AS newest
            UNION ALL SELECT 'milestones', max(coalesce(actual_date, baseline_date)) FROM {ms_sql} m
            UNION ALL SELECT 'issues', max(coalesce(resolved_date, raised_date)) FROM {is_sql} i)
        SELECT l.dataset, l.loaded_at AS last_loaded, l.batches, n.newest AS newest_data
        FROM live l LEFT JOIN newest n USING (dataset) ORDER BY l.dataset""",
        [asof, asof, asof, newest_survey, *ms_params, *is_params]).df()
