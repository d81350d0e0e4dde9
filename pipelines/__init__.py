"""Partnership Health's library: store, pipelines and query layer (no Streamlit here)."""
