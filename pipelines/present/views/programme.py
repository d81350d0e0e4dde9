"""The programme pack: the Overview, Compare, every partner's profile, the what-if scenarios
asked for, and every score as an appendix."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from pipelines.present import links, words
from pipelines.present.views import compare, overview, partner, parts, whatif
from pipelines.present.views.parts import EM_DASH, Cover, Panel
from pipelines.programme.factors import INDEX, SHORT_LABELS
from pipelines.query.scores import PROGRAMME

APPENDIX_TITLE = "Scores by partner and wave"


@dataclass(frozen=True)
class ProgrammeView:
    cover: Cover
    overview: overview.OverviewView
    compare: compare.CompareView
    partners: tuple[partner.PartnerView, ...]
    whatifs: tuple[whatif.WhatIfView, ...]
    appendix: tuple[Panel, ...]  # one panel per wave, newest first

    @property
    def panels(self) -> tuple[Panel, ...]:
        found = [self.overview.index_panel, self.overview.spectrum_panel, self.overview.participation.panel]
        found += [p for p in (self.compare.heatmap_panel,) if p is not None]
        found += self.compare.ratings.panels
        found += self.overview.movers_panels
        for view in self.partners:  # each partner's profile, and its agreed actions when it has any
            found += [view.profile_panel] + ([view.actions.panel] if view.actions.table is not None else [])
        for view in self.whatifs:
            found += view.panels
        return (*found, *self.appendix)


def _appendix(ctx: parts.Context, factors: pd.DataFrame, index: pd.DataFrame) -> tuple[Panel, ...]:
    """Every score, one panel per wave (newest first), each reopening Compare at its wave."""
    cols = [*ctx.factors, INDEX]
    data = pd.concat([factors[factors["factor"].isin(ctx.factors)], index.assign(factor=INDEX)],
                     ignore_index=True)
    panels = []
    for wave in reversed(ctx.waves):
        rows, muted, bold = [], [], []
        for name in [*ctx.partners, PROGRAMME]:
            w = data[(data["wave"] == wave) & (data["partner"] == name)].set_index("factor")
            if w.empty:
                continue
            n = min((int(w.at[f, "n"]) for f in cols if f != INDEX and parts.shown(w, f)), default=None)
            rows.append([wave, name] + [parts.score_cell(w, f) for f in cols] + [str(n) if n else EM_DASH])
            muted.append(n is None)
            bold.append(name == PROGRAMME)
        if rows:
            panels.append(Panel(
                "appendix", f"{APPENDIX_TITLE}: {wave}", ctx.lines(f"Wave {wave}", ctx.factors_text()),
                ctx.link("compare", wave=wave),
                (f"Scores 0-100; n = fewest respondents of the row's factors. 'not shown': "
                 f"{words.either_reason(ctx.k)}.",),
                table=parts.table(["Wave", "Partner"] + [SHORT_LABELS[f] for f in cols] + ["n"], rows, muted,
                                  bold)))
    return tuple(panels)


def build(source, state: links.LinkState) -> ProgrammeView:
    """The programme pack of ``state``: its wave, factors, pin, scenarios; only the partner
    it names, when it names one."""
    ctx = parts.context(source, state)
    names = [state.partner] if state.partner else list(ctx.partners)
    return ProgrammeView(
        cover=overview.cover(ctx, f"Steering pack {EM_DASH} wave {ctx.wave}"),
        overview=overview.build(source, state),
        compare=compare.build(source, state),
        partners=tuple(partner.build(source, replace(state, partner=name)) for name in names),
        whatifs=tuple(whatif.build(source, replace(state, scenarios=(s,))) for s in state.scenarios),
        appendix=_appendix(ctx, source.factor_scores(state.asof), source.index_scores(state.asof)))
