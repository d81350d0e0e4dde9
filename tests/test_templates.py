"""Templates: the survey template has the current instrument's question columns in the instrument's
order (the order of the file that loaded it), from the Data page's function and `python -m pipelines
template`, on a DuckDB file and on a DuckLake store."""
import io

import pytest

from pipelines import cli, ingest
from pipelines.programme import bootstrap
from pipelines.store import Store

SURVEY_FIELDS = '"Respondent id","Partner organisation","Response date","Wave"'
DEFAULT_IDS = ("SG1,SG2,SG3,SG4,JG1,JG2,JG3,JG4,PS1,PS2,PS3,PS4,OC1,OC2,OC3,OC4,MA1,MA2,MA3,MA4").split(",")
# a programme's own instrument, its questions interleaved across factors as the survey asks them
OWN = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\r\n"
       "Q3,Partners keep their commitments,mutual accountability,1,5,No\r\n"
       "Q1,We agreed the goals together,shared goals,1,5,No\r\n"
       "Q10,Decisions are made jointly,joint governance,1,5,No\r\n"
       "Q2,I can raise problems without blame,psychological safety,1,5,No\r\n").encode()


def header(ids) -> str:
    return SURVEY_FIELDS + "".join(f',"{i}"' for i in ids) + "\r\n"


def run_cli(store, *argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), store=store, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def load_own(store) -> None:
    ingest.commit(store, ingest.prepare(store, "instrument", "own-instrument.csv", OWN))


def test_the_default_instrument_in_its_order(store):
    bootstrap.ensure_instrument(store)
    assert ingest.template("survey", store.cursor()).decode("utf-8-sig") == header(DEFAULT_IDS)


def test_an_own_instrument_in_the_order_of_its_file(store):
    load_own(store)
    assert ingest.template("survey", store.cursor()).decode("utf-8-sig") == header(["Q3", "Q1", "Q10", "Q2"])


def test_a_new_instrument_file_gives_its_own_order(store):
    load_own(store)
    reordered = OWN.replace(b"Q3,Partners", b"Q9,Partners")  # the file that replaces it asks Q9 first
    ingest.commit(store, ingest.prepare(store, "instrument", "own-instrument-v2.csv", reordered))
    text = ingest.template("survey", store.cursor()).decode("utf-8-sig")
    assert text == header(["Q3", "Q9", "Q1", "Q10", "Q2"])  # Q3 stays from the first file


def test_an_empty_store_offers_the_default_instrument(store):
    assert ingest.template("survey", store.cursor()).decode("utf-8-sig") == header(DEFAULT_IDS)
    assert store.cursor().execute("SELECT count(*) FROM batches").fetchone() == (0,)


def test_other_templates_have_no_question_columns(store):
    load_own(store)
    assert ingest.template("issues", store.cursor()).decode("utf-8-sig") == (
        '"Issue id","Title","Kind","Raised by (partner)","Owned by (partner)","Raised date","Resolved date",'
        '"Severity","Status","Escalated"\r\n')


def test_the_command_line_template_has_the_store_instrument(store):
    load_own(store)
    code, out, err = run_cli(store, "template", "survey")
    assert (code, err) == (0, "")
    assert out == header(["Q3", "Q1", "Q10", "Q2"])


def test_the_command_line_template_opens_the_database_it_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "salt"))
    path = tmp_path / "programme.duckdb"
    store = Store(path)
    load_own(store)
    store.close()
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["--db", str(path), "template", "survey"], out=out, err=err) == 0
    assert out.getvalue() == header(["Q3", "Q1", "Q10", "Q2"])


def test_the_order_holds_on_a_ducklake_store(postgres, monkeypatch):
    from conftest import new_lake

    monkeypatch.setenv("PARTNERSHIP_LAKE_DATA_PATH", postgres.data_path)
    lake = Store(new_lake(postgres))
    try:
        load_own(lake)
        bigger = OWN + b"Q0,Information reaches me unasked,open communication,1,5,No\r\n"
        ingest.commit(lake, ingest.prepare(lake, "instrument", "own-instrument-v2.csv", bigger))
        assert ingest.template("survey", lake.cursor()).decode("utf-8-sig") == header(
            ["Q3", "Q1", "Q10", "Q2", "Q0"])
    finally:
        lake.close()


@pytest.mark.parametrize("dataset", ["survey", "instrument", "milestones", "issues", "partners"])
def test_every_template_column_maps_back_to_its_field(store, dataset):
    import csv

    import pandas as pd

    from pipelines.ingest import mapping

    bootstrap.ensure_instrument(store)
    columns = next(csv.reader([ingest.template(dataset, store.cursor()).decode("utf-8-sig")]))
    suggestions = mapping.suggest_mapping(dataset, pd.DataFrame(columns=columns))
    labels = [s.column for s in suggestions.values()]
    assert labels == columns[:len(labels)]
