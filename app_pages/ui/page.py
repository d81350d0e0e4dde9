"""The opening every browsing page shares (title, demo banner, pin, k, thresholds, waves), and
how the parts of a view model are drawn: metrics and lists with outside text kept as text."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import streamlit as st

from app_pages.ui import queries
from app_pages.ui.text import md
from pipelines.present.views.parts import Metric


def demo_banner() -> None:
    if queries.has_demo():
        from pipelines.programme.demo import DEMO_LABEL

        st.info(f"**{md(DEMO_LABEL)}.** Every number here is demo data. Remove it from the Data page, "
                "or with `python -m pipelines demo --remove`.", icon=":material/science:")


def pinned_notice() -> None:
    """On a pinned view (a pinned link), which data version it shows: the sidebar that says so is
    folded away on a narrow screen."""
    pinned = queries.asof()
    if pinned is not None:
        st.info(f"This view is pinned to version {int(pinned)}: {md(queries.source().in_words(pinned))}. Later "
                "loads and undos are not shown; choose *Latest data* under *Data as of* to see them.",
                icon=":material/push_pin:")


PINNED_BEFORE_DATA = ("This view is pinned to a data version from before {what} was loaded, so there is "
                      "nothing to show here. Choose \"Latest data\" under \"Data as of\" in the sidebar.")


def no_data(message: str, what: str = "the first survey export") -> None:
    """Stop the page with a plain message (no survey data yet); in a view pinned to a version
    from before the data, say so (loading more would not change that version)."""
    if queries.asof() is not None:
        st.warning(PINNED_BEFORE_DATA.format(what=what), icon=":material/info:")
        st.stop()
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
    pinned_notice()
    pinned = queries.asof()
    context = PageContext(pinned, queries.anonymity_k(), queries.thresholds(), queries.waves(asof=pinned))
    if no_partners is not None and queries.partners().empty:
        no_data(no_partners, "the partners list")
    if not context.waves:
        no_data(no_waves)
    return context


def metric(where, m: Metric) -> None:
    """A view model's metric in ``where`` (a column); every text of it kept as text.

    A metric's own label is cut short (…) on one line, and its large type fits a short figure
    but not a word in a third of a 1024 px page: so the label is written above it, wrapping, and
    any other value ("Transitioning", "not shown", "34.0 days") is a smaller heading under it."""
    box = where.container(gap=None)
    help_text = None if m.help is None else md(m.help)
    box.markdown(f":small[{md(m.label)}]", help=help_text)
    delta = None if m.delta is None else md(m.delta)
    if m.large:
        box.metric(md(m.label), md(m.value), delta=delta, delta_color=m.delta_color,
                   delta_arrow="auto" if m.arrow else "off", label_visibility="collapsed")
        return
    box.subheader(md(m.value), anchor=False)
    if delta is not None:
        box.caption(delta)


def listed(title: str, items: Sequence[tuple[str, str]]) -> None:
    """'**Title**' then one line per (name, what): the names in bold, all of it as text."""
    st.markdown(f"**{md(title)}**\n" + "\n".join(f"- **{md(name)}**: {md(what)}" for name, what in items))
