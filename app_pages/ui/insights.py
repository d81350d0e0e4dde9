"""How the parts of #25 that two pages share are drawn (present/views/insights.py builds them)."""
from __future__ import annotations

import streamlit as st

from app_pages.ui import downloads
from app_pages.ui.text import md
from pipelines.present.views.insights import RATE_HEADERS, Participation


def participation(part: Participation, name: str) -> None:
    """A participation part: heading, caption and its table with a CSV download (or what to load)."""
    st.subheader(md(part.title))
    st.caption(md(part.caption))
    if part.table is None:
        st.write(md(part.empty))
        return
    # the rate's cell holds its flag ("56% (below 60%)"): Streamlit's own measure cut it at 1024 px
    downloads.page_table(part.table, name, column_config={
        "Response rate": st.column_config.TextColumn(width=130), **downloads.headers(RATE_HEADERS)})
