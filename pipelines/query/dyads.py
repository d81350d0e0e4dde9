"""How each partner's people rate each other partner: the N x N matrix per wave, and its margins.

A cell is a rating organisation x rated partner x wave: a respondent's rating of the partner is
the mean of their answers to the rating questions about it, each put on 0..100 by its scale
(``(value - scale_min) / (scale_max - scale_min) * 100``); the cell's ``score`` is the mean over
the organisation's respondents who rated the partner, ``respondents`` their number. The margins:
a rater's row (``target`` = "All partners": every rating its people gave, each respondent x partner
once) and a partner's column (``rater`` = "All partners": how every other organisation's people
rate it). A row's respondents are its distinct people.

Privacy: a rating organisation's number of raters equals or bounds its respondents, which with the
programme's n would give away a group the scores hide (the demo's 2026-Q3: 109 less the 88 shown
less Corvell's 18 raters left Pipwell's 3). So where the scores do not show a rater's respondents in a wave
(``respondents.counts_hidden``, the scores' own decision), its row gives no count (its cells keep
scores of k or more raters, without n), its margin is hidden for the scores' reason, and its ratings
are in no "All partners" margin (whose change is then only against the same raters). Over the
other raters, k applies to the rating organisation's respondents. A cell, row or column with 1 to
k-1 respondents is hidden, and so is whatever would let it be worked out from the cells and margins
shown (``suppression.protect`` on the wave's matrix with its margins, decided per wave over every
partner before ``wave`` filters). A hidden row or column carries no score or respondents. Across
data versions the scores' releases decide (``scores.released_reads``): a rating organisation's
ratings are read at the version its scores show, one not released yet is left out, and a release is
made only when each rated partner's raters (a cell; the column as its programme) and each
organisation's raters (a row) differ safely from every earlier release's (``releases.Detail``);
what the release hides of them is hidden here and protected as if small. A rating counts only from a
respondent with answers of the same organisation at that version (as releases count raters). Known
limit: a row is checked as its people and each cell as its raters, not the row as the sum of its
cells across versions: a row shown in two versions beside a cell hidden in both bounds that cell's
change (pairs are not shown, so it is not given exactly).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.query import releases
from pipelines.query import respondents as groups
from pipelines.query import scores, suppression
from pipelines.store.versions import visible

ALL = "All partners"
EXPORT_COLUMNS = ["rater", "target", "wave", "score", "respondents", "suppressed"]
COLUMNS = ["rater_id", "rater", "target_id", "target", "wave", "wave_start", "score", "respondents",
           "suppressed", "reason", "mirror_score", "previous_score", "change"]

_CELLS_SQL = """
WITH per_respondent AS (
    SELECT wave, partner_id, target_id, respondent_key, min(wave_start) AS wave_start,
           avg(""" + scores.RATING_POINTS + """) AS x
    FROM {ratings} r WHERE scale_max > scale_min AND r.wave = ? AND list_contains(?::BIGINT[], r.partner_id)
    -- a rater is a respondent of the organisation then (as releases count them): ratings from a row
    -- with no answers are no one's the scores know, and no release has checked them
      AND (respondent_key, wave, partner_id) IN (SELECT respondent_key, wave, partner_id FROM {responses} s)
    GROUP BY wave, partner_id, target_id, respondent_key
),
cells AS (
    SELECT wave, partner_id, target_id, min(wave_start) AS wave_start, count(*) AS n, fsum(x) AS total
    FROM per_respondent GROUP BY wave, partner_id, target_id
),
raters AS (
    SELECT wave, partner_id, count(DISTINCT respondent_key) AS people FROM per_respondent GROUP BY wave, partner_id
)
SELECT c.wave, c.wave_start, c.partner_id AS rater_id, r.name AS rater, c.target_id, t.name AS target, c.n,
       c.total, p.people AS rater_people
FROM cells c JOIN raters p USING (wave, partner_id)
JOIN partners r ON r.partner_id = c.partner_id JOIN partners t ON t.partner_id = c.target_id
"""


def dyads(cursor, *, wave: str | None = None, asof: int | None = None, k: int | None = None,
          margins: bool = False) -> pd.DataFrame:
    """One row per rater x target x wave (and, with ``margins``, per rater and per target with "All
    partners" on the other side), in wave order, then rater and target name. Columns: rater_id,
    rater, target_id, target (ids <NA> for "All partners"), wave, wave_start, score (0-100),
    respondents, suppressed, reason, and for a shown cell: mirror_score (target -> rater, the other
    side of the same relationship, when shown) and previous_score / change (the same cell in the
    previous wave with ratings, when shown there)."""
    k = groups.group_k(k)
    wave = groups.check_wave(cursor, wave, asof)
    cells = _cells(cursor, asof, k)
    frames = [_suppress(part, k) for _, part in cells.groupby(["wave_start", "wave"], sort=True)]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "kind"])
    frame = _beside(frame)
    if not margins:
        frame = frame[frame["kind"].eq("cell")]
    if wave is not None:
        frame = frame[frame["wave"].eq(str(wave))]
    return frame[COLUMNS].reset_index(drop=True)


def _cells(cursor, asof: int | None, k: int) -> pd.DataFrame:
    """Every wave's cells, each rating organisation read at the version its released scores show."""
    parts = []
    with scores.snapshot(cursor):
        counts = groups.counts_hidden(cursor, asof, k)
        ratings_sql, params = visible("partner_ratings", asof)
        for (wave,) in cursor.execute(f"SELECT DISTINCT wave FROM {ratings_sql} r", params).fetchall():
            released = scores.released_reads(cursor, wave, asof=asof, k=k)
            rated = scores.released_detail(cursor, wave, asof=asof, k=k, kind=releases.Detail.RATED)
            raters = scores.released_detail(cursor, wave, asof=asof, k=k, kind=releases.Detail.RATER).get("", {})
            for version, group in groups.by_read_version(released):
                at_sql, at_params = visible("partner_ratings", version)
                answers_sql, answers_params = visible("survey_responses", version)
                read = cursor.execute(_CELLS_SQL.format(ratings=at_sql, responses=answers_sql),
                                      [*at_params, wave, group["partner_id"].tolist(), *answers_params]).df()
                parts.append(read.assign(**_release_hides(read, rated, raters)))
    if not parts:
        return pd.DataFrame(columns=["wave", "wave_start", "rater_id", "rater", "target_id", "target"])
    frame = pd.concat(parts, ignore_index=True)
    withheld = [counts.get((int(p), str(w)), scores.Suppression.COMPLEMENT)
                for p, w in zip(frame["rater_id"], frame["wave"])]
    return frame.assign(withheld=pd.Series(withheld, dtype=object)).sort_values(
        ["wave_start", "wave", "rater", "rater_id", "target", "target_id"], kind="stable", ignore_index=True)


def _release_hides(cells: pd.DataFrame, rated: dict, raters: dict) -> dict[str, np.ndarray]:
    """Per cell, whether the release hides it, its rater's row or its target's column (their
    sets changed too little between releases to show both)."""
    shown = releases.Hidden.SHOWN
    per_target = [rated.get(str(t), {}) for t in cells["target_id"]]
    return {
        "cell_hides": np.array([c.get(int(r), shown) != shown for c, r in zip(per_target, cells["rater_id"])], bool),
        "row_hides": np.array([raters.get(int(r), shown) != shown for r in cells["rater_id"]], bool),
        "col_hides": np.array([c.get(releases.PROGRAMME, shown) != shown for c in per_target], bool),
    }


def dyads_export(cursor, *, wave: str | None = None, asof: int | None = None, k: int | None = None) -> pd.DataFrame:
    """The command line's records: rater, target, wave, score (1 decimal), respondents, suppressed."""
    frame = dyads(cursor, wave=wave, asof=asof, k=k)
    return frame.assign(score=frame["score"].round(1))[EXPORT_COLUMNS]


def _suppress(cells: pd.DataFrame, k: int) -> pd.DataFrame:
    """One wave's matrix with its margins, suppression decided (the one place dyads decide what is
    hidden): a rater whose respondents the scores do not show (``withheld``) is left out of every
    margin and shows no count; over the others, ``suppression.protect``: cells, then rows, then columns."""
    raters = pd.unique(cells["rater_id"])
    targets = pd.unique(cells.sort_values(["target", "target_id"])["target_id"])
    rows = pd.Index(raters).get_indexer(cells["rater_id"])
    cols = pd.Index(targets).get_indexer(cells["target_id"])
    n = cells["n"].to_numpy(dtype="int64")
    total = cells["total"].to_numpy(dtype="float64")
    first_of = cells.groupby("rater_id", sort=False)[["rater_people", "withheld"]].first().reindex(raters)
    withheld = first_of["withheld"].notna().to_numpy()
    row_reason = first_of["withheld"].to_numpy(dtype=object)
    out = withheld[rows]  # cells of withheld raters
    kept = np.flatnonzero(~out)
    col_n = np.bincount(cols[kept], weights=n[kept], minlength=len(targets)).astype("int64")
    # rows of withheld raters stay in the table as rows of no cells (protect sees none of them)
    # a withheld rater's row is hidden already, with none of its cells in the table
    row_hides = cells.groupby("rater_id", sort=False)["row_hides"].any().reindex(raters).to_numpy(bool) & ~withheld
    col_hides = np.bincount(cols, weights=cells["col_hides"].to_numpy(bool), minlength=len(targets)) > 0
    shown = suppression.protect(n[kept], rows[kept], cols[kept], np.where(withheld, 0, first_of["rater_people"]),
                                col_n, k, secret=(cells["cell_hides"].to_numpy(bool)[kept], row_hides, col_hides))
    small = (n > 0) & (n < k)
    cell_primary, cell_hidden = small.copy(), small.copy()
    cell_hidden[kept], cell_primary[kept] = shown.cell_hidden, shown.cell_primary
    cell_hidden |= cells["cell_hides"].to_numpy(bool)  # a withheld rater's too: the release's word stands
    row_primary = np.where(withheld, row_reason == scores.Suppression.SMALL_GROUP, shown.row_primary)
    row_hidden = withheld | shown.row_hidden
    # a column none of whose raters is counted: small when each of them is
    empty = col_n == 0
    small_rater = (row_reason == scores.Suppression.SMALL_GROUP)[rows]
    col_hidden = shown.col_hidden | empty
    col_primary = shown.col_primary | (empty & (np.bincount(cols, weights=~small_rater, minlength=len(targets)) == 0))
    first = cells.iloc[0]
    names = dict(zip(cells["rater_id"], cells["rater"])) | dict(zip(cells["target_id"], cells["target"]))
    row_sum = np.bincount(rows, weights=total, minlength=len(raters))
    row_pairs = np.bincount(rows, weights=n, minlength=len(raters))
    col_sum = np.bincount(cols[kept], weights=total[kept], minlength=len(targets))
    with np.errstate(divide="ignore", invalid="ignore"):
        col_score = col_sum / col_n
    parts = [
        _part("cell", cells["rater_id"], cells["target_id"], names, total / n, n, cell_hidden, cell_primary,
              count_hidden=out),
        _part("row", raters, [pd.NA] * len(raters), names, row_sum / row_pairs,
              first_of["rater_people"].to_numpy(), row_hidden, row_primary),
        _part("col", [pd.NA] * len(targets), targets, names, col_score, col_n, col_hidden, col_primary),
    ]
    frame = pd.concat(parts, ignore_index=True)
    # whose ratings an "All partners" row holds: its change is only against the same raters
    members = ",".join(map(str, sorted(int(r) for r in raters[~withheld])))
    return frame.assign(wave=first["wave"], wave_start=first["wave_start"],
                        members=np.where(frame["kind"].eq("col"), members, ""))


def _part(kind, rater_ids, target_ids, names, score, n, hidden, primary, count_hidden=None) -> pd.DataFrame:
    """``count_hidden``: shown values whose respondents are not given (a withheld rater's cells)."""
    rater_ids = pd.array(list(rater_ids), dtype="Int64")
    target_ids = pd.array(list(target_ids), dtype="Int64")
    hidden = np.asarray(hidden, dtype=bool)
    no_count = hidden if count_hidden is None else hidden | np.asarray(count_hidden, dtype=bool)
    reason = np.where(primary, scores.Suppression.SMALL_GROUP,
                      np.where(no_count, scores.Suppression.COMPLEMENT, None))
    respondents = pd.array(np.asarray(n, dtype="int64"), dtype="Int64")
    respondents[no_count] = pd.NA
    return pd.DataFrame({
        "kind": kind, "rater_id": rater_ids, "target_id": target_ids,
        "rater": [ALL if pd.isna(i) else names[int(i)] for i in rater_ids],
        "target": [ALL if pd.isna(i) else names[int(i)] for i in target_ids],
        "score": np.where(hidden, np.nan, np.asarray(score, dtype="float64")),
        "respondents": respondents,
        "suppressed": hidden,
        "reason": pd.Series(reason, dtype=object),
    })


def _beside(frame: pd.DataFrame) -> pd.DataFrame:
    """Each cell's mirror (the target's rating of the rater) and its change since the previous wave
    with ratings; both from shown values only (an "All partners" row's change only over the same raters)."""
    if frame.empty:
        return frame.assign(mirror_score=np.nan, previous_score=np.nan, change=np.nan)
    key = frame["rater"] + "\x1f" + frame["target"] + "\x1f" + frame["members"]
    mirror_key = frame["target"] + "\x1f" + frame["rater"] + "\x1f"  # a cell's: no members
    by_wave = {w: dict(zip(key[frame["wave"].eq(w)], frame.loc[frame["wave"].eq(w), "score"]))
               for w in pd.unique(frame["wave"])}
    order = list(frame[["wave", "wave_start"]].drop_duplicates("wave").sort_values(["wave_start", "wave"])["wave"])
    previous = dict(zip(order[1:], order[:-1]))
    cell = frame["kind"].eq("cell")
    mirror = [by_wave[w].get(m, np.nan) if c else np.nan for w, m, c in zip(frame["wave"], mirror_key, cell)]
    before = [by_wave.get(previous.get(w), {}).get(x, np.nan) for w, x in zip(frame["wave"], key)]
    frame = frame.assign(mirror_score=np.asarray(mirror, dtype="float64"),
                         previous_score=np.asarray(before, dtype="float64"))
    return frame.assign(change=frame["score"] - frame["previous_score"])
