"""Overview: where every partner stands now, and how fresh the data is."""
import streamlit as st

from app_pages import common

st.title("Partnership Health")
common.demo_banner()

index = common.index_scores()
if index.empty:
    st.warning("No survey responses yet. Load a pulse survey export on the Data page.")
    st.stop()

latest_wave = index.sort_values("wave_start")["wave"].iloc[-1]
latest = index[(index["wave"] == latest_wave) & index["partner_id"].notna()].sort_values("partner")
st.subheader(f"Collaboration index, {latest_wave}")
table = latest[["partner", "score", "n", "band", "suppression_reason"]].rename(columns={
    "partner": "Partner", "score": "Index (0-100)", "n": "Respondents", "band": "Band",
    "suppression_reason": "Not shown because"})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Index (0-100)": st.column_config.NumberColumn(format="%.1f")})

st.subheader("Data freshness")
st.dataframe(common.freshness(), hide_index=True, width="stretch")
