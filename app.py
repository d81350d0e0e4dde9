"""Partnership Health: the entry file only routes."""
import streamlit as st

from app_pages.ui import access, links, queries, warmup

st.set_page_config(page_title="Partnership Health", page_icon=":material/handshake:", layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="home",
            default=True),
    st.Page("app_pages/partner.py", title="Partner profile", icon=":material/apartment:", url_path="partner"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/grid_view:", url_path="compare"),
    st.Page("app_pages/whatif.py", title="What-if", icon=":material/tune:", url_path="what-if"),
    st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
    # The default page answers at "/" only; links the product writes name the Overview by its path.
    st.Page("app_pages/overview.py", title="Overview", url_path="overview", visibility="hidden"),
]
who = access.current_access()  # local mode, signed out, viewer or editor (pipelines/access.py)
if who.must_sign_in:
    access.sign_in_page(who, st.navigation(pages, position="hidden"))
page = st.navigation([p for p in pages if who.may_open(p.url_path)])
with queries.store_guard():  # a store that stops answering: a plain notice, retried
    warmup.start()  # the what-if model fitted in the background, at start and after each load
    links.resume_linked_view()
    links.sidebar(page)
    access.access_sidebar(who)
    page.run()
