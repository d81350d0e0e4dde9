"""The process's warm-up thread (``pipelines.query.warm.Warmer``), one per store, so the what-if
model is fitted, and the Overview's first view built, in the background at start and after every load: started by the server's start
(``app_pages/ui/server.py``, when served by ``serve.py``) or else by the first script run."""
from __future__ import annotations

import streamlit as st

from app_pages.ui import queries
from pipelines.query import warm


@st.cache_resource(show_spinner=False)
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
