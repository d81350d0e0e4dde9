"""Small Streamlit modules the pages share (the library below knows nothing of Streamlit)."""
