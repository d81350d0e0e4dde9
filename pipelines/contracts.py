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

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from . import settings

LEVELS = ("low", "medium", "high", "critical")


def _latest_allowed() -> pd.Timestamp:
    return pd.Timestamp(dt.date.today() + dt.timedelta(days=int(settings.get("future_tolerance_days"))))


def _readable(df: pd.DataFrame, field: str) -> pd.Series:
    """A date or flag given as text must have been understood."""
    return df[field].notna() | df[f"{field}_raw"].isna()


class SurveyAnswers(pa.DataFrameModel):
    """One answer: a respondent's rating of one item in one wave (long form)."""
    source_row: Series[int]
    respondent_key: Series[str] = pa.Field(nullable=False)
    partner: Series[str] = pa.Field(nullable=False, str_length={"min_value": 1})
    wave: Series[str] = pa.Field(nullable=False, str_matches=r"^\d{4}-(Q[1-4]|(0[1-9]|1[0-2]))$")
    wave_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    item_id: Series[str] = pa.Field(nullable=False)
    value: Series[float] = pa.Field(nullable=True)
    value_raw: Series[str] = pa.Field(nullable=True)
    scale_min: Series[int]
    scale_max: Series[int]
    response_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    response_date_raw: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check(name="answer_is_a_number")
    def answer_is_a_number(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].notna() | df["value_raw"].isna()

    @pa.dataframe_check(name="answer_within_scale")
    def answer_within_scale(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].isna() | df["value"].between(df["scale_min"], df["scale_max"])

    @pa.dataframe_check(name="answer_is_a_scale_point")
    def answer_is_a_scale_point(cls, df: pd.DataFrame) -> pd.Series:
        return df["value"].isna() | (df["value"] == df["value"].round())

    @pa.dataframe_check(name="response_date_is_readable")
    def response_date_is_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "response_date")

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

    @pa.dataframe_check(name="factor_is_one_of_the_five")
    def factor_is_one_of_the_five(cls, df: pd.DataFrame) -> pd.Series:
        return df["factor"].isin(settings.FACTORS)

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

    @pa.dataframe_check(name="baseline_date_is_given")
    def baseline_date_is_given(cls, df: pd.DataFrame) -> pd.Series:
        return df["baseline_date"].notna() | df["baseline_date_raw"].notna()

    @pa.dataframe_check(name="baseline_date_is_readable")
    def baseline_date_is_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "baseline_date")

    @pa.dataframe_check(name="forecast_date_is_readable")
    def forecast_date_is_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "forecast_date")

    @pa.dataframe_check(name="actual_date_is_readable")
    def actual_date_is_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "actual_date")

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

    @pa.dataframe_check(name="raised_date_is_given")
    def raised_date_is_given(cls, df: pd.DataFrame) -> pd.Series:
        return df["raised_date"].notna() | df["raised_date_raw"].notna()

    @pa.dataframe_check(name="raised_date_is_readable")
    def raised_date_is_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "raised_date")

    @pa.dataframe_check(name="resolved_date_is_readable")
    def resolved_date_is_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "resolved_date")

    @pa.dataframe_check(name="raised_date_not_in_future")
    def raised_date_not_in_future(cls, df: pd.DataFrame) -> pd.Series:
        return df["raised_date"].isna() | (df["raised_date"] <= _latest_allowed())

    @pa.dataframe_check(name="resolved_not_before_raised")
    def resolved_not_before_raised(cls, df: pd.DataFrame) -> pd.Series:
        both = df["raised_date"].notna() & df["resolved_date"].notna()
        return ~both | (df["resolved_date"] >= df["raised_date"])

    @pa.dataframe_check(name="severity_is_known")
    def severity_is_known(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "severity")

    @pa.dataframe_check(name="escalated_is_yes_or_no")
    def escalated_is_yes_or_no(cls, df: pd.DataFrame) -> pd.Series:
        return _readable(df, "escalated")

    class Config:
        strict = False


class Partners(pa.DataFrameModel):
    """One partner organisation and the other names exports use for it."""
    source_row: Series[int]
    name: Series[str] = pa.Field(nullable=False, unique=True, str_length={"min_value": 1})
    aliases: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = False


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "survey": SurveyAnswers,
    "instrument": InstrumentItems,
    "milestones": Milestones,
    "issues": Issues,
    "partners": Partners,
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


def validate(dataset: str, frame: pd.DataFrame) -> Validation:
    """Check every row against the dataset's model; collect every failure, not the first."""
    model = MODELS[dataset]
    if frame.empty:
        return Validation(frame, pd.DataFrame(columns=FAILURE_COLUMNS), 0)
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return Validation(frame, pd.DataFrame(columns=FAILURE_COLUMNS), len(frame))
    rows = []
    seen: set[tuple] = set()
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            raise ValueError(f"{dataset}: the data does not fit the {model.__name__} contract: {case.check}")
        position = int(case.index)
        field, message = _message(str(case.check))
        field = field or str(case.column)
        key = (position, field, _check_key(str(case.check)))
        if key in seen:
            continue
        seen.add(key)
        raw_column = f"{field}_raw"
        value = frame.at[position, raw_column] if raw_column in frame else (
            frame.at[position, field] if field in frame else case.failure_case)
        rows.append((position, int(frame.at[position, "source_row"]), field,
                     _check_key(str(case.check)), None if pd.isna(value) else str(value), message))
    failures = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    bad = sorted(set(failures["position"]))
    failures = failures.sort_values(["source_row", "field"], kind="stable")
    return Validation(frame.drop(index=bad), failures.reset_index(drop=True), len(frame))
