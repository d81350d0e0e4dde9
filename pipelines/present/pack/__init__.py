"""Steering pack: the view on screen, or the whole programme, as PowerPoint or PDF.

Pure library (no Streamlit). ``build_pack(cursor, view=LinkState(...), fmt="pptx"|"pdf")``
returns the file's bytes; ``pack_filename(view, fmt)`` names it.

The pack renders the very view models the pages render (``present.views``): each page's
view carries its cover and its panels (title, filter lines, chart, table, notes, link), and
the programme pack puts together the Overview's, the Compare page's, every partner's and the
what-if scenarios' panels with the scores appendix. Every number, order, label and unit comes
from there (and so from the query layer, which has already suppressed every group under k
and its complement: a suppressed row carries no score, n or interval, and a panel says why).

Modules: ``slides`` (view model -> format-independent slides), ``layout`` (the slide model,
page geometry, text metrics, tables split with their header repeated, charts as PNG),
``to_pptx`` and ``to_pdf`` (the two renderers of the same slides).
"""
from __future__ import annotations

from datetime import date

from pipelines.present import exports, links, views
from pipelines.present.pack import to_pdf, to_pptx
from pipelines.present.pack.layout import Chart, Slide, Table
from pipelines.present.pack.slides import slides as _slides
from pipelines.present.views.parts import EM_DASH

FORMATS = ("pptx", "pdf")


def pack_filename(view: links.LinkState, fmt: str = "pptx", *, today: date | None = None) -> str:
    """A file name that says what the pack shows: page, partner, wave, pinned version, date."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'. Choose pptx or pdf.")
    parts = ["steering-pack", "programme" if view.page == "programme" else view.page]
    partner = view.partner
    if view.page == "what-if" and view.scenarios:
        partner = view.scenarios[0].partner
    if partner:
        parts.append(partner)
    if view.wave:
        parts.append(view.wave)
    if view.asof is not None:
        parts.append(f"v{view.asof}")
    parts.append((today or date.today()).isoformat())
    return f"{exports.slug(*parts)}.{fmt}"


def view_model(view: links.LinkState, *, cursor=None, source: views.Source | None = None, model=None):
    """The view model a pack of ``view`` renders: ``model`` when the caller has it (the page's
    own), else built from ``source`` (else from ``cursor``)."""
    if view.page == "what-if" and not view.scenarios and not view.partner:
        raise ValueError("A what-if pack needs a partner (wi_partner) and its changes.")
    model = model if model is not None else views.build(source or views.Source(cursor), view)
    for scenario in (model, *getattr(model, "whatifs", ())):  # the page's, or the programme pack's
        if getattr(scenario, "no_weight", None):
            raise ValueError(scenario.no_weight)
    return model


def build_slides(cursor=None, *, view: links.LinkState, base_url: str | None = None,
                 today: date | None = None, source: views.Source | None = None, model=None) -> list[Slide]:
    """The pack's slides, independent of the file format (for tests and previews)."""
    return _slides(view_model(view, cursor=cursor, source=source, model=model), base_url, today or date.today())


def render_slides(slides: list[Slide], fmt: str, title: str = "Partnership Health steering pack") -> bytes:
    """Slides from ``build_slides`` as PowerPoint or PDF bytes (both from the same slides)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'. Choose pptx or pdf.")
    return to_pptx.render(slides, title) if fmt == "pptx" else to_pdf.render(slides, title)


def pack_title(model, view: links.LinkState) -> str:
    """The file's own title (its properties): the programme and the page."""
    return f"{model.cover.title} {EM_DASH} {links.PAGE_TITLES[view.page]}"


def build_pack(cursor=None, *, view: links.LinkState, fmt: str = "pptx", base_url: str | None = None,
               today: date | None = None, source: views.Source | None = None, model=None) -> bytes:
    """The steering pack for ``view`` as PowerPoint (``fmt='pptx'``) or PDF bytes (of
    ``model``, its view model, when the caller has it)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'. Choose pptx or pdf.")
    model = view_model(view, cursor=cursor, source=source, model=model)
    return render_slides(_slides(model, base_url, today or date.today()), fmt, pack_title(model, view))


__all__ = ["FORMATS", "Chart", "Slide", "Table", "build_pack", "build_slides", "pack_filename", "pack_title",
           "render_slides", "view_model"]
