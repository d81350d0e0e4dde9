"""A load killed with SIGKILL on a DuckLake store leaves nothing half loaded, and the next load works.

The DuckLake twin of ``test_crash_safety.py``. A real ``python -m pipelines load`` of a large
issue log is killed at moments chosen by the state of the load, never by the clock:

1. while it waits for the lake's write lock (the test holds it; PostgreSQL shows the load
   asking for it): it has read and checked the file and written nothing;
2. as soon as it holds the lock (its transaction has begun);
3. once it has written a data file to the data folder while still holding the lock (its rows
   are on disk, the catalog does not list them yet) - or, on a machine fast enough to commit
   before the test looks, after the commit.

After each kill the store opens, every row belongs to a recorded batch, every batch holds
exactly the rows it says it accepted, the table holds all of the load or none of it, the lock
is free (the next load runs), and ``maintain`` removes the files a killed load left behind.
"""
from __future__ import annotations

import glob
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli, ingest
from pipelines.store import Store, lake

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROWS = 60_000
HANG_SECONDS = 600  # hang guard only: every wait below is on a state


def big_issue_log(path: Path, prefix: str) -> Path:
    partners = ("Kestrel Design", "Harbour Civils")
    with open(path, "w", newline="") as out:
        out.write("Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\r\n")
        for i in range(ROWS):
            out.write(f"{prefix}-{i},Issue number {i},Issue,{partners[i % 2]},{partners[(i + 1) % 2]},"
                      f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},,{('Low', 'High')[i % 2]},Open,No\r\n")
    return path


def state(store: Store) -> tuple[int, int]:
    """(batches, issue rows), after checking that nothing is half there."""
    cursor = store.cursor()
    assert cursor.execute("SELECT count(*) FROM issues WHERE batch_id NOT IN (SELECT batch_id FROM batches)"
                          ).fetchone() == (0,)
    assert cursor.execute("""
        SELECT b.batch_id, b.rows_accepted, count(i.issue_id) FROM batches b
        LEFT JOIN issues i USING (batch_id) WHERE b.dataset = 'issues'
        GROUP BY ALL HAVING count(i.issue_id) <> b.rows_accepted""").fetchall() == []
    assert cursor.execute("SELECT count(*) FROM partners WHERE created_batch IS NOT NULL AND "
                          "created_batch NOT IN (SELECT batch_id FROM batches)").fetchone() == (0,)
    return (cursor.execute("SELECT count(*) FROM batches").fetchone()[0],
            cursor.execute("SELECT count(*) FROM issues").fetchone()[0])


def parquet_files(folder: Path) -> set[str]:
    return set(glob.glob(f"{folder}/**/*.parquet", recursive=True))


def wait_until(condition, load: subprocess.Popen, what: str) -> None:
    """Poll ``condition`` until it holds; fail at once if the load has ended instead."""
    import time
    deadline = time.monotonic() + HANG_SECONDS
    while not condition():
        assert load.poll() is None, f"the load ended before {what}: {load.communicate()}"
        assert time.monotonic() < deadline, f"stuck waiting until {what}"
        time.sleep(0.05)


def test_a_load_killed_at_any_state_on_the_lake_leaves_all_or_nothing(postgres, tmp_path, monkeypatch):
    location = f"ducklake:postgres:{postgres.create_database('crash_lake')}"
    data = tmp_path / "lake-data"
    env = {"PARTNERSHIP_DB": location, "PARTNERSHIP_LAKE_DATA_PATH": str(data),
           "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt"), "PARTNERSHIP_LOCK_WAIT_SECONDS": str(HANG_SECONDS)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = Store()
    ingest.commit(store, ingest.prepare(store, "partners", "partners.csv",
                                        b"Partner,Aliases\r\nKestrel Design,\r\nHarbour Civils,\r\n"))
    holder = lake.AdvisoryLock(lake.connect(location, str(data)), location)

    def start_load(file: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "pipelines", "load", str(file), "--dataset", "issues"],
                                cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def kill(load: subprocess.Popen) -> None:
        load.send_signal(signal.SIGKILL)
        load.communicate(timeout=HANG_SECONDS)

    outcomes = []
    for number, moment in enumerate(("waiting for the lock", "holding the lock", "data file written")):
        file = big_issue_log(tmp_path / f"raid-{number}.csv", f"K{number}")
        # the connection of the load killed before has gone, and its lock with it
        postgres.wait_for_lock_requests(holder.key, 0, lambda: True, HANG_SECONDS, exactly=True)
        before = state(store)
        files_before = parquet_files(data)
        holder.acquire(HANG_SECONDS)
        load = start_load(file)
        try:
            wait_until(lambda: postgres.lock_requests(holder.key) == 2, load, "it asked for the lock")
            if moment == "waiting for the lock":
                kill(load)
                holder.release()
            else:
                holder.release()
                wait_until(lambda: postgres.lock_held(holder.key), load, "it held the lock")
                if moment == "data file written":
                    wait_until(lambda known=files_before: parquet_files(data) - known
                               or not postgres.lock_held(holder.key), load, "it wrote a data file")
                kill(load)
        finally:
            holder.release()
            if load.poll() is None:
                load.kill()
        after = state(store)  # opens what the killed load left: nothing half there
        assert after in (before, (before[0] + 1, before[1] + ROWS)), (moment, before, after)
        outcomes.append((moment, "loaded" if after != before else "unchanged"))
        # the lock went with the killed process's connection: the next load runs
        small = tmp_path / f"after-{number}.csv"
        small.write_text(f"Issue ID,Title,Raised by,Raised date\r\nZ-{number},After the kill,Kestrel Design,2025-01-05\r\n")
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["load", str(small), "--dataset", "issues"], out=out, err=err) == 0, err.getvalue()
        assert state(store) == (after[0] + 1, after[1] + 1)
    holder.connection.close()
    print("kill moments and outcomes:", outcomes)
    assert outcomes[0] == ("waiting for the lock", "unchanged")

    # the Parquet files of killed loads are orphans: maintenance removes them, the data stays
    kept = state(store)
    out = io.StringIO()
    assert cli.main(["maintain", "--keep-minutes", "0"], store=store, out=out, err=io.StringIO()) == 0
    assert state(store) == kept
    listed = {row[0] for row in store.cursor().execute(
        f"SELECT data_file FROM ducklake_list_files('{lake.CATALOG}', 'issues')").fetchall()}
    # the table's folder keeps the name it was created under (schema 7 made it as issues_v7)
    folders = [folder for folder in (data / "main").iterdir() if folder.name in ("issues", "issues_v7")]
    assert {Path(f).name for folder in folders for f in parquet_files(folder)} == {Path(f).name for f in listed}
    store.close()
