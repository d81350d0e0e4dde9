"""The charts-alone floor on a real server: ``streamlit run benchmarks/floor_app.py`` with
``PARTNERSHIP_BENCH_FLOOR_DIR`` naming the folder where ``benchmarks/pages.py`` kept each page's
recorded chart calls; ``?page=<file stem>`` picks the page. Each run builds that page's charts
from the recorded in-memory data and draws them, nothing else (``benchmarks/server_pages.py``)."""
import os
import pickle
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import pages  # noqa: E402


@st.cache_resource
def recorded_calls(page: str) -> list:
    with open(pages.floor_file(os.environ["PARTNERSHIP_BENCH_FLOOR_DIR"], page), "rb") as handle:
        return pickle.load(handle)


pages.draw_floor(recorded_calls(st.query_params.get("page", "overview")))
