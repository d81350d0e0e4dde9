"""Compare: every partner x factor in one wave, with the change since the previous wave."""
import streamlit as st

from app_pages.ui import downloads, links, pack_control, page, queries
from pipelines.present import charts, words
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label

asof, k, thresholds, waves = page.page_context(
    "Compare partners",
    "No survey responses yet, so there is nothing to compare. Load a pulse survey export on the Data page.")

SORTS = ["partner", "collaboration_index", *FACTORS]
SORT_LABELS = {"partner": "Partner name", **{f: factor_label(f) for f in SORTS[1:]}}
LINKS_SHOWN = 12  # partners; more than this get a chooser and one link

bad_wave = links.dropped_param("wave", waves)
bad_sort = links.dropped_param("sort", SORT_LABELS.values())
left, right = st.columns(2)
wave = left.selectbox("Survey wave", waves, index=len(waves) - 1, key="wave", bind="query-params",
                      help="The wave to compare. Arrows show the change since the wave before it.")
sort = right.selectbox("Sort partners by", SORTS, index=0, key="sort", bind="query-params",
                       format_func=SORT_LABELS.get,
                       help="Partner name (A to Z), or a score (highest first; partners not shown last).")
if bad_wave:
    links.bad_link_notice("wave", bad_wave, f"the latest wave, {waves[-1]}")
if bad_sort:
    links.bad_link_notice("sort order", bad_sort, "partners by name")
previous = queries.previous_wave(wave, asof=asof)
pack_control.steering_pack("compare")  # this view as PowerPoint or PDF

factors = queries.factor_scores(asof=asof)
index = queries.index_scores_shown(asof=asof)
changes = queries.changes(asof=asof)
cells = charts.heatmap_frame(factors[factors["wave"] == wave], index[index["wave"] == wave],
                             changes[changes["wave"] == wave], k)
if cells.empty:
    st.info(f"No partner answered the survey in {wave}.")
    st.stop()

if sort == "partner":
    order = sorted(cells["partner"].unique(), key=str.casefold)
else:
    ranked = cells[cells["factor"] == sort].sort_values(["score", "partner"], ascending=[False, True],
                                                        na_position="last", kind="stable")
    order = list(ranked["partner"])
    order += sorted(set(cells["partner"]) - set(order), key=str.casefold)

st.subheader(f"Partners × factors, {wave}")
st.caption(("Arrows: change since " + previous if previous else f"{wave} is the first wave: no change yet")
           + f". Hover a cell for its n and 95% interval. A grey cell is not shown: fewer than {k} "
             "responses, or hidden so a smaller group cannot be worked out by subtraction.")
event = downloads.show_chart(f"compare-{wave}", "heatmap", cells, tuple(order), thresholds, k,
                          key="heatmap", on_select="rerun")
picked = (event.selection.get("pick") or []) if event is not None else []
if picked and picked[0].get("partner"):
    st.switch_page("app_pages/partner.py", query_params=links.link_params(partner=picked[0]["partner"],
                                                                           wave=wave))

st.markdown("**Open a partner's profile:**")
if len(order) <= LINKS_SHOWN:
    columns = st.columns(min(len(order), 4) or 1)
    for n, name in enumerate(order):
        columns[n % len(columns)].page_link("app_pages/partner.py", label=name, icon=":material/apartment:",
                                        query_params=links.link_params(partner=name, wave=wave))
else:  # a wall of links helps nobody (and slows every rerun): choose, then open
    chooser, link = st.columns([3, 2], vertical_alignment="bottom")
    name = chooser.selectbox("Partner", order, key="open_partner", label_visibility="collapsed",
                             help="Partners in the order of the heatmap.")
    link.page_link("app_pages/partner.py", label=f"Open {name}", icon=":material/apartment:",
                   query_params=links.link_params(partner=name, wave=wave))

hidden = charts.suppressed_list(index[index["wave"] == wave])
if not hidden.empty:
    st.markdown("**Not shown in " + wave + ":**\n" + "\n".join(
        f"- **{p}**: {words.reason(r, k)}" for p, r in zip(hidden["partner"], hidden["suppression_reason"])))

# -- the same numbers as a table ------------------------------------------------------------
scores_wide = cells.pivot_table(index="partner", columns="column", values="score", aggfunc="first",
                                dropna=False)
columns = [factor_label(f) for f in (*FACTORS, "collaboration_index")]
scores_wide = scores_wide.reindex(index=order, columns=columns).round(1)
index_rows = cells[cells["factor"] == "collaboration_index"].set_index("partner").reindex(order)
table = scores_wide.reset_index().rename(columns={"partner": "Partner"})
table["Respondents"] = index_rows["n"].to_numpy()
table["Index change"] = index_rows["change"].round(1).to_numpy()
table["Not shown because"] = index_rows["suppression_reason"].map(lambda c: words.reason(c, k), na_action="ignore").to_numpy()
with st.expander("The same numbers as a table"):
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in columns})
    downloads.csv_download(table, f"compare-{wave}")
