"""check, maintain and migrate on a DuckDB file store (the DuckLake side: test_ducklake_admin.py)."""
from __future__ import annotations

import io
from pathlib import Path

from pipelines import cli, ingest
from pipelines.programme import bootstrap
from pipelines.store import Store, fingerprint
from pipelines.store.schema import SCHEMA_VERSION

LOG = b"Issue ID,Title,Raised by,Raised date\r\nK-1,One,Kestrel Design,2025-01-05\r\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def loaded(path: Path) -> None:
    store = Store(path)
    ingest.commit(store, ingest.prepare(store, "issues", "raid.csv", LOG))
    store.close()


def test_check_is_ready_on_a_written_file_store(tmp_path):
    db = tmp_path / "programme.duckdb"
    loaded(db)
    ready = (f"ready: {db}: schema {SCHEMA_VERSION}, salt {tmp_path / 'salt'} the same as the store's, "
             f"data path {tmp_path} writable.\n")
    assert run("check") == (0, ready, "")


def test_the_first_write_records_the_salts_fingerprint_never_the_salt(tmp_path):
    db = tmp_path / "programme.duckdb"
    loaded(db)
    store = Store(db)
    salt = (tmp_path / "salt").read_text().strip()
    rows = store.cursor().execute("SELECT fingerprint FROM salt_fingerprint").fetchall()
    assert rows == [(fingerprint.of(salt.encode()),)] and salt not in rows[0][0]
    store.close()


def test_a_store_written_before_the_fingerprint_gets_it_on_its_next_write(tmp_path):
    db = tmp_path / "programme.duckdb"
    loaded(db)
    store = Store(db)
    with store.write() as cursor:  # as schema 4 left it: no fingerprint
        cursor.execute("DELETE FROM salt_fingerprint")
    store.close()
    assert run("check")[1].endswith("recorded by the store's next write, data path " f"{tmp_path} writable.\n")
    store = Store(db)
    ingest.commit(store, ingest.prepare(store, "issues", "raid-2.csv", LOG.replace(b"K-1", b"K-2")))
    assert store.cursor().execute("SELECT count(*) FROM salt_fingerprint").fetchone() == (1,)
    store.close()
    assert "the same as the store's" in run("check")[1]


def test_check_creates_no_store(tmp_path):
    code, out, err = run("check")
    assert (code, out) == (1, "")
    assert err == (f"not ready: There is no programme store at {tmp_path / 'programme.duckdb'} yet. The first app "
                   "replica or command that opens it creates it (for example `python -m pipelines history`).\n")
    assert not (tmp_path / "programme.duckdb").exists()


def test_check_fails_without_the_salt_file(tmp_path, monkeypatch):
    loaded(tmp_path / "programme.duckdb")
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "elsewhere" / "salt"))
    code, out, err = run("check")
    assert (code, out) == (1, "") and f"the salt file {tmp_path / 'elsewhere' / 'salt'} does not exist" in err
    assert not (tmp_path / "elsewhere").exists()  # the probe made no salt


def test_check_fails_with_a_salt_that_is_too_short(tmp_path, monkeypatch):
    loaded(tmp_path / "programme.duckdb")
    (tmp_path / "short").write_text("abc")
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "short"))
    code, _, err = run("check")
    assert code == 1 and "is too short" in err and "abc" not in err


def test_check_fails_with_another_salt(tmp_path, monkeypatch):
    loaded(tmp_path / "programme.duckdb")
    (tmp_path / "other").write_text("o" * 64)
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "other"))
    code, _, err = run("check")
    assert code == 1 and f"the salt in {tmp_path / 'other'} is not the one the store was written with" in err
    assert "o" * 32 not in err


def _pulse(store: Store, first: int) -> bytes:
    items = [r[0] for r in store.cursor().execute("SELECT item_id FROM instrument_items").fetchall()]
    return ("Respondent ID,Organisation,Wave," + ",".join(items) + "\r\n" + "".join(
        f"r{i},Kestrel Design,2025-Q1," + ",".join("4" for _ in items) + "\r\n" for i in range(first, first + 6))
            ).encode()


def test_a_load_with_another_salt_is_refused_once_respondent_keys_exist(tmp_path, monkeypatch):
    db = tmp_path / "programme.duckdb"
    store = Store(db)
    bootstrap.ensure_instrument(store)
    ingest.commit(store, ingest.prepare(store, "partners", "p.csv", b"Partner\r\nKestrel Design\r\n"))
    ingest.commit(store, ingest.prepare(store, "survey", "pulse.csv", _pulse(store, 0)))
    (tmp_path / "pulse2.csv").write_bytes(_pulse(store, 0) + b"\r\n")  # the same people, another file
    counts = store.cursor().execute("SELECT count(*), count(DISTINCT respondent_key) FROM survey_responses").fetchone()
    store.close()
    (tmp_path / "other").write_text("o" * 64)
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "other"))
    code, out, err = run("load", "--dataset", "survey", str(tmp_path / "pulse2.csv"))
    assert (code, out) == (1, "")
    assert (f"\nThe salt in {tmp_path / 'other'} is not the one this store was written with, so nothing is "
            "written") in err
    after = Store(db)
    assert after.cursor().execute("SELECT count(*), count(DISTINCT respondent_key) FROM survey_responses"
                                  ).fetchone() == counts
    after.close()


def test_another_salt_may_write_while_no_respondent_key_exists(tmp_path, monkeypatch):
    loaded(tmp_path / "programme.duckdb")  # an issue log: no survey answers yet
    (tmp_path / "other").write_text("o" * 64)
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "other"))
    (tmp_path / "raid2.csv").write_bytes(LOG.replace(b"K-1,One", b"K-2,Two"))
    assert run("load", "--dataset", "issues", str(tmp_path / "raid2.csv"))[0] == 0
    assert run("check")[0] == 0  # the fingerprint is now this salt's


def test_check_fails_on_an_older_schema_without_migrating_it(tmp_path):
    db = tmp_path / "programme.duckdb"
    loaded(db)
    store = Store(db)
    with store.write() as cursor:
        cursor.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    store.close()
    code, _, err = run("check")
    assert code == 1 and f"its schema is 4, this version writes {SCHEMA_VERSION}" in err
    assert Store(db, migrate=False).schema_version() == 4


def test_a_store_of_schema_6_migrates_to_unknown_escalation_keeping_its_issues(tmp_path):
    db = tmp_path / "programme.duckdb"
    loaded(db)
    store = Store(db)
    with store.write() as cursor:  # issues as schema 6 made them: "no" where the log did not say
        cursor.execute("UPDATE issues SET escalated = false")
    with store.write() as cursor:
        cursor.execute("ALTER TABLE issues ALTER escalated SET NOT NULL")
        cursor.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
        before = cursor.execute("SELECT issue_id, escalated FROM issues ORDER BY 1").fetchall()
    store.close()
    store = Store(db)
    assert store.schema_version() == SCHEMA_VERSION
    cursor = store.cursor()
    assert cursor.execute("SELECT issue_id, escalated FROM issues ORDER BY 1").fetchall() == before
    assert cursor.execute("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'issues' "
                          "AND column_name = 'escalated'").fetchone() == ("YES",)
    store.close()


def test_check_fails_when_the_folder_takes_no_file(tmp_path, monkeypatch):
    loaded(tmp_path / "programme.duckdb")
    monkeypatch.setattr("pipelines.store.readiness.tempfile.NamedTemporaryFile",
                        lambda **kwargs: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    code, _, err = run("check")
    assert code == 1 and f"the data folder {tmp_path} does not take a new file" in err


def test_maintain_on_a_file_checkpoints_it(tmp_path):
    store = Store(tmp_path / "programme.duckdb")
    try:
        ingest.commit(store, ingest.prepare(store, "issues", "raid.csv", LOG))
        wal = Path(str(store.path) + ".wal")
        assert wal.exists() and wal.stat().st_size > 0  # the load is in the write-ahead log
        out = io.StringIO()
        assert cli.main(["maintain"], store=store, out=out, err=io.StringIO()) == 0
        assert out.getvalue().startswith("The programme store is a DuckDB file: checkpointed it")
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        store.close()


def test_maintain_refuses_a_negative_keep(tmp_path):
    loaded(tmp_path / "programme.duckdb")
    assert run("maintain", "--keep-minutes", "-5") == (64, "", "--keep-minutes cannot be negative.\n")


def test_migrate_needs_a_ducklake_location(tmp_path):
    loaded(tmp_path / "programme.duckdb")
    code, _, err = run("migrate", "--to", str(tmp_path / "other.duckdb"))
    assert code == 1 and "--to needs a DuckLake store, written 'ducklake:postgres:<connection>'" in err


def test_migrate_of_an_empty_file_copies_nothing(tmp_path):
    Store(tmp_path / "programme.duckdb").close()
    code, _, err = run("migrate", "--to", "ducklake:postgres:dbname=ph host=127.0.0.1 user=ph")
    assert code == 1 and "holds no data yet: there is nothing to copy" in err


def test_migrate_and_maintain_create_no_store(tmp_path):
    for verb in (["maintain"], ["migrate", "--to", "ducklake:postgres:dbname=ph"]):
        code, _, err = run(*verb)
        assert code == 1 and err.startswith("There is no programme store at ")
    assert not (tmp_path / "programme.duckdb").exists()
