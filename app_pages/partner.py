"""Partner profile: one partner's five factors over time against the programme, with evidence."""
from dataclasses import replace

import streamlit as st

from app_pages.ui import actions, downloads, insights, links, pack_control, page, queries
from app_pages.ui.text import md
from pipelines.present.links import LinkState
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label

asof, k, thresholds, waves = page.page_context(
    "Partner profile",
    "No survey responses yet, so there is no profile to draw. Load a pulse survey export on the Data page.",
    no_partners="No partners yet. Load the partners list or a pulse survey export on the Data page.")
names = [str(n) for n in queries.partners()["name"]]

bad_partner = links.dropped_param("partner", names)
bad_wave = links.dropped_param("wave", waves)
left, right = st.columns([2, 1])
partner = left.selectbox("Partner", names, index=0, key="partner", bind="query-params",
                         help="The partner organisation this page profiles. The link keeps it.")
wave = right.selectbox("Survey wave", waves, index=len(waves) - 1, key="wave", bind="query-params",
                       help="The wave of the profile and the evidence below.")
if bad_partner:
    links.bad_link_notice("partner", bad_partner, f"the first partner, {names[0]}")
if bad_wave:
    links.bad_link_notice("wave", bad_wave, f"the latest wave, {waves[-1]}")
# the factors chosen below (none yet on a first run): one view model serves the page and its fragment
state = LinkState(page="partner", partner=partner, wave=wave, asof=asof,
                  factors=tuple(st.session_state.get("factors") or ()) or None)
view = queries.view(state)

# -- headline -----------------------------------------------------------------------------
for column, metric in zip(st.columns(3), view.headline):
    page.metric(column, metric)
if view.hidden_waves:
    listed = "; ".join(f"{md(w)} ({md(why)})" for w, why in view.hidden_listed)
    st.markdown(f":material/visibility_off: **{md(view.hidden_title)}** {listed}. {md(view.hidden_tail)}")
if view.no_responses:
    st.info(md(view.no_responses))
for line in view.participation.low:  # beside the scores those few people make
    st.warning(md(line), icon=":material/group_off:")


# -- factors over time (a fragment: choosing factors reruns only this part) ------------------
@st.fragment
def factors_over_time() -> None:
    st.subheader("Five factors over time, against the programme")
    chosen = st.multiselect("Factors", list(FACTORS), default=list(FACTORS),
                            format_func=factor_label, key="factors", bind="query-params",
                            help="Which factors to draw. The link keeps the choice.")
    if not chosen:
        pack_control.steering_pack(None)  # says why there is no pack of no factors
        st.info("Choose at least one factor to draw.")
        return
    chosen_view = view if state.factors == tuple(chosen) else queries.view(replace(state, factors=tuple(chosen)))
    pack_control.steering_pack(chosen_view)  # in the fragment, so the pack follows the factors chosen
    st.caption(md(chosen_view.factors_caption))
    downloads.show_chart(f"factors-over-time-{partner}", chosen_view.factors_over_time)


factors_over_time()

# -- the chosen wave as a profile ---------------------------------------------------------------
st.subheader(md(view.profile_title))
downloads.show_chart(f"profile-{partner}-{wave}", view.profile)

# -- evidence beside each factor -----------------------------------------------------------------
st.subheader(md(view.evidence_title))
st.caption(md(view.evidence_caption))
for factor, evidence in view.evidence:
    with st.container(border=True):
        # the note under the figures, across the card: a fourth column left each a narrow strip at 1024 px
        score_col, first_col, second_col = st.columns(3, gap="medium")
        page.metric(score_col, evidence.score)
        if evidence.score_caption:
            score_col.caption(md(evidence.score_caption))
        for column, indicator, counts in zip((first_col, second_col), evidence.indicators, evidence.counts):
            page.metric(column, indicator)
            column.caption(md(counts))
        if evidence.note and evidence.disagrees:
            st.warning(f"Survey and evidence disagree: {md(evidence.note)}.", icon=":material/compare_arrows:")
        elif evidence.note:
            st.caption(f"{md(evidence.note)}.")
        for line in view.actions.by_factor.get(factor, ()):  # the open actions agreed on this factor
            st.markdown(f":material/assignment: **Agreed action:** {md(line)}")
downloads.csv_download(view.evidence_table, f"evidence-{partner}-{wave}", label="Evidence as CSV")

# -- respondents per wave -----------------------------------------------------------------------
st.subheader("Respondents per wave")
if view.respondents is not None:
    downloads.show_chart(f"waves-{partner}", view.respondents,
                         table=downloads.Table("Scores per wave", view.waves_table))

# -- participation over the waves ---------------------------------------------------------------
insights.participation(view.participation, f"participation-{partner}")

# -- agreed actions -----------------------------------------------------------------------------
st.subheader(md(view.actions.title))
st.caption(md(view.actions.note))
if view.actions.table is not None:
    downloads.page_table(view.actions.table, f"actions-{partner}", first=("Action", "Status"))
actions.editor(partner, asof)  # agree, edit or close one (editors, latest data)

# -- question by question -----------------------------------------------------------------------
st.subheader(md(view.items.title))
st.caption(md(view.items.caption))
if view.items.table is not None:
    downloads.page_table(view.items.table, f"items-{partner}-{wave}", first=("Question", partner, "Programme"))

# -- what people wrote ----------------------------------------------------------------------------
st.subheader(md(view.comments.title))
st.caption(md(view.comments.note))
for question, texts in view.comments.by_question:
    with st.container(border=True):
        st.markdown(f"**{md(question)}**\n" + "\n".join(f"- {md(text)}" for text in texts))
