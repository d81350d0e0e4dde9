"""View models: for each page, everything it shows for one link state, built from the query
layer; the page renders it with Streamlit, the steering pack with PowerPoint or PDF.

``build(source, state)`` gives the view of ``state.page`` (the programme pack's for
'programme'); ``source`` is a ``Source`` (the query layer at one k). Modules: ``parts``
(what views are made of, the shared context), one module per page, ``programme`` (the pack
of everything), ``source``.
"""
from __future__ import annotations

from dataclasses import dataclass

from pipelines.present import links
from pipelines.query import scores
from pipelines.present.views import compare, overview, partner, programme, whatif
from pipelines.present.views.parts import Cover, Panel, context
from pipelines.present.views.source import Source

BUILDERS = {"overview": overview.build, "partner": partner.build, "compare": compare.build,
            "what-if": whatif.build, "programme": programme.build}


@dataclass(frozen=True)
class EmptyView:
    """Any page before a survey is loaded."""
    cover: Cover
    panels: tuple[Panel, ...]


def build(source: Source, state: links.LinkState):
    """The view model of ``state`` (an ``EmptyView`` while there are no survey waves)."""
    with scores.reusing_reads():
        return _build(source, state)


def _build(source: Source, state: links.LinkState):
    ctx = context(source, state)
    if not ctx.waves:
        return EmptyView(overview.cover(ctx, links.PAGE_TITLES[state.page]), (Panel(
            "empty", "No survey data yet", ctx.lines(), ctx.link("overview"),
            ("Load a pulse survey export on the Data page or with `python -m pipelines load`.",)),))
    return BUILDERS[state.page](source, state)


__all__ = ["BUILDERS", "EmptyView", "Source", "build"]
