"""Running a DuckLake store for an organisation: replicas that start together on an empty
store, the readiness probe through an outage, moving a file's programme to a lake with its
history, and maintenance that keeps every version (issue #24).

A real PostgreSQL on loopback (``tests/pg.py``): the session's server for most tests, a server
of its own for the outage (it is stopped and started again).
"""
from __future__ import annotations

import glob
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pg
import pytest
from conftest import new_lake

from pipelines import cli, ingest
from pipelines.programme import bootstrap
from pipelines.programme.demo import DEMO_ACTIONS, demo_files
from pipelines.query import evidence, scores
from pipelines.store import Store, conninfo, versions
from pipelines.store.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
HANG_SECONDS = 600  # hang guard only: every wait below is on a state
ISSUE_HEADER = "Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\n"


def issue_log(prefix: str, count: int, stamp: str = "") -> bytes:
    return (ISSUE_HEADER + "".join(
        f"{prefix}-{n},Item {n}{stamp},Issue,Kestrel Design,Harbour Civils,2025-01-{n % 27 + 1:02d},,High,Open,No\n"
        for n in range(count))).encode()


def run(*argv: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=HANG_SECONDS, env={**os.environ, **env})


def database_of(location: str) -> str:
    """The catalog database's name in a ``ducklake:postgres:dbname=NAME ...`` location."""
    return re.search(r"dbname=(\w+)", location).group(1)


@pytest.fixture
def lake_env(postgres, tmp_path, monkeypatch) -> dict:
    """A fresh, empty, migrated lake set as the store, with this test's salt."""
    env = {"PARTNERSHIP_DB": new_lake(postgres), "PARTNERSHIP_LAKE_DATA_PATH": postgres.data_path,
           "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


# -- replicas starting together on an empty store ----------------------------------------
OPENER = """
import sys
from pipelines.programme import bootstrap
from pipelines.store import open_prepared
print('imported', flush=True)
sys.stdin.readline()  # the go signal: every process opens the store at the same moment
open_prepared(None, bootstrap.ensure_ready).close()
print('opened', flush=True)
"""


def test_processes_opening_a_new_empty_store_at_once_create_it_and_the_demo_once(postgres, tmp_path):
    location = f"ducklake:postgres:{postgres.create_database('empty_at_once')}"  # no lake in it at all
    env = {**os.environ, "PARTNERSHIP_DB": location, "PARTNERSHIP_LAKE_DATA_PATH": str(tmp_path / "data"),
           "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt"), "PARTNERSHIP_DEMO": "auto",
           "PARTNERSHIP_LOCK_WAIT_SECONDS": str(HANG_SECONDS)}
    openers = [subprocess.Popen([sys.executable, "-c", OPENER], cwd=ROOT, env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(3)]
    try:
        for opener in openers:  # all three have imported everything and wait for the signal
            assert opener.stdout.readline() == "imported\n", opener.stderr.read()
        for opener in openers:
            opener.stdin.write("go\n")
            opener.stdin.flush()
        results = [opener.communicate(timeout=HANG_SECONDS) for opener in openers]
    finally:
        for opener in openers:
            if opener.poll() is None:
                opener.kill()
    for opener, (out, problems) in zip(openers, results):
        assert opener.returncode == 0 and out.endswith("opened\n"), problems
        assert "Traceback" not in problems, problems
    store = Store(location)
    try:
        cursor = store.cursor()
        history = versions.history(cursor)
        # the default instrument, then the demo once: its files and each change to its agreed actions
        demo = len(demo_files()) + len(DEMO_ACTIONS) + sum(1 for action in DEMO_ACTIONS if action.closed)
        assert len(history) == demo + 1
        assert int(history["demo"].sum()) == demo
        assert sorted(history["batch"]) == list(range(1, demo + 2))
        assert cursor.execute("SELECT count(*), count(DISTINCT version) FROM version_seq").fetchone() == (
            demo + 1, demo + 1)
        partners, names = cursor.execute("SELECT count(*), count(DISTINCT name) FROM partners").fetchone()
        assert partners == names > 0
        assert cursor.execute("SELECT count(*) FROM salt_fingerprint").fetchone() == (1,)
    finally:
        store.close()


# -- check: the readiness probe -----------------------------------------------------------
def test_check_is_ready_on_a_lake_and_names_it_without_password(lake_env, postgres):
    store = Store()
    ingest.commit(store, ingest.prepare(store, "issues", "raid.csv", issue_log("K", 3)))
    store.close()
    with_password = lake_env["PARTNERSHIP_DB"] + " password='Zq7 secret'"  # trust auth: not needed, not shown
    done = run("check", env={**lake_env, "PARTNERSHIP_DB": with_password})
    assert done.returncode == 0, done.stderr
    shown = conninfo.masked(with_password.removeprefix("ducklake:postgres:"))
    assert done.stdout == (f"ready: ducklake:postgres:{shown}: schema {SCHEMA_VERSION}, salt {lake_env['PARTNERSHIP_SALT_FILE']} "
                           f"the same as the store's, data path {postgres.data_path} writable.\n")
    assert "Zq7" not in done.stdout + done.stderr


def test_check_on_a_new_lake_before_any_write_is_ready_and_says_the_fingerprint_comes_later(lake_env):
    Path(lake_env["PARTNERSHIP_SALT_FILE"]).write_text("s" * 64)
    done = run("check", env=lake_env)
    assert done.returncode == 0 and done.stdout.endswith("recorded by the store's next write, data path "
                                                         f"{lake_env['PARTNERSHIP_LAKE_DATA_PATH']} writable.\n")


def test_check_fails_with_another_salt(lake_env, tmp_path):
    store = Store()
    ingest.commit(store, ingest.prepare(store, "issues", "raid.csv", issue_log("K", 3)))
    store.close()
    other = tmp_path / "other-salt"
    other.write_text("t" * 64)
    done = run("check", env={**lake_env, "PARTNERSHIP_SALT_FILE": str(other)})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("not ready: ducklake:postgres:") and done.stderr.count("\n") == 1
    assert f"the salt in {other} is not the one the store was written with" in done.stderr


def test_check_fails_when_the_data_folder_is_not_there(postgres, tmp_path):
    location = f"ducklake:postgres:{postgres.create_database('lake_gone_folder')}"
    env = {"PARTNERSHIP_DB": location, "PARTNERSHIP_LAKE_DATA_PATH": str(tmp_path / "data"),
           "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt")}
    Path(env["PARTNERSHIP_SALT_FILE"]).write_text("s" * 64)
    assert run("history", env=env).returncode == 0  # creates the lake, its data path recorded
    shutil.rmtree(tmp_path / "data")  # the shared disk is not mounted
    done = run("check", env={**env, "PARTNERSHIP_LAKE_DATA_PATH": ""})
    assert done.returncode == 1
    assert f"the data folder {tmp_path / 'data'} does not take a new file" in done.stderr


def test_check_fails_on_an_older_schema_and_changes_nothing(lake_env):
    store = Store()
    with store.write() as cursor:
        cursor.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    store.close()
    done = run("check", env=lake_env)
    assert done.returncode == 1 and f"its schema is 4, this version writes {SCHEMA_VERSION}" in done.stderr
    assert Store(migrate=False).schema_version() == 4  # the probe migrated nothing


def test_check_on_an_empty_catalog_creates_nothing(postgres, tmp_path):
    name = "lake_never_made"
    env = {"PARTNERSHIP_DB": f"ducklake:postgres:{postgres.create_database(name)}",
           "PARTNERSHIP_LAKE_DATA_PATH": str(tmp_path / "data"), "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt")}
    done = run("check", env=env)
    assert done.returncode == 1 and done.stderr.startswith("not ready: There is no programme store at ")
    assert postgres.psql(name, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                         ).strip() == "0"


@pytest.fixture(scope="module")
def own_postgres():
    """A server of this module's own, to stop and start (the session's serves the other tests)."""
    if pg.bin_dir() is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install -y postgresql)")
    server = pg.PostgresServer().start()
    yield server
    server.stop()


def test_check_and_commands_through_an_outage(own_postgres, tmp_path, monkeypatch):
    env = {"PARTNERSHIP_DB": f"ducklake:postgres:{own_postgres.dsn()}",
           "PARTNERSHIP_LAKE_DATA_PATH": str(tmp_path / "data"), "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = Store()  # a replica's store, opened before the outage
    try:
        ingest.commit(store, ingest.prepare(store, "issues", "raid.csv", issue_log("K", 3)))
        assert run("check", env=env).returncode == 0
        own_postgres.pause()
        down = run("check", env=env)
        assert down.returncode == 1 and down.stdout == ""
        assert down.stderr == (f"not ready: The programme store ducklake:postgres:{own_postgres.dsn()} cannot be "
                               "reached (Connection refused). Nothing was changed; try again once PostgreSQL "
                               "answers.\n")
        history = run("history", env=env)
        assert history.returncode == 3 and history.stderr.count("\n") == 1 and "cannot be reached" in history.stderr
        # the store opened before the outage: a command on it says the same, in one line
        err = io.StringIO()
        assert cli.main(["scores"], store=store, out=io.StringIO(), err=err) == 3
        assert err.getvalue().count("\n") == 1 and "cannot be reached" in err.getvalue()
        own_postgres.resume()
        assert run("check", env=env).returncode == 0
        # ... and serves again without being opened anew
        out = io.StringIO()
        assert cli.main(["history"], store=store, out=out, err=io.StringIO()) == 0 and "raid.csv" in out.getvalue()
    finally:
        store.close()


# -- migrate: a file's programme, every version, into a lake -------------------------------
def every_table(store: Store) -> dict[str, list]:
    cursor = store.cursor()
    tables = [r[0] for r in cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main' AND table_name NOT IN ('version_seq') ORDER BY 1").fetchall()]
    return {t: sorted(cursor.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def test_migrate_copies_the_demo_with_every_version(demo, lake_env, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(demo / "salt"))  # the demo's respondent keys are its salt's
    file_db = Path(demo / "demo.duckdb")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_DB", str(file_db))
        assert cli.main(["migrate", "--to", lake_env["PARTNERSHIP_DB"]], out=out, err=err) == 0, err.getvalue()
    source, target = Store(file_db), Store(lake_env["PARTNERSHIP_DB"])
    try:
        last = versions.data_version(source.cursor())
        assert out.getvalue().startswith(f"Copied {len(versions.history(source.cursor()))} batches (data versions "
                                         f"up to {last}, ")
        numbers = [v.number for v in versions.all_versions(source.cursor())]
        assert numbers and numbers == [v.number for v in versions.all_versions(target.cursor())]
        assert versions.labels(source.cursor()) == versions.labels(target.cursor())  # pinned links
        for asof in [None, *numbers]:
            pd.testing.assert_frame_equal(scores.scores_export(target.cursor(), asof=asof),
                                          scores.scores_export(source.cursor(), asof=asof), check_dtype=False)
        copied, original = every_table(target), every_table(source)
        assert copied == original
        assert {"batches", "partners", "partner_aliases", "mapping_memory", "rejected_rows", "survey_responses",
                "issues", "milestones", "salt_fingerprint"} <= set(copied)
        # the next load on the lake gets the number the file would have given it
        drawn = source.cursor().execute(
            "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'version_seq'").fetchone()[0]
        lake_batch = ingest.commit(target, ingest.prepare(target, "issues", "next.csv", issue_log("N", 2))).batch_id
        assert lake_batch == drawn + 1
    finally:
        source.close()
        target.close()
    check = run("check", env={**lake_env, "PARTNERSHIP_SALT_FILE": str(demo / "salt")})
    assert check.returncode == 0 and "the same as the store's" in check.stdout, check.stderr


def test_migrate_refuses_a_lake_that_holds_data_and_writes_nothing(demo, lake_env):
    lake_store = Store(lake_env["PARTNERSHIP_DB"])
    ingest.commit(lake_store, ingest.prepare(lake_store, "issues", "raid.csv", issue_log("K", 3)))
    before = every_table(lake_store)
    lake_store.close()
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_DB", str(demo / "demo.duckdb"))
        assert cli.main(["migrate", "--to", lake_env["PARTNERSHIP_DB"]], out=io.StringIO(), err=err) == 1
    assert "already holds data (batches, issues, mapping_memory, partners, version_seq)" in err.getvalue()
    assert "new, empty store only" in err.getvalue()
    lake_store = Store(lake_env["PARTNERSHIP_DB"])
    assert every_table(lake_store) == before
    lake_store.close()


# -- maintain ---------------------------------------------------------------------------------
def catalog_state(postgres, location: str, data_path: str) -> dict[str, int]:
    database = database_of(location)

    def number(sql: str) -> int:
        return int(postgres.psql(database, sql).strip())

    inlined = postgres.psql(database, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE "
                                      "'ducklake_inlined_data_%' AND table_name <> 'ducklake_inlined_data_tables'").split()
    return {"inlined tables": len(inlined),
            "inlined rows": sum(number(f"SELECT count(*) FROM {table}") for table in inlined),
            "live data files": number("SELECT count(*) FROM ducklake_data_file WHERE end_snapshot IS NULL"),
            "snapshots": number("SELECT count(*) FROM ducklake_snapshot"),
            "files on disk": len(glob.glob(f"{data_path}/**/*.parquet", recursive=True))}


def test_maintain_after_30_batches_shrinks_the_catalog_and_keeps_every_version(postgres, tmp_path, monkeypatch):
    location = f"ducklake:postgres:{postgres.create_database('lake_maintained')}"
    data = tmp_path / "data"  # its own folder, so the files counted are this lake's
    for name, value in {"PARTNERSHIP_DB": location, "PARTNERSHIP_LAKE_DATA_PATH": str(data),
                        "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt")}.items():
        monkeypatch.setenv(name, value)
    store = Store()
    try:
        bootstrap.load_demo(store)  # the instrument and the demo programme: 12 batches
        for number in range(17):  # small logs stay in the catalog (inlined), larger ones are files
            log = issue_log(f"M{number}", 4 if number % 3 == 0 else 40, f" v{number}")
            ingest.commit(store, ingest.prepare(store, "issues", f"raid-{number}.csv", log))
        ingest.undo(store, store.data_version())  # an undo is a version too
        numbers = [v.number for v in versions.all_versions(store.cursor())]
        assert len(numbers) >= 30

        def every_view() -> dict:
            cursor = store.cursor()
            return {asof: (scores.scores_export(cursor, asof=asof), evidence.indicators(cursor, asof=asof))
                    for asof in [None, *numbers]}

        before_views = every_view()
        before = catalog_state(postgres, location, str(data))
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["maintain", "--keep-minutes", "0"], store=store, out=out, err=err) == 0, err.getvalue()
        after = catalog_state(postgres, location, str(data))

        assert before["inlined rows"] > 0 and after["inlined rows"] == 0, (before, after)
        assert after["inlined tables"] < before["inlined tables"], (before, after)
        assert after["live data files"] < before["live data files"], (before, after)
        assert after["files on disk"] < before["files on disk"], (before, after)
        assert before["snapshots"] > 30 and after["snapshots"] == 2, (before, after)  # the current one, and merging's
        assert out.getvalue().startswith(f"Maintained ducklake:postgres:{location.removeprefix('ducklake:postgres:')}"
                                         ": moved ")
        assert "Every data version and pinned link is unchanged." in out.getvalue()
        for asof, (shown, indicators) in every_view().items():
            pd.testing.assert_frame_equal(shown, before_views[asof][0])
            pd.testing.assert_frame_equal(indicators, before_views[asof][1])
        # the store takes the next load as before
        result = ingest.commit(store, ingest.prepare(store, "issues", "after.csv", issue_log("A", 5)))
        assert result.batch_id == max(numbers) + 1
    finally:
        store.close()
