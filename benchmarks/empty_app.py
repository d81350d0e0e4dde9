import streamlit as st  # the floor of the browser benchmark: what any Streamlit page costs to open
st.write("Empty page")
