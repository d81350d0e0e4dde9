"""Compare: every partner x factor in one wave, with the change since the previous wave."""
import streamlit as st

from app_pages.ui import downloads, links, pack_control, page, queries
from app_pages.ui.text import md
from pipelines.present.links import COMPARE_PARTNER, SORTS, LinkState, sort_label
from pipelines.present.views.parts import HIDDEN_BECAUSE

asof, k, thresholds, waves = page.page_context(
    "Compare partners",
    "No survey responses yet, so there is nothing to compare. Load a pulse survey export on the Data page.")

LINKS_SHOWN = 12  # partners; more than this get a chooser and one link

names = [str(n) for n in queries.partners()["name"]]
bad_wave = links.dropped_param("wave", waves)
bad_sort = links.dropped_param("sort", [sort_label(s) for s in SORTS])
bad_partner = links.dropped_param(COMPARE_PARTNER, names)
left, right = st.columns(2)
wave = left.selectbox("Survey wave", waves, index=len(waves) - 1, key="wave", bind="query-params",
                      help="The wave to compare. Arrows show the change since the wave before it.")
sort = right.selectbox("Sort partners by", SORTS, index=0, key="sort", bind="query-params",
                       format_func=sort_label,
                       help="Partner name (A to Z), or a score (highest first; partners not shown last).")
if bad_wave:
    links.bad_link_notice("wave", bad_wave, f"the latest wave, {waves[-1]}")
if bad_sort:
    links.bad_link_notice("sort order", bad_sort, "partners by name")
if bad_partner:
    links.bad_link_notice("partner", bad_partner, "the partners with the most respondents")
pack_slot = st.container()  # the pack control above the tabs; it packs both
scores_tab, ratings_tab = st.tabs(["Partners \u00d7 factors", "Who rates whom"])
with ratings_tab:  # the matrix's partner is chosen before the view is built (the pack follows it)
    focus = st.selectbox("Always include", names, index=None, key=COMPARE_PARTNER, bind="query-params",
                         placeholder="The partners with the most respondents",
                         help="A partner the matrix always shows, with the partners with the most "
                              "respondents. The link keeps it.")
view = queries.view(LinkState(page="compare", wave=wave, sort=sort, asof=asof, partner=focus))
with pack_slot:
    pack_control.steering_pack(view)  # this view as PowerPoint or PDF

# -- who rates whom ----------------------------------------------------------------------------
ratings = view.ratings
with ratings_tab:
    if ratings.none:
        st.info(md(ratings.none))
    else:
        st.caption(md(ratings.caption))  # no subheader: the tab and the chart's title name it
        downloads.show_chart(f"ratings-{wave}", ratings.chart, table=downloads.Table("The matrix", ratings.matrix))
        for note in ratings.notes:
            st.caption(md(note))
        st.markdown(f"**{md(ratings.pairs_title)}**")
        if ratings.pairs is not None:
            numbers = st.column_config.TextColumn(alignment="right")  # the view's scores and gap, as text
            downloads.page_table(ratings.pairs, f"pairs-{wave}", csv=False,
                                 column_config=dict.fromkeys(ratings.pairs.columns[2:], numbers))

# -- partners x factors --------------------------------------------------------------------------
with scores_tab:
    if view.no_partners:
        st.info(md(view.no_partners))
        st.stop()
    st.caption(md(view.caption))  # no subheader: the tab and the chart's title name it
    # why a row is not shown: in the CSV, and on the page once, in the list under the partners' links
    # (a column of sentences put the table 47 px over at 1440 px)
    event = downloads.show_chart(f"compare-{wave}", view.heatmap, key="heatmap", on_select="rerun",
                                 table=downloads.Table("The same numbers", view.table, {
                                     **downloads.headers(view.table_headers),
                                     HIDDEN_BECAUSE: {"hidden": True}}))
    picked = (event.selection.get("pick") or []) if event is not None else []
    if picked and picked[0].get("partner") in view.partner_links:
        st.switch_page("app_pages/partner.py", query_params=view.partner_links[picked[0]["partner"]])

    st.markdown("**Open a partner's profile:**")
    if len(view.order) <= LINKS_SHOWN:
        row = st.container(horizontal=True, gap="small")  # each link as wide as its name, wrapping
        for name in view.order:
            row.page_link("app_pages/partner.py", label=md(name), icon=":material/apartment:",
                          query_params=view.partner_links[name], width="content")
    else:  # a wall of links helps nobody (and slows every rerun): choose, then open
        chooser, link = st.columns([3, 2], vertical_alignment="bottom")
        name = chooser.selectbox("Partner", view.order, key="open_partner", label_visibility="collapsed",
                                 help="Partners in the order of the heatmap.")
        link.page_link("app_pages/partner.py", label=f"Open {md(name)}", icon=":material/apartment:",
                       query_params=view.partner_links[name])

    if view.hidden:
        page.listed(view.hidden_title, view.hidden)
    if view.pending:
        page.listed(view.pending_title, view.pending)
