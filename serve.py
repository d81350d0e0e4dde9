"""Partnership Health's server: ``streamlit run serve.py`` serves the pages of ``app.py`` exactly as
``streamlit run app.py`` does, and also, at start, opens the programme store and fits the what-if
model before anyone asks (``app_pages/ui/server.py``), and answers ``GET /ready`` for load balancers."""
import streamlit as st
from starlette.routing import Route

from app_pages.ui import server

app = st.App("app.py", lifespan=server.lifespan, routes=[Route(server.READY_PATH, server.ready, methods=["GET"])])
