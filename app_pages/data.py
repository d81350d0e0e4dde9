"""Data: upload an export as the tool wrote it, map its columns, answer what only a person can,
check every row, then load it as one batch; load history with undo; templates.

UI only: reading, mapping, validation and loading are `pipelines.ingest` (the same path as
`python -m pipelines load`). Nothing from an upload is written before "Load" is pressed. Text that quotes
the file (notes, questions, column, sheet, partner and file names) goes through ``plain`` before Markdown.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.ui import access, page, queries
from app_pages.ui.text import md
from pipelines import ingest, settings
from pipelines.ingest import readers, values
from pipelines.ingest.delimiters import DELIMITER_NAMES
from pipelines.ingest.fields import DATASET_NOUNS, DATASETS, instrument_questions
from pipelines.ingest.preview import Skipped
from pipelines.present import exports
from pipelines.present.views.compare import NBSP
from pipelines.programme.datasets import DATASET_LABELS
from pipelines.store import versions

NEW = "__new__"  # partner choice: a new partner
SCHEDULE_CHOICES = {"replaces": "a new version of that schedule", "another": "another schedule"}
UPLOAD_TYPES = ["csv", "tsv", "txt", "tab", "xlsx", "xlsm", "xer", "xml"]
# every key of the upload flow starts with one of these: cleared when another file is chosen
_FLOW_KEYS = ("data_map_", "data_pname_", "data_sheet", "data_wave", "data_whole_partner",
              "data_date_order", "data_delimiter", "data_include_partial", "data_accept_new", "data_schedule")

st.title("Data")
page.demo_banner()
if not access.current_access().can_edit:
    st.error("Only an editor can load or undo data.")
    st.stop()

state = st.session_state
state.setdefault("data_round", 0)  # bumped after a load or a refusal, to empty the uploader
state.setdefault("data_previews", {})
state.setdefault("data_undo_pending", None)
state.setdefault("data_remove_demo_pending", False)


def _flash() -> None:
    message = state.pop("data_flash", None)
    if message:
        kind, text = message
        getattr(st, kind)(md(text), icon=":material/check_circle:" if kind == "success" else None)


def _reset_flow() -> None:
    for key in [k for k in state if isinstance(k, str) and k.startswith(_FLOW_KEYS)]:
        del state[key]
    state["data_previews"] = {}


def _prepare(dataset: str, name: str, data: bytes, options: ingest.Options) -> ingest.Preview:
    """ingest.prepare, memoised for this upload: reruns (a click elsewhere) do not re-read the file."""
    key = repr((dataset, name, queries.data_version(), options))
    previews = state["data_previews"]
    if key not in previews:
        with st.spinner(f"Reading {name}..."):
            previews[key] = ingest.prepare(queries.store(), dataset, name, data, options)
        while len(previews) > 4:
            previews.pop(next(iter(previews)))
    return previews[key]


# ------------------------------------------------------------------------------ 1. file
def choose_file():
    st.subheader("Load a file")
    # one under the other: side by side at 1024 px the choice read "Pulse survey response" and the
    # upload's list of file types ended "XLS..."
    dataset = st.selectbox("What is in the file?", list(DATASETS), key="data_dataset",
                           format_func=DATASET_LABELS.get,
                           help="Pulse survey responses, the survey's questions, the delivery schedule, "
                                "the issue / risk log, or the list of partners and their other names.")
    limit = int(settings.get("upload_limit_mb"))
    upload = st.file_uploader(
        "Export file (CSV, TSV, TXT, Excel .xlsx, Primavera .xer or MS Project .xml), exactly as your tool wrote it",
        type=UPLOAD_TYPES, key=f"data_upload_{state['data_round']}", max_upload_size=limit,
        help=f"Up to {limit} MB. Qualtrics, SurveyMonkey, Microsoft or Google Forms, Jira, ServiceNow, MS Project, "
             "Primavera P6, Smartsheet and RAID-log spreadsheets are read as they are exported: no need to tidy them.")
    if upload is None:
        return None
    data = upload.getvalue()
    identity = (dataset, upload.name, upload.file_id if hasattr(upload, "file_id") else len(data))
    if state.get("data_identity") != identity:
        _reset_flow()
        state["data_identity"] = identity
    return dataset, upload.name, data


def delimiter_control(base: ingest.Preview) -> None:
    """The column separator of a text file: detected, or chosen (the same Options.delimiter as --delimiter)."""
    words = {d: w for w, d in DELIMITER_NAMES.items()}
    st.selectbox("Columns separated by", [None, *DELIMITER_NAMES.values()], key="data_delimiter",
                 format_func=lambda d: f"detected ({words[base.raw.delimiter]})" if d is None else words[d],
                 help="Detected from the file's structure; choose another if the columns look wrong.")


# ------------------------------------------------------------------------------ 2. mapping
def mapping_section(dataset: str, base: ingest.Preview) -> dict[str, str | None]:
    """One selectbox per field, starting at the suggestion; returns the fields a person changed."""
    st.subheader("Columns")
    if base.remembered:
        st.info("This mapping was **remembered from an earlier upload** of a file with the same columns.",
                icon=":material/history:")
    else:
        st.caption("Each field of the programme's data, with the column of your file suggested for it. "
                   "Change any that is wrong; when you load the file, the mapping is remembered for the "
                   "next export with the same columns.")
    columns = base.columns
    overrides: dict[str, str | None] = {}
    head = st.columns([2, 3, 4])
    head[0].markdown("**Field**")
    head[1].markdown("**Column in your file**")
    head[2].markdown("**Why**")
    for f in DATASETS[dataset]:
        suggestion = base.mapping[f.name]
        row = st.columns([2, 3, 4], vertical_alignment="center")
        row[0].markdown(f"{f.label}" + (" :red[*]" if f.required else ""), help=f.help)
        options = [None, *columns]
        default = options.index(suggestion.column) if suggestion.column in options else 0
        chosen = row[1].selectbox(f.label, options, index=default, key=f"data_map_{f.name}",
                                  format_func=lambda c: "(not in this file)" if c is None else c,
                                  label_visibility="collapsed")
        if chosen != suggestion.column:
            overrides[f.name] = chosen
            row[2].caption("Chosen by you")
        elif suggestion.column is None:
            row[2].caption(("**Required: choose a column.** " if f.required else "") + md(suggestion.reason))
        else:
            row[2].caption(f"{suggestion.confidence:.0%} sure · {md(suggestion.reason)}")
    st.caption(":red[*] required")
    return overrides


# ------------------------------------------------------------------------------ 3. survey
def survey_controls(preview: ingest.Preview) -> None:
    st.subheader("Survey")
    mapped = preview.mapping_used()
    left, right = st.columns(2)
    ask_wave = not ({"wave", "response_date"} & set(mapped)) or bool(state.get("data_wave"))
    if ask_wave:
        left.text_input("Wave for the whole file", key="data_wave", placeholder="e.g. 2025-Q3 or 2025-09",
                        help="The file has no wave or date column: every response belongs to this wave.")
    names = queries.partner_names()
    (right if ask_wave else left).selectbox("Partner for the whole file (optional)", [None, *names], key="data_whole_partner",
                    accept_new_options=True, format_func=lambda n: "(from the file)" if n is None else n,
                    help="When everyone who answered works for one partner. Overrides the file's "
                         "organisation column.")
    if preview.item_columns:
        st.markdown(f"**{len(preview.item_columns)} question columns** match the instrument:")
        st.table(question_table(preview), hide_index=True, alt="Question columns of the file and the questions they answer")
    if preview.unmatched_columns:
        st.warning("These columns match no question of the instrument and are **not loaded**: "
                   + md(", ".join(preview.unmatched_columns)), icon=":material/help:")
    if preview.personal_columns:
        st.info("Personal data, **dropped and never stored**: " + md(", ".join(preview.personal_columns)),
                icon=":material/shield_person:")
    if Skipped.PARTIAL_RESPONSE in preview.skipped or state.get("data_include_partial"):
        st.checkbox("Include partial responses", key="data_include_partial",
                    help="Responses closed before the end (Finished = False, Progress below 100) are left out "
                         "by default: they would change the scores.")


def question_table(preview: ingest.Preview) -> pd.DataFrame:
    """Each question column of the file beside the instrument's question it answers, in the instrument's order."""
    questions = instrument_questions(queries.cursor())
    text = dict(zip(questions["item_id"], questions["text"]))
    place = {item: i for i, item in enumerate(questions["item_id"])}
    pairs = sorted(preview.item_columns.items(), key=lambda pair: place.get(pair[1], len(place)))
    return pd.DataFrame({"Column in your file": [c for c, _ in pairs], "Item": [i for _, i in pairs],
                         "Question": [text.get(i, "") for _, i in pairs]})


# ------------------------------------------------------------------------------ 4. questions
def _partner_label(value: str | None) -> str:
    if value is None:
        return "Choose..."
    return "a new partner" if value == NEW else f"same as {value}"


def questions_section(preview: ingest.Preview) -> None:
    date_columns = preview.ambiguous_date_columns or preview.remembered_date_columns
    if date_columns or state.get("data_date_order"):
        st.radio("Dates such as 03/04/2025 in " + (md(", ".join(f"'{c}'" for c in date_columns)) or "this file")
                 + " are", list(values.DATE_ORDERS), index=None, key="data_date_order", horizontal=True,
                 format_func={"dayfirst": "day first (3 April)", "monthfirst": "month first (March 4)"}.get,
                 help="No date in the column settles it (no day above 12), so choose; it is never guessed.")
    clash = preview.schedule_clash
    if clash is not None or state.get("data_schedule_is"):
        st.radio("This schedule is", list(SCHEDULE_CHOICES), index=None, key="data_schedule_is",
                 format_func=SCHEDULE_CHOICES.get, horizontal=True,
                 help="Its milestone ids are used by another schedule for other milestones: loaded as they are, "
                      "they would replace that schedule's.")
        if state.get("data_schedule_is") == "another":
            st.text_input("Schedule name", key="data_schedule_name", max_chars=40,
                          help="Its ids are kept apart as 'name: id'. Give the same name each time this schedule "
                               "is loaded.")
    names = queries.partner_names()
    links = {k[len("data_pname_"):] for k in state if isinstance(k, str) and k.startswith("data_pname_")}
    asked = [p for p in preview.partners if p.kind in ("near", "new") or p.name in links]
    unconfirmed = set(preview.unconfirmed_partners)
    known = [p for p in preview.partners if p not in asked]
    if unconfirmed or state.get("data_accept_new"):
        new = sum(p.kind == "new" for p in preview.partners)
        st.checkbox(f"Add them all as new partners ({new} organisations)", key="data_accept_new",
                    help="The file names more new partners than a few: check they are organisations, not people.")
    if asked:
        st.markdown("**Partner names in the file**")
        for p in asked:
            near = p.partner if p.kind == "near" else None
            options = [NEW, *([near] if near else []), *(n for n in names if n != near)]
            index = None if p.kind == "near" or p.name in unconfirmed else 0
            row = st.columns([2, 3], vertical_alignment="center")
            hint = f" (looks like **{md(near)}**)" if near else ""
            row[0].markdown(f"'{md(p.name)}', {p.rows} row{'s' if p.rows != 1 else ''}{hint}")
            row[1].selectbox(f"'{md(p.name)}' is", options, index=index, key=f"data_pname_{p.name}",
                             format_func=_partner_label, label_visibility="collapsed", placeholder="Choose...")
        st.caption("A name confirmed as another partner's is remembered: next time it is known.")
    if known:
        st.caption("Known partners: " + md(", ".join(
            p.name if p.partner in (None, p.name) else f"{p.name} → {p.partner}" for p in known)))


def _options(sheet: str | None, overrides: dict) -> ingest.Options:
    links, new = {}, set()
    for key in [k for k in state if isinstance(k, str) and k.startswith("data_pname_")]:
        value, name = state[key], key[len("data_pname_"):]
        if value == NEW:
            new.add(name)
        elif value is not None:
            links[name] = value
    asked = any(isinstance(k, str) and k.startswith("data_pname_") for k in state)
    return ingest.Options(sheet=sheet, mapping=dict(overrides), wave=(state.get("data_wave") or "").strip() or None,
                          partner=state.get("data_whole_partner"), date_order=state.get("data_date_order"),
                          partner_links=links, new_partners=new if asked else None,
                          delimiter=state.get("data_delimiter"),
                          include_partial=bool(state.get("data_include_partial")),
                          accept_new_partners=bool(state.get("data_accept_new")),
                          schedule=(state.get("data_schedule_name") or "").strip() or None
                          if state.get("data_schedule_is") == "another" else None,
                          replaces_schedule=state.get("data_schedule_is") == "replaces")


# ------------------------------------------------------------------------------ 5. check and load
def check_section(preview: ingest.Preview) -> None:
    st.subheader("Check")
    raw = preview.raw
    tool = {"qualtrics": "a Qualtrics export", "surveymonkey": "a SurveyMonkey export"}.get(raw.source_format)
    plan = {"msproject-xml": "a Microsoft Project plan (XML)", "primavera-xer": "a Primavera P6 export (XER)"}
    where = (f"sheet '{raw.sheet}' of an Excel workbook" if raw.sheet else plan.get(raw.source_format)
             or f"{raw.encoding} text")
    st.caption(f"Read {md(where)}" + (f", as {tool}" if tool else "")
               + (f"; {raw.header_rows} header row{'s' if raw.header_rows != 1 else ''}." if raw.header_rows else "."))
    for note in preview.notes:
        st.markdown(f"- {md(note)}")
    validation = preview.validation
    if validation is None:
        return
    invalid = validation.invalid_rows
    valid = preview.rows_read - invalid - preview.rows_skipped
    cols = st.columns(4)
    cols[0].metric("Rows read", preview.rows_read, border=True)
    cols[1].metric("Answers mapped" if preview.dataset == "survey" else "Rows mapped", validation.rows_checked,
                   border=True, help="For a survey, one answer per respondent and question.")
    cols[2].metric("Valid rows", valid, border=True)
    cols[3].metric("Invalid rows", invalid, border=True)
    if preview.skipped:
        st.caption("Skipped on purpose, not invalid: "
                   + "; ".join(preview.skipped_in_words()))
    if invalid:
        failures = validation.failures
        table = pd.DataFrame({"Row": failures["source_row"], "Column": failures["column"],
                              "Value": failures["value"], "Reason": failures["message"]})
        st.markdown(f"**{invalid} invalid row{'s' if invalid != 1 else ''}** (row numbers as in your file):")
        st.dataframe(table, hide_index=True, width="stretch", alt="Invalid rows of the file, with the reasons",
                     column_config={"Row": st.column_config.NumberColumn(width=70),
                                    "Reason": st.column_config.TextColumn(width="large")})
        st.download_button("Download the invalid rows (CSV)", data=exports.to_csv_bytes(table),
                           file_name=f"{exports.slug('invalid-rows', preview.source_name)}.csv", mime="text/csv",
                           on_click="ignore", icon=":material/download:", key="data_invalid_csv")


def load_section(preview: ingest.Preview) -> None:
    if preview.questions:
        st.warning("**Before loading, answer:**\n" + "\n".join(f"- {md(q)}" for q in preview.questions),
                   icon=":material/help:")
        return
    validation = preview.validation
    if validation is None:
        return
    valid = preview.rows_read - validation.invalid_rows - preview.rows_skipped
    left, right = st.columns(2)
    if validation.ok:
        if left.button(f"Load all {valid} rows", type="primary", key="data_load", icon=":material/upload:"):
            _commit(preview, "all_or_nothing")
        return
    if valid and left.button(f"Load the {valid} valid rows", type="primary", key="data_load",
                             icon=":material/upload:",
                             help="The invalid rows are kept with this batch's history, downloadable."):
        _commit(preview, "valid_only")
    if right.button("Refuse the whole file", key="data_refuse", icon=":material/block:",
                    help="Load nothing: fix the file and upload it again."):
        try:
            ingest.commit(queries.store(), preview, policy="all_or_nothing")
        except ingest.Refused as refused:
            state["data_flash"] = ("warning", str(refused))
        except ValueError as error:  # nothing written (the store's salt is another one)
            st.error(md(error))
            return
        _finish()


def _commit(preview: ingest.Preview, policy: str) -> None:
    bar = st.progress(0.0, text="Loading...")
    try:
        result = ingest.commit(queries.store(), preview, policy=policy,
                               progress=lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text))
    except (ValueError, readers.ReadError) as error:
        bar.empty()
        st.error(md(error))
        return
    state["data_flash"] = ("success", result.message)
    _finish(result.batch_id)


def _finish(batch: int | None = None) -> None:
    # Offer the batch just loaded: set, not just forgotten, or the browser sends back its old choice.
    if batch is not None:
        state["data_undo_batch"] = batch
    else:
        state.pop("data_undo_batch", None)
    state["data_round"] += 1
    state.pop("data_identity", None)
    _reset_flow()
    st.rerun()


def upload_flow() -> None:
    chosen = choose_file()
    if chosen is None:
        return
    dataset, name, data = chosen
    sheet, delimiter = state.get("data_sheet"), state.get("data_delimiter")
    if state.get("data_sheet_seen", (sheet, delimiter)) != (sheet, delimiter):  # other columns: map again
        for key in [k for k in state if isinstance(k, str) and k.startswith(("data_map_", "data_pname_"))]:
            del state[key]
    state["data_sheet_seen"] = (sheet, delimiter)
    try:
        base = _prepare(dataset, name, data, ingest.Options(sheet=sheet, delimiter=delimiter))
        if base.already_loaded is not None:
            st.info(md(" ".join(base.notes)), icon=":material/content_copy:")
            return
        if len(base.raw.sheets) > 1:
            st.selectbox("Sheet", base.raw.sheets, index=base.raw.sheets.index(base.raw.sheet), key="data_sheet",
                         help="The workbook has several sheets: the one that looks most like a table is chosen.")
        if base.raw.delimiter is not None and base.raw.source_format in ("plain", "grouped", "qualtrics", "surveymonkey"):
            delimiter_control(base)
        overrides = mapping_section(dataset, base)
        preview = _prepare(dataset, name, data, _options(state.get("data_sheet"), overrides))
        if dataset == "survey":
            survey_controls(preview)
        questions_section(preview)
        # answers given just now (wave, partners, date order) need one more look at the file
        final = _prepare(dataset, name, data, _options(state.get("data_sheet"), overrides))
        check_section(final)
        load_section(final)
    except (readers.ReadError, ValueError) as error:
        st.error(md(error), icon=":material/error:")


# ------------------------------------------------------------------------------ 6. history
def history_section() -> None:
    st.subheader("Load history")
    history = queries.load_history()
    if history.empty:
        st.caption("Nothing loaded yet.")
        return
    words = versions.history_in_words(queries.cursor())
    st.caption("Every load and every undo, newest first. Loads and undos are numbered in one sequence, so an "
               "undo takes a number too: where a load's number is skipped, the row with that number is an undo.")
    # the file and an undone load's undo inside "What" (a File column stood empty and wide for edits, a
    # Now column said "in the data" on every row); the date kept on one line, the time free to go to the
    # next: a row reads on one or two lines at 1024 px
    table = words[["number", "when", "entry", "rows"]].rename(columns={
        "number": "Number", "when": "When", "entry": "What", "rows": "Rows"})
    table["When"] = [when.replace(" ", NBSP, 2) for when in table["When"]]
    # a table (not a grid) wraps its text: nothing is cut at any width; long histories scroll
    st.table(table, hide_index=True, height=min(60 + 50 * len(table), 560),
             alt="Load history: every load and undo, newest first")
    labels = queries.version_labels()  # a batch's number is the version it made: named as "Data as of" names it
    live = [int(b) for b, s in zip(history["batch"], history["state"]) if s == "loaded"]
    if live:
        batch = st.selectbox("Undo a batch", live, key="data_undo_batch", format_func=labels.get)
        pending = state["data_undo_pending"]
        if pending is None:
            st.button("Undo this batch...", key="data_undo", icon=":material/undo:",
                      on_click=lambda: state.update(data_undo_pending=batch))
        else:
            st.warning(f"Undo {md(labels.get(pending, pending))}? Its rows stop counting at once; links "
                       "pinned to an earlier moment still show them.")
            yes, no = st.columns(2)
            if yes.button(f"Yes, undo batch {pending}", type="primary", key="data_undo_yes"):
                state["data_undo_pending"] = None
                try:
                    state["data_flash"] = ("success", ingest.undo(queries.store(), pending))
                except ValueError as error:
                    state["data_flash"] = ("error", str(error))
                st.rerun()
            no.button("Cancel", key="data_undo_no", on_click=lambda: state.update(data_undo_pending=None))
    rejected = [int(b) for b, n in zip(history["batch"], history["rows_rejected"]) if n and n > 0]
    if rejected:
        batch = st.selectbox("Invalid rows of a batch", rejected, key="data_rejected_batch", format_func=labels.get)
        st.download_button("Download its invalid rows (CSV)", key="data_rejected_csv", on_click="ignore",
                           data=lambda: exports.to_csv_bytes(ingest.rejected_rows(queries.cursor(), batch)),
                           file_name=f"invalid-rows-batch-{batch}.csv", mime="text/csv", icon=":material/download:")


# ------------------------------------------------------------------------------ 7. templates, demo
def templates_section() -> None:
    st.subheader("Templates")
    st.caption("Starting points for a spreadsheet kept by hand. The survey template has one column per "
               "question of the current instrument, in the instrument's order (command line: "
               "python -m pipelines template survey).")
    row = st.container(horizontal=True, gap="small")  # each button as wide as its words, wrapping (never cut)
    for dataset in DATASETS:
        row.download_button(DATASET_NOUNS[dataset].capitalize(), key=f"data_template_{dataset}", on_click="ignore",
                            help=f"A CSV template for {DATASET_LABELS[dataset].lower()}",
                            data=lambda d=dataset: ingest.template(d, queries.cursor()),
                            file_name=f"{dataset}-template.csv", mime="text/csv", icon=":material/download:",
                            width="content")


def demo_section() -> None:
    if not queries.has_demo():
        return
    st.subheader("Demo programme")
    if not state["data_remove_demo_pending"]:
        st.button("Remove the demo programme...", key="data_remove_demo", icon=":material/delete:",
                  on_click=lambda: state.update(data_remove_demo_pending=True))
        return
    st.warning("Remove every demo batch, partner and answer? Your own loads stay.")
    yes, no = st.columns(2)
    if yes.button("Yes, remove the demo", type="primary", key="data_remove_demo_yes"):
        removed = ingest.remove_demo(queries.store())
        state["data_remove_demo_pending"] = False
        queries.forget_computed()  # removal deletes batches, so a data version can repeat
        state["data_flash"] = ("success", f"Removed the demo programme ({removed} batches).")
        st.rerun()
    no.button("Cancel", key="data_remove_demo_no", on_click=lambda: state.update(data_remove_demo_pending=False))


_flash()
upload_flow()
st.divider()
history_section()
st.divider()
templates_section()
demo_section()
