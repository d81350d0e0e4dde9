"""The one "Steering pack" control of Overview, Partner profile, Compare and What-if.

The view on screen (or the programme pack) as PowerPoint or PDF, built by pipelines.present.pack
only when asked ("Prepare"), cached by (database, data version, k, view, format, app address,
day). The pack renders the page's own view model (its link state tells which), so it shows
exactly what the page shows. Call it after the page's last view-defining widget, inside the same
fragment when that widget lives in one (else a fragment rerun leaves it stale).
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from urllib.parse import parse_qs, urlparse

import streamlit as st

from app_pages.ui import links, queries
from app_pages.ui.text import md
from pipelines.present import links as view_links
from pipelines.present import pack

PACK_FORMATS = {"pptx": "PowerPoint", "pdf": "PDF"}
_PACK_MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
              "pdf": "application/pdf"}
_PACK_READY = "pack_ready"    # session key: the signature of the pack the user asked for
_WHATIF_KEPT = "wi_kept"      # the What-if page's kept scenarios (each with its own link)


def kept_scenarios() -> tuple[view_links.Scenario, ...]:
    """The What-if page's kept scenarios, read back from their links."""
    found: list[view_links.Scenario] = []
    for snapshot in st.session_state.get(_WHATIF_KEPT, []):
        params = parse_qs(urlparse(str(snapshot.get("Link", ""))).query)
        try:
            found += view_links.LinkState.from_query_params("what-if", params, cursor=queries.cursor()).scenarios
        except ValueError:  # a link to a version or partner this data no longer has
            continue
    return tuple(found)


def programme_state(state: view_links.LinkState, *, kept: bool = False) -> view_links.LinkState:
    """The programme pack seen from a page: at the page's wave and pin, with the kept what-if
    scenarios when ``kept``."""
    return view_links.LinkState(page="programme", wave=state.wave, asof=state.asof,
                                scenarios=kept_scenarios() if kept else ())


@st.cache_data(show_spinner=False, max_entries=12)
def _pack_bytes(db: str, version: int, k: int, view_key: str, fmt: str, base_url: str | None,
                today: str, _state: view_links.LinkState) -> bytes:
    return pack.build_pack(view=_state, fmt=fmt, base_url=base_url, today=date.fromisoformat(today),
                           source=queries.source(), model=queries.view(_state))


def pack_bytes(state: view_links.LinkState, fmt: str, base_url: str | None = None) -> bytes:
    """The pack's bytes (pipelines.present.pack.build_pack), cached per view, data version and format."""
    return _pack_bytes(*queries._qkey(), queries._state_key(state), fmt, base_url, date.today().isoformat(),
                       state)


def steering_pack(view, *, unavailable: str = "Choose at least one factor to make a pack of this view.") -> None:
    """The "Steering pack" popover of the page's view model ``view``: what to include, the
    format, Prepare, then Download. With no view (nothing to pack), it says ``unavailable``."""
    # its controls are made when it is opened (a rerun) and kept open by its key: made and sent
    # closed on every run, they were a twentieth of each session's server time when 15 people
    # opened one link at once
    box = st.popover("Steering pack", icon=":material/slideshow:", key="pack", on_change="rerun",
                     help="This view as slides (PowerPoint) or a PDF for the steering meeting: every "
                          "chart and table with its filters, data version, n and a link back here.")
    if not box.open:
        return
    with box:
        if view is None:
            st.caption(unavailable)
            return
        state = view.context.state
        programme = kept = False
        if state.page in ("overview", "what-if"):
            this = "This view" if state.page == "overview" else "This scenario"
            programme = st.radio("What to include", ["view", "programme"], key="pack_scope",
                                 format_func={"view": this, "programme": "The whole programme pack"}.get,
                                 help="The programme pack: cover, index over time, spectrum, heatmap, "
                                      "movers, one slide per partner and the scores appendix.") == "programme"
        if state.page == "what-if":
            count = len(st.session_state.get(_WHATIF_KEPT, []))
            kept = st.checkbox(f"Include the kept scenarios ({count})", value=True, key="pack_kept",
                               disabled=not programme or count == 0,
                               help="Adds a section per scenario kept below to the programme pack.")
        if state.page == "partner" and st.checkbox(
                "Include what people wrote", value=False, key="pack_comments",
                help="Adds the wave's comments (only for groups of comment_k or more). Leave it off for a "
                     "pack that goes beyond the steering group."):
            state = replace(state, comments=True)
        fmt = st.radio("Format", list(PACK_FORMATS), format_func=PACK_FORMATS.get, horizontal=True,
                       key="pack_format")
        if programme:
            state = programme_state(state, kept=kept)
        st.caption(md(view_links.summary(state)))
        base_url = links.app_url(view.context.state.page)
        signature = json.dumps([queries._state_key(state), fmt, base_url])
        if st.button("Prepare", key="pack_prepare", icon=":material/build:", type="primary",
                     help="Builds the file from the data on screen (a few seconds; the whole "
                          "programme takes longer)."):
            st.session_state[_PACK_READY] = signature
        if st.session_state.get(_PACK_READY) != signature:
            return
        what = "the programme pack" if state.page == "programme" else "the pack of this view"
        with st.spinner(f"Building {what} as {PACK_FORMATS[fmt]}..."):
            try:
                data = pack_bytes(state, fmt, base_url)
            except ValueError as problem:
                st.error(f"The pack could not be built: {md(problem)}", icon=":material/error:")
                return
        st.download_button(f"Download {PACK_FORMATS[fmt]}", data=data, file_name=pack.pack_filename(state, fmt),
                           mime=_PACK_MIME[fmt], on_click="ignore", key="pack_download",
                           icon=":material/download:", type="primary")
