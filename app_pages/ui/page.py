"""The opening every browsing page shares: title, demo banner, pin, k, thresholds, waves."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from app_pages.ui import queries


def demo_banner() -> None:
    if queries._is_demo(*queries._key()):
        from pipelines.programme.demo import DEMO_LABEL

        st.info(f"**{DEMO_LABEL}.** Every number here is demo data. Remove it from the Data page, "
                "or with `python -m pipelines demo --remove`.", icon=":material/science:")


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
    pinned = queries.asof()
    context = PageContext(pinned, queries.anonymity_k(), queries.thresholds(), queries.waves(asof=pinned))
    if no_partners is not None and queries.partners().empty:
        no_data(no_partners)
    if not context.waves:
        no_data(no_waves)
    return context


def index_metric(where, wave: str, row: pd.Series, change: pd.DataFrame, previous: str | None, *,
                 programme: bool = False) -> None:
    """A shown collaboration index in ``where`` (a column), with its change since ``previous``
    when ``change`` (the group's index row of ``queries.changes()`` in ``wave``) has one."""
    delta = None
    if not change.empty and pd.notna(change["change"].iloc[0]):
        delta = f"{change['change'].iloc[0]:+.1f} since {previous}"
    who = f"Programme, all partners: n = {int(row['n'])} respondents" if programme else f"n = {int(row['n'])}"
    where.metric(f"Collaboration index, {wave}", f"{row['score']:.1f}", delta=delta,
                 help=f"{who} (smallest factor), 95% interval {row['ci_low']:.1f} to {row['ci_high']:.1f}.")
