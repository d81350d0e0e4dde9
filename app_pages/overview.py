"""Overview: where every partner stands in a wave, who moved, what to look at, how fresh the data is."""
import streamlit as st

from app_pages.ui import downloads, links, pack_control, page, queries
from pipelines.present import charts, words
from pipelines.programme.factors import label as factor_label

asof, k, thresholds, waves = page.page_context(
    "Partnership Health",
    "No survey responses yet, so there is nothing to score. Load a pulse survey export "
    "(and the partners, milestones and issue log) on the Data page.")

bad_wave = links.dropped_param("wave", waves)
wave = st.columns([1, 2])[0].selectbox("Survey wave", waves, index=len(waves) - 1, key="wave", bind="query-params",
                    help="The wave the spectrum, movers and alerts describe. The link keeps it.")
if bad_wave:
    links.bad_link_notice("wave", bad_wave, f"the latest wave, {waves[-1]}")
previous = queries.previous_wave(wave, asof=asof)
pack_control.steering_pack("overview")  # this view or the programme, as PowerPoint or PDF

index = queries.index_scores_shown(asof=asof)
changes = queries.changes(asof=asof)
colours = queries.colours()
in_wave = index[index["wave"] == wave]
changes_in_wave = changes[changes["wave"] == wave]
programme = in_wave[in_wave["partner_id"].isna()]
programme_change = changes_in_wave[changes_in_wave["partner_id"].isna()
                                   & (changes_in_wave["factor"] == "collaboration_index")]

# -- headline ---------------------------------------------------------------------------
left, middle, right = st.columns(3)
if not programme.empty and not bool(programme["suppressed"].iloc[0]):
    row = programme.iloc[0]
    page.index_metric(left, wave, row, programme_change, previous, programme=True)
    middle.metric("Programme band", str(row["band"]).capitalize(),
                  help=charts.band_labels(thresholds)[row["band"]])
else:
    reason = words.reason(programme["suppression_reason"].iloc[0], k) if not programme.empty else "no responses"
    left.metric(f"Collaboration index, {wave}", "not shown", help=f"Not shown: {reason}.")
    middle.metric("Programme band", "not shown")
partner_rows = in_wave[in_wave["partner_id"].notna()]
shown_partners = int((~partner_rows["suppressed"].astype(bool)).sum())
right.metric("Partners shown", f"{shown_partners} of {len(partner_rows)}",
             help=f"A partner is shown when every factor has at least {k} responses and it cannot "
                  "be worked out from the others.")

# -- the spectrum -------------------------------------------------------------------------
st.subheader(f"From cooperation to collaboration, {wave}")
st.caption("Each partner's collaboration index (dot) and its 95% interval (line), on one 0-100 scale; "
           "the programme is the grey diamond. Hover a dot for n and the change since the previous wave.")
shown_rows = in_wave[~in_wave["suppressed"].astype(bool)]
if shown_rows.empty:
    st.warning(f"No group can be shown for {wave}: every partner (and the programme) has fewer than "
               f"{k} responses on some factor, or is hidden to protect one that has.")
else:
    downloads.show_chart(f"spectrum-{wave}", "spectrum", in_wave, colours, thresholds, k, changes=changes_in_wave)
hidden = charts.suppressed_list(in_wave)
if not hidden.empty:
    lines = "\n".join(f"- **{p}**: {words.reason(r, k)}" for p, r in zip(hidden["partner"], hidden["suppression_reason"]))
    st.markdown(f"**Not shown in {wave}:**\n{lines}")

# -- movers and alerts ----------------------------------------------------------------------
movers_col, alerts_col = st.columns([2, 1], gap="medium")  # the movers table needs the width
with movers_col:
    st.subheader("Biggest movers")
    if previous is None:
        st.caption(f"{wave} is the first wave: there is nothing to compare it with yet.")
    else:
        movers = charts.movers(changes, wave)
        st.caption(f"Largest changes since {previous} among shown partners (index and factors). "
                   "'Beyond noise': the change is larger than both waves' sampling uncertainty allows.")
        if movers.empty:
            st.write("No partner is shown in both waves, so no change can be given.")
        else:
            # Fixed widths for the short columns, so the last one is readable beside the alerts.
            st.dataframe(movers, hide_index=True, width="stretch", column_config={
                "Change": st.column_config.NumberColumn(format="%+.1f", width=62),
                "Beyond noise": st.column_config.TextColumn(
                    width=100, help="Is the change larger than the two waves' 95% uncertainty allows?"),
                "From": st.column_config.NumberColumn(format="%.1f", width=50),
                "To": st.column_config.NumberColumn(format="%.1f", width=50)})
            downloads.csv_download(movers, f"movers-{wave}")
with alerts_col:
    st.subheader("Alerts")
    alerts = []
    for _, row in charts.falls(changes, wave).iterrows():
        alerts.append(f":material/trending_down: **{row['partner']}**: {factor_label(row['factor']).lower()} "
                      f"fell {abs(row['change']):.1f} points since {row['previous_wave']} "
                      f"({row['previous_score']:.1f} to {row['score']:.1f}), beyond its uncertainty.")
    agreement = queries.agreement(asof=asof, wave=wave)
    for _, row in agreement[agreement["disagrees"]].iterrows():
        alerts.append(f":material/compare_arrows: **{row['partner']}**, "
                      f"{factor_label(row['factor']).lower()}: survey and evidence disagree. "
                      f"{words.agreement_note(row, k)}.")
    if alerts:
        st.markdown("\n".join(f"- {a}" for a in alerts))
    else:
        st.write(f"Nothing to flag in {wave}: no factor fell beyond its uncertainty, and survey and "
                 "delivery evidence do not markedly disagree for any partner.")

# -- the programme over time ---------------------------------------------------------------
st.subheader("Programme collaboration index over time")
downloads.show_chart("programme-index", "index_over_time", index, thresholds, k, waves=waves)

# -- freshness -------------------------------------------------------------------------------
st.subheader("Data freshness")
fresh = queries.freshness(asof=asof)
if asof is not None:
    st.caption(f"As the data stood at {queries.version_labels().get(asof, f'version {asof}')}, the "
               "pinned version: later loads and undos are not counted.")
if fresh.empty:
    st.write("Nothing loaded yet.")
else:
    table = fresh.rename(columns={"dataset": "Dataset", "last_loaded": "Last loaded",
                                  "batches": "Loads", "newest_data": "Newest date in the data"})
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Last loaded": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "Newest date in the data": st.column_config.DateColumn(format="YYYY-MM-DD")})
    downloads.csv_download(table, "data-freshness")
