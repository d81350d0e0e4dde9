"""python -m pipelines: exit codes, one-line summaries, and the handoff to a running app."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.store import Store, handoff

ROOT = Path(__file__).resolve().parent.parent
PARTNERS = "Partner,Aliases\nKestrel Design,Kestrel Design Ltd\nHarbour Civils,\n"
ISSUES = ("Issue key,Summary,Issue Type,Raised by,Owned by,Created,Resolved,Priority,Status,Escalated\n"
          "PH-1,Late drawings,Task,Kestrel Design,Harbour Civils,2025-01-05,2025-01-20,High,Done,No\n"
          "PH-2,Access,Task,Harbour Civils,Harbour Civils,2025-02-07,,Medium,Open,Yes\n")


def run(*argv, store=None):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), store=store, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "partners.csv").write_text(PARTNERS)
    (tmp_path / "issues.csv").write_text(ISSUES)
    return tmp_path


def test_load_prints_one_line_and_reloading_changes_nothing(files):
    assert run("load", "--dataset", "partners", str(files / "partners.csv"))[0] == 0
    code, out, err = run("load", "--dataset", "issues", str(files / "issues.csv"))
    assert code == 0
    assert out == "Loaded 2 of 2 rows of issues.csv as batch 2.\n"
    assert '"issue_id": "Issue key"' in err  # the mapping it used is printed
    code, out, _ = run("load", "--dataset", "issues", str(files / "issues.csv"))
    assert (code, out) == (0, "This file was already loaded as batch 2; loading it again changes nothing.\n")


def test_control_characters_from_a_file_reach_the_terminal_as_visible_escapes(files):
    (files / "odd.csv").write_text("Partner,Aliases\n\x1b[31mRed Corp\x1b[0m,\nPlain Works,\n")
    assert run("load", "--dataset", "partners", str(files / "odd.csv"))[0] == 0
    code, out, err = run("history")
    assert code == 0 and "\x1b" not in out + err
    code, out, err = run("whatif", "--partner", "Nobody")
    assert code == 1 and "\x1b" not in err and "\\x1b[31mRed Corp\\x1b[0m" in err


def test_unreadable_inputs_give_a_plain_message_not_a_traceback(files):
    code, out, err = run("load", "--dataset", "issues", "--mapping", str(files), str(files / "issues.csv"))
    assert (code, out) == (1, "")
    assert err.startswith(f"Could not use {files}: Is a directory. Check that the path names a file")
    (files / "list.json").write_text("[1, 2]")
    code, _, err = run("load", "--dataset", "issues", "--mapping", str(files / "list.json"), str(files / "issues.csv"))
    assert code == 1 and "holds a JSON list, not an object of field names and columns" in err
    code, _, err = run("whatif", "--partner", "Kestrel Design", "--weight", "shared goals=nan")
    assert code == 1 and err == "--weight needs a finite number, not 'shared goals=nan'.\n"


def test_rejected_rows_of_a_batch_there_is_not(files):
    assert run("load", "--dataset", "partners", str(files / "partners.csv"))[0] == 0
    assert run("rejected", "7") == (1, "", "There is no batch 7. `python -m pipelines history` lists the batches.\n")
    assert run("rejected", "1") == (0, "row,column,check,value,message\n", "")


def test_a_store_that_is_no_store_gives_a_plain_message(tmp_path):
    (tmp_path / "noise.duckdb").write_bytes(bytes(range(256)) * 800)
    code, out, err = run("--db", str(tmp_path / "noise.duckdb"), "history")
    assert (code, out) == (1, "")
    assert err.startswith(f"The store {tmp_path / 'noise.duckdb'} could not be opened or written (")
    assert "Traceback" not in err


def test_invalid_file_exits_1_with_reasons_and_changes_nothing(files):
    bad = files / "bad.csv"
    bad.write_text(ISSUES.replace("2025-01-20", "2024-12-01"))
    code, out, err = run("load", "--dataset", "issues", str(bad))
    assert code == 1 and out == ""
    assert "bad.csv: row 2, column 'Resolved': The issue is resolved before it was raised." in err
    assert "Use --accept-valid" in err
    assert run("history")[1] == "No batches loaded yet.\n"
    code, out, _ = run("load", "--dataset", "issues", "--accept-valid", str(bad))
    assert code == 0 and "1 invalid rows not loaded" in out
    code, out, _ = run("rejected", "1")
    assert out.splitlines()[1].startswith("2,Resolved,resolved_not_before_raised,2024-12-01,")


def test_unsure_mapping_stops_and_writes_the_inferred_mapping(files):
    odd = files / "odd.csv"
    odd.write_text("Ref,Thing,Who,When\nA1,x,Kestrel Design,2025-01-01\n")
    code, _, err = run("load", "--dataset", "issues", str(odd))
    assert code == 2
    mapping = json.loads((files / "odd.csv.mapping.json").read_text())
    assert mapping["issue_id"] == "Ref"
    assert "raised_by" in err and "--mapping" in err
    mapping.update({"raised_by": "Who", "raised_date": "When", "title": "Thing"})
    (files / "odd.csv.mapping.json").write_text(json.dumps(mapping))
    code, out, _ = run("load", "--dataset", "issues", "--mapping", str(files / "odd.csv.mapping.json"), str(odd))
    assert code == 0, out
    assert "new partners: Kestrel Design" in out


def test_undo_and_history(files):
    run("load", "--dataset", "partners", str(files / "partners.csv"))
    run("load", "--dataset", "issues", str(files / "issues.csv"))
    assert run("undo", "2")[1] == "Undid batch 2 (issues.csv).\n"
    history = run("history")[1].splitlines()
    assert history[0].split() == ["batch", "dataset", "file", "loaded_at", "rows_in", "rows_accepted",
                                  "rows_rejected", "state", "what"]
    assert history[1].split()[:3] == ["2", "issues", "issues.csv"]
    assert history[1].endswith(" undone The issue log upload")
    assert history[2].endswith(" loaded The partner list upload")
    code, _, err = run("undo", "2")
    assert code == 1 and "already undone" in err
    code, _, err = run("undo", "99")
    assert code == 1 and "There is no batch 99" in err


def test_scores_of_the_demo_mark_small_groups_suppressed_with_no_score():
    assert run("demo")[0] == 0
    code, out, _ = run("scores", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "partner,wave,factor,score,respondents,suppressed,reason,pending"
    pipwell = [line.split(",") for line in lines if line.startswith("Pipwell Ecology,2024-Q4,")]
    assert pipwell and all(row[3] == "" and row[4] == "" and row[5] == "True" for row in pipwell)
    # the reason in words, with the real k (not a code, not the letter k)
    assert {row[6] for row in pipwell} == {"fewer than 5 responses"}
    assert "Brackwater Systems,2024-Q4,joint_governance,,,True,hidden so a smaller group cannot be " \
           "worked out by subtraction," in lines
    records = json.loads(run("scores", "--format", "json")[1])
    assert {r["partner"] for r in records} >= {"Programme", "Kestrel Design"}
    assert all(r["score"] is None for r in records if r["suppressed"])


def test_help_documents_every_verb():
    out = subprocess.run([sys.executable, "-m", "pipelines", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    for verb in ("load", "history", "undo", "rejected", "scores", "demo", "template"):
        assert verb in out


def test_a_command_is_handed_to_the_process_that_holds_the_database(files, tmp_path):
    """The app's job runner runs a command for another process, with the app's own connection."""
    db = Path(os.environ["PARTNERSHIP_DB"])
    holder = Store(db)
    runner = handoff.JobRunner(db, lambda argv, out, err: cli.main(argv, store=holder, out=out, err=err)).start()
    try:
        done = subprocess.run([sys.executable, "-m", "pipelines", "load", "--dataset", "partners",
                               str(files / "partners.csv")], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, env={**os.environ, "PARTNERSHIP_LOCK_WAIT_SECONDS": "1"})
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Loaded 2 of 2 rows of partners.csv as batch 1; new partners: Kestrel Design, Harbour Civils.\n"
        assert holder.cursor().execute("SELECT count(*) FROM partners").fetchone() == (2,)
    finally:
        runner.stop()
        holder.close()


def test_a_second_command_waits_then_says_which_process_holds_the_file(files):
    db = Path(os.environ["PARTNERSHIP_DB"])
    holder = Store(db)  # held, but taking no jobs (like another command mid-load)
    try:
        done = subprocess.run([sys.executable, "-m", "pipelines", "history"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env={**os.environ, "PARTNERSHIP_LOCK_WAIT_SECONDS": "1"})
        assert done.returncode == 3
        assert f"is in use by process {os.getpid()}" in done.stderr
    finally:
        holder.close()
