"""What valid data is: one Pandera ``DataFrameModel`` per dataset.

The models validate the canonical frames that ``ingest`` builds from a user's file,
after text has been parsed into numbers, dates and flags (``values``), so a failure
report holds the user's own text rather than type-conversion noise. A column
``<field>_raw`` beside a parsed field keeps that text. Every check is named for what
it means; ``MESSAGES`` says each in plain words, and ``validate`` returns a
``Validation`` value that the Data page and the command line both render.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.engines.pandas_engine import Engine
from pandera.typing.pandas import Series

from pipelines import settings
from pipelines.programme.factors import FACTORS

LEVELS = ("low", "medium", "high", "critical")
MAX_ID_CHARS = 200  # an id or a partner name longer than this is a pasted paragraph, not a name
MAX_OWNERS_CHARS = 1000  # several partner names of a joint milestone


def _latest_allowed() -> pd.Timestamp:
    return pd.Timestamp(dt.date.today() + dt.timedelta(days=int(settings.get("future_tolerance_days"))))


SQL_TWINS: dict[str, str] = {}  # check name -> the same check in SQL (see the end of this module)


def _is_short(field: str, name: str | None = None, limit: int = MAX_ID_CHARS):
    """Ids and names are short: free text pasted into them would become a partner or a key."""
    name = name or f"{field}_is_short"
    SQL_TWINS[name] = f"{field} IS NULL OR length({field}) <= {int(limit)}"

    @pa.dataframe_check(name=name)
    def check(cls, df: pd.DataFrame) -> pd.Series:
        return df[field].isna() | (df[field].astype(str).str.len() <= limit)
    return check


def _is_readable(field: str, name: str | None = None):
    """A date or flag given as text must have been understood."""
    name = name or f"{field}_is_readable"
    SQL_TWINS[name] = f"{field} IS NOT NULL OR {field}_raw IS NULL"

    @pa.dataframe_check(name=name)
    def check(cls, df: pd.DataFrame) -> pd.Series:
        return df[field].notna() | df[f"{field}_raw"].isna()
    return check


WAVE_LABEL = r"^\d{4}-(Q[1-4]|(0[1-9]|1[0-2]))$"  # 2025-Q3 or 2025-03 (programme.waves writes them)


class SurveyAnswers(pa.DataFrameModel):
    """One answer: a respondent's rating of one item in one wave (long form)."""
    source_row: Series[int]
    respondent_key: Series[pa.typing.UInt64] = pa.Field(nullable=False)  # privacy.pseudonymise
    partner: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    wave: Series[str] = pa.Field(nullable=False, str_matches=WAVE_LABEL)
    wave_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    item_id: Series[str] = pa.Field(nullable=False)
    value: Series[float] = pa.Field(nullable=True)
    value_raw: Series[str] = pa.Field(nullable=True)
    scale_min: Series[int]
    scale_max: Series[int]
    response_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    response_date_raw: Series[str] = pa.Field(nullable=True)

    partner_name_is_short = _is_short("partner", "partner_name_is_short")

    @pa.dataframe_check(name="answer_is_a_number")
    def answer_is_a_number(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].notna() | df["value_raw"].isna()

    @pa.dataframe_check(name="answer_within_scale")
    def answer_within_scale(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].isna() | df["value"].between(df["scale_min"], df["scale_max"])

    @pa.dataframe_check(name="answer_is_a_scale_point")
    def answer_is_a_scale_point(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].isna() | (df["value"] == df["value"].round())

    response_date_is_readable = _is_readable("response_date")

    @pa.dataframe_check(name="response_date_not_in_future")
    def response_date_not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["response_date"].isna() | (df["response_date"] <= _latest_allowed())

    @pa.dataframe_check(name="one_answer_per_respondent_item_wave")
    def one_answer_per_respondent_item_wave(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["respondent_key", "wave", "item_id"], keep=False)

    class Config:
        strict = False


class InstrumentItems(pa.DataFrameModel):
    """One survey question: which factor it measures, on what scale, which way round."""
    source_row: Series[int]
    item_id: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    text: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    factor: Series[str] = pa.Field(nullable=True)
    factor_raw: Series[str] = pa.Field(nullable=True)
    scale_min: Series[float] = pa.Field(nullable=False, ge=0)
    scale_max: Series[float] = pa.Field(nullable=False, le=11)
    reverse_scored: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    reverse_scored_raw: Series[str] = pa.Field(nullable=True)

    item_id_is_short = _is_short("item_id")

    @pa.dataframe_check(name="factor_is_one_of_the_five")
    def factor_is_one_of_the_five(cls, df: pd.DataFrame) -> pd.Series:
        return df["factor"].isin(FACTORS)

    @pa.dataframe_check(name="scale_has_two_points_or_more")
    def scale_has_two_points_or_more(cls, df: pd.DataFrame) -> pd.Series:
        return df["scale_max"].isna() | df["scale_min"].isna() | (df["scale_max"] > df["scale_min"])

    @pa.dataframe_check(name="reverse_scored_is_yes_or_no")
    def reverse_scored_is_yes_or_no(cls, df: pd.DataFrame) -> pd.Series:
        return df["reverse_scored"].notna()

    class Config:
        strict = False


class Milestones(pa.DataFrameModel):
    """One delivery milestone, owned by one partner or jointly by several."""
    source_row: Series[int]
    milestone_id: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    title: Series[str] = pa.Field(nullable=True)
    owners: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    baseline_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    baseline_date_raw: Series[str] = pa.Field(nullable=True)
    forecast_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    forecast_date_raw: Series[str] = pa.Field(nullable=True)
    actual_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    actual_date_raw: Series[str] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(nullable=True)

    milestone_id_is_short = _is_short("milestone_id")

    owners_are_short = _is_short("owners", "owners_are_short", limit=MAX_OWNERS_CHARS)

    @pa.dataframe_check(name="baseline_date_is_given")
    def baseline_date_is_given(cls, df: pd.DataFrame) -> pd.Series:
        return df["baseline_date"].notna() | df["baseline_date_raw"].notna()

    baseline_date_is_readable = _is_readable("baseline_date")

    forecast_date_is_readable = _is_readable("forecast_date")

    actual_date_is_readable = _is_readable("actual_date")

    @pa.dataframe_check(name="actual_date_not_in_future")
    def actual_date_not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["actual_date"].isna() | (df["actual_date"] <= _latest_allowed())

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

    @pa.dataframe_check(name="raised_date_is_given")
    def raised_date_is_given(cls, df: pd.DataFrame) -> pd.Series:
        return df["raised_date"].notna() | df["raised_date_raw"].notna()

    raised_date_is_readable = _is_readable("raised_date")

    resolved_date_is_readable = _is_readable("resolved_date")

    @pa.dataframe_check(name="raised_date_not_in_future")
    def raised_date_not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["raised_date"].isna() | (df["raised_date"] <= _latest_allowed())

    @pa.dataframe_check(name="resolved_not_before_raised")
    def resolved_not_before_raised(cls, df: pd.DataFrame) -> pd.Series:
        both = df["raised_date"].notna() & df["resolved_date"].notna()
        return ~both | (df["resolved_date"] >= df["raised_date"])

    severity_is_known = _is_readable("severity", "severity_is_known")

    escalated_is_yes_or_no = _is_readable("escalated", "escalated_is_yes_or_no")

    class Config:
        strict = False


class Headcounts(pa.DataFrameModel):
    """How many of a partner's staff were invited to one survey wave."""
    source_row: Series[int]
    partner: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    wave: Series[str] = pa.Field(nullable=False, str_matches=WAVE_LABEL)
    wave_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    date: Series[pd.Timestamp] = pa.Field(nullable=True)
    date_raw: Series[str] = pa.Field(nullable=True)
    invited: Series[float] = pa.Field(nullable=True)
    invited_raw: Series[str] = pa.Field(nullable=True)

    partner_name_is_short = _is_short("partner", "partner_name_is_short")

    date_is_readable = _is_readable("date")

    @pa.dataframe_check(name="invited_is_given")
    def invited_is_given(cls, df: pd.DataFrame) -> pd.Series:
        return df["invited_raw"].notna()

    invited_is_a_number = _is_readable("invited", "invited_is_a_number")

    @pa.dataframe_check(name="invited_is_a_whole_number")
    def invited_is_a_whole_number(cls, df: pd.DataFrame) -> pd.Series:
        return df["invited"].isna() | ((df["invited"] >= 0) & (df["invited"] == df["invited"].round()))

    @pa.dataframe_check(name="one_headcount_per_partner_wave")
    def one_headcount_per_partner_wave(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["partner", "wave"], keep=False)

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
    "response_date_is_readable": ("response_date", "The response date could not be read as a date. Use a date such as 2025-03-31 or 31/03/2025."),
    "response_date_not_in_future": ("response_date", "The response date is in the future. Check the year."),
    "one_answer_per_respondent_item_wave": ("respondent_id", "This respondent answers the same question twice in this wave. Remove the duplicate response."),
    "factor_is_one_of_the_five": ("factor", "The factor is not one of: shared goals, joint governance, psychological safety, open communication, mutual accountability."),
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
    "resolved_not_before_raised": ("resolved_date", "The issue is resolved before it was raised. Check both dates."),
    "severity_is_known": ("severity", "The severity is not one we know. Use Low, Medium, High or Critical (or Red/Amber/Green)."),
    "escalated_is_yes_or_no": ("escalated", "Escalated must be Yes or No (or Y/N, True/False, 1/0)."),
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
    "str_matches": (None, "This is not a wave we can read. Use a quarter such as 2025-Q3 or a month such as 2025-03."),
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


def _check_key(check: str) -> str:
    return check.split("(")[0] if "(" in check else check


def _message(check: str) -> tuple[str | None, str]:
    key = _check_key(check)
    for name, entry in MESSAGES.items():
        if key == name or key.startswith(name):
            return entry
    return None, f"Failed the check '{check}'."


# Built-in column checks whose outcome for a cell depends on that cell's value alone: they can be
# evaluated once per distinct value (a wave label, a partner name) instead of once per row.
_PER_VALUE_CHECKS = frozenset({
    "str_length", "str_matches", "str_contains", "str_startswith", "str_endswith", "isin", "notin",
    "greater_than", "greater_than_or_equal_to", "less_than", "less_than_or_equal_to", "in_range",
    "equal_to", "not_equal_to",
})


def _failing(result) -> np.ndarray | None:
    """Rows a check's output fails (a boolean per row), or None when it passes as a whole."""
    output = result.check_output if hasattr(result, "check_output") else result
    if isinstance(output, (bool, np.bool_)):
        return None if output else np.ones(0, dtype=bool)
    return ~np.asarray(pd.Series(output).fillna(False).to_numpy(dtype=bool))


def _screen(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> np.ndarray | None:
    """Positions of every row that can fail the model, found by running the model's own checks
    vectorised (per distinct value where a check depends on the value alone), without Pandera's
    per-row bookkeeping. A superset of the failing rows: all members of a duplicate group are in
    it, so Pandera run on just these rows reports exactly what it would report on the whole frame.
    None when the screen cannot decide (a missing column, an unexpected dtype, a column check it
    does not know): then Pandera checks the whole frame."""
    schema = model.to_schema()
    if schema.index is not None or schema.unique or schema.coerce or schema.strict:
        return None
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    for name, column in schema.columns.items():
        if column.regex or column.coerce or name not in frame.columns:
            return None
        series = frame[name]
        if column.dtype is not None:
            if series.dtype == object and str(column.dtype) in ("str", "string", "string[pyarrow]"):
                if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
                    return None
            else:
                ok = column.dtype.check(Engine.dtype(series.dtype), series)
                if not (ok if isinstance(ok, (bool, np.bool_)) else bool(np.all(np.asarray(ok)))):
                    return None
        missing = series.isna().to_numpy()
        if not column.nullable:
            bad |= missing
        if column.unique:
            bad |= series.duplicated(keep=False).to_numpy() & ~missing
        if not column.checks:
            continue
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        for check in column.checks:
            if check.name in _PER_VALUE_CHECKS and check.ignore_na and not check.n_failure_cases:
                failing = _failing(check(pd.Series(uniques, dtype=series.dtype)))
                if failing is None:
                    continue
                if failing.size == 0:
                    return None
                fails = np.append(failing, False)  # code -1 (missing) passes: ignore_na
                bad |= fails[codes]
            else:
                return None
    for check in schema.checks:
        failing = _failing(check(frame))
        if failing is None:
            continue
        if failing.size != n:
            return None
        bad |= failing
    return np.flatnonzero(bad)


def _python_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text held by Arrow (an issue log's) as the Python strings the models' str columns are."""
    held = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    if not held:
        return frame
    return frame.assign(**{name: frame[name].astype(object).where(frame[name].notna(), None)
                            for name in held})


def validate(dataset: str, frame: pd.DataFrame) -> Validation:
    """Check every row against the dataset's model; collect every failure, not the first.

    The model is the contract and Pandera reports the failures; to stay fast on large files the
    model's checks are first run vectorised over the whole frame (``_screen``) and Pandera then
    validates only the rows that screen flags (none, for a clean file)."""
    model = MODELS[dataset]
    frame = _python_text(frame)
    if frame.empty:
        return Validation(frame, pd.DataFrame(columns=FAILURE_COLUMNS), 0)
    try:
        suspects = _screen(model, frame)
    except Exception:  # a check that cannot run on this frame: Pandera reports it
        suspects = None
    if suspects is not None and suspects.size == 0:
        return Validation(frame, pd.DataFrame(columns=FAILURE_COLUMNS), len(frame))
    checked = frame if suspects is None or suspects.size == len(frame) else frame.iloc[suspects]
    try:
        model.validate(checked, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return Validation(frame, pd.DataFrame(columns=FAILURE_COLUMNS), len(frame))
    cases = cases.reset_index(drop=True)
    unplaced = cases["index"].isna().to_numpy()
    if unplaced.any():
        check = cases["check"].iloc[int(np.argmax(unplaced))]
        raise ValueError(f"{dataset}: the data does not fit the {model.__name__} contract: {check}")
    # A dataframe check fails once per column of a failing row: keep the first case of each
    # (row, field, check), as they come, before the per-case work below.
    named = {check: _message(check) for check in cases["check"].astype(str).unique()}
    checks = cases["check"].astype(str)
    fields = [named[c][0] or str(col) for c, col in zip(checks, cases["column"])]
    cases = cases.assign(_field=fields, _key=checks.map(_check_key),
                         _position=cases["index"].astype("int64"))
    cases = cases[~cases.duplicated(["_position", "_field", "_key"], keep="first")]
    rows = []
    for case, field, position in zip(cases.itertuples(index=False), cases["_field"], cases["_position"]):
        position = int(position)
        message = named[str(case.check)][1]
        raw_column = f"{field}_raw"
        value = frame.at[position, raw_column] if raw_column in frame else (
            frame.at[position, field] if field in frame else case.failure_case)
        rows.append((position, int(frame.at[position, "source_row"]), field,
                     _check_key(str(case.check)), None if pd.isna(value) else str(value), message))
    failures = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    bad = sorted(set(failures["position"]))
    failures = failures.sort_values(["source_row", "field"], kind="stable")
    return Validation(frame.drop(index=bad), failures.reset_index(drop=True), len(frame))


# ---------------------------------------------------------------------------- the same contract in SQL
# Large survey files are checked where their answers live (DuckDB) instead of in a frame. The models
# stay the contract: the column rules below are generated from each model's schema, and every
# dataframe check has an SQL twin over the same column names (made with the check by _is_short and
# _is_readable, or written here). tests/test_contracts_sql.py runs both
# engines on the same frames and asserts the same failures, and that no check lacks a twin.
SQL_TWINS.update({
    "answer_is_a_number": "value IS NOT NULL OR value_raw IS NULL",
    "answer_within_scale": "value IS NULL OR value BETWEEN scale_min AND scale_max",
    "answer_is_a_scale_point": "value IS NULL OR value = round(value)",
    "response_date_not_in_future": "response_date IS NULL OR response_date <= $latest_allowed",
    "one_answer_per_respondent_item_wave": "count(*) OVER (PARTITION BY respondent_key, wave, item_id) = 1",
    "raised_date_is_given": "raised_date IS NOT NULL OR raised_date_raw IS NOT NULL",
    "raised_date_not_in_future": "raised_date IS NULL OR raised_date <= $latest_allowed",
    "resolved_not_before_raised": "raised_date IS NULL OR resolved_date IS NULL OR resolved_date >= raised_date",
    "invited_is_given": "invited_raw IS NOT NULL",
    "invited_is_a_whole_number": "invited IS NULL OR (invited >= 0 AND invited = round(invited))",
    "one_headcount_per_partner_wave": "count(*) OVER (PARTITION BY partner, wave) = 1",
})
SQL_DATASETS = ("survey", "issues")  # the datasets whose large files are checked in DuckDB
SQL_ROWS = 5000  # an issue log this long is checked in DuckDB (a survey's answers always are)


def _quoted(name: str, allowed: set[str]) -> str:
    if name not in allowed:  # identifiers come from the model, never from a file
        raise ValueError(f"'{name}' is not a column of the contract")
    return '"' + name.replace('"', '""') + '"'


def sql_rules(dataset: str) -> tuple[list[tuple[str, str | None, str]], dict[str, object]]:
    """Every check of the dataset's model as (check, field, SQL true for a valid row), with the
    named parameters those SQL expressions use."""
    schema = MODELS[dataset].to_schema()
    allowed = set(schema.columns)
    params: dict[str, object] = {"latest_allowed": _latest_allowed().to_pydatetime()}
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
            elif check.name == "str_matches":  # Pandera matches at the start, like re.match
                params[param] = "^(?:" + stats["pattern"] + ")"
                rules.append((check.name, name, f"{q} IS NULL OR regexp_matches({q}, ${param})"))
            elif check.name == "isin":
                params[param] = list(stats["allowed_values"])
                rules.append((check.name, name, f"{q} IS NULL OR list_contains(${param}, {q})"))
            else:
                raise NotImplementedError(f"{dataset}.{name}: no SQL form for the check '{check.name}'")
    for check in schema.checks:
        if check.name not in SQL_TWINS:
            raise NotImplementedError(f"{dataset}: the check '{check.name}' has no SQL twin in SQL_TWINS")
        rules.append((check.name, MESSAGES[check.name][0], SQL_TWINS[check.name]))
    return rules, params


def validate_in_duckdb(dataset: str, frame: pd.DataFrame) -> Validation:
    """``validate`` executed by DuckDB over the frame (as Arrow): the same model and failures,
    without a Python call per cell, for the large files of SQL_DATASETS."""
    if frame.empty:
        return Validation(frame, pd.DataFrame(columns=FAILURE_COLUMNS), 0)
    frame = frame.reset_index(drop=True)
    con = duckdb.connect()
    try:
        con.register("checked_rows", pyarrow.Table.from_pandas(
            frame.assign(position=np.arange(len(frame))), preserve_index=False))
        failures = validate_sql(dataset, con, "checked_rows", keep=("position",))
    finally:
        con.close()
    failures = failures.sort_values(["source_row", "field"], kind="stable", ignore_index=True)
    bad = sorted(set(failures["position"]))
    return Validation(frame.drop(index=bad) if bad else frame, failures, len(frame))


def validate_sql(dataset: str, con, relation: str, *, rules: list | None = None,
                 keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every failure of the rows of ``relation`` (a table or view on ``con`` holding the model's
    columns that ``rules`` use) against the dataset's model, or against the given subset of
    ``sql_rules(dataset)``, checked by DuckDB in one pass: a frame with FAILURE_COLUMNS (position
    empty; source_row empty if the relation has none) plus the ``keep`` columns of each failing row."""
    all_rules, params = sql_rules(dataset)
    rules = all_rules if rules is None else rules
    if not rules:
        return pd.DataFrame(columns=list(dict.fromkeys(FAILURE_COLUMNS + list(keep))))
    columns = [r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()]
    flags = ", ".join(f"coalesce(({sql}), false) AS ok_{i}" for i, (_, _, sql) in enumerate(rules))
    everything = " AND ".join(f"ok_{i}" for i in range(len(rules)))
    used = {name: value for name, value in params.items() if f"${name}" in flags}
    failing = con.execute(f"SELECT * FROM (SELECT *, {flags} FROM {relation}) WHERE NOT ({everything})",
                          used).df()
    rows = []
    for i, (check, field, _) in enumerate(rules):
        bad = failing[~failing[f"ok_{i}"].astype(bool)]
        if bad.empty:
            continue
        shown = f"{field}_raw" if f"{field}_raw" in columns else (field if field in columns else None)
        values = bad[shown] if shown else pd.Series([None] * len(bad), index=bad.index)
        part = pd.DataFrame({"position": pd.NA,
                             "source_row": bad["source_row"].astype("int64") if "source_row" in columns else pd.NA,
                             "field": field, "check": check,
                             "value": [None if pd.isna(v) else str(v) for v in values],
                             "message": _message(check)[1]}, index=bad.index)
        for name in keep:
            part[name] = bad[name].to_numpy()
        rows.append(part)
    if not rows:
        return pd.DataFrame(columns=list(dict.fromkeys(FAILURE_COLUMNS + list(keep))))
    return pd.concat(rows, ignore_index=True)
