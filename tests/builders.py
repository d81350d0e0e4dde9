"""Builders that put a test's rows into a real Store the way a programme office does.

Each ``load`` writes the rows as one small export file, in the shape the tool that makes it
writes, and loads it through the product's own ``ingest.prepare`` and ``ingest.commit``:
one batch, numbered like any upload. ``undo`` is ``ingest.undo``. The files:

- partners (``add_partners``) and the instrument: the product's templates;
- a survey: a wide export, one row per respondent and wave, with the respondent id, the
  partner, the wave and one column per item of the current instrument (blank where skipped);
- milestones: an MS Project CSV (a locale with ISO dates; ``NA`` for an empty date);
- issues: a Jira CSV export (its date format; the partners in custom fields).

A builder refuses what the product would not load as the test asked (a question only a person
can answer, an invalid row, an answer to an item the instrument does not have, a file already
loaded), so a test never loads less than it says. No mocks and no SQL of its own.
"""
from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines import ingest  # noqa: E402
from pipelines.ingest import privacy  # noqa: E402
from pipelines.ingest.fields import field_names  # noqa: E402
from pipelines.programme import waves  # noqa: E402
from pipelines.programme.factors import FACTORS, label  # noqa: E402

Rows = pd.DataFrame | Sequence[Mapping]


def add_partners(store, names: Iterable[str]) -> dict[str, int]:
    """Load a partners file naming ``names`` (the next ids, in order); return name -> id."""
    names = list(names)
    _commit(store, "partners", "partners.csv", _template_csv("partners", [{"name": n} for n in names]))
    ids = {name: pid for pid, name in _partner_names(store).items()}
    return {name: ids[name] for name in names}


def load(store, table: str, rows: Rows, *, source: str | None = None) -> int:
    """Load ``rows`` of ``table`` as one file (named ``source``, or after its tool); returns its
    batch id (= the version it made)."""
    dataset, name, write = _FILES[table]
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return _commit(store, dataset, source or name, write(store, frame))


def undo(store, batch_id: int) -> int:
    """Undo a batch through the product; returns the version the undo made."""
    ingest.undo(store, batch_id)
    return store.data_version()


def instrument(items_per_factor: int = 2, scale: tuple[int, int] = (1, 5),
               reverse: Iterable[str] = ()) -> list[dict]:
    """Items '<factor>_<i>' for every factor (e.g. 'shared_goals_1')."""
    reverse = set(reverse)
    return [dict(item_id=f"{f}_{i}", text=f"{f} item {i}", factor=f, scale_min=scale[0],
                 scale_max=scale[1], reverse_scored=f"{f}_{i}" in reverse)
            for f in FACTORS for i in range(1, items_per_factor + 1)]


def responses(partner_id: int, wave: str, wave_start: date | str,
              answers: Sequence[Mapping[str, float]], *, prefix: str | None = None) -> list[dict]:
    """Survey answers, one respondent per mapping of item_id -> value; respondent ``j`` has the
    id '<prefix>-r<j>' in the export. The product works a wave's start out from its label, so
    ``load`` refuses a ``wave_start`` other than that one."""
    prefix = prefix or f"p{partner_id}-{wave}"
    return [dict(respondent=f"{prefix}-r{j}", partner_id=partner_id, wave=wave, wave_start=wave_start,
                 item_id=item, value=float(value))
            for j, answer in enumerate(answers) for item, value in answer.items()]


def respondent_key(respondent: str) -> int:
    """The key the product stores for a respondent id of a survey export (this test's salt)."""
    return int(privacy.pseudonymise(pd.Series([f"id:{respondent}"]), privacy.salt()).iloc[0])


def all_items(value: float, items_per_factor: int = 2) -> dict[str, float]:
    """One respondent answering every item of ``instrument()`` with the same value."""
    return {f"{f}_{i}": value for f in FACTORS for i in range(1, items_per_factor + 1)}


# -- the files ----------------------------------------------------------------------------

def _instrument_csv(store, items: pd.DataFrame) -> bytes:
    return _template_csv("instrument", [
        dict(item_id=i.item_id, text=i.text, factor=label(i.factor), scale_min=_number(i.scale_min),
             scale_max=_number(i.scale_max), reverse_scored="Yes" if i.reverse_scored else "No")
        for i in items.itertuples()])


def _survey_csv(store, answers: pd.DataFrame) -> bytes:
    """Wide: the survey template's columns (its fields, then the current instrument's items),
    one row per respondent and wave, in the order given."""
    fields = field_names("survey")
    header = _template_header("survey", store.cursor())
    items = header[len(fields):]
    unknown = sorted(set(answers["item_id"]) - set(items))
    if unknown:
        raise ValueError(f"the instrument has no item {', '.join(unknown)}; load one that has")
    for wave, start in answers[["wave", "wave_start"]].drop_duplicates().itertuples(index=False):
        if waves.wave_start(wave) != pd.Timestamp(start).date():
            raise ValueError(f"wave {wave} starts on {waves.wave_start(wave)}, not {start}")
    names = _partner_names(store)
    keys = ["respondent", "wave", "partner_id"]
    order = answers[keys].drop_duplicates()
    wide = answers.pivot(index=keys, columns="item_id", values="value").reindex(
        index=pd.MultiIndex.from_frame(order), columns=items).map(_number)
    given = {"respondent_id": order["respondent"], "wave": order["wave"],
             "partner": [_name(names, pid) for pid in order["partner_id"]]}
    fronts = zip(*(given.get(f, [""] * len(order)) for f in fields))
    return _csv(header, [list(front) + answered for front, answered in zip(fronts, wide.to_numpy().tolist())],
                bom=True)


MS_PROJECT = ["Unique ID", "Name", "Baseline Finish", "Finish", "Actual Finish", "Resource Names", "Status"]


def _milestones_csv(store, milestones: pd.DataFrame) -> bytes:
    names = _partner_names(store)
    return _csv(MS_PROJECT, [
        [m.milestone_id, m.title, _iso(m.baseline_date), _iso(m.forecast_date), _iso(m.actual_date),
         ";".join(_name(names, pid) for pid in m.owner_partner_ids), m.status]
        for m in milestones.itertuples()])


JIRA = ["Summary", "Issue key", "Issue Type", "Status", "Priority", "Created", "Resolved",
        "Custom field (Raised by partner)", "Custom field (Owning partner)", "Custom field (Escalated)"]


def _issues_csv(store, issues: pd.DataFrame) -> bytes:
    names = _partner_names(store)
    return _csv(JIRA, [
        [i.title, i.issue_id, i.kind, i.status, "" if _missing(i.severity) else i.severity.capitalize(),
         _jira_date(i.raised_date), _jira_date(i.resolved_date), _name(names, i.raised_by_partner_id),
         "" if _missing(i.owned_by_partner_id) else _name(names, i.owned_by_partner_id),
         "" if _missing(i.escalated) else "Yes" if i.escalated else "No"] for i in issues.itertuples()])


_FILES = {  # table -> (dataset, file name, writer)
    "instrument_items": ("instrument", "instrument.csv", _instrument_csv),
    "survey_responses": ("survey", "pulse.csv", _survey_csv),
    "milestones": ("milestones", "schedule.csv", _milestones_csv),
    "issues": ("issues", "jira.csv", _issues_csv),
}


# -- through the product ----------------------------------------------------------------------

def _commit(store, dataset: str, name: str, data: bytes) -> int:
    preview = ingest.prepare(store, dataset, name, data)
    if preview.already_loaded is not None:
        raise ValueError(f"{name}: this very file is loaded already (batch {preview.already_loaded})")
    if preview.questions or preview.unmatched_columns:
        raise ValueError(f"{name}: {preview.questions + preview.unmatched_columns}")
    if not preview.validation.ok:
        raise ValueError(f"{name}: invalid rows\n{preview.validation.failures.to_string()}")
    return ingest.commit(store, preview).batch_id


def _partner_names(store) -> dict[int, str]:
    return ingest.known_partners(store.cursor())[1]


def _name(names: dict[int, str], partner_id) -> str:
    if int(partner_id) not in names:
        raise ValueError(f"there is no partner {partner_id}: add_partners first")
    return names[int(partner_id)]


def _template_header(dataset: str, cursor=None) -> list[str]:
    return next(csv.reader(io.StringIO(ingest.template(dataset, cursor).decode("utf-8-sig"))))


def _template_csv(dataset: str, rows: list[dict]) -> bytes:
    """A file filled in on the dataset's template: ``rows`` map field names to cells."""
    return _csv(_template_header(dataset), [[row.get(f, "") for f in field_names(dataset)] for row in rows],
                bom=True)


def _csv(header: list[str], rows: list[list], *, bom: bool = False) -> bytes:
    """A CSV as spreadsheets write it (CRLF; Excel's byte-order mark when ``bom``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if _missing(cell) else cell for cell in row] for row in rows])
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (list, str)) and pd.isna(value))


def _number(value) -> str:
    return "" if _missing(value) else format(float(value), "g")


def _iso(value) -> str:
    return "NA" if _missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _jira_date(value) -> str:
    return "" if _missing(value) else pd.Timestamp(value).strftime("%d/%b/%y 9:00 AM")
