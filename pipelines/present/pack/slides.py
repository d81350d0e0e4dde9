"""Slides from view models: every panel of a view (``present.views``) becomes a slide with the
panel's own title, filter lines, notes, table cells, chart and link; here only where each
part goes and how big it is (``KINDS``). Nothing is counted, ordered, labelled or formatted
here: that is the view model's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Callable

from pipelines.present import chart_style, charts, links, slide_charts
from pipelines.present.pack.layout import (
    MARGIN,
    Chart,
    Slide,
    Table,
    W,
    fit_words,
    paginate,
    render_fit,
    split_content,
)
from pipelines.present.views.parts import ChartInput, Cover, Panel

# a chart's builder: where it is defined
_BUILDERS = {"index_over_time": charts.index_over_time, "spectrum": charts.spectrum,
             "heatmap": charts.heatmap, "movers_bars": slide_charts.movers_bars,
             "partner_factors": slide_charts.partner_factors, "whatif_bars": slide_charts.whatif_bars}


@dataclass(frozen=True)
class Kind:
    """How one kind of panel is laid out: its table's column widths (points; a function of
    the number of columns for tables that vary) and alignments, and how its chart fits."""
    widths: Callable[[int], list[float]] | None = None
    align: Callable[[int], list[str]] | None = None
    fit: Callable[[ChartInput, tuple], Chart] | None = None


def _fixed(*widths: float) -> Callable[[int], list[float]]:
    return lambda _: list(widths)


def _aligns(text: str) -> Callable[[int], list[str]]:
    return lambda _: list(text)


def _make(chart: ChartInput, **size):
    return _BUILDERS[chart.builder](*chart.args, **chart.kwargs, **size)


def _fit_index(chart, box):
    return render_fit("index", lambda w, h: _make(chart, width=w, height=h), box, box[2] - 250, box[3] - 110)


def _fit_spectrum(chart, box):
    return render_fit("spectrum", lambda w, h: _make(chart, width=w), box, box[2] - 230, 0)


def _fit_heatmap(chart, box):
    # the legend under the plot (its own place on the page), so each column is wide enough for its
    # bold name: beside it, six columns of 78 pt ran "Psych. safetyOpen comm." together
    columns, order = chart.kwargs["columns"], chart.args[1]
    return render_fit("heatmap", lambda w, h: _make(chart, width=w), box, min(box[2] - 230, 115 * len(columns)),
                      250, set_height=True, min_height=40.0 * len(order), legend_right=False)


def _fit_movers(chart, box):
    return render_fit("movers", lambda w, h: _make(chart, width=w, height=h), box, box[2] - 260, box[3] - 70)


def _fit_factors(chart, box):
    panels = len(chart.args[3])
    columns = 3 if panels > 4 else min(panels, 2)
    rows = -(-panels // columns)
    # the row of hidden waves under each panel and its legend entry take room the others do not
    kind = f"factors{columns}x{rows}" + ("-hidden" if chart_style.hidden_row_drawn(*chart.args[:2]) else "")
    return render_fit(kind, lambda w, h: _make(
        chart, width=max(60, (w - 18 * (columns - 1)) / columns), height=max(50, (h - 30 * rows) / rows),
        columns=columns), box, box[2] - 200, box[3] - 150)


def _fit_whatif(chart, box):
    return render_fit("whatif", lambda w, h: _make(chart, width=w, height=h), box, box[2] - 130, box[3] - 80)


def _even(fixed: list[float]) -> Callable[[int], list[float]]:
    """Fixed columns at both ends (``None`` marks where the score columns go), the width left
    shared by the score columns."""
    def widths(columns: int) -> list[float]:
        scores = columns - len(fixed) + 1
        each = (W - 2 * MARGIN - sum(w for w in fixed if w is not None)) / scores
        out: list[float] = []
        for w in fixed:
            out += [each] * scores if w is None else [w]
        return out
    return widths


KINDS: dict[str, Kind] = {
    "index_over_time": Kind(fit=_fit_index),
    "spectrum": Kind(fit=_fit_spectrum),
    "heatmap": Kind(fit=_fit_heatmap),
    "movers": Kind(fit=_fit_movers),
    "movers_table": Kind(_fixed(200, 200, 150, 150, 188), _aligns("llrrr")),  # change: "+15.1 beyond noise"
    "change_table": Kind(_fixed(190, 200, 95, 130, 80, 193), _aligns("llrrrl")),
    "partner": Kind(_fixed(140, 86, 100), _aligns("lrr"), _fit_factors),
    "partner_table": Kind(_even([110, None]), lambda n: ["l"] + ["r"] * (n - 1)),
    "agreement": Kind(_fixed(180, 80, 100, 110, 418), _aligns("lrccl")),
    "appendix": Kind(_even([90, 210, None, 60]), lambda n: ["l", "l"] + ["r"] * (n - 2)),
    "whatif": Kind(_fixed(128, 96, 72, 84, 110), _aligns("lrrrl"), _fit_whatif),
    "whatif_delivery": Kind(_fixed(165, 100, 80, 160, 383), _aligns("lrrrl")),  # the last: why not, a sentence
    "participation": Kind(_fixed(288, 200, 140, 110, 150), _aligns("lrrrr")),
    "partner_participation": Kind(_fixed(188, 250, 150, 120, 180), _aligns("lrrrr")),
    "ratings": Kind(_even([140, None, 120]), lambda n: ["l"] + ["r"] * (n - 1)),
    "rating_pairs": Kind(_fixed(230, 230, 130, 130, 168), _aligns("llrrr")),
    "actions": Kind(_fixed(160, 260, 150, 150, 168), _aligns("lllll")),
    "items": Kind(_fixed(150, 418, 160, 160), _aligns("llrr")),
    "comments": Kind(_fixed(260, 628), _aligns("ll")),
    "empty": Kind(),
}


def slide(panel: Panel, base_url: str | None) -> list[Slide]:
    """The slides of one panel (more than one when its table is long)."""
    kind = KINDS[panel.kind]
    table = None
    if panel.table is not None:
        n = len(panel.table.columns)
        table = Table(list(panel.table.columns), [list(r) for r in panel.table.rows],
                      fit_words(panel.table.columns, panel.table.rows, kind.widths(n)),
                      kind.align(n), None if panel.table.muted is None else list(panel.table.muted),
                      None if panel.table.bold is None else list(panel.table.bold))
    out = Slide(panel.title, list(panel.context), table=table, notes=list(panel.notes),
                link=links.join(base_url, panel.link))
    if panel.chart is not None:
        box, _ = split_content(replace(out, chart=Chart(b"", 1, 1)))
        out.chart = kind.fit(panel.chart, box)
    return paginate(out)


def cover(view_cover: Cover, base_url: str | None, today: date) -> Slide:
    return Slide(title=view_cover.title, subtitle=view_cover.subtitle,
                 cover=[f"Prepared {today.isoformat()}", *view_cover.lines],
                 link=links.join(base_url, view_cover.link))


def slides(view, base_url: str | None, today: date) -> list[Slide]:
    """The pack of a view model: its cover, then each of its panels."""
    out = [cover(view.cover, base_url, today)]
    for panel in view.panels:
        out += slide(panel, base_url)
    return out
