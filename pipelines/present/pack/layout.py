"""The slide model of the steering pack, independent of the file format, and its layout on
a 16:9 page (960 x 540 pt): where the title, filter lines, chart, table, notes and link go;
text wrapped with the same metrics for PowerPoint and PDF, long tables split with their
header repeated, charts rendered to PNG (vl-convert, at 3x for a projector) at the size
their box leaves. Titles 30 pt, filter lines 16 pt, everything else at least 14 pt.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from pipelines.present.charts import NOT_SHOWN_MARK

ACCENT = "#0072B2"  # the first colour of charts.PALETTE

# -- page geometry (points; 16:9) -------------------------------------------------
W, H = 960.0, 540.0
MARGIN = 36.0
TITLE_PT, CONTEXT_PT, BODY_PT = 30, 16, 14
TITLE_TOP, TITLE_H = 20.0, 40.0
CONTEXT_LEAD = 20.0
BODY_LEAD = 17.5
CELL_PAD_X, CELL_PAD_Y = 6.0, 4.0
CHART_SCALE = 3  # PNG pixels per point: crisp on a projector and in print
PPTX_FONT = "Arial"  # metric-compatible with Liberation Sans (LibreOffice substitutes it)
INK, MUTED, RULE = "#1F2328", "#57606A", "#D0D7DE"
HEADER_FILL, ZEBRA_FILL = "#E8EEF4", "#F6F8FA"



# -- the format-independent slide model -----------------------------------------------

@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    widths: list[float]                  # points; sum = table width
    align: list[str] | None = None       # 'l' | 'r' | 'c' per column
    muted: list[bool] | None = None      # per row: a suppressed / not-shown row
    bold: list[bool] | None = None       # per row: totals (programme)


@dataclass
class Chart:
    png: bytes
    width: float    # natural size in points
    height: float


@dataclass
class Slide:
    title: str
    context: list[str] = field(default_factory=list)   # filter lines (16 pt)
    chart: Chart | None = None
    table: Table | None = None
    notes: list[str] = field(default_factory=list)     # n and suppression (14 pt)
    link: str | None = None
    cover: list[str] | None = None                     # cover slide lines
    subtitle: str | None = None                        # cover only


def font_name(bold: bool = False) -> str:
    return "Helvetica-Bold" if bold else "Helvetica"   # metrics of Liberation Sans / Arial


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` wrapped to ``width`` points (words; an over-long word cut by character,
    each cut piece ending in a hyphen so the reader sees the word goes on)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = font_name(bold)
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        words = paragraph.split(" ")
        line = ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while stringWidth(word, font, size) > width:
                cut = len(word)
                while cut > 1 and stringWidth(word[:cut] + "-", font, size) > width:
                    cut -= 1
                if 0 < len(word) - cut < 3 and cut > 3:  # never a tail of one or two letters
                    cut = len(word) - 3
                lines.append(word[:cut] + "-" if cut > 1 else word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _text_height(lines: Sequence[str], size: float, width: float, lead: float) -> float:
    return sum(len(wrap(line, size, width)) for line in lines) * lead


def _notes_height(notes: Sequence[str]) -> float:
    return _text_height(notes, BODY_PT, W - 2 * MARGIN, BODY_LEAD)


LINK_PREFIX = "Reopen this view: "


def link_lines(link: str | None) -> list[str]:
    """'Reopen this view: <url>' broken by character (a URL has no spaces) to the link box."""
    if not link:
        return []
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width = W - 2 * MARGIN - 70
    text, lines = LINK_PREFIX + link, []
    while text:
        cut = len(text)
        while cut > 1 and stringWidth(text[:cut], font_name(), BODY_PT) > width:
            cut -= 1
        lines.append(text[:cut])
        text = text[cut:]
    return lines


def _context_lines(slide) -> int:
    return sum(len(wrap(line, CONTEXT_PT, W - 2 * MARGIN)) for line in slide.context)


def boxes(slide: Slide) -> dict[str, tuple[float, float, float, float]]:
    """x, y (from the top), width, height of each part of a slide."""
    context_top = TITLE_TOP + TITLE_H + 6
    content_top = context_top + CONTEXT_LEAD * _context_lines(slide) + 10
    link_h = BODY_LEAD * max(len(link_lines(slide.link)), 1)
    link_top = H - 14 - link_h
    notes_h = _notes_height(slide.notes)
    notes_top = link_top - 6 - notes_h
    content_bottom = notes_top - 8
    return {
        "title": (MARGIN, TITLE_TOP, W - 2 * MARGIN, TITLE_H),
        "context": (MARGIN, context_top, W - 2 * MARGIN, CONTEXT_LEAD * _context_lines(slide)),
        "content": (MARGIN, content_top, W - 2 * MARGIN, content_bottom - content_top),
        "notes": (MARGIN, notes_top, W - 2 * MARGIN, notes_h),
        "link": (MARGIN, link_top, W - 2 * MARGIN - 70, link_h),
        "page": (W - MARGIN - 70, link_top, 70, BODY_LEAD),
    }


def split_content(slide: Slide) -> tuple[tuple, tuple | None]:
    """Chart box and table box inside the content box (side by side when both)."""
    x, y, w, h = boxes(slide)["content"]
    if slide.chart is not None and slide.table is not None:
        table_w = sum(slide.table.widths)
        return (x, y, w - table_w - 18, h), (x + w - table_w, y, table_w, h)
    if slide.chart is not None:
        return (x, y, w, h), None
    return None, (x, y, w, h)


def row_height(cells: Sequence[str], widths: Sequence[float], bold: bool = False) -> float:
    lines = max(len(wrap(str(c), BODY_PT, wd - 2 * CELL_PAD_X - 2, bold)) for c, wd in zip(cells, widths))
    return lines * BODY_LEAD + 2 * CELL_PAD_Y


def fit_words(columns: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> list[float]:
    """``widths`` moved so that each column holds its longest word (bold in the header) without
    cutting it, taken from columns with room to spare; the table's width stays. A word is cut
    only when the table has no room for it at all ("Northline Infrastruct- / ure" had)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def longest(text: str, bold: bool) -> float:
        return max((stringWidth(w, font_name(bold), BODY_PT) for w in str(text).split()), default=0.0)

    need = [max([longest(columns[j], True)] + [longest(r[j], False) for r in rows]) + 2 * CELL_PAD_X + 2
            for j in range(len(columns))]
    short = [max(0.0, n - w) for n, w in zip(need, widths)]
    spare = [max(0.0, w - n) for n, w in zip(need, widths)]
    moved = min(sum(short), sum(spare))
    if moved <= 0:
        return list(widths)
    return [w + moved * s / sum(short) - moved * p / sum(spare) for w, s, p in zip(widths, short, spare)]


def paginate(slide: Slide) -> list[Slide]:
    """Split a slide whose table does not fit into slides with the header repeated."""
    if slide.table is None:
        return [slide]
    _, box = split_content(slide)
    available = box[3]
    table = slide.table
    header = row_height(table.columns, table.widths, bold=True)
    heights = [row_height(row, table.widths, bold=bool(table.bold and table.bold[i]))
               for i, row in enumerate(table.rows)]

    def split(limit: float) -> list[list[int]]:
        chunks, current, used = [], [], header
        for i, height in enumerate(heights):
            if current and used + height > limit:
                chunks.append(current)
                current, used = [], header
            current.append(i)
            used += height
        chunks.append(current)
        return chunks

    chunks = split(available)
    if len(chunks) > 1:  # the same number of slides, rows spread evenly (no lone last row)
        even = header + sum(heights) / len(chunks) + max(heights)
        balanced = split(min(available, even))
        if len(balanced) == len(chunks):
            chunks = balanced
    if len(chunks) == 1:
        return [slide]
    out = []
    for number, rows in enumerate(chunks, start=1):
        part = Table(table.columns, [table.rows[i] for i in rows], table.widths, table.align,
                     [table.muted[i] for i in rows] if table.muted else None,
                     [table.bold[i] for i in rows] if table.bold else None)
        out.append(replace(slide, title=f"{slide.title} ({number} of {len(chunks)})", table=part))
    return out


# -- charts as pictures ---------------------------------------------------------------

def png(chart, **overrides) -> Chart:
    """A styled chart as PNG at CHART_SCALE, with its natural size in points. The spec is
    not validated again (the builders are tested); missing values become null, as in
    ``charts.to_png``. The chart's own title is dropped (the slide has one) and
    ``overrides`` replace top-level properties (e.g. ``height``)."""
    import json
    import struct

    import vl_convert as vlc

    spec = json.loads(json.dumps(chart.to_dict(validate=False)), parse_constant=lambda _: None)
    spec.pop("title", None)
    spec.setdefault("config", {})["background"] = "white"
    spec.update(overrides)
    # vl-convert draws a whole text in the first font that has all its glyphs: Liberation Sans has
    # no NOT_SHOWN_MARK, so "✕ Not shown (privacy)" came out in DejaVu Sans Mono Bold; the
    # multiplication sign, which it has, keeps the slide's font
    spec = json.dumps(spec).replace(json.dumps(NOT_SHOWN_MARK)[1:-1], json.dumps(SLIDE_MARK)[1:-1])
    png = vlc.vegalite_to_png(spec, scale=CHART_SCALE)
    width, height = struct.unpack(">II", png[16:24])
    return Chart(png, width / CHART_SCALE, height / CHART_SCALE)


SLIDE_MARK = "\u00d7"  # a chart's NOT_SHOWN_MARK on a slide (``png``)


class Sized:
    """A chart whose plot height is set on its spec (for builders that fix it themselves),
    optionally with its colour legend moved to the right (to leave the height to the plot)."""

    def __init__(self, chart, height: float, legend_right: bool = False):
        self.chart, self.height, self.legend_right = chart, height, legend_right

    def to_dict(self, validate: bool = False) -> dict:
        spec = self.chart.to_dict(validate=validate)
        spec["height"] = self.height
        if self.legend_right:
            for layer in spec.get("layer", []):
                legend = layer.get("encoding", {}).get("color", {}).get("legend")
                if isinstance(legend, dict):
                    legend.update(orient="right", columns=1, direction="vertical")
        return spec


_DECORATION: dict[str, tuple[float, float]] = {}
"""Per kind of chart: points its axes, legend and titles add to the plot size (learnt once)."""


def render_fit(kind: str, make, box: tuple[float, float, float, float], width: float,
                height: float, set_height: bool = False, min_height: float = 0.0,
                legend_right: bool = True) -> Chart:
    """Render ``make(width, height)`` (plot size) so that the whole chart, with its axes,
    legend and titles, fits ``box`` at its natural size (fonts stay at their point size).
    The first chart of a kind is rendered twice to learn what the decoration takes."""
    _, _, box_w, box_h = box
    if set_height:
        build = make
        make = lambda w, h: Sized(build(w, h), max(h, min_height), legend_right)  # noqa: E731
    if kind in _DECORATION:
        extra_w, extra_h = _DECORATION[kind]
        chart = png(make(max(120.0, box_w - extra_w - 4), max(60.0, box_h - extra_h - 4)))
        if chart.width <= box_w + 1 and chart.height <= box_h + 1:
            return chart
        width, height = max(120.0, box_w - extra_w - 4), max(60.0, box_h - extra_h - 4)
        first = chart
    else:
        first = png(make(width, height))
    extra_w, extra_h = first.width - width, first.height - height
    _DECORATION[kind] = (max(extra_w, _DECORATION.get(kind, (0, 0))[0]),
                         max(extra_h, _DECORATION.get(kind, (0, 0))[1]))
    fit_w, fit_h = max(120.0, box_w - extra_w - 4), max(60.0, box_h - extra_h - 4)
    if abs(fit_w - width) < 6 and abs(fit_h - height) < 6 and first.width <= box_w and first.height <= box_h:
        return first
    return png(make(fit_w, fit_h))


def fit(chart: Chart, box) -> tuple[float, float, float, float]:
    """The chart's natural size, scaled down (never up, never cropped) to the box, centred."""
    x, y, w, h = box
    scale = min(1.0, w / chart.width, h / chart.height)
    cw, ch = chart.width * scale, chart.height * scale
    return x + (w - cw) / 2, y + (h - ch) / 2, cw, ch
