"""Compare: every partner x factor in one wave, with the change since the previous wave; and
its pack (heatmap, change table)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.present import charts, links, words
from pipelines.present.views import parts, ratings
from pipelines.present.views.insights import short_header
from pipelines.present.views.overview import cover
from pipelines.present.views.parts import EM_DASH, ChartInput, Context, Cover, Panel
from pipelines.programme.factors import FACTORS, INDEX, SHORT_LABELS
from pipelines.programme.factors import label as factor_label
from pipelines.query.scores import PROGRAMME

NBSP = "\u00a0"


@dataclass(frozen=True)
class CompareView:
    context: Context
    no_partners: str | None          # when nobody answered in the wave (then nothing else)
    caption: str                     # the heatmap's own title says "Partners × factors" (downloads, pack)
    heatmap: ChartInput | None
    order: tuple[str, ...]           # partners, top to bottom
    partner_links: dict[str, dict[str, str]]  # partner -> query of its profile at this wave
    hidden_title: str
    hidden: tuple[tuple[str, str], ...]
    pending_title: str
    pending: tuple[tuple[str, str], ...]  # (group, responses its value does not count yet)
    table: pd.DataFrame | None       # the heatmap's numbers, one row per partner: the index and its change first
    table_headers: dict[str, tuple[str, str]]  # the page's shorter headers (column -> header, help)
    ratings: ratings.RatingsView     # the "Who rates whom" tab
    # the pack
    cover: Cover
    heatmap_panel: Panel | None
    change_panel: Panel

    @property
    def panels(self) -> tuple[Panel, ...]:
        return (*(p for p in (self.heatmap_panel, self.change_panel) if p is not None), *self.ratings.panels)


def order(cells: pd.DataFrame, sort: str) -> list[str]:
    """Partners by name (A to Z), or by a score: highest first, partners not shown last."""
    if sort == "partner":
        return sorted(cells["partner"].unique(), key=str.casefold)
    ranked = cells[cells["factor"] == sort].sort_values(["score", "partner"], ascending=[False, True],
                                                        na_position="last", kind="stable")
    found = list(ranked["partner"])
    return found + sorted(set(cells["partner"]) - set(found), key=str.casefold)


INDEX_CHANGE = "Index change"


def _table(cells: pd.DataFrame, ranked: list[str], k: int) -> pd.DataFrame:
    """What a director came for first (the partner, its index, the index's change and n), then the
    five factors, then why a shown row has no change and why a row is not shown."""
    wide = cells.pivot_table(index="partner", columns="column", values="score", aggfunc="first",
                             dropna=False)
    wide = wide.reindex(index=ranked, columns=[factor_label(f) for f in (INDEX, *FACTORS)]).round(1)
    index_rows = cells[cells["factor"] == INDEX].set_index("partner").reindex(ranked)
    wide.insert(1, INDEX_CHANGE, index_rows["change"].round(1).to_numpy())
    wide.insert(2, "Respondents", index_rows["n"].to_numpy())
    table = wide.reset_index().rename(columns={"partner": "Partner"})
    table.columns.name = None
    shown = ~index_rows["suppressed"].fillna(True).astype(bool)
    table[parts.why_empty(INDEX_CHANGE)] = index_rows["change_text"].where(
        shown & index_rows["change"].isna()).to_numpy()
    table[parts.HIDDEN_BECAUSE] = index_rows["suppression_reason"].map(
        lambda c: words.reason(c, k), na_action="ignore").to_numpy()
    return table


def _table_headers(previous: str | None) -> dict[str, tuple[str, str]]:
    """The table's factor columns by their short labels, and the index's change as "Change" beside it."""
    since = f"since {previous}" if previous else "since the previous wave (none before this one)"
    return {**{factor_label(f): short_header(f) for f in (INDEX, *FACTORS)},
            INDEX_CHANGE: ("Change", f"Change of the collaboration index {since}")}


def heatmap_panel(ctx: Context, factors: pd.DataFrame, cells: pd.DataFrame, ranked: list[str]) -> Panel:
    """The heatmap of the chosen factors for a slide: short column names that do not wrap."""
    sort = ctx.state.sort or "partner"
    frame = factors[(factors["wave"] == ctx.wave) & factors["factor"].isin(ctx.factors)]
    shown = frame[~frame["suppressed"] & frame["partner_id"].notna()]
    nbsp = {f: label.replace(" ", NBSP) for f, label in SHORT_LABELS.items()}
    return Panel(
        "heatmap", f"Partners \u00d7 factors: {ctx.wave}",
        ctx.lines(f"Wave {ctx.wave}", ctx.factors_text(), f"Sorted by {links.sort_label(sort).lower()}"),
        ctx.link("compare", wave=ctx.wave),
        (f"Cell: score (0-100), colour: band, \u25b2/\u25bc change since "
         f"{ctx.previous or 'the previous wave'} (* beyond noise). "
         f"n = {parts.n_range(shown['n'])} respondents per cell.",
         *parts.suppression_notes(frame, ctx.k, waves=[ctx.wave], factors=ctx.factors),
         *(f"{group}: {what}." for group, what in parts.pending_groups(frame.drop_duplicates("partner")))),
        chart=ChartInput("heatmap", (cells.assign(column=cells["factor"].map(nbsp)), tuple(ranked),
                                     ctx.thresholds, ctx.k),
                         {"columns": tuple(nbsp[f] for f in (*ctx.factors, INDEX)), "select": None}))


def change_panel(ctx: Context, factors: pd.DataFrame, index: pd.DataFrame, changes: pd.DataFrame) -> Panel:
    """Every group's change since the previous wave, partners by name, the programme last."""
    wave, previous, k = ctx.wave, ctx.previous, ctx.k
    change = changes[(changes["wave"] == wave) & changes["factor"].isin((*ctx.factors, INDEX))]
    current = pd.concat([factors[factors["wave"] == wave],
                         index[index["wave"] == wave].assign(factor=INDEX)], ignore_index=True)
    merged = change.merge(current[["partner", "factor", "n", "suppressed", "suppression_reason"]],
                          on=["partner", "factor"], how="left")
    merged["_f"] = merged["factor"].map({f: i for i, f in enumerate((*FACTORS, INDEX))})
    merged["_p"] = merged["partner"] == PROGRAMME
    merged = merged.sort_values(["_p", "partner", "_f"])
    rows, muted, bold = [], [], []
    for r in merged.itertuples():
        hidden = bool(r.suppressed) if pd.notna(r.suppressed) else True
        if hidden:
            cells = [r.partner, factor_label(r.factor), "", "", "",
                     words.reason(r.suppression_reason, k, words.Form.CELL)]
        else:
            # no change: the Change cell says why, so "Beyond noise?" stays empty (said once)
            beyond = ("" if pd.isna(r.change) or pd.isna(r.beyond_uncertainty)
                      else "yes" if parts.yes(r.beyond_uncertainty) else "no")
            cells = [r.partner, factor_label(r.factor), parts.fmt_score(r.previous_score),
                     f"{parts.fmt_score(r.score)} (n {int(r.n)})", words.change(r.change, r.no_change, wave, previous),
                     beyond]
        rows.append(cells)
        muted.append(hidden)
        bold.append(r.factor == INDEX)
    return Panel(
        "change_table", f"Change since {previous or 'the previous wave'}: {wave}",
        ctx.lines(f"Wave {wave} against {previous or 'none'}", ctx.factors_text()),
        ctx.link("compare", wave=wave),
        (f"Beyond noise: {words.BEYOND_NOISE}. Groups under {k} respondents are not shown.",),
        table=parts.table(["Partner", "Factor", previous or "Previous", f"{wave} (n)", "Change",
                           "Beyond noise?"], rows, muted, bold))


def build(source, state: links.LinkState) -> CompareView:
    """The Compare view of ``state`` (wave, sort, pin; factors for the pack)."""
    ctx = parts.context(source, state)
    wave, previous, k, asof = ctx.wave, ctx.previous, ctx.k, ctx.asof
    factors, index, changes = source.factor_scores(asof), source.index_scores(asof), source.changes(asof)
    cells = charts.heatmap_frame(factors[factors["wave"] == wave], index[index["wave"] == wave],
                                 changes[changes["wave"] == wave], k)
    ranked = order(cells, state.sort or "partner") if not cells.empty else []
    table = _table(cells, ranked, k) if not cells.empty else None
    return CompareView(
        context=ctx,
        no_partners=f"No partner answered the survey in {wave}." if cells.empty else None,
        # the wave, which the chart's title leaves to the page; the ✕ marks are said by the chart's subtitle
        caption=(f"Wave {wave}: arrows show the change since {previous}" if previous else
                 f"Wave {wave} is the first wave: no change yet") + ". Hover a cell for its n and 95% interval.",
        heatmap=None if cells.empty else ChartInput("heatmap", (cells, tuple(ranked), ctx.thresholds, k)),
        order=tuple(ranked),
        partner_links={name: dict(links.view_params(
            links.LinkState(page="partner", partner=name, wave=wave, asof=asof), ctx.asof_label))
            for name in ranked},
        hidden_title=f"Not shown in {wave}:",
        hidden=parts.hidden_groups(index[index["wave"] == wave], k),
        pending_title=f"Not counted yet in {wave}:", pending=parts.pending_groups(index[index["wave"] == wave]),
        table=table,
        table_headers=_table_headers(previous),
        ratings=ratings.build(ctx, source, state.partner),
        cover=cover(ctx, f"Compare {EM_DASH} wave {wave}"),
        heatmap_panel=heatmap_panel(ctx, factors, cells, ranked) if not cells.empty else None,
        change_panel=change_panel(ctx, factors, index, changes))
