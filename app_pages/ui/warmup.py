"""The process's warm-up thread (``pipelines.query.warm.Warmer``): started by the first script run
of the server, one per store, so the what-if model is fitted in the background at start and after
every load."""
from __future__ import annotations

import streamlit as st

from app_pages.ui import queries
from pipelines.query import warm


@st.cache_resource(show_spinner=False)
def _warmer(location: str) -> warm.Warmer:
    return warm.Warmer(queries.store()).start()


def start() -> None:
    """Start the warm-up thread once per process and store (later runs find it started)."""
    _warmer(queries.store().location)
