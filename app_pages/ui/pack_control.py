"""The one "Steering pack" control of Overview, Partner profile, Compare and What-if.

The view on screen (or the programme pack) as PowerPoint or PDF, built by pipelines.present.pack
only when asked ("Prepare"), cached by (database, data version, k, view, format, app address,
day). The view is read from the session-state keys the page's bound widgets hold
(ARCHITECTURE.md: Pages and links), so the pack shows exactly what the link shows. Call it after
the page's last view-defining widget, inside the same fragment when that widget lives in one
(else a fragment rerun leaves it stale).
"""
from __future__ import annotations

import dataclasses
import json
from datetime import date
from urllib.parse import parse_qs, urlparse

import streamlit as st

from app_pages.ui import links, queries
from pipelines import settings
from pipelines.present import pack
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label

PACK_FORMATS = {"pptx": "PowerPoint", "pdf": "PDF"}


_PACK_MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
              "pdf": "application/pdf"}


_PACK_READY = "pack_ready"    # session key: the signature of the pack the user asked for


_WHATIF_KEPT = "wi_kept"      # the What-if page's kept scenarios (each with its own link)


def _state_scenario() -> pack.Scenario | None:
    """The What-if sliders as a scenario (wi_partner, d_<factor>, w_<factor>)."""
    partner = st.session_state.get("wi_partner")
    if not partner:
        return None
    default = settings.index_weights()
    deltas = {f: float(st.session_state.get(f"d_{f}", 0) or 0) for f in FACTORS}
    weights = {f: float(st.session_state.get(f"w_{f}", default[f])) for f in FACTORS}
    same = all(abs(weights[f] - default[f]) < 1e-9 for f in FACTORS)
    return pack.Scenario(str(partner), {f: d for f, d in deltas.items() if d}, None if same else weights)


def kept_scenarios() -> tuple[pack.Scenario, ...]:
    """The What-if page's kept scenarios, read back from their links."""
    found: list[pack.Scenario] = []
    for snapshot in st.session_state.get(_WHATIF_KEPT, []):
        params = parse_qs(urlparse(str(snapshot.get("Link", ""))).query)
        try:
            found += pack.PackView.from_query_params("what-if", params, cursor=queries.cursor()).scenarios
        except ValueError:  # a link to a version or partner this data no longer has
            continue
    return tuple(found)


def pack_view(page: str, *, programme: bool = False, kept: bool = False) -> pack.PackView:
    """The pack of ``page``'s current state, or the programme pack (at the page's wave, with
    the kept what-if scenarios when ``kept``)."""
    state = st.session_state
    wave = state.get("wave") if page in ("overview", "partner", "compare") else None
    if programme:
        return pack.PackView(page="programme", wave=wave, asof=queries.asof(),
                              scenarios=kept_scenarios() if kept else ())
    if page == "overview":
        return pack.PackView(page="overview", wave=wave, asof=queries.asof())
    if page == "partner":
        factors = state.get("factors")
        return pack.PackView(page="partner", partner=state.get("partner"), wave=wave, asof=queries.asof(),
                              factors=tuple(factors) if factors else None)
    if page == "compare":
        return pack.PackView(page="compare", wave=wave, sort=state.get("sort"), asof=queries.asof())
    if page == "what-if":
        scenario = _state_scenario()
        return pack.PackView(page="what-if", asof=queries.asof(), scenarios=(scenario,) if scenario else ())
    raise ValueError(f"No steering pack for the page '{page}'.")


def _view_key(view: pack.PackView) -> str:
    return json.dumps(dataclasses.asdict(view), sort_keys=True, default=str)


@st.cache_data(show_spinner=False, max_entries=12)
def _pack_bytes(db: str, version: int, k: int, view_key: str, fmt: str, base_url: str | None,
                today: str, _view: pack.PackView) -> bytes:
    return pack.build_pack(queries.cursor(), view=_view, fmt=fmt, base_url=base_url,
                            today=date.fromisoformat(today))


def pack_bytes(view: pack.PackView, fmt: str, base_url: str | None = None) -> bytes:
    """The pack's bytes (pipelines.present.pack.build_pack), cached per view, data version and format."""
    return _pack_bytes(*queries._qkey(), _view_key(view), fmt, base_url, date.today().isoformat(), view)


def _pack_summary(view: pack.PackView) -> str:
    parts = [pack.PAGE_TITLES[view.page]]
    if view.page == "partner" and view.partner:
        parts.append(view.partner)
    if view.wave:
        parts.append(f"wave {view.wave}")
    if view.page == "partner":
        parts.append("all five factors" if not view.factors or len(view.factors) == len(FACTORS)
                     else ", ".join(factor_label(f) for f in view.factors))
    if view.page == "compare" and view.sort:
        parts.append(f"sorted by {'partner name' if view.sort == 'partner' else factor_label(view.sort).lower()}")
    if view.page == "what-if" and view.scenarios:
        parts.append(view.scenarios[0].partner)
    if view.page == "programme" and view.scenarios:
        parts.append(f"{len(view.scenarios)} what-if scenario{'s' if len(view.scenarios) != 1 else ''}")
    parts.append("latest data" if view.asof is None else f"pinned to version {view.asof}")
    return " · ".join(parts)


def steering_pack(page: str) -> None:
    """The "Steering pack" popover: what to include, the format, Prepare, then Download."""
    with st.popover("Steering pack", icon=":material/slideshow:",
                    help="This view as slides (PowerPoint) or a PDF for the steering meeting: every "
                         "chart and table with its filters, data version, n and a link back here."):
        programme = kept = False
        if page in ("overview", "what-if"):
            this = "This view" if page == "overview" else "This scenario"
            programme = st.radio("What to include", ["view", "programme"], key="pack_scope",
                                 format_func={"view": this, "programme": "The whole programme pack"}.get,
                                 help="The programme pack: cover, index over time, spectrum, heatmap, "
                                      "movers, one slide per partner and the scores appendix.") == "programme"
        if page == "what-if":
            count = len(st.session_state.get(_WHATIF_KEPT, []))
            kept = st.checkbox(f"Include the kept scenarios ({count})", value=True, key="pack_kept",
                               disabled=not programme or count == 0,
                               help="Adds a section per scenario kept below to the programme pack.")
        fmt = st.radio("Format", list(PACK_FORMATS), format_func=PACK_FORMATS.get, horizontal=True,
                       key="pack_format")
        if page == "partner" and st.session_state.get("factors") == []:
            st.caption("Choose at least one factor to make a pack of this view.")
            return
        try:
            view = pack_view(page, programme=programme, kept=kept)
        except ValueError as problem:
            st.warning(str(problem), icon=":material/error:")
            return
        st.caption(_pack_summary(view))
        base_url = links.app_url(page)
        signature = json.dumps([_view_key(view), fmt, base_url])
        if st.button("Prepare", key="pack_prepare", icon=":material/build:", type="primary",
                     help="Builds the file from the data on screen (a few seconds; the whole "
                          "programme takes longer)."):
            st.session_state[_PACK_READY] = signature
        if st.session_state.get(_PACK_READY) != signature:
            return
        what = "the programme pack" if view.page == "programme" else "the pack of this view"
        with st.spinner(f"Building {what} as {PACK_FORMATS[fmt]}..."):
            try:
                data = pack_bytes(view, fmt, base_url)
            except ValueError as problem:
                st.error(f"The pack could not be built: {problem}", icon=":material/error:")
                return
        st.download_button(f"Download {PACK_FORMATS[fmt]}", data=data, file_name=pack.pack_filename(view, fmt),
                           mime=_PACK_MIME[fmt], on_click="ignore", key="pack_download",
                           icon=":material/download:", type="primary")
