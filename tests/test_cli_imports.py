"""The command line answers --help and usage errors without importing the heavy libraries, and
the stage facades (pipelines.ingest, pipelines.store) import their names on first use.

Each check runs in a fresh interpreter and looks at ``sys.modules``: which modules were
imported, never how long it took."""
import json
import subprocess
import sys

import pytest
from conftest import ROOT

HEAVY = ("pandas", "pandera", "duckdb", "streamlit", "numpy", "pyarrow", "altair", "scipy",
         "statsmodels", "openpyxl", "python_calamine")

PROBE = """
import contextlib, io, json, sys
{code}
print(json.dumps({{"heavy": sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r}),
                   "result": result}}))
"""


def run_fresh(code: str, tmp_path) -> dict:
    """Run ``code`` (which sets ``result``) in a new interpreter; the heavy modules it imported."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                               "PARTNERSHIP_DB": str(tmp_path / "programme.duckdb")})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli_code(argv: list[str]) -> str:
    return f"""
from pipelines import cli
err = io.StringIO()
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(err):
    code = cli.main({argv!r})
result = [code, out.getvalue() + err.getvalue()]
"""


def test_help_imports_no_heavy_library(tmp_path):
    found = run_fresh(cli_code(["--help"]), tmp_path)
    assert found["heavy"] == []
    code, text = found["result"]
    assert code == 0
    assert "usage: python -m pipelines" in text
    assert "load" in text and "scores" in text and "pack" in text


@pytest.mark.parametrize("verb", ["load", "history", "undo", "rejected", "demo", "template", "scores",
                                  "pack"])
def test_each_verbs_help_imports_no_heavy_library(verb, tmp_path):
    found = run_fresh(cli_code([verb, "--help"]), tmp_path)
    assert found["heavy"] == []
    assert found["result"][0] == 0
    assert f"usage: python -m pipelines {verb}" in found["result"][1]


@pytest.mark.parametrize("argv, message", [
    (["load"], "the following arguments are required: FILE, --dataset"),
    (["scores", "--format", "xml"], "invalid choice: 'xml'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["undo", "seven"], "invalid int value: 'seven'"),
])
def test_argument_errors_exit_64_without_heavy_libraries(argv, message, tmp_path):
    found = run_fresh(cli_code(argv), tmp_path)
    assert found["heavy"] == []
    code, text = found["result"]
    assert code == 64
    assert message in text


def test_a_missing_file_is_a_usage_error_before_the_store_opens(tmp_path):
    missing = tmp_path / "nowhere.csv"
    found = run_fresh(cli_code(["load", str(missing), "--dataset", "survey"]), tmp_path)
    assert found["heavy"] == []
    assert found["result"] == [64, f"No such file: {missing}\n"]
    assert not (tmp_path / "programme.duckdb").exists()


def test_a_partner_alias_without_a_partner_is_a_usage_error_before_the_store_opens(tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_text("Respondent ID,Organisation\nR1,Kestrel Design\n")
    found = run_fresh(cli_code(["load", str(survey), "--dataset", "survey", "--partner-alias", "Kestrel"]),
                      tmp_path)
    assert found["heavy"] == []
    assert found["result"] == [64, "--partner-alias needs NAME=PARTNER, not 'Kestrel'.\n"]
    assert not (tmp_path / "programme.duckdb").exists()


def test_a_what_if_option_without_its_partner_is_a_usage_error_before_the_store_opens(tmp_path):
    found = run_fresh(cli_code(["pack", "--out", str(tmp_path / "p.pptx"), "--delta", "shared_goals=5"]),
                      tmp_path)
    assert found["heavy"] == []
    assert found["result"] == [64, "--delta and --weight need --wi-partner.\n"]
    assert not (tmp_path / "programme.duckdb").exists()


def test_the_template_verb_needs_no_heavy_library(tmp_path):
    found = run_fresh(cli_code(["template", "milestones"]), tmp_path)
    assert found["heavy"] == []
    code, text = found["result"]
    assert code == 0
    assert text == ('"Milestone id","Title","Owner partner(s)","Baseline date","Forecast date",'
                    '"Actual date","Status"\r\n')


@pytest.mark.parametrize("module", ["pipelines.ingest.fields", "pipelines.store.schema",
                                    "pipelines.store.versions"])
def test_a_light_submodule_does_not_import_its_stage(module, tmp_path):
    found = run_fresh(f"import {module}\nresult = None", tmp_path)
    assert found["heavy"] == []


def test_the_ingest_facade_gives_each_public_name_from_its_owner(tmp_path):
    found = run_fresh("""
import pipelines.ingest as ingest
from pipelines.ingest import loader, preview
from pipelines.ingest import prepare, NotReady
result = [prepare is preview.prepare, NotReady is preview.NotReady, ingest.commit is loader.commit,
          ingest.undo is loader.undo, "prepare" in dir(ingest), "template" in ingest.__all__]
""", tmp_path)
    assert found["result"] == [True, True, True, True, True, True]


def test_the_store_facade_gives_each_public_name_from_its_owner(tmp_path):
    found = run_fresh("""
import pipelines.store as store
from pipelines.store import database, versions
from pipelines.store import Store, visible
result = [Store is database.Store, visible is versions.visible, store.StoreBusy is database.StoreBusy,
          store.db_path is database.db_path, sorted(store.__all__)]
""", tmp_path)
    assert found["result"] == [True, True, True, True,
                               ["Store", "StoreBusy", "StoreMissing", "StoreTooNew", "db_path", "is_lake",
                                "open_prepared", "open_store", "visible"]]


@pytest.mark.parametrize("package", ["pipelines.ingest", "pipelines.store"])
def test_a_name_a_facade_does_not_have_is_an_attribute_error(package, tmp_path):
    found = run_fresh(f"""
import {package} as facade
try:
    facade.no_such_name
    result = "found"
except AttributeError as missing:
    result = str(missing)
""", tmp_path)
    assert found["result"] == f"module '{package}' has no attribute 'no_such_name'"
