"""What respondents wrote: the survey's free-text answers, per partner and wave.

A partner's comments for a wave are shown only when that partner had at least ``comment_k``
respondents in the wave (``settings.comment_k``: the same as ``anonymity_k`` unless set). A comment
never comes with its respondent or its time: within a partner, wave and question the comments are
in an order that looks random and stays the same (by a hash of the wave and the text), so neither
the order of answering nor a late answer shows. The text was scrubbed of personal data at load
(``ingest.privacy.scrub``).
"""
from __future__ import annotations

import pandas as pd

from pipelines import settings
from pipelines.ingest import partners as partner_names
from pipelines.query import respondents as groups
from pipelines.store.versions import visible

COLUMNS = ["partner", "wave", "question", "text"]


def comments(cursor, *, partner: str | None = None, wave: str | None = None, asof: int | None = None,
             k: int | None = None) -> pd.DataFrame:
    """partner, wave, question, text of the groups shown, in wave order, partner name, question and
    the fixed order above. ``partner`` (any of its names) and ``wave`` filter."""
    k = settings.comment_k() if k is None else groups.group_k(k)
    shown = _shown(groups.per_partner_wave(cursor, asof), k)
    partner_id = None if partner is None else partner_names.find(cursor, partner)[0]
    wave = groups.check_wave(cursor, wave, asof)
    comments_sql, params = visible("survey_comments", asof)
    cursor.register("shown_groups", shown[["partner_id", "wave", "wave_start"]])
    try:
        frame = cursor.execute(f"""
            SELECT p.name AS partner, c.wave, c.question, c.text
            FROM {comments_sql} c JOIN shown_groups g ON g.partner_id = c.partner_id AND g.wave = c.wave
            JOIN partners p ON p.partner_id = c.partner_id
            WHERE (? IS NULL OR c.partner_id = ?) AND (? IS NULL OR c.wave = ?)
            ORDER BY g.wave_start, c.wave, p.name, c.partner_id, c.question,
                     md5(c.wave || chr(31) || c.question || chr(31) || c.text), c.text""",
            [*params, partner_id, partner_id, wave, wave]).df()
    finally:
        cursor.unregister("shown_groups")
    return frame[COLUMNS]


def shown_for(cursor, *, partner_id: int, wave: str, asof: int | None = None, k: int | None = None) -> bool:
    """Whether a partner's comments for ``wave`` may be shown (what ``comments`` returns for it),
    so a page can say why there are none; no count leaves."""
    k = settings.comment_k() if k is None else groups.group_k(k)
    shown = _shown(groups.per_partner_wave(cursor, asof), k)
    return bool((shown["partner_id"].eq(int(partner_id)) & shown["wave"].eq(str(wave))).any())


def _shown(sizes: pd.DataFrame, k: int) -> pd.DataFrame:
    """The partner x wave groups whose comments may be shown (the one place comments decide it, where
    a rule across data versions would wrap)."""
    return sizes[sizes["respondents"] >= k]
