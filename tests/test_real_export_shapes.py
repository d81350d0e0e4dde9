"""Export shapes checked against real files or the tool's own documentation (sources in each
fixture's generator in fixtures/exports/make_fixtures.py), loaded end to end through
ingest.prepare -> commit, the path of `python -m pipelines load` and the Data page."""
import datetime as dt

import pytest

from pipelines import ingest
from test_import_exports import (ISSUES_SQL, NAMES, answers, load, no_value_anywhere, partner_names,  # noqa: F401
                                 prepare, programme, rows)

D = dt.date


def test_ms_forms_likert_statements_alone_with_last_modified_time(programme):
    # real MS Forms: a Likert statement's column is headed by the statement alone, answers are labels
    preview, result = load(programme, "survey", "ms_forms_likert.xlsx")
    assert preview.mapping["respondent_id"].column == "ID"
    assert preview.mapping["response_date"].column == "Completion time"
    assert preview.mapping["partner"].column == "Which organisation do you work for?"
    assert preview.item_columns == {"We agreed the programme goals together": "SG1",
                                    "Decisions are made jointly": "JG1", "I can raise problems without blame": "PS1"}
    assert {"Email", "Name"} <= set(preview.personal_columns)
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (4, 4, 0)
    assert result.new_partners == []
    assert answers(programme) == [
        ("Eastfield Council", "2025-Q4", "JG1", 4.0), ("Eastfield Council", "2025-Q4", "PS1", 5.0),
        ("Eastfield Council", "2025-Q4", "SG1", 4.0),
        ("Northgate Housing", "2025-Q4", "JG1", 2.0), ("Northgate Housing", "2025-Q4", "JG1", 3.0),
        ("Northgate Housing", "2025-Q4", "PS1", 3.0), ("Northgate Housing", "2025-Q4", "PS1", 4.0),
        ("Northgate Housing", "2025-Q4", "SG1", 4.0), ("Northgate Housing", "2025-Q4", "SG1", 5.0),
        ("Riverside Health Trust", "2025-Q4", "JG1", 1.0), ("Riverside Health Trust", "2025-Q4", "PS1", 4.0),
        ("Riverside Health Trust", "2025-Q4", "SG1", 2.0)]
    assert rows(programme, "SELECT count(DISTINCT respondent_key) FROM survey_responses") == [(4,)]
    no_value_anywhere(programme, r"anonymous")


def test_qualtrics_legacy_export_with_its_trailing_comma_and_localised_labels(programme):
    preview, result = load(programme, "survey", "qualtrics_legacy_real.csv")
    assert (preview.raw.source_format, preview.raw.header_rows) == ("qualtrics", 2)
    assert "" not in preview.raw.frame.columns  # the trailing comma's empty field is no column
    assert preview.mapping["respondent_id"].column == "ResponseID"
    assert preview.item_columns == {"Q2_1": "SG1", "Q2_2": "JG1", "Q2_3": "PS1"}
    assert {"Name", "EmailAddress", "IPAddress", "LocationLatitude", "LocationLongitude"} <= set(
        preview.personal_columns)
    assert (result.rows_in, result.rows_accepted) == (3, 2)  # Finished = 0 left out
    assert answers(programme) == [
        ("Eastfield Council", "2025-Q4", "JG1", 4.0), ("Eastfield Council", "2025-Q4", "PS1", 4.0),
        ("Eastfield Council", "2025-Q4", "SG1", 5.0), ("Riverside Health Trust", "2025-Q4", "JG1", 1.0),
        ("Riverside Health Trust", "2025-Q4", "PS1", 4.0), ("Riverside Health Trust", "2025-Q4", "SG1", 2.0)]
    no_value_anywhere(programme, r"Anonym|192\.0\.2|47\.115|Standard-Antwortsatz")


def test_servicenow_incident_list_exported_directly(programme):
    survey = prepare(programme, "survey", "servicenow_incidents_direct.csv")
    assert not any("looks like a survey" in q for q in survey.questions)
    preview, result = load(programme, "issues", "servicenow_incidents_direct.csv")
    assert preview.raw.encoding == "cp1252"
    assert {f: s.column for f, s in preview.mapping.items()} == {
        "issue_id": "number", "title": "short_description", "kind": "category", "raised_by": "company",
        "owned_by": None, "raised_date": "opened_at", "resolved_date": "resolved_at", "severity": "priority",
        "status": "state", "escalated": None}
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (3, 3, 0)
    assert rows(programme, ISSUES_SQL) == [
        ("INC0020101", "Hub Wi-Fi drops at 9am", "Network", "Northgate Housing", None, D(2025, 10, 2),
         D(2025, 10, 2), "high", "Resolved", None),
        ("INC0020102", "Referral form rejects NHS numbers – “invalid”", "Software", "Riverside Health Trust", None,
         D(2025, 10, 6), D(2025, 10, 7), "critical", "Closed", None),
        ("INC0020103", "New starter laptops, café site", "Hardware", "Eastfield Council", None, D(2025, 10, 20),
         None, "low", "In Progress", None)]  # no escalation column: unknown
    assert partner_names(programme) == NAMES
    no_value_anywhere(programme, r"Priya|Wei Chen|Kowalski|Tom Baker|Olu Adeyemi")


def test_smartsheet_export_with_hierarchy_as_excel_outline_and_no_row_id(programme):
    # Smartsheet exports hierarchy as Excel row grouping, not a column; the Milestone checkbox decides
    asked = prepare(programme, "milestones", "smartsheet_outline.xlsx")
    assert asked.mapping["owners"].column == "Delivery Partner"
    # no id column in a real Smartsheet export: the loader asks once (remembered like any mapping)
    assert asked.questions == ["Which column holds 'Milestone id'? None of the file's columns matched it."]
    mapped = ingest.Options(mapping={"milestone_id": "Task Name"})
    preview = prepare(programme, "milestones", "smartsheet_outline.xlsx", mapped)
    assert not preview.questions, preview.questions
    result = ingest.commit(programme, preview)
    assert (result.rows_in, result.rows_accepted) == (8, 3)
    # the parent rows are read from the outline: 'Go-live' rolls up to 0 days over its one milestone
    assert any(n.startswith("Kept the 3 milestones of this plan ('Milestone' or 'Duration' marks them): "
                            "2 ordinary tasks and 3 summary rows skipped.") for n in preview.notes)
    got = rows(programme, "SELECT m.title, m.baseline_date, m.forecast_date, m.status FROM milestones m "
                          "WHERE m.current ORDER BY m.forecast_date")
    assert got == [("Design signed off", D(2025, 9, 12), D(2025, 9, 16), "Complete"),
                   ("Building handed over", D(2025, 10, 27), D(2025, 10, 31), "Not Started"),
                   ("Service opened", D(2025, 11, 3), D(2025, 11, 3), "Not Started")]
    assert partner_names(programme) == NAMES


def test_servicenow_escalation_levels_read_as_escalated_or_not(programme):
    """ServiceNow's escalation field (Normal, Moderate, High, Overdue) is the Escalated flag: above
    Normal is escalated."""
    data = ("number,opened_at,short_description,company,priority,state,escalation\r\n"
            "INC1,2025-10-02 08:16:45,Wi-Fi,Northgate Housing,3 - Moderate,New,Normal\r\n"
            "INC2,2025-10-03 08:16:45,Laptops,Northgate Housing,3 - Moderate,New,Moderate\r\n"
            "INC3,2025-10-04 08:16:45,Printers,Northgate Housing,2 - High,New,Overdue\r\n").encode()
    preview = ingest.prepare(programme, "issues", "incident.csv", data)
    assert preview.mapping_used()["escalated"] == "escalation"
    ingest.commit(programme, preview)
    assert rows(programme, "SELECT issue_id, escalated FROM issues ORDER BY 1") == [
        ("INC1", False), ("INC2", True), ("INC3", True)]


def test_jira_components_that_are_not_partners_are_asked_not_added(programme):
    """Jira's Component/s is the owning partner in some programmes and a software part in others: a
    component that is no known partner is asked about, even one alone."""
    data = ("Summary,Issue key,Issue Type,Status,Created,Component/s,Custom field (Raised by partner)\r\n"
            "Login fails,PH-1,Bug,Open,05/Oct/25 9:12 AM,Backend,Northgate Housing\r\n"
            "Report late,PH-2,Task,Open,06/Oct/25 9:12 AM,Eastfield Council,Northgate Housing\r\n").encode()
    preview = ingest.prepare(programme, "issues", "jira.csv", data)
    assert preview.mapping_used()["owned_by"] == "Component/s"
    assert preview.unconfirmed_partners == ["Backend"]
    assert preview.questions[0].startswith(
        "This file would add 1 new partner: Backend. Nothing was loaded: check that 'Custom field (Raised by "
        "partner)', 'Component/s' holds organisations, not people or software components, then confirm them all")
    with pytest.raises(ValueError):
        ingest.commit(programme, preview)
    assert partner_names(programme) == NAMES
