"""The pages' data: the process's Store and cached queries of the query layer.

Results are cached by (database, data version, as-of, k, arguments): a load or undo bumps the
data version, so every page sees new data at once and a rerun costs no query otherwise.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines import cli, settings
from pipelines.ingest import known_partners
from pipelines.present import charts
from pipelines.programme import bootstrap
from pipelines.query import evidence, scores, whatif
from pipelines.query.freshness import freshness as _freshness_of
from pipelines.store import Store, db_path, handoff, versions


@st.cache_resource(show_spinner="Opening the programme database...")
def _store(path: str) -> Store:
    store = Store(path)
    bootstrap.ensure_ready(store)
    if not store.is_lake:  # a lake is shared by every process; only a file is held by one
        # Commands run while the app holds the file are handed to this process (see handoff).
        handoff.JobRunner(store.path, lambda argv, out, err: cli.main(argv, store=store, out=out, err=err)).start()
    return store


def store() -> Store:
    return _store(str(db_path()))


def cursor():
    """A cursor for this script run: DuckDB cursors must not be shared across threads."""
    return store().cursor()


def data_version() -> int:
    return store().data_version()


def _key() -> tuple[str, int]:
    return str(db_path()), data_version()


@st.cache_data(show_spinner=False, max_entries=64)
def _index_scores(db: str, version: int, asof: int | None) -> pd.DataFrame:
    return scores.index_scores(cursor(), asof=asof)


def index_scores(asof: int | None = None) -> pd.DataFrame:
    return _index_scores(*_key(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _freshness(db: str, version: int, asof: int | None) -> pd.DataFrame:
    return _freshness_of(cursor(), asof)


def freshness(asof: int | None = None) -> pd.DataFrame:
    """Per dataset: live loads and the newest date in the data, as of ``asof`` (freshness.freshness)."""
    return _freshness(*_key(), asof)


@st.cache_data(show_spinner=False, max_entries=16)
def _is_demo(db: str, version: int) -> bool:
    return versions.is_demo(cursor())


# -- shared controls: the as-of pin and the copy-link button ---------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def _versions(db: str, version: int) -> pd.DataFrame:
    return versions.versions(cursor())


def asof() -> int | None:
    """The pinned data version of this view, or None for the latest data."""
    return st.session_state.get("asof")


def version_labels() -> dict[int, str]:
    """Every data version a view can be pinned to -> its label (as the URL spells it)."""
    versions = _versions(*_key())
    return {int(v): label for v, label in zip(versions["version"], versions["label"])}


def anonymity_k() -> int:
    return settings.anonymity_k()


def thresholds() -> tuple[float, float]:
    return settings.band_thresholds()


def _qkey() -> tuple[str, int, int]:
    return (*_key(), anonymity_k())


@st.cache_data(show_spinner=False, max_entries=64)
def _factor_scores(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return scores.factor_scores(cursor(), asof=asof, k=k)


def factor_scores(asof: int | None = None) -> pd.DataFrame:
    """Every partner and the programme x wave x factor (scores.factor_scores)."""
    return _factor_scores(*_qkey(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _index_scores_k(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return scores.index_scores(cursor(), asof=asof, k=k)


def index_scores_shown(asof: int | None = None) -> pd.DataFrame:
    """scores.index_scores at the configured k."""
    return _index_scores_k(*_qkey(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _changes(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return scores.changes(cursor(), asof=asof, k=k)


def changes(asof: int | None = None) -> pd.DataFrame:
    """Change since the previous wave of every group, factors and index."""
    return _changes(*_qkey(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _waves(db: str, version: int, asof: int | None) -> list[str]:
    return [str(w) for w in scores.waves(cursor(), asof)["wave"]]


def waves(asof: int | None = None) -> list[str]:
    """Survey waves, oldest first."""
    return _waves(*_key(), asof)


@st.cache_data(show_spinner=False, max_entries=16)
def _partners(db: str, version: int) -> pd.DataFrame:
    return scores.partners(cursor())


def partners() -> pd.DataFrame:
    """Every known partner: partner_id, name (ordered by name)."""
    return _partners(*_key())


def colours() -> dict[str, str]:
    """One colour per partner, the same on every page and chart."""
    return charts.partner_colours(partners())


@st.cache_data(show_spinner=False, max_entries=64)
def _indicators(db: str, version: int, asof: int | None) -> pd.DataFrame:
    return evidence.indicators(cursor(), asof=asof)


def indicators(asof: int | None = None) -> pd.DataFrame:
    """Delivery and issue indicators per partner x period (evidence.indicators)."""
    return _indicators(*_key(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _agreement(db: str, version: int, k: int, asof: int | None, wave: str | None) -> pd.DataFrame:
    return evidence.agreement(cursor(), asof=asof, wave=wave, k=k)


def agreement(asof: int | None = None, wave: str | None = None) -> pd.DataFrame:
    """Survey against evidence per partner x factor in one wave (evidence.agreement)."""
    return _agreement(*_qkey(), asof, wave)


def previous_wave(wave: str | None, asof: int | None = None) -> str | None:
    order = waves(asof)
    if wave not in order:
        return None
    at = order.index(wave)
    return order[at - 1] if at > 0 else None


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
    return _is_demo(*_key())


@st.cache_data(show_spinner="Fitting the delivery model to this programme's history...",
               max_entries=16)
def _whatif_model(db: str, version: int, k: int, asof: int | None):
    return whatif.fit(cursor(), asof=asof, k=k)


def whatif_model(asof: int | None = None):
    """whatif.FittedModel, or whatif.Declined when the history is too short."""
    return _whatif_model(*_qkey(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _whatif_current(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return whatif.current_scores(cursor(), asof=asof, k=k)


def whatif_current(asof: int | None = None) -> pd.DataFrame:
    """Each partner's latest-wave factor scores (whatif.current_scores)."""
    return _whatif_current(*_qkey(), asof)
