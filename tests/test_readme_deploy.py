"""The README's "Running for a whole organisation" works as written (issue #24).

Its ``sh`` blocks run in order, unchanged, in one shell, as an administrator would paste them:
against a PostgreSQL set up as Debian sets one up (superuser ``postgres`` by peer authentication,
passwords over TCP, ``tests/pg.py``), with HOME in a temporary folder (so ``~/.pgpass`` is the test's
own). Only the port numbers and the ``/srv`` folders are replaced. Between blocks the test adds what
an administrator would bring or look at: the export file the load block names, the scores before
the backup, and the loss of the data folder and the salt before the restore. After the run: the
replicas logged no traceback, the restored store gives the same scores, and ``check`` said ready.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import textwrap
from pathlib import Path

import pg
import pytest
from conftest import _free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Running for a whole organisation"):]
HANG_SECONDS = 900  # hang guard only: the script waits on states (health, exit codes)


def sh_blocks(text: str) -> list[str]:
    """The ``sh`` code blocks of ``text`` in order, without the indentation of list items."""
    return [textwrap.dedent(body) for _, body in re.findall(r"^( *)```sh\n(.*?)^\1```", text, flags=re.M | re.S)]


def test_the_section_has_the_steps_the_issue_asks_for():
    blocks = sh_blocks(SECTION)
    script = "\n".join(blocks)
    for step in ("~/.pgpass", "--server.address 127.0.0.1", "pg_dump -h 127.0.0.1", "-U ph", "tar -C",
                 "pg_restore", "--no-owner", "./run cli check", "createdb --owner ph"):
        assert step in script, step
    assert "rsync" not in SECTION  # not installed on Debian by default
    stores = re.findall(r"PARTNERSHIP_DB='([^']*)'", script)
    assert stores and not any("password" in store.lower() for store in stores)


def substituted(block: str, port: int, srv: Path, replicas: dict[str, int]) -> str:
    block = block.replace("5432", str(port)).replace("/srv/", f"{srv}/")
    for written, free in replicas.items():
        block = block.replace(written, str(free))
    return block


@pytest.fixture
def debian_postgres():
    if pg.bin_dir() is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("The README test needs root, runuser and Debian's postgresql package.")
        pytest.skip("the README's commands need root (runuser) and PostgreSQL")
    server = pg.PostgresServer(debian_like=True).start()
    yield server
    server.stop()


def test_the_readme_runs_as_written(debian_postgres, tmp_path):
    srv, home, seen = tmp_path / "srv", tmp_path / "home", tmp_path / "seen"
    home.mkdir()
    seen.mkdir()
    replicas = {"8501": _free_port(), "8502": _free_port()}
    # what the test adds around the README's blocks, keyed by a command of the block
    before = {"./run cli load": f"mkdir -p {srv}/partnership/exports && "
                                f"cp {ROOT}/tests/fixtures/exports/jira_issues.csv {srv}/partnership/exports/raid-log.csv"}
    after = {"kill $(cat": f"./run cli scores > {seen}/before-backup-lost.csv && "
                           f"for pid in $(cat {srv}/partnership/replica-*.pid); do while kill -0 $pid 2>/dev/null; "
                           "do sleep 0.2; done; done && "
                           f"cp {srv}/partnership/replica-*.log {seen}/ && rm -rf {srv}/partnership",
             "./run cli history": f"./run cli scores > {seen}/after-restore.csv"}
    parts = ["set -euo pipefail"]
    blocks = sh_blocks(SECTION)
    for number, block in enumerate(blocks):
        parts += [hook for key, hook in before.items() if key in block]
        parts += [substituted(block, debian_postgres.port, srv, replicas), f"echo '@@ block {number} done'"]
        parts += [hook for key, hook in after.items() if key in block]
    script = "\n".join(parts) + "\n"
    env = {name: value for name, value in os.environ.items() if not name.startswith("PARTNERSHIP_")}
    env.update({"HOME": str(home), **debian_postgres.env()})
    run = subprocess.Popen(["bash", "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = run.communicate(timeout=HANG_SECONDS)
    finally:
        for pid_file in srv.glob("partnership/replica-*.pid"):  # the replicas the script started
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 0, output[-4000:]
    assert [f"@@ block {n} done" for n in range(len(blocks))] == re.findall(r"@@ block \d+ done", output)

    # the password was asked for over TCP: it is in ~/.pgpass, mode 0600, and nowhere in the output
    pgpass = (home / ".pgpass").read_text().strip()
    assert re.fullmatch(rf"127\.0\.0\.1:{debian_postgres.port}:\*:ph:\S+", pgpass), pgpass
    assert oct((home / ".pgpass").stat().st_mode & 0o777) == "0o600"
    assert pgpass.rsplit(":", 1)[1] not in output
    # both replicas started and served without a traceback; check said ready, before and after the restore
    logs = sorted(seen.glob("replica-*.log"))
    assert len(logs) == 2 and not any("Traceback" in log.read_text() for log in logs)
    assert output.count("ready: ducklake:postgres:dbname=ph host=127.0.0.1") == 1, output[-4000:]
    assert output.count("ready: ducklake:postgres:dbname=ph_restored host=127.0.0.1") == 1, output[-4000:]
    assert "not ready" not in output
    # the backup holds the store: the restored store gives the scores the original gave
    before_loss = (seen / "before-backup-lost.csv").read_text()
    assert before_loss.count("\n") > 10 and (seen / "after-restore.csv").read_text() == before_loss
    assert "raid-log.csv" in output  # the restored history lists the load made before the backup
