"""The process's warm-up thread (``pipelines.query.warm.Warmer``), one per store, so the what-if
model is fitted, and the first views a bare link opens are built (What-if, Overview, ...:
``queries.first_views``), in the background at start and after every load: started by the
server's start (``app_pages/ui/server.py``, when served by ``serve.py``) or else by the first
script run."""
from __future__ import annotations

import streamlit as st

from app_pages.ui import queries
from pipelines.query import warm
from pipelines.store import lake


def _on_the_pages_store(warmer: warm.Warmer) -> bool:
    """Whether the thread warms the store the pages use: after a lake outage they open it afresh
    (``queries.store_guard``), and a thread on the old one is stopped and started again on the new
    one (else the process kept a second connection, warming what no page reads)."""
    try:
        current = warmer.store is queries.open_store()
    except (lake.LakeUnreachable, lake.LakeBusyError):
        return True  # nothing to move to yet
    if not current:
        warmer.stop(timeout=0)  # it ends within its poll interval; a page run does not wait for it
    return current


@st.cache_resource(show_spinner=False, validate=_on_the_pages_store)
def _warmer(location: str) -> warm.Warmer:
    return warm.Warmer(queries.open_store(), after=queries.warm_first_views).start()


def warmer() -> warm.Warmer:
    """The warm-up thread of the process's store, started on the first call; raises what
    ``queries.open_store`` raises when the store cannot be opened now."""
    return _warmer(queries.open_store().location)


def start() -> None:
    """From a page run: start the warm-up thread once per process and store (later runs find it
    started); a store that cannot be opened gives the page's notice (``queries.store``)."""
    _warmer(queries.store().location)
