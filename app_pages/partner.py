"""Partner profile: one partner's five factors over time against the programme, with evidence."""
import pandas as pd
import streamlit as st

from app_pages.ui import downloads, links, pack_control, page, queries
from pipelines.present import charts, words
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
previous = queries.previous_wave(wave, asof=asof)

colours = queries.colours()
factors = queries.factor_scores(asof=asof)
index = queries.index_scores_shown(asof=asof)
changes = queries.changes(asof=asof)
mine = factors[factors["partner"].isin([partner, charts.PROGRAMME])]
my_index = index[index["partner"] == partner]
now = my_index[my_index["wave"] == wave]

# -- headline -----------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
if now.empty:
    c1.metric(f"Collaboration index, {wave}", "no responses")
    c2.metric("Band", "–")
    c3.metric("Respondents", "0")
elif bool(now["suppressed"].iloc[0]):
    reason = words.reason(now["suppression_reason"].iloc[0], k)
    c1.metric(f"Collaboration index, {wave}", "not shown", help=f"Not shown: {reason}.")
    c2.metric("Band", "not shown")
    c3.metric("Respondents", words.reason(now["suppression_reason"].iloc[0], k, words.Form.COUNT),
              help=f"Not shown: {reason}.")
else:
    row = now.iloc[0]
    change = changes[(changes["partner"] == partner) & (changes["wave"] == wave)
                     & (changes["factor"] == "collaboration_index")]
    page.index_metric(c1, wave, row, change, previous)
    c2.metric("Band", str(row["band"]).capitalize(), help=charts.band_labels(thresholds)[row["band"]])
    c3.metric("Respondents", int(row["n"]), help="Smallest number of respondents over the five factors.")

hidden_waves = my_index[my_index["suppressed"].astype(bool)]
if not hidden_waves.empty:
    listed = "; ".join(f"{w} ({words.reason(r, k)})" for w, r in zip(hidden_waves["wave"], hidden_waves["suppression_reason"]))
    st.markdown(f":material/visibility_off: **Not shown for {partner}:** {listed}. Those waves are "
                "marked ✕ on the charts, never drawn as zero.")
if my_index.empty:
    st.info(f"{partner} has no survey responses at this data version.")


# -- factors over time (a fragment: choosing factors reruns only this part) ------------------
@st.fragment
def factors_over_time() -> None:
    st.subheader("Five factors over time, against the programme")
    chosen = st.multiselect("Factors", list(FACTORS), default=list(FACTORS),
                            format_func=factor_label, key="factors", bind="query-params",
                            help="Which factors to draw. The link keeps the choice.")
    pack_control.steering_pack("partner")  # in the fragment, so the pack follows the factors chosen
    if not chosen:
        st.info("Choose at least one factor to draw.")
        return
    st.caption(f"{partner} (solid) and the programme (dashed), with 95% intervals (shaded). "
               f"✕ at the foot of a panel: a wave where {partner} is not shown (hover for why).")
    downloads.show_chart(f"factors-over-time-{partner}", "factors_over_time", mine, partner, colours, thresholds, k,
                      which=tuple(chosen), waves=tuple(waves))


factors_over_time()

# -- the chosen wave as a profile ---------------------------------------------------------------
st.subheader(f"Profile across the five factors, {wave}")
in_wave = mine[mine["wave"] == wave]
downloads.show_chart(f"profile-{partner}-{wave}", "factor_profile", in_wave, partner, colours, thresholds, k)

# -- evidence beside each factor -----------------------------------------------------------------
st.subheader(f"Evidence beside each factor, {wave}")
st.caption("Delivery and issue-log indicators for the same period, under the factor each corroborates; "
           "arrows compare with the previous wave. Where what people say and what the data shows "
           "disagree, it says so.")
evidence = charts.evidence_frame(queries.indicators(asof=asof), partner, wave, previous)
agreement = queries.agreement(asof=asof, wave=wave)
agreement = agreement[agreement["partner"] == partner].set_index("factor", drop=False)
my_changes = changes[(changes["partner"] == partner) & (changes["wave"] == wave)].set_index("factor")
for factor in FACTORS:
    with st.container(border=True):
        score_col, first_col, second_col, note_col = st.columns([1.1, 1, 1, 1.6], gap="medium")
        row = in_wave[(in_wave["partner"] == partner) & (in_wave["factor"] == factor)]
        label = factor_label(factor)
        if row.empty:
            score_col.metric(label, "no responses")
        elif bool(row["suppressed"].iloc[0]):
            reason = words.reason(row["suppression_reason"].iloc[0], k)
            score_col.metric(label, "not shown", help=f"Not shown: {reason}.")
            score_col.caption(reason.capitalize())
        else:
            r = row.iloc[0]
            delta = None
            if factor in my_changes.index and pd.notna(my_changes.loc[factor, "change"]):
                delta = f"{my_changes.loc[factor, 'change']:+.1f}"
            score_col.metric(label, f"{r['score']:.1f}", delta=delta,
                             help=f"Survey score, n = {int(r['n'])}, 95% interval {r['ci_low']:.1f} to "
                                  f"{r['ci_high']:.1f}.")
        for column, (_, ind) in zip((first_col, second_col), evidence[evidence["factor"] == factor].iterrows()):
            value = charts.format_indicator(ind["value"], ind["unit"])
            delta, colour = None, "inverse" if ind["good"] == "lower" else "normal"
            if pd.notna(ind["value"]) and pd.notna(ind["previous"]):
                diff = ind["value"] - ind["previous"]
                delta = (f"{diff * 100:+.0f} pts" if ind["unit"].startswith("share")
                         else f"{diff:+.1f} days" if ind["unit"] == "days" else f"{diff:+.0f}")
                if abs(diff) < 1e-9:
                    delta, colour = "no change", "off"
            count = "" if pd.isna(ind["count"]) else f" Based on {int(ind['count'])}."
            column.metric(ind["label"], value, delta=delta, delta_color=colour,
                          help=f"{ind['help']} {'Lower' if ind['good'] == 'lower' else 'Higher'} is "
                               f"better.{count}")
        with note_col:
            if factor in agreement.index:
                note = agreement.loc[factor]
                if bool(note["disagrees"]):
                    st.warning(f"Survey and evidence disagree: {words.agreement_note(note, k)}.",
                               icon=":material/compare_arrows:")
                else:
                    st.caption(f"{words.agreement_note(note, k)}.")

evidence_table = evidence.assign(factor=evidence["factor"].map(factor_label))[
    ["factor", "label", "value", "previous", "count", "good", "unit"]].rename(columns={
        "factor": "Factor", "label": "Indicator", "value": wave, "previous": previous or "previous wave",
        "count": "Based on", "good": "Better when", "unit": "Unit"})
downloads.csv_download(evidence_table, f"evidence-{partner}-{wave}", label="Evidence as CSV")

# -- respondents per wave -----------------------------------------------------------------------
st.subheader("Respondents per wave")
if not my_index.empty:
    downloads.show_chart(f"respondents-{partner}", "respondents_per_wave", my_index, partner, colours, k,
                      waves=tuple(waves))
    table = pd.DataFrame({
        "Wave": my_index["wave"].to_numpy(),
        "Respondents": my_index["n"].to_numpy(),
        "Collaboration index": my_index["score"].round(1).to_numpy(),
        "Not shown because": my_index["suppression_reason"].map(lambda c: words.reason(c, k), na_action="ignore").to_numpy(),
    })
    with st.expander("Scores per wave as a table"):
        st.dataframe(table, hide_index=True, width="stretch")
        downloads.csv_download(table, f"waves-{partner}")
