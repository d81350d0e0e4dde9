"""Sessions and commands sharing the one DuckDB file.

How they share it: one process holds the file read-write (DuckDB allows one); inside it, every
session thread takes its own cursor and every write goes through ``Store.write()`` (one lock, one
transaction), so readers see a batch whole or not at all (DuckDB's MVCC snapshots). A command-line
load while the app runs is handed to the app (pipelines.store.handoff); a command that finds the file
held by a process that takes no jobs waits PARTNERSHIP_LOCK_WAIT_SECONDS and then says who holds it.
"""
import hmac
import json
import logging
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


# ------------------------------------------------------------------------------- the hand-off channel
def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _answer(job: Path) -> dict:
    """The result the runner wrote for ``job`` (run_one runs it at once, on this thread)."""
    return json.loads(job.with_name(job.name.replace(".job.json", ".result.json")).read_text())


@pytest.fixture
def runner(tmp_path, caplog):
    """A job runner on a held database whose commands are recorded, not run."""
    from pipelines.store import handoff

    db = tmp_path / "held.duckdb"
    ran: list[list[str]] = []

    def run(argv, out, err):
        ran.append(argv)
        out.write("ran\n")
        return 0

    caplog.set_level(logging.WARNING, logger="partnership.handoff")
    job_runner = handoff.JobRunner(db, run, files=lambda argv: ([], []))
    job_runner._prepare()  # the folder and key, without the polling thread: run_one is called here
    job_runner.ran = ran
    yield job_runner


def _request(folder: Path, payload: dict, name: str = "forged") -> Path:
    job = folder / f"{name}.job.json"
    job.write_text(json.dumps(payload))
    return job


def test_the_channel_is_owner_only(runner):
    from pipelines.store import handoff

    assert _mode(runner.folder) == 0o700 and _mode(runner.folder.parent) == 0o700
    assert _mode(handoff.key_file(runner.db)) == 0o600
    assert len(handoff.key_file(runner.db).read_text()) == 64


@pytest.mark.parametrize("payload", [
    {"argv": ["undo", "1"]},                                                     # no proof at all
    {"argv": ["undo", "1"], "nonce": "n1", "mac": "0" * 64},                     # a wrong HMAC
    {"argv": ["undo", "1"], "nonce": "n1", "mac": hmac.new(b"guessed key", b"undo", "sha256").hexdigest()},
    {"argv": "undo 1", "nonce": "n1", "mac": "x"},                               # not even the shape
])
def test_a_request_that_does_not_prove_the_key_is_refused_and_logged(runner, caplog, payload):
    job = _request(runner.folder, payload)
    runner.run_one(job)
    assert runner.ran == []
    answer = _answer(job)
    assert answer["code"] == 3 and answer["out"] == ""
    assert answer["err"].startswith("The app refused the command:")
    assert not job.exists()
    assert any(r.getMessage().startswith("handoff: refused request forged.job.json for ")
               for r in caplog.records)


def test_a_request_made_with_the_key_runs_once_and_a_copy_is_refused(runner, caplog):
    from pipelines.store import handoff

    key = handoff.key_file(runner.db).read_bytes().strip()
    payload = {"argv": ["history"], "nonce": "abc", "mac": handoff._mac(key, ["history"], "abc")}
    runner.run_one(_request(runner.folder, payload, "first"))
    assert runner.ran == [["history"]] and _answer(runner.folder / "first.job.json") == {
        "code": 0, "out": "ran\n", "err": ""}
    assert _mode(runner.folder / "first.result.json") == 0o600
    runner.run_one(_request(runner.folder, payload, "copy"))  # the same request dropped again
    assert runner.ran == [["history"]]
    assert "run once already" in _answer(runner.folder / "copy.job.json")["err"]
    # the argv is covered by the HMAC: the same proof with other arguments is refused
    runner.run_one(_request(runner.folder, {**payload, "argv": ["undo", "1"], "nonce": "abd"}, "edited"))
    assert runner.ran == [["history"]]


def test_the_command_line_cannot_hand_off_without_reading_the_key(runner):
    from pipelines.store import handoff

    handoff.key_file(runner.db).unlink()
    code, out, err = handoff.submit(runner.db, ["history"], timeout=5)
    assert code == 3 and out == ""
    assert "takes commands only from accounts that can read" in err and "nothing was run" in err
    assert not list(runner.folder.glob("*.job.json"))


def test_files_are_checked_against_the_account_that_asked(tmp_path):
    from pipelines.store import handoff

    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chmod(theirs, 0o755)
    (theirs / "report.csv").write_text("x")
    os.chmod(theirs / "report.csv", 0o600)
    nobody = 65534  # an account that owns none of these
    assert handoff.could_write(os.getuid(), theirs / "pack.pdf")
    assert not handoff.could_write(nobody, theirs / "pack.pdf")            # not its folder
    assert not handoff.could_read(nobody, theirs / "report.csv")           # not its file
    link = tmp_path / "link.pdf"
    link.symlink_to(theirs / "report.csv")
    assert not handoff.could_write(os.getuid(), link)                      # never through a link
    assert not handoff.could_write(os.getuid(), theirs)                    # a folder is not a file
    problem = handoff.files_problem(nobody, [], [theirs / "pack.pdf"])
    assert problem.startswith(f"{theirs / 'pack.pdf'} cannot be written by the account that asked")


def test_the_app_refuses_a_pack_the_requester_could_not_write(tmp_path, caplog):
    """A request that proves the key still cannot make the app write where its author may not."""
    from pipelines import cli
    from pipelines.store import handoff

    db = tmp_path / "held.duckdb"
    holder = Store(db)
    ran = []
    job_runner = handoff.JobRunner(db, lambda argv, out, err: ran.append(argv) or 0)
    job_runner._prepare()
    target = tmp_path / "elsewhere.pdf"
    (tmp_path / "link.pdf").symlink_to(target)
    try:
        argv = ["pack", "--format", "pdf", "--out", str(tmp_path / "link.pdf")]
        assert cli.files_of(argv) == ([], [tmp_path / "link.pdf"])
        key = handoff.key_file(db).read_bytes().strip()
        job = _request(job_runner.folder, {"argv": argv, "nonce": "n", "mac": handoff._mac(key, argv, "n")})
        job_runner.run_one(job)
        answer = _answer(job)
        assert ran == [] and answer["code"] == 1 and "cannot be written by the account that asked" in answer["err"]
        assert not target.exists()
    finally:
        holder.close()


def test_the_command_line_checks_the_target_before_handing_off(tmp_path):
    """While the app holds the file, a pack to a link is refused by the command itself (exit 1)."""
    from pipelines.store import handoff

    db = tmp_path / "held.duckdb"
    holder = Store(db)
    job_runner = handoff.JobRunner(db, lambda argv, out, err: 0).start()
    (tmp_path / "link.pdf").symlink_to(tmp_path / "elsewhere.pdf")
    try:
        done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), "pack", "--format", "pdf",
                               "--out", str(tmp_path / "link.pdf")], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 1, done.stderr
        assert "link.pdf cannot be written by the account that asked" in done.stderr
        assert not list(job_runner.folder.glob("*.job.json")) and not (tmp_path / "elsewhere.pdf").exists()
    finally:
        job_runner.stop()
        holder.close()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another account")
def test_another_account_cannot_even_drop_a_request(tmp_path):
    """As the account 'nobody': the 0700 folder cannot be entered, the 0600 key cannot be read."""
    from pipelines.store import handoff

    db = tmp_path / "held.duckdb"
    job_runner = handoff.JobRunner(db, lambda argv, out, err: 0)
    job_runner._prepare()
    os.chmod(tmp_path, 0o755)
    attempt = textwrap.dedent(f"""
        import os
        os.setgid(65534); os.setuid(65534)
        for action in (lambda: open({str(job_runner.folder / 'x.job.json')!r}, 'w'),
                       lambda: open({str(handoff.key_file(db))!r}).read()):
            try:
                action()
                print("allowed")
            except PermissionError:
                print("refused")
    """)
    done = subprocess.run([sys.executable, "-c", attempt], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["refused", "refused"], done.stderr
