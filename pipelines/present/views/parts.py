"""What every view model is made of, and the context a view is built in.

A view model is a frozen dataclass of plain values and frames: what the page shows (frames,
chart inputs, metrics, texts) and, for the steering pack, the same view as ``Panel``s (a
titled part with its filter lines, one chart and/or one text table, notes and the link
that reopens it). Every number, order, label and unit is decided here; the page and the
pack only lay it out. Texts are plain text: whatever comes from outside (partner names,
waves) is in them as it is, and each renderer keeps it text.
"""
from __future__ import annotations

import hashlib
import pickle
import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Iterator, Mapping, Sequence

import pandas as pd

from pipelines.present import charts, links, words
from pipelines.programme.demo import DEMO_LABEL
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label
from pipelines.query.respondents import known_wave
from pipelines.query.scores import PROGRAMME, Suppression

EM_DASH = "\u2014"
EN_DASH = "\u2013"
SEP = "  \u00b7  "  # between the parts of a filter line
HIDDEN_BECAUSE = "Not shown because"  # a page table's column: why a row's group is not shown


def why_empty(column: str) -> str:
    """A page table's column beside a number ``column``: why a shown row has no number there (the
    CSV keeps it; the page says it in the empty cell, ``downloads.as_shown``)."""
    return f"Why no {column[:1].lower()}{column[1:]}"


@dataclass(frozen=True)
class ChartInput:
    """A chart: a builder of ``present.charts`` (or ``present.slide_charts``) and its
    inputs; a renderer adds only the size."""
    builder: str
    args: tuple
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    # a digest of the inputs, made once with the view: a page's chart cache is keyed by it, so a
    # warm rerun does not hash the chart's frames again (that was a fifth of a rerun's work)
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        inputs = pickle.dumps((self.builder, self.args, sorted(dict(self.kwargs).items())), protocol=5)
        object.__setattr__(self, "key", hashlib.blake2b(inputs, digest_size=16).hexdigest())


def charts_in(view) -> Iterator[ChartInput]:
    """Every chart a view model holds (its page's and its panels'), in the order of its fields."""
    if isinstance(view, ChartInput):
        yield view
    elif is_dataclass(view) and not isinstance(view, type):
        for f in fields(view):
            yield from charts_in(getattr(view, f.name))
    elif isinstance(view, (tuple, list)):
        for item in view:
            yield from charts_in(item)
    elif isinstance(view, Mapping):
        for item in view.values():
            yield from charts_in(item)


@dataclass(frozen=True)
class TextTable:
    """A table as text cells, in order; ``muted`` rows are not shown (suppressed),
    ``bold`` rows are totals."""
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    muted: tuple[bool, ...] | None = None
    bold: tuple[bool, ...] | None = None


@dataclass(frozen=True)
class Panel:
    """One titled part of a view as the pack shows it: ``kind`` names its layout."""
    kind: str
    title: str
    context: tuple[str, ...]
    link: str  # relative: ``links.join`` puts the app's address before it
    notes: tuple[str, ...] = ()
    chart: ChartInput | None = None
    table: TextTable | None = None

    def __post_init__(self):
        # a slide's notes read as sentences, whoever wrote them (some views' lines ended without one)
        object.__setattr__(self, "notes", tuple(sentence(n) for n in self.notes))


def sentence(text: str) -> str:
    """``text`` ending as a sentence does: a full stop added unless it ends with one (or ?, !)."""
    text = text.rstrip()
    return text if not text or text.endswith((".", "?", "!", "…")) else text + "."


@dataclass(frozen=True)
class Cover:
    title: str
    subtitle: str
    lines: tuple[str, ...]
    link: str


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    delta_color: str = "normal"
    arrow: bool = True  # an arrow beside the delta (off for a delta that is a "now" value)

    @property
    def large(self) -> bool:
        """Whether the value fits a metric's large type in a narrow column (a quarter of a 1024 px
        page): a short figure ("64.2", "4 of 6", "+3", "33%"). A word ("Transitioning", "not
        shown") or a long figure ("34.0 days", "196 of 200") does not."""
        return len(self.value) <= 6 and re.match(r"[+\-\u2212]?\.?\d", self.value) is not None


@dataclass(frozen=True)
class Context:
    """What every view of one link state shares: the state, the rules (k, bands), the
    data's version, waves and partners."""
    state: links.LinkState
    k: int
    thresholds: tuple[float, float]
    asof_label: str | None
    data: str                 # which data, in words: "Data: latest data, version 21, loaded ..."
    programme_name: str
    is_demo: bool
    waves: tuple[str, ...]
    wave: str | None          # the view's wave: the link's, else the latest
    previous: str | None      # the wave before it
    factors: tuple[str, ...]  # the link's factors, else all five
    partners: tuple[str, ...]  # every known partner, by name
    partner_ids: Mapping[str, int]
    colours: Mapping[str, str]

    @property
    def asof(self) -> int | None:
        return self.state.asof

    @property
    def data_line(self) -> str:
        """Which data, with the demo's name: on every slide and view, not only on the cover (a
        slide travels alone)."""
        return self.data + (SEP + self.programme_name if self.is_demo else "")

    def link(self, page: str, scenario: links.Scenario | None = None, **changes) -> str:
        """The relative link of this view on ``page``, with ``changes`` to its state."""
        state = replace(self.state, **changes) if changes else self.state
        # the pin as its number: short on a slide, the same for ever; the app respells it as the picker's label
        return links.view_url(state, None, page=page, scenario=scenario)

    def lines(self, *parts: str) -> tuple[str, ...]:
        """A panel's filter lines: the parts on one line, then the data's version."""
        line = SEP.join(p for p in parts if p)
        return (line, self.data_line) if line else (self.data_line,)

    def factors_text(self) -> str:
        if set(self.factors) == set(FACTORS):
            return "Factors: all five"
        return "Factors: " + ", ".join(factor_label(f) for f in self.factors)


def context(source, state: links.LinkState) -> Context:
    """The context of ``state``; a ValueError names a version, wave or partner the data lacks."""
    source.check_asof(state.asof)
    partners = source.partners()
    names = tuple(str(n) for n in partners["name"])
    ids = dict(zip(names, partners["partner_id"].astype(int)))
    waves = tuple(source.waves(state.asof))
    known_wave(state.wave, list(waves))
    if state.partner is not None and state.partner not in ids:
        raise ValueError(f"No partner named '{state.partner}'. Partners: {', '.join(names)}.")
    wave = state.wave or (waves[-1] if waves else None)
    at = waves.index(wave) if wave in waves else 0
    labels = source.version_labels() if state.asof is not None else {}
    demo = source.is_demo(state.asof)
    return Context(
        state=state, k=source.k, thresholds=tuple(source.thresholds),
        asof_label=labels.get(int(state.asof)) if state.asof is not None else None,
        data="Data: " + source.describe(state.asof),
        programme_name=DEMO_LABEL if demo else "Partnership Health programme", is_demo=demo,
        waves=waves, wave=wave, previous=waves[at - 1] if at > 0 else None,
        factors=tuple(state.factors) if state.factors else tuple(FACTORS),
        partners=names, partner_ids=ids, colours=charts.partner_colours(partners))


# -- numbers and words -----------------------------------------------------------

def yes(value) -> bool:
    """True for a true flag (bool, numpy or pandas boolean); False for False or missing."""
    return False if value is None or pd.isna(value) else bool(value)


def fmt_score(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1f}"


def fmt_change(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):+.1f}"


def n_range(values) -> str:
    shown = pd.Series(values).dropna().astype(int)
    if shown.empty:
        return ""
    return f"{shown.min()}" if shown.min() == shown.max() else f"{shown.min()}{EN_DASH}{shown.max()}"


def shown(rows: pd.DataFrame, factor: str) -> bool:
    """Whether a wave's rows (indexed by factor) show this factor's score."""
    return factor in rows.index and not bool(rows.at[factor, "suppressed"])


def score_cell(rows: pd.DataFrame, factor: str, with_n: bool = False) -> str:
    """A table cell: the factor's score (and n), or why there is none."""
    if factor not in rows.index:
        return EM_DASH
    if not shown(rows, factor):
        return "not shown"
    score = f"{rows.at[factor, 'score']:.1f}"
    return f"{score} (n {int(rows.at[factor, 'n'])})" if with_n else score


def _waves_text(waves: Sequence[str], all_waves: Sequence[str]) -> str:
    waves = [w for w in all_waves if w in set(waves)]
    if len(all_waves) > 1 and len(waves) == len(all_waves):
        return "every wave"
    return ", ".join(waves)


def suppression_notes(frame: pd.DataFrame, k: int, *, waves: Sequence[str] | None = None,
                      factors: Sequence[str] | None = None) -> tuple[str, ...]:
    """One line per group and reason: 'Pipwell Ecology: fewer than 5 responses — not
    shown (2024-Q4, 2025-Q2)'; partners by name, the programme last."""
    if frame.empty or "suppressed" not in frame:
        return ()
    hidden = frame[frame["suppressed"].astype(bool)]
    if hidden.empty:
        return ()
    all_waves = list(waves) if waves is not None else list(dict.fromkeys(frame["wave"]))
    notes = []
    order = list(dict.fromkeys(hidden.sort_values("partner", key=lambda s: s == PROGRAMME)["partner"]))
    for partner in order:
        rows = hidden[hidden["partner"] == partner]
        for reason in Suppression:  # fewer than k first
            group = rows[rows["suppression_reason"] == reason]
            if group.empty:
                continue
            where = []
            if len(all_waves) > 1 or not set(group["wave"]) <= set(all_waves):
                where.append(_waves_text(list(dict.fromkeys(group["wave"])), all_waves))
            if factors is not None and "factor" in group:
                hidden_factors = [f for f in factors if f in set(group["factor"])]
                if 0 < len(hidden_factors) < len(factors):
                    where.append(", ".join(factor_label(f).lower() for f in hidden_factors))
            notes.append(f"{partner}: {words.reason(reason, k, words.Form.NOTE)}"
                         + (f" ({'; '.join(where)})" if where else ""))
    return tuple(notes)


def hidden_groups(index_in_wave: pd.DataFrame, k: int) -> tuple[tuple[str, str], ...]:
    """(partner, why) for every partner whose index is not shown, by name."""
    rows = index_in_wave[index_in_wave["suppressed"].astype(bool) & index_in_wave["partner_id"].notna()]
    rows = rows.sort_values("partner")
    return tuple((str(p), words.reason(r, k)) for p, r in zip(rows["partner"], rows["suppression_reason"]))


def pending_groups(index_in_wave: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """(group, what it does not count yet) for every group of the wave whose value leaves out
    responses a release holds back (``scores``' ``pending``, in the query layer's words); the
    programme last."""
    rows = index_in_wave[index_in_wave["pending"].notna()] if "pending" in index_in_wave else index_in_wave[:0]
    rows = rows.sort_values("partner", key=lambda s: s.map(lambda p: (p == PROGRAMME, p)))
    return tuple((str(p), str(w)) for p, w in zip(rows["partner"], rows["pending"]))


def table(columns: Sequence[str], rows: Sequence[Sequence[str]], muted: Sequence[bool] | None = None,
          bold: Sequence[bool] | None = None) -> TextTable:
    return TextTable(tuple(columns), tuple(tuple(str(c) for c in r) for r in rows),
                     None if muted is None else tuple(bool(m) for m in muted),
                     None if bold is None else tuple(bool(b) for b in bold))
