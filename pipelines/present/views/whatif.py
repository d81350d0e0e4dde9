"""What-if: a partner's factor scores moved (and the index weights changed), its projected
index, band and place among the partners, and what this programme's history says about
delivery in the next period; and its pack (the scenario, the delivery after it)."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from pipelines import settings
from pipelines.present import links, words
from pipelines.present.charts import PROGRAMME_COLOUR
from pipelines.present.views import parts
from pipelines.present.views.overview import cover
from pipelines.present.views.parts import (
    ChartInput,
    Context,
    Cover,
    Metric,
    Panel,
)
from pipelines.programme.factors import (
    FACTOR_LABELS,
    FACTORS,
    INDEX,
    SHORT_LABELS,
    band_of,
)
from pipelines.programme.factors import label as factor_label
from pipelines.query import whatif
from pipelines.query.scenario import IndicatorProjection, Scenario, unscored

NO_VALUE = "\u2013"
SCENARIO = "With this scenario"  # the projection, its 95% interval in brackets
TRUST_COLUMNS = ("Indicator", "Status", "Rests on", "Held-back check")  # "How much to trust it"
NO_WEIGHT = "Every index weight is zero. Give at least one factor a weight."


@dataclass(frozen=True)
class SliderNote:
    """Under a factor's slider: its score now and moved (``capped`` at 0 or 100)."""
    now: str
    moved: str
    capped: bool


NOT_SHOWN = "not shown"


def slider_note(now: float, delta: float) -> SliderNote:
    """The note under a factor's slider for a score ``now`` moved by ``delta``."""
    if now != now:
        return SliderNote(NOT_SHOWN, NOT_SHOWN, False)
    moved = whatif.moved_score(now, delta)
    return SliderNote(f"{now:.1f}", f"{moved:.1f}", moved != now + delta)


def partner_scores(current: pd.DataFrame, partner: str) -> dict[str, float] | None:
    """The partner's factor scores in ``current`` (``Source.whatif_current``); None when they are
    not shown. The page writes each slider's note from them as the slider is drawn."""
    row = current[current["partner"] == partner]
    if row.empty or bool(row["suppressed"].iloc[0]):
        return None
    return {f: float(row[f].iloc[0]) for f in FACTORS}


@dataclass(frozen=True)
class WhatIfView:
    context: Context
    scenario: links.Scenario            # the partner, its deltas and weights (all five)
    partners: tuple[str, ...]           # every partner with a latest-wave row
    default_partner: str                # the first partner whose scores are shown
    wave: str
    hidden: str | None                  # why the partner's scores are not shown
    no_weight: str | None               # why no index at these weights: all zero, or a weighted factor unscored
    default_weights: dict[str, float]
    metrics: tuple[Metric, ...]         # projected index, rank
    band: Metric | None                 # the projected index's band and its interval's: a line
    reweighted: str | None              # now and the strip's places, with changed weights
    strip: ChartInput | None            # whatif_strip.whatif_strip_spec's inputs
    declined: str | None                # no delivery model, and why
    delivery: pd.DataFrame | None       # projected delivery (shown columns) ...
    trust: pd.DataFrame | None          # ... and what it rests on
    delivery_summary: str | None        # why no indicator is projected (None when one is)
    last_period_note: str | None        # what "last period alone" is, against the Partner profile
    trust_terms: str | None             # "naive forecast" and "one-sided p" in plain words
    model_note: str | None
    effects: pd.DataFrame | None        # fitted effects of +10 points per factor
    snapshot: dict[str, str] | None     # the scenario as a row of the kept-scenarios table
    link: str                           # relative link of the scenario
    scenario_line: str                  # the moves and weights in words: what a link opened shows
    # the pack
    cover: Cover
    scenario_panel: Panel
    delivery_panel: Panel | None

    @property
    def panels(self) -> tuple[Panel, ...]:
        return tuple(p for p in (self.scenario_panel, self.delivery_panel) if p is not None)


def _fmt(unit: str, value: float) -> str:
    if value != value:
        return NO_VALUE
    return f"{value:.0f} days" if unit == "days" else f"{value * 100:.0f}%"


def _fmt_change(unit: str, value: float) -> str:
    if value != value:
        return NO_VALUE
    return f"{value:+.1f} days" if unit == "days" else f"{value * 100:+.1f} pts"


def _held_text(p: IndicatorProjection) -> str:
    """What the time-order check of an indicator found (``whatif.held_back_verdict``)."""
    held = p.held_back
    if held is None:
        return "not enough history to hold any back"
    return f"{whatif.held_back_verdict(held, p.unit)}, over {held.n} forecasts"


def _rests_on(p: IndicatorProjection, model) -> str:
    """The history an indicator's model rests on: its partner-waves and the forecasts checked."""
    m = model.indicators[p.indicator]
    held = p.held_back
    checked = "" if held is None else (
        f"; checked on {held.n} forecasts of "
        + (held.waves[0] if len(held.waves) == 1 else f"{held.waves[0]} to {held.waves[-1]}"))
    return f"{m.n} partner-waves, {m.partners} partners{checked}"


def _failed_check(p: IndicatorProjection, model) -> bool:
    """Whether the time-order check is the reason an indicator is not projected (its own
    column says what the check found)."""
    return model.indicators[p.indicator].check is whatif.Check.FAILED


def _status(p: IndicatorProjection, model) -> str:
    if p.status is whatif.Status.PROJECTED:
        return p.status.value
    if _failed_check(p, model):
        return f"{p.status.value}: the held-back check did not pass"
    return f"{p.status.value}: {p.reason}"


def _latest_waves(source, asof, partner_id: int) -> dict[str, str]:
    """The period each indicator's "last period alone" value is from (``whatif.latest_observed``)."""
    last = source.latest_observed(asof)
    last = last[last["partner_id"] == partner_id]
    return dict(zip(last["indicator"], last["wave"].astype(str)))


def _delivery(sc: Scenario, model, periods: dict[str, str]) -> pd.DataFrame:
    """The page's delivery table: each indicator's projection (``query.scenario``, as the
    command line's ``whatif`` gives it) and what it rests on."""
    waves = {periods[p.indicator] for p in sc.indicators if p.indicator in periods}  # none observed: "–"
    shared = next(iter(waves)) if len(waves) == 1 else None  # one period for all: the header names it
    column = words.last_period(shared)
    rows = []
    for p in sc.indicators:
        projected = p.status is whatif.Status.PROJECTED
        change = p.projected - p.expected if projected else float("nan")
        better = (change < 0) if p.good == "lower" else (change > 0)
        verdict = "" if not projected or abs(change) < 1e-9 else (" (better)" if better else " (worse)")
        last = _fmt(p.unit, p.now)
        rows.append({"Indicator": p.label,
                     column: f"{last} ({periods[p.indicator]})" if not shared and p.indicator in periods else last,
                     "Expected": _fmt(p.unit, p.expected),
                     # the interval beside the value, not a column of its own: six columns did not fit 1024 px
                     SCENARIO: f"{_fmt(p.unit, p.projected)} ({_fmt(p.unit, p.low)} to {_fmt(p.unit, p.high)})"
                     if projected else NO_VALUE,
                     "Change": _fmt_change(p.unit, change) + verdict,
                     "Status": _status(p, model), "Rests on": _rests_on(p, model),
                     "Held-back check": _held_text(p)})
    return pd.DataFrame(rows)


def _delivery_summary(sc: Scenario) -> str | None:
    """Why no delivery indicator is projected for the scenario, in one sentence (None when one is)."""
    statuses = {p.status for p in sc.indicators}
    if whatif.Status.PROJECTED in statuses or not statuses:
        return None
    if whatif.Status.OUTSIDE_OBSERVED_RANGE in statuses:
        outside = next(p.reason for p in sc.indicators if p.status is whatif.Status.OUTSIDE_OBSERVED_RANGE)
        return (f"Nothing is projected: this scenario goes outside what this programme has observed "
                f"({outside}). Move the sliders back towards the partner's scores.")
    return ("No delivery indicator has a reliable projection: in this programme's own history, the "
            "model's forecasts of the next period were not clearly better than a naive forecast (each "
            "row says by how much), so none is shown. The index needs no model.")


def _delivery_rows(sc: Scenario, model, table: pd.DataFrame) -> list[list[str]]:
    """The pack's delivery table: the page's, in fewer and shorter columns (what a projection
    rests on, or why there is none: what the check found when it failed)."""
    rows = []
    for p, r in zip(sc.indicators, table.to_dict("records")):
        projected = p.status is whatif.Status.PROJECTED
        rests = (r["Rests on"] if projected
                 else f"{p.status.value}: {r['Held-back check']}" if _failed_check(p, model) else r["Status"])
        rows.append([r["Indicator"], r[table.columns[1]], r["Expected"], r[SCENARIO], rests])
    return rows


def _effects(model) -> pd.DataFrame | None:
    """The fitted effects per +10 points (``whatif.coefficients_frame``), in the page's words."""
    if not isinstance(model, whatif.FittedModel):
        return None
    unit = {"percentage points": "pts", "% change": "%"}
    # rows, not a column at a time: built on every slider step, pandas' per-column work was a
    # tenth of the view
    return pd.DataFrame([{
        "Indicator": c.label, "Factor": c.factor_label, "Per +10 points": f"{c.estimate:+.1f} {unit[c.unit]}",
        "95% interval": f"{c.low:+.1f} to {c.high:+.1f}", "Clear of zero": not c.spans_zero}
        for c in whatif.coefficients_frame(model).itertuples(index=False)],
        columns=["Indicator", "Factor", "Per +10 points", "95% interval", "Clear of zero"])


def _delivery_parts(sc: Scenario, model, panel: Panel, periods: dict[str, str]):
    """What the delivery model says of the scenario: (why there is no model, the page's
    projection and what it rests on, why nothing is projected, its note, the slide ``panel``
    filled in)."""
    if isinstance(model, whatif.Declined):
        return model.reason, None, None, None, None, replace(panel, notes=(model.reason,))
    table = _delivery(sc, model, periods)
    summary = _delivery_summary(sc)
    note = f"{sc.model} Intervals are 95% for the expected value; a single period varies more."
    return None, table.drop(columns=list(TRUST_COLUMNS[1:])), table[list(TRUST_COLUMNS)], summary, note, replace(
        panel, notes=tuple(n for n in (summary, note, words.last_period_note(table.columns[1])) if n),
        table=parts.table(["Indicator", table.columns[1], "Expected now", "Projected (95% interval)",
                           "Rests on, or why not projected"], _delivery_rows(sc, model, table)))


def scenario_of(state: links.LinkState, current: pd.DataFrame) -> links.Scenario:
    """The state's scenario with every factor's delta and weight (the first shown partner
    when the state names none); a ValueError for an unknown partner, factor or weights."""
    names = [str(n) for n in current["partner"]]
    if state.scenarios:
        asked = state.scenarios[0]
    else:
        shown = current.loc[~current["suppressed"].astype(bool), "partner"]
        asked = links.Scenario(state.partner or (str(shown.iloc[0]) if not shown.empty else names[0]))
    if asked.partner not in names:
        raise ValueError(f"No partner named '{asked.partner}'. Partners: {', '.join(names)}.")
    for f in asked.deltas:
        if f not in FACTORS:
            raise ValueError(f"Unknown factor '{f}' in the what-if changes.")
    weights = dict(asked.weights) if asked.weights is not None else settings.index_weights()
    weights = {f: float(weights.get(f, 0.0) or 0.0) for f in FACTORS}
    if min(weights.values()) < 0:
        raise ValueError("An index weight is negative. Give every factor a weight of 0 or more.")
    return links.Scenario(asked.partner, {f: float(asked.deltas.get(f, 0.0) or 0.0) for f in FACTORS}, weights)


def build(source, state: links.LinkState) -> WhatIfView:
    """The What-if view of ``state``'s scenario (its first; with none, the first shown
    partner unmoved) at its pin."""
    ctx = parts.context(source, state)
    k, asof = ctx.k, ctx.asof
    current = source.whatif_current(asof)
    scenario = scenario_of(state, current)
    partner, deltas, weights = scenario.partner, scenario.deltas, scenario.weights
    default = settings.index_weights()
    row = current[current["partner"] == partner].iloc[0]
    wave = str(row["wave"])
    link = ctx.link("what-if", scenario=scenario)
    moves = ", ".join(f"{FACTOR_LABELS[f]} {d:+g}" for f, d in deltas.items() if d) or "no changes"
    same = all(abs(weights[f] - default[f]) < 1e-9 for f in FACTORS)
    total = sum(weights.values())
    lines = ctx.lines(f"Partner {partner}", f"Wave {wave}", f"Changes: {moves}")
    weights_line = ("Weights: as configured" if same else "Weights: every one zero" if total <= 0
                    else "Weights: " + ", ".join(f"{SHORT_LABELS[f]} {weights[f] / total:.0%}" for f in FACTORS))
    lines = (lines[0], weights_line, lines[1])
    title = f"What-if: {partner}"
    shown = current[~current["suppressed"].astype(bool)]
    base = dict(context=ctx, scenario=scenario, partners=tuple(str(p) for p in current["partner"]),
                default_partner=str(shown["partner"].iloc[0]) if not shown.empty else str(current["partner"].iloc[0]),
                wave=wave, default_weights=default, link=link, cover=cover(ctx, title),
                scenario_line=f"Changes: {moves}. {weights_line}" + ("" if same else " (changed from the programme's)") + ".")
    empty = dict(no_weight=None, metrics=(), band=None, strip=None, reweighted=None, declined=None,
                 delivery=None, trust=None, delivery_summary=None, last_period_note=None, trust_terms=None,
                 model_note=None, effects=None, snapshot=None, delivery_panel=None)
    model = source.whatif_model(asof)
    if bool(row["suppressed"]):
        why = (words.reason(row["reason"], k, words.Form.NOTE) if words.code(row["reason"])
               else f"not shown: {row['reason']}")
        return WhatIfView(**base, **{**empty, "effects": _effects(model)},
                          hidden=words.reason(row["reason"], k),
                          scenario_panel=Panel("whatif", title, lines, link, (
                              f"{partner}: {why}. No projection is made from a group that is not shown.",)))
    now = {f: float(row[f]) for f in FACTORS}
    moved = whatif.moved_scores(now, deltas)
    no_index = NO_WEIGHT if total <= 0 else unscored(now, weights, partner, wave)
    if no_index:
        return WhatIfView(**base, **{**empty, "effects": _effects(model), "no_weight": no_index},
                          hidden=None, scenario_panel=Panel("whatif", title, lines, link, (no_index,)))
    thresholds = ctx.thresholds
    colour = ctx.colours.get(partner, PROGRAMME_COLOUR)
    sc = source.scenario(asof, partner, deltas, weights)
    index_now, projected, band = sc.index_now, sc.index_projected, sc.band
    rest = shown[shown["partner"] != partner]
    others = dict(zip(rest["partner"].astype(str), whatif.weighted_indexes(rest, weights)))
    rank_now, of = whatif.placement(index_now, others)
    rank, _ = whatif.placement(projected, others)
    low, high = thresholds
    band_metric = Metric("Band", words.band_with_reach(band, sc.band_reach),
                         f"now {words.band_with_reach(sc.band_now, sc.band_now_reach)}",
                         f"The projected index's band, by its score as on every page. Thresholds: "
                         f"transitioning from {low:g}, collaborating from {high:g}.", "off", False)
    programme_now = whatif.weighted_index(now, default)
    reweighted = None if same else words.reweighted_now(index_now, programme_now)
    metrics = (
        Metric("Projected index", f"{projected:.1f}", words.index_change(projected, index_now, not same),
               f"Weighted mean of the five moved factor scores; 95% interval {sc.index_low:.1f} to "
               f"{sc.index_high:.1f} (today's sampling uncertainty, moved with the scores).",
               *(("normal", True) if round(projected, 1) != round(index_now, 1) else ("off", False))),
        Metric("Rank", f"{rank} of {of}", f"now {rank_now} of {of}",
               f"Rank of the projected index among the other partners' {wave} index (partners whose "
               "scores are hidden are left out).", "off", False))
    bars = pd.DataFrame({"short": [SHORT_LABELS[f].replace(" ", "\u00a0") for f in (*FACTORS, INDEX)],
                         "now": [now[f] for f in FACTORS] + [index_now],
                         "projected": [moved[f] for f in FACTORS] + [projected]})
    rows = [[factor_label(f), f"{now[f]:.1f} (n {int(row[f'n_{f}'])})", f"{deltas[f]:+g}", f"{moved[f]:.1f}",
             words.band(band_of(moved[f], thresholds))] if now[f] == now[f]
            else [factor_label(f), NOT_SHOWN, "", NOT_SHOWN, "outside the index"] for f in FACTORS]
    rows.append(["Collaboration index", f"{index_now:.1f}", "",
                 f"{projected:.1f} ({sc.index_low:.1f} to {sc.index_high:.1f})", words.band(band)])
    scenario_panel = Panel(
        "whatif", title, lines, link,
        (f"Projected index {projected:.1f} ({band}), rank {rank} of {of} partners shown in {wave} (same "
         "weights). Scores are moved by the changes and kept within 0-100; dashed lines: the band thresholds.",
         *(() if same else (words.reweighted_now(index_now, programme_now, strip=False),)),
         "A what-if, not a forecast: it shows where the index would be if the scores moved."),
        chart=ChartInput("whatif_bars", (bars, colour, thresholds)),
        table=parts.table(["Factor", "Now", "Change", "Projected", "Band"], rows, bold=[False] * 5 + [True]))
    declined, delivery, trust, delivery_summary, model_note, delivery_panel = _delivery_parts(
        sc, model, Panel("whatif_delivery", f"{title}, delivery after the change", lines, link),
        {} if isinstance(model, whatif.Declined) else _latest_waves(source, asof, sc.partner_id))
    indicators = {} if delivery is None else dict(zip(delivery["Indicator"], delivery[SCENARIO]))
    snapshot = {"Partner": partner,
                "Changes": moves,
                "Weights": "default" if same else " / ".join(f"{weights[f]:g}" for f in FACTORS),
                "Index": f"{index_now:.1f} \u2192 {projected:.1f}", "Band": words.band(band), **indicators}
    return WhatIfView(
        **base, hidden=None, no_weight=None, metrics=metrics, band=band_metric,
        reweighted=reweighted,
        last_period_note=None if delivery is None else words.last_period_note(delivery.columns[1]),
        trust_terms=None if delivery is None else words.TRUST_TERMS,
        strip=ChartInput("whatif_strip_spec", (partner, index_now, projected, others, thresholds, wave,
                                               colour)),
        declined=declined, delivery=delivery, trust=trust, delivery_summary=delivery_summary,
        model_note=model_note, effects=_effects(model),
        snapshot=snapshot, scenario_panel=scenario_panel, delivery_panel=delivery_panel)
