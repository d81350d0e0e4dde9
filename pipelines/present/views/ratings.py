"""Partner-to-partner ratings (#25): the N x N matrix of a wave, rating organisations (rows) x
rated partners (columns), with how everyone rates a partner ("All partners" row) and how an
organisation rates everyone ("All partners" column); the two sides of each relationship (A rates
B against B rates A) and the change since the previous wave. A tab of Compare, and its slides.

At most ``MATRIX_SHOWN`` partners are drawn (the most respondents first), or a chosen partner and
the others with the most respondents: readable at 200 partners. The query layer has hidden every
rating organisation under k and whatever would let it be worked out from the margins, and leaves an
organisation whose respondents the scores do not show out of the margins, without n; the margins are
over every other partner, drawn or not here, so a subset shows nothing the whole matrix does not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.present import words
from pipelines.present.views import parts
from pipelines.present.views.parts import EM_DASH, ChartInput, Context, Panel
from pipelines.programme.factors import band_of
from pipelines.query.dyads import ALL

MATRIX_SHOWN = 8   # partners in the matrix (and on its slide, where 8 columns still read)
PAIRS_SHOWN = 8    # relationships listed by the gap between their two sides


@dataclass(frozen=True)
class RatingsView:
    caption: str
    none: str | None                 # no ratings in the wave (then nothing else)
    focus: str | None                # the partner chosen to be in the matrix
    shown: tuple[str, ...]           # the partners drawn, rows and columns, in order
    partners: tuple[str, ...]        # every partner with ratings in the wave (the chooser's)
    chart: ChartInput | None
    matrix: pd.DataFrame | None      # the same cells as text: 'score (n)' and the change
    pairs_title: str
    pairs: pd.DataFrame | None       # the largest gaps between A rates B and B rates A
    notes: tuple[str, ...]
    panels: tuple[Panel, ...]


def _arrow(change) -> str:
    if pd.isna(change):
        return ""
    sign = "\u25b2" if change > 0 else ("\u25bc" if change < 0 else "\u2022")
    return f"{sign}{abs(change):.1f}"


def _ranked(cells: pd.DataFrame) -> list[str]:
    """Partners with ratings in the wave: rating organisations by their shown respondents (most
    first), then the rest by name (a hidden count orders nothing)."""
    rows = cells[cells["target"] == ALL]
    shown = rows[~rows["suppressed"]].sort_values(["respondents", "rater"], ascending=[False, True])
    names = set(cells["rater"]) | set(cells["target"])
    names.discard(ALL)
    first = list(shown["rater"])
    return first + sorted(names - set(first), key=str.casefold)


def _chart_cells(cells: pd.DataFrame, thresholds, k: int) -> pd.DataFrame:
    out = cells.copy()
    hidden = out["suppressed"].astype(bool)
    out["score_text"] = out["score"].map(parts.fmt_score)
    out["n_text"] = [words.reason(r, k, words.Form.COUNT) if pd.isna(v) else str(int(v))
                     for v, r in zip(out["respondents"], out["reason"])]
    out["mirror_text"] = out["mirror_score"].map(parts.fmt_score)
    out["gap_text"] = (out["score"] - out["mirror_score"]).map(parts.fmt_change)
    out["change_text"] = out["change"].map(parts.fmt_change)
    out["status"] = [words.reason(r, k) if h else "shown" for r, h in zip(out["reason"], hidden)]
    out["heat"] = [("not shown" if h else band_of(s, thresholds)) for s, h in zip(out["score"], hidden)]
    out["cell"] = np.where(hidden, "\u2715", out["score_text"])  # narrow: a cell is 50 px at 1024
    out["arrow"] = [words.reason(r, k, words.Form.COUNT) if h else _arrow(c)
                    for r, h, c in zip(out["reason"], hidden, out["change"])]
    return out[["rater", "target", "heat", "cell", "arrow", "score_text", "n_text", "mirror_text", "gap_text",
                "change_text", "status"]]


def _text(cell, k: int) -> str:
    """A matrix cell as text: '62.9 ▲3.1' (with the n of the rating organisation in its "All partners"
    column: '65.6 (n 30)'), or why it is not shown."""
    if cell is None:
        return EM_DASH
    if bool(cell["suppressed"]):
        return words.reason(cell["reason"], k, words.Form.MARK)
    n = f" (n {int(cell['respondents'])})" if cell["target"] == ALL and cell["rater"] != ALL else ""
    return " ".join(t for t in (f"{cell['score']:.1f}{n}", _arrow(cell["change"])) if t)


def _matrix(cells: pd.DataFrame, shown: list[str], k: int) -> tuple[list[str], list[list[str]], list[bool]]:
    by_pair = {(r["rater"], r["target"]): r for r in cells.to_dict("records")}
    columns = ["Rating organisation", *shown, ALL]
    rows, muted = [], []
    for rater in [*shown, ALL]:
        rows.append([rater] + [_text(by_pair.get((rater, target)), k) for target in [*shown, ALL]])
        # muted (italic on a slide) only when the row shows nothing: one shown score is read as shown
        found = [by_pair.get((rater, target)) for target in [*shown, ALL]]
        muted.append(any(c is not None for c in found)
                     and not any(c is not None and not bool(c["suppressed"]) for c in found))
    return columns, rows, muted


def _pairs(cells: pd.DataFrame, shown: list[str]) -> list[list[str]]:
    """Each relationship among ``shown`` whose two sides are both shown, the largest gap first."""
    both = cells[cells["target"].isin(shown) & cells["rater"].isin(shown) & cells["score"].notna()
                 & cells["mirror_score"].notna()]
    both = both[np.array([shown.index(r) < shown.index(t) for r, t in zip(both["rater"], both["target"])],
                         dtype=bool)]
    both = both.assign(gap=both["score"] - both["mirror_score"])
    both = both.assign(_abs=both["gap"].abs()).sort_values(["_abs", "rater", "target"], ascending=[False, True, True])
    return [[r.rater, r.target, parts.fmt_score(r.score), parts.fmt_score(r.mirror_score), parts.fmt_change(r.gap)]
            for r in both.head(PAIRS_SHOWN).itertuples()]


def build(ctx: Context, source, focus: str | None = None) -> RatingsView:
    """The ratings of ``ctx.wave``; ``focus`` (a partner name) is always in the matrix."""
    wave, k = ctx.wave, ctx.k
    every = source.dyads(ctx.asof)
    cells = every[every["wave"] == wave]
    title = f"Who rates whom, {wave}"
    link = ctx.link("compare", wave=wave, partner=focus)
    if cells.empty:
        none = (f"No partner-to-partner ratings in {wave}: the survey has no grid questions that name a "
                "partner (such as 'How well do we work with [Partner]').")
        return RatingsView("", none, focus, (), (), None, None, "", None, (), ())
    ranked = _ranked(cells)
    shown = ranked[:MATRIX_SHOWN]
    if focus in ranked and focus not in shown:
        shown = [focus, *[p for p in ranked if p != focus][:MATRIX_SHOWN - 1]]
    inside = cells[cells["rater"].isin([*shown, ALL]) & cells["target"].isin([*shown, ALL])]
    previous = f"since {ctx.previous}" if ctx.previous else "(first wave: no change yet)"
    scores = inside[~inside["suppressed"] & (inside["rater"] != ALL) & (inside["target"] != ALL)]
    some = (f"Showing {len(shown)} of {len(ranked)} partners: the most respondents first"
            + (f", and {focus}" if focus else "") + ".") if len(ranked) > len(shown) else ""
    notes = tuple(n for n in (
        f"Row: how the rating organisation's people rate each partner; column: how each organisation rates "
        f"that partner. Score 0-100 and arrow: change {previous}. n: the rating organisation's respondents "
        f"(in the '{ALL}' column; {parts.n_range(scores['respondents'])} per cell).",
        f"'{ALL}' covers every partner, also those not drawn, but not an organisation whose respondents are not "
        f"shown (its ratings are, without n). Not shown: {words.either_reason(k)}; k applies to the rating "
        "organisation's people.",
        some) if n)
    columns, rows, muted = _matrix(inside, shown, k)
    pairs = _pairs(inside, shown)
    pairs_columns = ["Partner A", "Partner B", "A rates B", "B rates A", "Gap"]
    pairs_title = f"Two sides of a relationship, {wave}"
    panels = [Panel("ratings", title, ctx.lines(f"Wave {wave}", f"{len(shown)} of {len(ranked)} partners"), link,
                    notes, table=parts.table(columns, rows, muted, [r[0] == ALL for r in rows]))]
    if pairs:
        panels.append(Panel(
            "rating_pairs", pairs_title, ctx.lines(f"Wave {wave}", "The largest gaps first"), link,
            ("Gap: A rates B less B rates A. Only relationships whose two sides are both shown.",),
            table=parts.table(pairs_columns, pairs)))
    return RatingsView(
        # the wave, which the chart's title leaves to the page (the page names the chart once, by its title)
        caption=(f"Wave {wave}: each organisation's people rate each other partner (the survey's grid questions). "
                 f"Hover a cell for n, how the partner rates back and the change {previous}."),
        none=None, focus=focus, shown=tuple(shown), partners=tuple(ranked),
        chart=ChartInput("ratings_matrix", (_chart_cells(inside, ctx.thresholds, k), (*shown, ALL),
                                            ctx.thresholds)),
        matrix=pd.DataFrame([r for r in rows], columns=columns),
        pairs_title=pairs_title,
        pairs=pd.DataFrame(pairs, columns=pairs_columns) if pairs else None,
        notes=notes, panels=tuple(panels))
