"""Streamlit-only glue shared by the pages: the process's Store and cached queries.

Query results are cached by (database, data version, as-of): a load or undo bumps the
data version, so every page sees new data at once and reruns cost no query otherwise.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines import bootstrap, cli, handoff, ingest, scores
from pipelines.store import Store, db_path


@st.cache_resource(show_spinner="Opening the programme database...")
def _store(path: str) -> Store:
    store = Store(path)
    bootstrap.ensure_ready(store)
    # Commands run while the app holds the file are handed to this process (see handoff).
    handoff.JobRunner(store.path, lambda argv, out, err: cli.main(argv, store=store, out=out, err=err)).start()
    return store


def store() -> Store:
    return _store(str(db_path()))


def cursor():
    """A cursor for this script run: DuckDB cursors must not be shared across threads."""
    return store().cursor()


def data_version() -> int:
    return store().data_version(cursor())


def _key() -> tuple[str, int]:
    return str(db_path()), data_version()


@st.cache_data(show_spinner=False, max_entries=64)
def _index_scores(db: str, version: int, asof: int | None) -> pd.DataFrame:
    return scores.index_scores(cursor(), asof=asof)


def index_scores(asof: int | None = None) -> pd.DataFrame:
    return _index_scores(*_key(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _freshness(db: str, version: int) -> pd.DataFrame:
    return ingest.freshness(cursor())


def freshness() -> pd.DataFrame:
    return _freshness(*_key())


@st.cache_data(show_spinner=False, max_entries=16)
def _is_demo(db: str, version: int) -> bool:
    return ingest.is_demo(cursor())


def demo_banner() -> None:
    if _is_demo(*_key()):
        from pipelines.demo import DEMO_LABEL

        st.info(f"**{DEMO_LABEL}.** Every number here is demo data. Remove it from the Data page, "
                "or with `python -m pipelines demo --remove`.", icon=":material/science:")
