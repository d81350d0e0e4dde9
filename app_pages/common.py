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


# -- shared controls: the as-of pin and the copy-link button ---------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def _versions(db: str, version: int) -> pd.DataFrame:
    return ingest.versions(cursor())


def asof() -> int | None:
    """The pinned data version of this view, or None for the latest data."""
    return st.session_state.get("asof")


def sidebar() -> None:
    """Controls every page shares: which data the view shows, and its link."""
    versions = _versions(*_key())
    labels = {int(v): label for v, label in zip(versions["version"], versions["label"])}
    requested = st.query_params.get("asof")
    with st.sidebar:
        st.selectbox("Data as of", [None, *labels], key="asof", bind="query-params",
                     format_func=lambda v: "Latest data" if v is None else labels[v],
                     help="Pin the view to the data as it was after one load, so later uploads do not "
                          "change what a shared link shows.")
        if requested and not st.session_state.get("asof") and not _is_known_version(requested, labels):
            st.warning(f"The link pins data version {requested}, which this programme does not have. "
                       "Showing the latest data instead.")
        current = data_version()
        if st.session_state.get("asof") is None:
            st.button("Pin to this data", icon=":material/push_pin:", on_click=_pin, args=(current,),
                      help="Adds the current data version to the link.", width="stretch")
        else:
            st.caption(f":material/push_pin: Pinned to {labels[st.session_state['asof']]}.")
            st.button("Show the latest data", on_click=_pin, args=(None,), width="stretch")
        copy_link_button()


def _is_known_version(text: str, labels: dict) -> bool:
    return text in labels.values()


def _pin(version: int | None) -> None:
    st.session_state["asof"] = version


def copy_link_button() -> None:
    """A button that copies the browser's own address: the URL already holds the whole view."""
    st.iframe("""
<style>
 button{font:14px 'Source Sans Pro',sans-serif;width:100%;padding:6px 10px;border-radius:8px;
        border:1px solid rgba(49,51,63,.2);background:#fff;cursor:pointer}
 button:hover{border-color:#0b6e99;color:#0b6e99}
</style>
<button id="copy" title="Copy a link that reopens exactly this view"><svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" style="vertical-align:-2px;margin-right:6px"><path d="M10 13a5 5 0 0 0 7.07 0l3-3a5 5 0 0 0-7.07-7.07l-1.5 1.5"/><path d="M14 11a5 5 0 0 0-7.07 0l-3 3a5 5 0 0 0 7.07 7.07l1.5-1.5"/></svg>Copy link to this view</button>
<script>
 const button = document.getElementById('copy');
 button.addEventListener('click', async () => {
   const label = button.innerHTML;
   const href = window.parent.location.href;
   try { await navigator.clipboard.writeText(href); button.textContent = 'Link copied'; }
   catch (e) { window.prompt('Copy this link:', href); }
   setTimeout(() => button.innerHTML = label, 2000);
 });
</script>""", height=42)


# ===================================================================================
# Dashboard queries, downloads and link checks (Overview, Partner profile, Compare).
# Every query result is cached by (database, data version, as-of, k, arguments): a load
# or undo bumps the data version, so pages see new data at once and warm reruns cost no
# query. Suppression reasons are spelled with the real k (scores.with_real_k).
# ===================================================================================
from pipelines import charts as _charts
from pipelines import evidence as _evidence
from pipelines import exports as _exports
from pipelines import settings as _settings


def anonymity_k() -> int:
    return _settings.anonymity_k()


def thresholds() -> tuple[float, float]:
    return _settings.band_thresholds()


def _qkey() -> tuple[str, int, int]:
    return (*_key(), anonymity_k())


@st.cache_data(show_spinner=False, max_entries=64)
def _factor_scores(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return scores.with_real_k(scores.factor_scores(cursor(), asof=asof, k=k), k)


def factor_scores(asof: int | None = None) -> pd.DataFrame:
    """Every partner and the programme x wave x factor (scores.factor_scores)."""
    return _factor_scores(*_qkey(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _index_scores_k(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return scores.with_real_k(scores.index_scores(cursor(), asof=asof, k=k), k)


def index_scores_shown(asof: int | None = None) -> pd.DataFrame:
    """scores.index_scores with reasons in plain words (the real k)."""
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
    return _charts.partner_colours(partners())


@st.cache_data(show_spinner=False, max_entries=64)
def _indicators(db: str, version: int, asof: int | None) -> pd.DataFrame:
    return _evidence.indicators(cursor(), asof=asof)


def indicators(asof: int | None = None) -> pd.DataFrame:
    """Delivery and issue indicators per partner x period (evidence.indicators)."""
    return _indicators(*_key(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _agreement(db: str, version: int, k: int, asof: int | None, wave: str | None) -> pd.DataFrame:
    return scores.with_real_k(_evidence.agreement(cursor(), asof=asof, wave=wave, k=k), k)


def agreement(asof: int | None = None, wave: str | None = None) -> pd.DataFrame:
    """Survey against evidence per partner x factor in one wave (evidence.agreement)."""
    return _agreement(*_qkey(), asof, wave)


def previous_wave(wave: str | None, asof: int | None = None) -> str | None:
    order = waves(asof)
    if wave not in order:
        return None
    at = order.index(wave)
    return order[at - 1] if at > 0 else None


# -- links: a bound widget whose URL value was not usable ------------------------------
def dropped_param(key: str, options) -> str | None:
    """The URL value of ``key`` when it is not one of ``options`` (as the URL spells them).

    Read-only: bound widgets drop an unusable value from the URL themselves; this only lets
    the page say so. Call before the widget is drawn."""
    requested = st.query_params.get(key)
    if requested in (None, ""):
        return None
    return None if requested in {str(o) for o in options} else requested


def bad_link_notice(what: str, value: str, fallback: str) -> None:
    pinned = " at the pinned data version" if asof() is not None else ""
    st.warning(f"The link asks for {what} **{value}**, which this programme does not have{pinned}. "
               f"Showing {fallback} instead.",
               icon=":material/link_off:")


def link_params(**values: str) -> dict[str, str]:
    """Query parameters for a link to another page that keeps this view's data pin.

    A bound selectbox spells its value in the URL as its label, so the pin is its label."""
    params = {key: str(value) for key, value in values.items() if value is not None}
    pinned = asof()
    if pinned is not None:
        versions = _versions(*_key())
        labels = dict(zip(versions["version"].astype(int), versions["label"]))
        if pinned in labels:
            params["asof"] = labels[pinned]
    return params


# -- downloads --------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def _chart_spec(builder: str, args: tuple, kwargs: dict) -> dict:
    """A chart's Vega-Lite spec, cached by its inputs: Altair's object building and
    validation cost far more than drawing, so a warm rerun reuses the spec."""
    return getattr(_charts, builder)(*args, **kwargs).to_dict()


def show_chart(name: str, builder: str, *args, key: str | None = None, on_select=None,
               downloads: bool = True, **kwargs):
    """Show ``pipelines.charts.<builder>(*args, **kwargs)``, with PNG and SVG downloads that
    are rendered only when clicked. Returns the selection event when ``on_select`` is set."""
    spec = _chart_spec(builder, args, kwargs)
    # theme=None keeps the charts' own projector-sized fonts and colours; the width is left
    # to Streamlit (stretch for single views, the chart's own for small multiples).
    options = {"theme": None}
    if on_select is not None:
        options.update(on_select=on_select, key=key)
    event = st.vega_lite_chart(spec, **options)
    if downloads:
        chart_downloads(spec, name)
    return event


def chart_downloads(chart, name: str) -> None:
    left, right, _ = st.columns([1, 1, 6], gap="small")
    left.download_button("PNG", data=lambda: _charts.to_png(chart), file_name=f"{name}.png",
                         mime="image/png", on_click="ignore", icon=":material/image:",
                         key=f"png-{name}", help="Download this chart as a PNG image")
    right.download_button("SVG", data=lambda: _charts.to_svg(chart), file_name=f"{name}.svg",
                          mime="image/svg+xml", on_click="ignore", icon=":material/draw:",
                          key=f"svg-{name}", help="Download this chart as an SVG (vector) image")


def csv_download(frame: pd.DataFrame, name: str, label: str = "CSV") -> None:
    """A CSV download of a table; cells Excel would run as formulas are neutralised."""
    st.download_button(label, data=lambda: _exports.to_csv_bytes(frame), file_name=f"{name}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:",
                       key=f"csv-{name}", help="Download this table as CSV")


def no_data(message: str) -> None:
    """Stop the page with a plain message (no survey data yet)."""
    st.warning(message, icon=":material/info:")
    try:  # a viewer who may not load data has no Data page to go to
        st.page_link("app_pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    except st.errors.StreamlitPageNotFoundError:
        pass
    st.stop()


# ===================================================================================
# Access (sign-in and editor gating). Owned by the hardening work; rules live in
# pipelines/access.py, this block only connects them to st.secrets / st.user / st.login.
# ===================================================================================
import json as _json

from pipelines import access as _access


def _secrets() -> dict:
    """The app's secrets, or {} when there is no secrets file (local mode)."""
    try:
        return {"auth": dict(st.secrets["auth"])} if "auth" in st.secrets else {}
    except Exception:  # no secrets.toml anywhere: Streamlit raises rather than returning empty
        return {}


def current_access() -> _access.Access:
    """Who is looking at this session: local mode, signed out, viewer or editor."""
    try:
        user = st.user.to_dict()
    except Exception:
        user = {}
    return _access.resolve(_secrets(), user)


def sign_in_page(who: _access.Access, page) -> None:
    """Signed-out visitors see only this; the view they asked for is reopened after sign-in."""
    target = _access.return_path(st.get_option("server.baseUrlPath") or "", page.url_path or "",
                                 st.query_params.to_dict())
    # Streamlit returns to the app's home after sign-in; remember the linked view in this
    # browser tab (sessionStorage) so resume_linked_view() can reopen it.
    record = _json.dumps(_json.dumps({"to": target})).replace("<", "\\u003c")  # a JS string literal
    st.html("<script>try{const r=JSON.parse(" + record + ");r.at=Date.now();"
            "sessionStorage.setItem('partnership.returnTo', JSON.stringify(r));}catch(e){}</script>",
            unsafe_allow_javascript=True)
    st.title("Partnership Health")
    st.write("This programme's dashboard is private. Sign in with your organisation account to see it.")
    if who.problem:
        st.error(who.problem)
    else:
        section = _access.auth_section(_secrets())
        if st.button("Sign in", type="primary", icon=":material/login:", key="sign_in"):
            st.login(_access.provider(section))
    st.stop()


def resume_linked_view() -> None:
    """After sign-in, reopen the link the visitor came with (once), instead of the home page."""
    st.html("""<script>
try {
  const saved = sessionStorage.getItem('partnership.returnTo');
  if (saved) {
    sessionStorage.removeItem('partnership.returnTo');
    const r = JSON.parse(saved), target = String(r.to || ''), fresh = Date.now() - r.at < 15 * 60 * 1000;
    const here = window.location.pathname + window.location.search;
    if (fresh && target.startsWith('/') && !target.startsWith('//') && target !== here) {
      window.location.replace(target);
    }
  }
} catch (e) {}
</script>""", unsafe_allow_javascript=True)


def access_sidebar(who: _access.Access) -> None:
    """Says who is signed in (or that the app runs in local mode), with a sign-out button."""
    with st.sidebar:
        st.caption(who.caption())
        if who.auth_enabled and not who.must_sign_in:
            st.button("Sign out", icon=":material/logout:", key="sign_out", on_click=st.logout)


# ===================================================================================
# Data page (upload, history, undo). Owned by the Data page work: cached reads of the
# load history and the partner names, keyed by the data version like everything above.
# ===================================================================================
@st.cache_data(show_spinner=False, max_entries=16)
def _load_history(db: str, version: int) -> pd.DataFrame:
    return ingest.history(cursor())


def load_history() -> pd.DataFrame:
    """Every batch, newest first (ingest.history)."""
    return _load_history(*_key())


@st.cache_data(show_spinner=False, max_entries=16)
def _partner_names(db: str, version: int) -> list[str]:
    return sorted(ingest.known_partners(cursor())[1].values())


def partner_names() -> list[str]:
    """The programme's own partner names, sorted."""
    return _partner_names(*_key())


def has_demo() -> bool:
    """Whether the demo programme is loaded."""
    return _is_demo(*_key())


# ===================================================================================
# What-if page. Owned by the what-if work: the fitted delivery model and the partners'
# current scores, cached by (database, data version, k, as-of) like everything above, so
# the model is fitted once per data version and a slider move costs no query.
# ===================================================================================
from pipelines import whatif as _whatif


@st.cache_data(show_spinner="Fitting the delivery model to this programme's history...",
               max_entries=16)
def _whatif_model(db: str, version: int, k: int, asof: int | None):
    return _whatif.fit(cursor(), asof=asof, k=k)


def whatif_model(asof: int | None = None):
    """whatif.FittedModel, or whatif.Declined when the history is too short."""
    return _whatif_model(*_qkey(), asof)


@st.cache_data(show_spinner=False, max_entries=64)
def _whatif_current(db: str, version: int, k: int, asof: int | None) -> pd.DataFrame:
    return _whatif.current_scores(cursor(), asof=asof, k=k)


def whatif_current(asof: int | None = None) -> pd.DataFrame:
    """Each partner's latest-wave factor scores (whatif.current_scores)."""
    return _whatif_current(*_qkey(), asof)


def can_edit() -> bool:
    """True when this session may open the Data page (local mode, or a signed-in editor).
    Guard every link to the Data page with it: st.page_link to a page not in this session's
    navigation raises StreamlitPageNotFoundError."""
    return current_access().can_edit
