"""The pipeline end to end on small files: read -> map -> validate -> load, reload, replace, undo."""
import datetime as dt

import pandas as pd
import pytest

from pipelines import ingest
from pipelines.ingest import loader, privacy
from pipelines.programme import bootstrap
from pipelines.store import Store, versions
from pipelines.store.schema import SCHEMA_VERSION

ITEMS = (
    "Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\r\n"
    "SG1,We agreed the programme goals together,shared goals,1,5,No\r\n"
    "SG2,Our goals were set by one partner,shared goals,1,5,Yes\r\n"
    "PS1,I can admit a mistake to another partner,psychological safety,1,5,No\r\n"
).encode()


def load(store, dataset, name, text, options=None, policy="all_or_nothing"):
    preview = ingest.prepare(store, dataset, name, text.encode() if isinstance(text, str) else text, options)
    assert not preview.questions, preview.questions
    return ingest.commit(store, preview, policy=policy)


def rows(store, sql, params=None):
    return store.cursor().execute(sql, params or []).fetchall()


@pytest.fixture
def programme(store):
    load(store, "instrument", "items.csv", ITEMS)
    load(store, "partners", "partners.csv", "Partner,Aliases\nKestrel Design,Kestrel Design Ltd; KDL\nHarbour Civils,\n")
    return store


def test_instrument_loads_with_factor_scale_and_reverse(store):
    result = load(store, "instrument", "items.csv", ITEMS)
    assert result.rows_accepted == 3
    assert rows(store, "SELECT item_id, factor, scale_min, scale_max, reverse_scored FROM instrument_items "
                       "ORDER BY item_id") == [
        ("PS1", "psychological_safety", 1, 5, False),
        ("SG1", "shared_goals", 1, 5, False),
        ("SG2", "shared_goals", 1, 5, True),
    ]


def test_instrument_with_unknown_factor_and_bad_scale_is_refused_whole(store):
    bad = (b"Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\n"
           b"X1,Text,teamwork,1,5,No\nX2,Text,shared goals,5,1,Maybe\n")
    preview = ingest.prepare(store, "instrument", "bad.csv", bad)
    failures = preview.validation.failures
    assert sorted(zip(failures["source_row"], failures["check"])) == [
        (2, "factor_is_one_of_the_five"),
        (3, "reverse_scored_is_yes_or_no"),
        (3, "scale_has_two_points_or_more"),
    ]
    assert failures.loc[failures["check"] == "factor_is_one_of_the_five", "value"].item() == "teamwork"
    with pytest.raises(ingest.Refused):
        ingest.commit(store, preview)
    assert rows(store, "SELECT count(*) FROM batches") == [(0,)]


SURVEY = (
    "Respondent ID,Organisation,Response date,SG1,SG2,PS1\n"
    "r1,Kestrel Design Ltd,2025-02-10,5,1,4\n"
    "r2,KDL,2025-02-11,4,,3\n"
    "r3,Harbour Civils,2025-02-12,Agree,Disagree,Strongly agree\n"
)


def test_survey_wide_file_lands_long_with_partner_aliases_and_wave(programme):
    result = load(programme, "survey", "pulse.csv", SURVEY)
    assert result.rows_accepted == 3
    assert rows(programme, """SELECT p.name, r.wave, r.item_id, r.value FROM survey_responses r
        JOIN partners p USING (partner_id) ORDER BY p.name, r.item_id, r.value""") == [
        ("Harbour Civils", "2025-Q1", "PS1", 5.0), ("Harbour Civils", "2025-Q1", "SG1", 4.0),
        ("Harbour Civils", "2025-Q1", "SG2", 2.0),
        ("Kestrel Design", "2025-Q1", "PS1", 3.0), ("Kestrel Design", "2025-Q1", "PS1", 4.0),
        ("Kestrel Design", "2025-Q1", "SG1", 4.0), ("Kestrel Design", "2025-Q1", "SG1", 5.0),
        ("Kestrel Design", "2025-Q1", "SG2", 1.0),
    ]
    keys = [r[0] for r in rows(programme, "SELECT DISTINCT respondent_key FROM survey_responses")]
    assert sorted(keys) == sorted(privacy.pseudonymise(pd.Series(["id:r1", "id:r2", "id:r3"]), privacy.salt()))


def test_survey_scores_outside_scale_are_reported_with_row_and_column(programme):
    text = SURVEY.replace("r2,KDL,2025-02-11,4,,3", "r2,KDL,2025-02-11,9,,three")
    preview = ingest.prepare(programme, "survey", "pulse.csv", text.encode())
    failures = preview.validation.failures
    assert list(zip(failures["source_row"], failures["column"], failures["value"], failures["check"])) == [
        (3, "PS1", "three", "answer_is_a_number"),
        (3, "SG1", "9", "answer_within_scale"),
    ]
    assert preview.validation.invalid_rows == 1
    result = ingest.commit(programme, preview, policy="valid_only")
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    assert rows(programme, "SELECT source_row, column_name, value FROM rejected_rows ORDER BY column_name") == [
        (3, "PS1", "three"), (3, "SG1", "9")]


def test_loading_the_same_file_twice_changes_nothing(programme):
    first = load(programme, "survey", "pulse.csv", SURVEY)
    before = rows(programme, "SELECT count(*) FROM survey_responses")
    preview = ingest.prepare(programme, "survey", "pulse (1).csv", SURVEY.encode())
    assert preview.already_loaded == first.batch_id
    again = ingest.commit(programme, preview)
    assert "already loaded" in again.message
    assert rows(programme, "SELECT count(*) FROM survey_responses") == before
    assert rows(programme, "SELECT count(*) FROM batches WHERE dataset = 'survey'") == [(1,)]


ISSUES = (
    "Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\n"
    "I-1,Drawings late,Issue,Kestrel Design,Harbour Civils,2025-01-05,,High,Open,No\n"
    "I-2,Access dispute,Dispute,Harbour Civils,Harbour Civils,2025-01-07,2025-01-20,Amber,Closed,Yes\n"
)


def test_updated_issue_log_replaces_its_issues_and_undo_restores_them(programme):
    first = load(programme, "issues", "raid-jan.csv", ISSUES)
    updated = ISSUES.replace("2025-01-05,,High,Open", "2025-01-05,2025-02-01,High,Closed") + \
        "I-3,New risk,Risk,Kestrel Design,,2025-02-02,,Low,Open,N\n"
    second = load(programme, "issues", "raid-feb.csv", updated)
    current = "SELECT issue_id, resolved_date IS NOT NULL, batch_id FROM issues WHERE current ORDER BY issue_id"
    assert rows(programme, current) == [("I-1", True, second.batch_id), ("I-2", True, second.batch_id),
                                        ("I-3", False, second.batch_id)]
    assert rows(programme, "SELECT count(*) FROM issues") == [(5,)]
    ingest.undo(programme, second.batch_id)
    assert rows(programme, current) == [("I-1", False, first.batch_id), ("I-2", True, first.batch_id)]
    with pytest.raises(ValueError, match="already undone"):
        ingest.undo(programme, second.batch_id)


def test_resolved_before_raised_and_duplicate_ids_are_each_reported(programme):
    text = ISSUES + "I-1,Again,Issue,Kestrel Design,,2025-03-01,2025-02-01,Low,Closed,No\n"
    preview = ingest.prepare(programme, "issues", "raid.csv", text.encode())
    failures = preview.validation.failures
    assert sorted(zip(failures["source_row"], failures["check"])) == [
        (2, "field_uniqueness"), (4, "field_uniqueness"), (4, "resolved_not_before_raised")]


def test_milestones_with_joint_owners(programme):
    text = ("Milestone ID,Title,Owner,Baseline date,Forecast date,Actual date,Status\n"
            "M1,Design freeze,Kestrel Design; Harbour Civils,2025-03-31,2025-04-10,2025-04-12,Complete\n"
            "M2,Site set-up,Harbour Civils,2025-05-01,,,Not started\n")
    load(programme, "milestones", "plan.csv", text)
    assert rows(programme, "SELECT milestone_id, owner_partner_ids FROM milestones ORDER BY 1") == [
        ("M1", [1, 2]), ("M2", [2])]


def test_a_near_twin_partner_name_needs_a_decision(programme):
    text = SURVEY.replace("Harbour Civils", "Harbor Civils")
    preview = ingest.prepare(programme, "survey", "pulse.csv", text.encode())
    assert any("Harbor Civils" in q and "Harbour Civils" in q for q in preview.questions)
    with pytest.raises(ingest.NotReady):
        ingest.commit(programme, preview)
    options = ingest.Options(partner_links={"Harbor Civils": "Harbour Civils"})
    load(programme, "survey", "pulse.csv", text, options)
    assert rows(programme, "SELECT count(*) FROM partners") == [(2,)]
    assert rows(programme, "SELECT alias FROM partner_aliases WHERE alias = 'Harbor Civils'") == [("Harbor Civils",)]


def test_new_partners_need_confirmation_in_the_app_and_are_named_on_the_command_line(programme):
    text = SURVEY.replace("Harbour Civils", "Osprey Systems")
    asked = ingest.prepare(programme, "survey", "pulse.csv", text.encode(), ingest.Options(new_partners=set()))
    assert any("Osprey Systems" in q for q in asked.questions)
    result = load(programme, "survey", "pulse.csv", text)
    assert result.new_partners == ["Osprey Systems"]
    assert "new partners: Osprey Systems" in result.message


def test_personal_data_is_never_stored(programme):
    text = ("Respondent ID,Name,Email,IPAddress,Organisation,Response date,SG1\n"
            "r9,Ann Example,ann@example.org,203.0.113.7,Kestrel Design,2025-05-05,4\n")
    preview = ingest.prepare(programme, "survey", "forms.csv", text.encode())
    assert set(preview.personal_columns) == {"Name", "Email", "IPAddress"}
    ingest.commit(programme, preview)
    dump = " ".join(str(v) for table in ("survey_responses", "batches", "rejected_rows", "mapping_memory")
                    for row in rows(programme, f"SELECT * FROM {table}") for v in row)
    for secret in ("Ann Example", "ann@example.org", "203.0.113.7", "r9"):
        assert secret not in dump


def test_demo_programme_loads_through_the_pipelines_and_is_removed_in_one_step(store):
    results = bootstrap.load_demo(store)
    assert all(r.rows_rejected == 0 for r in results)
    assert rows(store, "SELECT count(*) FROM partners") == [(6,)]
    assert rows(store, "SELECT count(DISTINCT wave) FROM survey_responses") == [(8,)]
    assert versions.is_demo(store.cursor())
    ingest.remove_demo(store)
    assert rows(store, "SELECT count(*) FROM survey_responses") == [(0,)]
    assert rows(store, "SELECT count(*) FROM partners") == [(0,)]
    assert not versions.is_demo(store.cursor())
    assert rows(store, "SELECT count(*) FROM instrument_items WHERE current")[0][0] > 0


def test_failed_load_leaves_the_database_as_it_was(programme, monkeypatch):
    before = rows(programme, "SELECT count(*) FROM batches"), rows(programme, "SELECT count(*) FROM partners")
    preview = ingest.prepare(programme, "survey", "pulse.csv",
                             SURVEY.replace("Harbour Civils", "Osprey Systems").encode())

    def explode(*args):
        raise RuntimeError("disk full")
    monkeypatch.setitem(loader._LOADERS, "survey", explode)
    with pytest.raises(RuntimeError):
        ingest.commit(programme, preview)
    after = rows(programme, "SELECT count(*) FROM batches"), rows(programme, "SELECT count(*) FROM partners")
    assert after == before


@pytest.mark.parametrize("made_at", [1, 2, 3])
def test_migration_from_an_older_schema_keeps_data(tmp_path, made_at):
    import hashlib
    import hmac
    import threading

    import duckdb
    path = tmp_path / "old.duckdb"
    old = Store.__new__(Store)
    old.path = path
    old._write_lock = threading.RLock()
    old.connection = duckdb.connect(str(path))
    old.migrate(upto=made_at)
    assert old.schema_version() == made_at
    old.connection.execute("INSERT INTO partners VALUES (1, 'Kestrel Design', NULL)")
    salt = b"s" * 32  # before schema 4 a respondent's key was the first 20 hex digits of its HMAC
    text_key = hmac.new(salt, b"id:r1", hashlib.sha256).hexdigest()[:20]
    old.connection.execute("INSERT INTO survey_responses VALUES (?, 1, '2025-Q1', '2025-01-01', 'SG1', 4.0, 1, true)",
                           [text_key])
    old.close()
    new = Store(path)
    assert new.schema_version() == SCHEMA_VERSION
    cursor = new.cursor()
    assert cursor.execute("SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'survey_current'"
                          ).fetchone() == (0,)  # schema 3 dropped it
    assert cursor.execute("SELECT name FROM partners").fetchall() == [("Kestrel Design",)]
    assert cursor.execute("SELECT count(*) FROM mapping_memory").fetchone() == (0,)
    # schema 4: the same respondent, the key a re-upload of the same file now computes
    assert cursor.execute("SELECT * FROM survey_responses").fetchall() == [
        (int(privacy.pseudonymise(pd.Series(["id:r1"]), salt)[0]), 1, "2025-Q1", dt.date(2025, 1, 1), "SG1", 4.0, 1, True)]
    assert [c[:2] for c in cursor.execute("DESCRIBE survey_responses").fetchall()] == [
        ("respondent_key", "UBIGINT"), ("partner_id", "INTEGER"), ("wave", "VARCHAR"), ("wave_start", "DATE"),
        ("item_id", "VARCHAR"), ("value", "DOUBLE"), ("batch_id", "INTEGER"), ("current", "BOOLEAN")]
    new.close()
