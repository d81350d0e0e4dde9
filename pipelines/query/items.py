"""The item-level view: per survey question, the share of favourable answers, for a partner and for
the programme, in one wave.

An answer is favourable when it is one of the top two points of its item's scale in the direction
of collaboration: 4 or 5 on 1-5, 6 or 7 on 1-7; for a reverse-scored item (agreeing means less
collaboration) the bottom two. ``favourable`` is their share of the item's answers, ``n`` the
respondents who answered it.

Privacy: per wave and item, the programme is the sum of the partners, as for the scores, and the
scores' releases decide what is shown (``releases.Detail.QUESTION``): each partner's answers are
read at the version its scores show, a partner not released yet is left out, a group with 1 to k-1
respondents is hidden and, when it is the only one, another beside it (the release's rule: the
partner hidden for it before, else the smallest other, never the lead partner while another is
shown; the programme when there is none); a release is made only when every question's sets, not
only the factors', differ safely from every earlier release's. An item of a factor the release
hides is hidden too, and protected as a small one is (``releases.detail_pattern``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.ingest import partners as partner_names
from pipelines.programme.factors import FACTORS
from pipelines.query import respondents as groups
from pipelines.query import releases, scores
from pipelines.store.versions import visible

COLUMNS = ["item_id", "text", "factor", "partner_id", "partner", "wave", "favourable", "n", "suppressed", "reason"]
FAVOURABLE_POINTS = 2  # the top two points of the scale

_ITEMS_SQL = """
SELECT r.item_id, r.partner_id, count(*) AS n,
       count(*) FILTER (WHERE CASE WHEN i.reverse_scored THEN r.value <= i.scale_min + ? - 1
                                   ELSE r.value >= i.scale_max - ? + 1 END) AS favourable
FROM {responses} r JOIN {items} i ON i.item_id = r.item_id
WHERE r.wave = ? AND list_contains(?::BIGINT[], r.partner_id)
GROUP BY r.item_id, r.partner_id
ORDER BY r.item_id, r.partner_id
"""


def items(cursor, *, partner: str | None = None, wave: str | None = None, asof: int | None = None,
          k: int | None = None) -> pd.DataFrame:
    """Per item (in factor order, then item id): the programme's row, then each partner's (only
    ``partner``'s when given, any of its names), in ``wave`` (default: the latest). Columns: item_id,
    text, factor, partner_id (<NA> for the programme), partner ('Programme'), wave, favourable (0-1),
    n, suppressed, reason; a hidden row has no favourable or n."""
    k = groups.group_k(k)
    wave = groups.check_wave(cursor, wave, asof) or scores.latest_wave(cursor, asof)
    partner_id = None if partner is None else partner_names.find(cursor, partner)[0]
    with scores.snapshot(cursor):
        released = scores.released_reads(cursor, wave, asof=asof, k=k)
        hidden = scores.released_detail(cursor, wave, asof=asof, k=k, kind=releases.Detail.QUESTION)
        counts = _counts(cursor, wave, released)
        items_sql, items_params = visible("instrument_items", asof)
        texts = cursor.execute(f"SELECT item_id, text, factor FROM {items_sql} i", items_params).df()
    names = dict(cursor.execute("SELECT partner_id, name FROM partners").fetchall())
    frames = [_suppress(part.reset_index(drop=True), hidden.get(str(item_id), {}), k)
              for item_id, part in counts.groupby("item_id", sort=False)]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["item_id", "partner_id", "n", "favourable", "suppressed", "reason"])
    frame = frame.merge(texts, on="item_id")
    if partner_id is not None:
        frame = frame[frame["partner_id"].isna() | frame["partner_id"].eq(partner_id)]
    frame["partner"] = [scores.PROGRAMME if pd.isna(p) else names[int(p)] for p in frame["partner_id"]]
    frame["wave"] = wave
    frame["_factor"] = frame["factor"].map({f: i for i, f in enumerate(FACTORS)})
    frame["_partner"] = frame["partner_id"].notna()
    frame = frame.sort_values(["_factor", "item_id", "_partner", "partner"], kind="stable", ignore_index=True)
    return frame[COLUMNS]


def _counts(cursor, wave: str, released: pd.DataFrame) -> pd.DataFrame:
    """Per item and released partner: n and favourable, each partner read at its release's version."""
    parts = []
    for version, group in groups.by_read_version(released):
        responses_sql, responses_params = visible("survey_responses", version)
        items_sql, items_params = visible("instrument_items", version)
        parts.append(cursor.execute(
            _ITEMS_SQL.format(responses=responses_sql, items=items_sql),
            [FAVOURABLE_POINTS, FAVOURABLE_POINTS, *responses_params, *items_params, wave,
             group["partner_id"].tolist()]).df())
    if not parts:
        return pd.DataFrame(columns=["item_id", "partner_id", "n", "favourable"])
    return pd.concat(parts, ignore_index=True).sort_values(["item_id", "partner_id"], ignore_index=True)


def _suppress(item: pd.DataFrame, codes: dict[int, int], k: int) -> pd.DataFrame:
    """One item's partners and programme, hidden as the release decided for the question
    (``codes``: partner id, -1 the programme -> a ``releases.Hidden`` code; not listed: shown),
    and never a group under k whatever the release says (it decided over the same groups)."""
    n = item["n"].to_numpy(dtype="int64")
    favourable = item["favourable"].to_numpy(dtype="float64")
    ids = [*item["partner_id"].astype(int), releases.PROGRAMME]
    counts = np.append(n, n.sum())
    code = np.array([codes.get(p, releases.Hidden.SHOWN) for p in ids])
    code = np.where((counts > 0) & (counts < k), releases.Hidden.SMALL, code)
    hidden = code != releases.Hidden.SHOWN
    out = pd.DataFrame({
        "item_id": item["item_id"].iloc[0],
        "partner_id": pd.array([*item["partner_id"].astype(int), pd.NA], dtype="Int64"),
        "favourable": np.where(hidden, np.nan, np.append(favourable, favourable.sum()) / counts),
        "n": pd.array(counts, dtype="Int64"),
        "suppressed": hidden,
        "reason": pd.Series(np.where(code == releases.Hidden.SMALL, scores.Suppression.SMALL_GROUP,
                                     np.where(hidden, scores.Suppression.COMPLEMENT, None)), dtype=object),
    })
    out.loc[hidden, "n"] = pd.NA
    return out
