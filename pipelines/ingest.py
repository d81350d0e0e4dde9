"""The one path every upload takes: read -> map -> reshape -> validate -> load.

``prepare`` reads a file and returns a ``Preview`` (mapping, questions that need a
person's decision, every failure) without writing anything. ``commit`` loads a preview
as one batch in one transaction. ``undo`` takes a batch back. The Data page and the
command line both call these, so a file behaves the same wherever it is loaded.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from . import contracts, mapping, privacy, readers, settings, survey_answers, values
from .fields import DATASETS, required_fields
from .schema import NATURAL_KEYS
from .store import Store, visible

DATASET_TABLES = {
    "survey": "survey_responses",
    "instrument": "instrument_items",
    "milestones": "milestones",
    "issues": "issues",
}
POLICIES = ("all_or_nothing", "valid_only")
REMEMBERED = "remembered from an earlier upload"
_LIST_SEPARATORS = re.compile(r"\s*[;|,\n]\s*")
_ALLOCATION = re.compile(r"\[[^\]]*\]")  # MS Project "Kestrel Design[50%]"


class NotReady(ValueError):
    """The preview still has questions only a person can answer."""


class Refused(ValueError):
    """All-or-nothing load of a file that has invalid rows."""


@dataclass
class Options:
    sheet: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)  # field -> column chosen by a person
    wave: str | None = None  # one wave for the whole survey file
    partner: str | None = None  # one partner for the whole survey file
    date_order: str | None = None  # 'dayfirst' | 'monthfirst' when a file cannot tell
    partner_links: dict[str, str] = field(default_factory=dict)  # name in file -> existing partner
    new_partners: set[str] | None = None  # confirmed new names; None accepts names with no near twin


@dataclass
class PartnerName:
    name: str  # as written in the file
    kind: str  # known | near | new
    partner: str | None  # the existing partner it is (known) or may be (near)
    rows: int


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
    staged: survey_answers.StagedAnswers | None = None  # a survey's answers, reshaped by DuckDB

    @property
    def columns(self) -> list[str]:
        """The file's columns a field can be mapped to (personal-data columns are gone)."""
        return [] if self.raw is None else _mapped_frame_columns(self)

    @property
    def remembered(self) -> bool:
        """The mapping came from an earlier confirmed upload of a file with the same headers."""
        return any(s.reason == REMEMBERED for s in self.mapping.values())

    @property
    def rows_read(self) -> int:
        return 0 if self.raw is None else len(self.raw.frame)

    @property
    def mapping_confident(self) -> bool:
        return all(s.column is not None and s.confidence >= mapping.HIGH
                   for s in self.mapping.values() if s.field in required_fields(self.dataset))

    @property
    def can_commit(self) -> bool:
        return not self.questions and self.already_loaded is None and self.validation is not None

    def mapping_used(self) -> dict[str, str]:
        return {name: s.column for name, s in self.mapping.items() if s.column}


@dataclass
class LoadResult:
    batch_id: int | None
    dataset: str
    source_name: str
    rows_in: int
    rows_accepted: int
    rows_rejected: int
    new_partners: list[str]
    message: str


# ---------------------------------------------------------------------------- prepare
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
    loaded = cursor.execute(
        "SELECT batch_id FROM batches WHERE dataset = ? AND sha256 = ? AND undone_version IS NULL",
        [dataset, preview.sha256]).fetchone()
    if loaded:
        preview.already_loaded = int(loaded[0])
        preview.notes.append(f"This file was already loaded as batch {loaded[0]}; loading it again changes nothing.")
        return preview

    preview.raw = readers.read_file(source_name, data, sheet=options.sheet, max_bytes=limit)
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
        if not ({"wave", "response_date"} & set(chosen)) and not options.wave:
            preview.questions.append(
                "Which wave is this? The file has no wave or date column: set one wave for the whole file.")
    for name in missing:
        label = next(f.label for f in DATASETS[dataset] if f.name == name)
        preview.questions.append(f"Which column holds '{label}'? None of the file's columns matched it.")
    if missing:
        likely = _likely_dataset(dataset, frame, preview)
        if likely:
            preview.questions.insert(0, likely)
        return preview

    canonical = _RESHAPERS[dataset](store, cursor, frame, preview, options)
    if canonical is None:
        return preview
    canonical = _resolve_partners(cursor, dataset, canonical, preview, options)
    canonical = canonical.reset_index(drop=True)
    if preview.staged is not None:
        preview.validation = survey_answers.validate(preview.staged, canonical)
    elif dataset in contracts.SQL_DATASETS and len(canonical) >= contracts.SQL_ROWS:
        preview.validation = contracts.validate_in_duckdb(dataset, canonical)
    else:
        preview.validation = contracts.validate(dataset, canonical)
    failures = preview.validation.failures
    failures["column"] = _source_columns(preview)
    # one line per cell and check: a respondent's unreadable date is one failure, not one per answer
    failures = failures.drop_duplicates(["source_row", "column", "check"])
    failures = _without_knock_on(failures, derived_wave=dataset == "survey" and not (
        options.wave or preview.mapping_used().get("wave")))
    preview.validation.failures = failures.sort_values(["source_row", "column"], kind="stable",
                                                       ignore_index=True)[contracts.FAILURE_COLUMNS + ["column"]]
    return preview


def _without_knock_on(failures: pd.DataFrame, derived_wave: bool) -> pd.DataFrame:
    """Leave out failures that only repeat another one of the same row: a wave start is missing
    because the wave is, and a wave worked out from the date is missing because the date is."""
    failed = failures.groupby("source_row")["field"].agg(set)
    causes = {"wave_start": "wave", "wave": "response_date"} if derived_wave else {"wave_start": "wave"}
    knock_on = [field in causes and causes[field] in failed.get(row, ())
                for row, field in zip(failures["source_row"], failures["field"])]
    return failures[~np.array(knock_on, dtype=bool)] if any(knock_on) else failures


def _likely_dataset(chosen: str, frame: pd.DataFrame, preview: Preview) -> str | None:
    """When a file lacks the chosen dataset's columns, name the dataset it does look like."""
    for other in DATASETS:
        if other in (chosen, "partners"):
            continue
        suggestions = mapping.suggest_mapping(other, frame, preview.raw.question_text)
        if mapping.confident(suggestions, other):
            columns = [s.column for s in suggestions.values() if s.column][:4]
            return (f"This file looks like {_DATASET_WORDS.get(other, other)} (its columns "
                    + ", ".join(f"'{c}'" for c in columns)
                    + f"), not {_DATASET_WORDS.get(chosen, chosen)}. Check the file, or choose the "
                    f"dataset '{other}' instead.")
    return None


_DATASET_WORDS = {"survey": "a survey export", "instrument": "a survey instrument",
                  "milestones": "a milestone plan", "issues": "an issue log", "partners": "a partner list"}


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
    suggestions = mapping.suggest_mapping(dataset, frame, preview.raw.question_text)
    fingerprint = mapping.fingerprint(list(frame.columns))
    row = cursor.execute("SELECT mapping FROM mapping_memory WHERE fingerprint = ? AND dataset = ?",
                         [fingerprint, dataset]).fetchone()
    remembered = json.loads(row[0]) if row else {}
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
    if column is None:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    parsed = values.parse_dates(text, order=options.date_order)
    if parsed.order == "ambiguous":
        preview.ambiguous_date_columns.append(column)
        preview.questions.append(
            f"Column '{column}' has dates such as {text.dropna().iloc[0]} that could be day-first or "
            "month-first, and no value decides it. Choose the date order.")
    return parsed.dates.astype("datetime64[ns]")


def _reshape_instrument(store, cursor, frame, preview, options) -> pd.DataFrame:
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": _source_rows(preview)})
    for name in ("item_id", "text"):
        out[name] = _text(frame, cols.get(name))
    out["factor_raw"] = _text(frame, cols.get("factor"))
    out["factor"] = out["factor_raw"].map(_factor_key).astype(object)
    for name in ("scale_min", "scale_max"):
        out[name], _failed = values.parse_numbers(_text(frame, cols.get(name)))
    out["reverse_scored_raw"] = _value_text(frame, cols.get("reverse_scored"))
    out["reverse_scored"], _unknown = values.parse_bool(out["reverse_scored_raw"])
    return out


def _factor_key(text: str | None) -> str | None:
    if text is None:
        return None
    key = re.sub(r"[^a-z]+", "_", text.casefold()).strip("_")
    return key if key in settings.FACTORS else None


def _reshape_milestones(store, cursor, frame, preview, options) -> pd.DataFrame:
    cols = preview.mapping_used()
    out = pd.DataFrame({"source_row": _source_rows(preview)})
    out["milestone_id"] = _text(frame, cols.get("milestone_id"))
    out["title"] = _text(frame, cols.get("title"))
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
    out["escalated"] = _each_distinct(out["escalated_raw"], values.parse_bool)
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
    out["name"] = _text(frame, cols.get("name")).map(_tidy_name)
    out["aliases"] = _text(frame, cols.get("aliases"))
    return out


def _reshape_survey(store, cursor, frame, preview, options) -> pd.DataFrame | None:
    cols = preview.mapping_used()
    items_sql, params = visible("instrument_items", None)
    items = cursor.execute(f"SELECT item_id, text, scale_min, scale_max FROM {items_sql}", params).df()
    if items.empty:
        preview.questions.append("There is no survey instrument yet: load one (or the default) first.")
        return None
    matched = mapping.match_items(list(frame.columns), preview.raw.question_text, items,
                                  ignore=set(cols.values()))
    preview.item_columns = dict(matched.columns)
    preview.unmatched_columns = list(matched.unmatched)
    if preview.unmatched_columns:
        preview.notes.append("Columns that match no question of the instrument are not loaded: "
                             + ", ".join(preview.unmatched_columns) + ".")
    if not matched.columns:
        preview.questions.append(
            "No column matches a question of the instrument. Check that the right instrument is loaded, "
            "or that this is a survey export.")
        return None

    rows = pd.DataFrame({"source_row": _source_rows(preview)})
    rows["partner"] = _text(frame, cols.get("partner")) if not options.partner else options.partner
    rows["response_date_raw"] = _value_text(frame, cols.get("response_date"))
    rows["response_date"] = _dates(preview, options, cols.get("response_date"), rows["response_date_raw"])
    if options.wave:
        rows["wave"] = _wave_label(pd.Series([options.wave] * len(rows)))
    elif cols.get("wave"):
        rows["wave"] = _wave_label(_text(frame, cols["wave"]))
    else:
        rows["wave"] = _wave_of_dates(rows["response_date"])
    answers = frame[list(matched.columns)]
    rows["respondent_key"] = _respondent_keys(frame, cols.get("respondent_id"), answers, rows)
    rows["wave_start"] = _wave_start(rows["wave"])
    preview.staged = survey_answers.stage(rows["source_row"], answers,
                                         [matched.columns[c] for c in answers.columns], items)
    return rows


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


_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*[-_ /]?\s*Q([1-4])|Q([1-4])\s*[-_ /]?\s*(\d{4}))\s*$", re.I)
_MONTH = re.compile(r"^\s*(\d{4})\s*[-_/]\s*(\d{1,2})\s*$")


def _wave_label(text: pd.Series) -> pd.Series:
    def one(value):
        if value is None:
            return None
        match = _QUARTER.match(value)
        if match:
            year = match.group(1) or match.group(4)
            quarter = match.group(2) or match.group(3)
            return f"{year}-Q{quarter}"
        match = _MONTH.match(value)
        if match and 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{int(match.group(2)):02d}"
        return value
    unique = {value: one(value) for value in pd.unique(text)}
    return text.map(unique).astype(object)


def _wave_of_dates(dates: pd.Series) -> pd.Series:
    if settings.get("wave_frequency") == "monthly":
        labels = dates.dt.strftime("%Y-%m")
    else:
        labels = dates.dt.year.astype("Int64").astype(str) + "-Q" + dates.dt.quarter.astype("Int64").astype(str)
    return labels.where(dates.notna(), None).astype(object)


def _wave_start(labels: pd.Series) -> pd.Series:
    def one(label):
        if not isinstance(label, str):
            return pd.NaT
        if re.fullmatch(r"\d{4}-Q[1-4]", label):
            return pd.Timestamp(int(label[:4]), 3 * (int(label[-1]) - 1) + 1, 1)
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", label):
            return pd.Timestamp(int(label[:4]), int(label[5:]), 1)
        return pd.NaT
    unique = {label: one(label) for label in pd.unique(labels)}
    return labels.map(unique).astype("datetime64[ns]")


def wave_start(label: str) -> dt.date | None:
    value = _wave_start(pd.Series([label])).iloc[0]
    return None if pd.isna(value) else value.date()


_RESHAPERS: dict[str, Callable] = {
    "survey": _reshape_survey,
    "instrument": _reshape_instrument,
    "milestones": _reshape_milestones,
    "issues": _reshape_issues,
    "partners": _reshape_partners,
}
PARTNER_COLUMNS = {"survey": ("partner",), "issues": ("raised_by", "owned_by"), "milestones": ("owners",)}


# ---------------------------------------------------------------------------- partners
def _tidy_name(name: str | None) -> str | None:
    return None if name is None else re.sub(r"\s+", " ", name).strip()


def known_partners(cursor) -> tuple[dict[str, int], dict[int, str]]:
    names = dict(cursor.execute("SELECT partner_id, name FROM partners").fetchall())
    aliases = {values.normalise_partner_name(name): pid for pid, name in names.items()}
    aliases.update(dict(cursor.execute("SELECT alias_key, partner_id FROM partner_aliases").fetchall()))
    return aliases, names


def _split_owners(text: str | None) -> list[str]:
    if text is None:
        return []
    return [n for n in (_tidy_name(_ALLOCATION.sub("", part)) for part in _LIST_SEPARATORS.split(text)) if n]


def _resolve_partners(cursor, dataset: str, canonical: pd.DataFrame, preview: Preview,
                      options: Options) -> pd.DataFrame:
    """Replace each partner name by the programme's own name for it, asking about near twins."""
    columns = PARTNER_COLUMNS.get(dataset, ())
    if not columns:
        return canonical
    aliases, names = known_partners(cursor)
    counts: dict[str, int] = {}
    for column in columns:
        series = canonical[column].dropna()
        if column == "owners":
            series = series.map(_split_owners).explode().dropna()
        for name, count in series.value_counts().items():  # per distinct spelling, then tidied
            tidy = _tidy_name(name)
            counts[tidy] = counts.get(tidy, 0) + int(count)
    resolved: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for name in sorted(counts):
        link = options.partner_links.get(name)
        if link is not None:
            if link not in names.values() and link != name:
                raise ValueError(f"'{link}' is not a known partner; it cannot stand for '{name}'.")
            resolved[name] = link
            kind = "known" if link in names.values() else "new"
            preview.partners.append(PartnerName(name, kind, link, counts[name]))
            continue
        match = values.match_partner(name, aliases, names)
        if match.kind == "known":
            resolved[name] = names[match.partner_id]
            preview.partners.append(PartnerName(name, "known", resolved[name], counts[name]))
            continue
        key = values.normalise_partner_name(name)
        if key in by_key:  # two spellings of one new partner in the same file
            resolved[name] = by_key[key]
            preview.partners.append(PartnerName(name, "new", by_key[key], counts[name]))
            continue
        confirmed = options.new_partners is not None and name in options.new_partners
        if match.kind == "near" and not confirmed:
            preview.partners.append(PartnerName(name, "near", match.suggestion, counts[name]))
            preview.questions.append(
                f"Is '{name}' the partner '{match.suggestion}', or a new partner? "
                "Confirm before loading, so one organisation is not split in two.")
            continue
        if options.new_partners is not None and not confirmed:
            preview.questions.append(f"'{name}' is not a partner yet. Confirm it as a new partner, "
                                     "or say which partner it is.")
        resolved[name] = name
        by_key[key] = name
        preview.partners.append(PartnerName(name, "new", None, counts[name]))
    for column in columns:
        if column == "owners":
            canonical[column] = canonical[column].map(
                lambda text: "; ".join(dict.fromkeys(resolved.get(n, n) for n in _split_owners(text))) or None
                if text is not None else None)
        else:  # resolved once per distinct name, then spread over the rows
            codes, uniques = pd.factorize(canonical[column], use_na_sentinel=True)
            names_of = np.array([resolved.get(_tidy_name(n), n) for n in uniques] + [None], dtype=object)
            canonical[column] = pd.Series(names_of[codes], index=canonical.index, dtype=object)
    return canonical


# ---------------------------------------------------------------------------- commit
def commit(store: Store, preview: Preview, *, policy: str = "all_or_nothing", is_demo: bool = False,
           progress: Callable[[float, str], None] | None = None) -> LoadResult:
    """Load a preview as one batch, in one transaction: all of it, or nothing."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    if preview.already_loaded is not None:
        return LoadResult(preview.already_loaded, preview.dataset, preview.source_name, 0, 0, 0, [],
                          f"{preview.source_name} was already loaded as batch {preview.already_loaded}; "
                          "nothing changed.")
    if preview.questions:
        raise NotReady("Answer these before loading: " + " ".join(preview.questions))
    if preview.validation is None:
        raise NotReady("This file has not been checked yet.")
    validation = preview.validation
    if policy == "all_or_nothing" and not validation.ok:
        raise Refused(f"{validation.invalid_rows} of {preview.rows_read} rows of {preview.source_name} "
                      "are invalid, so nothing was loaded. Fix them, or load only the valid rows.")
    report = progress or (lambda fraction, text: None)
    valid = validation.valid
    report(0.1, "Checking the database")
    with store.write() as cursor:
        again = cursor.execute(
            "SELECT batch_id FROM batches WHERE dataset = ? AND sha256 = ? AND undone_version IS NULL",
            [preview.dataset, preview.sha256]).fetchone()
        if again:
            return LoadResult(int(again[0]), preview.dataset, preview.source_name, 0, 0, 0, [],
                              f"{preview.source_name} was already loaded as batch {again[0]}; nothing changed.")
        batch_id = store.next_version(cursor)
        report(0.2, "Adding partners")
        new_partners = _add_partners(cursor, batch_id, preview, valid)
        report(0.4, "Loading rows")
        loaded = _LOADERS[preview.dataset](cursor, batch_id, valid, preview.staged)
        report(0.8, "Recording the batch")
        failures = validation.failures
        if len(failures):
            cursor.register("failures_frame", _arrow(failures))
            cursor.execute("""INSERT INTO rejected_rows
                SELECT ?, source_row, "column", "check", value, message FROM failures_frame""", [batch_id])
            cursor.unregister("failures_frame")
        rows_in = preview.rows_read
        rejected = validation.invalid_rows
        accepted = rows_in - rejected
        summary = (f"Loaded {accepted} of {rows_in} rows of {preview.source_name} as batch {batch_id}"
                   + (f" ({loaded} answers)" if preview.dataset == "survey" else "")
                   + (f"; {rejected} invalid rows not loaded" if rejected else "")
                   + (f"; new partners: {', '.join(new_partners)}" if new_partners else "") + ".")
        cursor.execute(
            """INSERT INTO batches (batch_id, dataset, source_name, sha256, encoding, rows_in, rows_accepted,
               rows_rejected, loaded_at, is_demo, summary, mapping, read_notes)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)""",
            [batch_id, preview.dataset, preview.source_name, preview.sha256,
             preview.raw.encoding if preview.raw else None, rows_in, accepted, rejected, is_demo, summary,
             json.dumps(preview.mapping_used()), "\n".join(preview.notes)])
        fingerprint = mapping.fingerprint(list(_mapped_frame_columns(preview)))
        cursor.execute("DELETE FROM mapping_memory WHERE fingerprint = ?", [fingerprint])
        cursor.execute("INSERT INTO mapping_memory VALUES (?, ?, ?, now())",
                       [fingerprint, preview.dataset, json.dumps(preview.mapping_used())])
    report(1.0, "Done")
    return LoadResult(batch_id, preview.dataset, preview.source_name, rows_in, accepted, rejected,
                      new_partners, summary)


def _mapped_frame_columns(preview: Preview) -> list[str]:
    return [c for c in preview.raw.frame.columns if c not in preview.personal_columns]


def _add_partners(cursor, batch_id: int, preview: Preview, valid: pd.DataFrame) -> list[str]:
    aliases, names = known_partners(cursor)
    existing = set(names.values())
    needed: list[str] = []
    if preview.dataset == "partners":
        needed = [n for n in valid["name"] if n not in existing]
    else:
        for column in PARTNER_COLUMNS.get(preview.dataset, ()):
            series = valid[column].dropna()
            if column == "owners":
                series = series.map(_split_owners).explode().dropna()
            needed.extend(n for n in pd.unique(series) if n not in existing)
    new = list(dict.fromkeys(needed))
    next_id = int(cursor.execute("SELECT coalesce(max(partner_id), 0) FROM partners").fetchone()[0]) + 1
    for offset, name in enumerate(new):
        cursor.execute("INSERT INTO partners VALUES (?, ?, ?)", [next_id + offset, name, batch_id])
    _, names = known_partners(cursor)
    ids = {name: pid for pid, name in names.items()}
    links = [(p.name, ids[p.partner]) for p in preview.partners if p.partner in ids and p.name != p.partner]
    if preview.dataset == "partners":
        for name, text in zip(valid["name"], valid["aliases"]):
            links.extend((alias, ids[name]) for alias in _split_owners(text))
    for alias, partner_id in links:
        key = values.normalise_partner_name(alias)
        if key not in aliases:
            cursor.execute("INSERT INTO partner_aliases VALUES (?, ?, ?, ?)", [key, alias, partner_id, batch_id])
            aliases[key] = partner_id
        elif aliases[key] != partner_id:
            raise ValueError(f"'{alias}' already stands for another partner; it cannot also stand for "
                             f"{names[partner_id]}.")
    return new


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as Arrow for DuckDB to scan: a frame of Python strings would be converted per cell."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def _replace(cursor, table: str, batch_id: int) -> None:
    """Rows of this batch replace current rows with the same natural key."""
    keys = NATURAL_KEYS[table]
    match = " AND ".join(f"t.{k} = n.{k}" for k in keys)
    cursor.execute(f"""UPDATE {table} t SET current = false
        WHERE t.current AND t.batch_id <> ? AND EXISTS (
            SELECT 1 FROM {table} n WHERE n.batch_id = ? AND {match})""", [batch_id, batch_id])


def _load_survey(cursor, batch_id: int, valid: pd.DataFrame, staged) -> int:
    loaded = survey_answers.load(cursor, staged, valid, batch_id)
    _replace(cursor, "survey_responses", batch_id)
    return loaded


def _load_instrument(cursor, batch_id: int, valid: pd.DataFrame, staged=None) -> int:
    frame = valid[["item_id", "text", "factor", "scale_min", "scale_max", "reverse_scored"]]
    cursor.register("staged_items", _arrow(frame))
    cursor.execute("""INSERT INTO instrument_items
        SELECT item_id, text, factor, CAST(scale_min AS INTEGER), CAST(scale_max AS INTEGER),
               CAST(reverse_scored AS BOOLEAN), ?, true FROM staged_items""", [batch_id])
    cursor.unregister("staged_items")
    _replace(cursor, "instrument_items", batch_id)
    return len(frame)


def _load_milestones(cursor, batch_id: int, valid: pd.DataFrame, staged=None) -> int:
    _, names = known_partners(cursor)
    ids = {name: pid for pid, name in names.items()}
    frame = valid[["milestone_id", "title", "baseline_date", "forecast_date", "actual_date", "status"]].copy()
    frame["owner_ids"] = valid["owners"].map(lambda text: [ids[n] for n in _split_owners(text)])
    cursor.register("staged_milestones", _arrow(frame))
    cursor.execute("""INSERT INTO milestones
        SELECT milestone_id, title, CAST(owner_ids AS INTEGER[]), CAST(baseline_date AS DATE),
               CAST(forecast_date AS DATE), CAST(actual_date AS DATE), status, ?, true
        FROM staged_milestones""", [batch_id])
    cursor.unregister("staged_milestones")
    _replace(cursor, "milestones", batch_id)
    return len(frame)


def _load_issues(cursor, batch_id: int, valid: pd.DataFrame, staged=None) -> int:
    frame = valid[["issue_id", "title", "kind", "raised_by", "owned_by", "raised_date", "resolved_date",
                   "severity", "status", "escalated"]].copy()
    frame["escalated"] = frame["escalated"].astype("boolean").fillna(False).astype(bool)
    cursor.register("staged_issues", _arrow(frame))
    cursor.execute("""INSERT INTO issues
        SELECT s.issue_id, s.title, s.kind, r.partner_id, o.partner_id, CAST(s.raised_date AS DATE),
               CAST(s.resolved_date AS DATE), s.severity, s.status, s.escalated, ?, true
        FROM staged_issues s JOIN partners r ON r.name = s.raised_by
        LEFT JOIN partners o ON o.name = s.owned_by""", [batch_id])
    cursor.unregister("staged_issues")
    _replace(cursor, "issues", batch_id)
    return len(frame)


def _load_partners(cursor, batch_id: int, valid: pd.DataFrame, staged=None) -> int:
    return len(valid)  # partners and their aliases were added by _add_partners


_LOADERS: dict[str, Callable] = {  # (cursor, batch_id, valid rows, staged survey answers or None)
    "survey": _load_survey,
    "instrument": _load_instrument,
    "milestones": _load_milestones,
    "issues": _load_issues,
    "partners": _load_partners,
}


# ---------------------------------------------------------------------------- undo, history
def undo(store: Store, batch_id: int) -> str:
    """Take a batch back. Its rows stay in history for pinned links, but no longer count."""
    with store.write() as cursor:
        row = cursor.execute("SELECT dataset, source_name, undone_version FROM batches WHERE batch_id = ?",
                             [batch_id]).fetchone()
        if row is None:
            raise ValueError(f"There is no batch {batch_id}. `python -m pipelines history` lists the batches.")
        dataset, source_name, undone = row
        if undone is not None:
            raise ValueError(f"Batch {batch_id} ({source_name}) was already undone.")
        version = store.next_version(cursor)
        cursor.execute("UPDATE batches SET undone_version = ?, undone_at = now() WHERE batch_id = ?",
                       [version, batch_id])
        cursor.execute("DELETE FROM partner_aliases WHERE created_batch = ?", [batch_id])
        table = DATASET_TABLES.get(dataset)
        if table:
            keys = NATURAL_KEYS[table]
            key_list = ", ".join(keys)
            match = " AND ".join(f"t.{k} = w.{k}" for k in keys)
            cursor.execute(f"UPDATE {table} SET current = false WHERE batch_id = ?", [batch_id])
            # The latest live row of each key this batch had touched becomes current again.
            cursor.execute(f"""UPDATE {table} t SET current = true FROM (
                    SELECT {key_list}, max(x.batch_id) AS latest FROM {table} x
                    JOIN batches b ON b.batch_id = x.batch_id
                    WHERE b.undone_version IS NULL AND ({key_list}) IN (
                        SELECT ({key_list}) FROM {table} WHERE batch_id = ?)
                    GROUP BY {key_list}) w
                WHERE {match} AND t.batch_id = w.latest""", [batch_id])
    return f"Undid batch {batch_id} ({source_name})."


def history(cursor) -> pd.DataFrame:
    return cursor.execute("""SELECT batch_id AS batch, dataset, source_name AS file, loaded_at,
            rows_in, rows_accepted, rows_rejected, encoding, is_demo AS demo,
            CASE WHEN undone_version IS NULL THEN 'loaded' ELSE 'undone' END AS state, undone_at, summary
        FROM batches ORDER BY batch_id DESC""").df()


def rejected_rows(cursor, batch_id: int) -> pd.DataFrame:
    return cursor.execute("""SELECT source_row AS row, column_name AS "column", check_name AS "check", value, message
        FROM rejected_rows WHERE batch_id = ? ORDER BY source_row""", [batch_id]).df()


def remove_demo(store: Store) -> int:
    """Delete the demo programme entirely (not an undo: demo data leaves no history)."""
    with store.write() as cursor:
        demo = [r[0] for r in cursor.execute("SELECT batch_id FROM batches WHERE is_demo").fetchall()]
        if not demo:
            return 0
        for table in ("survey_responses", "instrument_items", "milestones", "issues", "rejected_rows"):
            cursor.execute(f"DELETE FROM {table} WHERE list_contains(?, batch_id)", [demo])
        cursor.execute("DELETE FROM partner_aliases WHERE list_contains(?, created_batch)", [demo])
        cursor.execute("DELETE FROM partners WHERE list_contains(?, created_batch)", [demo])
        cursor.execute("DELETE FROM batches WHERE is_demo")
    return len(demo)


def is_demo(cursor) -> bool:
    return bool(cursor.execute(
        "SELECT count(*) FROM batches WHERE is_demo AND undone_version IS NULL").fetchone()[0])


def template(dataset: str, cursor=None) -> bytes:
    """A CSV with the dataset's fields as headers: a starting point for a spreadsheet.

    With a cursor, the survey template also has one column per current instrument item."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset '{dataset}'. Choose one of: {', '.join(DATASETS)}.")
    labels = [f.label for f in DATASETS[dataset]]
    if dataset == "survey" and cursor is not None:
        items_sql, params = visible("instrument_items", None)
        labels += [r[0] for r in cursor.execute(f"SELECT item_id FROM {items_sql} ORDER BY item_id",
                                                params).fetchall()]
    return (",".join(f'"{label}"' for label in labels) + "\r\n").encode("utf-8-sig")


def freshness(cursor) -> pd.DataFrame:
    """Per dataset: the latest live batch, when it loaded, and the newest date in its data."""
    return cursor.execute("""
        WITH live AS (SELECT dataset, max(loaded_at) AS loaded_at, count(*) AS batches
                      FROM batches WHERE undone_version IS NULL GROUP BY dataset),
        newest AS (
            SELECT 'survey' AS dataset, max(wave_start) AS newest FROM survey_responses WHERE current
            UNION ALL SELECT 'milestones', max(coalesce(actual_date, baseline_date)) FROM milestones WHERE current
            UNION ALL SELECT 'issues', max(coalesce(resolved_date, raised_date)) FROM issues WHERE current)
        SELECT l.dataset, l.loaded_at AS last_loaded, l.batches, n.newest AS newest_data
        FROM live l LEFT JOIN newest n USING (dataset) ORDER BY l.dataset""").df()


def versions(cursor) -> pd.DataFrame:
    """Every version a view can be pinned to: each load, and each undo, with a label."""
    return cursor.execute("""
        SELECT version, label FROM (
            SELECT batch_id AS version, 'batch ' || batch_id || ' (' || strftime(loaded_at, '%Y-%m-%d %H:%M')
                   || ')' AS label FROM batches
            UNION ALL
            SELECT undone_version, 'undo of batch ' || batch_id || ' (' || strftime(undone_at, '%Y-%m-%d %H:%M')
                   || ')' FROM batches WHERE undone_version IS NOT NULL)
        ORDER BY version DESC""").df()
