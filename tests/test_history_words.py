"""store.versions in words: the load history (loads and undos in one numbering, no None) and the data a
view shows ("data as loaded on 3 Dec 2026 14:05, before the undo of the issue log upload from ..."), on loads
and undos made through ingest.commit / ingest.undo."""
import pandas as pd
import pytest

from pipelines import ingest
from pipelines.store import versions

PARTNERS = b"Partner,Aliases\r\nNorthgate Housing,\r\nEastfield Council,\r\n"
RAID = (b"Ref,Title,Raised by,Date raised\r\n"
        b"R-1,Papers late,Northgate Housing,2026-11-03\r\n"
        b"R-2,Budget query,Eastfield Council,2026-11-10\r\n"
        b"R-3,Board date,Eastfield Council,TBC\r\n")
RAID_V2 = b"Ref,Title,Raised by,Date raised\r\nR-1,Papers late,Northgate Housing,2026-11-03\r\n"


def commit(store, dataset, name, data, **options) -> int:
    return ingest.commit(store, ingest.prepare(store, dataset, name, data), **options).batch_id


def at(store, batch: int, loaded: str, undone: str | None = None) -> None:
    """Fix a batch's times (the clock of a test run is not the one written in the assertions)."""
    with store.write() as cursor:
        cursor.execute("UPDATE batches SET loaded_at = ?, undone_at = ? WHERE batch_id = ?",
                       [pd.Timestamp(loaded), None if undone is None else pd.Timestamp(undone), batch])


@pytest.fixture
def history(store):
    """Loads 1 (partners), 2 (the RAID log, one row invalid), 3 (the undo of 2), 4 (the RAID log again)."""
    commit(store, "partners", "partners.csv", PARTNERS)
    commit(store, "issues", "RAID log.csv", RAID, policy="valid_only")
    ingest.undo(store, 2)
    commit(store, "issues", "RAID log v2.csv", RAID_V2)
    at(store, 1, "2026-12-03 09:00")
    at(store, 2, "2026-12-03 14:05", "2026-12-04 09:12")
    at(store, 4, "2026-12-04 10:30")
    return store


def test_every_load_and_undo_newest_first_in_words(history):
    words = versions.history_in_words(history.cursor())
    assert words.values.tolist() == [
        [4, "load", 4, "issues", "RAID log v2.csv", "4 Dec 2026 10:30", "The issue log upload", "1 of 1 loaded",
         "in the data", "The issue log upload from RAID log v2.csv"],
        [3, "undo", 2, "issues", "RAID log.csv", "4 Dec 2026 09:12", "The undo of the issue log upload", "", "",
         "The undo of the issue log upload from RAID log.csv"],
        [2, "load", 2, "issues", "RAID log.csv", "3 Dec 2026 14:05", "The issue log upload", "2 of 3 loaded, 1 invalid",
         "undone by number 3", "The issue log upload from RAID log.csv, undone by number 3"],
        [1, "load", 1, "partners", "partners.csv", "3 Dec 2026 09:00", "The partner list upload", "2 of 2 loaded",
         "in the data", "The partner list upload from partners.csv"],
    ]


def test_the_numbers_run_without_a_gap_and_nothing_is_none(history):
    words = versions.history_in_words(history.cursor())
    assert sorted(words["number"]) == [1, 2, 3, 4]
    assert not words.isna().any().any()
    assert "None" not in words.to_csv()


def test_skipped_rows_are_counted_apart_from_invalid_ones(store):
    plan = (b"ID,Name,Resource Names,Baseline Finish,Milestone\r\n"
            b"1,Outcomes framework signed,Northgate Housing,2026-06-30,Yes\r\n"
            b"2,Draft the framework,Northgate Housing,2026-05-30,No\r\n")
    commit(store, "partners", "partners.csv", PARTNERS)
    commit(store, "milestones", "plan.csv", plan)
    assert versions.history_in_words(store.cursor())["rows"].iloc[0] == "1 of 2 loaded, 1 skipped"


def test_the_latest_data_in_words(history):
    assert versions.in_words(history.cursor(), None) == "the latest data, as loaded on 4 Dec 2026 10:30"


def test_a_pinned_load_says_what_came_next(history):
    assert versions.in_words(history.cursor(), 2) == (
        "data as loaded on 3 Dec 2026 14:05, before the undo of the issue log upload from RAID log.csv")
    assert versions.in_words(history.cursor(), 1) == (
        "data as loaded on 3 Dec 2026 09:00, before the issue log upload from RAID log.csv")


def test_a_pinned_undo_says_what_it_undid(history):
    assert versions.in_words(history.cursor(), 3) == (
        "data as left by the undo of the issue log upload from RAID log.csv on 4 Dec 2026 09:12, before the "
        "issue log upload from RAID log v2.csv")


def test_a_pin_to_the_last_change_says_it_is_the_latest(history):
    assert versions.in_words(history.cursor(), 4) == "data as loaded on 4 Dec 2026 10:30, the latest"


def test_the_latest_data_after_an_undo(history):
    ingest.undo(history, 4)
    at(history, 4, "2026-12-04 10:30", "2026-12-05 08:00")
    assert versions.in_words(history.cursor(), None) == (
        "the latest data, as left by the undo of the issue log upload from RAID log v2.csv on 5 Dec 2026 08:00")


def test_an_unknown_version_is_named(history):
    with pytest.raises(versions.UnknownVersion, match="does not have data version 9"):
        versions.in_words(history.cursor(), 9)


def test_nothing_loaded_yet(store):
    assert versions.in_words(store.cursor(), None) == "no data loaded yet"
    words = versions.history_in_words(store.cursor())
    assert words.empty and list(words.columns) == ["number", "event", "batch", "dataset", "file", "when", "what",
                                                   "rows", "now", "entry"]


def test_demo_uploads_say_so(store):
    ingest.commit(store, ingest.prepare(store, "partners", "demo-partners.csv", PARTNERS), is_demo=True)
    at(store, 1, "2026-12-01 08:00")
    assert versions.history_in_words(store.cursor())["what"].tolist() == [
        "The partner list upload of the demo programme"]


@pytest.mark.parametrize("value, words", [
    ("2026-12-03 14:05:59", "3 Dec 2026 14:05"),
    ("2026-01-09 09:12", "9 Jan 2026 09:12"),
])
def test_a_moment_as_people_write_it(value, words):
    assert versions.moment(pd.Timestamp(value)) == words


def test_every_dataset_has_a_noun_for_the_history_and_the_template_buttons():
    from pipelines.ingest.fields import DATASET_NOUNS, DATASETS

    assert set(DATASET_NOUNS) == set(DATASETS)
    assert DATASET_NOUNS["headcount"] == "headcount list"


def test_an_action_change_is_said_as_the_edit_it_was_with_no_file(store):
    from pipelines.programme import actions

    commit(store, "partners", "partners.csv", PARTNERS)
    actions.add(store, partner="Northgate Housing", factor="shared goals", title="Joint risk register",
                owner="Eastfield Council", due="2027-01-31", is_demo=True)
    actions.done(store, 1, closed=pd.Timestamp("2026-12-05").date())
    words = versions.history_in_words(store.cursor())
    assert words[["what", "file", "rows"]].values.tolist() == [  # an edit's row is made, not loaded
        ["The edit \u201cAction 1 done on 5 Dec 2026: Joint risk register\u201d", "", ""],
        ["The edit \u201cAction 1 added for Northgate Housing (Shared goals): Joint risk register\u201d", "", ""],
        ["The partner list upload", "partners.csv", "2 of 2 loaded"]]
    assert words["entry"].tolist()[1:] == [  # an edit has no file to add
        "The edit \u201cAction 1 added for Northgate Housing (Shared goals): Joint risk register\u201d",
        "The partner list upload from partners.csv"]
    assert versions.in_words(store.cursor(), 2).endswith(
        ", before the edit \u201cAction 1 done on 5 Dec 2026: Joint risk register\u201d")
    ingest.undo(store, 3)
    assert versions.history_in_words(store.cursor())["what"].iloc[0] == (
        "The undo of the edit \u201cAction 1 done on 5 Dec 2026: Joint risk register\u201d")


def add_action(store, title: str = "Joint risk register"):
    """The partner list, then action 1 for Northgate Housing (versions 1 and 2)."""
    from pipelines.programme import actions

    commit(store, "partners", "partners.csv", PARTNERS)
    actions.add(store, partner="Northgate Housing", factor="shared goals", title=title, owner="Eastfield Council",
                due="2027-01-31")
    return actions


def test_an_edit_is_said_whole_though_its_new_owner_holds_a_colon(store):
    add_action(store, "Risk: the joint register").edit(store, 1, owner="PMO: rail team",
                                                       title="Risk: the joint register")
    assert versions.history_in_words(store.cursor())["what"].tolist()[:2] == [
        "The edit \u201cAction 1 (Risk: the joint register) edited: owner now PMO: rail team\u201d",
        "The edit \u201cAction 1 added for Northgate Housing (Shared goals): Risk: the joint register\u201d"]
    label = versions.labels(store.cursor())[3]
    assert label.rsplit(" \u00b7 ", 1)[0] == "v3 \u00b7 action 1 edited: owner now PMO: rail team"
    assert versions.parse(label, store.cursor()) == 3


def test_an_edit_that_changed_nothing_says_so(store):
    add_action(store).edit(store, 1, owner="Eastfield Council")
    assert versions.history_in_words(store.cursor())["what"].iloc[0] == (
        "The edit \u201cAction 1 (Joint risk register) edited: nothing changed\u201d")


def test_the_recorded_summary_of_a_change_is_the_history_s_sentence(store):
    add_action(store)
    assert versions.history(store.cursor())[["file", "summary"]].values.tolist()[0] == [
        "action 1 added", "Action 1 added for Northgate Housing (Shared goals): Joint risk register."]


def test_a_version_s_label_says_what_it_did_and_its_former_labels_still_name_it(store):
    add_action(store, "A very long title that a director pasted in whole from the minutes of the meeting")
    at(store, 1, "2026-12-03 09:00")
    at(store, 2, "2026-12-03 09:05")
    ingest.undo(store, 1)
    at(store, 1, "2026-12-03 09:00", "2026-12-04 10:00")
    assert versions.labels(store.cursor()) == {
        3: "v3 \u00b7 undo of v1, partner list from partners.csv \u00b7 4 Dec 2026 10:00",
        2: "v2 \u00b7 action 1 added: A very long title that a director pasted in\u2026 "
           "\u00b7 3 Dec 2026 09:05",
        1: "v1 \u00b7 partner list from partners.csv \u00b7 3 Dec 2026 09:00"}
    names = versions.names(store.cursor())
    assert {n: names[n] for n in ("version 3 \u00b7 4 Dec 2026 10:00", "undo of batch 1 (2026-12-04 10:00)",
                                  "version 2 \u00b7 3 Dec 2026 09:05", "batch 2 (2026-12-03 09:05)")} == {
        "version 3 \u00b7 4 Dec 2026 10:00": 3, "undo of batch 1 (2026-12-04 10:00)": 3,
        "version 2 \u00b7 3 Dec 2026 09:05": 2, "batch 2 (2026-12-03 09:05)": 2}


def test_a_survey_load_s_label_names_its_waves(store, tmp_path):
    from survey_files import load, programme, survey

    programme(tmp_path, ["Alder Works", "Birch Lane"], store=store)
    load(tmp_path, "survey", "pulse 2026-Q2.csv", survey("2026-Q2", {"Alder Works": 6, "Birch Lane": 6}), store=store)
    assert [label.rsplit(" \u00b7 ", 1)[0] for label in versions.labels(store.cursor()).values()] == [
        "v3 \u00b7 survey responses 2026-Q2 from pulse 2026-Q2.csv", "v2 \u00b7 partner list from partners.csv",
        "v1 \u00b7 survey questions from items.csv"]


def test_a_survey_load_of_many_waves_counts_them_and_keeps_its_file(store, tmp_path):
    from survey_files import load, programme, survey

    programme(tmp_path, ["Alder Works", "Birch Lane"], store=store)
    waves = ["2025-Q3", "2025-Q4", "2026-Q1"]
    rows = [survey(w, {"Alder Works": 6, "Birch Lane": 6}) for w in waves]
    header, *_ = rows[0].splitlines(keepends=True)
    history_file = header + "".join("".join(r.splitlines(keepends=True)[1:]) for r in rows)
    load(tmp_path, "survey", "pulse-history-export.csv", history_file, store=store)
    newest = next(iter(versions.labels(store.cursor()).values()))
    assert newest.rsplit(" \u00b7 ", 1)[0] == "v3 \u00b7 survey responses of 3 waves from pulse-history-export.csv"


def test_the_data_a_pack_shows_is_said_by_what_its_version_did(history):
    """The pack's "Data:" line: what the pinned version did, not its batch number."""
    assert versions.describe(history.cursor(), 2) == "pinned to version 2 (issue log, loaded 3 Dec 2026 14:05)"
    assert versions.describe(history.cursor(), 3) == (
        "pinned to version 3 (undo of version 2, issue log, 4 Dec 2026 09:12)")
    assert versions.describe(history.cursor(), None) == "latest data, version 4, loaded 4 Dec 2026 10:30"
    ingest.undo(history, 4)
    at(history, 4, "2026-12-04 10:30", "2026-12-05 08:00")
    assert versions.describe(history.cursor(), None) == (
        "latest data, version 5, undo of version 4, issue log, 5 Dec 2026 08:00")


def test_a_pack_pinned_to_an_action_s_change_says_the_change(store):
    add_action(store)
    at(store, 2, "2026-12-03 09:05")
    assert versions.describe(store.cursor(), 2) == "pinned to version 2 (action 1 added, 3 Dec 2026 09:05)"


def test_the_built_in_instrument_s_label_has_no_brackets_in_brackets(store):
    """The first version read "v1 · survey questions (default-instrument.csv (built in)) · ..."."""
    from pipelines.programme import bootstrap

    bootstrap.ensure_instrument(store)
    at(store, 1, "2026-12-03 09:00")
    assert versions.labels(store.cursor()) == {
        1: "v1 \u00b7 survey questions from default-instrument.csv (built in) \u00b7 3 Dec 2026 09:00"}


def test_a_link_written_with_a_label_s_bracketed_file_still_opens_its_version(history):
    """Labels named the file in brackets until the built-in instrument's nested them: links in the wild
    keep opening the version they were written for (an undo's too)."""
    cursor = history.cursor()
    assert versions.parse("v2 \u00b7 issue log (RAID log.csv) \u00b7 3 Dec 2026 14:05", cursor) == 2
    assert versions.parse("v3 \u00b7 undo of v2, issue log (RAID log.csv) \u00b7 4 Dec 2026 09:12", cursor) == 3
    assert versions.parse("v2 \u00b7 issue log from RAID log.csv \u00b7 3 Dec 2026 14:05", cursor) == 2


def test_an_action_s_label_has_no_former_bracketed_spelling(store):
    add_action(store)
    edit = next(v for v in versions.described(store.cursor()) if v.number == 2)
    assert len(edit.former_labels) == 2  # an edit named no file: no bracketed spelling to keep
