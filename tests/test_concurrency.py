"""Sessions and commands sharing the one DuckDB file.

How they share it: one process holds the file read-write (DuckDB allows one); inside it, every
session thread takes its own cursor and every write goes through ``Store.write()`` (one lock, one
transaction), so readers see a batch whole or not at all (DuckDB's MVCC snapshots). A command-line
load while the app runs is handed to the app (pipelines.store.handoff); a command that finds the file
held by a process that takes no jobs waits PARTNERSHIP_LOCK_WAIT_SECONDS and then says who holds it.
"""
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pipelines import ingest
from pipelines.programme import bootstrap
from pipelines.query import scores
from pipelines.store import Store

ROOT = Path(__file__).resolve().parent.parent
PARTNERS = b"Partner,Aliases\r\nKestrel Design,\r\nHarbour Civils,\r\nNorthgate Housing,\r\n"
NAMES = ("Kestrel Design", "Harbour Civils", "Northgate Housing")


def issue_log(prefix: str, rows: int) -> bytes:
    lines = ["Issue ID,Title,Raised by,Owned by,Raised date,Severity,Escalated"]
    lines += [f"{prefix}-{i},Issue {i},{NAMES[i % 3]},{NAMES[(i + 1) % 3]},2025-01-{1 + i % 28:02d},High,No"
              for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def survey(store, prefix: str, respondents: int) -> bytes:
    items = [r[0] for r in store.cursor().execute(
        "SELECT item_id FROM instrument_items WHERE current ORDER BY item_id").fetchall()]
    lines = ["Respondent ID,Organisation,Wave," + ",".join(items)]
    lines += [f"{prefix}-{r},{NAMES[r % 3]},2025-Q1," + ",".join(str(1 + (r + i) % 5) for i in range(len(items)))
              for r in range(respondents)]
    return ("\r\n".join(lines) + "\r\n").encode()


WHOLE_BATCHES = """
    SELECT b.batch_id, b.dataset, b.rows_accepted,
           (SELECT count(*) FROM issues i WHERE i.batch_id = b.batch_id) AS issue_rows,
           (SELECT count(DISTINCT respondent_key) FROM survey_responses s WHERE s.batch_id = b.batch_id)
               AS respondents
    FROM batches b"""


def test_parallel_uploads_and_readers_lose_nothing_and_never_see_half_a_batch(store):
    bootstrap.ensure_instrument(store)
    ingest.commit(store, ingest.prepare(store, "partners", "partners.csv", PARTNERS))
    uploads = [("issues", f"raid-{w}-{n}.csv", issue_log(f"W{w}N{n}", 3000)) for w in range(4) for n in range(3)]
    uploads += [("survey", f"pulse-{n}.csv", survey(store, f"S{n}", 300)) for n in range(3)]
    uploads += [("issues", "same-file.csv", issue_log("SAME", 500))] * 3  # one file uploaded thrice at once
    results, errors, reads = [], [], []
    stop = threading.Event()

    def upload(dataset, name, data):
        try:
            preview = ingest.prepare(store, dataset, name, data)
            results.append(ingest.commit(store, preview))
        except Exception as error:  # noqa: BLE001 - any error fails the test below
            errors.append(("upload", name, repr(error)))

    def reader():
        cursor = store.cursor()  # one cursor per session thread, as app_pages.common does
        while not stop.is_set():
            try:
                for batch_id, dataset, accepted, issue_rows, respondents in cursor.execute(WHOLE_BATCHES).fetchall():
                    seen = issue_rows if dataset == "issues" else respondents
                    if dataset in ("issues", "survey") and seen != accepted:
                        errors.append(("half a batch", batch_id, seen, accepted))
                scores.scores_export(cursor)
                store.data_version(cursor)
                reads.append(1)
            except Exception as error:  # noqa: BLE001
                errors.append(("reader", repr(error)))

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=upload, args=u) for u in uploads]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=300)
    stop.set()
    for thread in readers:
        thread.join(timeout=60)

    assert errors == []
    assert len(reads) > 3
    assert len(results) == len(uploads)
    cursor = store.cursor()
    loaded = {name for _, name, _ in uploads}
    batches = dict(cursor.execute("SELECT source_name, count(*) FROM batches WHERE dataset <> 'partners' "
                                  "AND source_name <> 'default-instrument.csv (built in)' GROUP BY 1").fetchall())
    assert batches == {name: 1 for name in loaded}  # the same file loaded once, however many uploads
    assert cursor.execute("SELECT count(*) FROM issues WHERE current").fetchone()[0] == 12 * 3000 + 500
    assert cursor.execute("SELECT count(DISTINCT respondent_key) FROM survey_responses").fetchone()[0] == 900
    assert sum("already loaded" in r.message for r in results) == 2


# ------------------------------------------------------------------------------- across processes
HOLDER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from pipelines.store import Store
    store = Store({db!r})
    print("holding", flush=True)
    time.sleep(60)
""")


def test_a_command_finding_the_file_held_waits_then_says_why(tmp_path):
    db = tmp_path / "held.duckdb"
    Store(db).close()
    (tmp_path / "raid.csv").write_bytes(issue_log("H", 5))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(root=str(ROOT), db=str(db))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        env = {**os.environ, "PARTNERSHIP_LOCK_WAIT_SECONDS": "2"}
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), "load",
                               str(tmp_path / "raid.csv"), "--dataset", "issues"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3, done.stderr
    assert f"is in use by process {holder.pid} (waited 2 s)" in done.stderr
    assert "try again later" in done.stderr
    assert 2 <= waited < 30
    store = Store(db)  # nothing was written while it waited
    assert store.cursor().execute("SELECT count(*) FROM batches").fetchone()[0] == 0
    store.close()


@pytest.mark.browser
def test_a_command_line_load_while_the_app_runs_goes_through_the_app(app_server, browser_page, tmp_path):
    from conftest import wait_for_app

    browser_page.goto(app_server.url)  # the first session opens the app's Store and its job runner
    wait_for_app(browser_page, timeout=90_000)
    (tmp_path / "raid.csv").write_bytes(issue_log("APP", 40))
    env = {**os.environ, "PARTNERSHIP_DB": str(app_server.db), "PARTNERSHIP_LOCK_WAIT_SECONDS": "5"}
    cli = [sys.executable, "-m", "pipelines", "--db", str(app_server.db)]
    # while the load runs, the open page keeps answering (a reader in the app)
    loaded = subprocess.run([*cli, "load", str(tmp_path / "raid.csv"), "--dataset", "issues"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded 40 of 40 rows of raid.csv as batch" in loaded.stdout
    history = subprocess.run([*cli, "history"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert history.returncode == 0 and "raid.csv" in history.stdout
    browser_page.reload()
    wait_for_app(browser_page, timeout=60_000)
    assert "Traceback" not in browser_page.inner_text('[data-testid="stApp"]')


def test_sessions_starting_at_once_share_one_salt(tmp_path):
    """The first survey loads of several sessions at once create the salt once, never half-written."""
    from pipelines.ingest import privacy

    for attempt in range(20):
        path, got, errors = tmp_path / f"salt-{attempt}", [], []

        def first_use():
            try:
                got.append(privacy.salt(path))
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error))

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == [] and len(set(got)) == 1 and len(got) == 8
        assert (path.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"salt-{n}" for n in range(20))
