"""Two app servers over one DuckLake, driven in headless Chromium.

One PostgreSQL server (``tests/pg.py``) holds one catalog; the data path and the salt
file are shared, as the README's "Running for a whole organisation" asks. Two
``streamlit run app.py`` processes (``conftest.AppServer``) on two ports open that store:

* both servers' first page views at once put the default instrument in the empty store
  once (batch 1);
* a file uploaded and loaded through server A's Data page is listed in server B's load
  history (B had the page open before the load, and serves it from a process that had
  already read the store);
* a load through A's page and a command-line load, both waiting at once for the lake's
  write lock (the test holds it until PostgreSQL shows both asking for it, so they meet
  whatever the machine's speed), lose nothing: the history on either server lists every
  batch, and the store's batch numbers, version counter and partner ids stay unique.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pg
import pytest
from conftest import AppServer, screenshot, wait_for_app
from test_ducklake_replicas import start_at_once

from pipelines.store import lake

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
INSTRUMENT = "batch 1: default-instrument.csv (built in)"  # put in by the first page view
# Hang guards only (a step that takes this long is stuck): every wait below is on a state.
HANG_MS = 300_000
ISSUE_HEADER = "Issue ID,Title,Type,Raised by,Owned by,Raised date,Resolved date,Severity,Status,Escalated\n"


def issue_log(partner: str, prefix: str, rows: int) -> str:
    return ISSUE_HEADER + "".join(
        f"{prefix}-{n},Item {n},Issue,{partner},{partner},2025-01-{(n % 27) + 1:02d},,High,Open,No\n"
        for n in range(1, rows + 1))


@pytest.fixture(scope="module")
def lake_servers(tmp_path_factory, chromium):
    """PostgreSQL, one migrated lake, and two app servers on it: (A, B, env, PostgreSQL server)."""
    if pg.bin_dir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries are missing; CI must install Debian's postgresql package.")
        pytest.skip("PostgreSQL binaries not found (apt-get install -y postgresql): DuckLake tests need a catalog")
    folder = tmp_path_factory.mktemp("lake-servers")
    server = pg.PostgresServer().start()
    servers: list[AppServer] = []
    try:
        env = {"PARTNERSHIP_DB": f"ducklake:postgres:{server.dsn()}",
               "PARTNERSHIP_LAKE_DATA_PATH": str(folder / "lake-data"),
               "PARTNERSHIP_SALT_FILE": str(folder / "shared-salt"),
               "PARTNERSHIP_DEMO": "off",
               # the page's load waits for the test's lock and the command line's load
               "PARTNERSHIP_LOCK_WAIT_SECONDS": str(HANG_MS // 1000)}
        servers = start_at_once(folder, env)  # on an empty catalog: the first page view creates the lake
        yield servers[0], servers[1], env, server
    finally:
        for app in servers:
            app.stop()
        server.stop()


def open_data_page(page, url: str) -> None:
    page.goto(f"{url}/data")
    wait_for_app(page, timeout=HANG_MS)


def history_labels(page) -> list[str]:
    """The batches the Data page's history offers to undo (``batch N: file``), newest first: the page
    names each by its version label, "v2 · issue log from file · 6 Dec 2026 06:15"."""
    main = page.locator('[data-testid="stMain"]')
    if "Nothing loaded yet" in main.inner_text():
        return []
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Undo a batch").click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=HANG_MS)
    labels = options.all_inner_texts()
    page.keyboard.press("Escape")
    return [re.sub(r"^v(\d+) · .*? from (.*) · [^·]*$", r"batch \1: \2", label.strip()) for label in labels]


def upload(page, path: Path) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="What is in the file?").click()
    page.get_by_role("option", name="Issue / risk / dispute log").click()
    wait_for_app(page, timeout=HANG_MS)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text("Rows read").wait_for(timeout=HANG_MS)
    wait_for_app(page, timeout=HANG_MS)


def test_an_upload_through_one_server_is_seen_by_the_other_and_loads_at_once_lose_nothing(
        lake_servers, chromium, tmp_path):
    server_a, server_b, env, postgres = lake_servers
    contexts = [chromium.new_context(viewport={"width": 1400, "height": 2000}) for _ in range(2)]
    try:
        page_a, page_b = (context.new_page() for context in contexts)
        # both servers' first page views at once (each puts the default instrument in an
        # empty store; the lake's write lock makes that happen once); B keeps its Data page open
        page_a.goto(f"{server_a.url}/data", wait_until="commit")
        page_b.goto(f"{server_b.url}/data", wait_until="commit")
        for page in (page_a, page_b):
            wait_for_app(page, timeout=HANG_MS)
        assert history_labels(page_b) == [INSTRUMENT], history_labels(page_b)
        screenshot(page_b, "lake-b-before")

        # 1. upload and load through A
        upload(page_a, EXPORTS / "jira_issues.csv")
        page_a.get_by_role("button", name="Load all 3 rows").click()
        page_a.get_by_text("Loaded 3 of 3 rows of jira_issues.csv").wait_for(timeout=HANG_MS)
        wait_for_app(page_a, timeout=HANG_MS)
        screenshot(page_a, "lake-a-loaded")

        # ... and B, already open, lists it on its next page view
        open_data_page(page_b, server_b.url)
        assert history_labels(page_b) == ["batch 2: jira_issues.csv", INSTRUMENT], history_labels(page_b)
        screenshot(page_b, "lake-b-sees-a")

        # 2. a load through A's page and a command-line load, both waiting for the write lock
        through_page = tmp_path / "raid-page.csv"
        through_page.write_text(issue_log("Quarry Signals", "QS", 40))
        through_cli = tmp_path / "raid-cli.csv"
        through_cli.write_text(issue_log("Meridian Tunnelling", "MT", 600))
        open_data_page(page_a, server_a.url)
        upload(page_a, through_page)
        button = page_a.get_by_role("button", name="Load all 40 rows")
        button.wait_for(timeout=HANG_MS)
        holder = lake.connect(env["PARTNERSHIP_DB"], env["PARTNERSHIP_LAKE_DATA_PATH"])
        lock = lake.AdvisoryLock(holder, env["PARTNERSHIP_DB"])
        lock.acquire(HANG_MS / 1000)
        cli = None
        try:
            button.click()
            cli = subprocess.Popen([sys.executable, "-m", "pipelines", "load", str(through_cli),
                                    "--dataset", "issues"], cwd=ROOT, env={**os.environ, **env},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                # the test, the page and the command line: all three have asked for the lock
                postgres.wait_for_lock_requests(lock.key, 3, still_running=lambda: cli.poll() is None,
                                                hang_seconds=HANG_MS / 1000)
            finally:
                lock.release()
                holder.close()
            page_a.get_by_text("Loaded 40 of 40 rows of raid-page.csv").wait_for(timeout=HANG_MS)
            out, problems = cli.communicate(timeout=HANG_MS / 1000)
        finally:
            if cli is not None and cli.poll() is None:
                cli.kill()
        assert cli.returncode == 0, out + problems

        expected = {"jira_issues.csv", "raid-page.csv", "raid-cli.csv", INSTRUMENT.split(": ", 1)[1]}
        for name, page, url in (("a", page_a, server_a.url), ("b", page_b, server_b.url)):
            open_data_page(page, url)
            labels = history_labels(page)
            assert len(labels) == 4 and {label.split(": ", 1)[1] for label in labels} == expected, labels
            assert sorted(int(label.split(":")[0].split()[1]) for label in labels) == [1, 2, 3, 4], labels
            page.set_viewport_size({"width": 1400, "height": 2400})
            wait_for_app(page, timeout=HANG_MS)
            screenshot(page, f"lake-{name}-both-loads")

        # the store itself: four batches, versions drawn up to 4, every row and partner once
        check = subprocess.run([sys.executable, "-c", (
            "from pipelines.store import Store\n"
            "c = Store().cursor()\n"
            "print(c.execute(\"SELECT count(*), count(DISTINCT batch_id), max(batch_id) FROM batches\").fetchone())\n"
            "print(c.execute(\"SELECT max(version) FROM version_seq\").fetchone())\n"
            "print(c.execute(\"SELECT count(*), count(DISTINCT issue_id) FROM issues WHERE current\").fetchone())\n"
            "print(c.execute(\"SELECT count(*), count(DISTINCT partner_id), count(DISTINCT name) FROM partners\").fetchone())\n"
        )], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=HANG_MS / 1000)
        assert check.returncode == 0, check.stderr
        batches, counter, issues, partners = check.stdout.split("\n")[:4]
        assert batches == "(4, 4, 4)" and counter == "(4,)", check.stdout
        assert issues == "(643, 643)", check.stdout
        count, ids, names = eval(partners)  # a tuple printed by Python
        assert count == ids == names, partners
    finally:
        for context in contexts:
            context.close()
