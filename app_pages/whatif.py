"""What-if: move a partner's factor scores (and the index weights) and see its projected
index, its place among the partners, and what this programme's history says about
delivery in the next period. Every slider is in the URL, so a scenario is a link."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from app_pages.ui import downloads, links, pack_control, page, queries
from pipelines import settings
from pipelines.present import charts, whatif_strip, words
from pipelines.programme.factors import FACTOR_LABELS, FACTORS, band_of
from pipelines.query import whatif

FACTORS = FACTORS
LABELS = FACTOR_LABELS
LOW, HIGH = whatif.DELTA_RANGE
MAX_KEPT = 3
KEPT = "wi_kept"
DEFAULT_WEIGHTS = settings.index_weights()

st.title("What-if")
st.caption("Move a partner's factor scores and see what would follow: its collaboration index "
           "and band at once, and the delivery the programme's own history associates with "
           "scores like that. Every slider is in the link.")
page.demo_banner()

ASOF = queries.asof()
CURRENT = queries.whatif_current(ASOF)
if CURRENT.empty or CURRENT["wave"].isna().all():
    st.warning("No survey responses yet, so there is nothing to move. Load a pulse survey export "
               "on the Data page.")
    st.stop()
MODEL = queries.whatif_model(ASOF)
WAVE = str(CURRENT["wave"].dropna().iloc[0])
THRESHOLDS = settings.band_thresholds()
COLOURS = queries.colours()  # read once per page run, not on every slider move


# -- formatting ------------------------------------------------------------------------

def fmt(unit: str, value: float) -> str:
    if value != value:
        return "–"
    return f"{value:.0f} days" if unit == "days" else f"{value * 100:.0f}%"


def fmt_change(unit: str, value: float) -> str:
    if value != value:
        return "–"
    return f"{value:+.1f} days" if unit == "days" else f"{value * 100:+.1f} pts"


def deltas() -> dict[str, int]:
    return {f: int(st.session_state.get(f"d_{f}", 0) or 0) for f in FACTORS}


def weights() -> dict[str, float]:
    return {f: float(st.session_state.get(f"w_{f}", DEFAULT_WEIGHTS[f])) for f in FACTORS}


def scenario_link(partner: str, moved: dict[str, int], w: dict[str, float]) -> str:
    values = {"wi_partner": partner}
    values |= {f"d_{f}": str(v) for f, v in moved.items() if v}
    values |= {f"w_{f}": f"{v:g}" for f, v in w.items() if abs(v - DEFAULT_WEIGHTS[f]) > 1e-9}
    params = links.link_params(**values)  # adds the data pin, spelled as the URL spells it
    base = st.context.url or "what-if"
    return f"{base}?{urlencode(params)}"


def describe(moved: dict[str, int]) -> str:
    changes = [f"{LABELS[f]} {v:+d}" for f, v in moved.items() if v]
    return ", ".join(changes) or "no change"


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


# -- the fragment: a slider move reruns only this --------------------------------------

@st.fragment
def what_if() -> None:
    names = CURRENT["partner"].tolist()
    shown = CURRENT.loc[~CURRENT["suppressed"], "partner"].tolist()
    default = names.index(shown[0]) if shown else 0
    top = st.columns([3, 1], vertical_alignment="bottom")
    partner = top[0].selectbox("Partner", names, index=default, key="wi_partner",
                               bind="query-params",
                               help="Whose factor scores to move. Scores are from the latest wave, "
                                    f"{WAVE}.")
    top[1].button("Reset sliders", icon=":material/restart_alt:", on_click=reset_sliders,
                  width="stretch")
    row = CURRENT[CURRENT["partner"] == partner].iloc[0]
    hidden = bool(row["suppressed"])
    current = {f: float(row[f]) for f in FACTORS}

    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader("Move the factors")
        st.caption(f"A change in points from the partner's {WAVE} score; the result stays "
                   "within 0–100.")
        for f in FACTORS:
            st.slider(LABELS[f], LOW, HIGH, 0, step=1, key=f"d_{f}", bind="query-params",
                      format="%+d", disabled=hidden,
                      help=f"Change in {LABELS[f].lower()}, in points on the 0–100 scale.")
            if not hidden:
                d = int(st.session_state.get(f"d_{f}", 0) or 0)
                moved = min(max(current[f] + d, 0.0), 100.0)
                capped = " (capped)" if moved != current[f] + d else ""
                st.caption(f"Now {current[f]:.1f} → **{moved:.1f}**{capped}")
        with st.expander("Index weights"):
            st.caption("How much each factor counts in the collaboration index. Weights are "
                       "rescaled to add up to 1. The programme default is "
                       + ", ".join(f"{v:g}" for v in DEFAULT_WEIGHTS.values()) + ".")
            for f in FACTORS:
                st.slider(LABELS[f], 0.0, 1.0, DEFAULT_WEIGHTS[f], step=0.05, key=f"w_{f}",
                          bind="query-params", format="%.2f")
        pack_control.steering_pack("what-if")  # this scenario, or the programme with the kept ones

    with right:
        if hidden:
            st.warning(f"**{partner}'s {WAVE} scores are not shown** ({words.reason(row['reason'], settings.anonymity_k())}), so there "
                       "is nothing to project from. Choose another partner.",
                       icon=":material/visibility_off:")
            return
        w = weights()
        if sum(w.values()) <= 0:
            st.error("Every index weight is zero. Give at least one factor a weight.")
            return
        moved = deltas()
        now = whatif.weighted_index(current, w)
        projected, band = whatif.project_index(current, moved, w, THRESHOLDS)
        band_now = band_of(now, THRESHOLDS)
        others = {r["partner"]: whatif.weighted_index(r, w)
                  for r in CURRENT.loc[~CURRENT["suppressed"] & (CURRENT["partner"] != partner),
                                       ["partner", *FACTORS]].to_dict("records")}
        rank_now, of = whatif.placement(now, others)
        rank_new, _ = whatif.placement(projected, others)

        st.subheader("Projected collaboration index")
        m1, m2, m3 = st.columns([1, 1.5, 1])
        m1.metric("Projected index", f"{projected:.1f}", delta=f"{projected - now:+.1f} vs now "
                  f"({now:.1f})", delta_color="normal" if round(projected, 1) != round(now, 1) else "off",
                  help="Weighted mean of the five moved factor scores.")
        m2.metric("Band", band.capitalize(), delta=f"now {band_now}", delta_color="off", delta_arrow="off",
                  help=f"Thresholds: transitioning from {THRESHOLDS[0]:g}, collaborating from "
                       f"{THRESHOLDS[1]:g}.")
        m3.metric("Rank", f"{rank_new} of {of}",
                  delta=f"now {rank_now} of {of}", delta_color="off", delta_arrow="off",
                  help=f"Rank of the projected index among the other partners' {WAVE} index "
                       "(partners whose scores are hidden are left out).")
        # a move is a new scenario: its data goes into the partner's ready spec (no Altair build,
        # no spec cache to fill), drawn like every chart (theme off, PNG/SVG downloads)
        spectrum = whatif_strip.whatif_strip_spec(partner, now, projected, others, THRESHOLDS, WAVE,
                                            COLOURS.get(partner, charts.PROGRAMME_COLOUR))
        st.vega_lite_chart(spectrum, theme=None)
        downloads.chart_downloads(spectrum, "what-if-spectrum")

        st.subheader("Projected delivery, next period")
        table = None
        if isinstance(MODEL, whatif.Declined):
            st.info(f"{MODEL.reason} No delivery projection is shown.",
                    icon=":material/hourglass_empty:")
        else:
            projection = whatif.project(MODEL, current, moved, int(row["partner_id"]))
            table = delivery_table(projection)
            st.dataframe(table.drop(columns=["Rests on", "Held-back error"]), hide_index=True,
                         width="stretch", column_config={
                             "Indicator": st.column_config.TextColumn(width="medium"),
                             "Last period": st.column_config.TextColumn(
                                 width="small", help="The partner's latest observed value."),
                             "Expected": st.column_config.TextColumn(
                                 width="small",
                                 help="Next period, if the scores stay as they are now."),
                             "With this scenario": st.column_config.TextColumn(
                                 width="small",
                                 help="Next period, with the factor scores moved by the sliders."),
                             "95% interval": st.column_config.TextColumn(
                                 width="small", help="For the expected value with this scenario; "
                                                     "a single period varies more."),
                             "Change": st.column_config.TextColumn(width="small")})
            st.markdown("**How much to trust it**")
            st.dataframe(table[["Indicator", "Rests on", "Held-back error"]], hide_index=True,
                         width="stretch", column_config={"Held-back error": st.column_config.TextColumn(
                             help="Mean absolute error when the last waves are held back and "
                                  "predicted from the earlier ones, against two naive forecasts: "
                                  "the partner's own value this period, and the programme mean.")})
            st.caption(f":material/info: {whatif.PLAIN_WORDS} The model rests on "
                       f"{MODEL.n_partner_waves} partner-waves from {MODEL.n_partners} partners "
                       f"(waves {MODEL.waves[0]} to {MODEL.waves[-1]}, each followed by the next "
                       "period's delivery). Intervals are 95% for the expected value; a single "
                       "period varies more.")
        snapshot = {
            "Partner": partner, "Changes": describe(moved),
            "Weights": "default" if all(abs(w[f] - DEFAULT_WEIGHTS[f]) < 1e-9 for f in FACTORS)
            else " / ".join(f"{w[f]:g}" for f in FACTORS),
            "Index": f"{now:.1f} → {projected:.1f}", "Band": band,
            **({} if table is None else dict(zip(table["Indicator"], table["With this scenario"]))),
            "Link": scenario_link(partner, moved, w),
        }
        st.button("Keep this scenario", icon=":material/bookmark_add:", on_click=keep,
                  args=(snapshot,), help=f"Keep up to {MAX_KEPT} scenarios side by side below, "
                                         "each with its own link.")

    kept_scenarios()
    how_this_works()


def delivery_table(projection: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in projection.itertuples(index=False):
        if pd.notna(r.declined):  # a reason; a projected indicator has none (NaN in a frame)
            rows.append({"Indicator": r.label, "Last period": fmt(r.unit, r.last_value),
                         "Expected": "–", "With this scenario": "–",
                         "95% interval": "–", "Change": "–",
                         "Rests on": f"not projected: {r.declined}", "Held-back error": "–"})
            continue
        m = MODEL.indicators[r.indicator]
        held = m.held_back
        if held is None:
            held_text = "not enough history to hold any back"
        else:
            held_text = (f"{fmt_err(r.unit, held.mae_model)} vs {fmt_err(r.unit, held.mae_last_value)}"
                         f" (last value), {fmt_err(r.unit, held.mae_programme_mean)} (mean); "
                         f"{held.n} partner-waves in {', '.join(held.waves)}")
        better = (r.change < 0) if r.good == "lower" else (r.change > 0)
        verdict = "" if abs(r.change) < 1e-9 else (" (better)" if better else " (worse)")
        rows.append({"Indicator": r.label,
                     "Last period": fmt(r.unit, r.last_value),
                     "Expected": fmt(r.unit, r.current),
                     "With this scenario": fmt(r.unit, r.projected),
                     "95% interval": f"{fmt(r.unit, r.low)} to {fmt(r.unit, r.high)}",
                     "Change": fmt_change(r.unit, r.change) + verdict,
                     "Rests on": f"{r.n} partner-waves, {r.partners} partners",
                     "Held-back error": held_text})
    return pd.DataFrame(rows)


def fmt_err(unit: str, value: float) -> str:
    return f"{value:.1f} days" if unit == "days" else f"{value * 100:.1f} pts"


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


def how_this_works() -> None:
    with st.expander("How this works"):
        st.markdown(
            "**The index.** Each factor score moves by its slider (kept within 0–100); the "
            "projected index is their weighted mean with the weights above, and its band uses "
            f"the programme's thresholds ({THRESHOLDS[0]:g} and {THRESHOLDS[1]:g}). Its place is "
            f"its rank among the other partners' {WAVE} index with the same weights.\n\n"
            "**Delivery.** For every partner and wave whose five factor scores are shown "
            "(groups hidden for privacy are never used), the model looks at the partner's "
            "on-time milestone rate, median days to resolve an issue and escalation rate in "
            "the *next* period. It is a ridge regression on the five factor scores with a "
            "shrunken intercept per partner: with tens of partner-waves and factors that move "
            "together, plain regression would give unstable, sign-flipping effects; ridge "
            "shares an effect between correlated factors and pulls what the data cannot "
            "support towards zero, and the partner intercepts keep stable differences "
            "between partners (the kind of work they do) from being credited to the factors. "
            "Days to resolve are modelled on a log scale. Each partner-wave counts with the "
            "square root of the milestones or issues behind it. Intervals come from "
            "resampling whole partners (a block bootstrap, fixed seed), widened because there "
            "are few partners and for the model's shrinkage. The fit is checked by holding "
            "back the last waves, refitting on the rest and comparing its error with two naive "
            "forecasts: the partner's own value this period, and the programme mean.\n\n"
            f"It needs at least {whatif.MIN_PARTNER_WAVES} partner-waves with a following "
            f"period, from {whatif.MIN_PARTNERS} partners; with less it says so and projects "
            "nothing. It is an association in this programme's own data, not a promise: "
            "partners who reported higher scores were followed by this delivery, which does not "
            "show that raising the scores would cause it.")
        if isinstance(MODEL, whatif.FittedModel):
            coefs = whatif.coefficients_frame(MODEL)
            coefs = pd.DataFrame({
                "Indicator": coefs["label"], "Factor": coefs["factor_label"],
                "Per +10 points": coefs["estimate"].map(lambda v: f"{v:+.1f}") + " "
                + coefs["unit"].map({"percentage points": "pts", "% change": "%"}),
                "95% interval": coefs["low"].map(lambda v: f"{v:+.1f}") + " to "
                + coefs["high"].map(lambda v: f"{v:+.1f}"),
                "Clear of zero": ~coefs["spans_zero"]})
            st.caption("Fitted effects of +10 points on one factor, the others held still "
                       "(rates in percentage points, days to resolve in percent).")
            st.dataframe(coefs, hide_index=True, width="stretch")


what_if()
