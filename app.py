"""Partnership Health: the entry file only routes."""
import streamlit as st

st.set_page_config(page_title="Partnership Health", page_icon=":material/handshake:", layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview",
            default=True),
]
st.navigation(pages).run()
