"""pipelines.ingest.mapping: header suggestions, fingerprints, personal data, item matching.

The frames below copy the headers real tools write (values shortened)."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines.ingest import fields
from pipelines.ingest.mapping import (
    HIGH,
    MIN_SUGGEST,
    ItemMatch,
    Suggestion,
    confident,
    fingerprint,
    match_items,
    normalise_header,
    normalise_text,
    personal_data_columns,
    suggest_mapping,
)


def frame(columns: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


def chosen(suggestions: dict[str, Suggestion]) -> dict[str, str | None]:
    return {name: s.column for name, s in suggestions.items()}


JIRA = frame({
    "Summary": ["Late drawings", "Access dispute", "Scope gap"],
    "Issue key": ["PH-1", "PH-2", "PH-3"],
    "Issue id": ["10001", "10002", "10003"],
    "Issue Type": ["Bug", "Risk", "Task"],
    "Status": ["Open", "Done", "In Progress"],
    "Priority": ["High", "Low", "Highest"],
    "Resolution": ["", "Done", ""],
    "Assignee": ["A. Person", "B. Person", "C. Person"],
    "Reporter": ["A. Person", "B. Person", "C. Person"],
    "Created": ["14/Aug/25 9:12 AM", "02/Jul/25 3:40 PM", "20/May/25 11:05 AM"],
    "Updated": ["15/Aug/25 9:12 AM", "03/Jul/25 3:40 PM", "21/May/25 11:05 AM"],
    "Resolved": ["", "30/Jun/25 4:00 PM", ""],
    "Due Date": ["", "", ""],
    "Custom field (Raised by partner)": ["Kestrel Design", "Osprey", "Kestrel Design"],
    "Component/s": ["Osprey", "Heron", "Heron"],
})

QUALTRICS = frame({
    "StartDate": ["2025-08-14 09:01:12", "2025-08-14 10:12:00"],
    "EndDate": ["2025-08-14 09:05:40", "2025-08-14 10:20:03"],
    "Status": ["IP Address", "IP Address"],
    "IPAddress": ["81.2.69.160", "2a00:1450:4009:81f::200e"],
    "Progress": ["100", "100"],
    "Duration (in seconds)": ["268", "483"],
    "Finished": ["True", "True"],
    "RecordedDate": ["2025-08-14 09:05:41", "2025-08-14 10:20:04"],
    "ResponseId": ["R_1a", "R_2b"],
    "RecipientLastName": ["", ""],
    "RecipientFirstName": ["", ""],
    "RecipientEmail": ["", ""],
    "ExternalReference": ["", ""],
    "LocationLatitude": ["51.5", "53.4"],
    "LocationLongitude": ["-0.1", "-2.2"],
    "DistributionChannel": ["anonymous", "anonymous"],
    "UserLanguage": ["EN-GB", "EN-GB"],
    "Q1": ["Kestrel Design", "Osprey"],
    "SG1": ["Agree", "Strongly agree"],
    "Q5_1": ["4", "5"],
    "Q9": ["More workshops", ""],
})
QUALTRICS_TEXT = {
    "StartDate": "Start Date", "EndDate": "End Date", "RecordedDate": "Recorded Date",
    "ResponseId": "Response ID", "Q1": "Which organisation do you work for?",
    "SG1": "We agreed the goals together",
    "Q5_1": "Please rate how far you agree with each statement. - We share the credit and the blame",
    "Q9": "What one thing would improve the partnership?",
}

MS_FORMS = frame({
    "ID": ["1", "2", "3"],
    "Start time": ["8/14/25 9:01:12", "8/14/25 10:12:00", "8/15/25 16:40:00"],
    "Completion time": ["8/14/25 9:05:40", "8/14/25 10:20:03", "8/15/25 16:47:51"],
    "Email": ["anonymous", "anonymous", "anonymous"],
    "Name": ["", "", ""],
    "Which organisation do you work for?": ["Kestrel Design", "Osprey", "Heron"],
    "We agreed the goals together": ["4", "5", "3"],
})

GOOGLE_FORMS = frame({
    "Timestamp": ["2025/08/14 9:01:12 AM GMT+1", "2025/08/14 10:20:03 AM GMT+1"],
    "Email Address": ["ana@kestrel.example", "bo@osprey.example"],
    "Which organization do you work for?": ["Kestrel Design", "Osprey"],
    "We agreed the goals together": ["Agree", "Strongly agree"],
})

SURVEYMONKEY = frame({
    "Respondent ID": ["114233", "114234"],
    "Collector ID": ["4301", "4301"],
    "Start Date": ["08/14/2025 09:01:12 AM", "08/14/2025 10:12:00 AM"],
    "End Date": ["08/14/2025 09:05:40 AM", "08/14/2025 10:20:03 AM"],
    "IP Address": ["81.2.69.160", "81.2.69.161"],
    "Email Address": ["", ""],
    "First Name": ["", ""],
    "Last Name": ["", ""],
    "Custom Data 1": ["", ""],
    "Which organisation do you work for?": ["Kestrel Design", "Osprey"],
    "How far do you agree? - We agreed the goals together": ["Agree", "Disagree"],
    "Any other comments?": ["", "No"],
})

MS_PROJECT = frame({
    "ID": ["1", "2", "3"],
    "Unique ID": ["101", "102", "103"],
    "Name": ["Design freeze", "Planning consent", "Site handover"],
    "Duration": ["0 days", "0 days", "0 days"],
    "Start": ["Thu 14/08/25", "Mon 01/09/25", "Fri 31/10/25"],
    "Finish": ["Thu 14/08/25", "Mon 01/09/25", "Fri 31/10/25"],
    "Baseline Finish": ["Fri 08/08/25", "Mon 25/08/25", "Fri 31/10/25"],
    "Actual Finish": ["Thu 14/08/25", "NA", "NA"],
    "Resource Names": ["Kestrel Design", "Osprey;Heron", "Heron"],
    "% Complete": ["100%", "50%", "0%"],
})

SMARTSHEET = frame({
    "Row ID": ["1", "2", "3"],
    "Task Name": ["Design freeze", "Planning consent", "Site handover"],
    "Assigned To": ["Kestrel Design", "Osprey", "Heron"],
    "Start": ["08/01/25", "08/15/25", "09/01/25"],
    "Finish": ["08/14/25", "09/01/25", "10/31/25"],
    "Baseline Start": ["08/01/25", "08/15/25", "09/01/25"],
    "Baseline Finish": ["08/08/25", "08/25/25", "10/31/25"],
    "% Complete": ["100%", "50%", "0%"],
    "Status": ["Complete", "In Progress", "Not Started"],
})

RAID = frame({
    "Ref": ["R1", "R2", "I1"],
    "Type": ["Risk", "Risk", "Issue"],
    "Description": ["Consent delayed", "Steel price", "Access"],
    "Raised by": ["Osprey", "Heron", "Kestrel Design"],
    "Owner": ["Heron", "Heron", "Osprey"],
    "Date raised": ["01/07/2025", "15/07/2025", "02/08/2025"],
    "Date closed": ["", "20/07/2025", ""],
    "RAG": ["Red", "Amber", "Green"],
    "Status": ["Open", "Closed", "Open"],
    "Escalated?": ["Y", "N", "N"],
})


# ---------------------------------------------------------------- suggestions per tool


def test_jira_issues():
    result = suggest_mapping("issues", JIRA)
    assert chosen(result) == {
        "issue_id": "Issue key", "title": "Summary", "kind": "Issue Type",
        "raised_by": "Custom field (Raised by partner)", "owned_by": "Component/s",
        "raised_date": "Created", "resolved_date": "Resolved", "severity": "Priority",
        "status": "Status", "escalated": None,
    }
    assert confident(result, "issues")
    assert result["issue_id"].confidence == 0.99
    assert result["escalated"].confidence == 0.0


def test_qualtrics_survey_uses_question_text():
    result = suggest_mapping("survey", QUALTRICS, QUALTRICS_TEXT)
    assert chosen(result) == {"respondent_id": "ResponseId", "partner": "Q1",
                              "response_date": "RecordedDate", "wave": None}
    assert confident(result, "survey")
    assert "question text" in result["partner"].reason


def test_qualtrics_without_question_text_is_not_confident():
    result = suggest_mapping("survey", QUALTRICS)
    assert result["partner"].column is None
    assert not confident(result, "survey")


def test_ms_forms_survey():
    result = suggest_mapping("survey", MS_FORMS)
    assert chosen(result) == {"respondent_id": "ID", "partner": "Which organisation do you work for?",
                              "response_date": "Completion time", "wave": None}
    assert confident(result, "survey")


def test_google_forms_survey_with_american_spelling():
    result = suggest_mapping("survey", GOOGLE_FORMS)
    assert chosen(result) == {"respondent_id": None,
                              "partner": "Which organization do you work for?",
                              "response_date": "Timestamp", "wave": None}
    assert result["response_date"].confidence >= HIGH
    assert confident(result, "survey")


def test_surveymonkey_survey():
    result = suggest_mapping("survey", SURVEYMONKEY)
    assert chosen(result) == {"respondent_id": "Respondent ID",
                              "partner": "Which organisation do you work for?",
                              "response_date": "End Date", "wave": None}
    assert confident(result, "survey")


def test_surveymonkey_older_export_date_modified():
    old = SURVEYMONKEY.rename(columns={"End Date": "Date Modified", "Start Date": "Date Created"})
    assert suggest_mapping("survey", old)["response_date"].column == "Date Modified"


def test_ms_project_milestones_prefers_unique_id():
    result = suggest_mapping("milestones", MS_PROJECT)
    assert chosen(result) == {
        "milestone_id": "Unique ID", "title": "Name", "owners": "Resource Names",
        "baseline_date": "Baseline Finish", "forecast_date": "Finish",
        "actual_date": "Actual Finish", "status": None,
    }
    assert confident(result, "milestones")


def test_ms_project_with_id_only():
    result = suggest_mapping("milestones", MS_PROJECT.drop(columns=["Unique ID"]))
    assert result["milestone_id"].column == "ID"
    assert confident(result, "milestones")


def test_smartsheet_milestones():
    result = suggest_mapping("milestones", SMARTSHEET)
    assert chosen(result) == {
        "milestone_id": "Row ID", "title": "Task Name", "owners": "Assigned To",
        "baseline_date": "Baseline Finish", "forecast_date": "Finish", "actual_date": None,
        "status": "Status",
    }
    assert confident(result, "milestones")


def test_raid_log_issues():
    result = suggest_mapping("issues", RAID)
    assert chosen(result) == {
        "issue_id": "Ref", "title": "Description", "kind": "Type", "raised_by": "Raised by",
        "owned_by": "Owner", "raised_date": "Date raised", "resolved_date": "Date closed",
        "severity": "RAG", "status": "Status", "escalated": "Escalated?",
    }
    assert confident(result, "issues")


def test_every_field_gets_a_suggestion_even_for_an_empty_frame():
    result = suggest_mapping("issues", pd.DataFrame())
    assert list(result) == list(fields.field_names("issues"))
    assert all(s.column is None and s.confidence == 0.0 for s in result.values())


# ---------------------------------------------------------------- content and scoring


def test_date_field_confidence_drops_when_values_are_not_dates():
    result = suggest_mapping("issues", frame({"Ref": ["1", "2"], "Created": ["Alice", "Bob"]}))
    assert result["raised_date"].column is None or result["raised_date"].confidence < HIGH


def test_bool_field_prefers_yes_no_values():
    good = suggest_mapping("issues", frame({"Escalated": ["Y", "N", "Y"]}))["escalated"]
    bad = suggest_mapping("issues", frame({"Escalated": ["board", "pmo", "x"]}))["escalated"]
    assert good.confidence >= HIGH
    assert bad.column is None or bad.confidence < good.confidence


def test_id_field_prefers_unique_values():
    unique = suggest_mapping("issues", frame({"ID": ["1", "2", "3", "4"]}))["issue_id"]
    repeated = suggest_mapping("issues", frame({"ID": ["1", "1", "1", "2"]}))["issue_id"]
    assert unique.confidence > repeated.confidence


def test_partner_field_penalised_for_many_distinct_values():
    many = frame({"Organisation": [f"Org {i}" for i in range(100)]})
    few = frame({"Organisation": ["Kestrel", "Osprey"] * 50})
    assert suggest_mapping("survey", few)["partner"].confidence >= HIGH
    assert suggest_mapping("survey", many)["partner"].confidence < HIGH


def test_partner_field_rejects_email_values():
    emails = frame({"Organisation": ["a@b.example", "c@d.example", "e@f.example"]})
    assert suggest_mapping("survey", emails)["partner"].column is None


def test_weak_word_overlap_suggests_nothing():
    result = suggest_mapping("milestones", frame({"Start Date": ["2025-01-01"]}))
    assert result["actual_date"].column is None


def test_severity_needs_severity_values():
    result = suggest_mapping("issues", frame({"Cost impact (k)": ["12", "40"]}))
    assert result["severity"].column is None


def test_each_column_used_once():
    result = suggest_mapping("issues", frame({"ID": ["1", "2"], "Status": ["Open", "Closed"]}))
    columns = [s.column for s in result.values() if s.column]
    assert sorted(columns) == ["ID", "Status"]


def test_contains_match_is_below_high():
    result = suggest_mapping("milestones", frame({"Baseline Finish Date (agreed)":
                                                  ["2025-01-01", "2025-02-01"]}))
    suggestion = result["baseline_date"]
    assert suggestion.column == "Baseline Finish Date (agreed)"
    assert 0.5 <= suggestion.confidence < HIGH


def test_normalise_header():
    assert normalise_header("RecordedDate") == "recorded date"
    assert normalise_header("IPAddress") == "ip address"
    assert normalise_header("Which Organization do you work for?") == "which organisation do you work for"
    assert normalise_header("  Raised_by & owner ") == "raised by and owner"


# ---------------------------------------------------------------- fingerprint


def test_fingerprint_same_headers_same_print():
    a = fingerprint(["Issue key", "Summary", "Created"])
    assert a == fingerprint(["Created", "issue key", "Summary "])
    assert len(a) == 64 and int(a, 16) >= 0


def test_fingerprint_differs_with_other_headers():
    assert fingerprint(["Issue key", "Summary"]) != fingerprint(["Issue key", "Summary", "Created"])


def test_fingerprint_known_value():
    import hashlib
    assert fingerprint(["B", "a"]) == hashlib.sha256(b"a\nb").hexdigest()


# ---------------------------------------------------------------- personal data


def test_personal_data_qualtrics():
    assert personal_data_columns(QUALTRICS, QUALTRICS_TEXT) == [
        "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
        "ExternalReference", "LocationLatitude", "LocationLongitude",
    ]


def test_personal_data_surveymonkey_and_forms():
    assert personal_data_columns(SURVEYMONKEY) == ["IP Address", "Email Address", "First Name",
                                                   "Last Name"]
    assert personal_data_columns(MS_FORMS) == ["Email", "Name"]
    assert personal_data_columns(GOOGLE_FORMS) == ["Email Address"]


def test_personal_data_by_content():
    data = frame({"Q3": ["ana@kestrel.example", "bo@osprey.example", ""],
                  "Q4": ["10.0.0.1", "192.168.1.20", "fe80::1"],
                  "Q5": ["Agree", "Disagree", "Agree"]})
    assert personal_data_columns(data) == ["Q3", "Q4"]


def test_personal_data_never_the_organisation_column():
    data = frame({"Organisation name": ["Kestrel", "Osprey"],
                  "Company email domain": ["kestrel.example", "osprey.example"],
                  "Full name": ["Ana", "Bo"]})
    assert personal_data_columns(data) == ["Full name"]
    qualtrics = frame({"Q1": ["Kestrel", "Osprey"]})
    assert personal_data_columns(qualtrics, {"Q1": "Your organisation's name"}) == []


# ---------------------------------------------------------------- items


ITEMS = pd.DataFrame({
    "item_id": ["SG1", "SG2", "MA1"],
    "text": ["We agreed the goals together", "Our goals are shared by every partner.",
             "We share the credit and the blame"],
})


def test_match_items_by_id_case_insensitive():
    result = match_items(["sg1", "Sg2"], {}, ITEMS)
    assert result == ItemMatch(columns={"sg1": "SG1", "Sg2": "SG2"}, unmatched=[])


def test_match_items_compact_id():
    assert match_items(["SG_1", "MA-1"], {}, ITEMS).columns == {"SG_1": "SG1", "MA-1": "MA1"}


def test_match_items_by_header_text_with_small_differences():
    columns = ["We agreed the goals together.", "Our goals are shared by every partner",
               "  WE SHARE THE CREDIT   AND THE BLAME?"]
    result = match_items(columns, {}, ITEMS)
    assert result.columns == dict(zip(columns, ["SG1", "SG2", "MA1"]))


def test_match_items_curly_quotes():
    items = pd.DataFrame({"item_id": ["PS1"], "text": ["I can say \"no\" and it's fine"]})
    column = "I can say \u201cno\u201d and it\u2019s fine"
    assert match_items([column], {}, items).columns == {column: "PS1"}


def test_match_items_surveymonkey_matrix_prefix():
    column = "How far do you agree? - We agreed the goals together"
    dash = "How far do you agree? \u2013 Our goals are shared by every partner"
    assert match_items([column, dash], {}, ITEMS).columns == {column: "SG1", dash: "SG2"}


def test_match_items_qualtrics_question_text():
    result = match_items(list(QUALTRICS.columns), QUALTRICS_TEXT, ITEMS,
                         ignore={"Q1", "ResponseId", "RecordedDate"})
    assert result.columns == {"SG1": "SG1", "Q5_1": "MA1"}
    assert result.unmatched == ["Q9"]


def test_match_items_html_in_question_text():
    result = match_items(["Q2"], {"Q2": "<strong>We agreed</strong> the goals together"}, ITEMS)
    assert result.columns == {"Q2": "SG1"}


def test_match_items_unmatched_skips_metadata_and_ignored():
    result = match_items(list(SURVEYMONKEY.columns), {}, ITEMS,
                         ignore={"Which organisation do you work for?"})
    assert result.columns == {"How far do you agree? - We agreed the goals together": "SG1"}
    assert result.unmatched == ["Any other comments?"]


def test_match_items_forms_metadata_not_unmatched():
    result = match_items(list(MS_FORMS.columns), {}, ITEMS)
    assert result.columns == {"We agreed the goals together": "SG1"}
    assert result.unmatched == []  # the organisation question is a survey field, not an item


def test_match_items_one_column_per_item():
    result = match_items(["SG1", "We agreed the goals together"], {}, ITEMS)
    assert result.columns == {"SG1": "SG1"}
    assert result.unmatched == ["We agreed the goals together"]


@pytest.mark.parametrize("text, key", [
    ("  We agreed the goals together. ", "we agreed the goals together"),
    ("\u201cQuoted\u201d?", "quoted"),
    ("A\u00a0B", "a b"),
])
def test_normalise_text(text, key):
    assert normalise_text(text) == key


# ---------------------------------------------------------------- grid questions (grids.py)
@pytest.mark.parametrize("column", [
    "How strongly do you agree with each statement? [We agreed the goals together]",  # Google Forms
    "How strongly do you agree with each statement?.We agreed the goals together",  # a title joined by "."
    "Partnership statements.We agreed the goals together",
    "How strongly do you agree? - We agreed the goals together",  # SurveyMonkey, Qualtrics
    "How strongly do you agree?-We agreed the goals together",  # Qualtrics legacy
    "Partnership: We agreed the goals together",
])
def test_grid_question_matched_by_its_statement(column):
    assert match_items([column], {}, ITEMS).columns == {column: "SG1"}


def test_grid_split_inside_a_statement_matches_nothing_else():
    items = pd.DataFrame({"item_id": ["SG3"], "text": ["Goals are co-defined"]})
    column = "Rate each statement [Goals are co-defined]"
    assert match_items([column], {}, items).columns == {column: "SG3"}
    assert match_items(["Rate each - defined"], {}, items).columns == {}


def test_grid_parts_for_partner_ratings_too():
    from pipelines.ingest.grids import grid_parts

    assert grid_parts("How well does each partner share information? [Kestrel Design]")[0] == (
        "How well does each partner share information?", "Kestrel Design")
    assert grid_parts("Which organisation do you work for?") == []


SM_CONTACT = frame({  # SurveyMonkey's contact block, as the reader joins its two header rows
    f"Please provide your contact information: - {label}": ["x", "y"]
    for label in ("Name", "Company", "Address", "Address 2", "City/Town", "State/Province",
                  "ZIP/Postal Code", "Country", "Email Address", "Phone Number")})


def test_surveymonkey_contact_block_is_personal_data_but_company():
    personal = personal_data_columns(SM_CONTACT)
    assert [c.rsplit(" - ", 1)[1] for c in personal] == [
        "Name", "Address", "Address 2", "City/Town", "State/Province", "ZIP/Postal Code", "Country",
        "Email Address", "Phone Number"]


def test_surveymonkey_contact_block_company_maps_to_the_partner():
    company = "Please provide your contact information: - Company"
    data = SM_CONTACT.drop(columns=personal_data_columns(SM_CONTACT))
    data[company] = ["Kestrel Design", "Osprey"]
    suggestion = suggest_mapping("survey", data)["partner"]
    assert (suggestion.column, suggestion.confidence >= HIGH) == (company, True)


@pytest.mark.parametrize("header, values, field", [
    ("Escalated", ["maybe"], "escalated"), ("Resolved", ["soon", "TBC"], "resolved_date"),
    ("Severity", ["Purple"], "severity")])
def test_a_parsed_field_keeps_a_column_named_for_it_whatever_its_values(header, values, field):
    """Its values are then read and each unreadable one is a row error; a column dropped for its
    values would be loaded as blank (an issue 'maybe' escalated stored as not escalated)."""
    columns = {"Issue ID": ["I-1", "I-2"][:len(values)], "Raised by": ["Acme"] * len(values), header: values}
    suggestion = suggest_mapping("issues", frame(columns))[field]
    assert (suggestion.column, suggestion.confidence) == (header, MIN_SUGGEST)


def test_of_two_columns_naming_partners_the_one_with_values_on_every_row_is_the_owner():
    # P6: "Primary Resource" blank on most milestones, left of an activity code naming each one's partner
    from pipelines.ingest import values

    known = {values.normalise_partner_name(n): i for i, n in enumerate(["Atlas Rail", "Harbour Civils"], 1)}
    plan = pd.DataFrame({"Activity ID": ["A1000", "A1010", "A2010"], "Activity Name": ["Start", "Deck", "Handover"],
                         "Primary Resource": ["Atlas Rail", "", ""],
                         "Responsible Partner": ["Atlas Rail", "Harbour Civils", "Atlas Rail"],
                         "Planned Finish": ["2026-03-02", "2026-06-01", "2026-09-30"]})
    assert suggest_mapping("milestones", plan, known=known)["owners"].column == "Responsible Partner"
