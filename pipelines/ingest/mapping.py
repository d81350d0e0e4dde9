"""From a file's headers to the canonical fields: suggestions with a confidence, a fingerprint
of the headers (to remember a mapping per source), the columns holding personal data, and the
matching of survey columns to instrument items.

Header names are compared after :func:`normalise_header`: camelCase split (``RecordedDate`` ->
``recorded date``), case folded, Latin letters folded to ASCII, ``&`` -> ``and``, punctuation a space,
``organization`` -> ``organisation``; Jira's ``Custom field (X)`` is also compared as ``X``.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from pipelines.ingest import fields, grids, partners, people, values
from pipelines.programme.factors import key_or_none as factor_key_or_none

HIGH = 0.8  # the command line proceeds without asking only when every required field is >= HIGH
SAMPLE = 500  # values looked at per column for content checks
MIN_SUGGEST = 0.5  # weaker header/content evidence than this suggests nothing
KNOWN_NAME = 0.9  # a header this close is one of the field's names (_header_score's "is")

# --------------------------------------------------------------------------------------------
# header normalisation
# --------------------------------------------------------------------------------------------

_CAMEL_1 = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CAMEL_2 = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^\w]+|_")
_CUSTOM_FIELD = re.compile(r"^\s*custom\s*field\s*\((.*)\)\s*$", re.IGNORECASE)
_SELECTED_CHOICE = re.compile(r"\s+-\s+selected choice\s*$", re.IGNORECASE)


def normalise_header(text: str) -> str:
    """``"Which Organization do you work for?"`` -> ``"which organisation do you work for"``."""
    text = values.fold_latin(text)
    text = _CAMEL_2.sub(" ", _CAMEL_1.sub(" ", text))
    text = text.casefold().replace("&", " and ")
    text = _NON_WORD.sub(" ", text)
    text = re.sub(r"organiz", "organis", text)
    return " ".join(text.split())


def _header_forms(column: str, question: str | None) -> list[tuple[str, str, str]]:
    """(normalised text, where it came from, as written) for a column's name and its question text,
    and for the statement of a grid question (SurveyMonkey's contact block: ``... - Company``)."""
    forms: list[tuple[str, str, str]] = []
    for raw, source in ((column, "header"), (question, "question text")):
        if not raw:
            continue
        raw = _SELECTED_CHOICE.sub("", str(raw))
        for text in (raw, *(_CUSTOM_FIELD.findall(raw) or []), *grids.statements(raw)[:1]):
            key = normalise_header(text)
            if key and all(key != f[0] or source != f[1] for f in forms):
                forms.append((key, source, raw.strip()))
    return forms


# --------------------------------------------------------------------------------------------
# suggestions
# --------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    field: str
    column: str | None
    confidence: float  # 0..1
    reason: str


def _names(f: fields.Field) -> list[str]:
    """The field's synonyms (in their order of preference), label and name, normalised."""
    out: list[str] = []
    for text in (*f.synonyms, f.label, f.name.replace("_", " ")):
        key = normalise_header(text)
        if key and key not in out:
            out.append(key)
    return out


def _header_score(names: list[str], forms: list[tuple[str, str, str]],
                  label: str) -> tuple[float, str]:
    best, why = 0.0, ""
    for text, source, raw in forms:
        compact = text.replace(" ", "")
        tokens = set(text.split())
        for rank, name in enumerate(names):
            name_tokens = set(name.split())
            if text == name or compact == name.replace(" ", ""):
                score = max(0.95, 0.99 - 0.002 * rank)
                kind = "is"
            elif tokens == name_tokens:
                score, kind = 0.9, "is"
            elif name_tokens <= tokens:
                score = 0.45 + 0.3 * len(name_tokens) / len(tokens)
                kind = "contains"
            elif tokens <= name_tokens:
                score = 0.35 + 0.3 * len(tokens) / len(name_tokens)
                kind = "is part of"
            else:
                overlap = len(tokens & name_tokens) / len(tokens | name_tokens)
                score, kind = (0.25 + 0.3 * overlap, "shares words with") if overlap else (0.0, "")
            if score > best:
                best = score
                why = (f"{source} '{raw}' is a known name for {label}" if kind == "is"
                       else f"{source} '{raw}' {kind} '{name}', a name for {label}")
    return best, why


@dataclass
class _Profile:
    n: int  # non-empty values in the sample
    distinct: int
    date_rate: float
    number_rate: float
    bool_rate: float
    email_rate: float
    severity_rate: float
    person_rate: float  # distinct values that look like people's names (people.py)
    known_rate: float  # distinct values that are known partners (when the programme has some)
    new_names: int  # distinct values that are not known partners
    factor_rate: float  # distinct values that name one of the five factors


_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_IPV4 = r"^(?:\d{1,3}\.){3}\d{1,3}$"
_IPV6 = r"^[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}$"


def _sample(series: pd.Series) -> pd.Series:
    """The column's first SAMPLE values that are not blank (nor 'NA', 'N/A', ...)."""
    for stop in (4 * SAMPLE, None):  # a long column is rarely mostly blank: try its top first
        part = series.iloc[:stop]
        text = part.astype("str").str.strip()
        text = text[text.notna() & ~text.str.casefold().isin(values.EMPTY_TOKENS)]
        if len(text) >= SAMPLE or len(part) == len(series):
            return text.iloc[:SAMPLE]


def _profile(series: pd.Series, known: dict[str, int] | None = None) -> _Profile:
    sample = _sample(series)
    n = len(sample)
    if n == 0:
        return _Profile(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0.0)
    dates = values.parse_dates(sample)
    date_ok = (dates.dates.notna() | dates.ambiguous).sum() / n
    number_ok = 1 - values.parse_numbers(sample)[1].sum() / n
    bool_ok = 1 - values.parse_bool(sample)[1].sum() / n
    email = sample.str.match(_EMAIL).sum() / n
    severity_ok = 1 - values.parse_severity(sample)[1].sum() / n
    distinct = pd.unique(sample)
    keys = [values.normalise_partner_name(v) for v in distinct] if known else []
    known_count = sum(1 for k in keys if k in known) if known else 0
    return _Profile(n, len(distinct), float(date_ok), float(number_ok), float(bool_ok), float(email),
                    float(severity_ok), people.person_share(sample), known_count / len(distinct),
                    len(distinct) - known_count,
                    sum(factor_key_or_none(v) is not None for v in distinct) / len(distinct))


def _not_organisations(p: _Profile, other_has_partners: bool) -> str | None:
    """Why a column cannot be a partner field, or None: its values are people, or it would add
    many new partners while another column holds the known ones."""
    if p.person_rate >= 0.5:
        return "values look like people's names, not organisations"
    if other_has_partners and p.known_rate < 0.5 and p.new_names > partners.FEW_NEW_PARTNERS:
        return f"{p.new_names} of its names would be new partners"
    return None


def _content(f: fields.Field, p: _Profile) -> tuple[float, str]:
    """A factor (<= 1) for how well the column's values fit the field, and why."""
    if p.n == 0:
        return (0.5, "the column is empty") if f.kind in ("partner", "partners") else (1.0, "no values to check")
    if f.kind == "date":
        if p.date_rate >= 0.9:
            return 1.0, f"{p.date_rate:.0%} of values are dates"
        return 0.4 + 0.5 * p.date_rate, f"only {p.date_rate:.0%} of values are dates"
    if f.kind == "number":
        if p.number_rate >= 0.9:
            return 1.0, f"{p.number_rate:.0%} of values are numbers"
        return 0.4 + 0.5 * p.number_rate, f"only {p.number_rate:.0%} of values are numbers"
    if f.kind == "bool":
        if p.bool_rate >= 0.9:
            return 1.0, f"{p.bool_rate:.0%} of values are yes/no"
        return 0.5 + 0.4 * p.bool_rate, f"only {p.bool_rate:.0%} of values are yes/no"
    if f.kind in ("partner", "partners"):
        if p.known_rate >= 0.8:
            return 1.0, f"{p.known_rate:.0%} of its names are known partners"
        factor, why = 1.0, f"{p.distinct} distinct names"
        if p.email_rate > 0.5 or p.date_rate > 0.5 or p.number_rate > 0.9:
            return 0.4, "values look like emails, dates or numbers, not organisations"
        if p.n >= 20 and p.distinct > max(30, 0.5 * p.n):
            factor, why = 0.7, f"{p.distinct} distinct values in {p.n}: many for partner names"
        return factor, why
    if f.name == "severity":
        if p.severity_rate >= 0.9:
            return 1.0, f"{p.severity_rate:.0%} of values are severities"
        return 0.4 + 0.6 * p.severity_rate, f"only {p.severity_rate:.0%} of values are severities"
    if f.name.endswith("_id"):
        unique = p.distinct / p.n
        if unique >= 0.95:
            return 1.0, "values are unique"
        return 0.6 + 0.4 * unique, f"only {unique:.0%} of values are unique"
    if f.name == "factor":
        if p.factor_rate < 0.5:
            return 0.4, "values are not factor names"
    if p.date_rate >= 0.9 and f.kind == "text":
        return 0.6, "values are dates"
    if p.bool_rate >= 0.9 and f.kind == "text" and p.distinct <= 2:
        return 0.4, "values are yes/no, not text"
    return 1.0, ""


def _parsed(f: fields.Field) -> bool:
    """Whether a field's values are parsed (dates, numbers, yes/no, severities), so that one that
    cannot be read is a row error rather than text stored as it is."""
    return f.kind in ("date", "number", "bool") or f.name == "severity"


def suggest_mapping(dataset: str, frame: pd.DataFrame, question_text: dict[str, str] | None = None,
                    known: dict[str, int] | None = None) -> dict[str, Suggestion]:
    """A suggestion for every field of ``dataset``: the best column, a confidence and why.

    The headers (and question texts) propose columns; the values then raise or lower the confidence.
    A partner field never takes a column of people's names, nor one that would add many new partners
    while another holds the ``known`` ones (partner alias keys); a column whose header names
    organisations, or whose values are known partners, is proposed for it instead. Each column goes
    to one field at most, the most confident pairs first."""
    question_text = question_text or {}
    specs = fields.DATASETS[dataset]
    columns = [str(c) for c in frame.columns]
    forms = {c: _header_forms(c, question_text.get(c)) for c in columns}
    profiles: dict[str, _Profile] = {}

    def profile(column: str) -> _Profile:
        if column not in profiles:
            profiles[column] = _profile(frame[column], known)
        return profiles[column]

    takes_partners = any(spec.kind in ("partner", "partners") for spec in specs)
    holders = {c for c in columns if known and _known_share(frame[c], known) >= 0.5} if takes_partners else set()
    organisations: list[tuple[float, str, str]] = []  # (score, column, why) for the partner fields
    for column in columns if takes_partners else ():
        if (column in holders or _is_organisation(forms[column])) and not _not_organisations(profile(column), False):
            p = profile(column)
            organisations.append((0.85, column, f"its values are known partners ({p.known_rate:.0%})")
                                 if p.known_rate >= 0.8 else (0.7, column, f"header '{column}' names organisations"))
    unfit: dict[str, str] = {}
    candidates: list[tuple[float, int, int, str, str]] = []
    for fi, spec in enumerate(specs):
        names = _names(spec)
        partner = spec.kind in ("partner", "partners")
        for ci, column in enumerate(columns):
            score, why = _header_score(names, forms[column], spec.label)
            if score < MIN_SUGGEST:
                continue
            if partner:
                problem = _not_organisations(profile(column), bool(holders - {column}))
                if problem:
                    unfit[column] = problem
                    continue
            factor, content_why = _content(spec, profile(column))
            named, score = score >= KNOWN_NAME, round(min(1.0, score * factor), 3)
            if named and _parsed(spec):  # its values are read and each unreadable one reported, never ignored
                score = max(score, MIN_SUGGEST)
            if score < MIN_SUGGEST:
                continue
            reason = why + (f"; {content_why}" if content_why else "")
            candidates.append((score, fi, ci, column, reason))
        for score, column, why in organisations if partner else ():
            not_people = "; ".join(f"'{c}': {w}" for c, w in unfit.items())
            candidates.append((round(score - (0 if spec.required else 0.1), 3), fi, columns.index(column), column,
                               why + (f" (instead of {not_people})" if not_people else "")))
    # ties: the column with more values first (P6's "Primary Resource", blank on most milestones,
    # beside an activity code naming every milestone's partner), then the leftmost
    candidates.sort(key=lambda c: (-c[0], c[1], -profile(c[3]).n, c[2]))
    chosen: dict[str, Suggestion] = {}
    used: set[str] = set()
    for score, fi, _, column, reason in candidates:
        name = specs[fi].name
        if name in chosen or column in used:
            continue
        chosen[name] = Suggestion(name, column, score, reason)
        used.add(column)
    return {spec.name: chosen.get(spec.name) or Suggestion(spec.name, None, 0.0, _none_reason(spec, unfit))
            for spec in specs}


def _none_reason(spec: fields.Field, unfit: dict[str, str]) -> str:
    reason = f"no column looks like '{spec.label}'"
    if spec.kind in ("partner", "partners") and unfit:
        reason += " (" + "; ".join(f"'{c}': {w}" for c, w in unfit.items()) + ")"
    return reason


def _known_share(series: pd.Series, known: dict[str, int]) -> float:
    """The share of a column's distinct values that are known partners (a quick look: its top cells)."""
    distinct = pd.unique(series.iloc[:SAMPLE].dropna().astype(str))
    keys = [values.normalise_partner_name(v) for v in distinct if v.strip()]
    return sum(k in known for k in keys) / len(keys) if keys else 0.0


def confident(suggestions: dict[str, Suggestion], dataset: str) -> bool:
    """True when every required field of ``dataset`` has a column with confidence >= HIGH."""
    return all(
        suggestions[name].column is not None and suggestions[name].confidence >= HIGH
        for name in fields.required_fields(dataset)
    )


# --------------------------------------------------------------------------------------------
# fingerprint
# --------------------------------------------------------------------------------------------


def fingerprint(columns: list[str]) -> str:
    """sha256 (hex) of the normalised, sorted header names: the same tool's next export (same
    headers, other rows, even in another column order or case) has the same fingerprint."""
    text = "\n".join(sorted(normalise_header(c) for c in columns))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# personal data
# --------------------------------------------------------------------------------------------

NAME_HEADERS: frozenset[str] = frozenset(normalise_header(h) for h in (  # columns of people's names
    "Name", "Full name", "First Name", "Last Name", "Surname", "Given name", "Family name",
    "Your name", "Respondent name", "What is your name?", "Forename",
    "RecipientFirstName", "RecipientLastName",
))
PERSONAL_HEADERS: frozenset[str] = NAME_HEADERS | frozenset(normalise_header(h) for h in (
    "RecipientEmail", "Email", "E-mail",
    "Email Address", "E-mail address", "Your email", "Your email address",
    "IPAddress", "IP Address", "IP", "LocationLatitude", "LocationLongitude", "Latitude",
    "Longitude", "Location", "Phone", "Phone number", "Telephone", "Mobile", "Mobile number",
    "ExternalReference", "External reference", "ExternalDataReference",
    # SurveyMonkey's contact-information block (its Company may stand for the partner)
    "Address", "Address 2", "City/Town", "State/Province", "ZIP/Postal Code", "Country",
    "Phone Number", "Email Address",
    "EmailAddress",  # Qualtrics' legacy export
))
_ORGANISATION_WORDS = frozenset({"organisation", "organisations", "company", "employer",
                                 "partner", "org", "firm", "agency"})


def _is_organisation(forms: list[tuple[str, str]]) -> bool:
    partner_names = set(_names(next(f for f in fields.DATASETS["survey"] if f.name == "partner")))
    return any(text in partner_names or set(text.split()) & _ORGANISATION_WORDS
               for text, *_ in forms)


def _personal_header(text: str) -> bool:
    return text in PERSONAL_HEADERS or "email" in text.split() or "e mail" in text


def personal_data_columns(frame: pd.DataFrame,
                          question_text: dict[str, str] | None = None) -> list[str]:
    """Columns holding names, emails, IP addresses, locations or phone numbers: by header or
    question text, and by content (mostly emails or IP addresses). Never the organisation
    column. Meant for survey exports (where ``Name`` is a person, not a task)."""
    question_text = question_text or {}
    found: list[str] = []
    for column in frame.columns:
        forms = _header_forms(str(column), question_text.get(column))
        if _is_organisation(forms):
            continue
        if any(_personal_header(text) for text, *_ in forms):
            found.append(column)
            continue
        sample = _sample(frame[column])
        if len(sample) == 0:
            continue
        rate = (sample.str.match(_EMAIL) | sample.str.match(_IPV4) | sample.str.match(_IPV6)).mean()
        if rate > 0.5:
            found.append(column)
    return found


def name_columns(columns: list[str], question_text: dict[str, str] | None = None) -> list[str]:
    """The columns among ``columns`` (personal-data columns) whose header says they hold people's names."""
    question_text = question_text or {}
    return [c for c in columns if any(text in NAME_HEADERS for text, *_ in _header_forms(str(c), question_text.get(c)))]


# --------------------------------------------------------------------------------------------
# survey columns -> instrument items
# --------------------------------------------------------------------------------------------


@dataclass
class ItemMatch:
    columns: dict[str, str] = field(default_factory=dict)  # column -> item_id
    unmatched: list[str] = field(default_factory=list)  # question-like columns matching no item


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00b4": "'", "`": "'",
                         "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-",
                         "\u2011": "-", "\u00a0": " "})
_TAGS = re.compile(r"<[^>]+>")

# headers the survey tools add around the answers (normalised), never "unmatched" questions
METADATA_HEADERS: frozenset[str] = frozenset(normalise_header(h) for h in (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage", "Q_RecaptchaScore", "Q_RelevantIDDuplicate",
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
    "First Name", "Last Name", "Custom Data 1", "Custom Data", "ID", "Start time",
    "Completion time", "Email", "Name", "Last modified time", "Timestamp", "Score",
    "Total points", "Quiz feedback", "Date Created", "Date Modified", "Submission ID",
    # Qualtrics' legacy export (V1..V10 are its metadata columns)
    "ResponseID", "ResponseSet", "ExternalDataReference", "EmailAddress", "LocationAccuracy",
    *(f"V{i}" for i in range(1, 11)),
))


def normalise_text(text: str) -> str:
    """Question text for comparison: HTML tags gone, curly quotes and dashes straightened,
    case folded, whitespace collapsed, surrounding quotes and trailing punctuation dropped."""
    text = unicodedata.normalize("NFKC", _TAGS.sub(" ", str(text))).translate(_QUOTES)
    text = " ".join(text.casefold().split())
    return text.strip(" '\"").rstrip(" .?!:;*").strip(" '\"")


def _text_forms(text: str | None) -> list[str]:
    """The whole text and each statement it may hold as a grid question (``grids``)."""
    if not text:
        return []
    clean = " ".join(unicodedata.normalize("NFKC", _TAGS.sub(" ", str(text))).split())
    forms = [normalise_text(clean), *(normalise_text(s) for s in grids.statements(clean))]
    return [f for f in dict.fromkeys(forms) if f]


def _compact(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).casefold())


def match_items(frame_columns: list[str], question_text: dict[str, str] | None,
                items: pd.DataFrame, ignore: set[str] | None = None) -> ItemMatch:
    """Which column answers which instrument item.

    A column matches an item when its name is the item id (any case; ``SG_1`` also matches
    ``SG1`` when that is unambiguous), or its name or question text is the item's text after
    :func:`normalise_text`, also counting only a grid question's statement (``Title [statement]``,
    ``Title - statement``, ``Title: statement``, ``Title.statement``: :mod:`grids`). Each
    item goes to its first matching column; a later column matching the same item is unmatched.
    ``unmatched`` lists the question-like columns that matched no item: columns in ``ignore``
    (already mapped), known tool metadata and personal-data headers are left out."""
    question_text = question_text or {}
    ignore = set(ignore or ())
    ids = [str(i) for i in items["item_id"]]
    by_id = {i.casefold(): i for i in ids}
    compact_ids: dict[str, list[str]] = {}
    for i in ids:
        compact_ids.setdefault(_compact(i), []).append(i)
    compact_cols: dict[str, int] = {}
    for column in frame_columns:
        compact_cols[_compact(column)] = compact_cols.get(_compact(column), 0) + 1
    by_text: dict[str, str] = {}
    for item_id, text in zip(ids, items["text"]):
        key = normalise_text(text)
        if key:
            by_text.setdefault(key, item_id)

    result = ItemMatch()
    taken: set[str] = set()
    candidates = [c for c in frame_columns if c not in ignore]

    def assign(column: str, item_id: str) -> None:
        if item_id not in taken:
            result.columns[column] = item_id
            taken.add(item_id)

    for column in candidates:  # ids first: an id match beats a text match elsewhere
        item_id = by_id.get(str(column).strip().casefold())
        if item_id is None:
            key = _compact(column)
            if key and len(compact_ids.get(key, [])) == 1 and compact_cols.get(key) == 1:
                item_id = compact_ids[key][0]
        if item_id is not None:
            assign(column, item_id)
    for column in candidates:
        if column in result.columns:
            continue
        for text in (*_text_forms(question_text.get(column)), *_text_forms(column)):
            if text in by_text:
                assign(column, by_text[text])
                break

    for column in candidates:
        if column in result.columns:
            continue
        forms = _header_forms(str(column), question_text.get(column))
        if any(text in METADATA_HEADERS or text in PERSONAL_HEADERS for text, *_ in forms):
            continue
        if any(text in _survey_field_names() for text, *_ in forms):
            continue
        result.unmatched.append(column)
    return result


def _survey_field_names() -> set[str]:
    out: set[str] = set()
    for spec in fields.DATASETS["survey"]:
        out.update(_names(spec))
    return out


__all__ = [
    "HIGH", "Suggestion", "suggest_mapping", "confident", "fingerprint", "normalise_header",
    "personal_data_columns", "PERSONAL_HEADERS", "NAME_HEADERS", "name_columns", "ItemMatch", "match_items",
    "normalise_text",
    "METADATA_HEADERS",
]
