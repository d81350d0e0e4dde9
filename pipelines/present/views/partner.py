"""Partner profile: one partner's five factors over time against the programme, with the
delivery evidence beside each; and its pack (factors and evidence, scores by wave, what
people say against what the data shows)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.present import charts, links, words
from pipelines.present.views import insights, parts
from pipelines.present.views.overview import band_metric, change_delta, cover, index_metric
from pipelines.present.views.parts import (
    EM_DASH,
    ChartInput,
    Context,
    Cover,
    Metric,
    Panel,
)
from pipelines.programme.factors import FACTORS, INDEX
from pipelines.programme.factors import label as factor_label
from pipelines.query.evidence import INDICATORS, INDICATORS_BY_NAME, MAX_POOLED, MIN_EVENTS, Status
from pipelines.query.scores import PROGRAMME


@dataclass(frozen=True)
class FactorEvidence:
    """One factor of the partner in the wave: its survey score, the indicators that
    corroborate it, and whether the two agree."""
    score: Metric
    score_caption: str | None       # why it is not shown
    indicators: tuple[Metric, ...]
    counts: tuple[str, ...]         # what each indicator's figure counts: its window and n
    note: str | None                # survey against evidence
    disagrees: bool


@dataclass(frozen=True)
class PartnerView:
    context: Context
    partner: str
    headline: tuple[Metric, ...]              # index, band, respondents
    hidden_title: str
    hidden_waves: tuple[tuple[str, str], ...]  # (wave, why it is not shown)
    hidden_tail: str

    @property
    def hidden_listed(self) -> tuple[tuple[str, str], ...]:
        """``hidden_waves`` by reason, each said once: ("2024-Q4, 2025-Q2", why)."""
        reasons = dict.fromkeys(why for _, why in self.hidden_waves)
        return tuple((", ".join(w for w, why in self.hidden_waves if why == reason), reason) for reason in reasons)
    no_responses: str | None
    factors_caption: str
    factors_over_time: ChartInput
    profile_title: str
    profile: ChartInput
    evidence_title: str
    evidence_caption: str
    evidence: tuple[tuple[str, FactorEvidence], ...]  # (factor, its evidence), in factor order
    evidence_table: pd.DataFrame
    respondents: ChartInput | None
    waves_table: pd.DataFrame | None
    participation: insights.Participation
    comments: insights.Comments
    actions: insights.Actions
    items: insights.Items
    # the pack
    cover: Cover
    profile_panel: Panel
    table_panel: Panel
    agreement_panel: Panel

    @property
    def panels(self) -> tuple[Panel, ...]:
        """The pack: what people write only when the link asks for it (``comments``)."""
        found = (self.profile_panel, self.table_panel, self.agreement_panel, self.participation.panel,
                 self.actions.panel, self.items.panel)
        return (*found, self.comments.panel) if self.context.state.comments else found


def format_indicator(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return "no data"
    if unit.startswith("share"):
        return f"{value * 100:.0f}%"
    if unit == "days":
        return f"{value:.1f} days"
    return f"{value:.0f}"


EVIDENCE_CAPTION = (f"Each figure pools this wave with the ones before it until it rests on "
                    f"{MIN_EVENTS} events (at most {MAX_POOLED} waves): the window the note under them "
                    "compares. Under each, what it counts and the other partners' figure over the same "
                    "waves; the ageing backlog is counted at the wave's end, its arrow against the "
                    "previous wave. Where what people say and what the data shows disagree, it says so.")


def evidence_frame(indicators: pd.DataFrame, partner: str, wave: str, previous: str | None) -> pd.DataFrame:
    """One partner's indicators in ``wave`` (and the previous wave), with their factor."""
    meta = pd.DataFrame({"indicator": [i.name for i in INDICATORS], "label": [i.label for i in INDICATORS],
                         "good": [i.good for i in INDICATORS], "unit": [i.unit for i in INDICATORS],
                         "help": [i.help for i in INDICATORS], "factor": [i.factor for i in INDICATORS],
                         "order": range(len(INDICATORS))})
    mine = indicators[indicators["partner"] == partner]
    now = mine[mine["wave"] == wave][["indicator", "partner_id", "value", "count"]]
    before = mine[mine["wave"] == previous][["indicator", "value"]].rename(columns={"value": "previous"})
    out = meta.merge(now, on="indicator", how="left").merge(before, on="indicator", how="left")
    return out.sort_values("order").reset_index(drop=True)


def pooled_frame(per_wave: pd.DataFrame, pooled: pd.DataFrame) -> pd.DataFrame:
    """``evidence_frame`` with each compared indicator's value and count over its window
    (``evidence.pooled``: others_value, evidence_from, periods beside); the ageing backlog, a
    stock counted at the wave's end, stays as it is."""
    ids = per_wave["partner_id"].dropna().unique()
    flows = pooled[pooled["partner_id"].isin(ids)].set_index("indicator")
    out = per_wave.copy()
    for column in ("others_value", "evidence_from", "periods"):
        out[column] = out["indicator"].map(flows[column])
    compared = out["indicator"].isin(flows.index)
    out.loc[compared, "value"] = out.loc[compared, "indicator"].map(flows["evidence_value"])
    out.loc[compared, "count"] = out.loc[compared, "indicator"].map(flows["events"])
    return out


def _indicator_metric(ind, wave: str) -> tuple[Metric, str]:
    """An indicator's card and what its figure counts (``words.evidence_counts``)."""
    indicator = INDICATORS_BY_NAME[ind["indicator"]]
    better = f"{'Lower' if ind['good'] == 'lower' else 'Higher'} is better."
    counts = words.evidence_counts(indicator, ind, wave)
    help_text = f"{ind['help']} {better} {counts}."
    if indicator.test is not None:
        delta = None if pd.isna(ind["others_value"]) else f"others {indicator.text(ind['others_value'])}"
        return Metric(ind["label"], format_indicator(ind["value"], ind["unit"]), delta, help_text,
                      "off", arrow=False), counts
    delta, colour = None, "inverse" if ind["good"] == "lower" else "normal"
    if pd.notna(ind["value"]) and pd.notna(ind["previous"]):
        diff = ind["value"] - ind["previous"]
        delta = f"{diff:+.0f}"  # as its value: whole issues per 10 milestones
        if abs(diff) < 1e-9:
            delta, colour = "no change", "off"
    return Metric(ind["label"], format_indicator(ind["value"], ind["unit"]), delta, help_text, colour), counts


def _on_card(agreed, cards: pd.DataFrame) -> bool:
    """The agreement found too few events, and the card of its indicator says so already
    (``words.evidence_counts``): the sentence is printed once."""
    if Status(agreed["status"]) is not Status.TOO_FEW_EVENTS:
        return False
    card = cards[cards["indicator"] == agreed["indicator"]]
    return not card.empty and words.too_few(INDICATORS_BY_NAME[agreed["indicator"]],
                                            0 if pd.isna(card["count"].iloc[0]) else int(card["count"].iloc[0]))


def _evidence(ctx: Context, partner: str, in_wave: pd.DataFrame, changes: pd.DataFrame,
              evidence: pd.DataFrame, agreement: pd.DataFrame) -> tuple[tuple[str, FactorEvidence], ...]:
    mine = changes[(changes["partner"] == partner) & (changes["wave"] == ctx.wave)].set_index("factor")
    agree = agreement[agreement["partner"] == partner].set_index("factor", drop=False)
    out = []
    for factor in FACTORS:
        row = in_wave[(in_wave["partner"] == partner) & (in_wave["factor"] == factor)]
        label, caption = factor_label(factor), None
        if row.empty:
            score = Metric(label, "no responses")
        elif bool(row["suppressed"].iloc[0]):
            why = words.reason(row["suppression_reason"].iloc[0], ctx.k)
            score, caption = Metric(label, "not shown", help=f"Not shown: {why}."), why.capitalize()
        else:
            r = row.iloc[0]
            delta, why = change_delta(mine[mine.index == factor].reset_index(), ctx.previous, since=False)
            score = Metric(label, f"{r['score']:.1f}", delta,
                           f"Survey score, n = {int(r['n'])}, 95% interval {r['ci_low']:.1f} to "
                           f"{r['ci_high']:.1f}.{why}")
        shown = evidence[evidence["factor"] == factor]
        note = None
        if factor in agree.index and not _on_card(agree.loc[factor], shown):
            note = words.agreement_note(agree.loc[factor], ctx.k)
        cards = [_indicator_metric(i, ctx.wave) for _, i in shown.iterrows()]
        out.append((factor, FactorEvidence(
            score, caption, tuple(m for m, _ in cards), tuple(c for _, c in cards),
            note, bool(agree.loc[factor, "disagrees"]) if factor in agree.index else False)))
    return tuple(out)


def _headline(ctx: Context, now: pd.DataFrame, changes: pd.DataFrame, partner: str) -> tuple[Metric, ...]:
    label = f"Collaboration index, {ctx.wave}"
    if now.empty:
        return Metric(label, "no responses"), Metric("Band", "\u2013"), Metric("Respondents", "0")
    if bool(now["suppressed"].iloc[0]):
        code = now["suppression_reason"].iloc[0]
        why = f"Not shown: {words.reason(code, ctx.k)}."
        return (Metric(label, "not shown", help=why), Metric("Band", "not shown"),
                Metric("Respondents", words.reason(code, ctx.k, words.Form.COUNT), help=why))
    row = now.iloc[0]
    change = changes[(changes["partner"] == partner) & (changes["wave"] == ctx.wave)
                     & (changes["factor"] == INDEX)]
    return (index_metric(label, row, change, ctx.previous, f"n = {int(row['n'])}"), band_metric("Band", row, ctx),
            Metric("Respondents", str(int(row["n"])), help="Smallest number of respondents over the five factors."))


def profile_panel(ctx: Context, partner: str, factors: pd.DataFrame, index: pd.DataFrame,
                  evidence: pd.DataFrame, agreement: pd.DataFrame) -> Panel:
    """The partner's chosen factors over time against the programme, its evidence beside."""
    frame = factors[factors["partner"].isin([partner, PROGRAMME]) & factors["factor"].isin(ctx.factors)]
    own = pd.concat([frame, index[index["partner"].isin([partner, PROGRAMME])].assign(factor=INDEX)],
                    ignore_index=True)
    own = own[own["partner"] == partner]
    rows = [[e["label"], format_indicator(e["value"], e["unit"]), words.evidence_n(INDICATORS_BY_NAME[e["indicator"]], e)]
            for _, e in evidence.iterrows()]
    notes = []
    if own["n"].notna().any():
        notes.append(f"{partner}: n {parts.n_range(own['n'])} respondents in each wave shown; "
                     "grey dashed line: programme.")
    notes += parts.suppression_notes(own, ctx.k, waves=ctx.waves, factors=ctx.factors)
    agree = agreement[(agreement["partner"] == partner) & agreement["disagrees"]]
    notes += [f"Say vs show ({factor_label(a['factor']).lower()}): {words.agreement_note(a, ctx.k)}."
              for a in agree.to_dict("records")]
    if ctx.wave == (ctx.waves[-1] if ctx.waves else None):
        notes.append("Evidence for the latest wave is provisional: milestones due later in it may still be met.")
    return Panel(
        "partner", f"{partner}: factors over time, evidence beside",
        ctx.lines(f"Partner {partner}", ctx.factors_text(), f"Evidence up to wave {ctx.wave}"),
        ctx.link("partner", partner=partner, wave=ctx.wave), (*notes, words.EVIDENCE_N),
        chart=ChartInput("partner_factors", (frame, partner, dict(ctx.colours), ctx.factors, ctx.thresholds)),
        table=parts.table(["Evidence", "Value", "Based on"], rows,
                          [pd.isna(e.value) for e in evidence.itertuples()]))


def _table_panel(ctx: Context, partner: str, factors: pd.DataFrame, index: pd.DataFrame) -> Panel:
    cols = [*ctx.factors, INDEX]
    data = pd.concat([factors[(factors["partner"] == partner) & factors["factor"].isin(ctx.factors)],
                      index[index["partner"] == partner].assign(factor=INDEX)], ignore_index=True)
    rows, muted = [], []
    for wave in ctx.waves:
        w = data[data["wave"] == wave].set_index("factor")
        rows.append([wave] + [parts.score_cell(w, f, with_n=True) for f in cols])
        muted.append(not any(parts.shown(w, f) for f in cols))
    return Panel(
        "partner_table", f"{partner}: scores by wave",
        ctx.lines(f"Partner {partner}", ctx.factors_text(), "Score (0-100) and n respondents"),
        ctx.link("partner", partner=partner, wave=ctx.wave),
        parts.suppression_notes(data, ctx.k, waves=ctx.waves, factors=cols)
        or (f"Every group here has at least {ctx.k} respondents.",),
        table=parts.table(["Wave"] + [factor_label(f) for f in cols], rows, muted))


def _agreement_panel(ctx: Context, partner: str, agreement: pd.DataFrame) -> Panel:
    agree = agreement[(agreement["partner"] == partner) & agreement["factor"].isin(ctx.factors)]
    rows, muted = [], []
    for a in agree.to_dict("records"):
        survey = parts.fmt_score(a["survey_score"])
        rank = f"{int(a['survey_rank'])} of {int(a['ranked'])}" if pd.notna(a["survey_rank"]) else EM_DASH
        erank = f"{int(a['evidence_rank'])} of {int(a['ranked'])}" if pd.notna(a["evidence_rank"]) else EM_DASH
        rows.append([factor_label(a["factor"]), survey or "not shown", rank, erank,
                     ("Disagree: " if a["disagrees"] else "") + words.agreement_note(a, ctx.k)])
        muted.append(not survey)
    return Panel(
        "agreement", f"{partner}: what people say vs what the data shows",
        ctx.lines(f"Partner {partner}", f"Wave {ctx.wave}", ctx.factors_text()),
        ctx.link("partner", partner=partner, wave=ctx.wave),
        ("Ranks among the partners with a shown survey score and evidence on the factor.",),
        table=parts.table(["Factor", "Survey", "Survey rank", "Evidence rank", "What it says"], rows, muted))


def build(source, state: links.LinkState) -> PartnerView:
    """The Partner profile of ``state`` (partner, wave, factors, pin); the first partner by
    name when the link names none."""
    ctx = parts.context(source, state)
    if not ctx.partners:
        raise ValueError("No partners yet: load the partners list or a pulse survey export.")
    partner = state.partner or ctx.partners[0]
    wave, k, asof = ctx.wave, ctx.k, ctx.asof
    factors, index, changes = source.factor_scores(asof), source.index_scores(asof), source.changes(asof)
    agreement = source.agreement(asof, wave)
    mine = factors[factors["partner"].isin([partner, PROGRAMME])]
    my_index = index[index["partner"] == partner]
    in_wave = mine[mine["wave"] == wave]
    per_wave = evidence_frame(source.indicators(asof), partner, wave, ctx.previous)
    evidence = pooled_frame(per_wave, source.pooled_evidence(asof, wave))
    hidden = my_index[my_index["suppressed"].astype(bool)]
    table = per_wave.assign(factor=per_wave["factor"].map(factor_label))[
        ["factor", "label", "value", "previous", "count", "good", "unit"]].rename(columns={
            "factor": "Factor", "label": "Indicator", "value": wave, "previous": ctx.previous or "previous wave",
            "count": "Based on", "good": "Better when", "unit": "Unit"})
    waves_table = None if my_index.empty else pd.DataFrame({
        "Wave": my_index["wave"].to_numpy(),
        "Respondents": my_index["n"].to_numpy(),
        "Collaboration index": my_index["score"].round(1).to_numpy(),
        parts.HIDDEN_BECAUSE: my_index["suppression_reason"].map(
            lambda c: words.reason(c, k), na_action="ignore").to_numpy()})
    return PartnerView(
        context=ctx, partner=partner,
        headline=_headline(ctx, my_index[my_index["wave"] == wave], changes, partner),
        hidden_title=f"Not shown for {partner}:",
        hidden_waves=tuple((str(w), words.reason(r, k)) for w, r in zip(hidden["wave"], hidden["suppression_reason"])),
        hidden_tail="Those waves are marked \u2715 in the charts' grey \u201cnot shown\u201d row, never drawn as zero.",
        no_responses=f"{partner} has no survey responses at this data version." if my_index.empty else None,
        factors_caption=charts.factors_key(partner, mine, ctx.waves, ctx.factors),
        factors_over_time=ChartInput("factors_over_time", (mine, partner, dict(ctx.colours), ctx.thresholds, k),
                                     {"which": ctx.factors, "waves": ctx.waves}),
        profile_title=f"Profile across the five factors, {wave}",
        profile=ChartInput("factor_profile", (in_wave, partner, dict(ctx.colours), ctx.thresholds, k)),
        evidence_title=f"Evidence beside each factor, {wave}",
        evidence_caption=EVIDENCE_CAPTION,
        evidence=_evidence(ctx, partner, in_wave, changes, evidence, agreement),
        evidence_table=table,
        respondents=None if my_index.empty else ChartInput(
            "respondents_per_wave", (my_index, partner, dict(ctx.colours), k), {"waves": ctx.waves}),
        waves_table=waves_table,
        participation=insights.partner_participation(ctx, source, partner),
        comments=insights.comments(ctx, source, partner),
        actions=insights.actions(ctx, source, partner),
        items=insights.items(ctx, source, partner),
        cover=cover(ctx, f"Partner profile: {partner} {EM_DASH} wave {wave}"),
        profile_panel=profile_panel(ctx, partner, factors, index, evidence, agreement),
        table_panel=_table_panel(ctx, partner, factors, index),
        agreement_panel=_agreement_panel(ctx, partner, agreement))
