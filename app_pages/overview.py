"""Overview: where every partner stands in a wave, who moved, what to look at, how fresh the data is."""
import streamlit as st

from app_pages.ui import downloads, insights, links, pack_control, page, queries
from app_pages.ui.text import md
from pipelines.present import words
from pipelines.present.links import LinkState
from pipelines.query.alerts import Kind

asof, k, thresholds, waves = page.page_context(
    "Partnership Health",
    "No survey responses yet, so there is nothing to score. Load a pulse survey export "
    "(and the partners, milestones and issue log) on the Data page.")

bad_wave = links.dropped_param("wave", waves)
# a width, not a column: a row of columns is three more elements in every session's run
wave = st.selectbox("Survey wave", waves, index=len(waves) - 1, key="wave", bind="query-params", width=240,
                    help="The wave the spectrum, movers and alerts describe. The link keeps it.")
if bad_wave:
    links.bad_link_notice("wave", bad_wave, f"the latest wave, {waves[-1]}")
view = queries.view(LinkState(page="overview", wave=wave, asof=asof))
pack_control.steering_pack(view)  # this view or the programme, as PowerPoint or PDF

# -- headline ---------------------------------------------------------------------------
for column, metric in zip(st.columns(3), view.headline):
    page.metric(column, metric)

# -- the spectrum -------------------------------------------------------------------------
st.subheader(md(view.spectrum_title))
st.caption("Each partner's collaboration index (dot) and its 95% interval (line), on one 0-100 scale; "
           "the programme is the grey diamond. Hover a dot for n and the change since the previous wave.")
if view.spectrum is None:
    st.warning(md(view.nothing_shown))
else:
    downloads.show_chart(f"spectrum-{wave}", view.spectrum)
if view.hidden:
    page.listed(view.hidden_title, view.hidden)
if view.pending:
    page.listed(view.pending_title, view.pending)
for line in view.participation.low:  # beside the scores those few people make
    st.warning(md(line), icon=":material/group_off:")

# -- participation ----------------------------------------------------------------------------
insights.participation(view.participation, f"participation-{wave}")

# -- movers and alerts ----------------------------------------------------------------------
# full width (beside the alerts, at 1024 px, the movers' key columns were behind a sideways scroll);
# the columns are the view's, as on its slide: from, to (each with its n), change (beyond noise?)
st.subheader("Biggest movers")
st.caption(md(view.movers_caption))
if view.movers is not None and view.movers.empty:
    st.write(view.no_movers)
elif view.movers is not None:
    numbers = st.column_config.TextColumn(alignment="right")
    downloads.page_table(view.movers, f"movers-{wave}", column_config={
        **{column: numbers for column in view.movers.columns[2:4]},
        "Change": st.column_config.TextColumn(alignment="right",
                                              help=f"Says \"beyond noise\" when {words.BEYOND_NOISE}.")})
st.subheader("Alerts")
icons = {Kind.FELL: ":material/trending_down:", Kind.DISAGREEMENT: ":material/compare_arrows:"}
if view.alerts:
    st.markdown("\n".join(f"- {icons[a.kind]} **{md(a.partner)}**: {md(a.text)}" for a in view.alerts))
else:
    st.write(md(view.no_alerts))

# -- the programme over time ---------------------------------------------------------------
st.subheader("Programme collaboration index over time")
downloads.show_chart("programme-index", view.index_over_time)

# -- freshness -------------------------------------------------------------------------------
st.subheader("Data freshness")
if view.freshness_caption:
    st.caption(md(view.freshness_caption))  # the pinned version's label names a file
if view.freshness.empty:
    st.write("Nothing loaded yet.")
else:
    downloads.page_table(view.freshness, "data-freshness", column_config={
        "Last loaded": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        words.LATEST_EVENT: st.column_config.TextColumn(help=words.LATEST_EVENT_HELP)})
