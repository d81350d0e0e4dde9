"""A load killed with SIGKILL at any moment leaves the database as it was, or fully loaded.

A real subprocess (`python -m pipelines load`) loads a large issue log and is killed at fixed
moments (0.2, 0.5, 1, 2 s after start) and at moments spread over the load's measured duration,
so some kills land while it reads and validates and some while it writes and commits. After each
kill the database is opened and checked: every row belongs to a recorded batch, every batch holds
exactly the rows it says it accepted, and the content is exactly the content before the load or
exactly that plus the one complete batch - never part of one.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import ingest
from pipelines.store import Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROWS = 60_000
FIXED_MOMENTS = (0.2, 0.5, 1.0, 2.0)
SHARES_OF_LOAD = (0.6, 0.8, 0.9, 0.97)
PARTNERS = b"Partner,Aliases\r\nKestrel Design,\r\nHarbour Civils,\r\n"


def big_issue_log(path: Path, rows: int = ROWS) -> Path:
    partners = ("Kestrel Design", "Harbour Civils")
    with open(path, "w", newline="") as out:
        out.write("Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\r\n")
        for i in range(rows):
            out.write(f"K-{i},Issue number {i},Issue,{partners[i % 2]},{partners[(i + 1) % 2]},"
                      f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},,{('Low', 'High')[i % 2]},Open,"
                      f"{'Yes' if i % 3 == 0 else 'No'}\r\n")
    return path


def content(db: Path) -> dict[str, list[tuple]]:
    store = Store(db, wait_seconds=10)
    try:
        cursor = store.cursor()
        tables = [r[0] for r in cursor.execute("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        # the clock is not content: two complete loads differ only in loaded_at
        select = {"batches": "SELECT * EXCLUDE (loaded_at, undone_at) FROM batches"}
        return {t: sorted(cursor.execute(select.get(t, f'SELECT * FROM "{t}"')).fetchall(), key=repr)
                for t in tables if t != "mapping_memory"}
    finally:
        store.close()


def consistent(db: Path) -> None:
    """Every row's batch is recorded, and every batch has exactly its accepted rows."""
    store = Store(db, wait_seconds=10)
    try:
        cursor = store.cursor()
        orphans = cursor.execute("SELECT count(*) FROM issues WHERE batch_id NOT IN "
                                 "(SELECT batch_id FROM batches)").fetchone()[0]
        assert orphans == 0
        mismatched = cursor.execute("""
            SELECT b.batch_id, b.rows_accepted, count(i.issue_id) FROM batches b
            LEFT JOIN issues i USING (batch_id) WHERE b.dataset = 'issues'
            GROUP BY ALL HAVING count(i.issue_id) <> b.rows_accepted""").fetchall()
        assert mismatched == []
        partners = cursor.execute("SELECT count(*) FROM partners WHERE created_batch IS NOT NULL AND "
                                  "created_batch NOT IN (SELECT batch_id FROM batches)").fetchone()[0]
        assert partners == 0
    finally:
        store.close()


def start_load(db: Path, file: Path) -> subprocess.Popen:
    env = {**os.environ, "PARTNERSHIP_DB": str(db), "PARTNERSHIP_LOCK_WAIT_SECONDS": "5"}
    return subprocess.Popen([sys.executable, "-m", "pipelines", "--db", str(db), "load", str(file),
                             "--dataset", "issues"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_load_killed_at_any_moment_leaves_all_or_nothing(tmp_path):
    file = big_issue_log(tmp_path / "raid-big.csv")
    template = tmp_path / "template.duckdb"
    store = Store(template)
    for dataset, name, data in (("partners", "partners.csv", PARTNERS),
                                ("issues", "small.csv", file.read_bytes()[:2000].rsplit(b"\r\n", 1)[0])):
        ingest.commit(store, ingest.prepare(store, dataset, name, data))
    store.close()
    before = content(template)

    # One load to the end: its outcome is the only other state allowed, and its duration
    # places the later kills.
    full_db = tmp_path / "full.duckdb"
    full_db.write_bytes(template.read_bytes())
    started = time.monotonic()
    process = start_load(full_db, file)
    out, err = process.communicate(timeout=300)
    duration = time.monotonic() - started
    assert process.returncode == 0, err.decode()
    after = content(full_db)
    consistent(full_db)
    assert len(after["issues"]) == len(before["issues"]) + ROWS

    moments = sorted({*FIXED_MOMENTS, *(round(share * duration, 2) for share in SHARES_OF_LOAD)})
    outcomes = []
    for number, moment in enumerate(moments):
        db = tmp_path / f"killed-{number}.duckdb"
        db.write_bytes(template.read_bytes())
        process = start_load(db, file)
        time.sleep(moment)
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        consistent(db)
        state = content(db)
        assert state in (before, after), f"partial state after a kill at {moment:.2f} s"
        outcomes.append((moment, "loaded" if state == after else "unchanged", finished))
        # the killed load left the file usable: it opens read-write and takes the next load
        store = Store(db, wait_seconds=10)
        extra = b"Issue ID,Title,Raised by,Raised date\r\nZ-1,After the crash,Kestrel Design,2025-01-05\r\n"
        ingest.commit(store, ingest.prepare(store, "issues", "after.csv", extra))
        store.close()
        consistent(db)
        db.unlink()
        Path(str(db) + ".wal").unlink(missing_ok=True)
    print("kill moments (s) and outcomes:", outcomes, f"full load {duration:.1f} s")
    assert any(o[1] == "unchanged" for o in outcomes)
