"""The process's warm-up thread (``pipelines.query.warm.Warmer``), one per store, so the what-if
model is fitted, and the first views a bare link opens are built (What-if, Overview, ...:
``queries.first_views``), in the background at start and after every load: started by the
server's start (``app_pages/ui/server.py``, when served by ``serve.py``) or else by the first
script run."""
from __future__ import annotations

import gc

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


# Python's collector walks every object it tracks at each full collection: in a server holding a
# store, fits, caches and views that was 110-180 ms at 1M answers, growing with the heap, with the
# interpreter held; falling among 15 people opening one link, it made the slowest wait ~100 ms more.
# What the warm-up leaves is the process's long-lived heap, so it is moved out of the collector's
# reach (``gc.freeze``; each warm-up first gives the last one's back, so what a load made garbage is
# collected then): a full collection then takes ~15 ms. Only in a server (``serve.py`` turns it on):
# a process running tests or commands has no long-lived heap worth it.
_settle = False


def settle_heap_after_warming() -> None:
    """From the server's start: each warm-up of this process ends by settling the heap (above)."""
    global _settle
    _settle = True


def _warm(store) -> None:
    queries.warm_first_views(store)
    if _settle:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


@st.cache_resource(show_spinner=False, validate=_on_the_pages_store)
def _warmer(location: str) -> warm.Warmer:
    return warm.Warmer(queries.open_store(), after=_warm).start()


def warmer() -> warm.Warmer:
    """The warm-up thread of the process's store, started on the first call; raises what
    ``queries.open_store`` raises when the store cannot be opened now."""
    return _warmer(queries.open_store().location)


def start() -> None:
    """From a page run: start the warm-up thread once per process and store (later runs find it
    started); a store that cannot be opened gives the page's notice (``queries.store``)."""
    _warmer(queries.store().location)
