"""What respondents wrote: the survey's free-text answers, per partner and wave.

A partner's comments for a wave are shown only when that partner had at least ``comment_k``
respondents in the wave (``settings.comment_k``: the same as ``anonymity_k`` unless set), counted as
the scores' releases show the group (``scores.released_reads``, as items, ratings and participation
do): a group's comments are read at the version its scores show, so late answers (and their
comments) wait for the release that shows them, and a group no release shows yet has none. A comment
never comes with its respondent or its time: within a partner, wave and question the comments are
in an order that looks random and stays the same (by a hash of the wave and the text), so neither
the order of answering nor a late answer shows. The text was scrubbed of personal data at load
(``ingest.privacy.scrub``).
"""
from __future__ import annotations

import hashlib

import pandas as pd

from pipelines import settings
from pipelines.ingest import partners as partner_names
from pipelines.query import respondents as groups
from pipelines.query import scores
from pipelines.store.versions import visible

COLUMNS = ["partner", "wave", "question", "text"]


def comments(cursor, *, partner: str | None = None, wave: str | None = None, asof: int | None = None,
             k: int | None = None) -> pd.DataFrame:
    """partner, wave, question, text of the groups shown, in wave order, partner name, question and
    the fixed order above. ``partner`` (any of its names) and ``wave`` filter."""
    k = settings.comment_k() if k is None else groups.group_k(k)
    partner_id = None if partner is None else partner_names.find(cursor, partner)[0]
    wave = groups.check_wave(cursor, wave, asof)
    parts = []
    with scores.snapshot(cursor):
        for version, shown in _shown(cursor, asof, k):
            comments_sql, params = visible("survey_comments", version)
            cursor.register("shown_groups", shown[["partner_id", "wave", "wave_start"]])
            try:
                parts.append(cursor.execute(f"""
                    SELECT p.name AS partner, c.wave, c.question, c.text, g.wave_start, c.partner_id
                    FROM {comments_sql} c JOIN shown_groups g ON g.partner_id = c.partner_id AND g.wave = c.wave
                    JOIN partners p ON p.partner_id = c.partner_id
                    WHERE (? IS NULL OR c.partner_id = ?) AND (? IS NULL OR c.wave = ?)""",
                    [*params, partner_id, partner_id, wave, wave]).df())
            finally:
                cursor.unregister("shown_groups")
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    # a fixed order that looks random within partner, wave and question (see the module)
    frame["order"] = [hashlib.md5("\x1f".join((w, q, t)).encode()).hexdigest()
                      for w, q, t in zip(frame["wave"], frame["question"], frame["text"])]
    frame = frame.sort_values(["wave_start", "wave", "partner", "partner_id", "question", "order", "text"],
                              ignore_index=True)
    return frame[COLUMNS]


def shown_for(cursor, *, partner_id: int, wave: str, asof: int | None = None, k: int | None = None) -> bool:
    """Whether a partner's comments for ``wave`` may be shown (what ``comments`` returns for it),
    so a page can say why there are none; no count leaves."""
    k = settings.comment_k() if k is None else groups.group_k(k)
    with scores.snapshot(cursor):
        return any((shown["partner_id"].eq(int(partner_id)) & shown["wave"].eq(str(wave))).any()
                   for _, shown in _shown(cursor, asof, k))


def _shown(cursor, asof: int | None, k: int):
    """The partner x wave groups whose comments may be shown, by the version to read them at (the one
    place comments decide it): released by the scores, with ``k`` or more respondents at the version
    the scores read the group at (``respondents.as_released``), and its respondents shown by the scores
    (``respondents.counts_hidden``: a count of comments bounds them, so a partner hidden beside a small
    group shows none). Call inside one ``scores.snapshot``."""
    sizes = groups.as_released(cursor, asof)
    counted = groups.counts_hidden(cursor, asof)
    told = pd.Series([counted.get((int(p), str(w)), scores.Suppression.SMALL_GROUP) is None  # unlisted: not told
                      for p, w in zip(sizes["partner_id"], sizes["wave"])], index=sizes.index, dtype=bool)
    shown = sizes[sizes["released"] & (sizes["respondents"] >= k) & told]
    for at, group in shown.groupby("read_at", dropna=False, sort=True):
        yield (asof if pd.isna(at) else int(at)), group
