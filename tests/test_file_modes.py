"""Owner-only files: on a fresh data folder, under a umask of 022, every file the product writes is
readable by its own account alone (folders 0700, files 0600), checked with stat after real commands."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.programme.instrument import default_item_ids

ROOT = Path(__file__).resolve().parent.parent
PARTNERS = "Partner\nKestrel Design\nHarbour Civils\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


def _cli(env, *argv, cwd=ROOT):
    done = subprocess.run([sys.executable, "-m", "pipelines", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=lambda: os.umask(0o022))
    return done


def test_real_commands_on_a_fresh_folder_write_owner_only_files(tmp_path, umask_022):
    data = tmp_path / "fresh" / "data"  # neither folder exists yet
    env = {**os.environ, "PARTNERSHIP_DB": str(data / "programme.duckdb"),
           "PARTNERSHIP_SALT_FILE": str(data / "secret_salt"), "PARTNERSHIP_DEMO": "off"}
    (tmp_path / "partners.csv").write_text(PARTNERS)
    items = default_item_ids()
    survey = "Respondent ID,Organisation,Wave," + ",".join(items) + "\n" + "".join(
        f"r{i},Kestrel Design,2025-Q1," + ",".join("4" for _ in items) + "\n" for i in range(6))
    (tmp_path / "pulse.csv").write_text(survey)
    (tmp_path / "odd.csv").write_text("Ref,Thing,Who,When\nA1,x,Kestrel Design,2025-01-01\n")
    assert _cli(env, "load", "--dataset", "partners", str(tmp_path / "partners.csv")).returncode == 0
    loaded = _cli(env, "load", "--dataset", "survey", str(tmp_path / "pulse.csv"))
    assert loaded.returncode == 0, loaded.stderr
    unsure = _cli(env, "load", "--dataset", "issues", str(tmp_path / "odd.csv"))
    assert unsure.returncode == 2, unsure.stderr  # the inferred mapping is written for the user to edit
    (tmp_path / "old.pptx").write_bytes(b"an older pack")
    os.chmod(tmp_path / "old.pptx", 0o644)
    for out in (tmp_path / "packs" / "new" / "pack.pdf", tmp_path / "old.pptx"):
        made = _cli(env, "pack", "--format", out.suffix[1:], "--out", str(out))
        assert made.returncode == 0, made.stderr

    assert _mode(tmp_path / "fresh") == 0o700 and _mode(data) == 0o700
    written = sorted(p.name for p in data.iterdir())
    assert written == ["programme.duckdb", "secret_salt"]
    for name in written:
        assert _mode(data / name) == 0o600, name
    assert _mode(tmp_path / "odd.csv.mapping.json") == 0o600
    assert _mode(tmp_path / "packs") == 0o700 and _mode(tmp_path / "packs" / "new") == 0o700
    assert _mode(tmp_path / "packs" / "new" / "pack.pdf") == 0o600
    assert _mode(tmp_path / "old.pptx") == 0o600  # an older file's wider mode is not kept
    assert (tmp_path / "old.pptx").read_bytes()[:2] == b"PK"


def test_the_write_ahead_log_and_the_hand_off_files_are_owner_only(tmp_path, umask_022):
    from pipelines.store import Store, handoff

    store = Store(tmp_path / "data" / "programme.duckdb")
    try:
        with store.write() as cursor:
            cursor.execute("INSERT INTO meta VALUES ('probe', 'x')")
        assert store.wal.exists()  # DuckDB keeps the log until a checkpoint
        assert _mode(store.wal) == 0o600 and _mode(store.path) == 0o600
        assert _mode(tmp_path / "data") == 0o700
        runner = handoff.JobRunner(store.path, lambda argv, out, err: 0).start()
        try:
            assert _mode(handoff.jobs_dir(store.path)) == 0o700
            assert _mode(handoff.owner_file(store.path)) == 0o600
            assert _mode(handoff.key_file(store.path)) == 0o600
        finally:
            runner.stop()
    finally:
        store.close()


def test_a_database_written_under_a_wider_umask_is_made_owner_only_when_opened(tmp_path, umask_022):
    import duckdb

    from pipelines.store import Store

    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    os.chmod(path, 0o644)
    Store(path).close()
    assert _mode(path) == 0o600
