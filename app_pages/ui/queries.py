"""The pages' data: the process's Store, cached queries of the query layer and cached view
models (pipelines.present.views).

Results are cached by (database, data version, k, arguments or view state): a load or undo
bumps the data version, so every page sees new data at once and a rerun costs no query
otherwise.

When a DuckLake store cannot be reached (PostgreSQL down or refusing), or another replica holds
it while preparing a new store, a page says so in plain words instead of a traceback, and
retries by itself every few seconds.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
from typing import Iterator, NoReturn

import duckdb
import pandas as pd
import streamlit as st

from app_pages.ui import downloads
from pipelines import cli, settings
from pipelines.ingest import known_partners
from pipelines.present import links, views
from pipelines.programme import bootstrap
from pipelines.query import warm
from pipelines.store import Store, db_path, handoff, lake, open_prepared, versions

STORE_UNREACHABLE = ("The programme store cannot be reached; retrying. This page comes back by itself "
                     "once it answers, and nothing is lost.")
STORE_PREPARING = "Another app server is preparing the programme store; retrying."
RETRY_SECONDS = 5
_ARMED = "_store_retry_armed"  # session key: the retry fragment has drawn itself once
_log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Opening the programme database...")
def _store(path: str) -> Store:
    # processes starting together on a new store: the default instrument / demo goes in once
    store = open_prepared(path, bootstrap.ensure_ready)
    if not store.is_lake:  # a lake is shared by every process; only a file is held by one
        # Commands run while the app holds the file are handed to this process (see handoff).
        handoff.JobRunner(store.path, lambda argv, out, err: cli.main(argv, store=store, out=out, err=err)).start()
    return store


_warming = threading.local()  # the warm-up thread's store while it builds views (warm_first_views)


def _location() -> str:
    """The store a run serves: the settings' (``db_path``), or the warm-up thread's while it builds."""
    return getattr(_warming, "location", None) or str(db_path())


def open_store() -> Store:
    """The process's store, opened on the first call (the server's start or the first page run);
    raises ``lake.LakeUnreachable`` / ``lake.LakeBusyError`` when it cannot be opened now."""
    return _store(_location())


def store() -> Store:
    """The process's store; when it cannot be opened now, the page says so, retries and stops."""
    try:
        return open_store()
    except (lake.LakeUnreachable, lake.LakeBusyError) as problem:
        _not_ready(problem)


@contextlib.contextmanager
def store_guard() -> Iterator[None]:
    """Around a page's run: a store whose catalog stops answering gives the notice, not a traceback.
    The run starts from the store's latest data version (another process's load shows now)."""
    try:
        store().data_version(fresh=True)
        yield
    except duckdb.Error:
        location = lake.location_of(db_path())
        reason = lake.reachable(location) if location else None
        if reason is None:
            raise
        _store.clear()  # the next run opens the store afresh
        _not_ready(lake.LakeUnreachable(location, reason))


def _not_ready(problem: Exception) -> NoReturn:
    _log.warning("%s", problem)  # the reason for whoever reads the log; its message holds no password
    preparing = isinstance(problem, lake.LakeBusyError)
    st.warning(STORE_PREPARING if preparing else STORE_UNREACHABLE, icon=":material/cloud_off:")
    st.session_state[_ARMED] = False
    _retry()
    st.stop()


@st.fragment(run_every=RETRY_SECONDS)
def _retry() -> None:
    """Every few seconds after the notice: the whole page again once the store may answer."""
    if not st.session_state.get(_ARMED):  # drawn with the notice: wait for the first tick
        st.session_state[_ARMED] = True
        return
    location = lake.location_of(db_path())
    if location and lake.reachable(location) is not None:
        return
    st.rerun(scope="app")


def cursor():
    """A cursor for this script run: DuckDB cursors must not be shared across threads."""
    return store().cursor()


def data_version() -> int:
    return store().data_version()


def _key() -> tuple[str, int]:
    return _location(), data_version()


def asof() -> int | None:
    """The pinned data version of this view, or None for the latest data."""
    return st.session_state.get("asof")


def version_labels() -> dict[int, str]:
    """Every data version a view can be pinned to -> its label (as the URL spells it)."""
    return source().version_labels()


def pinned_version(value) -> int | None:
    """The version a link's ``asof`` names (its label, a former label, its number); None if none."""
    return versions.match(value, source().version_names())


def anonymity_k() -> int:
    return settings.anonymity_k()


def thresholds() -> tuple[float, float]:
    return settings.band_thresholds()


def _qkey() -> tuple[str, int, int]:
    return (*_key(), anonymity_k())


@st.cache_data(show_spinner=False, max_entries=256)
def _query(db: str, version: int, k: int, name: str, args: tuple):
    return views.source.run(cursor(), k, name, *args, fetch=_fetcher(db, version, k))


@st.cache_data(show_spinner="Fitting the delivery model to this programme's history...",
               max_entries=16)
def _whatif_model(db: str, version: int, k: int, asof: int | None):
    return views.source.run(cursor(), k, "whatif_model", asof)


def source() -> views.Source:
    """The query layer for view models, each query cached by (database, data version, k,
    its arguments): pages share what any of them fetched."""
    db, version, k = _qkey()
    return views.Source(cursor(), k=k, fetch=_fetcher(db, version, k))


# The queries a What-if slider step reads on every move (twice each, from its view and its
# scenario): small, and read as one object per process. A cache_data hit unpickles its value (and
# pandas then rebuilds the frame's lookups), and Streamlit's cache hashes the call: together a third
# of a step's view build. Each reader gets its own shallow copy: with pandas' copy-on-write a
# change to it never reaches the shared frame.
STEP_QUERIES = frozenset({"check_asof", "describe", "is_demo", "waves", "partners", "whatif_current",
                          "whatif_model", "partner_index", "latest_observed"})
STEPS_KEPT = 64  # a few data versions' and pins' worth of them
_step_results = warm.Shared(STEPS_KEPT)  # (db, version, k, name, args) -> result


def _own(value):
    """A reader's own view of a shared result (frames shallow-copied; a model is frozen)."""
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    return list(value) if isinstance(value, list) else value


def _cached(db: str, version: int, k: int, name: str, args: tuple):
    if name == "whatif_model":
        return _whatif_model(db, version, k, *args)
    return _query(db, version, k, name, args)


def _fetcher(db: str, version: int, k: int):
    """Each query of this data version and k from its cache (a query made from others reads
    them through it too)."""
    def fetch(name: str, *args):
        if name not in STEP_QUERIES:
            return _cached(db, version, k, name, args)
        return _own(_step_results.get((db, version, k, name, args), lambda: _cached(db, version, k, name, args)))
    return fetch


def waves(asof: int | None = None) -> list[str]:
    """Survey waves, oldest first."""
    return source().waves(asof)


def partners() -> pd.DataFrame:
    """Every known partner: partner_id, name (ordered by name)."""
    return source().partners()


def _state_key(state: links.LinkState) -> str:
    return json.dumps(dataclasses.asdict(state), sort_keys=True, default=str)


@st.cache_data(show_spinner=False, max_entries=64)
def _view(db: str, version: int, k: int, key: str, _state: links.LinkState):
    return views.build(source(), _state)


@st.cache_resource(show_spinner=False, max_entries=16)
def _shared_view(db: str, version: int, k: int, key: str, _state: links.LinkState):
    # one object read by every session (nothing renders into a view): a page run no longer
    # unpickles its view from ``_view`` (a sixth of a warm run); ``_view`` stays within the
    # byte budget and refills this after an eviction
    return _view(db, version, k, key, _state)


def forget_computed() -> None:
    """Every cached query and view: after a change that can give a data version number again."""
    st.cache_data.clear()
    _shared_view.clear()
    _step_results.clear()
    downloads.forget_drawn()


def view(state: links.LinkState):
    """The view model of ``state`` (present.views.build), cached by (database, data version,
    k, state): the page renders it, and the steering pack of the same link renders it too."""
    return _shared_view(*_qkey(), _state_key(state), state)


def first_views() -> Iterator[links.LinkState]:
    """The views a link without parameters opens, on the latest data, as each page asks for it:
    What-if's partners and its first partner unmoved (the fit and the view: half the Overview's
    build at 1M answers, so the shorter wait first; its first open after a load waited for both),
    the Overview, then the Partner profile of the first partner and Compare (each first open
    built its view: 2-5x a warm open at 1M answers)."""
    found = waves(None)
    if not found:
        return
    whatif = links.LinkState(page="what-if", asof=None)
    yield whatif
    base = view(whatif)  # built by the caller by now
    if base.partners:
        yield links.LinkState(page="what-if", asof=None, scenarios=(links.Scenario(base.default_partner, {}, None),))
    yield links.LinkState(page="overview", wave=found[-1], asof=None)
    names = [str(n) for n in partners()["name"]]
    if names:
        yield links.LinkState(page="partner", partner=names[0], wave=found[-1], asof=None, factors=None)
    yield links.LinkState(page="compare", wave=found[-1], sort=links.SORTS[0], asof=None, partner=None)


def warm_first_views(warmed: Store) -> None:
    """Outside any page run (the warm-up thread of ``warmed``, before each fit): ``first_views``,
    built as the pages ask for them, so the first click after a start or a load finds them (and the
    queries they share with the other pages) ready. Nothing when the process now serves another
    store (tests switch stores within one process)."""
    if warmed.location != str(db_path()):
        return
    _warming.location = warmed.location  # every query of the build on this store, whatever happens meanwhile
    try:
        built = [view(state) for state in first_views()]
        for shown in built:  # after every view: drawing never delays What-if's fit
            downloads.predraw(shown)
    finally:
        _warming.location = None


@st.cache_data(show_spinner=False, max_entries=16)
def _load_history(db: str, version: int) -> pd.DataFrame:
    return versions.history(cursor())


def load_history() -> pd.DataFrame:
    """Every batch, newest first (versions.history)."""
    return _load_history(*_key())


@st.cache_data(show_spinner=False, max_entries=16)
def _partner_names(db: str, version: int) -> list[str]:
    return sorted(known_partners(cursor())[1].values())


def partner_names() -> list[str]:
    """The programme's own partner names, sorted."""
    return _partner_names(*_key())


def has_demo() -> bool:
    """Whether the demo programme is loaded."""
    return source().is_demo(None)

