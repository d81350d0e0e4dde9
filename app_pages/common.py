"""Streamlit-only glue shared by the pages: the process's Store and cached queries.

Query results are cached by (database, data version, as-of): a load or undo bumps the
data version, so every page sees new data at once and reruns cost no query otherwise.
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from pipelines import bootstrap, cli, handoff, ingest, scores
from pipelines.freshness import freshness as _freshness_of
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


def version_labels() -> dict[int, str]:
    """Every data version a view can be pinned to -> its label (as the URL spells it)."""
    versions = _versions(*_key())
    return {int(v): label for v, label in zip(versions["version"], versions["label"])}


def sidebar() -> None:
    """Controls every page shares: which data the view shows, and its link."""
    labels = version_labels()
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
        labels = version_labels()
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
    row = st.container(horizontal=True, gap="small")  # buttons keep their width in narrow columns
    row.download_button("PNG", data=lambda: _charts.to_png(chart), file_name=f"{name}.png",
                         mime="image/png", on_click="ignore", icon=":material/image:",
                         key=f"png-{name}", help="Download this chart as a PNG image")
    row.download_button("SVG", data=lambda: _charts.to_svg(chart), file_name=f"{name}.svg",
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


class PageContext(NamedTuple):
    """What a browsing page needs before its controls (a tuple, so pages unpack it)."""
    asof: int | None
    k: int
    thresholds: tuple[float, float]
    waves: list[str]


def page_context(title: str, no_waves: str, *, no_partners: str | None = None) -> PageContext:
    """The opening of Overview, Partner profile and Compare: the title, the demo banner, and
    the view's pin, k, band thresholds and waves. Stops the page with ``no_partners`` when it
    is given and no partner is known, then with ``no_waves`` when there are no survey waves."""
    st.title(title)
    demo_banner()
    pinned = asof()
    context = PageContext(pinned, anonymity_k(), thresholds(), waves(asof=pinned))
    if no_partners is not None and partners().empty:
        no_data(no_partners)
    if not context.waves:
        no_data(no_waves)
    return context


def index_metric(where, wave: str, row: pd.Series, change: pd.DataFrame, previous: str | None, *,
                 programme: bool = False) -> None:
    """A shown collaboration index in ``where`` (a column), with its change since ``previous``
    when ``change`` (the group's index row of ``changes()`` in ``wave``) has one."""
    delta = None
    if not change.empty and pd.notna(change["change"].iloc[0]):
        delta = f"{change['change'].iloc[0]:+.1f} since {previous}"
    who = f"Programme, all partners: n = {int(row['n'])} respondents" if programme else f"n = {int(row['n'])}"
    where.metric(f"Collaboration index, {wave}", f"{row['score']:.1f}", delta=delta,
                 help=f"{who} (smallest factor), 95% interval {row['ci_low']:.1f} to {row['ci_high']:.1f}.")


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
    base = st.get_option("server.baseUrlPath") or ""
    target = _access.return_path(base, page.url_path or "", st.query_params.to_dict())
    # Streamlit returns to the app's home after sign-in; remember the linked view in this
    # browser tab (sessionStorage) so resume_linked_view() can reopen it. A sign-in that fails
    # or is cancelled at the provider also comes back to the home page, signed out: the bare
    # home page must then not replace a link remembered in the last 15 minutes, or the retry
    # would lose it.
    record = _json.dumps(_json.dumps({"to": target})).replace("<", "\\u003c")  # a JS string literal
    home = _json.dumps(_access.return_path(base, "", {})).replace("<", "\\u003c")
    st.html("<script>try{const r=JSON.parse(" + record + ");r.at=Date.now();"
            "const k='partnership.returnTo',old=JSON.parse(sessionStorage.getItem(k)||'null');"
            # no "<" followed by a letter, digit, "/" or "!" in the script: DOMPurify (st.html)
            # drops a script whose text looks like markup
            "const kept=old&&old.to&&old.to!==r.to&&r.to===" + home + "&&15*60*1000>r.at-old.at;"
            "if(!kept){sessionStorage.setItem(k,JSON.stringify(r));}}catch(e){}</script>",
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


# ===================================================================================
# Steering pack (issue 9). The one "Steering pack" control of Overview, Partner profile,
# Compare and What-if: the view on screen (or the programme pack) as PowerPoint or PDF,
# built by pipelines.pack only when asked ("Prepare"), cached by (database, data version,
# k, view, format, app address, day). The view is read from the session-state keys the
# page's bound widgets hold (ARCHITECTURE.md: Pages and links), so the pack shows exactly
# what the link shows. Call it after the page's last view-defining widget, inside the
# same fragment when that widget lives in one (else a fragment rerun leaves it stale).
# ===================================================================================
import dataclasses as _dataclasses
import json as _pack_json
from datetime import date as _date
from urllib.parse import parse_qs as _parse_qs, urlparse as _urlparse

from pipelines import pack as _pack

PACK_FORMATS = {"pptx": "PowerPoint", "pdf": "PDF"}
_PACK_MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
              "pdf": "application/pdf"}
_PACK_READY = "pack_ready"    # session key: the signature of the pack the user asked for
_WHATIF_KEPT = "wi_kept"      # the What-if page's kept scenarios (each with its own link)


def _state_scenario() -> _pack.Scenario | None:
    """The What-if sliders as a scenario (wi_partner, d_<factor>, w_<factor>)."""
    partner = st.session_state.get("wi_partner")
    if not partner:
        return None
    default = _settings.index_weights()
    deltas = {f: float(st.session_state.get(f"d_{f}", 0) or 0) for f in _settings.FACTORS}
    weights = {f: float(st.session_state.get(f"w_{f}", default[f])) for f in _settings.FACTORS}
    same = all(abs(weights[f] - default[f]) < 1e-9 for f in _settings.FACTORS)
    return _pack.Scenario(str(partner), {f: d for f, d in deltas.items() if d}, None if same else weights)


def kept_scenarios() -> tuple[_pack.Scenario, ...]:
    """The What-if page's kept scenarios, read back from their links."""
    found: list[_pack.Scenario] = []
    for snapshot in st.session_state.get(_WHATIF_KEPT, []):
        params = _parse_qs(_urlparse(str(snapshot.get("Link", ""))).query)
        try:
            found += _pack.PackView.from_query_params("what-if", params, cursor=cursor()).scenarios
        except ValueError:  # a link to a version or partner this data no longer has
            continue
    return tuple(found)


def pack_view(page: str, *, programme: bool = False, kept: bool = False) -> _pack.PackView:
    """The pack of ``page``'s current state, or the programme pack (at the page's wave, with
    the kept what-if scenarios when ``kept``)."""
    state = st.session_state
    wave = state.get("wave") if page in ("overview", "partner", "compare") else None
    if programme:
        return _pack.PackView(page="programme", wave=wave, asof=asof(),
                              scenarios=kept_scenarios() if kept else ())
    if page == "overview":
        return _pack.PackView(page="overview", wave=wave, asof=asof())
    if page == "partner":
        factors = state.get("factors")
        return _pack.PackView(page="partner", partner=state.get("partner"), wave=wave, asof=asof(),
                              factors=tuple(factors) if factors else None)
    if page == "compare":
        return _pack.PackView(page="compare", wave=wave, sort=state.get("sort"), asof=asof())
    if page == "what-if":
        scenario = _state_scenario()
        return _pack.PackView(page="what-if", asof=asof(), scenarios=(scenario,) if scenario else ())
    raise ValueError(f"No steering pack for the page '{page}'.")


def _view_key(view: _pack.PackView) -> str:
    return _pack_json.dumps(_dataclasses.asdict(view), sort_keys=True, default=str)


def app_url(page: str) -> str | None:
    """The app's own address (st.context.url without the page's path), for the pack's links."""
    url = (st.context.url or "").split("?")[0].rstrip("/")
    if not url:
        return None
    path = "/" + _pack.PAGE_PATHS.get(page, page)
    return url[: -len(path)] if url.endswith(path) else url


@st.cache_data(show_spinner=False, max_entries=12)
def _pack_bytes(db: str, version: int, k: int, view_key: str, fmt: str, base_url: str | None,
                today: str, _view: _pack.PackView) -> bytes:
    return _pack.build_pack(cursor(), view=_view, fmt=fmt, base_url=base_url,
                            today=_date.fromisoformat(today))


def pack_bytes(view: _pack.PackView, fmt: str, base_url: str | None = None) -> bytes:
    """The pack's bytes (pipelines.pack.build_pack), cached per view, data version and format."""
    return _pack_bytes(*_qkey(), _view_key(view), fmt, base_url, _date.today().isoformat(), view)


def _pack_summary(view: _pack.PackView) -> str:
    parts = [_pack.PAGE_TITLES[view.page]]
    if view.page == "partner" and view.partner:
        parts.append(view.partner)
    if view.wave:
        parts.append(f"wave {view.wave}")
    if view.page == "partner":
        parts.append("all five factors" if not view.factors or len(view.factors) == len(_settings.FACTORS)
                     else ", ".join(_charts.factor_label(f) for f in view.factors))
    if view.page == "compare" and view.sort:
        parts.append(f"sorted by {'partner name' if view.sort == 'partner' else _charts.factor_label(view.sort).lower()}")
    if view.page == "what-if" and view.scenarios:
        parts.append(view.scenarios[0].partner)
    if view.page == "programme" and view.scenarios:
        parts.append(f"{len(view.scenarios)} what-if scenario{'s' if len(view.scenarios) != 1 else ''}")
    parts.append("latest data" if view.asof is None else f"pinned to version {view.asof}")
    return " · ".join(parts)


def steering_pack(page: str) -> None:
    """The "Steering pack" popover: what to include, the format, Prepare, then Download."""
    with st.popover("Steering pack", icon=":material/slideshow:",
                    help="This view as slides (PowerPoint) or a PDF for the steering meeting: every "
                         "chart and table with its filters, data version, n and a link back here."):
        programme = kept = False
        if page in ("overview", "what-if"):
            this = "This view" if page == "overview" else "This scenario"
            programme = st.radio("What to include", ["view", "programme"], key="pack_scope",
                                 format_func={"view": this, "programme": "The whole programme pack"}.get,
                                 help="The programme pack: cover, index over time, spectrum, heatmap, "
                                      "movers, one slide per partner and the scores appendix.") == "programme"
        if page == "what-if":
            count = len(st.session_state.get(_WHATIF_KEPT, []))
            kept = st.checkbox(f"Include the kept scenarios ({count})", value=True, key="pack_kept",
                               disabled=not programme or count == 0,
                               help="Adds a section per scenario kept below to the programme pack.")
        fmt = st.radio("Format", list(PACK_FORMATS), format_func=PACK_FORMATS.get, horizontal=True,
                       key="pack_format")
        if page == "partner" and st.session_state.get("factors") == []:
            st.caption("Choose at least one factor to make a pack of this view.")
            return
        try:
            view = pack_view(page, programme=programme, kept=kept)
        except ValueError as problem:
            st.warning(str(problem), icon=":material/error:")
            return
        st.caption(_pack_summary(view))
        base_url = app_url(page)
        signature = _pack_json.dumps([_view_key(view), fmt, base_url])
        if st.button("Prepare", key="pack_prepare", icon=":material/build:", type="primary",
                     help="Builds the file from the data on screen (a few seconds; the whole "
                          "programme takes longer)."):
            st.session_state[_PACK_READY] = signature
        if st.session_state.get(_PACK_READY) != signature:
            return
        what = "the programme pack" if view.page == "programme" else "the pack of this view"
        with st.spinner(f"Building {what} as {PACK_FORMATS[fmt]}..."):
            try:
                data = pack_bytes(view, fmt, base_url)
            except ValueError as problem:
                st.error(f"The pack could not be built: {problem}", icon=":material/error:")
                return
        st.download_button(f"Download {PACK_FORMATS[fmt]}", data=data, file_name=_pack.pack_filename(view, fmt),
                           mime=_PACK_MIME[fmt], on_click="ignore", key="pack_download",
                           icon=":material/download:", type="primary")
