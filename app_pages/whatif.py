"""What-if: move a partner's factor scores (and the index weights) and see its projected
index, its place among the partners, and what this programme's history says about
delivery in the next period. Every slider is in the URL, so a scenario is a link."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.ui import downloads, links, pack_control, page, queries
from app_pages.ui.text import md
from pipelines import settings
from pipelines.present import whatif_strip
from pipelines.present.links import LinkState, Scenario, join
from pipelines.present.views.whatif import NOT_SHOWN, SCENARIO, partner_scores, slider_note
from pipelines.programme.factors import FACTOR_LABELS, FACTORS
from pipelines.query import whatif

LOW, HIGH = whatif.DELTA_RANGE
MAX_KEPT = 3
KEPT = "wi_kept"
DEFAULT_WEIGHTS = settings.index_weights()

st.title("What-if")
st.caption("Move a partner's factor scores and see what would follow: its collaboration index "
           "and band at once, and the delivery the programme's own history associates with "
           "scores like that. Every slider is in the link.")
page.demo_banner()
page.pinned_notice()

ASOF = queries.asof()
if queries.source().whatif_current(ASOF)["wave"].isna().all():
    page.no_data("No survey responses yet, so there is nothing to move. Load a pulse survey export "
                 "on the Data page.")
BASE = queries.view(LinkState(page="what-if", asof=ASOF))  # the partners, the wave, the model


def scenario(partner: str) -> Scenario:
    """The sliders' scenario for ``partner`` (read after the sliders are drawn)."""
    deltas = {f: int(st.session_state.get(f"d_{f}", 0) or 0) for f in FACTORS}
    weights = {f: float(st.session_state.get(f"w_{f}", DEFAULT_WEIGHTS[f])) for f in FACTORS}
    same = all(abs(weights[f] - DEFAULT_WEIGHTS[f]) < 1e-9 for f in FACTORS)
    return Scenario(partner, {f: d for f, d in deltas.items() if d}, None if same else weights)


# -- keeping scenarios -----------------------------------------------------------------

def keep(snapshot: dict) -> None:
    kept = [s for s in st.session_state.get(KEPT, []) if s["Link"] != snapshot["Link"]]
    st.session_state[KEPT] = (kept + [snapshot])[-MAX_KEPT:]


def clear_kept() -> None:
    st.session_state[KEPT] = []


def reset_sliders() -> None:
    for f in FACTORS:
        st.session_state[f"d_{f}"] = 0
        st.session_state[f"w_{f}"] = DEFAULT_WEIGHTS[f]


# -- the page: the partner and the weights rerun all of it -----------------------------

def page_frame() -> None:
    """The partner, the weights and the page's frame (a change reruns the whole page), and the
    slots the fragment writes into: a slider step then re-sends only what it changes."""
    names = list(BASE.partners)
    bad_partner = links.dropped_param("wi_partner", names)
    top = st.columns([3, 1], vertical_alignment="bottom")
    partner = top[0].selectbox("Partner", names, index=names.index(BASE.default_partner), key="wi_partner",
                               bind="query-params",
                               help="Whose factor scores to move. Scores are from the latest wave, "
                                    f"{md(BASE.wave)}.")
    top[1].button("Reset sliders", icon=":material/restart_alt:", on_click=reset_sliders,
                  width="stretch")
    if bad_partner:
        links.bad_link_notice("partner", bad_partner, f"the first partner whose scores are shown, "
                                                      f"{BASE.default_partner}")
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader("Move the factors")
        st.caption(f"A change in points from the partner's {md(BASE.wave)} score; the result stays "
                   "within 0–100.")
        sliders = st.container()
        with st.expander("Index weights", expanded=any(k.startswith("w_") for k in st.query_params)):
            st.caption("How much each factor counts in the collaboration index. Weights are "
                       "rescaled to add up to 1. The programme default is "
                       + ", ".join(f"{v:g}" for v in DEFAULT_WEIGHTS.values()) + ".")
            for f in FACTORS:
                st.slider(FACTOR_LABELS[f], 0.0, 1.0, DEFAULT_WEIGHTS[f], step=0.05, key=f"w_{f}",
                          bind="query-params", format="%.2f")
        pack_slot = st.container()
    what_if(partner, sliders, pack_slot, right)


# -- the fragment: a slider move reruns only this --------------------------------------

@st.fragment
def what_if(partner: str, sliders, pack_slot, right) -> None:
    now = partner_scores(queries.source().whatif_current(ASOF), partner)
    hidden = now is None  # its scores are not shown: nothing to move
    with sliders:
        for f in FACTORS:
            delta = st.slider(FACTOR_LABELS[f], LOW, HIGH, 0, step=1, key=f"d_{f}", bind="query-params",
                              format="%+d", disabled=hidden or now[f] != now[f],
                              help=f"Change in {FACTOR_LABELS[f].lower()}, in points on the 0–100 scale.")
            if now is not None:  # written with its slider (no placeholder to fill once the view is built)
                note = slider_note(now[f], delta)
                st.caption(f"Now {note.now} → **{note.moved}**{' (capped)' if note.capped else ''}"
                           if note.now != NOT_SHOWN else "No score shown for this partner (outside the index)")

    view = queries.view(LinkState(page="what-if", asof=ASOF, scenarios=(scenario(partner),)))
    with pack_slot:
        pack_control.steering_pack(view)  # this scenario, or the programme with the kept ones

    with right:
        if view.hidden:
            st.warning(f"**{md(partner)}'s {md(view.wave)} scores are not shown** ({md(view.hidden)}), so "
                       "there is nothing to project from. Choose another partner.",
                       icon=":material/visibility_off:")
            return
        if view.no_weight:
            st.error(view.no_weight)
            return
        st.subheader("Projected collaboration index")
        st.caption(md(view.scenario_line))  # a link opened says what it changed
        for column, metric in zip(st.columns(len(view.metrics)), view.metrics):
            page.metric(column, metric)
        if view.reweighted:
            st.caption(md(view.reweighted))
        band = view.band
        st.markdown(f"**{md(band.label)}: {md(band.value)}** ({md(band.delta)})", help=md(band.help))
        # a move is a new scenario: its data goes into the partner's ready spec (no Altair build,
        # no spec cache to fill), drawn like every chart (theme off, PNG/SVG downloads, its table:
        # made when it is opened, not on every slider step)
        downloads.show_spec(whatif_strip.whatif_strip_spec(*view.strip.args, table=False), "what-if-spectrum",
                            alt=whatif_strip.whatif_strip_description(*view.strip.args),
                            table=downloads.Table(whatif_strip.STRIP_TABLE,
                                                  lambda: whatif_strip.whatif_strip_table(*view.strip.args)))

    # full width: at 1024 px the right column is too narrow for the tables
    st.subheader("Projected delivery, next period")
    if view.declined:
        st.info(f"{md(view.declined)} No delivery projection is shown.", icon=":material/hourglass_empty:")
    else:
        if view.delivery_summary:
            st.info(md(view.delivery_summary), icon=":material/block:")
        downloads.page_table(view.delivery, "projected-delivery", csv=False, first=(
            "Indicator", view.delivery.columns[1], "Expected", SCENARIO, "Change"), column_config={
            view.delivery.columns[1]: st.column_config.TextColumn(
                help="The partner's latest observed value, in the period named, on its own."),
            "Expected": st.column_config.TextColumn(help="Next period, if the scores stay as they are now."),
            SCENARIO: st.column_config.TextColumn(
                help="Next period, with the factor scores moved by the sliders; in brackets its 95% "
                     "interval, for the expected value (a single period varies more).")})
        st.caption(md(view.last_period_note))
        st.markdown("**How much to trust it**")
        st.caption(md(view.trust_terms))
        # a table (not a grid) wraps its text: the reasons are sentences
        st.table(view.trust, hide_index=True)
        st.caption(f":material/info: {md(view.model_note)}")
    snapshot = {**view.snapshot, "Link": join(links.app_url("what-if"), view.link)}
    st.button("Keep this scenario", icon=":material/bookmark_add:", on_click=keep,
              args=(snapshot,), help=f"Keep up to {MAX_KEPT} scenarios side by side below, "
                                     "each with its own link.")

    kept_scenarios()
    how_this_works(view)


def kept_scenarios() -> None:
    kept = st.session_state.get(KEPT, [])
    if not kept:
        return
    st.subheader("Kept scenarios")
    frame = pd.DataFrame(kept)
    frame.insert(0, "Scenario", [chr(ord("A") + i) for i in range(len(frame))])
    frame.insert(1, "Link", frame.pop("Link"))
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "Link": st.column_config.LinkColumn("Link", display_text="Open this scenario",
                                            help="Opens the scenario exactly as it was kept.")})
    st.button("Clear kept scenarios", on_click=clear_kept, icon=":material/delete_sweep:")


def how_this_works(view) -> None:
    low, high = view.context.thresholds
    # written when opened (its fitted-effects table laid out again for every slider step otherwise)
    box = st.expander("How this works", key="wi_how", on_change="rerun")
    if not box.open:
        return
    with box:
        st.markdown(
            "**The index.** Each factor score moves by its slider (kept within 0–100); the "
            "projected index is their weighted mean with the weights above, and its band uses "
            f"the programme's thresholds ({low:g} and {high:g}). Its place is "
            f"its rank among the other partners' {md(view.wave)} index with the same weights.\n\n"
            "**Delivery.** For every partner and wave whose five factor scores are shown "
            "(groups hidden for privacy are never used), the model looks at the partner's "
            "on-time milestone rate, median days to resolve an issue and escalation rate in "
            "the *next* period. It is a regression on the five factor scores with a fixed "
            "level per partner, so its effects come only from each partner's own movement over "
            "time: a slider means \"if this partner's own scores moved\", never \"if it were "
            "like another partner\". Days to resolve are modelled on a log scale; each "
            "partner-wave counts with the milestones or issues behind it; intervals allow for "
            "partners' own ups and downs (clustered by partner).\n\n"
            "**When it projects.** The model is checked in time order: each later wave is "
            "forecast from the waves before it and compared with the best naive forecast (the "
            "partner's latest value, its own mean, or the programme mean). An indicator is "
            "projected only when the model's error is smaller, with one-sided p below "
            f"{whatif.BEATS_NAIVE_P:g} over at least {whatif.MIN_HELD_BACK} forecasts; otherwise "
            "it says *no reliable projection* with the numbers. A slider that takes a score "
            "outside what this programme has observed projects nothing either.\n\n"
            f"It needs at least {whatif.MIN_PARTNER_WAVES} partner-waves with a following "
            f"period, from {whatif.MIN_PARTNERS} partners; with less it says so and projects "
            "nothing. It is an association in this programme's own history, not a promise "
            "(METHOD.md, section 8).")
        if view.effects is not None:
            st.caption("Fitted effects of +10 points on one factor within a partner, the others "
                       "held still (rates in percentage points, days to resolve in percent).")
            downloads.page_table(view.effects, "fitted-effects", csv=False)


page_frame()
