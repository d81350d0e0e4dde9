"""One road per rule: every dataset, of every size, is checked by DuckDB (contracts.validate_sql)
from the Pandera models: column rules are made from the models' fields, rules across columns are
written once in SQL (contracts.RULES) and the models' dataframe checks run that same SQL.

Two things keep that honest. Pandera's own execution of each model is the oracle for the SQL made
from its fields: generated frames (Hypothesis, with the edges: blanks, equal dates, the future-date
boundary, text at the length limit and one past it, NaN-like text, huge numbers, odd Unicode) must
fail the same checks on the same rows both ways. And every rule is pinned by literal edge cases, so
that a mutated rule (>= for >, a limit off by one, AND for OR, ...) fails at least one of them.
"""
from __future__ import annotations

import math
import re

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pipelines.ingest import contracts, survey_answers
from pipelines.programme.factors import FACTORS

LATEST = pd.Timestamp(contracts.parameters()["latest_allowed"])  # the last day a past date may fall on


def day(offset: int, time: str = "00:00") -> pd.Timestamp:
    return LATEST + pd.Timedelta(days=offset) + pd.Timedelta(time + ":00" if time.count(":") == 1 else time)


# ------------------------------------------------------------------------------- frames
VALID = {  # one valid canonical row per dataset (as the reshapers in ingest/preview.py build them)
    "survey": dict(respondent_key=1, partner="Acme", wave="2025-Q1", wave_start=pd.Timestamp("2025-01-01"),
                   item_id="SG1", value=4.0, value_raw="4", scale_min=1, scale_max=5,
                   response_date=pd.Timestamp("2025-01-05"), response_date_raw="05/01/2025"),
    "instrument": dict(item_id="SG1", text="We agree the goals", factor="shared_goals", factor_raw="Shared goals",
                       scale_min=1.0, scale_max=5.0, reverse_scored=False, reverse_scored_raw="No"),
    "milestones": dict(milestone_id="M-1", title="Design freeze", owners="Acme; Bolt",
                       baseline_date=pd.Timestamp("2025-03-01"), baseline_date_raw="2025-03-01",
                       forecast_date=pd.Timestamp("2025-04-01"), forecast_date_raw="2025-04-01",
                       actual_date=pd.Timestamp("2025-04-02"), actual_date_raw="2025-04-02", status="Complete"),
    "issues": dict(issue_id="PH-1", title="Drawings late", kind="Issue", raised_by="Acme", owned_by="Bolt",
                   raised_date=pd.Timestamp("2025-01-02"), raised_date_raw="02/01/2025",
                   resolved_date=pd.Timestamp("2025-02-01"), resolved_date_raw="01/02/2025",
                   severity="high", severity_raw="High", status="Closed", escalated=True, escalated_raw="Y"),
    "partners": dict(name="Acme", aliases="ACME Ltd"),
    "headcount": dict(partner="Acme", wave="2025-Q1", wave_start=pd.Timestamp("2025-01-01"),
                      date=pd.Timestamp("2025-01-10"), date_raw="10/01/2025", invited=40.0, invited_raw="40"),
}


def _dtype(column) -> str | object:
    name = str(column.dtype)
    if name.startswith("datetime64"):
        return "datetime64[ns]"
    return object if name in ("str", "string") or name.startswith("string[") else name


def frame(dataset: str, rows: list[dict]) -> pd.DataFrame:
    """Rows (overrides of the dataset's valid row) as a canonical frame of the model's dtypes."""
    columns = contracts.MODELS[dataset].to_schema().columns
    records = [{**VALID[dataset], **row} for row in rows]
    out = pd.DataFrame({"source_row": np.arange(2, 2 + len(records), dtype="int64")})
    for name, column in columns.items():
        if name == "source_row":
            continue
        dtype = _dtype(column)
        values = [r.get(name) for r in records]
        if dtype is object:
            out[name] = pd.Series(values, dtype=object)
        elif dtype == "float64":
            out[name] = pd.Series([math.nan if v is None else v for v in values], dtype="float64")
        else:
            out[name] = pd.Series(values, dtype=dtype)
    return out


# ------------------------------------------------------------------------------- the two executions
def by_pandera(dataset: str, checked: pd.DataFrame) -> set[tuple]:
    """(source row, field, check) of every failure, as Pandera's execution of the model reports them."""
    try:
        contracts.MODELS[dataset].validate(checked, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return set()
    assert cases["index"].notna().all(), cases  # a failure of the frame as a whole: the test built it wrong
    out = set()
    for check, column, index in zip(cases["check"].astype(str), cases["column"], cases["index"]):
        key = check.split("(")[0]
        field = contracts.MESSAGES.get(key, (None,))[0] or column
        out.add((int(checked["source_row"].iloc[int(index)]), field, key))
    return out


def by_contract(failures: pd.DataFrame) -> set[tuple]:
    return {(int(r), f, c) for r, f, c in zip(failures["source_row"], failures["field"], failures["check"])}


# ------------------------------------------------------------------------------- one form per rule
@pytest.mark.parametrize("dataset", contracts.MODELS)
def test_every_check_of_every_model_is_run_by_duckdb(dataset):
    rules, _params = contracts.sql_rules(dataset)
    schema = contracts.MODELS[dataset].to_schema()
    names = {check for check, _field, _sql in rules}
    assert {c.name for c in schema.checks} <= names
    assert "not_nullable" in names
    assert all(c.name in contracts.MESSAGES for c in schema.checks)


def test_a_check_written_in_python_is_refused(monkeypatch):
    monkeypatch.delitem(contracts.RULES, "severity_is_known")
    with pytest.raises(NotImplementedError, match="severity_is_known"):
        contracts.sql_rules("issues")


def test_every_rule_is_written_once():
    sql = [text for text in contracts.RULES.values()]
    assert len(sql) == len(set(sql)) == 39


# ------------------------------------------------------------------------------- literal cases
def issue_rows() -> pd.DataFrame:
    """One row per way an issue can fail, and a clean row."""
    return frame("issues", [
        {},
        dict(issue_id="PH-2", raised_date=None, raised_date_raw="31/02/2025", resolved_date=None,
             resolved_date_raw=None, severity=None, severity_raw=None, escalated=None, escalated_raw=None),
        dict(issue_id="PH-3", raised_date=None, raised_date_raw=None, severity=None, severity_raw="Purple",
             escalated=None, escalated_raw="maybe"),
        dict(issue_id="PH-3", raised_by="x" * 201, raised_date=pd.Timestamp("2099-01-05"), raised_date_raw="2099-01-05",
             resolved_date=None, resolved_date_raw=None),
        dict(issue_id="PH-5", raised_by=None, raised_date=pd.Timestamp("2025-03-01"), resolved_date=pd.Timestamp("2025-02-01")),
        dict(issue_id=""),
        dict(issue_id=None, resolved_date=None, resolved_date_raw="soon"),
    ])


def test_an_issue_log_fails_the_same_checks_in_duckdb_as_in_pandera():
    rows = issue_rows()
    checked = contracts.validate("issues", rows)
    assert by_contract(checked.failures) == by_pandera("issues", rows) == {
        (3, "raised_date", "raised_date_is_readable"), (4, "raised_date", "raised_date_is_given"),
        (4, "severity", "severity_is_known"), (4, "escalated", "escalated_is_yes_or_no"),
        (4, "issue_id", "field_uniqueness"), (5, "issue_id", "field_uniqueness"),
        (5, "raised_by", "raised_by_is_short"), (5, "raised_date", "raised_date_not_in_future"),
        (6, "raised_by", "not_nullable"), (6, "resolved_date", "resolved_not_before_raised"),
        (7, "issue_id", "str_length"), (8, "issue_id", "not_nullable"),
        (8, "resolved_date", "resolved_date_is_readable")}
    assert list(checked.valid["source_row"]) == [2]
    assert checked.invalid_rows == 6


def test_a_failure_quotes_the_users_text_and_none_for_a_blank_cell():
    checked = contracts.validate("issues", issue_rows())
    quoted = {(r, c): v for r, c, v in checked.failures[["source_row", "check", "value"]].itertuples(index=False)}
    assert quoted[(3, "raised_date_is_readable")] == "31/02/2025"
    assert quoted[(4, "raised_date_is_given")] is None
    assert quoted[(5, "raised_date_not_in_future")] == "2099-01-05"
    assert checked.failures["value"].dtype == object


def test_a_clean_frame_of_every_dataset_passes_both_ways():
    for dataset in contracts.MODELS:
        rows = frame(dataset, [{}])
        assert contracts.validate(dataset, rows).ok and by_pandera(dataset, rows) == set(), dataset


def test_a_frame_the_code_built_wrong_is_a_fault_not_a_users_failure():
    rows = frame("issues", [{}]).assign(raised_date=["2025-01-02"])  # text where a date belongs
    with pytest.raises(ValueError, match="does not fit the Issues contract"):
        contracts.validate("issues", rows)


# rule, dataset, rows (overrides of the valid row), source rows that fail the rule
EDGES: list[tuple[str, str, list[dict], set[int]]] = [
    ("partner_name_is_short", "survey", [dict(partner="x" * 200), dict(partner="é" * 201, respondent_key=2)], {3}),
    ("wave_is_readable", "survey",
     [dict(wave=w, respondent_key=k) for k, w in enumerate(
         ["2025-Q1", "2025-Q4", "2019-09", "2025-01", "2025-10", "2025-12", "2025-Q5", "2025-Q0", "2025-13", "2025-00",
          "٢٠٢٥-Q1", "2025-Q1\n", "x2025-Q1", "2025-Q1x", "25-Q1", None])],
     {8, 9, 10, 11, 12, 13, 14, 15, 16}),
    ("answer_is_a_number", "survey", [{}, dict(value=None, value_raw="lots", item_id="SG2"),
                                      dict(value=None, value_raw=None, item_id="SG3")], {3}),
    ("answer_within_scale", "survey", [dict(value=v, item_id=f"I{v}") for v in (1.0, 5.0, 0.0, 6.0, None)], {4, 5}),
    ("answer_is_a_scale_point", "survey", [dict(value=v, item_id=f"I{v}") for v in (4.0, 3.5, 3.4, 3.6, None)], {3, 4, 5}),
    ("response_date_is_readable", "survey", [{}, dict(response_date=None, response_date_raw="31/02/2025", item_id="SG2"),
                                             dict(response_date=None, response_date_raw=None, item_id="SG3")], {3}),
    ("response_date_not_in_future", "survey",
     [dict(response_date=d, item_id=f"I{i}") for i, d in enumerate([day(0), day(0, "23:59:59"), day(1), None])], {4}),
    ("wave_not_in_future", "survey",
     [dict(wave_start=d, item_id=f"I{i}") for i, d in enumerate([day(0), day(0, "23:59:59"), day(1), None])], {4}),
    ("one_answer_per_respondent_item_wave", "survey",
     [{}, {}, dict(item_id="SG2"), dict(wave="2025-Q2"), dict(respondent_key=2)], {2, 3}),
    ("item_id_is_short", "instrument", [dict(item_id="x" * 200), dict(item_id="y" * 201)], {3}),
    ("factor_is_one_of_the_five", "instrument",
     [dict(factor=f, item_id=f"I{i}") for i, f in enumerate([*FACTORS, "shared goals", None])], {7, 8}),
    ("scale_starts_at_zero_or_more", "instrument",
     [dict(scale_min=v, item_id=f"I{i}") for i, v in enumerate([0.0, 1.0, -1.0, -0.5, None])], {4, 5}),
    ("scale_ends_at_eleven_or_less", "instrument",
     [dict(scale_max=v, item_id=f"I{i}") for i, v in enumerate([5.0, 11.0, 11.5, 12.0, None])], {4, 5}),
    ("scale_has_two_points_or_more", "instrument",
     [dict(scale_min=a, scale_max=b, item_id=f"I{i}")
      for i, (a, b) in enumerate([(1.0, 2.0), (5.0, 5.0), (5.0, 4.0), (None, 4.0), (1.0, None)])], {3, 4}),
    ("reverse_scored_is_yes_or_no", "instrument",
     [dict(reverse_scored=v, item_id=f"I{i}") for i, v in enumerate([True, False, None])], {4}),
    ("milestone_id_is_short", "milestones", [dict(milestone_id="x" * 200), dict(milestone_id="y" * 201)], {3}),
    ("owners_are_short", "milestones", [dict(owners="x" * 1000, milestone_id="a"), dict(owners="y" * 1001, milestone_id="b")], {3}),
    ("baseline_date_is_given", "milestones",
     [dict(milestone_id="a"), dict(milestone_id="b", baseline_date=None, baseline_date_raw="soon"),
      dict(milestone_id="c", baseline_date=None, baseline_date_raw=None)], {4}),
    *[(f"{name}_is_readable", "milestones",
       [dict(milestone_id="a"), dict(milestone_id="b", **{name: None, f"{name}_raw": "31/02/2025"}),
        dict(milestone_id="c", **{name: None, f"{name}_raw": None})], {3})
      for name in ("baseline_date", "forecast_date", "actual_date")],
    ("actual_date_not_in_future", "milestones",
     [dict(milestone_id=f"M{i}", actual_date=d) for i, d in enumerate([day(0), day(0, "23:59:59"), day(1), None])], {4}),
    ("issue_id_is_short", "issues", [dict(issue_id="x" * 200), dict(issue_id="y" * 201)], {3}),
    ("raised_by_is_short", "issues", [dict(issue_id="a", raised_by="x" * 200), dict(issue_id="b", raised_by="y" * 201)], {3}),
    ("owned_by_is_short", "issues", [dict(issue_id="a", owned_by="x" * 200), dict(issue_id="b", owned_by="y" * 201),
                                     dict(issue_id="c", owned_by=None)], {3}),
    ("raised_date_is_given", "issues",
     [dict(issue_id="a"), dict(issue_id="b", raised_date=None, raised_date_raw="soon"),
      dict(issue_id="c", raised_date=None, raised_date_raw=None)], {4}),
    *[(f"{name}_is_readable", "issues",
       [dict(issue_id="a"), dict(issue_id="b", **{name: None, f"{name}_raw": "31/02/2025"}),
        dict(issue_id="c", **{name: None, f"{name}_raw": None})], {3})
      for name in ("raised_date", "resolved_date")],
    ("raised_date_not_in_future", "issues",
     [dict(issue_id=f"I{i}", raised_date=d, resolved_date=None) for i, d in enumerate([day(0), day(0, "23:59:59"), day(1), None])], {4}),
    ("resolved_date_not_in_future", "issues",
     [dict(issue_id=f"I{i}", raised_date=pd.Timestamp("2025-01-01"), resolved_date=d)
      for i, d in enumerate([day(0), day(0, "23:59:59"), day(1), day(40), None])], {4, 5}),
    ("resolved_not_before_raised", "issues",
     [dict(issue_id=f"I{i}", raised_date=pd.Timestamp(a), resolved_date=pd.Timestamp(b) if b else None)
      for i, (a, b) in enumerate([("2025-03-01", "2025-03-01"), ("2025-03-01", "2025-03-02"), ("2025-03-01", "2025-02-28"),
                                  ("2025-03-01 10:00", "2025-03-01 09:59"), ("2025-03-01", None)])], {4, 5}),
    ("severity_is_known", "issues",
     [dict(issue_id="a"), dict(issue_id="b", severity=None, severity_raw="Purple"),
      dict(issue_id="c", severity=None, severity_raw=None)], {3}),
    ("escalated_is_yes_or_no", "issues",
     [dict(issue_id="a"), dict(issue_id="b", escalated=None, escalated_raw="maybe"),
      dict(issue_id="c", escalated=None, escalated_raw=None), dict(issue_id="d", escalated=False, escalated_raw="N")], {3}),
    ("name_is_short", "partners", [dict(name="x" * 200), dict(name="y" * 201)], {3}),
    ("date_is_readable", "headcount",
     [dict(partner="A"), dict(partner="B", date=None, date_raw="31/02/2025"),
      dict(partner="C", date=None, date_raw=None)], {3}),
    ("invited_is_given", "headcount", [dict(partner="A"), dict(partner="B", invited=None, invited_raw=None)], {3}),
    ("invited_is_a_number", "headcount",
     [dict(partner="A"), dict(partner="B", invited=None, invited_raw="forty"),
      dict(partner="C", invited=None, invited_raw=None)], {3}),
    ("invited_is_a_whole_number", "headcount",
     [dict(partner=f"P{i}", invited=v) for i, v in enumerate([0.0, 40.0, -1.0, 2.5, 2.4, None])], {4, 5, 6}),
    ("one_headcount_per_partner_wave", "headcount",
     [{}, {}, dict(wave="2025-Q2", wave_start=pd.Timestamp("2025-04-01")), dict(partner="Bolt")], {2, 3}),
]


def failing_rows(rule: str, dataset: str, rows: list[dict]) -> set[int]:
    failures = contracts.validate(dataset, frame(dataset, rows)).failures
    return set(failures.loc[failures["check"] == rule, "source_row"].astype(int))


@pytest.mark.parametrize("rule, dataset, rows, failing", EDGES, ids=[e[0] for e in EDGES])
def test_each_rule_at_its_edges(rule, dataset, rows, failing):
    assert failing_rows(rule, dataset, rows) == failing


def test_every_rule_has_edge_cases():
    assert {e[0] for e in EDGES} == set(contracts.RULES)


def test_plans_and_forecasts_may_lie_in_the_future():
    rows = frame("milestones", [dict(baseline_date=day(400), forecast_date=day(400), actual_date=None, actual_date_raw=None)])
    assert contracts.validate("milestones", rows).ok


# ------------------------------------------------------------------------------- mutants
_MUTATIONS = [(">=", ">"), ("<=", "<"), (">", ">="), ("<", "<="), (" = ", " <> "), (" = ", " >= "),
              ("IS NOT NULL", "IS NULL"), ("IS NULL", "IS NOT NULL"), (" OR ", " AND "), (" AND ", " OR "),
              ("BETWEEN", "NOT BETWEEN")]


def mutants(sql: str) -> list[str]:
    """Each single change of one operator or one number in ``sql``."""
    out = []
    for old, new in _MUTATIONS:
        for match in re.finditer(re.escape(old), sql):
            if old in (">", "<") and sql[match.end():match.end() + 1] == "=":
                continue
            if old == "IS NULL" and sql[max(0, match.start() - 4):match.start()] == "NOT ":
                continue
            out.append(sql[:match.start()] + new + sql[match.end():])
    for match in re.finditer(r"\d+", sql):
        for number in (int(match.group()) - 1, int(match.group()) + 1):
            out.append(sql[:match.start()] + str(number) + sql[match.end():])
    return sorted(set(out) - {sql})


@pytest.mark.parametrize("rule", sorted(contracts.RULES))
def test_every_mutant_of_a_rule_fails_its_edge_cases(rule, monkeypatch):
    cases = [e for e in EDGES if e[0] == rule]
    survivors = []
    for mutant in mutants(contracts.RULES[rule]):
        monkeypatch.setitem(contracts.RULES, rule, mutant)
        try:
            if all(failing_rows(rule, dataset, rows) == failing for _, dataset, rows, failing in cases):
                survivors.append(mutant)
        except duckdb.Error:
            pass  # a mutant DuckDB cannot run is caught by every test that loads a file
    assert not survivors, survivors


# ------------------------------------------------------------------------------- generated frames
TEXT = st.one_of(
    st.sampled_from([None, "", " ", "Acme", "acme", "Bolt", "x" * 199, "x" * 200, "x" * 201, "e\u0301" * 100,
                     "\U0001F44D\U0001F3FD" * 100, "nan", "NaN", "NULL", "#N/A", "-", "None", "\ufeffAcme",
                     '"Acme"', "\u202eemcA", "\U0001D518\U0001D52B", "Acme\n", "1e308",
                     "99999999999999999999999"]),
    st.text(max_size=4))
DATES = st.sampled_from([None, pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-01 10:00"),
                         pd.Timestamp("2025-02-28"), day(-1), day(0), day(0, "23:59:59"), day(1), day(40)])
NUMBERS = st.sampled_from([None, -1.0, -0.0, 0.0, 1.0, 2.5, 4.0, 5.0, 7.0, 11.0, 11.5, 12.0, 1e308, math.inf])
SPECIAL = {
    "severity": st.sampled_from([None, *contracts.LEVELS, "urgent"]),
    "factor": st.sampled_from([None, *FACTORS, "shared goals"]),
    "wave": st.sampled_from([None, "2025-Q1", "2025-Q5", "2025-13", "٢٠٢٥-Q1", "2025-Q1\n"]),
    "item_id": st.sampled_from(["SG1", "SG2", "x" * 201, "", None]),
    "respondent_key": st.sampled_from([1, 2, 2**64 - 1]),
    "scale_min": st.sampled_from([0, 1, 5]),
    "scale_max": st.sampled_from([1, 5, 7, 11]),
}


def column_strategy(dataset: str, name: str, column):
    if name in SPECIAL and not (dataset == "instrument" and name.startswith("scale_")):
        return SPECIAL[name]
    dtype = _dtype(column)
    if dtype == "datetime64[ns]":
        return DATES
    if dtype == "float64":
        return NUMBERS
    if dtype == "boolean":
        return st.sampled_from([None, True, False])
    return TEXT


def rows_of(dataset: str):
    columns = contracts.MODELS[dataset].to_schema().columns
    row = st.fixed_dictionaries({name: column_strategy(dataset, name, column)
                                 for name, column in columns.items() if name != "source_row"})
    return st.lists(row, min_size=1, max_size=6)


@pytest.mark.parametrize("dataset", contracts.MODELS)
def test_generated_frames_fail_the_same_checks_in_duckdb_as_in_pandera(dataset):
    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(rows_of(dataset))
    def same(rows):
        checked = frame(dataset, rows)
        assert by_contract(contracts.validate(dataset, checked).failures) == by_pandera(dataset, checked)
    same()


TRANSLATED = {  # a mutant of the SQL that sql_rules makes from a column check, per check
    "not_nullable": ("IS NOT NULL", "IS NULL"),
    "field_uniqueness": ("= 1", "<= 2"),
    "str_length": (">= 1", "> 1"),
    "isin": ("IS NULL OR", "IS NOT NULL AND"),
}


@pytest.mark.parametrize("check, dataset", [("not_nullable", "partners"), ("field_uniqueness", "partners"),
                                            ("str_length", "issues"), ("isin", "issues")])
def test_a_mutated_column_check_is_caught_by_the_generated_frames(check, dataset, monkeypatch):
    made = contracts.sql_rules
    old, new = TRANSLATED[check]

    def mutated(name):
        rules, params = made(name)
        return [(c, f, sql.replace(old, new, 1) if c == check else sql) for c, f, sql in rules], params
    monkeypatch.setattr(contracts, "sql_rules", mutated)
    differs = find(rows_of(dataset), lambda rows: by_contract(
        contracts.validate(dataset, frame(dataset, rows)).failures) != by_pandera(dataset, frame(dataset, rows)),
        settings=settings(max_examples=200, deadline=None, derandomize=True, database=None, phases=[Phase.generate]))
    assert differs


# ------------------------------------------------------------------------------- a survey's answers
def long_frame(staged, rows) -> pd.DataFrame:
    """The answers as the long canonical frame the model describes (one row per answer)."""
    con = duckdb.connect()
    relation = survey_answers._register(con, staged, rows)
    long = con.execute(f"SELECT * FROM {relation} ORDER BY source_row, item_id").df()
    for name in ("partner", "wave", "item_id", "value_raw", "response_date_raw"):
        long[name] = long[name].astype(object).where(long[name].notna(), None)
    return long.astype({"scale_min": "int64", "scale_max": "int64", "wave_start": "datetime64[ns]",
                        "response_date": "datetime64[ns]", "respondent_key": "uint64"})


ITEMS = pd.DataFrame({"item_id": ["SG1", "JG1"], "scale_min": [1, 1], "scale_max": [5, 5]})


def survey(respondents: list[dict], answers: list[list]) -> tuple:
    rows = pd.DataFrame({"source_row": np.arange(2, 2 + len(respondents), dtype="int64"),
                         **{name: [r[name] for r in respondents] for name in survey_answers.ROW_COLUMNS[1:]}})
    rows["respondent_key"] = rows["respondent_key"].astype("uint64")
    for name in ("wave_start", "response_date"):
        rows[name] = pd.to_datetime(rows[name]).astype("datetime64[ns]")
    for name in ("partner", "wave", "response_date_raw"):
        rows[name] = rows[name].astype(object).where(rows[name].notna(), None)
    wide = pd.DataFrame(answers, columns=["We agree the goals", "Decisions are joint"], dtype=object)
    staged = survey_answers.stage(rows["source_row"], wide, ["SG1", "JG1"], ITEMS)
    return staged, rows


def assert_one_verdict(staged, rows) -> set[tuple]:
    checked = survey_answers.validate(staged, rows)
    if not staged.answers_mapped:
        return set()
    long = long_frame(staged, rows)
    assert by_contract(checked.failures) == by_contract(contracts.validate("survey", long).failures) == by_pandera(
        "survey", long)
    assert checked.rows_checked == len(long)
    return by_contract(checked.failures)


RESPONDENT = dict(respondent_key=11, partner="Acme", wave="2025-Q1", wave_start="2025-01-01",
                  response_date="2025-01-05", response_date_raw="05/01/2025")


def test_survey_answers_checked_where_they_live_fail_as_the_long_frame_does():
    staged, rows = survey([
        RESPONDENT, dict(RESPONDENT, respondent_key=12, response_date=None, response_date_raw="31/02/2025"),
        dict(RESPONDENT, respondent_key=13, partner="y" * 201, response_date="2099-01-01", response_date_raw="2099-01-01"),
        dict(RESPONDENT, respondent_key=13, partner="Bolt"),
        dict(RESPONDENT, respondent_key=15, wave="Spring", wave_start=None, response_date=None, response_date_raw="soon")],
        [["4", "2"], ["Agree", " "], ["9", "lots"], ["2", "5"], ["3", None]])
    assert assert_one_verdict(staged, rows) == {
        (3, "response_date", "response_date_is_readable"), (4, "partner", "partner_name_is_short"),
        (4, "value", "answer_within_scale"), (4, "value", "answer_is_a_number"),
        (4, "response_date", "response_date_not_in_future"),
        (4, "respondent_id", "one_answer_per_respondent_item_wave"),
        (5, "respondent_id", "one_answer_per_respondent_item_wave"),
        (6, "wave", "wave_is_readable"), (6, "wave_start", "not_nullable"),
        (6, "response_date", "response_date_is_readable")}


ANSWERS = st.sampled_from([None, "", " ", "4", "1", "5", "0", "6", "2.5", "Agree", "strongly AGREE", "5 - Strongly agree",
                           "1 - Strongly agree", "lots", "nan", "NULL", "#N/A", "-", "1e308", "٣", "\ufeff4", '"4"'])
RESPONDENTS = st.fixed_dictionaries({
    "respondent_key": st.sampled_from([11, 12, 2**64 - 1]),
    "partner": st.sampled_from([None, "Acme", "Bolt", "x" * 200, "x" * 201, "\u202eemcA"]),
    "wave": st.sampled_from(["2025-Q1", "2025-Q2", "2025-Q5", None]),
    "response_date": st.sampled_from([None, "2025-01-05", str(day(0).date()), str(day(1).date())]),
    "response_date_raw": st.sampled_from([None, "05/01/2025", "soon"]),
}).map(lambda r: dict(r, wave_start={"2025-Q1": "2025-01-01", "2025-Q2": "2025-04-01"}.get(r["wave"])))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(RESPONDENTS, st.lists(ANSWERS, min_size=2, max_size=2)), min_size=1, max_size=5))
def test_generated_surveys_fail_the_same_checks_where_they_live_as_in_the_long_frame_and_in_pandera(respondents):
    assert_one_verdict(*survey([r for r, _ in respondents], [a for _, a in respondents]))
