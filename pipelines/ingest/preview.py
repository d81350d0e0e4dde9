"""Read -> map -> reshape -> validate: a file becomes a ``Preview`` without writing anything.

``prepare`` returns the mapping, the questions only a person can answer, and every failure;
``pipelines.ingest.loader.commit`` loads a preview as one batch. The Data page and the command line
both call these, so a file behaves the same wherever it is loaded.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable

import numpy as np
import pandas as pd

from pipelines import settings
from pipelines.ingest import (
    contracts,
    mapping,
    partners,
    privacy,
    readers,
    schedules,
    survey_answers,
    survey_extras,
    values,
)
from pipelines.ingest.fields import DATASETS, instrument_questions, required_fields
from pipelines.ingest.partners import PartnerName
from pipelines.programme import waves
from pipelines.programme.factors import key_or_none as factor_key_or_none
from pipelines.store import versions
from pipelines.store.database import Store

REMEMBERED = "remembered from an earlier upload"
DATE_ORDER_MEMORY = "_date_order"  # beside the fields in a remembered mapping: the day/month order chosen


class NotReady(ValueError):
    """The preview still has questions only a person can answer."""


@dataclass
class Options:
    sheet: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)  # field -> column chosen by a person
    wave: str | None = None  # one wave for the whole survey file
    partner: str | None = None  # one partner for the whole survey file
    date_order: str | None = None  # 'dayfirst' | 'monthfirst' when a file cannot tell
    partner_links: dict[str, str] = field(default_factory=dict)  # name in file -> existing partner
    new_partners: set[str] | None = None  # confirmed new names; None accepts names with no near twin
    delimiter: str | None = None  # one of readers.DELIMITERS, for the rare file detection gets wrong
    include_partial: bool = False  # survey: load responses closed before the end too
    accept_new_partners: bool = False  # every new name of this file is a new partner (not a near twin)
    schedule: str | None = None  # milestones: this file is the schedule so named (its ids kept apart)
    replaces_schedule: bool = False  # milestones: a new version of the schedule whose ids it shares


class Skipped(StrEnum):
    """A kind of row left out on purpose (never invalid)."""
    PARTIAL_RESPONSE = "partial response"
    TRIAL_RESPONSE = "preview or test response"
    NOT_A_MILESTONE = "not a milestone"


SKIPPED_WORDS = {  # the words for a count of each kind: (one, several)
    Skipped.PARTIAL_RESPONSE: ("partial response", "partial responses"),
    Skipped.TRIAL_RESPONSE: ("preview or test response", "preview or test responses"),
    Skipped.NOT_A_MILESTONE: ("task that is not a milestone", "tasks that are not milestones"),
}


@dataclass
class Preview:
    dataset: str
    source_name: str
    sha256: str
    raw: readers.RawTable | None = None
    mapping: dict[str, mapping.Suggestion] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    validation: contracts.Validation | None = None
    partners: list[PartnerName] = field(default_factory=list)
    item_columns: dict[str, str] = field(default_factory=dict)
    unmatched_columns: list[str] = field(default_factory=list)
    personal_columns: list[str] = field(default_factory=list)
    already_loaded: int | None = None
    notes: list[str] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    ambiguous_date_columns: list[str] = field(default_factory=list)  # need options.date_order
    schedule_clash: schedules.Clash | None = None  # needs options.schedule or options.replaces_schedule
    remembered_date_order: str | None = None  # chosen at an earlier upload of this layout
    remembered_date_columns: list[str] = field(default_factory=list)  # read in that order (may be changed)
    staged: survey_answers.StagedAnswers | None = None  # a survey's answers, reshaped by DuckDB
    extras: survey_extras.StagedExtras | None = None  # a survey's partner ratings and comments
    skipped: dict[Skipped, int] = field(default_factory=dict)  # rows left out on purpose, by what they are
    unconfirmed_partners: list[str] = field(default_factory=list)  # too many new names: each is asked

    @property
    def columns(self) -> list[str]:
        """The file's columns a field can be mapped to (personal-data columns are gone)."""
        return [] if self.raw is None else mapped_frame_columns(self)

    @property
    def remembered(self) -> bool:
        """The mapping came from an earlier confirmed upload of a file with the same headers."""
        return any(s.reason == REMEMBERED for s in self.mapping.values())

    @property
    def rows_read(self) -> int:
        return 0 if self.raw is None else len(self.raw.frame)

    @property
    def rows_skipped(self) -> int:
        """Rows left out on purpose (a plan's ordinary tasks, partial responses): never invalid."""
        return sum(self.skipped.values())

    def skipped_in_words(self) -> list[str]:
        """Each kind of row left out on purpose, counted in words: "1 partial response"."""
        return [f"{n} {SKIPPED_WORDS[what][n != 1]}" for what, n in self.skipped.items()]

    @property
    def mapping_confident(self) -> bool:
        return not self.unsure_fields()

    def unsure_fields(self) -> list[str]:
        """Required fields without a column of confidence >= HIGH (a partner set for the whole file
        needs no column)."""
        given = {"partner"} if self.dataset == "survey" and self.options.partner else set()
        return [s.field for s in self.mapping.values() if s.field in required_fields(self.dataset)
                and s.field not in given and (s.column is None or s.confidence < mapping.HIGH)]

    @property
    def can_commit(self) -> bool:
        return not self.questions and self.already_loaded is None and self.validation is not None

    def mapping_used(self) -> dict[str, str]:
        return {name: s.column for name, s in self.mapping.items() if s.column}


def prepare(store: Store, dataset: str, source_name: str, data: bytes,
            options: Options | None = None) -> Preview:
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset '{dataset}'. Choose one of: {', '.join(DATASETS)}.")
    options = options or Options()
    limit = int(settings.get("upload_limit_mb")) * 1024 * 1024
    if len(data) > limit:  # refused before hashing or parsing (the reader says so in the same words)
        readers.read_file(source_name, data, max_bytes=limit)
    preview = Preview(dataset, source_name, hashlib.sha256(data).hexdigest(), options=options)
    cursor = store.cursor()
    loaded = versions.loaded_as(cursor, dataset, preview.sha256)
    if loaded is not None:
        preview.already_loaded = loaded
        preview.notes.append(f"This file was already loaded as batch {loaded}; loading it again changes nothing.")
        return preview

    preview.raw = readers.read_file(source_name, data, sheet=options.sheet, max_bytes=limit,
                                    delimiter=options.delimiter)
    frame = preview.raw.frame
    preview.notes.extend(preview.raw.notes)
    if dataset == "survey":
        preview.personal_columns = mapping.personal_data_columns(frame, preview.raw.question_text)
        if preview.personal_columns:
            frame = frame.drop(columns=preview.personal_columns)
            preview.notes.append("Personal data columns are dropped and never stored: "
                                 + ", ".join(preview.personal_columns) + ".")
    preview.mapping = _mapping(cursor, dataset, frame, preview, options)
    chosen = preview.mapping_used()
    missing = [f for f in required_fields(dataset) if f not in chosen]
    if dataset == "survey":
        missing = [f for f in missing if not (f == "partner" and options.partner)]
    if dataset in _WAVE_SOURCES and not (set(_WAVE_SOURCES[dataset]) & set(chosen)) and not options.wave:
        preview.questions.append(
            "Which wave is this? The file has no wave or date column: set one wave for the whole file.")
    if dataset == "instrument" and {"scale_min", "scale_max"} & set(missing):
        if _scale_source(frame, chosen, preview) is not None:
            missing = [f for f in missing if f not in ("scale_min", "scale_max")]
    for name in missing:
        label = next(f.label for f in DATASETS[dataset] if f.name == name)
        preview.questions.append(f"Which column holds '{label}'? None of the file's columns matched it.")
    if missing:
        likely = _likely_dataset(cursor, dataset, frame, preview)
        if likely:
            preview.questions.insert(0, likely)
        return preview

    canonical = _RESHAPERS[dataset](store, cursor, frame, preview, options)
    if canonical is None:
        return preview
    canonical = partners.resolve(cursor, dataset, canonical, preview, options)
    canonical = canonical.reset_index(drop=True)
    if preview.staged is not None:  # a survey's answers are checked where they live
        preview.validation = survey_answers.validate(preview.staged, canonical)
    else:
        preview.validation = contracts.validate(dataset, canonical)
    failures = preview.validation.failures
    failures["column"] = _source_columns(preview)
    # one line per cell and check: a respondent's unreadable date is one failure, not one per answer
    failures = failures.drop_duplicates(["source_row", "column", "check"])
    failures = _without_knock_on(failures, derived_wave=dataset == "survey" and not (
        options.wave or preview.mapping_used().get("wave")))
    failures = _without_pending_dates(preview, failures)
    preview.validation.failures = failures.sort_values(["source_row", "column"], kind="stable",
                                                       ignore_index=True)[contracts.FAILURE_COLUMNS + ["column"]]
    if preview.extras is not None:  # the partner ratings, checked as the survey's answers are
        preview.validation = survey_extras.check(preview.extras, canonical, preview.validation)
    return preview


def _without_knock_on(failures: pd.DataFrame, derived_wave: bool) -> pd.DataFrame:
    """Leave out failures that only repeat another one of the same row: a wave start is missing
    because the wave is, and a wave worked out from the date is missing because the date is."""
    failed = failures.groupby("source_row")["field"].agg(set)
    causes = {"wave_start": "wave", "wave": "response_date"} if derived_wave else {"wave_start": "wave"}
    knock_on = [field in causes and causes[field] in failed.get(row, ())
                for row, field in zip(failures["source_row"], failures["field"])]
    return failures[~np.array(knock_on, dtype=bool)] if any(knock_on) else failures


def _without_pending_dates(preview: Preview, failures: pd.DataFrame) -> pd.DataFrame:
    """Leave out dates that are unreadable only until the date order is chosen: the question says so."""
    if not preview.ambiguous_date_columns or failures.empty:
        return failures
    pending = (failures["column"].isin(preview.ambiguous_date_columns)
               & failures["check"].str.endswith("_is_readable")).to_numpy(copy=True)
    text = failures["value"][pending]
    either = [values.parse_dates(text, order=order).dates.notna().to_numpy() for order in values.DATE_ORDERS]
    pending[pending] = either[0] | either[1]
    return failures[~pending]


def _likely_dataset(cursor, chosen: str, frame: pd.DataFrame, preview: Preview) -> str | None:
    """When a file lacks the chosen dataset's columns, name the dataset it does look like: its required
    columns are all there (and, for a survey, answers to the instrument: a partner column alone is no
    survey)."""
    for other in DATASETS:
        if other in (chosen, "partners") or (other == "survey" and not _answers_items(cursor, frame, preview)):
            continue
        suggestions = mapping.suggest_mapping(other, frame, preview.raw.question_text)
        if mapping.confident(suggestions, other):
            columns = [s.column for s in suggestions.values() if s.column][:4]
            return (f"This file looks like {_DATASET_WORDS.get(other, other)} (its columns "
                    + ", ".join(f"'{c}'" for c in columns)
                    + f"), not {_DATASET_WORDS.get(chosen, chosen)}, so nothing was loaded. Check the file, or "
                    f"choose the dataset '{other}' instead.")
    return None


def _answers_items(cursor, frame: pd.DataFrame, preview: Preview) -> bool:
    """Whether a column of the file answers a question of the current instrument."""
    items = instrument_questions(cursor)
    return not items.empty and bool(mapping.match_items(list(frame.columns), preview.raw.question_text,
                                                        items).columns)


_DATASET_WORDS = {"survey": "a survey export", "instrument": "a survey instrument",
                  "milestones": "a milestone plan", "issues": "an issue log", "partners": "a partner list",
                  "headcount": "a headcount list"}
_WAVE_SOURCES = {"survey": ("wave", "response_date"), "headcount": ("wave", "date")}  # wave, else a date


def _source_columns(preview: Preview) -> pd.Series:
    """Name each failure by the column of the user's file, not by our field name."""
    failures = preview.validation.failures
    by_field = preview.mapping_used()
    if preview.staged is not None:
        item_column = preview.staged.column_of_item()
        columns = [item_column.get(item) if field == "value" else by_field.get(field, field)
                   for field, item in zip(failures["field"], failures["item_id"])]
    else:
        columns = [by_field.get(field, field) for field in failures["field"]]
    return pd.Series(columns, index=failures.index, dtype=object)


def _mapping(cursor, dataset: str, frame: pd.DataFrame, preview: Preview,
             options: Options) -> dict[str, mapping.Suggestion]:
    known = partners.known_partners(cursor)[0] if dataset in partners.PARTNER_COLUMNS else None
    suggestions = mapping.suggest_mapping(dataset, frame, preview.raw.question_text, known)
    fingerprint = mapping.fingerprint(list(frame.columns))
    row = cursor.execute("SELECT mapping FROM mapping_memory WHERE fingerprint = ? AND dataset = ?",
                         [fingerprint, dataset]).fetchone()
    remembered = json.loads(row[0]) if row else {}
    preview.remembered_date_order = remembered.pop(DATE_ORDER_MEMORY, None)
    for name, column in remembered.items():
        if name in suggestions and (column is None or column in frame.columns):
            suggestions[name] = mapping.Suggestion(name, column, 1.0, REMEMBERED)
    for name, column in options.mapping.items():
        if name not in suggestions:
            raise ValueError(f"'{name}' is not a field of {dataset}. Fields: {', '.join(suggestions)}.")
        if column is not None and column not in frame.columns:
            raise ValueError(f"The mapping names column '{column}' for {name}, but the file has no such column.")
        suggestions[name] = mapping.Suggestion(name, column, 1.0, "chosen")
    return suggestions


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    series = frame[column]
    if str(series.dtype) == "str":  # Arrow-backed (a large file): trim there, then one conversion
        trimmed = _arrow_text(frame, column)
        return trimmed.astype(object).where(trimmed.notna(), None)
    series = series.astype(object)
    stripped = series.where(series.isna(), series.astype(str).str.strip())
    return stripped.where(stripped.notna() & (stripped != ""), None)


def _value_text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """Text of a parsed field (date, flag, level): 'NA', 'N/A', '-' and 'None' mean no value."""
    return _without_empty_tokens(_text(frame, column))


def _without_empty_tokens(text: pd.Series) -> pd.Series:
    codes, distinct = pd.factorize(text)  # a long column repeats few texts: look at each once
    empty = pd.Series(distinct, dtype=object).str.casefold().isin(values.EMPTY_TOKENS).to_numpy(dtype=bool)
    return text.where(~np.append(empty, False)[codes], None) if empty.any() else text


def _source_rows(preview: Preview) -> pd.Series:
    return pd.Series(preview.raw.source_rows, dtype="int64")


def _dates(preview: Preview, options: Options, column: str | None, text: pd.Series) -> pd.Series:
    """A date column read; the day/month order is asked only where the file cannot settle it."""
    if column is None:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    parsed = values.parse_dates(text, order=options.date_order, serials=True)
    if parsed.order == "ambiguous" or parsed.stray.any():
        settled = _file_date_order(preview, column)
        remembered = preview.remembered_date_order if options.date_order is None else None
        if settled is not None:
            parsed = values.parse_dates(text, order=settled[0], serials=True)
            _note_once(preview, f"Dates in '{column}' read {settled[0].replace('first', '-first')}, as the "
                                f"file's column '{settled[1]}' settles it (a date such as {settled[2]}).")
        elif parsed.order == "ambiguous" and remembered in values.DATE_ORDERS:
            # only where the file cannot settle it: a file whose own dates say otherwise is read so
            example = text[parsed.ambiguous].iloc[0]
            parsed = values.parse_dates(text, order=remembered, serials=True)
            preview.remembered_date_columns.append(column)
            _note_once(preview, f"Dates in '{column}' such as {example} are read {remembered.replace('first', '-first')}, "
                                "as chosen at an earlier upload of a file laid out like this one (choose the order "
                                "to read them otherwise).")
    unsettled = text[parsed.ambiguous].iloc[0] if parsed.ambiguous.any() else None
    if parsed.order == "ambiguous":
        preview.ambiguous_date_columns.append(column)
        preview.questions.append(
            f"Column '{column}' has dates such as {unsettled} that could be day-first or "
            "month-first, and no value decides it. Choose the date order.")
    elif unsettled is not None:
        usual = text[parsed.dates.notna()].iloc[0]
        count = int(parsed.stray.sum())
        _note_once(preview, f"Column '{column}' writes its dates like {usual}; {count} written like {unsettled} "
                            f"could be day-first or month-first, so {'it is' if count == 1 else 'they are'} "
                            f"listed with the rows that cannot be loaded. Write {'it' if count == 1 else 'them'} "
                            f"like {usual}.")
    if parsed.serial.any():
        first = parsed.serial.to_numpy().argmax()
        _note_once(preview, f"Column '{column}' has dates written as Excel day numbers, read as dates "
                            f"({text.iloc[first]} is {parsed.dates.iloc[first]:%Y-%m-%d}). Check a few against "
                            "the tool that wrote them.")
    return parsed.dates.astype("datetime64[ns]")


def _file_date_order(preview: Preview, column: str) -> tuple[str, str, str] | None:
    """(order, column, example) when another date column of the whole file settles the day/month order:
    one tool writes all its dates alike."""
    frame = preview.raw.frame
    date_fields = {f.name for f in DATASETS[preview.dataset] if f.kind == "date"}
    for other in (c for name, c in preview.mapping_used().items() if name in date_fields and c != column):
        text = _value_text(frame, other)
        parsed = values.parse_dates(text)
        if parsed.order in ("dayfirst", "monthfirst"):
            day, month = (text.str.extract(r"(\d{1,2})\D(\d{1,2})\D").astype(float).T.to_numpy()
                          if text.notna().any() else (np.array([]), np.array([])))
            decisive = text[(day > 12) if parsed.order == "dayfirst" else (month > 12)]
            return parsed.order, other, str(decisive.iloc[0] if len(decisive) else text.dropna().iloc[0])
    return None


def _reshape_instrument(store, cursor, frame, preview, options) -> pd.DataFrame:
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": _source_rows(preview)})
    for name in ("item_id", "text"):
        out[name] = _text(frame, cols.get(name))
    out["factor_raw"] = _text(frame, cols.get("factor"))
    out["factor"] = out["factor_raw"].map(factor_key_or_none).astype(object)
    for name in ("scale_min", "scale_max"):
        out[name], _failed = values.parse_numbers(_text(frame, cols.get(name)))
    if not ({"scale_min", "scale_max"} <= set(cols)):
        low, high = _scale_source(frame, cols, preview)
        for name, ends in (("scale_min", low), ("scale_max", high)):
            if name not in cols:
                out[name] = ends.to_numpy()
    out["reverse_scored_raw"] = _value_text(frame, cols.get("reverse_scored"))
    out["reverse_scored"], _unknown = values.parse_bool(out["reverse_scored_raw"])
    return out


_SCALE_WORDS = ("scale", "points", "range", "rating", "answer")


def _scale_source(frame: pd.DataFrame, cols: dict[str, str], preview: Preview) -> tuple | None:
    """Each row's scale ends read from text (``1-5``, ``1 to 5``, ``5-point``): from a column of such
    text not mapped to a field, else from a header that states one scale for every row. None when the
    file states no scale; the note says where the scale came from."""
    free = [c for c in frame.columns if c not in cols.values()]
    free.sort(key=lambda c: not any(w in mapping.normalise_header(c).split() for w in _SCALE_WORDS))
    for column in free:
        text = _value_text(frame, column)
        low, high, failed = values.parse_scale(text)
        if text.notna().any() and low.notna().sum() >= 0.8 * text.notna().sum():
            _note_once(preview, f"Read each question's scale from column '{column}' ('1-5' is 1 to 5); map "
                                "'Scale minimum' and 'Scale maximum' to columns to use those instead.")
            return low, high
    for column in frame.columns:
        low, high, failed = values.parse_scale(pd.Series([column]))
        if low.notna().all():
            _note_once(preview, f"Every question is on the scale {low[0]:g} to {high[0]:g}, as the header "
                                f"'{column}' says; map 'Scale minimum' and 'Scale maximum' to change it.")
            return (pd.Series(low[0], index=frame.index), pd.Series(high[0], index=frame.index))
    return None


def _note_once(preview: Preview, note: str) -> None:
    if note not in preview.notes:
        preview.notes.append(note)


def _kept(preview: Preview, frame: pd.DataFrame, keep: np.ndarray, skipped: dict[Skipped, int]
          ) -> tuple[pd.DataFrame, pd.Series]:
    """The rows of ``frame`` to reshape, with their source rows; the others counted as skipped."""
    preview.skipped.update({what: n for what, n in skipped.items() if n})
    rows = _source_rows(preview)
    if keep.all():
        return frame, rows
    return frame[keep].reset_index(drop=True), rows[keep].reset_index(drop=True)


def _reshape_milestones(store, cursor, frame, preview, options) -> pd.DataFrame:
    plan = schedules.milestone_rows(frame, preview.raw.outline_levels)
    if plan.note:
        preview.notes.append(plan.note)
    frame, rows = _kept(preview, frame, plan.keep, {Skipped.NOT_A_MILESTONE: int((~plan.keep).sum())})
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": rows})
    out["milestone_id"] = _text(frame, cols.get("milestone_id"))
    if options.schedule and options.schedule.strip():
        out["milestone_id"] = schedules.kept_apart(options.schedule, out["milestone_id"])
    out["title"] = _text(frame, cols.get("title"))
    if not options.replaces_schedule:
        preview.schedule_clash = schedules.clash(cursor, out[["milestone_id", "title"]])
        if preview.schedule_clash is not None:
            preview.questions.append(preview.schedule_clash.question)
    out["owners"] = _text(frame, cols.get("owners"))
    out["status"] = _text(frame, cols.get("status"))
    for name in ("baseline_date", "forecast_date", "actual_date"):
        out[f"{name}_raw"] = _value_text(frame, cols.get(name))
        out[name] = _dates(preview, options, cols.get(name), out[f"{name}_raw"])
    return out


def _reshape_issues(store, cursor, frame, preview, options) -> pd.DataFrame:
    """The log's text stays in Arrow (pandas 'str' columns), so a large log reaches DuckDB's checks
    and the issues table without a Python object per cell (contracts.validate hands Pandera
    Python strings)."""
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": _source_rows(preview)})
    for name in ("issue_id", "title", "kind", "raised_by", "owned_by", "status"):
        out[name] = _arrow_text(frame, cols.get(name))
    for name in ("raised_date", "resolved_date"):
        out[f"{name}_raw"] = _without_empty_tokens(_arrow_text(frame, cols.get(name)))
        out[name] = _dates(preview, options, cols.get(name), out[f"{name}_raw"])
    out["severity_raw"] = _without_empty_tokens(_arrow_text(frame, cols.get("severity")))
    out["severity"] = _each_distinct(out["severity_raw"], values.parse_severity).astype(_ARROW_TEXT)
    out["escalated_raw"] = _without_empty_tokens(_arrow_text(frame, cols.get("escalated")))
    out["escalated"] = _each_distinct(out["escalated_raw"], values.parse_escalated)
    return out


_ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # what readers gives a large file's cells


def _arrow_text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """_text held by Arrow: trimmed, blank cells missing."""
    if column is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=_ARROW_TEXT)
    series = frame[column]
    if str(series.dtype) != "str":  # the general reader's Python strings
        return _text(frame, column).astype(_ARROW_TEXT)
    stripped = series.str.strip()
    blank = stripped == ""
    return stripped.mask(blank) if blank.any() else stripped  # a copy of every cell only when needed


def _each_distinct(text: pd.Series, parse: Callable) -> pd.Series:
    """The values ``parse`` gives a column of cells it reads one by one (a severity, a flag),
    parsed once per distinct text."""
    codes, distinct = pd.factorize(text)
    parsed, _unknown = parse(pd.Series(list(distinct) + [None], dtype=object))
    rows = np.where(codes < 0, len(distinct), codes)  # a missing cell reads as the None above
    return pd.Series(parsed.array.take(rows), index=text.index, name=text.name)


def _reshape_partners(store, cursor, frame, preview, options) -> pd.DataFrame:
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": _source_rows(preview)})
    out["name"] = _text(frame, cols.get("name")).map(partners.tidy_name)
    out["aliases"] = _text(frame, cols.get("aliases"))
    return out


def _reshape_survey(store, cursor, frame, preview, options) -> pd.DataFrame | None:
    cols = preview.mapping_used()
    items = instrument_questions(cursor)
    if items.empty:
        preview.questions.append("There is no survey instrument yet: load one (or the default) first.")
        return None
    matched = mapping.match_items(list(frame.columns), preview.raw.question_text, items,
                                  ignore=set(cols.values()))
    preview.item_columns = dict(matched.columns)
    organisations = (_text(frame, cols.get("partner")) if not options.partner
                     else pd.Series([options.partner], dtype=object))
    extra = survey_extras.find(cursor, frame, preview.raw.question_text, matched.unmatched, organisations,
                               items[items["item_id"].isin(list(matched.columns.values()))])
    preview.notes.extend(survey_extras.notes(extra))
    preview.unmatched_columns = [c for c in matched.unmatched if c not in extra]
    if preview.unmatched_columns:
        preview.notes.append("Columns that match no question of the instrument are not loaded: "
                             + ", ".join(preview.unmatched_columns) + ".")
    if not matched.columns:
        preview.questions.append(
            "No column matches a question of the instrument. Check that the right instrument is loaded, "
            "or that this is a survey export.")
        likely = _likely_dataset(cursor, "survey", frame, preview)
        if likely:
            preview.questions.insert(0, likely)
        return None

    frame, source_rows = _kept(preview, frame, *_answered(frame, preview, options))
    rows = pd.DataFrame({"source_row": source_rows})
    rows["partner"] = _text(frame, cols.get("partner")) if not options.partner else options.partner
    rows["response_date_raw"] = _value_text(frame, cols.get("response_date"))
    rows["response_date"] = _dates(preview, options, cols.get("response_date"), rows["response_date_raw"])
    rows["wave"] = _waves(frame, cols, options, rows["response_date"])
    answers = frame[list(matched.columns)]
    rows["respondent_key"] = _respondent_keys(frame, cols.get("respondent_id"), answers, rows)
    rows["wave_start"] = waves.wave_starts(rows["wave"])
    preview.staged = survey_answers.stage(rows["source_row"], answers,
                                         [matched.columns[c] for c in answers.columns], items)
    names = preview.raw.frame[mapping.name_columns(preview.personal_columns, preview.raw.question_text)]
    preview.extras = survey_extras.stage(extra, frame, rows["source_row"], names.to_numpy().ravel())
    return rows


def _waves(frame: pd.DataFrame, cols: dict[str, str], options: Options, dates: pd.Series) -> pd.Series:
    """Each row's wave: the one set for the whole file, else the wave column, else the wave of its date."""
    if options.wave:
        return waves.wave_labels(pd.Series([options.wave] * len(frame)))
    if cols.get("wave"):
        return waves.wave_labels(_text(frame, cols["wave"]))
    return waves.waves_of_dates(dates)


def _reshape_headcount(store, cursor, frame, preview, options) -> pd.DataFrame:
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": _source_rows(preview)})
    out["partner"] = _text(frame, cols.get("partner"))
    out["date_raw"] = _value_text(frame, cols.get("date"))
    out["date"] = _dates(preview, options, cols.get("date"), out["date_raw"])
    out["wave"] = _waves(frame, cols, options, out["date"]).to_numpy()
    out["wave_start"] = waves.wave_starts(out["wave"])
    out["invited_raw"] = _value_text(frame, cols.get("invited"))
    out["invited"], _failed = values.parse_numbers(out["invited_raw"])
    return out


# Qualtrics' Status ("Response Type"): a bit set in numeric exports (1 preview, 2 test, 4 imported,
# 8 spam, 16 offline; 9 = a preview marked spam), words in choice-text ones ("Survey Preview")
_TRIAL_STATUS_BITS = 1 | 2
_STATUS_CODES = range(32)
_TRIAL_WORDS = ("preview", "test")


def _answered(frame: pd.DataFrame, preview: Preview, options: Options) -> tuple[np.ndarray, dict[Skipped, int]]:
    """The rows that are someone's answers: neither a preview or test response nor (unless
    options.include_partial) one closed before the end; with the count of each kind left out."""
    by_name = {mapping.normalise_header(c): c for c in frame.columns}
    by_name.update({mapping.normalise_header(t): c for c, t in preview.raw.question_text.items() if t})
    trial = _trial(frame, by_name)
    finished, skipped = _finished(frame, by_name, preview, options, ~trial)
    count = int(trial.sum())
    if count:
        preview.notes.append(
            f"Left out {count} preview or test response{'s' if count != 1 else ''} (Qualtrics Status "
            "'Survey Preview' or 'Survey Test', or Distribution Channel 'preview' or 'test'): made while "
            "trying the survey out, they are nobody's answers.")
        skipped = {Skipped.TRIAL_RESPONSE: count, **skipped}
    return finished & ~trial, skipped


def _trial(frame: pd.DataFrame, by_name: dict[str, str]) -> np.ndarray:
    """Rows a survey tool marks as its own preview or test responses (Qualtrics' Status, or its
    DistributionChannel). A numeric Status column counts only when every value is one of its codes."""
    def lowered(name: str) -> pd.Series:
        return _value_text(frame, by_name[name]).fillna("").astype(str).str.strip().str.lower()

    trial = np.zeros(len(frame), dtype=bool)
    for name in ("status", "response type"):
        if name in by_name:
            text = lowered(name)
            codes, failed = values.parse_numbers(text)
            numeric = codes.dropna()
            if len(numeric) and not failed.any() and numeric.isin(_STATUS_CODES).all():
                trial |= (codes.fillna(0).astype("int64") & _TRIAL_STATUS_BITS).to_numpy() > 0
            else:
                trial |= text.str.contains(rf"\b(?:{'|'.join(_TRIAL_WORDS)})\b", regex=True).to_numpy(dtype=bool)
            break
    if "distribution channel" in by_name:  # "DistributionChannel", header split at its capitals
        trial |= lowered("distribution channel").isin(_TRIAL_WORDS).to_numpy(dtype=bool)
    return trial


def _finished(frame: pd.DataFrame, by_name: dict[str, str], preview: Preview, options: Options,
              rows: np.ndarray) -> tuple[np.ndarray, dict[Skipped, int]]:
    """Which responses were finished: a survey tool's 'Finished' False or 'Progress' below 100 marks
    one closed before the end (Qualtrics). Those are left out unless options.include_partial;
    counted among ``rows`` only (a partial preview is counted as a preview)."""
    partial = np.zeros(len(frame), dtype=bool)
    if "finished" in by_name:
        finished, _unknown = values.parse_bool(_value_text(frame, by_name["finished"]))
        partial |= (finished == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712 - NA stays unknown
    if "progress" in by_name:
        progress, _failed = values.parse_numbers(_value_text(frame, by_name["progress"]))
        partial |= (progress < 100).to_numpy(dtype=bool)
    partial &= rows
    count = int(partial.sum())
    if not count:
        return np.ones(len(frame), dtype=bool), {}
    what = f"{count} partial response{'s' if count != 1 else ''} (Finished = False or Progress below 100)"
    if options.include_partial:
        preview.notes.append(f"Included {what}, as chosen.")
        return np.ones(len(frame), dtype=bool), {}
    preview.notes.append(f"Left out {what}: closed before the end, they would change the scores. To include "
                         f"them, choose 'Include partial responses' (command line: --include-partial).")
    return ~partial, {Skipped.PARTIAL_RESPONSE: count}


def _respondent_keys(frame, id_column, answers, rows) -> pd.Series:
    key = privacy.salt()
    if id_column is not None:
        ids = _text(frame, id_column)
    else:
        ids = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    # Without an id, a response is known by its content, so re-uploading it matches itself.
    no_id = ids.isna().to_numpy()
    basis = ("id:" + ids.astype(str)).astype(object)
    if no_id.any():
        part = rows[no_id]
        content = part["partner"].fillna("").astype(str) + "|" + part["response_date_raw"].fillna("").astype(str)
        for column in answers.columns:
            content = content + "|" + answers.loc[no_id, column].fillna("").astype(str)
        basis[no_id] = ("row:" + content).to_numpy(dtype=object)
    return privacy.pseudonymise(basis, key)


_RESHAPERS: dict[str, Callable] = {
    "survey": _reshape_survey,
    "instrument": _reshape_instrument,
    "milestones": _reshape_milestones,
    "issues": _reshape_issues,
    "partners": _reshape_partners,
    "headcount": _reshape_headcount,
}


def mapped_frame_columns(preview: Preview) -> list[str]:
    return [c for c in preview.raw.frame.columns if c not in preview.personal_columns]
