"""Canonical datasets and their fields, in the programme's words.

Each dataset is what a user uploads (``--dataset`` on the command line, a choice on the
Data page). A field lists the header names real tools use for it (``synonyms``), which
the column mapper matches against a file's headers. Templates are built from these too.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool
    help: str
    synonyms: tuple[str, ...] = field(default=())
    kind: str = "text"  # text | date | number | bool | partner | partners


WAVE = Field("wave", "Wave", False,
             "Survey wave such as 2025-Q3 or 2025-03; or set one wave for the whole file.",
             ("Wave", "Survey wave", "Period", "Round", "Pulse"), "text")

DATASETS: dict[str, tuple[Field, ...]] = {
    "survey": (
        Field("respondent_id", "Respondent id", False,
              "The tool's id for one response; pseudonymised before it is stored. Without it, "
              "a response is keyed by its answers.",
              ("ResponseId", "Response ID", "Respondent ID", "Respondent", "ID", "Record ID",
               "Submission ID", "Response Id", "RespondentId")),
        Field("partner", "Partner organisation", True,
              "Which partner organisation the respondent works for.",
              ("Partner", "Organisation", "Organization", "Company", "Employer",
               "Which organisation do you work for?", "Which organization do you work for?",
               "Your organisation", "Org"), "partner"),
        Field("response_date", "Response date", False,
              "When the response was completed; gives the wave when no wave column is mapped.",
              ("RecordedDate", "EndDate", "End Date", "Completion time", "Timestamp",
               "Date Modified", "Submitted", "Submitted at", "Date", "Response date"), "date"),
        WAVE,
    ),
    "instrument": (
        Field("item_id", "Item id", True, "Short id of the question, as the survey export names it.",
              ("Item", "Item ID", "Question ID", "QID", "Code", "Id")),
        Field("text", "Question text", True, "The statement respondents rate.",
              ("Question", "Question text", "Statement", "Wording", "Text")),
        Field("factor", "Factor", True,
              "One of: shared goals, joint governance, psychological safety, open communication, "
              "mutual accountability.", ("Factor", "Dimension", "Construct", "Scale")),
        Field("scale_min", "Scale minimum", True, "Lowest answer value, usually 1.",
              ("Scale min", "Min", "Minimum", "Low"), "number"),
        Field("scale_max", "Scale maximum", True, "Highest answer value, 5 or 7.",
              ("Scale max", "Max", "Maximum", "High", "Points"), "number"),
        Field("reverse_scored", "Reverse-scored", True,
              "Yes when agreeing means less collaboration.",
              ("Reverse", "Reverse scored", "Reversed", "Negative", "Reverse-scored"), "bool"),
    ),
    "milestones": (
        Field("milestone_id", "Milestone id", True, "Unique id of the milestone in the schedule.",
              ("Unique ID", "ID", "Task ID", "Activity ID", "Milestone ID", "WBS", "Row ID", "Ref")),
        Field("title", "Title", False, "Name of the milestone.",
              ("Name", "Task Name", "Activity Name", "Milestone", "Title", "Description")),
        Field("owners", "Owner partner(s)", True,
              "Partner that owns the milestone; several separated by ';' for a joint milestone.",
              ("Owner", "Owners", "Partner", "Resource Names", "Responsible", "Assigned To",
               "Owner organisation", "Delivery partner"), "partners"),
        Field("baseline_date", "Baseline date", True, "The date it was planned for.",
              ("Baseline Finish", "Baseline", "Baseline Date", "Planned Finish", "BL Finish",
               "Baseline End", "Planned Date", "Due Date"), "date"),
        Field("forecast_date", "Forecast date", False, "The date it is now expected.",
              ("Finish", "Forecast Finish", "Forecast", "Forecast Date", "End Date", "End", "Finish Date"),
              "date"),
        Field("actual_date", "Actual date", False, "The date it was achieved; blank if not yet.",
              ("Actual Finish", "Actual Date", "Actual", "Completed", "Actual End",
               "Date Completed"), "date"),
        Field("status", "Status", False, "Not started, in progress, complete, ...",
              ("Status", "State", "Progress", "RAG")),
    ),
    "issues": (
        Field("issue_id", "Issue id", True, "Unique id of the issue, risk or dispute.",
              ("Issue key", "Key", "ID", "Ref", "Reference", "Issue ID", "RAID ID", "Risk ID",
               "Number")),  # ServiceNow's incident number
        Field("title", "Title", False, "Short description.",
              ("Summary", "Title", "Description", "Issue", "Subject", "Short description")),
        Field("kind", "Kind", False, "Issue, risk, dispute, ...",
              ("Issue Type", "Type", "Category", "RAID type", "Kind")),
        Field("raised_by", "Raised by (partner)", True, "Partner organisation that raised it.",
              ("Raised by", "Raised By Partner", "Reporter Organisation", "Raised by organisation",
               "Originator", "Custom field (Raised by partner)", "Company"), "partner"),
        Field("owned_by", "Owned by (partner)", False, "Partner organisation whose work it concerns.",
              ("Owned by", "Owner", "Owner Organisation", "Responsible partner", "Action owner",
               "Custom field (Owning partner)", "Component/s"), "partner"),
        Field("raised_date", "Raised date", True, "When it was raised.",
              ("Created", "Date raised", "Raised", "Raised on", "Date logged", "Opened", "Opened at"), "date"),
        Field("resolved_date", "Resolved date", False, "When it was resolved; blank if open.",
              ("Resolved", "Date resolved", "Resolution date", "Closed", "Date closed",
               "Closed on", "Resolved at"), "date"),
        Field("severity", "Severity", False, "Low, medium, high, critical (or a RAG colour).",
              ("Priority", "Severity", "Impact", "RAG", "Rating")),
        Field("status", "Status", False, "Open, in progress, resolved, closed, ...",
              ("Status", "State", "Resolution")),
        Field("escalated", "Escalated", False, "Whether it went to the steering group.",
              ("Escalated", "Escalation", "Escalated?", "Escalated to board",
               "Custom field (Escalated)"), "bool"),
    ),
    "headcount": (
        Field("partner", "Partner organisation", True, "The partner organisation whose staff were invited.",
              ("Partner", "Organisation", "Organization", "Company", "Employer", "Org"), "partner"),
        WAVE,
        Field("date", "Date", False,
              "When the survey was sent (gives the wave when no wave column is mapped); a headcount "
              "counts for its wave and later waves until a newer one.",
              ("Date", "As at", "As of", "Sent", "Date sent", "Survey date", "Distribution date", "Month"),
              "date"),
        Field("invited", "Number invited", True, "How many of the partner's staff were invited to the survey.",
              ("Invited", "Number invited", "Headcount", "Head count", "Staff", "Staff count", "Employees",
               "Invitations", "Invitations sent", "Recipients", "Sample size", "Population", "Distributed"),
              "number"),
    ),
    "partners": (
        Field("name", "Partner name", True, "The name to show for the partner.",
              ("Partner", "Name", "Organisation", "Organization", "Company")),
        Field("aliases", "Other names", False,
              "Other spellings used in exports, separated by ';'.",
              ("Aliases", "Also known as", "Other names", "AKA")),
    ),
}

# What a dataset is, as a noun in a sentence ("the issue log upload", "Undo of the survey responses")
DATASET_NOUNS = {
    "survey": "survey responses",
    "instrument": "survey questions",
    "milestones": "milestone plan",
    "issues": "issue log",
    "partners": "partner list",
    "headcount": "headcount list",
}


def field_names(dataset: str) -> tuple[str, ...]:
    return tuple(f.name for f in DATASETS[dataset])


def required_fields(dataset: str) -> tuple[str, ...]:
    return tuple(f.name for f in DATASETS[dataset] if f.required)


def instrument_questions(cursor):
    """The current instrument's questions (item_id, text, scale_min, scale_max) in the instrument's
    order: the order of the file that loaded them (``rowid`` keeps a batch's rows in the order they
    were inserted, in DuckDB and in DuckLake)."""
    return cursor.execute("SELECT item_id, text, scale_min, scale_max FROM instrument_items WHERE current "
                          "ORDER BY batch_id, rowid").df()


def template(dataset: str, cursor=None) -> bytes:
    """A CSV with the dataset's fields as headers: a starting point for a spreadsheet.

    With a cursor, the survey template also has one column per question of the current instrument
    (headed by its item id), in the instrument's order (the default instrument's when none is loaded)."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset '{dataset}'. Choose one of: {', '.join(DATASETS)}.")
    labels = [f.label for f in DATASETS[dataset]]
    if dataset == "survey" and cursor is not None:
        ids = list(instrument_questions(cursor)["item_id"])
        if not ids:  # loading a survey into a store without an instrument installs the default one
            from pipelines.programme.instrument import default_item_ids

            ids = default_item_ids()
        labels += ids
    return (",".join(f'"{label}"' for label in labels) + "\r\n").encode("utf-8-sig")
