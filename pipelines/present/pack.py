"""Steering pack: the view on screen, or the whole programme, as PowerPoint or PDF.

Pure library (no Streamlit). ``build_pack(cursor, view=PackView(...), fmt="pptx"|"pdf")``
returns the file's bytes; ``pack_filename(view, fmt)`` names it.

Where the numbers come from
---------------------------
Only the query layer: ``scores.factor_scores / index_scores / changes`` (which have
already suppressed every group under k respondents and its complement),
``evidence.indicators / agreement`` and ``whatif``. Nothing here reads
``survey_responses`` or computes a score from answers, so a hidden group cannot reach a
file: a suppressed row carries no score, n or interval, and the pack prints its reason
instead ("Pipwell Ecology: fewer than 5 responses, not shown").

How a pack is made
------------------
1. ``_Builder`` turns the view into a list of ``Slide`` objects, independent of the
   format: title, filter lines, the data's as-of line, one chart (Altair, rendered to
   PNG with vl-convert at 3x for a projector) and/or one table, notes (n and
   suppression), and the link that reopens the view. Long tables are split here, with
   their header repeated, using the same text metrics for both formats, so the PPTX and
   the PDF have the same slides in the same order.
2. ``_render_pptx`` / ``_render_pdf`` draw those slides on a 16:9 page (960 x 540 pt):
   titles 30 pt, filter lines 16 pt, everything else at least 14 pt. A chart is scaled
   down (never cropped) to fit its box.

Links follow ARCHITECTURE.md: ``base_url/<page>?wave=..&partner=..&factors=..&sort=..
&asof=..&wi_partner=..&d_<factor>=..&w_<factor>=..``. A bound Streamlit widget keeps its
*formatted* option in the URL, so ``factors`` carries factor labels and ``asof`` the
version label of the as-of picker (``store.versions.labels``); ``_URL`` below is the one place
that encodes them.
"""
from __future__ import annotations

import io
import re
import urllib.parse
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.present import charts
from pipelines.programme.factors import (
    BANDS,
    FACTOR_LABELS,
    FACTORS,
    INDEX,
    SHORT_LABELS,
    band_of,
)
from pipelines.programme.factors import key as factor_key
from pipelines.programme.factors import label as factor_label
from pipelines.present import words
from pipelines.query import evidence, scores
from pipelines.query.scores import Suppression
from pipelines.store import versions

FORMATS = ("pptx", "pdf")
PAGES = ("overview", "partner", "compare", "what-if", "programme")
PAGE_PATHS = {"overview": "overview", "partner": "partner", "compare": "compare",
              "what-if": "what-if", "programme": "overview"}
PAGE_TITLES = {"overview": "Overview", "partner": "Partner profile", "compare": "Compare",
               "what-if": "What-if", "programme": "Programme pack"}
SORTS = ("partner", "collaboration_index", *FACTORS)  # the Compare page's options

ACCENT = "#0072B2"  # the first colour of charts.PALETTE
EM_DASH = "\u2014"

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
HEADER_FILL, ZEBRA_FILL, HIDDEN_FILL = "#E8EEF4", "#F6F8FA", "#EEEEEE"


# -- the view ---------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    """A what-if scenario: a partner (name), slider deltas per factor (points) and index
    weights per factor (None = the configured weights)."""
    partner: str
    deltas: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] | None = None


@dataclass(frozen=True)
class PackView:
    """The state of a page (its link), or ``page='programme'`` for the programme pack.

    ``partner`` is a partner name; ``wave`` a wave label (None = latest); ``factors``
    factor keys (None = all five); ``asof`` a pinned data version (None = latest data);
    ``scenarios`` what-if scenarios: the What-if page's state is the first one; the
    programme pack adds a section per scenario.
    """
    page: str = "programme"
    partner: str | None = None
    wave: str | None = None
    factors: tuple[str, ...] | None = None
    sort: str | None = None
    asof: int | None = None
    scenarios: tuple[Scenario, ...] = ()

    def __post_init__(self):
        if self.page not in PAGES:
            raise ValueError(f"Unknown page '{self.page}'. Choose one of: {', '.join(PAGES)}.")
        if self.factors is not None:
            object.__setattr__(self, "factors", tuple(factor_key(f) for f in self.factors))
        if self.sort is not None:
            object.__setattr__(self, "sort", _sort_key(self.sort))
        object.__setattr__(self, "scenarios", tuple(self.scenarios or ()))

    @classmethod
    def from_query_params(cls, page: str, params: Mapping[str, str | Sequence[str]],
                          cursor=None, include_scenario: bool | None = None) -> "PackView":
        """The view a page link describes: ``params`` as in ``st.query_params`` (a value may
        be a list for repeated keys). ``asof`` may be a version number or the as-of
        picker's label (then ``cursor`` resolves it). The What-if state (``wi_partner``,
        ``d_*``, ``w_*``) becomes a scenario on the what-if page, or elsewhere when
        ``include_scenario`` is True."""
        def one(key):
            value = params.get(key)
            if isinstance(value, (list, tuple)):
                value = value[-1] if value else None
            return value if value not in ("", None) else None

        def many(key):
            value = params.get(key)
            if value in (None, ""):
                return None
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            return tuple(v for v in values if v)

        factors = many("factors")
        scenarios: tuple[Scenario, ...] = ()
        wi = one("wi_partner")
        if wi and (include_scenario or (include_scenario is None and page == "what-if")):
            deltas = {f: float(one(f"d_{f}")) for f in FACTORS if one(f"d_{f}") is not None}
            weights = {f: float(one(f"w_{f}")) for f in FACTORS if one(f"w_{f}") is not None}
            if weights:
                weights = {**settings.index_weights(), **weights}
            scenarios = (Scenario(wi, deltas, weights or None),)
        return cls(page=page, partner=one("partner"), wave=one("wave"), factors=factors,
                   sort=one("sort"), asof=_parse_asof(one("asof"), cursor), scenarios=scenarios)


def _sort_key(value: str) -> str:
    """A Compare-page sort option from its key or its label ('Partner name', a factor, the index)."""
    text = str(value).strip()
    aliases = {"partner": "partner", "partner name": "partner", "name": "partner",
               "collaboration_index": "collaboration_index", "collaboration index": "collaboration_index",
               "index": "collaboration_index"}
    if text.lower() in aliases:
        return aliases[text.lower()]
    try:
        return factor_key(text)
    except ValueError:
        raise ValueError(f"Unknown sort '{value}'. Choose 'Partner name', 'Collaboration index' "
                         f"or a factor.") from None


def _parse_asof(value, cursor) -> int | None:
    """A link's pinned version: a number, or (with a cursor) the label the link spells it by."""
    if value in (None, ""):
        return None
    if cursor is not None:
        return versions.parse(value, cursor)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    raise ValueError(f"Cannot read the pinned data version '{value}'.")


# -- links ------------------------------------------------------------------------

class _URL:
    """How each page-link parameter is written (a bound widget's formatted option)."""

    @staticmethod
    def factors(keys: Iterable[str]) -> list[str]:
        return [FACTOR_LABELS[k] for k in keys]

    @staticmethod
    def asof(cursor, version: int) -> str:
        label = versions.labels(cursor).get(int(version)) if cursor is not None else None
        return label or str(version)

    @staticmethod
    def sort(key: str) -> str:
        return "Partner name" if key == "partner" else factor_label(key)

    @staticmethod
    def number(value: float) -> str:
        return f"{float(value):g}"


def view_params(view: PackView, cursor=None, *, page: str | None = None,
                scenario: Scenario | None = None) -> list[tuple[str, str]]:
    """The query parameters of ``view``'s link, in a stable order."""
    page = page or view.page
    params: list[tuple[str, str]] = []
    if view.wave:
        params.append(("wave", view.wave))
    if view.partner and page == "partner":
        params.append(("partner", view.partner))
    if view.factors is not None and page == "partner":
        params += [("factors", v) for v in _URL.factors(view.factors)]
    if view.sort and page == "compare":
        params.append(("sort", _URL.sort(view.sort)))
    if view.asof is not None:
        params.append(("asof", _URL.asof(cursor, view.asof)))
    scenario = scenario or (view.scenarios[0] if page == "what-if" and view.scenarios else None)
    if scenario is not None:
        params.append(("wi_partner", scenario.partner))
        for f in FACTORS:
            if float(scenario.deltas.get(f, 0) or 0) != 0:
                params.append((f"d_{f}", _URL.number(scenario.deltas[f])))
        if scenario.weights is not None:
            default = settings.index_weights()
            for f in FACTORS:
                weight = float(scenario.weights.get(f, 0) or 0)
                if weight != default[f]:
                    params.append((f"w_{f}", _URL.number(weight)))
    return params


def view_url(view: PackView, base_url: str | None, cursor=None, *, page: str | None = None,
             scenario: Scenario | None = None) -> str:
    """The link that reopens ``view`` (relative to the app when ``base_url`` is None)."""
    page = page or view.page
    query = urllib.parse.urlencode(view_params(view, cursor, page=page, scenario=scenario),
                                   quote_via=urllib.parse.quote)
    path = PAGE_PATHS[page]
    base = (base_url or "").rstrip("/")
    url = f"{base}/{path}" if base else path
    return f"{url}?{query}" if query else url


def pack_filename(view: PackView, fmt: str = "pptx", *, today: date | None = None) -> str:
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
    slug = "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts)
    return f"{slug}.{fmt}"


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


def _font_name(bold: bool = False) -> str:
    return "Helvetica-Bold" if bold else "Helvetica"   # metrics of Liberation Sans / Arial


def _wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` wrapped to ``width`` points (words; over-long words by character)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = _font_name(bold)
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
                while cut > 1 and stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _text_height(lines: Sequence[str], size: float, width: float, lead: float) -> float:
    return sum(len(_wrap(line, size, width)) for line in lines) * lead


def _notes_height(notes: Sequence[str]) -> float:
    return _text_height(notes, BODY_PT, W - 2 * MARGIN, BODY_LEAD)


LINK_PREFIX = "Reopen this view: "


def _link_lines(link: str | None) -> list[str]:
    """'Reopen this view: <url>' broken by character (a URL has no spaces) to the link box."""
    if not link:
        return []
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width = W - 2 * MARGIN - 70
    text, lines = LINK_PREFIX + link, []
    while text:
        cut = len(text)
        while cut > 1 and stringWidth(text[:cut], _font_name(), BODY_PT) > width:
            cut -= 1
        lines.append(text[:cut])
        text = text[cut:]
    return lines


def _context_lines(slide) -> int:
    return sum(len(_wrap(line, CONTEXT_PT, W - 2 * MARGIN)) for line in slide.context)


def _boxes(slide: Slide) -> dict[str, tuple[float, float, float, float]]:
    """x, y (from the top), width, height of each part of a slide."""
    context_top = TITLE_TOP + TITLE_H + 6
    content_top = context_top + CONTEXT_LEAD * _context_lines(slide) + 10
    link_h = BODY_LEAD * max(len(_link_lines(slide.link)), 1)
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


def _split_content(slide: Slide) -> tuple[tuple, tuple | None]:
    """Chart box and table box inside the content box (side by side when both)."""
    x, y, w, h = _boxes(slide)["content"]
    if slide.chart is not None and slide.table is not None:
        table_w = sum(slide.table.widths)
        return (x, y, w - table_w - 18, h), (x + w - table_w, y, table_w, h)
    if slide.chart is not None:
        return (x, y, w, h), None
    return None, (x, y, w, h)


def _row_height(cells: Sequence[str], widths: Sequence[float], bold: bool = False) -> float:
    lines = max(len(_wrap(str(c), BODY_PT, wd - 2 * CELL_PAD_X - 2, bold)) for c, wd in zip(cells, widths))
    return lines * BODY_LEAD + 2 * CELL_PAD_Y


def _paginate(slide: Slide) -> list[Slide]:
    """Split a slide whose table does not fit into slides with the header repeated."""
    if slide.table is None:
        return [slide]
    _, box = _split_content(slide)
    available = box[3]
    table = slide.table
    header = _row_height(table.columns, table.widths, bold=True)
    heights = [_row_height(row, table.widths, bold=bool(table.bold and table.bold[i]))
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


# -- numbers and words ------------------------------------------------------------

def _yes(value) -> bool:
    """True for a true flag (bool, numpy or pandas boolean); False for False or missing."""
    return False if value is None or pd.isna(value) else bool(value)


def _fmt_score(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1f}"


def _fmt_change(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):+.1f}"


def _waves_text(waves: Sequence[str], all_waves: Sequence[str]) -> str:
    waves = [w for w in all_waves if w in set(waves)]
    if len(all_waves) > 1 and len(waves) == len(all_waves):
        return "every wave"
    return ", ".join(waves)


def _shown(w: pd.DataFrame, factor: str) -> bool:
    """Whether a wave's rows (indexed by factor) show this factor's score."""
    return factor in w.index and not bool(w.at[factor, "suppressed"])


def _score_cell(w: pd.DataFrame, factor: str, with_n: bool = False) -> str:
    """A table cell: the factor's score (and n), or why there is none."""
    if factor not in w.index:
        return EM_DASH
    if not _shown(w, factor):
        return "not shown"
    score = f"{w.at[factor, 'score']:.1f}"
    return f"{score} (n {int(w.at[factor, 'n'])})" if with_n else score


def _suppression_notes(frame: pd.DataFrame, k: int, *, waves: Sequence[str] | None = None,
                       factors: Sequence[str] | None = None) -> list[str]:
    """One line per partner and reason: 'Pipwell Ecology: fewer than 5 responses, not
    shown (2024-Q4, 2025-Q2)'."""
    if frame.empty or "suppressed" not in frame:
        return []
    hidden = frame[frame["suppressed"].astype(bool)]
    if hidden.empty:
        return []
    all_waves = list(waves) if waves is not None else list(dict.fromkeys(frame["wave"]))
    notes = []
    order = list(dict.fromkeys(hidden.sort_values("partner", key=lambda s: s == scores.PROGRAMME)
                               ["partner"]))
    for partner in order:
        rows = hidden[hidden["partner"] == partner]
        for reason in Suppression:  # fewer than k first
            group = rows[rows["suppression_reason"] == reason]
            if group.empty:
                continue
            text = f"{partner}: {words.reason(reason, k, words.Form.NOTE)}"
            where = []
            if len(all_waves) > 1 or not set(group["wave"]) <= set(all_waves):
                where.append(_waves_text(list(dict.fromkeys(group["wave"])), all_waves))
            if factors is not None and "factor" in group:
                hidden_factors = [f for f in factors if f in set(group["factor"])]
                if 0 < len(hidden_factors) < len(factors):
                    where.append(", ".join(factor_label(f).lower() for f in hidden_factors))
            notes.append(text + (f" ({'; '.join(where)})" if where else ""))
    return notes


def _n_range(values) -> str:
    shown = pd.Series(values).dropna().astype(int)
    if shown.empty:
        return ""
    return f"{shown.min()}" if shown.min() == shown.max() else f"{shown.min()}{chr(8211)}{shown.max()}"


# -- charts (Altair, from the query layer's frames) -----------------------------------

def _alt():
    import altair as alt
    return alt


def _configure(chart):
    """The dashboard's chart style (charts._style) for the charts built here."""
    from pipelines.present import charts
    return charts._style(chart)


def _png(chart, **overrides) -> Chart:
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
    spec = json.dumps(spec)
    png = vlc.vegalite_to_png(spec, scale=CHART_SCALE)
    width, height = struct.unpack(">II", png[16:24])
    return Chart(png, width / CHART_SCALE, height / CHART_SCALE)


class _Sized:
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


def _render_fit(kind: str, make, box: tuple[float, float, float, float], width: float,
                height: float, set_height: bool = False, min_height: float = 0.0) -> Chart:
    """Render ``make(width, height)`` (plot size) so that the whole chart, with its axes,
    legend and titles, fits ``box`` at its natural size (fonts stay at their point size).
    The first chart of a kind is rendered twice to learn what the decoration takes."""
    _, _, box_w, box_h = box
    if set_height:
        build = make
        make = lambda w, h: _Sized(build(w, h), max(h, min_height), legend_right=True)  # noqa: E731
    if kind in _DECORATION:
        extra_w, extra_h = _DECORATION[kind]
        chart = _png(make(max(120.0, box_w - extra_w - 4), max(60.0, box_h - extra_h - 4)))
        if chart.width <= box_w + 1 and chart.height <= box_h + 1:
            return chart
        width, height = max(120.0, box_w - extra_w - 4), max(60.0, box_h - extra_h - 4)
        first = chart
    else:
        first = _png(make(width, height))
    extra_w, extra_h = first.width - width, first.height - height
    _DECORATION[kind] = (max(extra_w, _DECORATION.get(kind, (0, 0))[0]),
                         max(extra_h, _DECORATION.get(kind, (0, 0))[1]))
    fit_w, fit_h = max(120.0, box_w - extra_w - 4), max(60.0, box_h - extra_h - 4)
    if abs(fit_w - width) < 6 and abs(fit_h - height) < 6 and first.width <= box_w and first.height <= box_h:
        return first
    return _png(make(fit_w, fit_h))


def chart_partner_factors(frame: pd.DataFrame, partner: str, colours: Mapping[str, str],
                          factors: Sequence[str], thresholds: tuple[float, float],
                          width: float, height: float, columns: int = 3):
    """Compact small multiples for a slide: each factor over time, the partner (its colour,
    shaded 95% interval) against the programme (grey, dashed), one shared 0-100 axis, the
    bands behind. Same frames and colours as ``charts.factors_over_time``; a wave where the
    partner's group is hidden is marked with a cross at the foot of its panel."""
    alt = _alt()
    data = frame.copy()
    data["panel"] = data["factor"].map(factor_label)
    data["date"] = pd.to_datetime(data["wave_start"])
    data["score"] = data["score"].astype("float64")
    data["ci_low"] = data["ci_low"].astype("float64")
    data["ci_high"] = data["ci_high"].astype("float64")
    panels = [factor_label(f) for f in factors]
    names = [partner, scores.PROGRAMME]
    color = alt.Color("partner:N", title=None, scale=alt.Scale(
        domain=names, range=[colours.get(partner, ACCENT), "#8A8A8A"]),
        legend=alt.Legend(orient="top", direction="horizontal", symbolStrokeWidth=4))
    dash = alt.StrokeDash("partner:N", legend=None, scale=alt.Scale(domain=names, range=[[1, 0], [6, 4]]))
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False,
                                                  labelFontSize=14))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title=None,
              axis=alt.Axis(values=[0, 50, 100], labelFontSize=14))
    low, high = thresholds
    band_layers = [
        alt.Chart(pd.DataFrame({"start": [start], "end": [end]})).mark_rect(
            color=charts.BAND_COLOURS[band], opacity=0.6).encode(
            y=alt.Y("start:Q", scale=alt.Scale(domain=[0, 100])), y2="end:Q")
        for band, start, end in zip(BANDS, (0.0, low, high), (low, high, 100.0))]
    own = data[data["partner"] == partner]
    hidden_dates = set(own.loc[own["suppressed"].astype(bool), "date"])
    data["cross"] = np.where((data["partner"] == partner) & data["date"].isin(hidden_dates), 4.0, np.nan)
    chart = alt.layer(
        *band_layers,
        alt.Chart().transform_filter(alt.datum.partner == partner).mark_area(
            opacity=0.22, color=colours.get(partner, ACCENT)).encode(
            x=x, y=alt.Y("ci_low:Q"), y2="ci_high:Q"),
        alt.Chart().mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=36, filled=True)).encode(
            x=x, y=y, color=color, strokeDash=dash),
        alt.Chart().transform_filter("isValid(datum.cross)").mark_point(
            shape="cross", size=90, filled=True, color="#8a2d2d").encode(x=x, y=alt.Y("cross:Q")),
        data=data,
    ).properties(width=width, height=height)
    return chart.facet(facet=alt.Facet("panel:N", sort=panels, title=None,
                                       header=alt.Header(labelFontSize=14, labelFontWeight="normal",
                                                         labelAnchor="start", labelLimit=width + 16)),
                       columns=columns, spacing={"row": 12, "column": 18})


def chart_movers(change: pd.DataFrame, colours: Mapping[str, str], k: int,
                 width: float, height: float):
    """Change of each partner's index since the previous wave."""
    alt = _alt()
    data = change.copy()
    data["order"] = data["change"].fillna(-1e9)
    data = data.sort_values(["order", "partner"], ascending=[False, True])
    names = list(data["partner"])
    reach = max(5.0, float(data["change"].abs().max() if data["change"].notna().any() else 5) * 1.35)
    data["label"] = [
        (f"{c:+.1f}" + ("  beyond uncertainty" if _yes(b) else "")) if pd.notna(c) else "not shown"
        for c, b in zip(data["change"], data["beyond_uncertainty"].astype(object))]
    data["pos"] = data["change"].fillna(0)
    data["align"] = np.where(data["pos"] >= 0, "left", "right")
    scale = alt.Scale(domain=list(colours), range=list(colours.values()))
    x = alt.X("pos:Q", scale=alt.Scale(domain=[-reach, reach]),
              title="Change in collaboration index since the previous wave (points)")
    y = alt.Y("partner:N", sort=names, title=None, axis=alt.Axis(labelFontSize=15))
    shown = data[data["change"].notna()]
    return alt.layer(
        alt.Chart(pd.DataFrame({"pos": [0]})).mark_rule(color="#666666").encode(x="pos:Q"),
        alt.Chart(shown).mark_bar(height=22).encode(
            x=x, y=y, color=alt.Color("partner:N", scale=scale, legend=None),
            opacity=alt.condition("datum.beyond_uncertainty === true", alt.value(1.0), alt.value(0.55))),
        alt.Chart(data[data["pos"] >= 0]).mark_text(align="left", dx=6, fontSize=14, color=INK).encode(
            x=x, y=y, text="label:N"),
        alt.Chart(data[data["pos"] < 0]).mark_text(align="right", dx=-6, fontSize=14, color=INK).encode(
            x=x, y=y, text="label:N"),
    ).properties(width=width, height=height)


def chart_whatif(rows: pd.DataFrame, colour: str, thresholds: tuple[float, float],
                 width: float, height: float):
    """Now (grey) vs projected (the partner's colour), per factor and the index, as
    horizontal bars on the 0-100 scale with the band thresholds marked."""
    alt = _alt()
    long = pd.concat([rows.assign(kind="Now", value=rows["now"]),
                      rows.assign(kind="Projected", value=rows["projected"])], ignore_index=True)
    long = long[long["value"].notna()]
    long["text"] = long["value"].map(lambda v: f"{v:.0f}")
    order = list(rows["short"])
    y = alt.Y("short:N", sort=order, title=None, axis=alt.Axis(labelFontSize=14))
    offset = alt.YOffset("kind:N", sort=["Now", "Projected"])
    x = alt.X("value:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)",
              axis=alt.Axis(values=[0, 25, 50, 75, 100]))
    color = alt.Color("kind:N", title=None, scale=alt.Scale(domain=["Now", "Projected"],
                                                            range=["#A0A0A0", colour]),
                      legend=alt.Legend(orient="top", direction="horizontal"))
    low, high = thresholds
    rules = pd.DataFrame({"x": [low, high], "t": [f"{low:g}", f"{high:g}"]})
    return alt.layer(
        alt.Chart(rules).mark_rule(color="#1d3b57", strokeDash=[4, 3], opacity=0.7).encode(x="x:Q"),
        alt.Chart(long).mark_bar().encode(y=y, yOffset=offset, x=x, color=color),
        alt.Chart(long).mark_text(align="left", dx=3, fontSize=14, color=INK).encode(
            y=y, yOffset=offset, x=x, text="text:N"),
    ).properties(width=width, height=height)


# -- building the slides -------------------------------------------------------------

class _Builder:
    def __init__(self, cursor, view: PackView, base_url: str | None, today: date | None):
        self.cursor, self.view, self.base_url = cursor, view, base_url
        self.today = today or date.today()
        self.k = settings.anonymity_k()
        self.thresholds = settings.band_thresholds()
        self.asof = view.asof
        self._check_asof()
        self.partners = scores.partners(cursor)
        self.names = list(self.partners["name"])
        self.ids = dict(zip(self.partners["name"], self.partners["partner_id"].astype(int)))
        self.colours = self._colours()
        self.waves = scores.waves(cursor, self.asof)
        self.wave_list = [str(w) for w in self.waves["wave"]]
        if view.wave is not None and view.wave not in self.wave_list:
            raise ValueError(f"No survey wave '{view.wave}' in this data. Waves: "
                             f"{', '.join(self.wave_list) or 'none yet'}.")
        if view.partner is not None and view.partner not in self.ids:
            raise ValueError(f"No partner named '{view.partner}'. Partners: {', '.join(self.names)}.")
        self.wave = view.wave or (self.wave_list[-1] if self.wave_list else None)
        self.factors = tuple(view.factors) if view.factors else tuple(FACTORS)
        self.factor_frame = scores.factor_scores(cursor, asof=self.asof)
        self.index_frame = scores.index_scores(cursor, asof=self.asof)
        self._changes = None
        self.data_line = "Data: " + self._asof_text()

    # -- context ----------------------------------------------------------------
    def _check_asof(self):
        versions.check(self.asof, self.cursor)

    def _colours(self) -> dict[str, str]:
        from pipelines.present import charts
        return charts.partner_colours(self.partners)

    def _asof_text(self) -> str:
        return versions.describe(self.cursor, self.asof)

    def programme_name(self) -> str:
        from pipelines.programme.demo import DEMO_LABEL
        return DEMO_LABEL if versions.is_demo(self.cursor, self.asof) else "Partnership Health programme"

    def link(self, page: str, **changes) -> str:
        scenario = changes.pop("scenario", None)
        view = replace(self.view, **changes) if changes else self.view
        return view_url(view, self.base_url, self.cursor, page=page, scenario=scenario)

    def context(self, *parts: str) -> list[str]:
        line = "  \u00b7  ".join(p for p in parts if p)
        return [line, self.data_line] if line else [self.data_line]

    def factors_text(self) -> str:
        if set(self.factors) == set(FACTORS):
            return "Factors: all five"
        return "Factors: " + ", ".join(factor_label(f) for f in self.factors)

    def changes(self) -> pd.DataFrame:
        if self._changes is None:
            self._changes = scores.changes(self.cursor, asof=self.asof)
        return self._changes

    def previous_wave(self) -> str | None:
        if self.wave not in self.wave_list:
            return None
        i = self.wave_list.index(self.wave)
        return self.wave_list[i - 1] if i > 0 else None

    # -- slides ------------------------------------------------------------------
    def cover(self, subtitle: str) -> Slide:
        low, high = self.thresholds
        lines = [
            f"Prepared {self.today.isoformat()}",
            f"Data: {self._asof_text()}",
            f"Latest survey wave in this pack: {self.wave or 'none yet'}",
            f"Bands: cooperating below {low:g}, transitioning {low:g}{chr(8211)}{high:g}, "
            f"collaborating from {high:g} (scores 0{chr(8211)}100)",
            f"Privacy: a group with fewer than {self.k} respondents is never shown, nor one that "
            "could be worked out from the others.",
        ]
        return Slide(title=self.programme_name(), subtitle=subtitle, cover=lines,
                     link=self.link("overview" if self.view.page == "programme" else self.view.page))

    def index_over_time(self) -> Slide:
        frame = self.index_frame
        slide = Slide("Collaboration index over time",
                      self.context(f"Waves {self.wave_list[0]}{chr(8211)}{self.wave_list[-1]}",
                                   "Programme: all partners' respondents; line: mean, shaded: 95% interval"),
                      link=self.link("overview"))
        programme = frame[frame["partner"] == scores.PROGRAMME]
        notes = [f"n = {_n_range(programme['n'])} respondents per wave. Background: the bands."]
        notes += _suppression_notes(programme, self.k, waves=self.wave_list)
        slide.notes = notes
        box, _ = _split_content(replace(slide, chart=Chart(b"", 1, 1)))
        slide.chart = _render_fit("index", lambda w, h: charts.index_over_time(
            frame, self.thresholds, self.k, waves=self.wave_list, width=w, height=h),
            box, box[2] - 250, box[3] - 110)
        return slide

    def spectrum(self) -> Slide:
        latest = self.index_frame[self.index_frame["wave"] == self.wave]
        slide = Slide(f"Where partners stand: {self.wave}",
                      self.context(f"Wave {self.wave}", "All partners; collaboration index with 95% interval"),
                      link=self.link("overview", wave=self.wave))
        slide.notes = _suppression_notes(latest, self.k, waves=[self.wave])
        box, _ = _split_content(replace(slide, chart=Chart(b"", 1, 1)))
        change = self.changes()
        change = change[change["wave"] == self.wave]
        slide.chart = _render_fit("spectrum", lambda w, h: charts.spectrum(
            latest, self.colours, self.thresholds, self.k, changes=change, width=w),
            box, box[2] - 230, 0)
        return slide

    def heatmap(self) -> Slide:
        frame = self.factor_frame[self.factor_frame["wave"] == self.wave]
        index = self.index_frame[self.index_frame["wave"] == self.wave]
        order = list(self.names)
        sort = self.view.sort or "partner"
        if sort != "partner":  # highest first, partners not shown last (as on the Compare page)
            column = index if sort == INDEX else frame[frame["factor"] == sort]
            ranked = column[column["partner"] != scores.PROGRAMME].assign(
                o=lambda f: f["score"].fillna(-1)).sort_values(["o", "partner"], ascending=[False, True])
            order = list(ranked["partner"]) + [p for p in order if p not in set(ranked["partner"])]
        slide = Slide(f"Partners \u00d7 factors: {self.wave}",
                      self.context(f"Wave {self.wave}", self.factors_text(),
                                   f"Sorted by {_URL.sort(sort).lower()}"),
                      link=self.link("compare", wave=self.wave))
        shown = frame[(frame["factor"].isin(self.factors)) & ~frame["suppressed"]
                      & frame["partner_id"].notna()]
        slide.notes = [f"Cell: score (0-100), colour: band, \u25b2/\u25bc change since "
                       f"{self.previous_wave() or 'the previous wave'} (* beyond uncertainty). "
                       f"n = {_n_range(shown['n'])} respondents per cell."]
        slide.notes += _suppression_notes(frame[frame["factor"].isin(self.factors)], self.k,
                                          waves=[self.wave], factors=self.factors)
        box, _ = _split_content(replace(slide, chart=Chart(b"", 1, 1)))
        change = self.changes()
        cells = charts.heatmap_frame(frame, index, change[change["wave"] == self.wave], self.k)
        nbsp = {f: label.replace(" ", "\u00a0") for f, label in SHORT_LABELS.items()}
        cells["column"] = cells["factor"].map(nbsp)
        columns = [nbsp[f] for f in (*self.factors, INDEX)]
        slide.chart = _render_fit("heatmap", lambda w, h: charts.heatmap(
            cells, order, self.thresholds, self.k, columns=columns, select=None, width=w),
            box, min(box[2] - 420, 115 * len(columns)), 250, set_height=True,
            min_height=40.0 * len(order))
        return slide

    def change_table(self) -> Slide:
        previous = self.previous_wave()
        change = self.changes()
        change = change[(change["wave"] == self.wave)
                        & change["factor"].isin((*self.factors, INDEX))]
        current = self.factor_frame[self.factor_frame["wave"] == self.wave]
        current = pd.concat([current, self.index_frame[self.index_frame["wave"] == self.wave]
                             .assign(factor=INDEX)], ignore_index=True)
        merged = change.merge(current[["partner", "factor", "n", "suppressed", "suppression_reason"]],
                              on=["partner", "factor"], how="left")
        merged["_f"] = merged["factor"].map({f: i for i, f in enumerate((*FACTORS, INDEX))})
        merged["_p"] = merged["partner"] == scores.PROGRAMME
        merged = merged.sort_values(["_p", "partner", "_f"])
        rows, muted, bold = [], [], []
        for r in merged.itertuples():
            hidden = bool(r.suppressed) if pd.notna(r.suppressed) else True
            if hidden:
                cells = [r.partner, factor_label(r.factor), "", "", "", words.reason(r.suppression_reason, self.k, words.Form.CELL)]
            else:
                beyond = "" if pd.isna(r.beyond_uncertainty) else ("yes" if _yes(r.beyond_uncertainty) else "no")
                cells = [r.partner, factor_label(r.factor), _fmt_score(r.previous_score),
                         f"{_fmt_score(r.score)} (n {int(r.n)})", _fmt_change(r.change),
                         beyond if pd.notna(r.change) else "no comparable previous score"]
            rows.append(cells)
            muted.append(hidden)
            bold.append(r.factor == INDEX)
        table = Table(["Partner", "Factor", previous or "Previous", f"{self.wave} (n)", "Change",
                       "Beyond uncertainty?"], rows, [190, 200, 95, 130, 80, 193],
                      ["l", "l", "r", "r", "r", "l"], muted, bold)
        slide = Slide(f"Change since {previous or 'the previous wave'}: {self.wave}",
                      self.context(f"Wave {self.wave} against {previous or 'none'}", self.factors_text()),
                      table=table, link=self.link("compare", wave=self.wave))
        slide.notes = [f"Beyond uncertainty: the change is larger than the two waves' 95% "
                       f"margins combined. Groups under {self.k} respondents are not shown."]
        return slide

    def movers(self) -> list[Slide]:
        previous = self.previous_wave()
        change = self.changes()
        now = change[change["wave"] == self.wave]
        index = now[now["factor"] == INDEX]
        slides = []
        chart_slide = Slide(f"Biggest movers: {previous or EM_DASH} \u2192 {self.wave}",
                            self.context(f"Wave {self.wave} against {previous or 'none'}",
                                         "Collaboration index; solid bars: change beyond uncertainty"),
                            link=self.link("overview", wave=self.wave))
        current = self.index_frame[self.index_frame["wave"] == self.wave]
        notes = []
        missing = index[index["change"].isna()]["partner"].tolist()
        hidden = current[current["suppressed"]]
        notes += _suppression_notes(hidden, self.k, waves=[self.wave])
        others = [p for p in missing if p not in set(hidden["partner"])]
        if others and previous:
            notes.append(f"{', '.join(others)}: no change shown, the {previous} group is not shown "
                         f"or has no responses.")
        chart_slide.notes = notes
        box, _ = _split_content(replace(chart_slide, chart=Chart(b"", 1, 1)))
        if previous is not None:
            chart_slide.chart = _render_fit(
                "movers",
                lambda w, h: _configure(chart_movers(index, self.colours, self.k, w,
                                                     min(h, 44 * (len(self.names) + 1)))),
                box, box[2] - 260, box[3] - 70)
        else:
            chart_slide.notes.insert(0, "Only one wave so far: nothing to compare.")
        slides.append(chart_slide)
        # the largest moves of any factor, partners only
        moves = now[now["partner"] != scores.PROGRAMME].dropna(subset=["change"]).copy()
        moves["_abs"] = moves["change"].abs()
        moves = moves.sort_values(["_abs", "partner"], ascending=[False, True], kind="stable").head(8)
        n_now = pd.concat([self.factor_frame, self.index_frame.assign(factor=INDEX)])
        n_now = n_now[n_now["wave"] == self.wave].set_index(["partner", "factor"])["n"]
        rows = [[m.partner, factor_label(m.factor), _fmt_score(m.previous_score),
                 f"{_fmt_score(m.score)} (n {int(n_now.get((m.partner, m.factor)))})",
                 _fmt_change(m.change), "yes" if _yes(m.beyond_uncertainty) else "no"]
                for m in moves.itertuples()]
        table = Table(["Partner", "Factor", previous or "Previous", f"{self.wave} (n)", "Change",
                       "Beyond uncertainty?"], rows, [210, 220, 95, 140, 85, 138],
                      ["l", "l", "r", "r", "r", "l"], [False] * len(rows),
                      [m.factor == INDEX for m in moves.itertuples()])
        table_slide = Slide(f"Largest changes since {previous or 'the previous wave'}",
                            self.context(f"Wave {self.wave} against {previous or 'none'}",
                                         "Eight largest changes of any factor or the index, partners only"),
                            table=table, link=self.link("compare", wave=self.wave))
        table_slide.notes = [f"Changes are only listed where both waves' groups are shown "
                             f"(at least {self.k} respondents)."] + notes
        if rows:
            slides.append(table_slide)
        return slides

    def partner_slide(self, partner: str, *, single: bool = False) -> list[Slide]:
        pid = self.ids[partner]
        frame = self.factor_frame[((self.factor_frame["partner"] == partner)
                                   | (self.factor_frame["partner"] == scores.PROGRAMME))
                                  & self.factor_frame["factor"].isin(self.factors)]
        index = self.index_frame[self.index_frame["partner"].isin([partner, scores.PROGRAMME])]
        both = pd.concat([frame, index.assign(factor=INDEX)], ignore_index=True)
        own = both[both["partner"] == partner]
        # evidence beside: the partner's indicators in the wave (as the Partner page lists them)
        ind = evidence.indicators(self.cursor, asof=self.asof, partners=[pid], waves=[self.wave])
        ev = charts.evidence_frame(ind, partner, self.wave, None)
        by_name = {i.name: i for i in evidence.INDICATORS}
        rows = [[e.label, charts.format_indicator(e.value, e.unit),
                 _basis(by_name[e.indicator], 0 if pd.isna(e.count) else int(e.count))]
                for e in ev.itertuples()]
        table = Table(["Evidence", "Value", "Based on"], rows, [140, 86, 100],
                      ["l", "r", "r"], [pd.isna(e.value) for e in ev.itertuples()], None)
        title = f"{partner}: factors over time, evidence beside"
        slide = Slide(title, self.context(f"Partner {partner}", self.factors_text(),
                                          f"Evidence for wave {self.wave}"),
                      table=table, link=self.link("partner", partner=partner, wave=self.wave))
        notes = []
        if own["n"].notna().any():
            notes.append(f"{partner}: n {_n_range(own['n'])} respondents per wave; grey dashed line: programme.")
        notes += _suppression_notes(own, self.k, waves=self.wave_list, factors=self.factors)
        agree = evidence.agreement(self.cursor, asof=self.asof, wave=self.wave)
        agree = agree[(agree["partner"] == partner) & agree["disagrees"]]
        notes += [f"Say vs show ({factor_label(a['factor']).lower()}): {words.agreement_note(a, self.k)}."
                  for a in agree.to_dict("records")]
        if self.wave == (self.wave_list[-1] if self.wave_list else None):
            notes.append("Evidence for the latest wave is provisional: milestones due later in it may still be met.")
        slide.notes = notes
        chart_box, _ = _split_content(replace(slide, chart=Chart(b"", 1, 1)))
        panels = len(self.factors)
        columns = 3 if panels > 4 else min(panels, 2)
        grid_rows = -(-panels // columns)
        rows_frame = frame  # factor rows of the partner and the programme

        def make(w, h):
            return _configure(chart_partner_factors(
                rows_frame, partner, self.colours, self.factors, self.thresholds,
                max(60, (w - 18 * (columns - 1)) / columns), max(50, (h - 30 * grid_rows) / grid_rows),
                columns))

        slide.chart = _render_fit(f"factors{columns}x{grid_rows}", make, chart_box, chart_box[2] - 200, chart_box[3] - 150)
        slides = [slide]
        if single:
            slides.append(self.partner_table(partner, both))
            slides.append(self.agreement_table(partner))
        return slides

    def partner_table(self, partner: str, both: pd.DataFrame | None = None) -> Slide:
        frame = self.factor_frame[(self.factor_frame["partner"] == partner)
                                  & self.factor_frame["factor"].isin(self.factors)]
        index = self.index_frame[self.index_frame["partner"] == partner]
        cols = [*self.factors, INDEX]
        data = pd.concat([frame, index.assign(factor=INDEX)], ignore_index=True)
        rows, muted = [], []
        for wave in self.wave_list:
            w = data[data["wave"] == wave].set_index("factor")
            rows.append([wave] + [_score_cell(w, f, with_n=True) for f in cols])
            muted.append(not any(_shown(w, f) for f in cols))
        width = (W - 2 * MARGIN - 110) / len(cols)
        table = Table(["Wave"] + [factor_label(f) for f in cols], rows, [110] + [width] * len(cols),
                      ["l"] + ["r"] * len(cols), muted, None)
        slide = Slide(f"{partner}: scores by wave", self.context(f"Partner {partner}", self.factors_text(),
                                                                 "Score (0-100) and n respondents"),
                      table=table, link=self.link("partner", partner=partner, wave=self.wave))
        slide.notes = _suppression_notes(data, self.k, waves=self.wave_list, factors=cols) or \
            [f"Every group here has at least {self.k} respondents."]
        return slide

    def agreement_table(self, partner: str) -> Slide:
        agree = evidence.agreement(self.cursor, asof=self.asof, wave=self.wave)
        agree = agree[(agree["partner"] == partner) & agree["factor"].isin(self.factors)]
        rows, muted = [], []
        for a in agree.itertuples():
            note = words.agreement_note(a._asdict(), self.k)
            survey = _fmt_score(a.survey_score)
            rank = f"{int(a.survey_rank)} of {int(a.ranked)}" if pd.notna(a.survey_rank) else EM_DASH
            erank = f"{int(a.evidence_rank)} of {int(a.ranked)}" if pd.notna(a.evidence_rank) else EM_DASH
            rows.append([factor_label(a.factor), survey or "not shown", rank, erank,
                         ("Disagree: " if a.disagrees else "")
                         + note])
            muted.append(not survey)
        table = Table(["Factor", "Survey", "Survey rank", "Evidence rank", "What it says"], rows,
                      [180, 80, 100, 110, 418], ["l", "r", "c", "c", "l"], muted, None)
        slide = Slide(f"{partner}: what people say vs what the data shows",
                      self.context(f"Partner {partner}", f"Wave {self.wave}", self.factors_text()),
                      table=table, link=self.link("partner", partner=partner, wave=self.wave))
        slide.notes = ["Ranks among the partners with a shown survey score and evidence on the factor."]
        return slide

    def scores_appendix(self) -> list[Slide]:
        cols = [*self.factors, INDEX]
        data = pd.concat([self.factor_frame[self.factor_frame["factor"].isin(self.factors)],
                          self.index_frame.assign(factor=INDEX)], ignore_index=True)
        rows, muted, bold = [], [], []
        for wave in reversed(self.wave_list):
            for partner in [*self.names, scores.PROGRAMME]:
                w = data[(data["wave"] == wave) & (data["partner"] == partner)].set_index("factor")
                if w.empty:
                    continue
                cells = [wave, partner] + [_score_cell(w, f) for f in cols]
                n = min((int(w.at[f, "n"]) for f in cols if f != INDEX and _shown(w, f)), default=None)
                cells.append(str(n) if n else EM_DASH)
                rows.append(cells)
                muted.append(n is None)
                bold.append(partner == scores.PROGRAMME)
        short = SHORT_LABELS
        fixed = 90 + 210 + 60
        width = (W - 2 * MARGIN - fixed) / len(cols)
        table = Table(["Wave", "Partner"] + [short[f] for f in cols] + ["n"], rows,
                      [90, 210] + [width] * len(cols) + [60], ["l", "l"] + ["r"] * (len(cols) + 1),
                      muted, bold)
        slide = Slide("Scores by partner and wave", self.context("All waves, newest first", self.factors_text()),
                      table=table, link=self.link("compare", wave=self.wave))
        slide.notes = [f"Scores 0-100; n = fewest respondents of the row's factors. 'not shown': "
                       f"fewer than {self.k} responses, or hidden so a smaller group cannot be worked "
                       f"out by subtraction."]
        return _paginate(slide)

    def whatif(self, scenario: Scenario) -> list[Slide]:
        from pipelines.query import whatif

        if scenario.partner not in self.ids:
            raise ValueError(f"No partner named '{scenario.partner}'. Partners: {', '.join(self.names)}.")
        weights = dict(scenario.weights) if scenario.weights is not None else settings.index_weights()
        weights = {f: float(weights.get(f, 0.0) or 0.0) for f in FACTORS}
        if min(weights.values()) < 0 or sum(weights.values()) <= 0:
            raise ValueError("Every index weight is zero (or one is negative). Give at least one "
                             "factor a positive weight.")
        deltas = {f: float(scenario.deltas.get(f, 0.0) or 0.0) for f in FACTORS}
        for f, d in scenario.deltas.items():
            if f not in FACTORS:
                raise ValueError(f"Unknown factor '{f}' in the what-if changes.")
        current = whatif.current_scores(self.cursor, asof=self.asof)
        row = current[current["partner"] == scenario.partner].iloc[0]
        wave = row["wave"]
        link = self.link("what-if", scenario=Scenario(scenario.partner, deltas, weights))
        changes = ", ".join(f"{factor_label(f)} {d:+g}" for f, d in deltas.items() if d) or "no changes"
        total = sum(weights.values())
        default = settings.index_weights()
        weights_text = ("Weights: as configured" if all(abs(weights[f] - default[f]) < 1e-9 for f in FACTORS)
                        else "Weights: " + ", ".join(f"{SHORT_LABELS[f]} {weights[f] / total:.0%}"
                                                     for f in FACTORS))
        context = self.context(f"Partner {scenario.partner}", f"Wave {wave}", f"Changes: {changes}") + [weights_text]
        context = [context[0], weights_text, context[1]]
        title = f"What-if: {scenario.partner}"
        if bool(row["suppressed"]):
            slide = Slide(title, context, link=link)
            why = (words.reason(row["reason"], self.k, words.Form.NOTE) if words.code(row["reason"])
                   else f"not shown: {row['reason']}")
            slide.notes = [f"{scenario.partner}: {why}. "
                           f"No projection is made from a group that is not shown."]
            return [slide]
        now = {f: float(row[f]) for f in FACTORS}
        projected, band = whatif.project_index(now, deltas, weights, self.thresholds)
        index_now = whatif.weighted_index(now, weights)
        moved = whatif.moved_scores(now, deltas)
        n = self.factor_frame[(self.factor_frame["partner"] == scenario.partner)
                              & (self.factor_frame["wave"] == wave)].set_index("factor")["n"]
        table_rows = pd.DataFrame({
            "short": [SHORT_LABELS[f].replace(" ", "\u00a0") for f in (*FACTORS, INDEX)],
            "now": [now[f] for f in FACTORS] + [index_now],
            "projected": [moved[f] for f in FACTORS] + [projected],
        })
        slide = Slide(title, context, link=link)
        others = self.index_frame[(self.index_frame["wave"] == wave)
                                  & (self.index_frame["partner"] != scores.PROGRAMME)
                                  & (self.index_frame["partner"] != scenario.partner)]
        other_index = {}
        for p in others["partner"]:
            r = current[current["partner"] == p].iloc[0]
            if not bool(r["suppressed"]):
                other_index[p] = whatif.weighted_index({f: float(r[f]) for f in FACTORS}, weights)
        rank, of = whatif.placement(projected, other_index)
        rows = [[factor_label(f), f"{now[f]:.1f} (n {int(n[f])})", f"{deltas[f]:+g}", f"{moved[f]:.1f}",
                 band_of(moved[f], self.thresholds)] for f in FACTORS]
        rows.append(["Collaboration index", f"{index_now:.1f}", "", f"{projected:.1f}", band])
        table = Table(["Factor", "Now", "Change", "Projected", "Band"], rows, [128, 96, 72, 84, 110],
                      ["l", "r", "r", "r", "l"], None, [False] * 5 + [True])
        slide.table = table
        slide.notes = [f"Projected index {projected:.1f} ({band}), rank {rank} of {of} partners shown in "
                       f"{wave} (same weights). Scores are moved by the changes and kept within 0-100; "
                       f"dashed lines: the band thresholds.",
                       "A what-if, not a forecast: it shows where the index would be if the scores moved."]
        chart_box, _ = _split_content(replace(slide, chart=Chart(b"", 1, 1)))
        slide.chart = _render_fit(
            "whatif", lambda w, h: _configure(chart_whatif(table_rows, self.colours[scenario.partner],
                                                 self.thresholds, w, h)),
            chart_box, chart_box[2] - 130, chart_box[3] - 80)
        slides = [slide]
        model = whatif.fit(self.cursor, asof=self.asof)
        delivery = Slide(f"What-if: {scenario.partner}, delivery after the change", context, link=link)
        if isinstance(model, whatif.Declined):
            delivery.notes = [model.reason]
            delivery.cover = None
        else:
            projection = whatif.project(model, now, deltas, partner_id=self.ids[scenario.partner])
            rows = []
            for p in projection.itertuples():
                if pd.notna(p.declined):  # a reason; a projected indicator has none (NaN)
                    rows.append([p.label, EM_DASH, EM_DASH, f"not projected: {p.declined}", f"{p.n}"])
                    continue
                fmt = (lambda v: f"{v:.0%}") if p.unit == "share" else (lambda v: f"{v:.1f} days")
                last = fmt(p.last_value) if pd.notna(p.last_value) else EM_DASH
                rows.append([p.label, last, fmt(p.current), f"{fmt(p.projected)} ({fmt(p.low)} to {fmt(p.high)})",
                             f"{p.n} partner-waves, {p.partners} partners"])
            delivery.table = Table(["Indicator", "Latest observed", "Expected now", "Projected (95% interval)",
                                    "History it rests on"], rows, [200, 140, 130, 230, 188],
                                   ["l", "r", "r", "r", "l"], None, None)
            delivery.notes = [whatif.PLAIN_WORDS,
                              f"Model fitted to the programme's own history ({model.n_partner_waves} "
                              f"partner-waves, {model.n_partners} partners); the interval is the "
                              f"uncertainty of the expected value."]
        slides.append(delivery)
        return slides

    # -- packs --------------------------------------------------------------------
    def slides(self) -> list[Slide]:
        page = self.view.page
        if not self.wave_list:
            return [self.cover(PAGE_TITLES[page])] + [Slide(
                "No survey data yet", self.context(), link=self.link("overview"),
                notes=["Load a pulse survey export on the Data page or with `python -m pipelines load`."])]
        if page == "programme":
            out = [self.cover(f"Steering pack {EM_DASH} wave {self.wave}"), self.index_over_time(),
                   self.spectrum(), self.heatmap()]
            out += self.movers()
            partners = [self.view.partner] if self.view.partner else self.names
            for partner in partners:
                out += self.partner_slide(partner)
            for scenario in self.view.scenarios:
                out += self.whatif(scenario)
            out += self.scores_appendix()
        elif page == "overview":
            out = [self.cover(f"Overview {EM_DASH} wave {self.wave}"), self.index_over_time(),
                   self.spectrum()] + self.movers()
        elif page == "partner":
            partner = self.view.partner or self.names[0]
            out = [self.cover(f"Partner profile: {partner} {EM_DASH} wave {self.wave}")]
            out += self.partner_slide(partner, single=True)
        elif page == "compare":
            out = [self.cover(f"Compare {EM_DASH} wave {self.wave}"), self.heatmap(), self.change_table()]
        else:  # what-if
            scenarios = self.view.scenarios or ((Scenario(self.view.partner),) if self.view.partner else ())
            if not scenarios:
                raise ValueError("A what-if pack needs a partner (wi_partner) and its changes.")
            out = [self.cover(f"What-if: {scenarios[0].partner}")]
            for scenario in scenarios:
                out += self.whatif(scenario)
        result: list[Slide] = []
        for slide in out:
            result += _paginate(slide)
        return result


def _basis(indicator, count: int) -> str:
    if indicator.name in ("on_time_rate", "mean_slip_days", "joint_share"):
        return f"{count} milestone{'s' if count != 1 else ''}"
    if indicator.name == "ageing_backlog":
        return f"of {count} open"
    if indicator.name == "median_days_to_resolve":
        return f"{count} resolved"
    return f"{count} issue{'s' if count != 1 else ''}"


# -- rendering: PowerPoint ------------------------------------------------------------

def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor
    return RGBColor.from_string(hex_colour.lstrip("#"))


def _render_pptx(slides: list[Slide], title: str) -> bytes:
    from pptx import Presentation
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Pt(W), Pt(H)
    deck.core_properties.title = title
    deck.core_properties.subject = "Partnership Health steering pack"
    layout = deck.slide_layouts[5]  # title only
    aligns = {"l": PP_ALIGN.LEFT, "r": PP_ALIGN.RIGHT, "c": PP_ALIGN.CENTER}

    def box(shapes, x, y, w, h):
        shape = shapes.add_textbox(Pt(x), Pt(y), Pt(w), Pt(h))
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        frame.vertical_anchor = MSO_ANCHOR.TOP
        return frame

    def write(paragraph, text, size, colour=INK, bold=False, italic=False, link=None):
        run = paragraph.add_run()
        run.text = text
        run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
        run.font.name = PPTX_FONT
        run.font.color.rgb = _rgb(colour)
        if link:
            run.hyperlink.address = link
        return run

    def lines(frame, texts, size, colour=INK, lead=None, bold=False):
        for i, text in enumerate(texts):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if lead:
                paragraph.line_spacing = Pt(lead)
            write(paragraph, text, size, colour, bold=bold)

    for number, s in enumerate(slides, start=1):
        slide = deck.slides.add_slide(layout)
        title_shape = slide.shapes.title
        boxes = _boxes(s)
        if s.cover is not None:
            x, y, w, h = MARGIN + 20, 120, W - 2 * MARGIN - 40, 110
        else:
            x, y, w, h = boxes["title"]
        title_shape.left, title_shape.top, title_shape.width, title_shape.height = Pt(x), Pt(y), Pt(w), Pt(h)
        tf = title_shape.text_frame
        tf.clear()
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
        tf.vertical_anchor = MSO_ANCHOR.TOP if s.cover is None else MSO_ANCHOR.BOTTOM
        tf.paragraphs[0].alignment = PP_ALIGN.LEFT
        write(tf.paragraphs[0], s.title, 36 if s.cover is not None else TITLE_PT, bold=True)
        if s.cover is not None:
            band = slide.shapes.add_shape(1, 0, 0, Pt(W), Pt(14))
            band.fill.solid()
            band.fill.fore_color.rgb = _rgb(ACCENT)
            band.line.fill.background()
            frame = box(slide.shapes, MARGIN + 20, 240, W - 2 * MARGIN - 40, 36)
            write(frame.paragraphs[0], s.subtitle or "", 24, ACCENT, bold=True)
            frame = box(slide.shapes, MARGIN + 20, 296, W - 2 * MARGIN - 40, 170)
            lines(frame, s.cover, 16, MUTED, lead=22)
        else:
            x, y, w, h = boxes["context"]
            frame = box(slide.shapes, x, y, w, h)
            lines(frame, s.context, CONTEXT_PT, MUTED, lead=CONTEXT_LEAD)
            chart_box, table_box = _split_content(s)
            if s.chart is not None and chart_box is not None:
                cx, cy, cw, ch = _fit(s.chart, chart_box)
                slide.shapes.add_picture(io.BytesIO(s.chart.png), Pt(cx), Pt(cy), Pt(cw), Pt(ch))
            if s.table is not None and table_box is not None:
                _pptx_table(slide, s.table, table_box, write, aligns)
            if s.notes:
                x, y, w, h = boxes["notes"]
                frame = box(slide.shapes, x, y, w, h)
                lines(frame, s.notes, BODY_PT, INK, lead=BODY_LEAD)
        x, y, w, h = boxes["link"]
        if s.link:
            frame = box(slide.shapes, x, y, w + 8, h)
            target = s.link if "://" in s.link else None
            for i, line in enumerate(_link_lines(s.link)):  # broken as in the PDF, one link
                paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                paragraph.line_spacing = Pt(BODY_LEAD)
                if i == 0:
                    write(paragraph, LINK_PREFIX, BODY_PT, MUTED)
                    line = line[len(LINK_PREFIX):]
                if line:
                    write(paragraph, line, BODY_PT, ACCENT, link=target)
        x, y, w, h = boxes["page"]
        frame = box(slide.shapes, x, y, w, h)
        frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
        write(frame.paragraphs[0], f"{number} / {len(slides)}", BODY_PT, MUTED)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _pptx_table(slide, table: Table, box, write, aligns) -> None:
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Pt

    x, y, _, _ = box
    heights = [_row_height(table.columns, table.widths, True)] + [
        _row_height(r, table.widths, bool(table.bold and table.bold[i])) for i, r in enumerate(table.rows)]
    shape = slide.shapes.add_table(len(table.rows) + 1, len(table.columns), Pt(x), Pt(y),
                                   Pt(sum(table.widths)), Pt(sum(heights)))
    grid = shape.table
    grid.first_row = True
    for j, width in enumerate(table.widths):
        grid.columns[j].width = Pt(width)
    for i, height in enumerate(heights):
        grid.rows[i].height = Pt(height)
    align = table.align or ["l"] * len(table.columns)
    for i, cells in enumerate([table.columns] + table.rows):
        header = i == 0
        muted = not header and bool(table.muted and table.muted[i - 1])
        bold = header or (not header and bool(table.bold and table.bold[i - 1]))
        for j, text in enumerate(cells):
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = Pt(CELL_PAD_X)
            cell.margin_top = cell.margin_bottom = Pt(CELL_PAD_Y)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(HEADER_FILL if header else (ZEBRA_FILL if i % 2 == 0 else "#FFFFFF"))
            frame = cell.text_frame
            frame.word_wrap = True
            paragraph = frame.paragraphs[0]
            paragraph.alignment = aligns["l" if header and align[j] == "r" and False else align[j]]
            write(paragraph, str(text), BODY_PT, MUTED if muted else INK, bold=bold, italic=muted)


def _fit(chart: Chart, box) -> tuple[float, float, float, float]:
    """The chart's natural size, scaled down (never up, never cropped) to the box, centred."""
    x, y, w, h = box
    scale = min(1.0, w / chart.width, h / chart.height)
    cw, ch = chart.width * scale, chart.height * scale
    return x + (w - cw) / 2, y + (h - ch) / 2, cw, ch


# -- rendering: PDF ------------------------------------------------------------------

_FONTS_READY: dict[str, tuple[str, str]] = {}
_FONT_DIRS = ("/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/liberation2",
              "/usr/share/fonts/liberation", "/usr/share/fonts/TTF", "/Library/Fonts",
              "C:/Windows/Fonts")


def _pdf_fonts() -> tuple[str, str, str]:
    """(regular, bold, italic) font names: Liberation Sans embedded when found, else Helvetica."""
    if "fonts" in _FONTS_READY:
        return _FONTS_READY["fonts"]
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")
    for folder in _FONT_DIRS:
        regular, bold, italic = (Path(folder) / f"LiberationSans-{s}.ttf" for s in ("Regular", "Bold", "Italic"))
        if regular.exists() and bold.exists() and italic.exists():
            try:
                pdfmetrics.registerFont(TTFont("PackSans", str(regular)))
                pdfmetrics.registerFont(TTFont("PackSans-Bold", str(bold)))
                pdfmetrics.registerFont(TTFont("PackSans-Italic", str(italic)))
                fonts = ("PackSans", "PackSans-Bold", "PackSans-Italic")
                break
            except Exception:  # a broken font file: keep the built-in fonts
                continue
    _FONTS_READY["fonts"] = fonts
    return fonts


def _render_pdf(slides: list[Slide], title: str) -> bytes:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    regular, bold_font, italic = _pdf_fonts()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(W, H), pageCompression=1)
    pdf.setTitle(title)
    pdf.setSubject("Partnership Health steering pack")
    pdf.setCreator("Partnership Health")

    def text(lines_, x, top, size, colour=INK, font=regular, lead=None, width=None):
        lead = lead or size * 1.25
        pdf.setFillColor(HexColor(colour))
        pdf.setFont(font, size)
        y = H - top - size
        count = 0
        for line in lines_:
            for part in (_wrap(line, size, width) if width else [line]):
                pdf.drawString(x, y - count * lead + (lead - size) * 0.2, part)
                count += 1
        return count * lead

    for number, s in enumerate(slides, start=1):
        key = f"p{number}"
        pdf.bookmarkPage(key)
        pdf.addOutlineEntry(s.title, key, level=0)
        boxes = _boxes(s)
        if s.cover is not None:
            pdf.setFillColor(HexColor(ACCENT))
            pdf.rect(0, H - 14, W, 14, stroke=0, fill=1)
            title_lines = _wrap(s.title, 36, W - 2 * MARGIN - 40, bold=True)
            top = 230 - 44 * len(title_lines)
            text(title_lines, MARGIN + 20, top, 36, font=bold_font, lead=44)
            text([s.subtitle or ""], MARGIN + 20, 240, 24, ACCENT, font=bold_font)
            text(s.cover, MARGIN + 20, 296, 16, MUTED, lead=22, width=W - 2 * MARGIN - 40)
        else:
            x, y, w, h = boxes["title"]
            text([s.title], x, y, TITLE_PT, font=bold_font, width=w, lead=TITLE_PT * 1.2)
            x, y, w, h = boxes["context"]
            text(s.context, x, y, CONTEXT_PT, MUTED, lead=CONTEXT_LEAD, width=w)
            chart_box, table_box = _split_content(s)
            if s.chart is not None and chart_box is not None:
                cx, cy, cw, ch = _fit(s.chart, chart_box)
                pdf.drawImage(ImageReader(io.BytesIO(s.chart.png)), cx, H - cy - ch, cw, ch)
            if s.table is not None and table_box is not None:
                _pdf_table(pdf, s.table, table_box, (regular, bold_font, italic))
            if s.notes:
                x, y, w, h = boxes["notes"]
                text(s.notes, x, y, BODY_PT, INK, lead=BODY_LEAD, width=w)
        x, y, w, h = boxes["link"]
        if s.link:
            lines_ = _link_lines(s.link)
            pdf.setFont(regular, BODY_PT)
            for i, line in enumerate(lines_):
                base = H - y - BODY_PT - i * BODY_LEAD
                if i == 0:
                    pdf.setFillColor(HexColor(MUTED))
                    pdf.drawString(x, base, LINK_PREFIX)
                    offset = pdf.stringWidth(LINK_PREFIX, regular, BODY_PT)
                    pdf.setFillColor(HexColor(ACCENT))
                    pdf.drawString(x + offset, base, line[len(LINK_PREFIX):])
                else:
                    pdf.setFillColor(HexColor(ACCENT))
                    pdf.drawString(x, base, line)
            if "://" in s.link:
                pdf.linkURL(s.link, (x, H - y - h, x + w, H - y), relative=0, thickness=0)
        x, y, w, h = boxes["page"]
        pdf.setFillColor(HexColor(MUTED))
        pdf.setFont(regular, BODY_PT)
        pdf.drawRightString(x + w, H - y - BODY_PT, f"{number} / {len(slides)}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _pdf_table(pdf, table: Table, box, fonts) -> None:
    from reportlab.lib.colors import HexColor

    regular, bold_font, italic = fonts
    x0, top, _, _ = box
    align = table.align or ["l"] * len(table.columns)
    y = top
    for i, cells in enumerate([table.columns] + table.rows):
        header = i == 0
        muted = not header and bool(table.muted and table.muted[i - 1])
        bold = header or (not header and bool(table.bold and table.bold[i - 1]))
        height = _row_height(cells, table.widths, bold)
        fill = HEADER_FILL if header else (ZEBRA_FILL if i % 2 == 0 else "#FFFFFF")
        pdf.setFillColor(HexColor(fill))
        pdf.setStrokeColor(HexColor(RULE))
        pdf.setLineWidth(0.75)
        pdf.rect(x0, H - y - height, sum(table.widths), height, stroke=1, fill=1)
        font = bold_font if bold else (italic if muted else regular)
        x = x0
        for j, (cell, width) in enumerate(zip(cells, table.widths)):
            lines_ = _wrap(str(cell), BODY_PT, width - 2 * CELL_PAD_X - 2, bold)
            block = len(lines_) * BODY_LEAD
            first = H - y - (height - block) / 2 - BODY_PT
            pdf.setFillColor(HexColor(MUTED if muted else INK))
            pdf.setFont(font, BODY_PT)
            for k, line in enumerate(lines_):
                base = first - k * BODY_LEAD - (BODY_LEAD - BODY_PT) * 0.1
                if align[j] == "r":
                    pdf.drawRightString(x + width - CELL_PAD_X, base, line)
                elif align[j] == "c":
                    pdf.drawCentredString(x + width / 2, base, line)
                else:
                    pdf.drawString(x + CELL_PAD_X, base, line)
            x += width
        y += height


# -- the entry point -------------------------------------------------------------------

def build_slides(cursor, *, view: PackView, base_url: str | None = None,
                 today: date | None = None) -> list[Slide]:
    """The pack's slides, independent of the file format (for tests and previews)."""
    return _Builder(cursor, view, base_url, today).slides()


def render_slides(slides: list[Slide], fmt: str, title: str = "Partnership Health steering pack") -> bytes:
    """Slides from ``build_slides`` as PowerPoint or PDF bytes (both from the same slides)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'. Choose pptx or pdf.")
    return _render_pptx(slides, title) if fmt == "pptx" else _render_pdf(slides, title)


def build_pack(cursor, *, view: PackView, fmt: str = "pptx", base_url: str | None = None,
               today: date | None = None) -> bytes:
    """The steering pack for ``view`` as PowerPoint (``fmt='pptx'``) or PDF bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'. Choose pptx or pdf.")
    builder = _Builder(cursor, view, base_url, today)
    slides = builder.slides()
    title = f"{builder.programme_name()} {EM_DASH} {PAGE_TITLES[view.page]}"
    return render_slides(slides, fmt, title)
