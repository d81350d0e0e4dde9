"""Agreeing, editing and closing a partner's actions from the Partner profile: the same library calls
as ``python -m pipelines action add|edit|done`` (``pipelines/programme/actions.py``), each a data
version. Offered to whoever may edit (local mode, or a signed-in editor) and on the latest data only:
a pinned link shows the actions as they were."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages.ui import access, queries
from app_pages.ui.text import md
from pipelines.programme import actions
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label
from pipelines.query import actions as agreed
from pipelines.store import StoreBusy, lake

_FLASH = "actions_flash"  # the last change's sentence, shown once after the rerun it causes


def editor(partner: str, asof: int | None) -> None:
    """The controls under the partner's actions (nothing for a viewer or a pinned view)."""
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(md(message), icon=":material/check_circle:")
    if asof is not None or not access.can_edit():
        return
    with st.expander("Agree, edit or close an action", icon=":material/edit_note:"):
        agree, change = st.tabs(["Agree an action", "Edit or close one"])
        with agree:
            _add_form(partner)
        with change:
            _change_form(partner)


def _add_form(partner: str) -> None:
    with st.form("action_add", clear_on_submit=True, border=False):
        factor = st.selectbox("Factor", FACTORS, format_func=factor_label, key="action_add_factor")
        title = st.text_input("What was agreed", max_chars=actions.MAX_TEXT, key="action_add_title")
        owner = st.text_input("Owner", max_chars=actions.MAX_TEXT, key="action_add_owner",
                              help="A person or a team, as the meeting named them.")
        due = st.date_input("Due", value=dt.date.today() + dt.timedelta(days=28), format="YYYY-MM-DD",
                            key="action_add_due")
        if st.form_submit_button("Agree the action", type="primary", icon=":material/add_task:"):
            _write(lambda store: actions.add(store, partner=partner, factor=factor, title=title, owner=owner,
                                             due=due),
                   lambda added: f"Added action {added[0]} for {partner}: {' '.join(title.split())}.")


def _change_form(partner: str) -> None:
    open_now = agreed.actions(queries.cursor(), partner=partner)
    open_now = open_now[open_now["status"].eq(str(actions.Status.OPEN))]
    if open_now.empty:
        st.caption(f"{md(partner)} has no open action.")
        return
    chosen = st.selectbox("Action", list(open_now["id"]), key="action_change_id",
                          format_func=lambda i: f"{i}: {open_now.set_index('id').at[i, 'title']}")
    row = open_now.set_index("id").loc[chosen]
    due_before = pd.Timestamp(row["due"]).date()
    with st.form(f"action_edit_{chosen}", border=False):
        title = st.text_input("What was agreed", value=row["title"], max_chars=actions.MAX_TEXT)
        owner = st.text_input("Owner", value=row["owner"], max_chars=actions.MAX_TEXT)
        due = st.date_input("Due", value=due_before, format="YYYY-MM-DD")
        save, close = st.columns(2)
        if save.form_submit_button("Save the changes", icon=":material/save:"):
            changed = {name: value for name, value, before in (
                ("title", title, row["title"]), ("owner", owner, row["owner"]), ("due", due, due_before))
                if value != before}
            if not changed:
                st.info("Nothing was changed.")
            else:
                _write(lambda store: actions.edit(store, int(chosen), **changed),
                       lambda _: f"Action {chosen} changed: {', '.join(changed)}.")
        if close.form_submit_button("Mark it done today", icon=":material/task_alt:"):
            _write(lambda store: actions.done(store, int(chosen)), lambda _: f"Action {chosen} is done.")


def _write(change, said) -> None:
    """One change through the library; its plain message on a refusal, else a rerun that says what
    was done (``said`` of the change's result)."""
    try:
        st.session_state[_FLASH] = said(change(queries.store()))
    except ValueError as refused:
        st.error(md(refused))
        return
    except (StoreBusy, lake.LakeBusyError) as busy:
        st.warning(md(busy))
        return
    st.rerun()
