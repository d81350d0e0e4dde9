"""A page's state as its link: what a view shows (page, partner, wave, factors, sort, pin,
what-if scenario), read from and written to the URL. Pure library (no Streamlit).

Links follow ARCHITECTURE.md: ``<page>?wave=..&partner=..&factors=..&sort=..&asof=..
&wi_partner=..&d_<factor>=..&w_<factor>=..``. A bound Streamlit widget keeps its *formatted*
option in the URL, so ``factors`` carries factor labels, ``sort`` the sort's label and
``asof`` the version label of the as-of picker (``store.versions.labels``); ``_URL`` below is
the one place that encodes them.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from pipelines import settings
from pipelines.programme.factors import FACTOR_LABELS, FACTORS, INDEX
from pipelines.programme.factors import key as factor_key
from pipelines.programme.factors import label as factor_label
from pipelines.store import versions

PAGES = ("overview", "partner", "compare", "what-if", "programme")
PAGE_PATHS = {"overview": "overview", "partner": "partner", "compare": "compare",
              "what-if": "what-if", "programme": "overview"}
PAGE_TITLES = {"overview": "Overview", "partner": "Partner profile", "compare": "Compare",
               "what-if": "What-if", "programme": "Programme pack"}
SORTS = ("partner", INDEX, *FACTORS)  # the Compare page's orders of partners
# Compare's "always include" partner has a parameter (a widget key) of its own: a widget keyed
# "partner" on two pages would carry one page's choice into the other's link (as wi_partner does)
COMPARE_PARTNER = "include"


def sort_label(key: str) -> str:
    """How a sort order is named on the Compare page (and in its link)."""
    return "Partner name" if key == "partner" else factor_label(key)


def sort_key(value: str) -> str:
    """A Compare-page sort option from its key or its label ('Partner name', a factor, the index)."""
    text = str(value).strip()
    aliases = {"partner": "partner", "partner name": "partner", "name": "partner",
               INDEX: INDEX, "collaboration index": INDEX, "index": INDEX}
    if text.lower() in aliases:
        return aliases[text.lower()]
    try:
        return factor_key(text)
    except ValueError:
        raise ValueError(f"Unknown sort '{value}'. Choose 'Partner name', 'Collaboration index' "
                         f"or a factor.") from None


@dataclass(frozen=True)
class Scenario:
    """A what-if scenario: a partner (name), slider deltas per factor (points) and index
    weights per factor (None = the configured weights)."""
    partner: str
    deltas: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] | None = None


@dataclass(frozen=True)
class LinkState:
    """The state of a page (its link), or ``page='programme'`` for the programme pack.

    ``partner`` is a partner name; ``wave`` a wave label (None = latest); ``factors``
    factor keys (None = all five, as all five in their order become); ``asof`` a pinned data version (None = latest data);
    ``scenarios`` what-if scenarios: the What-if page's state is the first one; the
    programme pack adds a section per scenario. On Compare, ``partner`` is the partner the
    ratings matrix always includes. ``comments``: the Partner profile's pack includes what
    people wrote (only when asked; no link carries it).
    """
    page: str = "programme"
    partner: str | None = None
    wave: str | None = None
    factors: tuple[str, ...] | None = None
    sort: str | None = None
    asof: int | None = None
    scenarios: tuple[Scenario, ...] = ()
    comments: bool = False

    def __post_init__(self):
        if self.page not in PAGES:
            raise ValueError(f"Unknown page '{self.page}'. Choose one of: {', '.join(PAGES)}.")
        if self.factors is not None:
            keys = tuple(factor_key(f) for f in self.factors)
            # all five in their order is no choice: one state (and one cached view) with None
            object.__setattr__(self, "factors", None if keys == tuple(FACTORS) else keys)
        if self.sort is not None:
            object.__setattr__(self, "sort", sort_key(self.sort))
        object.__setattr__(self, "scenarios", tuple(self.scenarios or ()))

    @classmethod
    def from_query_params(cls, page: str, params: Mapping[str, str | Sequence[str]],
                          cursor=None, include_scenario: bool | None = None) -> "LinkState":
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

        scenarios: tuple[Scenario, ...] = ()
        wi = one("wi_partner")
        if wi and (include_scenario or (include_scenario is None and page == "what-if")):
            deltas = {f: float(one(f"d_{f}")) for f in FACTORS if one(f"d_{f}") is not None}
            weights = {f: float(one(f"w_{f}")) for f in FACTORS if one(f"w_{f}") is not None}
            if weights:
                weights = {**settings.index_weights(), **weights}
            scenarios = (Scenario(wi, deltas, weights or None),)
        partner = one(COMPARE_PARTNER) if page == "compare" else one("partner")
        return cls(page=page, partner=partner, wave=one("wave"), factors=many("factors"),
                   sort=one("sort"), asof=_parse_asof(one("asof"), cursor), scenarios=scenarios)


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


class _URL:
    """How each page-link parameter is written (a bound widget's formatted option)."""

    @staticmethod
    def factors(keys: Iterable[str]) -> list[str]:
        return [FACTOR_LABELS[k] for k in keys]

    @staticmethod
    def number(value: float) -> str:
        return f"{float(value):g}"


def view_params(state: LinkState, asof_label: str | None = None, *, page: str | None = None,
                scenario: Scenario | None = None) -> list[tuple[str, str]]:
    """The query parameters of ``state``'s link, in a stable order. ``asof_label`` is the
    pinned version's label (``store.versions.labels``); without it the number is written."""
    page = page or state.page
    params: list[tuple[str, str]] = []
    if state.wave:
        params.append(("wave", state.wave))
    if state.partner and page in ("partner", "compare"):
        params.append((COMPARE_PARTNER if page == "compare" else "partner", state.partner))
    if state.factors is not None and page == "partner":
        params += [("factors", v) for v in _URL.factors(state.factors)]
    if state.sort and page == "compare":
        params.append(("sort", sort_label(state.sort)))
    if state.asof is not None:
        params.append(("asof", asof_label or str(state.asof)))
    scenario = scenario or (state.scenarios[0] if page == "what-if" and state.scenarios else None)
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


def view_url(state: LinkState, base_url: str | None, asof_label: str | None = None, *,
             page: str | None = None, scenario: Scenario | None = None) -> str:
    """The link that reopens ``state`` (relative to the app when ``base_url`` is None)."""
    page = page or state.page
    query = urllib.parse.urlencode(view_params(state, asof_label, page=page, scenario=scenario),
                                   quote_via=urllib.parse.quote)
    return join(base_url, f"{PAGE_PATHS[page]}?{query}" if query else PAGE_PATHS[page])


def join(base_url: str | None, link: str) -> str:
    """A relative view link (``view_url(..., None)``) under the app's address."""
    base = (base_url or "").rstrip("/")
    return f"{base}/{link}" if base else link


def summary(state: LinkState) -> str:
    """What a view (or a pack of it) shows, on one line: 'Compare · wave 2026-Q1 · sorted by
    shared goals · latest data'."""
    parts = [PAGE_TITLES[state.page]]
    if state.page == "partner" and state.partner:
        parts.append(state.partner)
    if state.wave:
        parts.append(f"wave {state.wave}")
    if state.page == "partner":
        parts.append("all five factors" if not state.factors or len(state.factors) == len(FACTORS)
                     else ", ".join(factor_label(f) for f in state.factors))
    if state.page == "compare" and state.sort:
        parts.append(f"sorted by {sort_label(state.sort).lower()}")
    if state.page == "compare" and state.partner:
        parts.append(f"ratings with {state.partner}")
    if state.page == "partner" and state.comments:
        parts.append("with comments")
    if state.page == "what-if" and state.scenarios:
        parts.append(state.scenarios[0].partner)
    if state.page == "programme" and state.scenarios:
        count = len(state.scenarios)
        parts.append(f"{count} what-if scenario{'s' if count != 1 else ''}")
    parts.append("latest data" if state.asof is None else f"pinned to version {state.asof}")
    return " \u00b7 ".join(parts)
