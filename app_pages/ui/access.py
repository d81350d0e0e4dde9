"""Sign-in and editor gating: the rules live in pipelines/access.py; this connects them to
st.secrets, st.user and st.login."""
from __future__ import annotations

import json

import streamlit as st

from pipelines import access


def _secrets() -> dict:
    """The app's secrets, or {} when there is no secrets file (local mode)."""
    try:
        return {"auth": dict(st.secrets["auth"])} if "auth" in st.secrets else {}
    except Exception:  # no secrets.toml anywhere: Streamlit raises rather than returning empty
        return {}


def current_access() -> access.Access:
    """Who is looking at this session: local mode, signed out, viewer or editor."""
    secrets = _secrets()
    if access.auth_section(secrets) is None:  # local mode: no claims to read (st.user looks for
        return access.resolve(secrets, None)  # the secrets files again on every run without them)
    try:
        user = st.user.to_dict()
    except Exception:
        user = {}
    return access.resolve(secrets, user)


def sign_in_page(who: access.Access, page) -> None:
    """Signed-out visitors see only this; the view they asked for is reopened after sign-in."""
    base = st.get_option("server.baseUrlPath") or ""
    target = access.return_path(base, page.url_path or "", st.query_params.to_dict())
    # Streamlit returns to the app's home after sign-in; remember the linked view in this
    # browser tab (sessionStorage) so resume_linked_view() can reopen it. A sign-in that fails
    # or is cancelled at the provider also comes back to the home page, signed out: the bare
    # home page must then not replace a link remembered in the last 15 minutes, or the retry
    # would lose it.
    record = json.dumps(json.dumps({"to": target})).replace("<", "\\u003c")  # a JS string literal
    home = json.dumps(access.return_path(base, "", {})).replace("<", "\\u003c")
    st.html("<script>try{const r=JSON.parse(" + record + ");r.at=Date.now();"
            "const k='partnership.returnTo',old=JSON.parse(sessionStorage.getItem(k)||'null');"
            # no "<" followed by a letter, digit, "/" or "!" in the script: DOMPurify (st.html)
            # drops a script whose text looks like markup
            "const kept=old&&old.to&&old.to!==r.to&&r.to===" + home + "&&15*60*1000>r.at-old.at;"
            "if(!kept){sessionStorage.setItem(k,JSON.stringify(r));}}catch(e){}</script>",
            unsafe_allow_javascript=True)
    st.title("Partnership Health")
    st.write("This programme's dashboard is private. Sign in with your organisation account to see it.")
    if who.problem:
        st.error(who.problem)
    else:
        section = access.auth_section(_secrets())
        if st.button("Sign in", type="primary", icon=":material/login:", key="sign_in"):
            st.login(access.provider(section))
    st.stop()


def access_sidebar(who: access.Access) -> None:
    """Says who is signed in (or that the app runs in local mode), with a sign-out button."""
    with st.sidebar:
        st.caption(who.caption())
        if who.auth_enabled and not who.must_sign_in:
            st.button("Sign out", icon=":material/logout:", key="sign_out", on_click=st.logout)


def can_edit() -> bool:
    """True when this session may open the Data page (local mode, or a signed-in editor).
    Guard every link to the Data page with it: st.page_link to a page not in this session's
    navigation raises StreamlitPageNotFoundError."""
    return current_access().can_edit
