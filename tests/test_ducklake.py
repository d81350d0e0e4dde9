"""The store on DuckLake: a real PostgreSQL catalog on loopback, Parquet data in a temp folder.

The server is started once for the session (``tests/pg.py``); each test gets its own
catalog database and data path. The core ingest and score tests are imported from their
own modules and run here unchanged, with ``store`` replaced by a lake store. Several
processes over one catalog: a load through one is seen by another, loads from two at
once lose nothing, and a reader never sees half a batch.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import builders
import pandas as pd
import pytest
from conftest import new_lake

# The core flows, unchanged: with the `store` fixture below they run on the lake.
from test_ingest import (  # noqa: F401  (collected by pytest)
    programme,
    test_failed_load_leaves_the_database_as_it_was,
    test_instrument_with_unknown_factor_and_bad_scale_is_refused_whole,
    test_loading_the_same_file_twice_changes_nothing,
    test_milestones_with_joint_owners,
    test_survey_wide_file_lands_long_with_partner_aliases_and_wave,
    test_updated_issue_log_replaces_its_issues_and_undo_restores_them,
)
from test_scores import (  # noqa: F401
    test_asof_pin_survives_new_load_and_undo,
    test_complementary_suppression_6_6_2,
)

from pipelines.query import scores
from pipelines.store import Store, is_lake, lake
from pipelines.store.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lake_location(postgres, monkeypatch) -> str:
    """A fresh, empty, migrated lake, set as the store (``postgres`` is in conftest)."""
    location = new_lake(postgres)
    monkeypatch.setenv("PARTNERSHIP_DB", location)
    monkeypatch.setenv("PARTNERSHIP_LAKE_DATA_PATH", postgres.data_path)
    return location


@pytest.fixture
def store(lake_location):
    """Overrides conftest's file store: every test in this module runs on the lake."""
    store = Store()
    yield store
    store.close()


def run_cli(*argv: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


# -- the store location ------------------------------------------------------------
def test_the_setting_names_a_lake_and_the_store_opens_it(store, lake_location):
    assert is_lake() and store.is_lake and store.lake == lake_location
    assert store.cursor().execute("SELECT current_database()").fetchone() == ("lake",)
    assert store.schema_version() == SCHEMA_VERSION
    tables = {row[0] for row in store.cursor().execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'lake'").fetchall()}
    assert {"batches", "partners", "survey_responses", "issues", "meta", "mapping_memory"} <= tables
    # a path made from the setting (as the CLI's --db does) still names the lake
    assert lake.location_of(Path(lake_location).resolve()) == lake_location
    assert lake.location_of("/data/partnership.duckdb") is None


def test_a_second_open_of_the_same_lake_migrates_nothing(store, lake_location):
    again = Store(lake_location)
    assert again.schema_version() == SCHEMA_VERSION
    assert again.cursor().execute("SELECT count(*) FROM meta WHERE key = 'schema_version'").fetchone() == (1,)
    again.close()


def test_versions_count_on_across_writes_and_reopen(store, lake_location):
    batch = builders.load(store, "instrument_items", builders.instrument())
    undone = builders.undo(store, batch)
    assert (batch, undone) == (1, 2)
    store.close()
    reopened = Store(lake_location)
    assert builders.load(reopened, "instrument_items", builders.instrument()) == 3
    assert reopened.data_version() == 3
    reopened.close()


def test_a_lake_made_before_version_seq_keeps_counting_from_its_counter(store, lake_location):
    """Schema 3 moves the lake's version counter out of meta: numbers go on, none drawn twice."""
    builders.load(store, "instrument_items", builders.instrument())
    with store.write() as cursor:  # the lake as schema 2 left it
        cursor.execute("DROP TABLE version_seq")
        cursor.execute("DROP TABLE salt_fingerprint")
        _text_respondent_keys(cursor)
        cursor.execute("INSERT INTO meta VALUES ('version_counter', '7')")
        cursor.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.close()
    reopened = Store(lake_location)
    assert reopened.schema_version() == SCHEMA_VERSION
    # another instrument (the same file again would load nothing)
    assert builders.load(reopened, "instrument_items", builders.instrument(items_per_factor=1)) == 8
    assert reopened.cursor().execute("SELECT count(*) FROM meta WHERE key = 'version_counter'").fetchone() == (0,)
    reopened.close()


def _text_respondent_keys(cursor) -> None:
    """survey_responses as schemas 1-3 made it (text respondent keys), empty."""
    from pipelines.store.schema import MIGRATIONS
    cursor.execute("DROP TABLE survey_responses")
    cursor.execute(next(s for s in MIGRATIONS[0][2] if "CREATE TABLE survey_responses" in s))


def test_a_lake_with_text_respondent_keys_gets_integer_keys(store, lake_location):
    """Schema 4 on a lake: a new table copied from the old one (DuckLake cannot change a type in place)."""
    import hashlib
    import hmac

    from pipelines.ingest import privacy
    salt = b"s" * 32
    text_key = hmac.new(salt, b"id:r1", hashlib.sha256).hexdigest()[:20]
    with store.write() as cursor:  # survey_responses as schema 3 left it
        cursor.execute("DROP TABLE salt_fingerprint")
        _text_respondent_keys(cursor)
        cursor.execute("INSERT INTO survey_responses VALUES (?, 1, '2025-Q1', '2025-01-01', 'SG1', 4.0, 1, true)",
                       [text_key])
        cursor.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    store.close()
    reopened = Store(lake_location)
    assert reopened.schema_version() == SCHEMA_VERSION
    key = int(privacy.pseudonymise(pd.Series(["id:r1"]), salt)[0])
    assert reopened.cursor().execute("SELECT respondent_key, wave, item_id, value FROM survey_responses").fetchall() == [
        (key, "2025-Q1", "SG1", 4.0)]
    assert reopened.cursor().execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'lake' "
        "AND table_name = 'survey_responses' ORDER BY ordinal_position").fetchall()[:2] == [
        ("respondent_key", "UBIGINT"), ("partner_id", "INTEGER")]
    reopened.close()


def test_scores_with_suppression_equal_the_file_store(store, tmp_path):
    file_store = Store(tmp_path / "same.duckdb")
    for target in (file_store, store):
        ids = builders.add_partners(target, ["Kestrel", "Harbour", "Corvell"])
        builders.load(target, "instrument_items", builders.instrument(reverse={"shared_goals_2"}))
        answers = {"Kestrel": [3, 4, 5, 4, 2, 5, 4], "Harbour": [2, 3, 3, 4, 5, 1], "Corvell": [4, 4]}
        for wave, start in (("2025-Q1", "2025-01-01"), ("2025-Q2", "2025-04-01")):  # a wave's file at once
            builders.load(target, "survey_responses", [
                row for name, values in answers.items()
                for row in builders.responses(ids[name], wave, start, [builders.all_items(v) for v in values])])
    lake_scores = scores.factor_scores(store.cursor())
    file_scores = scores.factor_scores(file_store.cursor())
    assert lake_scores["suppressed"].any() and (~lake_scores["suppressed"]).any()
    pd.testing.assert_frame_equal(lake_scores, file_scores, check_dtype=False)
    # version 4: partners, instrument, the programme's Q1 file and its Q2 file
    pd.testing.assert_frame_equal(scores.index_scores(store.cursor(), asof=4),
                                  scores.index_scores(file_store.cursor(), asof=4), check_dtype=False)
    file_store.close()


# -- several processes over one catalog ----------------------------------------------
ISSUE_HEADER = "Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\n"


def issue_log(partner: str, ids: range, stamp: str) -> str:
    return ISSUE_HEADER + "".join(
        f"{partner[0]}-{n},Item {n} {stamp},Issue,{partner},{partner},2025-01-{(n % 27) + 1:02d},,High,Open,No\n"
        for n in ids)


def test_a_load_through_one_process_is_seen_by_another_already_open(store, tmp_path):
    before = store.data_version()
    log = tmp_path / "raid.csv"
    log.write_text(issue_log("Kestrel Design", range(1, 6), "a"))
    done = run_cli("load", str(log), "--dataset", "issues")
    assert done.returncode == 0, done.stderr
    # the same Store, opened before the other process loaded: it sees the batch at once
    assert store.data_version() > before
    assert store.cursor().execute("SELECT count(*) FROM issues WHERE current").fetchone() == (5,)
    history = run_cli("history")
    assert history.returncode == 0 and "raid.csv" in history.stdout, history.stderr
    assert not (store.path / ".jobs").exists() or not any((store.path / ".jobs").iterdir())


WRITER = textwrap.dedent("""
    import sys
    from pipelines import ingest
    from pipelines.store import Store
    store = Store()
    for path in sys.argv[1:]:
        data = open(path, 'rb').read()
        preview = ingest.prepare(store, 'issues', path.rsplit('/', 1)[-1], data)
        assert not preview.questions, preview.questions
        ingest.commit(store, preview)
    store.close()
""")


def test_loads_from_two_processes_at_once_lose_nothing(store, tmp_path):
    files = {}
    for partner in ("Quarry Signals", "Meridian Tunnelling"):
        files[partner] = []
        for number in range(3):
            path = tmp_path / f"{partner.split()[0].lower()}-{number}.csv"
            path.write_text(issue_log(partner, range(number * 10, number * 10 + 10), "x"))
            files[partner].append(str(path))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, *paths], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for paths in files.values()]
    for writer in writers:
        _, problems = writer.communicate(timeout=180)
        assert writer.returncode == 0, problems
    cursor = store.cursor()
    assert cursor.execute("SELECT count(*), count(DISTINCT batch_id), max(batch_id) FROM batches").fetchone() == (6, 6, 6)
    assert cursor.execute("SELECT count(*), count(DISTINCT version), max(version) FROM version_seq").fetchone() == (6, 6, 6)
    assert cursor.execute("SELECT count(*), count(DISTINCT issue_id) FROM issues WHERE current").fetchone() == (60, 60)
    partners = cursor.execute("SELECT partner_id, name FROM partners ORDER BY partner_id").fetchall()
    assert sorted(name for _, name in partners) == ["Meridian Tunnelling", "Quarry Signals"]
    assert [partner_id for partner_id, _ in partners] == [1, 2]


READER = textwrap.dedent("""
    import sys, time
    from pipelines.store import Store
    store = Store()
    cursor = store.cursor()
    deadline, polls, seen = time.monotonic() + float(sys.argv[1]), 0, set()
    while time.monotonic() < deadline and len(seen) < int(sys.argv[2]):
        rows = cursor.execute('''
            SELECT b.batch_id, b.rows_accepted, count(i.issue_id) AS loaded,
                   (SELECT count(*) FROM issues WHERE current) AS current_rows
            FROM batches b LEFT JOIN issues i ON i.batch_id = b.batch_id
            WHERE b.dataset = 'issues' GROUP BY ALL''').fetchall()
        for batch, accepted, loaded, current_rows in rows:
            assert loaded == accepted, f'batch {batch}: {loaded} of {accepted} rows visible'
            assert current_rows == 20, f'{current_rows} current issues while batch {batch} loads'
            seen.add(batch)
        polls += 1
    print(polls, len(seen))
""")


def test_a_reader_never_sees_half_a_batch(store, tmp_path):
    first = tmp_path / "log-0.csv"
    first.write_text(issue_log("Kestrel Design", range(20), "v0"))
    assert run_cli("load", str(first), "--dataset", "issues").returncode == 0
    versions = []
    for number in range(1, 6):  # the same 20 issues again, each file an update of all of them
        path = tmp_path / f"log-{number}.csv"
        path.write_text(issue_log("Kestrel Design", range(20), f"v{number}"))
        versions.append(str(path))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = subprocess.Popen([sys.executable, "-c", READER, "150", "6"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)  # the reader is polling before the writer starts
    writer = subprocess.run([sys.executable, "-c", WRITER, *versions], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert writer.returncode == 0, writer.stderr
    out, problems = reader.communicate(timeout=180)
    assert reader.returncode == 0, problems
    polls, seen = map(int, out.split())
    assert seen == 6 and polls > 6, out
