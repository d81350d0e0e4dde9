"""What valid data is: one Pandera ``DataFrameModel`` per dataset, checked by DuckDB.

The models validate the canonical frames that ``ingest`` builds from a user's file,
after text has been parsed into numbers, dates and flags (``values``), so a failure
report holds the user's own text rather than type-conversion noise. A column
``<field>_raw`` beside a parsed field keeps that text. Every check is named for what
it means; ``MESSAGES`` says each in plain words, and ``validate`` returns a
``Validation`` value that the Data page and the command line both render.

One road per rule. A rule about one column is a Pandera ``Field`` argument (nullable, unique,
str_length, isin); ``sql_rules`` turns each into SQL. A rule across columns is
written once, in SQL, by ``_rule``: the model's dataframe check runs that SQL on a frame
through DuckDB, and ``validate_sql`` runs the same text over a table. Every dataset of every
size is checked by ``validate_sql`` (``validate`` for a frame, ``survey_answers.validate`` for a
survey's answers where they live), so a verdict cannot depend on a file's size.
``tests/test_contracts_sql.py`` runs Pandera's own execution of each model against it on
generated frames, and pins every rule with edge cases that a mutated rule fails.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing.pandas import Series

from pipelines import settings
from pipelines.ingest.values import SEVERITIES as LEVELS
from pipelines.programme.factors import FACTORS, label
MAX_ID_CHARS = 200  # an id or a partner name longer than this is a pasted paragraph, not a name
MAX_OWNERS_CHARS = 1000  # several partner names of a joint milestone
SCALE_LOWEST, SCALE_MOST_POINTS = 0, 11  # a rating scale starts at 0 or above and ends at 10 or 11 at most


def parameters() -> dict[str, object]:
    """The values the rules' SQL names: ``$latest_allowed``, the last day a date may fall on, and
    ``$factors``, the factor keys.

    Dates that record what has happened (a response, an issue raised or resolved, a milestone
    achieved, a wave begun) may not lie past it; a milestone's baseline and forecast dates are
    plans and may."""
    return {"latest_allowed": dt.date.today() + dt.timedelta(days=int(settings.get("future_tolerance_days"))),
            "factors": list(FACTORS)}


RULES: dict[str, str] = {}  # check name -> SQL true for a valid row: the only form of each rule across columns


def _rule(name: str, sql: str):
    """A dataframe check written once, as SQL over the model's column names."""
    RULES[name] = sql

    @pa.dataframe_check(name=name)
    def check(cls, df: pd.DataFrame) -> pd.Series:
        return run_rule(cls, sql, df)
    return check


def _is_short(field: str, name: str | None = None, limit: int = MAX_ID_CHARS):
    """Ids and names are short: free text pasted into them would become a partner or a key."""
    return _rule(name or f"{field}_is_short", f"{field} IS NULL OR length({field}) <= {int(limit)}")


def _is_readable(field: str, name: str | None = None):
    """A date or flag given as text must have been understood."""
    return _rule(name or f"{field}_is_readable", f"{field} IS NOT NULL OR {field}_raw IS NULL")


def _wave_is_readable():
    """A wave is a quarter (2025-Q3) or a month (2025-03), as ``programme.waves`` writes them."""
    return _rule("wave_is_readable", "wave IS NULL OR regexp_full_match(wave, '[0-9]{4}-(Q[1-4]|0[1-9]|1[0-2])')")


def _not_in_future(field: str, name: str | None = None):
    """A date of something that has happened lies no later than ``$latest_allowed`` (by day: a time
    on the last allowed day is allowed)."""
    return _rule(name or f"{field}_not_in_future",
                 f"{field} IS NULL OR CAST({field} AS DATE) <= $latest_allowed")




class SurveyAnswers(pa.DataFrameModel):
    """One answer: a respondent's rating of one item in one wave (long form)."""
    source_row: Series[int]
    respondent_key: Series[pa.typing.UInt64] = pa.Field(nullable=False)  # privacy.pseudonymise
    partner: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    wave: Series[str] = pa.Field(nullable=False)
    wave_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    item_id: Series[str] = pa.Field(nullable=False)
    value: Series[float] = pa.Field(nullable=True)
    value_raw: Series[str] = pa.Field(nullable=True)
    scale_min: Series[int]
    scale_max: Series[int]
    response_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    response_date_raw: Series[str] = pa.Field(nullable=True)

    partner_name_is_short = _is_short("partner", "partner_name_is_short")
    wave_is_readable = _wave_is_readable()
    answer_is_a_number = _is_readable("value", "answer_is_a_number")
    answer_within_scale = _rule("answer_within_scale", "value IS NULL OR value BETWEEN scale_min AND scale_max")
    answer_is_a_scale_point = _rule("answer_is_a_scale_point", "value IS NULL OR value = round(value)")
    response_date_is_readable = _is_readable("response_date")
    response_date_not_in_future = _not_in_future("response_date")
    wave_not_in_future = _not_in_future("wave_start", "wave_not_in_future")
    one_answer_per_respondent_item_wave = _rule(
        "one_answer_per_respondent_item_wave", "count(*) OVER (PARTITION BY respondent_key, wave, item_id) = 1")

    class Config:
        strict = False


class InstrumentItems(pa.DataFrameModel):
    """One survey question: which factor it measures, on what scale, which way round."""
    source_row: Series[int]
    item_id: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    text: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    factor: Series[str] = pa.Field(nullable=True)
    factor_raw: Series[str] = pa.Field(nullable=True)
    scale_min: Series[float] = pa.Field(nullable=False)
    scale_max: Series[float] = pa.Field(nullable=False)
    reverse_scored: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    reverse_scored_raw: Series[str] = pa.Field(nullable=True)

    item_id_is_short = _is_short("item_id")
    factor_is_one_of_the_five = _rule("factor_is_one_of_the_five", "list_contains($factors, factor)")
    scale_starts_at_zero_or_more = _rule("scale_starts_at_zero_or_more",
                                         f"scale_min IS NULL OR scale_min >= {SCALE_LOWEST}")
    scale_ends_at_eleven_or_less = _rule("scale_ends_at_eleven_or_less",
                                         f"scale_max IS NULL OR scale_max <= {SCALE_MOST_POINTS}")
    scale_has_two_points_or_more = _rule("scale_has_two_points_or_more",
                                         "scale_min IS NULL OR scale_max IS NULL OR scale_max > scale_min")
    reverse_scored_is_yes_or_no = _rule("reverse_scored_is_yes_or_no", "reverse_scored IS NOT NULL")

    class Config:
        strict = False


class Milestones(pa.DataFrameModel):
    """One delivery milestone, owned by one partner or jointly by several."""
    source_row: Series[int]
    milestone_id: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    title: Series[str] = pa.Field(nullable=True)
    owners: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    baseline_date: Series[pd.Timestamp] = pa.Field(nullable=True)  # a plan: may lie in the future
    baseline_date_raw: Series[str] = pa.Field(nullable=True)
    forecast_date: Series[pd.Timestamp] = pa.Field(nullable=True)  # a forecast: may lie in the future
    forecast_date_raw: Series[str] = pa.Field(nullable=True)
    actual_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    actual_date_raw: Series[str] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(nullable=True)

    milestone_id_is_short = _is_short("milestone_id")
    owners_are_short = _is_short("owners", "owners_are_short", limit=MAX_OWNERS_CHARS)
    baseline_date_is_given = _rule("baseline_date_is_given", "baseline_date IS NOT NULL OR baseline_date_raw IS NOT NULL")
    baseline_date_is_readable = _is_readable("baseline_date")
    forecast_date_is_readable = _is_readable("forecast_date")
    actual_date_is_readable = _is_readable("actual_date")
    actual_date_not_in_future = _not_in_future("actual_date")

    class Config:
        strict = False


class Issues(pa.DataFrameModel):
    """One issue, risk or dispute from the programme's log."""
    source_row: Series[int]
    issue_id: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    title: Series[str] = pa.Field(nullable=True)
    kind: Series[str] = pa.Field(nullable=True)
    raised_by: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    owned_by: Series[str] = pa.Field(nullable=True)
    raised_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    raised_date_raw: Series[str] = pa.Field(nullable=True)
    resolved_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    resolved_date_raw: Series[str] = pa.Field(nullable=True)
    severity: Series[str] = pa.Field(nullable=True, isin=list(LEVELS))
    severity_raw: Series[str] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(nullable=True)
    escalated: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    escalated_raw: Series[str] = pa.Field(nullable=True)

    issue_id_is_short = _is_short("issue_id")
    raised_by_is_short = _is_short("raised_by")
    owned_by_is_short = _is_short("owned_by")
    raised_date_is_given = _rule("raised_date_is_given", "raised_date IS NOT NULL OR raised_date_raw IS NOT NULL")
    raised_date_is_readable = _is_readable("raised_date")
    resolved_date_is_readable = _is_readable("resolved_date")
    raised_date_not_in_future = _not_in_future("raised_date")
    resolved_date_not_in_future = _not_in_future("resolved_date")
    resolved_not_before_raised = _rule("resolved_not_before_raised",
                                       "raised_date IS NULL OR resolved_date IS NULL OR resolved_date >= raised_date")
    severity_is_known = _is_readable("severity", "severity_is_known")
    escalated_is_yes_or_no = _is_readable("escalated", "escalated_is_yes_or_no")

    class Config:
        strict = False


class Headcounts(pa.DataFrameModel):
    """How many of a partner's staff were invited to one survey wave."""
    source_row: Series[int]
    partner: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    wave: Series[str] = pa.Field(nullable=False)
    wave_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    date: Series[pd.Timestamp] = pa.Field(nullable=True)
    date_raw: Series[str] = pa.Field(nullable=True)
    invited: Series[float] = pa.Field(nullable=True)
    invited_raw: Series[str] = pa.Field(nullable=True)

    partner_name_is_short = _is_short("partner", "partner_name_is_short")
    wave_is_readable = _wave_is_readable()
    date_is_readable = _is_readable("date")
    invited_is_given = _rule("invited_is_given", "invited_raw IS NOT NULL")
    invited_is_a_number = _is_readable("invited", "invited_is_a_number")
    invited_is_a_whole_number = _rule("invited_is_a_whole_number",
                                      "invited IS NULL OR (invited >= 0 AND invited = round(invited))")
    one_headcount_per_partner_wave = _rule("one_headcount_per_partner_wave",
                                           "count(*) OVER (PARTITION BY partner, wave) = 1")

    class Config:
        strict = False


class Partners(pa.DataFrameModel):
    """One partner organisation and the other names exports use for it."""
    source_row: Series[int]
    name: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    aliases: Series[str] = pa.Field(nullable=True)

    name_is_short = _is_short("name")

    class Config:
        strict = False


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "survey": SurveyAnswers,
    "instrument": InstrumentItems,
    "milestones": Milestones,
    "issues": Issues,
    "partners": Partners,
    "headcount": Headcounts,
}

# check name -> (the field it is about, what is wrong in plain words, how to fix it)
MESSAGES: dict[str, tuple[str | None, str]] = {
    "answer_is_a_number": ("value", "The answer is not a number or a scale label we know. Use the scale's numbers or its labels (Strongly disagree ... Strongly agree)."),
    "answer_within_scale": ("value", "The answer is outside the question's scale. Use a value on the scale, or leave it blank if the question was skipped."),
    "answer_is_a_scale_point": ("value", "The answer is not a whole scale point. Use one of the scale's points."),
    "wave_is_readable": ("wave", "This is not a wave we can read. Use a quarter such as 2025-Q3 or a month such as 2025-03."),
    "response_date_is_readable": ("response_date", "The response date could not be read as a date. Use a date such as 2025-03-31 or 31/03/2025."),
    "response_date_not_in_future": ("response_date", "The response date is in the future. Check the year."),
    "wave_not_in_future": ("wave", "The wave begins in the future, so no one can have answered it yet. Check the wave's year."),
    "one_answer_per_respondent_item_wave": ("respondent_id", "This respondent answers the same question twice in this wave. Remove the duplicate response."),
    "factor_is_one_of_the_five": ("factor", "The factor is not one of: " + ", ".join(label(f).lower() for f in FACTORS) + "."),
    "scale_starts_at_zero_or_more": ("scale_min", f"The scale minimum is below {SCALE_LOWEST}. Use the lowest answer value, usually 1."),
    "scale_ends_at_eleven_or_less": ("scale_max", f"The scale maximum is above {SCALE_MOST_POINTS}: no rating scale has more points. Use the highest answer value, usually 5 or 7."),
    "scale_has_two_points_or_more": ("scale_max", "The scale maximum must be above the scale minimum."),
    "reverse_scored_is_yes_or_no": ("reverse_scored", "Reverse-scored must be Yes or No."),
    "baseline_date_is_given": ("baseline_date", "Every milestone needs a baseline date."),
    "baseline_date_is_readable": ("baseline_date", "The baseline date could not be read as a date. Use a date such as 2025-03-31 or 31/03/2025."),
    "forecast_date_is_readable": ("forecast_date", "The forecast date could not be read as a date. Use a date such as 2025-03-31, or leave it blank."),
    "actual_date_is_readable": ("actual_date", "The actual date could not be read as a date. Use a date such as 2025-03-31, or leave it blank if not achieved yet."),
    "actual_date_not_in_future": ("actual_date", "The actual date is in the future: a milestone cannot be achieved yet. Put future dates in the forecast column."),
    "raised_date_is_given": ("raised_date", "Every issue needs the date it was raised."),
    "raised_date_is_readable": ("raised_date", "The raised date could not be read as a date. Use a date such as 2025-03-31 or 31/03/2025."),
    "resolved_date_is_readable": ("resolved_date", "The resolved date could not be read as a date. Use a date such as 2025-03-31, or leave it blank if open."),
    "raised_date_not_in_future": ("raised_date", "The raised date is in the future. Check the year."),
    "resolved_date_not_in_future": ("resolved_date", "The resolved date is in the future: an issue cannot be resolved yet. Check the year, or leave it blank while the issue is open."),
    "resolved_not_before_raised": ("resolved_date", "The issue is resolved before it was raised. Check both dates."),
    "severity_is_known": ("severity", "The severity is not one we know. Use Low, Medium, High or Critical (or Red/Amber/Green)."),
    "escalated_is_yes_or_no": ("escalated", "Escalated must be Yes or No (or Y/N, True/False, 1/0, or ServiceNow's Normal, Moderate, High, Overdue)."),
    "partner_name_is_short": ("partner", f"The partner name is longer than {MAX_ID_CHARS} characters, so it is not a name (text pasted into the wrong column?). Put the organisation's name here."),
    "item_id_is_short": ("item_id", f"The item id is longer than {MAX_ID_CHARS} characters. Use a short id such as SG1."),
    "milestone_id_is_short": ("milestone_id", f"The milestone id is longer than {MAX_ID_CHARS} characters (text pasted into the wrong column?). Use the schedule's short id."),
    "owners_are_short": ("owners", f"The owner partners are longer than {MAX_OWNERS_CHARS} characters, so they are not partner names. Put the owning partners' names here."),
    "issue_id_is_short": ("issue_id", f"The issue id is longer than {MAX_ID_CHARS} characters (text pasted into the wrong column?). Use the log's short id such as PH-101."),
    "raised_by_is_short": ("raised_by", f"The raised-by partner is longer than {MAX_ID_CHARS} characters, so it is not a partner name. Put the organisation's name here."),
    "owned_by_is_short": ("owned_by", f"The owning partner is longer than {MAX_ID_CHARS} characters, so it is not a partner name. Put the organisation's name here."),
    "date_is_readable": ("date", "The date could not be read as a date. Use a date such as 2025-03-31, or give the wave instead."),
    "invited_is_given": ("invited", "Every row needs the number of staff invited."),
    "invited_is_a_number": ("invited", "The number invited is not a number. Use a whole number such as 40."),
    "invited_is_a_whole_number": ("invited", "The number invited must be a whole number, 0 or more."),
    "one_headcount_per_partner_wave": ("partner", "This partner has two headcounts for the same wave. Keep one."),
    "name_is_short": ("name", f"The partner name is longer than {MAX_ID_CHARS} characters. Use the organisation's name."),
    "not_nullable": (None, "This value is missing, and it is required."),
    "field_uniqueness": (None, "This id appears more than once in the file; ids must be unique."),
    "str_length": (None, "This value is empty, and it is required."),
    "isin": (None, "This value is not one of the allowed values."),
}


@dataclass
class Validation:
    """Outcome of checking one canonical frame: the rows that passed, and every failure."""
    valid: pd.DataFrame
    failures: pd.DataFrame  # position (row of the checked frame), source_row, field, check, value, message
    rows_checked: int

    @property
    def invalid_rows(self) -> int:
        return int(self.failures["source_row"].nunique()) if len(self.failures) else 0

    @property
    def ok(self) -> bool:
        return self.failures.empty


FAILURE_COLUMNS = ["position", "source_row", "field", "check", "value", "message"]


def failure_frame(parts: list[pd.DataFrame], keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Failures as one frame of FAILURE_COLUMNS (and ``keep``): a value is its text, or None for a
    blank cell (never NaN: the reports quote it)."""
    columns = list(dict.fromkeys(FAILURE_COLUMNS + list(keep)))
    parts = [p for p in parts if len(p)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    frame = frame.reindex(columns=columns)  # a part without a kept column: None there
    value = frame["value"].astype(object)
    return frame.assign(value=value.where(value.notna(), None))


# ---------------------------------------------------------------------------- running the rules
_CHECKER: list[duckdb.DuckDBPyConnection] = []  # one in-memory database for every check in the process
_CHECKER_LOCK = threading.Lock()


def checker() -> duckdb.DuckDBPyConnection:
    """A connection of its own (a cursor: what it registers and its TEMP views are its own) to the
    process's in-memory checking database; close it when done. Opening a database costs tens of
    milliseconds, a cursor nothing."""
    with _CHECKER_LOCK:
        if not _CHECKER:
            _CHECKER.append(duckdb.connect())
        return _CHECKER[0].cursor()


_NUMBERS = {"int64": ("i", pyarrow.int64()), "uint64": ("u", pyarrow.uint64()),
            "float64": ("f", pyarrow.float64()), "boolean": ("b", pyarrow.bool_())}


def _declared(dtype) -> tuple[str, pyarrow.DataType]:
    """What a model's column holds ('text', 'date', or a numpy kind of number) and its Arrow type."""
    name = str(dtype)
    if name in ("str", "string") or name.startswith("string["):
        return "text", pyarrow.large_string()
    if name.startswith("datetime64"):
        return "date", pyarrow.timestamp("ns")
    return _NUMBERS[name]


def _holds(series: pd.Series, kind: str) -> bool:
    if kind == "text":
        return str(series.dtype) in ("str", "string") or (series.dtype == object and pd.api.types.infer_dtype(
            series, skipna=True) in ("string", "empty"))
    if kind == "date":
        return pd.api.types.is_datetime64_dtype(series.dtype)
    return series.dtype.kind == kind


def arrow_table(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> pyarrow.Table:
    """The frame's model columns (and ``position``, the row's place in the frame) as Arrow, each of
    the type the model declares: what DuckDB checks. A column that does not hold what its model
    declares is a fault of the code that built the frame, never of a user's file."""
    declared = {name: _declared(column.dtype) for name, column in model.to_schema().columns.items()}
    wrong = [name for name, (kind, _) in declared.items() if name not in frame or not _holds(frame[name], kind)]
    if wrong:
        raise ValueError(f"The data does not fit the {model.__name__} contract: columns {', '.join(wrong)}")
    schema = pyarrow.schema([pyarrow.field(name, arrow) for name, (_, arrow) in declared.items()]
                            + [pyarrow.field("position", pyarrow.int64())])
    frame = frame.reset_index(drop=True).assign(position=np.arange(len(frame)))
    return pyarrow.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _used(params: dict[str, object], sql: str) -> dict[str, object]:
    return {name: value for name, value in params.items() if f"${name}" in sql}


def run_rule(model: type[pa.DataFrameModel], sql: str, frame: pd.DataFrame) -> pd.Series:
    """Whether each row of ``frame`` passes one rule (its SQL), as Pandera asks a dataframe check."""
    con = checker()
    try:
        con.register("checked_rows", arrow_table(model, frame))
        passes = con.execute(f"SELECT coalesce(({sql}), false) AS ok FROM checked_rows ORDER BY position",
                             _used(parameters(), sql)).fetchnumpy()["ok"]
    finally:
        con.close()
    return pd.Series(np.asarray(passes, dtype=bool), index=frame.index)


def validate(dataset: str, frame: pd.DataFrame) -> Validation:
    """Check every row of a canonical frame against the dataset's model, in DuckDB; collect every
    failure, not the first."""
    if frame.empty:
        return Validation(frame, failure_frame([]), 0)
    frame = frame.reset_index(drop=True)
    con = checker()
    try:
        con.register("checked_rows", arrow_table(MODELS[dataset], frame))
        failures = validate_sql(dataset, con, "checked_rows", keep=("position",))
    finally:
        con.close()
    failures = failures.sort_values(["source_row", "field"], kind="stable", ignore_index=True)
    bad = sorted(set(failures["position"]))
    return Validation(frame.drop(index=bad) if bad else frame, failures, len(frame))


def _quoted(name: str, allowed: set[str]) -> str:
    if name not in allowed:  # identifiers come from the model, never from a file
        raise ValueError(f"'{name}' is not a column of the contract")
    return '"' + name.replace('"', '""') + '"'


def sql_rules(dataset: str) -> tuple[list[tuple[str, str | None, str]], dict[str, object]]:
    """Every check of the dataset's model as (check, field, SQL true for a valid row), with the
    named parameters those SQL expressions use: the column checks made from the model's fields,
    then its rules across columns (``RULES``)."""
    schema = MODELS[dataset].to_schema()
    allowed = set(schema.columns)
    params = parameters()
    rules: list[tuple[str, str | None, str]] = []
    for number, (name, column) in enumerate(schema.columns.items()):
        q = _quoted(name, allowed)
        if not column.nullable:
            rules.append(("not_nullable", name, f"{q} IS NOT NULL"))
        if column.unique:
            rules.append(("field_uniqueness", name, f"{q} IS NULL OR count(*) OVER (PARTITION BY {q}) = 1"))
        for check in column.checks:
            stats = check.statistics
            param = f"p{number}_{check.name}"
            if check.name == "str_length":
                low, high = stats.get("min_value"), stats.get("max_value")
                parts = ([f"length({q}) >= {int(low)}"] if low is not None else []) + (
                    [f"length({q}) <= {int(high)}"] if high is not None else [])
                rules.append((check.name, name, f"{q} IS NULL OR ({' AND '.join(parts) or 'true'})"))
            elif check.name == "isin":
                params[param] = list(stats["allowed_values"])
                rules.append((check.name, name, f"{q} IS NULL OR list_contains(${param}, {q})"))
            else:
                raise NotImplementedError(f"{dataset}.{name}: no SQL form for the check '{check.name}'")
    for check in schema.checks:
        if check.name not in RULES:  # a check written in Python would be a second road
            raise NotImplementedError(f"{dataset}: the check '{check.name}' is not a rule written with _rule")
        rules.append((check.name, MESSAGES[check.name][0], RULES[check.name]))
    return rules, params


def validate_sql(dataset: str, con, relation: str, *, rules: list | None = None,
                 keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every failure of the rows of ``relation`` (a table or view on ``con`` holding the model's
    columns that ``rules`` use) against the dataset's model, or against the given subset of
    ``sql_rules(dataset)``, checked by DuckDB in one pass: a frame with FAILURE_COLUMNS (position
    empty; source_row empty if the relation has none) plus the ``keep`` columns of each failing row."""
    all_rules, params = sql_rules(dataset)
    rules = all_rules if rules is None else rules
    if not rules:
        return failure_frame([], keep)
    columns = [r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()]
    flags = ", ".join(f"coalesce(({sql}), false) AS ok_{i}" for i, (_, _, sql) in enumerate(rules))
    everything = " AND ".join(f"ok_{i}" for i in range(len(rules)))
    failing = con.execute(f"SELECT * FROM (SELECT *, {flags} FROM {relation}) WHERE NOT ({everything})",
                          _used(params, flags)).df()
    parts = []
    for i, (check, field, _) in enumerate(rules):
        bad = failing[~failing[f"ok_{i}"].astype(bool)]
        if bad.empty:
            continue
        shown = f"{field}_raw" if f"{field}_raw" in columns else (field if field in columns else None)
        values = bad[shown] if shown else pd.Series([None] * len(bad), index=bad.index)
        part = pd.DataFrame({"position": pd.NA,
                             "source_row": bad["source_row"].astype("int64") if "source_row" in columns else pd.NA,
                             "field": field, "check": check,
                             "value": pd.Series([None if pd.isna(v) else str(v) for v in values],
                                                index=bad.index, dtype=object),
                             "message": MESSAGES[check][1]}, index=bad.index)
        for name in keep:
            part[name] = bad[name].to_numpy()
        parts.append(part)
    return failure_frame(parts, keep)
