"""The Data page driven through Streamlit's AppTest: upload, mapping shown, questions, preview,
commit, history, undo. Uploads go through the page's real st.file_uploader (AppTest 1.67 has
``at.file_uploader``)."""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import ingest
from test_pages import shown as pages_shown
from pipelines.store import Store, db_path

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
PAGE = str(ROOT / "app_pages" / "data.py")


def fixture(name: str) -> bytes:
    return (EXPORTS / name).read_bytes()


@pytest.fixture
def at():
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def upload(at, dataset: str, name: str, data: bytes) -> AppTest:
    at.selectbox(key="data_dataset").set_value(dataset).run()
    at.file_uploader[0].upload(name, data, "text/csv")
    at.run()
    assert not at.exception, at.exception
    return at


def shown(markdown: str) -> str:
    """What a reader sees of Markdown the page escaped (ui/text.md)."""
    return pages_shown(str(markdown))


def text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error")
             for e in getattr(at, kind)]
    return "\n".join(shown(p) for p in parts)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def button(at, label_start: str):
    matches = [b for b in at.button if b.label.startswith(label_start)]
    assert matches, [b.label for b in at.button]
    return matches[0]


def batches():
    store = Store(db_path())
    try:
        return store.cursor().execute(
            "SELECT batch_id, dataset, source_name, undone_version IS NULL FROM batches ORDER BY batch_id").fetchall()
    finally:
        store.close()


def test_issue_log_upload_mapping_preview_commit_history_undo(at):
    upload(at, "issues", "jira_issues.csv", fixture("jira_issues.csv"))
    # mapping shown, with the suggestion and its confidence
    assert at.selectbox(key="data_map_issue_id").value == "Issue key"
    assert at.selectbox(key="data_map_raised_by").value == "Custom field (Raised by partner)"
    assert at.selectbox(key="data_map_raised_date").value == "Created"
    assert "99% sure" in text(at)
    # new partners are listed for confirmation, defaulting to "a new partner"
    assert at.selectbox(key="data_pname_Northgate Housing").value == "__new__"
    # preview
    assert metrics(at) == {"Rows read": "3", "Rows mapped": "3", "Valid rows": "3", "Invalid rows": "0"}
    assert any("Labels (2)" in shown(m.value) for m in at.markdown)  # the reader's notes
    assert batches() == [(1, "instrument", "default-instrument.csv (built in)", True)]  # nothing written yet

    button(at, "Load all 3 rows").click().run()
    assert not at.exception
    assert [shown(s.value) for s in at.success] == [
        "Loaded 3 of 3 rows of jira_issues.csv as batch 2; new partners: Northgate Housing, Eastfield Council, "
        "Riverside Health Trust."]
    assert batches()[-1] == (2, "issues", "jira_issues.csv", True)
    assert at.file_uploader[0].value is None  # the uploader is empty again

    history = at.table[0].value
    # no File column (empty for edits), no Now column ("in the data" on every row but an undone one)
    assert list(history.columns) == ["Number", "When", "What", "Rows"]
    assert list(history["What"]) == ["The issue log upload from jira_issues.csv",
                                     "The survey questions upload from default-instrument.csv (built in)"]

    # the same file again changes nothing
    at.file_uploader[0].upload("jira_issues (1).csv", fixture("jira_issues.csv"), "text/csv")
    at.run()
    assert "already loaded as batch 2; loading it again changes nothing" in text(at)
    assert not [b for b in at.button if b.label.startswith("Load")]

    # undo, with a confirm step
    at.selectbox(key="data_undo_batch").set_value(2).run()
    at.button(key="data_undo").click().run()
    assert "Undo v2 · issue log from jira_issues.csv · " in text(at)  # named as the "Data as of" picker names it
    assert batches()[-1][3] is True  # not yet
    at.button(key="data_undo_yes").click().run()
    assert not at.exception
    assert "Undid batch 2 (jira_issues.csv)." in [shown(s.value) for s in at.success]
    assert batches()[-1] == (2, "issues", "jira_issues.csv", False)
    history = at.table[0].value
    assert list(history["Number"]) == [3, 2, 1]  # the undo took number 3
    assert list(history["What"])[:2] == ["The undo of the issue log upload from jira_issues.csv",
                                         "The issue log upload from jira_issues.csv, undone by number 3"]
    # the date on one line (non-breaking spaces), the time free to wrap to a second
    assert re.fullmatch("\\d{1,2}\u00a0[A-Z][a-z]{2}\u00a0\\d{4} \\d\\d:\\d\\d", history["When"][1])
    assert "None" not in history.to_csv()


def test_survey_with_invalid_rows_shows_reasons_and_loads_the_valid_rows(at):
    data = ("Response ID,Organisation,Recorded Date,SG1,JG1\r\n"
            "a1,Northgate Housing,2025-08-14,Agree,4\r\n"
            "a2,Northgate Housing,2025-08-14,Maybe,9\r\n"
            "a3,Eastfield Council,2025-08-15,Strongly agree,2\r\n"
            "a4,Eastfield Council,2025-08-15,1,1\r\n").encode()
    upload(at, "survey", "pulse.csv", data)
    assert at.selectbox(key="data_map_partner").value == "Organisation"
    items = at.table[0].value
    assert list(items["Item"]) == ["SG1", "JG1"]  # the question columns (the history is the last table)
    assert list(items["Question"])[0].startswith("The partners agreed the programme's objectives")
    assert metrics(at) == {"Rows read": "4", "Answers mapped": "8", "Valid rows": "3", "Invalid rows": "1"}
    failures = at.dataframe[0].value
    assert list(zip(failures["Row"], failures["Column"], failures["Value"])) == [(3, "JG1", "9"), (3, "SG1", "Maybe")]
    assert all(failures["Reason"].str.len() > 10)
    assert [b.label for b in at.button if b.key in ("data_load", "data_refuse")] == [
        "Load the 3 valid rows", "Refuse the whole file"]

    at.button(key="data_load").click().run()
    assert not at.exception
    assert "Loaded 3 of 4 rows of pulse.csv" in shown(at.success[0].value)
    store = Store(db_path())
    try:
        assert store.cursor().execute("SELECT count(*), count(DISTINCT respondent_key) FROM survey_responses"
                                      ).fetchone() == (6, 3)
        assert len(ingest.rejected_rows(store.cursor(), 2)) == 2
    finally:
        store.close()
    assert at.selectbox(key="data_rejected_batch").value == 2


def test_refuse_the_whole_file_loads_nothing(at):
    upload(at, "milestones", "smartsheet_plan.xlsx", fixture("smartsheet_plan.xlsx"))
    assert metrics(at)["Invalid rows"] == "1"
    at.button(key="data_refuse").click().run()
    assert "nothing was loaded" in shown(at.warning[0].value)
    assert len(batches()) == 1


def test_questions_block_loading_until_answered(at):
    # a near twin of a known partner, and dates the file cannot settle
    store = Store(db_path())
    ingest.commit(store, ingest.prepare(store, "partners", "p.csv", b"Partner\nEastfield Council\n"))
    store.close()
    data = ("Milestone ID,Owner,Baseline Date\r\nM1,Eastfield City Council,03/04/2025\r\n"
            "M2,Eastfield Council,05/06/2025\r\n").encode()
    upload(at, "milestones", "plan.csv", data)
    assert at.selectbox(key="data_pname_Eastfield City Council").value is None
    assert at.radio(key="data_date_order").value is None
    assert "Before loading, answer" in text(at)
    assert not [b for b in at.button if b.key == "data_load"]

    at.selectbox(key="data_pname_Eastfield City Council").set_value("Eastfield Council")
    at.radio(key="data_date_order").set_value("dayfirst")
    at.run()
    assert not at.exception
    at.button(key="data_load").click().run()
    assert "Loaded 2 of 2 rows of plan.csv" in shown(at.success[0].value)
    store = Store(db_path())
    try:
        cursor = store.cursor()
        assert cursor.execute("SELECT name FROM partners").fetchall() == [("Eastfield Council",)]
        assert cursor.execute("SELECT milestone_id, strftime(baseline_date, '%Y-%m-%d') FROM milestones ORDER BY 1"
                              ).fetchall() == [("M1", "2025-04-03"), ("M2", "2025-06-05")]
    finally:
        store.close()


def test_changed_mapping_is_remembered_next_time(at):
    upload(at, "issues", "raid_log_semicolon.csv", fixture("raid_log_semicolon.csv"))
    at.selectbox(key="data_map_owned_by").set_value("Raised by").run()
    assert "Chosen by you" in text(at)
    at.button(key="data_load").click().run()
    assert not at.exception
    upload(at, "issues", "raid-next.csv", fixture("raid_log_semicolon.csv").replace(b"R-011", b"R-012"))
    assert "remembered from an earlier upload" in text(at)
    assert at.selectbox(key="data_map_owned_by").value == "Raised by"


def test_workbook_sheet_can_be_chosen(at):
    upload(at, "issues", "raid_log.xlsx", fixture("raid_log.xlsx"))
    assert at.selectbox(key="data_sheet").value == "RAID log"
    assert metrics(at)["Rows read"] == "3"
    at.selectbox(key="data_sheet").set_value("Read me").run()
    assert not at.exception
    assert at.selectbox(key="data_map_issue_id").value is None
    assert "Which column holds 'Issue id'?" in text(at)


def test_unreadable_file_is_a_plain_error(at):
    upload(at, "issues", "old.xlsx", b"not a zip at all")
    assert "is named .xlsx but is not an Excel workbook" in shown(at.error[0].value)


def test_templates_are_offered_for_every_dataset(at):
    keys = {b.key for b in at.get("download_button")}
    assert {f"data_template_{d}" for d in ("survey", "instrument", "milestones", "issues", "partners")} <= keys


# ------------------------------------------------------------------------------ second round (#21)
def test_delimiter_chosen_on_the_page_reads_the_file_again(at):
    upload(at, "issues", "jira_all_fields.csv", fixture("jira_all_fields.csv"))
    choice = at.selectbox(key="data_delimiter")
    assert choice.value is None and choice.format_func(None) == "detected (comma)"
    assert metrics(at)["Rows read"] == "6"
    choice.set_value(";").run()
    assert not at.exception
    assert "Columns are separated by semicolons, as chosen." in text(at)
    assert "Which column holds 'Issue id'?" in text(at)  # its columns are not the Jira ones now


def test_many_new_partners_are_added_only_when_the_page_is_told_to(at):
    names = ["Granite Civils", "Meridian Tunnelling", "Orchard Signals", "Summit Ecology", "Tamar Water"]
    plan = ("Milestone ID,Owner,Baseline Date\r\n"
            + "".join(f"M{n},{name},2025-0{n + 1}-28\r\n" for n, name in enumerate(names))).encode()
    upload(at, "milestones", "plan.csv", plan)
    assert "This file would add 5 new partners: Granite Civils" in text(at)
    assert not [b for b in at.button if b.label.startswith("Load")]
    at.checkbox(key="data_accept_new").check().run()
    assert not at.exception
    button(at, "Load all 5 rows").click().run()
    assert any("new partners: Granite Civils, Meridian Tunnelling, Orchard Signals, Summit Ecology, Tamar Water"
               in shown(s.value) for s in at.success)


def test_partial_responses_included_from_the_page(at):
    store = Store(db_path())
    try:
        items = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\r\n"
                 "SG1,We agreed the programme goals together,shared goals,1,5,No\r\n"
                 "JG1,Decisions are made jointly,joint governance,1,5,No\r\n").encode()
        ingest.commit(store, ingest.prepare(store, "instrument", "items.csv", items))
    finally:
        store.close()
    upload(at, "survey", "qualtrics_partial.csv", fixture("qualtrics_partial.csv"))
    assert "Left out 2 partial responses" in text(at)
    assert "Skipped on purpose, not invalid: 2 partial responses" in text(at)
    at.checkbox(key="data_include_partial").check().run()
    assert "Included 2 partial responses (Finished = False or Progress below 100), as chosen." in text(at)
    assert metrics(at)["Valid rows"] == "5"


# ------------------------------------------------------------------------------ #23
def test_question_columns_are_listed_with_their_text_in_the_instrument_order(at):
    data = ("Response ID,Organisation,Recorded Date,JG1,SG1\r\n"
            "a1,Northgate Housing,2025-08-14,4,Agree\r\n").encode()
    upload(at, "survey", "pulse.csv", data)
    items = at.table[0].value
    assert list(items.columns) == ["Column in your file", "Item", "Question"]
    assert list(items["Item"]) == ["SG1", "JG1"]
    assert list(items["Question"]) == [
        "The partners agreed the programme's objectives together.",
        "The partners take decisions that affect several of them in a joint forum."]


def test_a_second_schedule_with_the_same_ids_is_named_before_it_loads(at):
    plan = "ID,Name,Baseline Finish,Resource Names\r\n1,{},2025-08-08,Eastfield Council\r\n2,{},2025-09-01,Eastfield Council\r\n"
    store = Store(db_path())
    ingest.commit(store, ingest.prepare(store, "milestones", "plan-a.csv", plan.format("Kick-off", "Design").encode(),
                                        ingest.Options(accept_new_partners=True)))
    store.close()
    upload(at, "milestones", "plan-b.csv", plan.format("Lease signed", "Fit-out").encode())
    assert at.radio(key="data_schedule_is").value is None
    assert not [b for b in at.button if b.key == "data_load"]
    at.radio(key="data_schedule_is").set_value("another").run()
    at.text_input(key="data_schedule_name").set_value("Hub").run()
    at.button(key="data_load").click().run()
    assert "Loaded 2 of 2 rows of plan-b.csv" in shown(at.success[0].value)
    store = Store(db_path())
    try:
        assert store.cursor().execute("SELECT milestone_id FROM milestones WHERE current ORDER BY 1").fetchall() == [
            ("1",), ("2",), ("Hub: 1",), ("Hub: 2",)]
    finally:
        store.close()


def test_one_slash_date_in_an_iso_log_is_an_invalid_row_not_a_question(at):
    data = ("Ref,Title,Raised by,Date raised\r\nR-1,Papers late,Northgate Housing,2025-11-03\r\n"
            "R-2,Budget,Northgate Housing,2025-11-10\r\nR-3,Board,Northgate Housing,05/01/2025\r\n").encode()
    upload(at, "issues", "raid.csv", data)
    assert not [r for r in at.radio if r.key == "data_date_order"]
    assert "Before loading, answer" not in text(at)
    failures = at.dataframe[0].value
    assert list(zip(failures["Row"], failures["Column"], failures["Value"])) == [(4, "Date raised", "05/01/2025")]
    assert "Column 'Date raised' writes its dates like 2025-11-03; 1 written like 05/01/2025" in text(at)
    assert [b.label for b in at.button if b.key == "data_load"] == ["Load the 2 valid rows"]


def test_text_from_the_file_is_shown_as_written_not_as_markdown(at):
    name = "**Kestrel** [site](http://x.example) :red[Ltd]"
    data = (f"Ref,Title,Raised by,Date raised\r\nR-1,Papers late,\"{name}\",2025-11-03\r\n").encode()
    upload(at, "issues", "raid_log_v2.csv", data)
    partner = [m.value for m in at.markdown if "row" in shown(m.value) and "Kestrel" in shown(m.value)]
    # ui/text.md: what opens a link, emphasis or a colour directive escaped, a word joiner after
    # each colon (Streamlit would still autolink http:// and read :red[)
    assert partner == ["'\\*\\*Kestrel\\*\\* \\[site\\](http\\:\u2060//x.example) \\:\u2060red\\[Ltd\\]', 1 row"]
    assert shown(partner[0]) == f"'{name}', 1 row"
