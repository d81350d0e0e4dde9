"""Links: the sidebar's as-of pin and copy-link control, link checks, links to other pages."""
from __future__ import annotations

import streamlit as st

from app_pages.ui import queries
from app_pages.ui.text import md
from pipelines.present import links


def sidebar(page) -> None:
    """Controls every page shares: which data the view shows, and its link. ``page``: the page
    ``st.navigation`` runs."""
    labels = queries.version_labels()
    requested = st.query_params.get("asof")
    _pin_by_number(page, requested, labels)
    with st.sidebar:
        st.selectbox("Data as of", [None, *labels], key="asof", bind="query-params",
                     format_func=lambda v: "Latest data" if v is None else labels[v],
                     help="Pin the view to the data as it was after one load, undo or edit (each named by "
                          "what it did), so later uploads do not change what a shared link shows.")
        if requested and not st.session_state.get("asof") and queries.pinned_version(requested) is None:
            st.warning(f"The link pins data version {md(requested)}, which this programme does not have. "
                       "Showing the latest data instead.")
        current = queries.data_version()
        if st.session_state.get("asof") is None:
            st.button("Pin to this data", icon=":material/push_pin:", on_click=_pin, args=(current,),
                      help="Adds the current data version to the link.", width="stretch")
        else:
            st.caption(f":material/push_pin: Pinned to {md(labels[st.session_state['asof']])}.")  # a file's name
            st.button("Show the latest data", on_click=_pin, args=(None,), width="stretch")
        copy_link_button()


def _pin_by_number(page, requested: str | None, labels: dict[int, str]) -> None:
    """Open the version a link names otherwise than by its label (by its number, typed by hand or
    as the CLI's ``--asof`` takes it: "12", "012"; by a label links were written with before),
    with the link spelling it by its label.

    The bound "Data as of" picker seeds itself only from its labels in the URL and drops anything
    else. On a session's first run (the picker not drawn yet) ``page`` is reopened with the
    label in the link, every other parameter kept; later (the picker bound, its parameter no
    longer settable) the picker is given the version, and writes its label into the URL."""
    if not requested or requested in labels.values():
        return
    version = queries.pinned_version(requested)
    if version is None:
        return  # the picker drops it; the sidebar says the programme has no such version
    if "asof" in st.session_state:
        st.session_state["asof"] = version
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params}  # repeated keys too (factors)
    st.switch_page(page, query_params=params | {"asof": labels[version]})


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
    """Say that the link's ``value`` for ``what`` was not usable and what is shown instead
    (the value, a stranger's text, shown as text)."""
    pinned = " at the pinned data version" if queries.asof() is not None else ""
    st.warning(f"The link asks for {what} **{md(value)}**, which this programme does not have{pinned}. "
               f"Showing {md(fallback)} instead.",
               icon=":material/link_off:")


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


def app_url(page: str) -> str | None:
    """The app's own address (st.context.url without the page's path), for the pack's links."""
    url = (st.context.url or "").split("?")[0].rstrip("/")
    if not url:
        return None
    path = "/" + links.PAGE_PATHS.get(page, page)
    return url[: -len(path)] if url.endswith(path) else url
