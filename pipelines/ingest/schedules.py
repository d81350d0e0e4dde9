"""Schedules: the native files of the planning tools as tables, and which rows of a plan are milestones.

* Primavera P6 ``.xer`` (File > Export > Primavera PM): tab-separated tables, each a ``%T`` line
  (its name), a ``%F`` line (its fields) and ``%R`` lines (its records), cp1252. Read directly: the
  format is a few lines to read, and reading it here keeps each activity's line number for messages
  (the PyPI parsers build objects we would flatten again and drop the line numbers).
* Microsoft Project XML (Save As > XML, the MSPDI schema): ``<Task>`` elements with ``<Milestone>``,
  ``<Summary>``, ``<OutlineLevel>``, ``<Baseline>`` and ``<ActualFinish>``; ``<Assignment>``\\ s tie
  tasks to ``<Resource>``\\ s.

Each becomes a :class:`readers.RawTable` with the columns a planner sees in the tool (``Activity ID``,
``Planned Finish``, ``Resource Names``, one column per activity code or custom field), so the usual
mapping suggests, asks and remembers the columns (the owner partner from a resource, the WBS or an
activity code); then :func:`milestone_rows`, the one rule for every schedule (CSV exports too),
keeps the milestones.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.ingest import values
from pipelines.ingest.mapping import normalise_header
from pipelines.ingest.readers import RawTable, ReadError, _decode, _plural

# ------------------------------------------------------------------------------------------------
# milestones only
# ------------------------------------------------------------------------------------------------
# header names (normalised as mapping.normalise_header does) of the columns that flag a plan's rows
MILESTONE_FLAGS = ("milestone", "is milestone", "milestone flag", "key milestone", "is a milestone")
SUMMARY_FLAGS = ("summary", "is summary", "summary task")
DURATIONS = ("duration", "original duration", "planned duration", "baseline duration", "dur")
OUTLINE_LEVELS = ("outline level", "level", "outline number", "wbs level")
# 0 days, 0d, 0 hrs, 0 edays, 0 wks, 0.0 days?, 0 jours, 0 Tage, 0, PT0H0M0S: zero in any unit
_ZERO = re.compile(r"^(?:0+(?:[.,]0+)?\s*[^\W\d_]*\.?\??|PT0H0M0S)$", re.IGNORECASE)


@dataclass
class Milestones:
    """Which rows of a plan are milestones, and the note that says what was skipped and why."""
    keep: np.ndarray  # bool per row
    note: str | None


def milestone_rows(frame: pd.DataFrame, outline: list[int] | None = None) -> Milestones:
    """The plan's milestones: rows flagged Milestone (Yes/True/1) or of zero duration (``0 days``,
    ``0d``, ``0 hrs``, ``0 edays``); never a summary row (flagged Summary, or a row whose next row sits
    deeper in the outline: an outline level column, else ``outline``, the workbook's row grouping, as
    Smartsheet exports its hierarchy). A plan with none of those columns is a milestone list: every row
    is kept."""
    by_name = {normalise_header(c): c for c in frame.columns}
    flag = next((by_name[n] for n in MILESTONE_FLAGS if n in by_name and _flags(frame[by_name[n]]) is not None), None)
    duration = next((by_name[n] for n in DURATIONS if n in by_name), None)
    summary = next((by_name[n] for n in SUMMARY_FLAGS if n in by_name and _flags(frame[by_name[n]]) is not None),
                   None)
    level = next((frame[by_name[n]] for n in OUTLINE_LEVELS if n in by_name), None)
    if level is None and outline is not None:
        level = pd.Series(outline, dtype="int64")
    n = len(frame)
    if flag is None and duration is None:
        return Milestones(np.ones(n, dtype=bool), None)
    milestone = np.zeros(n, dtype=bool)
    if flag is not None:
        milestone |= _flags(frame[flag])
    if duration is not None:
        text = frame[duration].astype(object).where(frame[duration].notna(), "")
        milestone |= np.array([bool(_ZERO.match(str(t).strip())) for t in text], dtype=bool)
    is_summary = _flags(frame[summary]) if summary is not None else np.zeros(n, dtype=bool)
    if level is not None:
        is_summary |= _parents(level)
    milestone &= ~is_summary
    skipped_summary = int(is_summary.sum())
    skipped_tasks = n - int(milestone.sum()) - skipped_summary
    if not skipped_summary and not skipped_tasks:
        return Milestones(milestone, None)
    decided = " or ".join(f"'{c}'" for c in (flag, duration) if c is not None)
    parts = [_plural(skipped_tasks, "ordinary task")] if skipped_tasks else []
    parts += [_plural(skipped_summary, "summary row")] if skipped_summary else []
    note = (f"Kept the {_plural(int(milestone.sum()), 'milestone')} of this plan ({decided} marks them): "
            f"{' and '.join(parts)} skipped. If a skipped row is a milestone, give it zero duration or set "
            "its Milestone flag in the plan, and export again.")
    return Milestones(milestone, note)


# ------------------------------------------------------------------------------------------------
# two schedules in one programme
# ------------------------------------------------------------------------------------------------
SCHEDULE_SEPARATOR = ": "  # a named schedule's milestone ids: '<schedule>: <id>'
_EXAMPLES = 2


def kept_apart(schedule: str, ids: pd.Series) -> pd.Series:
    """The milestone ids of the schedule named ``schedule``, kept apart from other schedules' ids."""
    prefix = schedule.strip() + SCHEDULE_SEPARATOR
    return ids.map(lambda i: i if i is None or pd.isna(i) else prefix + str(i))


@dataclass(frozen=True)
class Clash:
    """A file whose milestone ids another schedule already uses for other milestones: one of them
    would silently replace the other's (P6 activity ids A1000, A1010...; Microsoft Project's 1, 2...)."""
    source: str                                  # the file that loaded the other schedule (its latest)
    differing: int                               # ids used there with another title
    shared: int                                  # ids of this file used there at all
    examples: tuple[tuple[str, str, str], ...]   # (id, title there, title here)

    @property
    def question(self) -> str:
        shown = "; ".join(f"{i}: '{there}' there, '{here}' here" for i, there, here in self.examples)
        return (f"{self.differing} of this file's {self.shared} milestone ids that '{self.source}' already "
                f"loaded name other milestones there ({shown}). Say whether this file replaces that "
                "schedule (a new version of it) or is another schedule, named so its ids are kept apart.")


def clash(cursor, rows: pd.DataFrame) -> Clash | None:
    """Whether the milestones ``rows`` (milestone_id, title) look like another schedule than the
    current one with the same ids: more than half of the shared ids, and at least two, have another
    title (a refreshed export renames a few milestones, a different plan nearly all)."""
    given = rows.dropna(subset=["milestone_id"]).drop_duplicates("milestone_id")
    if given.empty:
        return None
    found = cursor.execute("""
        SELECT m.milestone_id, m.title, b.source_name FROM milestones m JOIN batches b USING (batch_id)
        WHERE m.current AND list_contains(?::VARCHAR[], m.milestone_id)
        ORDER BY b.batch_id DESC, m.milestone_id""", [given["milestone_id"].astype(str).tolist()]).fetchall()
    here = dict(zip(given["milestone_id"].astype(str), given["title"]))
    # a blank title (a column left unmapped, a re-export without it) tells nothing either way
    differing = [(i, there, here[i]) for i, there, _ in found
                 if _title(there) and _title(here[i]) and _title(there) != _title(here[i])]
    if len(differing) < 2 or 2 * len(differing) <= len(found):
        return None
    return Clash(found[0][2], len(differing), len(found), tuple(
        (i, there or "", here_title or "") for i, there, here_title in differing[:_EXAMPLES]))


def _title(text) -> str:
    return "" if text is None or (not isinstance(text, str) and pd.isna(text)) else " ".join(str(text).lower().split())


def _flags(column: pd.Series) -> np.ndarray | None:
    """Yes/No, True/False, 1/0 as booleans (blank is no); None when most cells are something else."""
    parsed, unknown = values.parse_bool(column)
    if unknown.mean() > 0.1:
        return None
    return parsed.fillna(False).to_numpy(dtype=bool)


def _parents(levels: pd.Series) -> np.ndarray:
    """Rows followed by a row deeper in the outline (``2`` after ``1``; ``1.2`` after ``1``)."""
    text = levels.astype(object).where(levels.notna(), "").astype(str).str.strip()
    depth = np.array([t.count(".") + 1 if "." in t else int(t) if t.isdigit() else -1 for t in text])
    deeper = np.zeros(len(depth), dtype=bool)
    deeper[:-1] = (depth[1:] > depth[:-1]) & (depth[:-1] >= 0)
    return deeper


# ------------------------------------------------------------------------------------------------
# Primavera P6 XER
# ------------------------------------------------------------------------------------------------
TASK_TYPES = {"TT_Task": "Task Dependent", "TT_Rsrc": "Resource Dependent", "TT_LOE": "Level of Effort",
              "TT_Mile": "Start Milestone", "TT_FinMile": "Finish Milestone", "TT_WBS": "WBS Summary"}
_STATUS = {"TK_NotStart": "Not Started", "TK_Active": "In Progress", "TK_Complete": "Completed"}


def is_xer(data: bytes) -> bool:
    """P6 writes an ERMHDR line first; a file saved without it starts at its first table."""
    return data.lstrip(b"\xef\xbb\xbf")[:6] in (b"ERMHDR", b"%T\tCUR", b"%T\tPRO")


def _xer_tables(text: str) -> dict[str, tuple[list[str], list[tuple[int, list[str]]]]]:
    """Table name -> (fields, [(line number, values)])."""
    tables: dict[str, tuple[list[str], list[tuple[int, list[str]]]]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        kind, _, rest = line.partition("\t")
        if kind == "%T":
            current = tables.setdefault(rest.strip(), ([], []))
        elif kind == "%F" and current is not None:
            current[0][:] = rest.split("\t")
        elif kind == "%R" and current is not None:
            current[1].append((number, rest.split("\t")))
    return tables


def _records(tables, name: str) -> list[dict[str, str]]:
    fields, rows = tables.get(name, ([], []))
    return [dict(zip(fields, row), _line=line) for line, row in rows]


def read_xer(name: str, data: bytes, notes: list[str]) -> RawTable:
    text, encoding, _ = _decode(name, data, [])  # P6 writes cp1252; the note below says what was read
    tables = _xer_tables(text)
    tasks = _records(tables, "TASK")
    if not tasks:
        raise ReadError(f"'{name}' is a Primavera P6 export (XER) with no activities (no TASK table). "
                        "Export the project again from P6 with its activities (File > Export > XER).")
    projects = {r.get("proj_id"): r.get("proj_short_name", "") for r in _records(tables, "PROJECT")}
    wbs = {r.get("wbs_id"): r for r in _records(tables, "PROJWBS")}
    resources = {r.get("rsrc_id"): r.get("rsrc_name") or r.get("rsrc_short_name") for r in _records(tables, "RSRC")}
    assigned: dict[str, list[str]] = {}
    for r in _records(tables, "TASKRSRC"):
        if resources.get(r.get("rsrc_id")):
            assigned.setdefault(r.get("task_id"), []).append(resources[r["rsrc_id"]])
    code_types = {r.get("actv_code_type_id"): r.get("actv_code_type") for r in _records(tables, "ACTVTYPE")}
    codes = {r.get("actv_code_id"): r.get("actv_code_name") or r.get("short_name")
             for r in _records(tables, "ACTVCODE")}
    task_codes: dict[str, dict[str, str]] = {}
    udf_labels = {r.get("udf_type_id"): r.get("udf_type_label") for r in _records(tables, "UDFTYPE")
                  if r.get("table_name") == "TASK"}
    for r in _records(tables, "UDFVALUE"):  # user-defined fields of activities
        label = udf_labels.get(r.get("udf_type_id"))
        value = r.get("udf_text") or r.get("udf_date") or r.get("udf_number")
        if label and value:
            task_codes.setdefault(r.get("fk_id"), {})[label] = value
    for r in _records(tables, "TASKACTV"):
        kind, code = code_types.get(r.get("actv_code_type_id")), codes.get(r.get("actv_code_id"))
        if kind and code:
            task_codes.setdefault(r.get("task_id"), {})[kind] = code

    rows = []
    for t in tasks:
        start_type = t.get("task_type") == "TT_Mile"  # a start milestone's date is its start
        end = "start" if start_type else "end"
        row = {
            "Project": projects.get(t.get("proj_id")),
            "Activity ID": t.get("task_code"), "Activity Name": t.get("task_name"),
            "Activity Type": TASK_TYPES.get(t.get("task_type"), t.get("task_type")),
            "Milestone": "Yes" if t.get("task_type") in ("TT_Mile", "TT_FinMile") else "No",
            "Summary": "Yes" if t.get("task_type") == "TT_WBS" else "No",
            "WBS": _wbs_path(wbs, t.get("wbs_id")), "WBS Name": (wbs.get(t.get("wbs_id")) or {}).get("wbs_name"),
            "Primary Resource": resources.get(t.get("rsrc_id")),
            "Resources": "; ".join(dict.fromkeys(assigned.get(t.get("task_id"), []))) or None,
            "Planned Finish": t.get(f"target_{end}_date"),
            "Finish": t.get(f"act_{end}_date") or t.get(f"re{end}_date") or t.get(f"early_{end}_date"),
            "Actual Finish": t.get(f"act_{end}_date"),
            "Status": _STATUS.get(t.get("status_code"), t.get("status_code")),
        }
        row.update(task_codes.get(t.get("task_id"), {}))
        rows.append(row)
    _name_repeated_ids(rows, notes)
    frame = _frame(rows)
    notes.append(f"Read as a Primavera P6 export (XER): {len(rows)} activit{'y' if len(rows) == 1 else 'ies'}"
                 + (f" of {', '.join(repr(p) for p in dict.fromkeys(projects.values()) if p)}" if projects else "")
                 + ". 'Planned Finish' is P6's planned date (a P6 baseline is a separate project, not in this "
                   "file); activity codes are columns of their own.")
    return RawTable(frame=frame, source_rows=[t["_line"] for t in tasks], encoding=encoding, delimiter="\t",
                    sheet=None, sheets=[], header_rows=0, source_format="primavera-xer", notes=notes)


def _name_repeated_ids(rows: list[dict], notes: list[str]) -> None:
    """P6 keeps an activity ID unique within its project only: in a file of several projects, an ID
    used by more than one is read as '<project> <activity ID>', so each stays its own milestone."""
    projects: dict[str, set] = {}
    for row in rows:
        projects.setdefault(row["Activity ID"], set()).add(row["Project"])
    repeated = {code for code, where in projects.items() if code and len(where) > 1}
    renamed = []
    for row in rows:
        if row["Activity ID"] in repeated:
            row["Activity ID"] = f"{row['Project'] or '(no project)'} {row['Activity ID']}"
            renamed.append(row["Activity ID"])
    if repeated:
        several = len(repeated) > 1
        notes.append(f"{len(repeated)} activity ID{'s' if several else ''} "
                     f"({', '.join(sorted(repeated)[:3])}{', ...' if len(repeated) > 3 else ''}) "
                     f"appear{'' if several else 's'} in more than one of the file's projects: each is read "
                     f"with its project's short name in front ('{renamed[0]}').")


def _wbs_path(wbs: dict, wbs_id: str | None) -> str | None:
    parts, seen = [], set()
    while wbs_id in wbs and wbs_id not in seen:
        seen.add(wbs_id)
        parts.append(wbs[wbs_id].get("wbs_short_name") or "")
        wbs_id = wbs[wbs_id].get("parent_wbs_id")
    return ".".join(reversed([p for p in parts if p])) or None


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Every cell a str or None, columns in the order first seen, blank cells None."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    frame = pd.DataFrame({c: np.array([_cell(row.get(c)) for row in rows], dtype=object) for c in columns},
                         dtype=object)
    frame.index = pd.RangeIndex(len(frame))
    return frame


def _cell(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# ------------------------------------------------------------------------------------------------
# Microsoft Project XML
# ------------------------------------------------------------------------------------------------
_NO_RESOURCE = "-65535"  # MS Project's resource UID of an assignment without a resource
_DURATION = re.compile(r"^-?PT(?P<h>\d+)H(?P<m>\d+)M(?P<s>\d+)S$")


def looks_like_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"<?xml", b"<Project")) or head.startswith(b"\xff\xfe<\x00") or head.startswith(
        b"\xfe\xff\x00<")


def read_project_xml(name: str, data: bytes, notes: list[str]) -> RawTable:
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:  # MSPDI has neither; entities can explode
        raise ReadError(f"'{name}' is an XML file with a document type or entities, which Microsoft Project "
                        "never writes; it is not read. Save the plan again from Project as XML.")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as problem:
        raise ReadError(f"'{name}' is not well-formed XML ({problem}). Save the plan again from Microsoft "
                        "Project (File > Save As > XML format).") from None
    if root.tag.rsplit("}", 1)[-1] != "Project" or root.find("{*}Tasks") is None:
        tag = root.tag.rsplit("}", 1)[-1]
        raise ReadError(f"'{name}' is XML but not a Microsoft Project plan (its root is <{tag}> with no "
                        "<Tasks>). Save the plan from Project as XML, or export CSV.")
    aliases = {_text(a, "FieldID"): _text(a, "Alias") or _text(a, "FieldName")
               for a in root.iterfind("{*}ExtendedAttributes/{*}ExtendedAttribute")}
    resources = {_text(r, "UID"): _text(r, "Name") for r in root.iterfind("{*}Resources/{*}Resource")}
    assigned: dict[str, list[str]] = {}
    for a in root.iterfind("{*}Assignments/{*}Assignment"):
        uid = _text(a, "ResourceUID")
        if uid != _NO_RESOURCE and resources.get(uid):
            assigned.setdefault(_text(a, "TaskUID"), []).append(resources[uid])
    rows, source_rows = [], []
    for task in root.iterfind("{*}Tasks/{*}Task"):
        if _text(task, "IsNull") == "1":
            continue
        baseline = next((b for b in task.iterfind("{*}Baseline") if _text(b, "Number") in ("0", None)), None)
        row = {
            "Unique ID": _text(task, "UID"), "ID": _text(task, "ID"), "WBS": _text(task, "WBS"),
            "Outline Level": _text(task, "OutlineLevel"), "Name": _text(task, "Name"),
            "Duration": _hours(_text(task, "Duration")),
            "Milestone": _yes(_text(task, "Milestone")), "Summary": _yes(_text(task, "Summary")),
            "Start": _text(task, "Start"), "Finish": _text(task, "Finish"),
            "Baseline Start": _text(baseline, "Start"), "Baseline Finish": _text(baseline, "Finish"),
            "Actual Start": _text(task, "ActualStart"), "Actual Finish": _text(task, "ActualFinish"),
            "% Complete": _text(task, "PercentComplete"),
            "Resource Names": "; ".join(dict.fromkeys(assigned.get(_text(task, "UID"), []))) or None,
        }
        for attribute in task.iterfind("{*}ExtendedAttribute"):
            field = _text(attribute, "FieldID")
            row[aliases.get(field) or f"Custom field {field}"] = _text(attribute, "Value")
        rows.append(row)
        source_rows.append(int(_text(task, "ID") or 0))
    if not rows:
        raise ReadError(f"'{name}' is a Microsoft Project plan with no tasks. Save the plan with its tasks as XML.")
    notes.append(f"Read as a Microsoft Project plan (XML): {_plural(len(rows), 'task')}; row numbers are the "
                 "tasks' IDs in Project, baseline dates are baseline 0.")
    return RawTable(frame=_frame(rows), source_rows=source_rows, encoding="xml", delimiter=None, sheet=None,
                    sheets=[], header_rows=0, source_format="msproject-xml", notes=notes)


def _text(element, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(f"{{*}}{tag}")
    return None if found is None or found.text is None else found.text.strip()


def _yes(flag: str | None) -> str | None:
    return None if flag is None else "Yes" if flag == "1" else "No"


def _hours(duration: str | None) -> str | None:
    """``PT16H0M0S`` -> ``16 hrs`` (the working time MS Project writes)."""
    found = _DURATION.match(duration or "")
    if not found:
        return duration
    hours = int(found["h"]) + int(found["m"]) / 60 + int(found["s"]) / 3600
    return f"{hours:g} hrs"


__all__ = ["Milestones", "is_xer", "looks_like_xml", "milestone_rows", "read_project_xml", "read_xer"]
