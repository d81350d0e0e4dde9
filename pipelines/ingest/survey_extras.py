"""What a survey export holds beside the instrument's questions: partner-to-partner ratings and comments.

Both come from the columns that answer no instrument item, and load with the survey, in its batch.

* A **rating** column is a grid question whose statement is a partner: ``Question [Partner]``
  (Google Forms), ``Question - Partner`` (SurveyMonkey, Qualtrics), ... (``grids.grid_parts`` reads
  the shapes), in its header or its question text, where the partner is a known one (any of its
  names) or a name in the file's organisation column, and most of its answers are on the survey's
  scale (the scale most of the file's instrument items use). A cell is that respondent's
  organisation rating that partner. A rating of the respondent's own organisation is not kept.
* A **comment** column is free text: a header that asks for it (comments, anything else, why, ...)
  or answers of several words that are not numbers, dates or yes/no. Each answer is kept with its
  question, after ``privacy.scrub`` took out email and web addresses, phone numbers and the words of
  the names in the file's name columns (which are dropped as personal data themselves).

Ratings are checked by the survey's own contract (``contracts.SurveyAnswers``): a rating is an
answer on the survey's scale, so a rating that is not one fails its row as an answer would.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from pipelines.ingest import contracts, grids, mapping, partners, privacy, survey_answers, values
from pipelines.store import versions

RATING_SHARE = 0.5  # a grid column naming a partner is a rating column when this share of its answers is on the scale
TEXT_WORDS = 2  # a free-text answer has at least this many words ...
TEXT_CHARS = 20  # ... and the column's answers this many characters on average (unless its header asks for text)
_COMMENT_WORDS = frozenset({"comment", "comments", "feedback", "anything", "else", "suggestion", "suggestions",
                            "improve", "why", "explain", "describe", "tell", "thoughts", "remarks", "specify",
                            "text", "share", "example", "examples", "open"})


@dataclass
class ExtraColumns:
    """The survey file's columns that are ratings or comments."""
    ratings: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (question, partner as written)
    comments: dict[str, str] = field(default_factory=dict)  # column -> question
    scale: tuple[int, int] | None = None

    def __contains__(self, column: str) -> bool:
        return column in self.ratings or column in self.comments


@dataclass
class StagedExtras:
    ratings: pd.DataFrame  # source_row, column, question, target, value, value_raw, scale_min, scale_max
    comments: pd.DataFrame  # source_row, question, text (scrubbed)


def find(cursor, frame: pd.DataFrame, question_text: dict[str, str], candidates: list[str],
         organisations: pd.Series, items: pd.DataFrame) -> ExtraColumns:
    """Which of ``candidates`` (the columns matching no item) are ratings and which are comments.
    ``organisations``: the respondents' organisations as written; ``items``: the instrument items the
    file answers (item_id, scale_min, scale_max), whose most common scale is the survey's."""
    found = ExtraColumns(scale=_survey_scale(items))
    aliases, _names = partners.known_partners(cursor)
    in_file = {values.normalise_partner_name(name) for name in pd.unique(organisations.dropna().astype(str))
               if name.strip()}
    for column in candidates:
        target = _rated_partner(column, question_text.get(column), set(aliases) | in_file)
        if target and found.scale and _on_scale(frame[column], found.scale):
            found.ratings[column] = target
        elif _is_free_text(frame[column], column, question_text.get(column), found.scale):
            found.comments[column] = _question(column, question_text.get(column))
    return found


def notes(found: ExtraColumns) -> list[str]:
    out = []
    if found.ratings:
        rated = sorted({target for _, target in found.ratings.values()})
        out.append(f"{len(found.ratings)} columns rate other partners ({', '.join(rated)}): loaded as partner "
                   "ratings with the survey.")
    if found.comments:
        out.append("Kept as comments, with email and web addresses, phone numbers and respondents' names taken "
                   "out: " + ", ".join(found.comments) + ".")
    return out


def stage(found: ExtraColumns, frame: pd.DataFrame, source_rows: pd.Series, name_cells) -> StagedExtras:
    """The ratings (parsed on the survey's scale) and the comments (scrubbed) of ``frame``'s rows,
    one row per non-blank cell. ``name_cells``: every cell of the file's name columns."""
    rows = pd.Series(source_rows, dtype="int64").to_numpy()
    ratings = []
    for column, (question, target) in found.ratings.items():
        text = _cells(frame[column])
        kept = text.notna().to_numpy()
        low, high = found.scale
        value, _failed = values.parse_likert(text[kept], low, high)
        ratings.append(pd.DataFrame({"source_row": rows[kept], "column": column, "question": question,
                                     "target": target, "value": value.to_numpy(), "value_raw": text[kept].to_numpy(),
                                     "scale_min": low, "scale_max": high}))
    names = privacy.name_words(name_cells)
    comments = []
    for column, question in found.comments.items():
        text = _cells(frame[column])
        kept = text.notna().to_numpy()
        comments.append(pd.DataFrame({"source_row": rows[kept], "question": question,
                                      "text": [privacy.scrub(t, names) for t in text[kept]]}))
    return StagedExtras(_frame(ratings, ["source_row", "column", "question", "target", "value", "value_raw",
                                         "scale_min", "scale_max"]),
                        _frame(comments, ["source_row", "question", "text"]))


def check(staged: StagedExtras, rows: pd.DataFrame, validation: contracts.Validation) -> contracts.Validation:
    """``validation`` with the failures of the ratings of ``rows`` (the respondents' rows, partners
    resolved) added, and the rows with a failing rating left out of ``valid``. A rating is checked as
    a survey answer is; only its own cell's checks are added (the row's are the answers' already)."""
    if staged.ratings.empty:
        return validation
    answers = staged.ratings.merge(rows[survey_answers.ROW_COLUMNS], on="source_row")
    answers = answers.assign(item_id=answers["column"]).reset_index(drop=True)
    result = contracts.validate("survey", answers)
    failures = result.failures[result.failures["field"].eq("value")]
    if failures.empty:
        return validation
    failures = failures.assign(column=answers.loc[failures["position"].astype(int), "column"].to_numpy())
    merged = pd.concat([validation.failures, failures[validation.failures.columns]], ignore_index=True)
    merged = merged.sort_values(["source_row", "column"], kind="stable", ignore_index=True)
    valid = validation.valid[~validation.valid["source_row"].isin(failures["source_row"])]
    return contracts.Validation(valid, merged, validation.rows_checked)


def load(cursor, staged: StagedExtras, valid: pd.DataFrame, batch_id: int) -> tuple[int, int]:
    """Insert the ratings and comments of the respondents' rows that passed, in the load's transaction;
    they replace earlier ones with the same key. Returns (ratings, comments) loaded."""
    respondents = valid[["source_row", "respondent_key", "partner", "wave", "wave_start"]]
    ratings = staged.ratings.merge(respondents, on="source_row")
    aliases, _names = partners.known_partners(cursor)
    ratings = ratings.assign(target_id=pd.array([aliases.get(values.normalise_partner_name(t))
                                                 for t in ratings["target"]], dtype="Int64"))
    comments = staged.comments.merge(respondents, on="source_row")
    loaded = []
    for table, frame, columns in (
            ("partner_ratings", ratings, "respondent_key, p.partner_id, CAST(target_id AS INTEGER), wave, "
             "CAST(wave_start AS DATE), question, value, scale_min, scale_max"),
            ("survey_comments", comments, "respondent_key, p.partner_id, wave, CAST(wave_start AS DATE), "
             "question, text")):
        if frame.empty:
            loaded.append(0)
            continue
        frame = frame.assign(respondent_key=frame["respondent_key"].astype("uint64"))
        cursor.register("staged_extras", pa.Table.from_pandas(frame.drop(columns=["value_raw"], errors="ignore"),
                                                              preserve_index=False))
        own = "AND s.target_id IS NOT NULL AND s.target_id <> p.partner_id" if table == "partner_ratings" else ""
        count = cursor.execute(f"""INSERT INTO {table}
            SELECT {columns}, ?, true FROM staged_extras s JOIN partners p ON p.name = s.partner
            WHERE true {own}""", [batch_id]).fetchone()[0]
        cursor.unregister("staged_extras")
        versions.supersede(cursor, table, batch_id)
        loaded.append(int(count))
    return loaded[0], loaded[1]


# -- the columns ----------------------------------------------------------------------

def _survey_scale(items: pd.DataFrame) -> tuple[int, int] | None:
    pairs = Counter(zip(items["scale_min"].astype(int), items["scale_max"].astype(int)))
    return min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0] if pairs else None


def _rated_partner(column: str, question: str | None, partner_keys: set[str]) -> tuple[str, str] | None:
    """(question, partner) when the header or question text is a grid row naming a partner."""
    for text in (question, column):
        for title, statement in grids.grid_parts(text) if text else ():
            if values.normalise_partner_name(statement) in partner_keys - {""}:
                return title, statement
    return None


def _cells(series: pd.Series) -> pd.Series:
    """Trimmed text, blank and empty tokens ('N/A', '-') as missing."""
    cells = [str(v).strip() if isinstance(v, str) or pd.notna(v) else "" for v in series.tolist()]
    return pd.Series([v if v and v.casefold() not in values.EMPTY_TOKENS else None for v in cells],
                     index=series.index, dtype=object)


def _sample(series: pd.Series) -> pd.Series:
    """A column's first non-blank cells: enough to tell what it holds."""
    return _cells(series.iloc[:4 * mapping.SAMPLE]).dropna().iloc[:mapping.SAMPLE]


def _on_scale(series: pd.Series, scale: tuple[int, int]) -> bool:
    text = _sample(series)
    if text.empty:
        return True
    value, _failed = values.parse_likert(text, *scale)
    return bool(value.between(*scale).mean() >= RATING_SHARE)


def _question(column: str, question: str | None) -> str:
    return " ".join(str(question or column).split())


def _is_free_text(series: pd.Series, column: str, question: str | None, scale: tuple[int, int] | None) -> bool:
    asks = any(set(mapping.normalise_header(text).split()) & _COMMENT_WORDS for text in (column, question) if text)
    text = _sample(series)
    if text.empty:
        return asks
    _numbers, not_number = values.parse_numbers(text)
    dates = values.parse_dates(text)
    _flags, not_flag = values.parse_bool(text)
    _answers, not_answer = values.parse_likert(text, *(scale or (1, 5)))  # agreement labels are no free text
    plain = (not_number.to_numpy() & dates.dates.isna().to_numpy() & ~dates.ambiguous.to_numpy()
             & not_flag.to_numpy() & not_answer.to_numpy())
    if plain.mean() < 0.5:
        return False
    words = text.map(lambda t: len(t.split()) >= TEXT_WORDS).mean()
    return asks or (words >= 0.5 and text.str.len().mean() >= TEXT_CHARS)


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return frame[columns]


__all__ = ["ExtraColumns", "StagedExtras", "check", "find", "load", "notes", "stage"]
