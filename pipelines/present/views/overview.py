"""Overview: where every partner stands in a wave, who moved, what to look at, how fresh the
data is; and its pack (index over time, spectrum, movers)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.present import charts, links, words
from pipelines.present.views import insights, parts
from pipelines.present.views.parts import (
    EM_DASH,
    EN_DASH,
    ChartInput,
    Context,
    Cover,
    Metric,
    Panel,
)
from pipelines.programme.datasets import DATASET_LABELS
from pipelines.programme.factors import INDEX
from pipelines.programme.factors import label as factor_label
from pipelines.query import alerts, between_waves, significance
from pipelines.query.scores import PROGRAMME

MOVERS_SHOWN = 8  # the slide says "Eight largest changes"


@dataclass(frozen=True)
class Alert:
    kind: alerts.Kind
    partner: str
    text: str  # what follows the partner's name: the alert's note, as ``alerts`` prints it


@dataclass(frozen=True)
class OverviewView:
    context: Context
    headline: tuple[Metric, ...]          # index, band, partners shown
    spectrum_title: str
    spectrum: ChartInput | None           # None when no group can be shown
    nothing_shown: str | None             # ...and then why
    hidden_title: str
    hidden: tuple[tuple[str, str], ...]   # (partner, why it is not shown)
    pending_title: str
    pending: tuple[tuple[str, str], ...]  # (group, responses its value does not count yet)
    movers_caption: str
    movers: pd.DataFrame | None           # None for the first wave
    no_movers: str
    alerts: tuple[Alert, ...]
    no_alerts: str
    index_over_time: ChartInput
    freshness: pd.DataFrame
    freshness_caption: str | None
    participation: insights.Participation
    # the pack
    cover: Cover
    index_panel: Panel
    spectrum_panel: Panel
    movers_panels: tuple[Panel, ...]

    @property
    def panels(self) -> tuple[Panel, ...]:
        return (self.index_panel, self.spectrum_panel, self.participation.panel, *self.movers_panels)


def cover(ctx: Context, subtitle: str) -> Cover:
    """The first slide of every pack: what, which data, the bands and the privacy rule."""
    low, high = ctx.thresholds
    page = "overview" if ctx.state.page == "programme" else ctx.state.page
    return Cover(ctx.programme_name, subtitle, (
        ctx.data,  # the programme's name is the cover's title
        f"Latest survey wave in this pack: {ctx.wave or 'none yet'}",
        f"Bands: cooperating below {low:g}, transitioning {low:g}{EN_DASH}{high:g}, "
        f"collaborating from {high:g} (scores 0{EN_DASH}100)",
        f"Privacy: a group with fewer than {ctx.k} respondents is never shown, nor one that "
        "could be worked out from the others."), ctx.link(page))


def change_delta(change: pd.DataFrame, previous: str | None, since: bool = True) -> tuple[str | None, str]:
    """A shown group's metric delta from its row of ``changes`` (``change``): its change (``since``:
    'since ``previous``' after it); where there is none, no delta (a reason would be cut at 1024 px)
    and why, as a sentence for the metric's help."""
    if change.empty:
        return None, ""
    row = change.iloc[0]
    said = words.change(row["change"], row["no_change"], row["wave"], previous, words.Form.MARK)
    if pd.notna(row["change"]):
        return (f"{said} since {previous}" if since else said), ""
    return None, f" {said[0].upper()}{said[1:]}."


def index_metric(label: str, row: pd.Series, change: pd.DataFrame, previous: str | None,
                 who: str) -> Metric:
    """A shown collaboration index, with its change since ``previous`` (``change``: the group's
    index row of ``changes`` in the wave), or why there is none."""
    delta, why = change_delta(change, previous)
    return Metric(label, f"{row['score']:.1f}", delta,
                  f"{who} (smallest factor), 95% interval {row['ci_low']:.1f} to {row['ci_high']:.1f}.{why}")


def band_metric(label: str, row: pd.Series, ctx: Context) -> Metric:
    return Metric(label, words.band(row["band"]), help=charts.band_labels(ctx.thresholds)[row["band"]])


def moves(changes: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The largest changes into ``wave`` of shown partner groups (index and factors)."""
    rows = changes[(changes["wave"] == wave) & changes["partner_id"].notna() & changes["change"].notna()]
    return rows.assign(_abs=rows["change"].abs()).sort_values(
        ["_abs", "partner"], ascending=[False, True], kind="stable").head(MOVERS_SHOWN)


def movers_frame(top: pd.DataFrame, groups: pd.DataFrame, wave: str, previous: str) -> pd.DataFrame:
    """The movers as the page and the slide both show them: each measure from ``previous`` to
    ``wave``, each score with its n, then the change (and whether it is beyond noise).
    ``groups``: the factor and index rows (``factor`` set to INDEX) of both waves, for the n."""
    n = groups.set_index(["partner", "factor", "wave"])["n"]

    def cell(score, partner, factor, at) -> str:
        return f"{parts.fmt_score(score)} (n {int(n.get((partner, factor, at)))})"

    return pd.DataFrame({
        "Partner": top["partner"].to_numpy(),
        "Measure": top["factor"].map(factor_label).to_numpy(),
        f"{previous} (n)": [cell(m.previous_score, m.partner, m.factor, previous) for m in top.itertuples()],
        f"{wave} (n)": [cell(m.score, m.partner, m.factor, wave) for m in top.itertuples()],
        # whether it is beyond noise said in the change's cell: a sixth column did not fit 1024 px
        "Change": [with_noise(parts.fmt_change(m.change), m.beyond_uncertainty) for m in top.itertuples()],
    }, columns=["Partner", "Measure", f"{previous} (n)", f"{wave} (n)", "Change"])


def with_noise(change: str, beyond, gap: str = " ") -> str:
    """A change as the movers say it: "+15.1 beyond noise" when it is beyond noise."""
    return change + (f"{gap}beyond noise" if parts.yes(beyond) else "")


def _alerts(found: pd.DataFrame) -> tuple[Alert, ...]:
    """``query.alerts`` as the page lists them (the command line's ``alerts`` prints the same)."""
    return tuple(Alert(alerts.Kind(r.kind), str(r.partner), f"{r.note}.")
                 for r in found.itertuples(index=False))


def _movers_panels(ctx: Context, changes: pd.DataFrame, index: pd.DataFrame,
                   movers: pd.DataFrame | None) -> tuple[Panel, ...]:
    wave, previous, k = ctx.wave, ctx.previous, ctx.k
    bars = changes[(changes["wave"] == wave) & (changes["factor"] == INDEX)]
    current = index[index["wave"] == wave]
    hidden = current[current["suppressed"]]
    notes = list(parts.suppression_notes(hidden, k, waves=[wave]))
    # a partner shown now without a change: why (its previous group hidden, or no responses)
    missing = bars[bars["change"].isna() & (bars["no_change"] != between_waves.NoChange.HIDDEN)]
    if previous:
        notes += [f"{m.partner}: {words.change(None, m.no_change, wave, previous, words.Form.NOTE)}."
                  for m in missing.itertuples()]
    against = f"Wave {wave} against {previous or 'none'}"
    chart = None
    if previous is not None:
        bars = bars.assign(_o=bars["change"].fillna(-1e9)).sort_values(
            ["_o", "partner"], ascending=[False, True]).drop(columns="_o")
        bars = bars.assign(label=[
            with_noise(words.change(c, why, wave, previous, words.Form.MARK), b, gap="  ")
            for c, why, b in zip(bars["change"], bars["no_change"], bars["beyond_uncertainty"].astype(object))])
        chart = ChartInput("movers_bars", (bars, dict(ctx.colours)), {"lanes": len(ctx.partners) + 1})
        chart_notes = tuple(notes)
    else:
        chart_notes = ("Only one wave so far: nothing to compare.", *notes)
    link = ctx.link("overview", wave=wave)  # the movers' chart and table are the Overview's
    out = [Panel("movers", f"Biggest movers: {previous or EM_DASH} \u2192 {wave}",
                 ctx.lines(against, "Collaboration index; solid bars: change beyond noise"),
                 link, chart_notes, chart=chart)]
    if movers is not None and not movers.empty:
        index_rows = [m == factor_label(INDEX) for m in movers["Measure"]]
        out.append(Panel(
            "movers_table", f"Largest changes since {previous}",
            ctx.lines(against, "Eight largest changes of any factor or the index, partners only"), link,
            (f"Changes are only listed where both waves' groups are shown (at least {k} respondents).",
             *notes),
            table=parts.table(list(movers.columns), movers.itertuples(index=False), [False] * len(movers),
                              index_rows)))
    return tuple(out)


def index_panel(ctx: Context, index: pd.DataFrame) -> Panel:
    programme = index[index["partner"] == PROGRAMME]
    return Panel(
        "index_over_time", "Collaboration index over time",
        ctx.lines(f"Waves {ctx.waves[0]}{EN_DASH}{ctx.waves[-1]}",
                  "Programme: all partners' respondents; line: mean, shaded: 95% interval"),
        ctx.link("overview"),
        (f"n = {parts.n_range(programme['n'])} respondents per wave. Background: the bands.",
         *parts.suppression_notes(programme, ctx.k, waves=ctx.waves)),
        chart=ChartInput("index_over_time", (index, ctx.thresholds, ctx.k), {"waves": ctx.waves}))


def spectrum_panel(ctx: Context, index: pd.DataFrame, chart: ChartInput, low: tuple[str, ...] = ()) -> Panel:
    """The spectrum's slide; ``low``: the partners whose scores rest on few of their people."""
    return Panel("spectrum", f"Where partners stand: {ctx.wave}",
                 ctx.lines(f"Wave {ctx.wave}", "All partners; collaboration index with 95% interval"),
                 ctx.link("overview", wave=ctx.wave),
                 parts.suppression_notes(index[index["wave"] == ctx.wave], ctx.k, waves=[ctx.wave])
                 + tuple(f"{group}: {what}." for group, what in
                         parts.pending_groups(index[index["wave"] == ctx.wave])) + low,
                 chart=chart)


def build(source, state: links.LinkState) -> OverviewView:
    """The Overview of ``state`` (its wave and pin) from ``source`` (views.source.Source)."""
    ctx = parts.context(source, state)
    wave, previous, k, asof = ctx.wave, ctx.previous, ctx.k, ctx.asof
    index, changes, factors = source.index_scores(asof), source.changes(asof), source.factor_scores(asof)
    in_wave, changes_in_wave = index[index["wave"] == wave], changes[changes["wave"] == wave]
    programme = in_wave[in_wave["partner_id"].isna()]
    label = f"Collaboration index, {wave}"
    if not programme.empty and not bool(programme["suppressed"].iloc[0]):
        row = programme.iloc[0]
        change = changes_in_wave[changes_in_wave["partner_id"].isna()
                                 & (changes_in_wave["factor"] == INDEX)]
        headline = [index_metric(label, row, change, previous,
                                 f"Programme, all partners: n = {int(row['n'])} respondents"),
                    band_metric("Programme band", row, ctx)]
    else:
        why = words.reason(programme["suppression_reason"].iloc[0], k) if not programme.empty else "no responses"
        headline = [Metric(label, "not shown", help=f"Not shown: {why}."), Metric("Programme band", "not shown")]
    partner_rows = in_wave[in_wave["partner_id"].notna()]
    headline.append(Metric(
        "Partners shown", f"{int((~partner_rows['suppressed'].astype(bool)).sum())} of {len(partner_rows)}",
        help=f"A partner is shown when every factor has at least {k} responses and it cannot be "
             "worked out from the others."))
    anything_shown = not in_wave[~in_wave["suppressed"].astype(bool)].empty
    spectrum = ChartInput("spectrum", (in_wave, dict(ctx.colours), ctx.thresholds, k),
                          {"changes": changes_in_wave})
    trend = index_panel(ctx, index)
    movers = None if previous is None else movers_frame(
        moves(changes, wave), pd.concat([factors, index.assign(factor=INDEX)]), wave, previous)
    participation = insights.overview_participation(ctx, source)
    fresh = source.freshness(asof)
    fresh = fresh.assign(
        dataset=fresh["dataset"].map(DATASET_LABELS),
        latest_event=[words.NO_DATES if pd.isna(d) else str(pd.Timestamp(d).date()) for d in fresh["latest_event"]],
    ).rename(columns={
        "dataset": "Dataset", "last_loaded": "Last loaded", "batches": "Loads",
        "latest_event": words.LATEST_EVENT})
    return OverviewView(
        context=ctx, headline=tuple(headline),
        spectrum_title=f"From cooperation to collaboration, {wave}",
        spectrum=spectrum if anything_shown else None,
        nothing_shown=None if anything_shown else (
            f"No group can be shown for {wave}: every partner (and the programme) has fewer than "
            f"{k} responses on some factor, or is hidden to protect one that has."),
        hidden_title=f"Not shown in {wave}:", hidden=parts.hidden_groups(in_wave, k),
        pending_title=f"Not counted yet in {wave}:", pending=parts.pending_groups(in_wave),
        movers_caption=(f"{wave} is the first wave: there is nothing to compare it with yet."
                        if previous is None else
                        f"Largest changes since {previous} among shown partners (index and factors). "
                        f"'Beyond noise': {words.BEYOND_NOISE}."),
        movers=movers,
        no_movers="No partner is shown in both waves, so no change can be given.",
        alerts=_alerts(source.alerts(asof, wave)),
        no_alerts=(f"Nothing to flag in {wave}: no score fell beyond noise, and no partner's survey "
                   "and delivery evidence disagree beyond noise (false discoveries held to "
                   f"{significance.FDR_Q:.0%} across the wave)."),
        index_over_time=trend.chart,
        freshness=fresh,
        freshness_caption=None if asof is None else (
            f"As the data stood at {ctx.asof_label or f'version {asof}'}, the pinned version: later "
            "loads and undos are not counted."),
        participation=participation,
        cover=cover(ctx, f"Overview {EM_DASH} wave {wave}"),
        index_panel=trend,
        spectrum_panel=spectrum_panel(ctx, index, spectrum, participation.low),
        movers_panels=_movers_panels(ctx, changes, index, movers))
